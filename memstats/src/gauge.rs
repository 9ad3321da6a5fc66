//! `used_memory` cheap enough to check before every command.
//!
//! Reading jemalloc's `stats.allocated` means advancing its epoch, which
//! merges every arena's statistics: about 10 µs, up to 40 µs with several
//! busy threads, far too slow for a per-command maxmemory check. Redis keeps
//! an atomic counter updated by every allocation instead. Here a reading of
//! the allocator is reused for a short while and corrected by what the
//! calling thread allocated and freed since, which jemalloc counts per
//! thread for free. The thread running commands thus sees its own writes
//! and frees (evictions) at once; other threads' allocations show up at
//! the next real reading.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tikv_jemalloc_ctl::thread::{allocatedp, deallocatedp, ThreadLocal};

use crate::jemalloc;

/// The last real reading: bytes, when (µs since [`origin`]) and a sequence
/// number so threads know their correction base is stale.
static USED: AtomicU64 = AtomicU64::new(0);
static READ_AT_US: AtomicU64 = AtomicU64::new(0);
static GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's allocation counters, looked up once.
    static COUNTERS: Option<(ThreadLocal<u64>, ThreadLocal<u64>)> =
        allocatedp::read().ok().zip(deallocatedp::read().ok());
    /// (generation, this thread's net allocation at that reading).
    static BASE: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// Bytes allocated minus bytes freed by the calling thread, ever
/// (wrapping, so only differences mean something).
fn thread_net() -> u64 {
    COUNTERS.with(|c| c.as_ref().map_or(0, |(a, d)| a.get().wrapping_sub(d.get())))
}

/// `used_memory` as of at most `max_age` ago, plus what the calling thread
/// allocated (minus freed) since. Zero when jemalloc is not the global
/// allocator.
pub fn used_memory_recent(max_age: Duration) -> u64 {
    let now = origin().elapsed().as_micros() as u64;
    let gen = GENERATION.load(Ordering::Acquire);
    if gen == 0
        || now.saturating_sub(READ_AT_US.load(Ordering::Relaxed)) >= max_age.as_micros() as u64
    {
        return refresh_used_memory();
    }
    let used = USED.load(Ordering::Relaxed);
    let net = thread_net();
    let (base_gen, base_net) = BASE.get();
    if base_gen != gen {
        // Another thread made the reading: count from here on.
        BASE.set((gen, net));
        return used;
    }
    let delta = net.wrapping_sub(base_net) as i64;
    used.saturating_add_signed(delta)
}

/// Reads the allocator now (the slow path of [`used_memory_recent`]), e.g.
/// after freeing memory on another thread.
pub fn refresh_used_memory() -> u64 {
    let used = jemalloc::read_used();
    let net = thread_net();
    let gen = GENERATION.fetch_add(1, Ordering::AcqRel) + 1;
    USED.store(used, Ordering::Relaxed);
    READ_AT_US.store(origin().elapsed().as_micros() as u64, Ordering::Relaxed);
    BASE.set((gen, net));
    used
}

#[cfg(test)]
mod tests {
    use super::*;

    // Unit tests run on the system allocator, where readings are zero.
    #[test]
    fn zero_without_jemalloc_and_cached_within_max_age() {
        assert_eq!(refresh_used_memory(), 0);
        let gen = GENERATION.load(Ordering::Acquire);
        assert_eq!(used_memory_recent(Duration::from_secs(60)), 0);
        assert_eq!(GENERATION.load(Ordering::Acquire), gen);
        used_memory_recent(Duration::ZERO);
        assert!(GENERATION.load(Ordering::Acquire) > gen);
    }
}
