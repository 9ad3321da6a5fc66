//! The registry of connected clients, for CLIENT LIST / KILL / INFO and the
//! clients section of INFO, and the output buffer accounting that
//! `client-output-buffer-limit` bounds.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use tokio::sync::{mpsc, Notify};

use crate::config::{ClientOutputBufferLimits, ObufLimit};
use crate::log::log;

/// A command's name as CLIENT LIST shows it: `get`, or `object|encoding`
/// for a subcommand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandName {
    pub name: &'static str,
    pub parent: Option<&'static str>,
}

impl std::fmt::Display for CommandName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.parent {
            Some(p) => write!(f, "{p}|{}", self.name),
            None => f.write_str(self.name),
        }
    }
}

/// Redis's notion of a local client (`islocalClient`): exactly 127.0.0.1
/// or ::1, not the rest of 127.0.0.0/8. Protected mode,
/// `enable-debug-command local` and `enable-protected-configs local` use it.
pub fn is_local(ip: std::net::IpAddr) -> bool {
    ip == std::net::Ipv4Addr::LOCALHOST || ip == std::net::Ipv6Addr::LOCALHOST
}

/// What a connection is to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Normal,
    /// A replica fed by us.
    Replica,
    /// Our master's link.
    Master,
    PubSub,
}

/// The parts of a client's state other connections may look at.
#[derive(Clone)]
pub struct Info {
    pub addr: SocketAddr,
    pub laddr: SocketAddr,
    pub fd: i32,
    pub name: String,
    pub db: usize,
    pub resp: u8,
    pub last_cmd: Option<CommandName>,
    /// Unix ms of the last request (for CLIENT LIST idle).
    pub last_interaction: i64,
    pub qbuf: usize,
    /// Output pending after the last write (or when one stalled), and as
    /// the cron last saw it; [`Handle::pending`] is the live figure.
    pub obuf: usize,
    /// Commands queued in MULTI, -1 outside one.
    pub multi: i64,
    /// Blocked in a command (a blocking pop, WAIT): CLIENT LIST's `b`.
    pub blocked: bool,
    /// A watched key was touched: EXEC will fail (CLIENT LIST's `d`).
    /// The session's WATCH state holds the same flag (see
    /// [`crate::state::watch::Watch::new`]).
    pub dirty_cas: Arc<AtomicBool>,
    pub kind: Kind,
    pub no_evict: bool,
    /// In MONITOR mode: CLIENT LIST's `O`.
    pub monitor: bool,
    pub user: String,
}

impl Info {
    /// A client that just connected: db 0, RESP2, user `default`.
    pub fn new(addr: SocketAddr, laddr: SocketAddr, fd: i32, kind: Kind) -> Info {
        Info {
            addr,
            laddr,
            fd,
            name: String::new(),
            db: 0,
            resp: 2,
            last_cmd: None,
            last_interaction: crate::time::unix_ms(),
            qbuf: 0,
            obuf: 0,
            multi: -1,
            blocked: false,
            dirty_cas: Arc::default(),
            kind,
            no_evict: false,
            monitor: false,
            user: "default".into(),
        }
    }
}

/// One registered client.
pub struct Handle {
    pub id: u64,
    pub created: Instant,
    pub info: Mutex<Info>,
    killed: AtomicBool,
    kill: Notify,
    /// Out-of-band deliveries to this connection (see [`Mail`]).
    mailbox: mpsc::UnboundedSender<Mail>,
    /// Output queued for the client and not yet written to the socket: the
    /// output buffer that `client-output-buffer-limit` bounds. Mail counts
    /// from the moment it is sent; the connection's own replies only once a
    /// write of them has to wait for the socket (see [`Handle::stalled`]),
    /// as until then they are gone within the same step.
    pending: AtomicUsize,
    /// The replica class's limit, for [`Handle::send_stream`].
    replica_limit: Arc<SharedLimit>,
    /// Unix second the output buffer was first seen over its soft limit in
    /// the current stretch; 0 when it is under.
    soft_limit_since: AtomicI64,
    /// A duplicate of the socket, shut down by [`Handle::kill`] itself for
    /// a connection that must see the close at once even while the server
    /// is busy (our master's link: Redis frees it synchronously).
    shut_on_kill: Mutex<Option<std::os::fd::OwnedFd>>,
}

/// Where an output buffer limit check happens, which Redis logs differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitCheck {
    /// As a reply is queued: the client is closed asynchronously.
    Append,
    /// From the cron.
    Cron,
}

/// Something another task hands to a connection.
#[derive(Debug)]
pub enum Mail {
    /// RESP bytes to write as they are (pub/sub messages).
    Push(bytes::Bytes),
    /// The reply of this client's blocked command, served by another client.
    Served(bytes::Bytes),
    /// Turn TCP_NODELAY on or off (repl-disable-tcp-nodelay on replicas).
    NoDelay(bool),
    /// Close the connection (CLIENT KILL, shutdown, output buffer limits).
    Kill,
}

impl Handle {
    /// Delivers mail; false if the connection is gone.
    pub fn send(&self, mail: Mail) -> bool {
        let len = match &mail {
            Mail::Push(b) | Mail::Served(b) => b.len(),
            Mail::NoDelay(_) | Mail::Kill => 0,
        };
        self.pending.fetch_add(len, Ordering::Relaxed);
        self.mailbox.send(mail).is_ok()
    }

    /// Queues replication stream bytes for this replica, unless they take
    /// its output buffer over the replica class's limit: then it is closed
    /// instead, as Redis does when it feeds a replica's buffer.
    pub fn send_stream(&self, bytes: bytes::Bytes) {
        if let Some(limit) = self.replica_limit.get() {
            let used = (self.pending() + bytes.len()) as u64;
            if self.close_if_over_limit(used, &limit, LimitCheck::Append) {
                return;
            }
        }
        self.send(Mail::Push(bytes));
    }

    /// Output bytes queued and not yet written (the output buffer).
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    /// Called by the connection once it wrote `n` bytes it had counted
    /// (mail, or what is left of a stalled write).
    pub fn written(&self, n: usize) {
        if n > 0 {
            self.pending.fetch_sub(n, Ordering::Relaxed);
        }
    }

    /// Called by the connection when a write must wait for the socket:
    /// `unsent` bytes of its write buffer are left, `mail` of which were
    /// mail (counted already). The rest are replies, which count from now
    /// until [`Handle::written`] takes them off.
    pub fn stalled(&self, unsent: usize, mail: usize) {
        if unsent >= mail {
            self.pending.fetch_add(unsent - mail, Ordering::Relaxed);
        } else {
            self.pending.fetch_sub(mail - unsent, Ordering::Relaxed);
        }
    }

    /// Makes [`Handle::kill`] shut `socket` (a duplicate of the
    /// connection's) down right away, not when the connection's task next
    /// runs.
    pub fn shut_on_kill(&self, socket: std::os::fd::OwnedFd) {
        *self.shut_on_kill.lock() = Some(socket);
    }

    /// Asks the connection to close (CLIENT KILL, shutdown).
    pub fn kill(&self) {
        if let Some(socket) = self.shut_on_kill.lock().take() {
            use std::os::fd::AsRawFd;
            // SAFETY: the descriptor is our own duplicate, open until
            // `socket` drops at the end of this block.
            unsafe { libc::shutdown(socket.as_raw_fd(), libc::SHUT_RDWR) };
        }
        self.killed.store(true, Ordering::SeqCst);
        // The connection's loop watches its mailbox anyway: waking it there
        // spares it a second wait source per iteration.
        let _ = self.mailbox.send(Mail::Kill);
        self.kill.notify_one();
    }

    /// Redis's `checkClientOutputBufferLimits`: whether `used` output bytes
    /// break `limit` now. The soft limit must be exceeded continuously for
    /// more than `soft_seconds` whole seconds: the first check over it
    /// starts the clock and any check under it stops it.
    fn over_output_limit(&self, used: u64, limit: &ObufLimit, now_secs: i64) -> bool {
        let hard = limit.hard > 0 && used >= limit.hard;
        if limit.soft == 0 || used < limit.soft {
            self.soft_limit_since.store(0, Ordering::Relaxed);
            return hard;
        }
        let since = self.soft_limit_since.load(Ordering::Relaxed);
        if since == 0 {
            self.soft_limit_since.store(now_secs, Ordering::Relaxed);
            return hard;
        }
        hard || now_secs - since > limit.soft_seconds as i64
    }

    /// Closes the client when `used` output bytes break `limit`, logging it
    /// like Redis; true if it did (or it was closing already).
    pub fn close_if_over_limit(&self, used: u64, limit: &ObufLimit, check: LimitCheck) -> bool {
        if self.is_killed() {
            return true;
        }
        // The clock matters only over the soft limit: spare the common case.
        let now = if limit.soft > 0 && used >= limit.soft {
            crate::time::unix_ms() / 1000
        } else {
            0
        };
        if !self.over_output_limit(used, limit, now) {
            return false;
        }
        // Like Redis, show the output buffer that broke the limit.
        let client = self.describe_with(None, used);
        match check {
            LimitCheck::Append => log!(
                Warning,
                "Client {client} scheduled to be closed ASAP for overcoming of output buffer limits."
            ),
            LimitCheck::Cron => log!(
                Warning,
                "Client {client} closed for overcoming of output buffer limits."
            ),
        }
        self.kill();
        true
    }

    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    /// Resolves once [`Handle::kill`] was called.
    pub async fn killed(&self) {
        while !self.is_killed() {
            self.kill.notified().await;
        }
    }

    /// One line of CLIENT LIST, in Redis 7.0's field order.
    pub fn describe(&self, current_cmd: Option<&str>) -> String {
        // The output buffer as the limits see it: live, unlike `obuf`.
        self.describe_with(current_cmd, self.pending() as u64)
    }

    fn describe_with(&self, current_cmd: Option<&str>, omem: u64) -> String {
        let i = self.info.lock();
        // Redis's letters, in its order; N when none applies.
        let mut flags = String::new();
        match i.kind {
            Kind::Replica => flags.push('S'),
            Kind::Master => flags.push('M'),
            Kind::PubSub => flags.push('P'),
            Kind::Normal if i.monitor => flags.push('O'),
            Kind::Normal => {}
        }
        for (on, letter) in [
            (i.multi >= 0, 'x'),
            (i.blocked, 'b'),
            (i.dirty_cas.load(Ordering::SeqCst), 'd'),
            (i.no_evict, 'e'),
        ] {
            if on {
                flags.push(letter);
            }
        }
        if flags.is_empty() {
            flags.push('N');
        }
        let now = Instant::now();
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub=0 psub=0 ssub=0 multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem={} tot-mem={} events=r cmd={} user={} redir=-1 resp={}",
            self.id,
            i.addr,
            i.laddr,
            i.fd,
            i.name,
            now.duration_since(self.created).as_secs(),
            (crate::time::unix_ms() - i.last_interaction).max(0) / 1000,
            flags,
            i.db,
            i.multi,
            i.qbuf,
            16384usize.saturating_sub(i.qbuf),
            omem,
            16384 + i.qbuf as u64 + omem,
            current_cmd.map_or_else(|| i.last_cmd.map_or("NULL".into(), |c| c.to_string()), String::from),
            i.user,
            i.resp,
        )
    }
}

/// The client classes of `client-output-buffer-limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Normal,
    Replica,
    PubSub,
}

impl Class {
    /// Redis's `getClientType`, with our master's link counted as normal
    /// like `checkClientOutputBufferLimits` does.
    pub fn of(kind: Kind) -> Class {
        match kind {
            Kind::Normal | Kind::Master => Class::Normal,
            Kind::Replica => Class::Replica,
            Kind::PubSub => Class::PubSub,
        }
    }

    /// The limit that applies to this class; `None` for `0 0 0`, which
    /// never closes anything. A replica's hard limit is never below
    /// `repl-backlog-size`, as in Redis: a replica could otherwise be
    /// dropped right after a partial resync it was granted.
    pub fn limit(
        self,
        limits: &ClientOutputBufferLimits,
        repl_backlog_size: u64,
    ) -> Option<ObufLimit> {
        let mut l = match self {
            Class::Normal => limits.normal,
            Class::PubSub => limits.pubsub,
            Class::Replica => limits.replica,
        };
        if self == Class::Replica && l.hard > 0 {
            l.hard = l.hard.max(repl_backlog_size);
        }
        (l.hard > 0 || l.soft > 0).then_some(l)
    }
}

/// One class's limit in atomics. The replication stream is fed under the
/// replication lock, where the configuration lock must not be taken (the
/// configuration is locked before the replication state elsewhere), so
/// the replica class's limit is mirrored here for it.
#[derive(Default)]
struct SharedLimit {
    hard: AtomicU64,
    soft: AtomicU64,
    soft_seconds: AtomicU64,
}

impl SharedLimit {
    fn get(&self) -> Option<ObufLimit> {
        let limit = ObufLimit {
            hard: self.hard.load(Ordering::Relaxed),
            soft: self.soft.load(Ordering::Relaxed),
            soft_seconds: self.soft_seconds.load(Ordering::Relaxed),
        };
        (limit.hard > 0 || limit.soft > 0).then_some(limit)
    }

    /// Stores `limit` if it differs: a read-only check in the common case.
    fn set(&self, limit: Option<ObufLimit>) {
        let limit = limit.unwrap_or_default();
        if self.get().unwrap_or_default() != limit {
            self.hard.store(limit.hard, Ordering::Relaxed);
            self.soft.store(limit.soft, Ordering::Relaxed);
            self.soft_seconds
                .store(limit.soft_seconds, Ordering::Relaxed);
        }
    }
}

/// Redis's `client_recent_max_output_buffer`: the largest output buffer
/// the cron saw in each of the last few seconds.
#[derive(Default)]
struct RecentPeaks {
    /// Indexed by unix second modulo the slot count (Redis keeps 8).
    slots: Mutex<[u64; 8]>,
}

impl RecentPeaks {
    /// Records one cron pass: `max` is the largest buffer seen at `now_secs`.
    fn sample(&self, now_secs: i64, max: u64) {
        let mut slots = self.slots.lock();
        let n = slots.len();
        let slot = now_secs.rem_euclid(n as i64) as usize;
        // The next second starts from nothing, so old peaks age out.
        slots[(slot + 1) % n] = 0;
        slots[slot] = slots[slot].max(max);
    }

    fn max(&self) -> u64 {
        self.slots.lock().iter().copied().max().unwrap_or(0)
    }
}

/// All connected clients by id.
#[derive(Default)]
pub struct Clients {
    next_id: AtomicU64,
    map: Mutex<BTreeMap<u64, Arc<Handle>>>,
    replica_limit: Arc<SharedLimit>,
    recent_output: RecentPeaks,
}

impl Clients {
    /// Registers a client; the receiver gets its [`Mail`].
    pub fn register(&self, info: Info) -> (Arc<Handle>, mpsc::UnboundedReceiver<Mail>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = Arc::new(Handle {
            id,
            created: Instant::now(),
            info: Mutex::new(info),
            killed: AtomicBool::new(false),
            kill: Notify::new(),
            mailbox: tx,
            pending: AtomicUsize::new(0),
            replica_limit: self.replica_limit.clone(),
            soft_limit_since: AtomicI64::new(0),
            shut_on_kill: Mutex::new(None),
        });
        self.map.lock().insert(id, handle.clone());
        (handle, rx)
    }

    pub fn unregister(&self, id: u64) {
        self.map.lock().remove(&id);
    }

    pub fn len(&self) -> usize {
        self.map.lock().len()
    }

    pub fn all(&self) -> Vec<Arc<Handle>> {
        self.map.lock().values().cloned().collect()
    }

    /// Keeps the replica class's limit seen by [`Handle::send_stream`] in
    /// step with the configuration.
    pub fn set_replica_limit(&self, limits: &ClientOutputBufferLimits, repl_backlog_size: u64) {
        self.replica_limit
            .set(Class::Replica.limit(limits, repl_backlog_size));
    }

    /// The cron side of the output buffer limits (Redis checks in
    /// `clientsCron` too): a client that stays over its class's soft limit
    /// is closed even when no new output arrives to trigger the check, e.g.
    /// one that stopped reading. Also refreshes what CLIENT LIST, INFO and
    /// MEMORY read of each output buffer.
    pub fn enforce_output_limits(&self, limits: &ClientOutputBufferLimits, repl_backlog_size: u64) {
        self.set_replica_limit(limits, repl_backlog_size);
        let mut peak = 0;
        for h in self.all() {
            let used = h.pending();
            let kind = {
                let mut info = h.info.lock();
                // Mail may have piled up since the connection last looked.
                info.obuf = used;
                info.kind
            };
            peak = peak.max(used as u64);
            if let Some(limit) = Class::of(kind).limit(limits, repl_backlog_size) {
                h.close_if_over_limit(used as u64, &limit, LimitCheck::Cron);
            }
        }
        self.recent_output
            .sample(crate::time::unix_ms() / 1000, peak);
    }

    /// INFO's `client_recent_max_output_buffer`.
    pub fn recent_max_output(&self) -> u64 {
        self.recent_output.max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle() -> Arc<Handle> {
        let addr: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let (handle, _mail) = Clients::default().register(Info::new(addr, addr, -1, Kind::PubSub));
        handle
    }

    const SOFT: ObufLimit = ObufLimit {
        hard: 0,
        soft: 100,
        soft_seconds: 2,
    };

    #[test]
    fn soft_limit_needs_more_than_soft_seconds_over_it() {
        let h = handle();
        assert!(!h.over_output_limit(100, &SOFT, 1000), "first sighting");
        assert!(!h.over_output_limit(500, &SOFT, 1002));
        assert!(h.over_output_limit(100, &SOFT, 1003));
    }

    #[test]
    fn dropping_under_the_soft_limit_restarts_the_clock() {
        let h = handle();
        assert!(!h.over_output_limit(150, &SOFT, 1000));
        assert!(!h.over_output_limit(99, &SOFT, 1002));
        assert!(!h.over_output_limit(150, &SOFT, 1003));
        assert!(!h.over_output_limit(150, &SOFT, 1005));
        assert!(h.over_output_limit(150, &SOFT, 1006));
    }

    #[test]
    fn zero_soft_seconds_closes_from_the_next_second_on() {
        let now_only = ObufLimit {
            soft_seconds: 0,
            ..SOFT
        };
        let h = handle();
        assert!(!h.over_output_limit(100, &now_only, 1000));
        assert!(!h.over_output_limit(100, &now_only, 1000));
        assert!(h.over_output_limit(100, &now_only, 1001));
    }

    #[test]
    fn a_stalled_write_counts_what_is_left_of_it() {
        let h = handle();
        h.send(Mail::Push(bytes::Bytes::from_static(&[b'm'; 100])));
        assert_eq!(h.pending(), 100);
        // 100 bytes of mail and 200 of replies; 50 went out before the stall.
        h.stalled(250, 100);
        assert_eq!(h.pending(), 250);
        h.written(250);
        assert_eq!(h.pending(), 0);
        // Most of the mail went out before the stall, and no reply.
        h.send(Mail::Push(bytes::Bytes::from_static(&[b'm'; 100])));
        h.stalled(30, 100);
        assert_eq!(h.pending(), 30);
    }

    #[test]
    fn replica_hard_limit_is_at_least_the_backlog_size() {
        let limits = ClientOutputBufferLimits {
            normal: ObufLimit::default(),
            replica: ObufLimit {
                hard: 1 << 20,
                soft: 1000,
                soft_seconds: 5,
            },
            pubsub: SOFT,
        };
        let backlog = 4 << 20;
        let replica = Class::Replica.limit(&limits, backlog).unwrap();
        assert_eq!((replica.hard, replica.soft), (backlog, 1000));
        assert_eq!(Class::PubSub.limit(&limits, backlog), Some(SOFT));
        assert_eq!(Class::Normal.limit(&limits, backlog), None, "0 0 0");
        assert_eq!(Class::of(Kind::Master), Class::Normal);
        let soft_only = ClientOutputBufferLimits {
            replica: SOFT,
            ..limits
        };
        assert_eq!(Class::Replica.limit(&soft_only, backlog), Some(SOFT));
    }

    #[test]
    fn recent_output_peaks_age_out_after_seven_seconds() {
        let peaks = RecentPeaks::default();
        peaks.sample(1000, 500);
        peaks.sample(1000, 20);
        peaks.sample(1001, 30);
        assert_eq!(peaks.max(), 500);
        for second in 1002..1007 {
            peaks.sample(second, 0);
        }
        assert_eq!(peaks.max(), 500, "six seconds back");
        // Its slot is the next one now, cleared for the next second.
        peaks.sample(1007, 0);
        assert_eq!(peaks.max(), 30);
    }

    #[test]
    fn hard_limit_closes_at_once_and_zero_disables() {
        let h = handle();
        let hard = ObufLimit {
            hard: 100,
            ..ObufLimit::default()
        };
        assert!(!h.over_output_limit(99, &hard, 1000));
        assert!(h.over_output_limit(100, &hard, 1000));
        assert!(!h.over_output_limit(u64::MAX, &ObufLimit::default(), 1000));
    }
}
