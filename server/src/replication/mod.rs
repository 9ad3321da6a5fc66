//! Replication wired into the server: roles, the replicas we feed, the link
//! to our master, INFO replication and the replication commands. The
//! protocol itself is in the `replication` crate.
//!
//! Lock order: the engine, then the replication state. Writes reach the
//! stream in [`feed`], called with the engine locked right after each
//! command, so the stream order is the execution order.

mod commands;
mod master_side;
mod replica_side;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use engine::persist::LoadStats;
use engine::Engine;
use parking_lot::Mutex;
use replication::Master;
use tokio::sync::Notify;

use crate::clients::Handle;
use crate::log::log;
use crate::state::Shared;

pub use commands::{commands, info};
pub use master_side::{full_sync, FullSync};
pub use replica_side::start_link;

/// A connection's part in replication.
#[derive(Default)]
pub struct Peer {
    /// `REPLCONF listening-port` / `ip-address` / `capa` before PSYNC.
    pub listening_port: u16,
    pub announced_ip: Option<String>,
    pub capa_eof: bool,
    pub capa_psync2: bool,
    /// The client is one of our replicas: its commands get no replies.
    pub is_replica: bool,
    /// The client is our master's link: its commands see expired keys
    /// and may write on a read-only replica.
    pub is_master: bool,
    /// A full sync to run once the current batch is answered.
    pub full_sync: Option<FullSync>,
    /// After a diskless transfer the replica cannot tell where the RDB's
    /// end mark stops and the stream starts if they arrive together, so,
    /// like Redis, the stream waits for the replica's first REPLCONF ACK.
    pub hold_stream_until_ack: bool,
}

/// A WAIT waiting for acknowledgements.
#[derive(Debug, Clone, Copy)]
pub struct WaitFor {
    pub offset: i64,
    pub replicas: usize,
    /// Unix ms; `None` waits forever.
    pub deadline: Option<i64>,
}

/// State of one replica we feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaState {
    WaitBgsave,
    SendBulk,
    Online,
}

impl ReplicaState {
    fn name(self) -> &'static str {
        match self {
            ReplicaState::WaitBgsave => "wait_bgsave",
            ReplicaState::SendBulk => "send_bulk",
            ReplicaState::Online => "online",
        }
    }
}

pub struct Replica {
    pub handle: Arc<Handle>,
    pub ip: String,
    pub port: u16,
    pub state: ReplicaState,
    pub ack_offset: i64,
    pub ack_time: Instant,
}

/// The link to our master, when we are a replica.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkState {
    Connect,
    Connecting,
    Sync,
    Connected,
}

pub struct Link {
    pub host: String,
    pub port: u16,
    pub state: LinkState,
    pub last_io: Instant,
    pub down_since: Instant,
    /// Bytes of the current RDB transfer (total when known, read so far).
    pub sync_total: Option<usize>,
    pub sync_read: usize,
    /// The master link's client, to kill it on REPLICAOF changes.
    pub client: Option<Arc<Handle>>,
}

#[derive(Default)]
pub struct Stats {
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
}

pub struct State {
    pub master: Master,
    pub link: Option<Link>,
    pub replicas: Vec<Replica>,
    pub stats: Stats,
    /// When the last replica left (for repl-backlog-ttl).
    pub no_replicas_since: Option<Instant>,
    pub last_ping: Instant,
}

/// Everything replication keeps in the server.
pub struct Repl {
    pub state: Mutex<State>,
    /// Whether we are a replica (read on every write for READONLY).
    is_replica: AtomicBool,
    /// Whether the link to our master is up (for replica-serve-stale-data).
    link_up: AtomicBool,
    /// Bumped on every REPLICAOF so old link tasks stop.
    pub generation: AtomicU64,
    /// Woken when a replica acknowledges an offset (WAIT).
    pub acked: Notify,
    /// `min-replicas-to-write` and `min-replicas-max-lag`, read per write.
    min_replicas: AtomicU64,
    /// The database our master's stream has selected, kept across
    /// reconnections and restarts (RDB aux `repl-stream-db`).
    pub master_db: std::sync::atomic::AtomicUsize,
    /// A swapdb full sync is loading while the old data is served (INFO
    /// persistence `async_loading`).
    pub async_loading: AtomicBool,
}

impl Default for Repl {
    fn default() -> Self {
        Repl {
            state: Mutex::new(State {
                master: Master::default(),
                link: None,
                replicas: Vec::new(),
                stats: Stats::default(),
                no_replicas_since: None,
                last_ping: Instant::now(),
            }),
            is_replica: AtomicBool::new(false),
            link_up: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            acked: Notify::new(),
            min_replicas: AtomicU64::new(0),
            master_db: std::sync::atomic::AtomicUsize::new(0),
            async_loading: AtomicBool::new(false),
        }
    }
}

impl Repl {
    pub fn is_replica(&self) -> bool {
        self.is_replica.load(Ordering::Relaxed)
    }

    pub fn link_up(&self) -> bool {
        self.link_up.load(Ordering::Relaxed)
    }

    pub fn set_min_replicas(&self, count: u32, max_lag: u32) {
        self.min_replicas.store(
            u64::from(count) << 32 | u64::from(max_lag),
            Ordering::Relaxed,
        );
    }

    /// Whether too few replicas are fresh enough to accept a write
    /// (`min-replicas-to-write`, `min-replicas-max-lag`).
    pub fn too_few_replicas(&self) -> bool {
        let packed = self.min_replicas.load(Ordering::Relaxed);
        let (count, max_lag) = ((packed >> 32) as usize, packed & 0xffff_ffff);
        if count == 0 || max_lag == 0 {
            return false;
        }
        let st = self.state.lock();
        let good = st
            .replicas
            .iter()
            .filter(|r| {
                r.state == ReplicaState::Online && r.ack_time.elapsed().as_secs() <= max_lag
            })
            .count();
        good < count
    }

    fn set_link_up(&self, up: bool) {
        self.link_up.store(up, Ordering::Relaxed);
    }
}

/// Appends the writes the engine recorded to the stream and hands them to
/// every replica. Called with the engine locked after each command.
pub fn feed(srv: &Shared, eng: &mut Engine) {
    if eng.propagated_len() == 0 {
        return;
    }
    let writes = eng.take_propagated();
    let mut st = srv.repl.state.lock();
    let bytes = st.master.feed(&writes);
    send_to_replicas(&st, bytes);
}

/// Sends stream bytes to every replica past its snapshot point, closing
/// those whose output buffer it takes over the replica class's limit.
fn send_to_replicas(st: &State, bytes: bytes::Bytes) {
    if bytes.is_empty() {
        return;
    }
    for r in &st.replicas {
        if r.state != ReplicaState::WaitBgsave {
            r.handle.send_stream(bytes.clone());
        }
    }
}

/// Appends raw stream bytes (PING, GETACK, our master's relayed stream).
pub fn feed_raw(srv: &Shared, bytes: bytes::Bytes) {
    let mut st = srv.repl.state.lock();
    st.master.feed_raw(&bytes);
    send_to_replicas(&st, bytes);
}

/// Replication id, offset and stream database to store in an RDB's aux
/// fields.
pub fn aux(srv: &Shared) -> Option<(String, i64, usize)> {
    let st = srv.repl.state.lock();
    let db = srv.repl.master_db.load(Ordering::Relaxed);
    Some((st.master.replid().to_string(), st.master.offset(), db))
}

/// Takes the replication id and offset back from a loaded RDB, so a
/// restarted server can still continue partially (Redis 4+). Returns
/// whether it did (the stream then records writes from the start).
pub fn restore_from_aux(srv: &Shared, stats: &LoadStats) -> bool {
    let (Some(id), Some(offset)) = (stats.aux(b"repl-id"), stats.aux(b"repl-offset")) else {
        return false;
    };
    let id = String::from_utf8_lossy(id).into_owned();
    let Ok(offset) = String::from_utf8_lossy(offset).parse::<i64>() else {
        return false;
    };
    if let Some(db) = stats
        .aux(b"repl-stream-db")
        .and_then(|d| String::from_utf8_lossy(d).parse().ok())
    {
        srv.repl.master_db.store(db, Ordering::Relaxed);
    }
    if id.len() == 40 {
        // With a backlog at that point, replicas of ours (or our master, if
        // we are a replica) can continue partially after the restart.
        let size = srv.config.read().settings().repl_backlog_size as usize;
        srv.repl.state.lock().master.adopt(&id, offset, size);
        return true;
    }
    false
}

/// Forgets a closing connection that was one of our replicas.
pub fn forget_replica(srv: &Shared, id: u64) {
    let mut st = srv.repl.state.lock();
    let before = st.replicas.len();
    st.replicas.retain(|r| r.handle.id != id);
    if st.replicas.len() != before {
        log!(Notice, "Connection with replica client id #{id} lost.");
        if st.replicas.is_empty() {
            st.no_replicas_since = Some(Instant::now());
        }
    }
}

/// Number of replicas whose acknowledged offset reached `offset`.
pub fn acked(srv: &Shared, offset: i64) -> usize {
    let st = srv.repl.state.lock();
    st.replicas
        .iter()
        .filter(|r| r.state == ReplicaState::Online && r.ack_offset >= offset)
        .count()
}

/// Periodic work: PING replicas, drop silent ones, expire the backlog.
pub fn cron(srv: &Arc<Shared>) {
    let (period, timeout, ttl) = {
        let cfg = srv.config.read();
        let s = cfg.settings();
        (
            s.repl_ping_replica_period.max(1),
            s.repl_timeout.max(1),
            s.repl_backlog_ttl,
        )
    };
    let mut eng = srv.engine.lock();
    feed(srv, &mut eng);
    let mut st = srv.repl.state.lock();
    let has_replicas = !st.replicas.is_empty();
    if has_replicas
        && !srv.repl.is_replica()
        && st.last_ping.elapsed().as_secs() >= u64::from(period)
    {
        st.last_ping = Instant::now();
        let mut ping = bytes::BytesMut::new();
        replication::encode_command(&mut ping, &["PING"]);
        st.master.feed_raw(&ping);
        send_to_replicas(&st, ping.freeze());
    }
    for r in &st.replicas {
        if r.state == ReplicaState::Online && r.ack_time.elapsed().as_secs() > u64::from(timeout) {
            log!(
                Warning,
                "Disconnecting timedout replica (streaming sync): {}:{}",
                r.ip,
                r.port
            );
            r.handle.kill();
        }
    }
    if !has_replicas && !srv.repl.is_replica() && ttl > 0 {
        if let Some(since) = st.no_replicas_since {
            if since.elapsed().as_secs() >= ttl && st.master.backlog().is_some() {
                st.master.free_backlog();
                eng.set_recording(false);
                log!(
                    Notice,
                    "Replication backlog freed after {ttl} seconds without connected replicas."
                );
            }
        }
    }
}
