//! Busy-polling for a moment before the event loop sleeps.
//!
//! Under load a fast server often finds no work for a few microseconds,
//! sleeps in `epoll_wait`, and is woken again almost at once. Each wake-up
//! costs the *sender* (the kernel delivers local traffic on the sender's
//! CPU) an IPI, and on a virtual machine a halted vCPU is far more
//! expensive to wake; measured with redis-benchmark on the same host, the
//! clients spent more CPU per request on Redust than on Redis only because
//! Redust slept ten times as often. So before parking, the event loop
//! checks for a short while whether its epoll set became ready, and goes
//! back to work without sleeping if it did.
//!
//! The check is `poll(2)` on the runtime's own epoll descriptor: an epoll
//! fd is readable when it holds ready events, and polling it does not
//! consume them, so the runtime still sees every event. Tokio does not
//! expose that descriptor; [`install`] finds it as the eventpoll fd that
//! building the runtime created, and leaves polling off when it cannot tell.
//!
//! The budget adapts like KVM's halt polling: it grows while new work
//! keeps arriving soon after the loop goes idle and falls to zero when idle
//! periods are longer, and it never exceeds twice the work just done, so an
//! idle or lightly loaded server does not spin. Polling yields the CPU
//! between checks, stops for a while when another thread turns out to need
//! the CPU, and does not start while the machine has more runnable threads
//! than CPUs (replicas and clients on the same host would otherwise wait
//! whole scheduler slices: replication lag p99 tripled). `busy-poll-usec`
//! (hidden directive, 0 = off) caps the budget.

use std::cell::Cell;
use std::collections::HashSet;
use std::os::fd::RawFd;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Where a growing budget starts.
const MIN_BUDGET: Duration = Duration::from_micros(5);
/// Polling time allowed per unit of work done since the last wake-up.
const SPIN_PER_WORK: u32 = 2;
/// A gap this long between two checks means another thread ran on our CPU.
const PREEMPTED: Duration = Duration::from_micros(500);
/// How long polling stays off after that.
const CONTENDED_PAUSE: Duration = Duration::from_millis(100);
/// How often the machine's run queue length is looked at.
const LOAD_CHECK_EVERY: Duration = Duration::from_millis(10);

/// The runtime's epoll fd and the budget cap, once installed.
static INSTALLED: OnceLock<(RawFd, Duration)> = OnceLock::new();

thread_local! {
    static BUDGET: Cell<Duration> = const { Cell::new(Duration::ZERO) };
    /// When the loop last went idle.
    static IDLE_SINCE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// When the loop last woke up.
    static BUSY_SINCE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// No polling until then: the CPU was found shared.
    static QUIET_UNTIL: Cell<Option<Instant>> = const { Cell::new(None) };
    /// When the machine's load was last read, and whether it was
    /// oversubscribed.
    static LOAD: Cell<(Option<Instant>, bool)> = const { Cell::new((None, false)) };
}

/// The eventpoll descriptors open now.
pub fn epoll_fds() -> HashSet<RawFd> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return HashSet::new();
    };
    dir.filter_map(|e| {
        let e = e.ok()?;
        let target = std::fs::read_link(e.path()).ok()?;
        (target.as_os_str() == "anon_inode:[eventpoll]")
            .then(|| e.file_name().to_str()?.parse().ok())
            .flatten()
    })
    .collect()
}

/// Turns polling on once the runtime exists: `before` is [`epoll_fds`]
/// taken before building it. The runtime may hold duplicates of its epoll
/// fd (mio clones its registry); they are accepted when they watch the
/// same descriptors.
pub fn install(before: &HashSet<RawFd>, max: Duration) {
    if max.is_zero() {
        return;
    }
    let mut created: Vec<RawFd> = epoll_fds().difference(before).copied().collect();
    created.sort_unstable();
    let watched = |fd: RawFd| std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).ok();
    let Some(&first) = created.first() else {
        return;
    };
    let same =
        watched(first).is_some_and(|w| created.iter().all(|&fd| watched(fd).as_ref() == Some(&w)));
    if same {
        let _ = INSTALLED.set((first, max));
    }
}

/// The runtime's park hook: returns when events are pending or the budget
/// is spent.
pub fn before_park() {
    let Some(&(fd, _)) = INSTALLED.get() else {
        return;
    };
    let start = Instant::now();
    IDLE_SINCE.set(Some(start));
    if oversubscribed(start) {
        return;
    }
    let worked = BUSY_SINCE.get().map_or(Duration::ZERO, |t| start - t);
    let budget = BUDGET.get().min(worked * SPIN_PER_WORK);
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let mut last = start;
    while last - start < budget {
        // SAFETY: one valid pollfd, no timeout.
        if unsafe { libc::poll(&mut pfd, 1, 0) } != 0 {
            return;
        }
        // Let whatever else wants this CPU run first.
        // SAFETY: no arguments.
        unsafe { libc::sched_yield() };
        let now = Instant::now();
        if now - last > PREEMPTED {
            // Something else ran: the CPU is shared, and polling would take
            // time it needs. Sleep instead for a while.
            BUDGET.set(Duration::ZERO);
            QUIET_UNTIL.set(Some(now + CONTENDED_PAUSE));
            return;
        }
        last = now;
    }
}

/// Whether more threads are runnable than the machine has CPUs (from
/// `/proc/loadavg`, read at most every `LOAD_CHECK_EVERY`): polling would
/// then take CPU time that replicas or clients on the same host need, and
/// delay them by whole scheduler slices.
fn oversubscribed(now: Instant) -> bool {
    let (checked, busy) = LOAD.get();
    if checked.is_some_and(|t| now - t < LOAD_CHECK_EVERY) {
        return busy;
    }
    let busy = runnable_threads().is_some_and(|n| n > online_cpus());
    LOAD.set((Some(now), busy));
    busy
}

/// Threads running or ready to run, machine-wide, this one included.
fn runnable_threads() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace()
        .nth(3)?
        .split('/')
        .next()?
        .parse()
        .ok()
}

/// CPUs online (not this process's affinity: a server pinned to one core
/// still shares the machine).
fn online_cpus() -> usize {
    static CPUS: OnceLock<usize> = OnceLock::new();
    // SAFETY: sysconf has no preconditions.
    *CPUS.get_or_init(|| {
        usize::try_from(unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) })
            .unwrap_or(1)
            .max(1)
    })
}

/// The runtime's unpark hook: adapts the budget to how long the loop was
/// idle.
pub fn after_unpark() {
    let Some(&(_, max)) = INSTALLED.get() else {
        return;
    };
    let now = Instant::now();
    BUSY_SINCE.set(Some(now));
    let Some(since) = IDLE_SINCE.take() else {
        return;
    };
    if QUIET_UNTIL.get().is_some_and(|t| now < t) {
        return;
    }
    let budget = BUDGET.get();
    BUDGET.set(if now - since <= max {
        (budget * 2).clamp(MIN_BUDGET.min(max), max)
    } else if budget > MIN_BUDGET {
        budget / 2
    } else {
        Duration::ZERO
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_runtime_epoll_fd_and_keeps_working() {
        let before = epoll_fds();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .on_thread_park(before_park)
            .on_thread_unpark(after_unpark)
            .build()
            .unwrap();
        install(&before, Duration::from_micros(50));
        let &(fd, max) = INSTALLED.get().expect("installed");
        assert!(!before.contains(&fd));
        assert_eq!(max, Duration::from_micros(50));
        // Timers and I/O still wake the loop.
        runtime.block_on(async {
            let (mut a, mut b) = tokio::io::duplex(64);
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let reader = tokio::spawn(async move {
                let mut buf = [0u8; 4];
                b.read_exact(&mut buf).await.unwrap();
                buf
            });
            tokio::time::sleep(Duration::from_millis(5)).await;
            a.write_all(b"ping").await.unwrap();
            assert_eq!(&reader.await.unwrap(), b"ping");
        });
    }
}
