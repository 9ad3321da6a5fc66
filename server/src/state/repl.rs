//! Replication state: our role, the replicas we feed, the link to our
//! master, and each connection's part in replication. What acts on it is in
//! the `replication` and `master_link` modules; the protocol itself is in
//! the `replication` crate.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use engine::persist::LoadStats;
use parking_lot::Mutex;
use replication::Master;
use tokio::sync::Notify;

use super::clients::Handle;

/// A full sync requested by PSYNC/SYNC, run once the request's batch is
/// answered.
#[derive(Debug, Clone, Copy)]
pub struct FullSync {
    /// PSYNC (answer `+FULLRESYNC`) rather than the old SYNC.
    pub psync: bool,
}

/// A connection's part in replication.
#[derive(Default)]
pub struct Peer {
    /// `REPLCONF listening-port` / `ip-address` / `capa` before PSYNC.
    pub listening_port: i32,
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
    pub fn name(self) -> &'static str {
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
    /// As the replica announced it (`REPLCONF listening-port`).
    pub port: i32,
    pub state: ReplicaState,
    pub ack_offset: i64,
    pub ack_time: Instant,
}

/// The link to our master, when we are a replica.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkState {
    Connect,
    Connecting,
    /// Connected, from PING to the answer to PSYNC (Redis's handshake
    /// states; ROLE shows `handshake`).
    Handshake,
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
    /// Woken when we become a replica of a new master: the link task
    /// starts on it.
    pub link_changed: Notify,
    /// Woken when a replica acknowledges an offset (WAIT).
    pub acked: Notify,
    /// `min-replicas-to-write` and `min-replicas-max-lag`, read per write.
    min_replicas: AtomicU64,
    /// The database our master's stream has selected, kept across
    /// reconnections and restarts (RDB aux `repl-stream-db`).
    pub master_db: AtomicUsize,
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
            link_changed: Notify::new(),
            acked: Notify::new(),
            min_replicas: AtomicU64::new(0),
            master_db: AtomicUsize::new(0),
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

    /// Replication id, offset and stream database to store in an RDB's
    /// aux fields.
    pub fn aux(&self) -> (String, i64, usize) {
        let st = self.state.lock();
        let db = self.master_db.load(Ordering::Relaxed);
        (st.master.replid().to_string(), st.master.offset(), db)
    }

    /// Takes the replication id and offset back from a loaded RDB, so a
    /// restarted server can still continue partially (Redis 4+), with a
    /// backlog of `backlog_size`. Returns whether it did (the stream then
    /// records writes from the start).
    pub fn restore_from_aux(&self, stats: &LoadStats, backlog_size: usize) -> bool {
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
            self.master_db.store(db, Ordering::Relaxed);
        }
        if id.len() != 40 {
            return false;
        }
        // With a backlog at that point, replicas of ours (or our master, if
        // we are a replica) can continue partially after the restart.
        self.state.lock().master.adopt(&id, offset, backlog_size);
        true
    }

    pub fn set_replica(&self, replica: bool) {
        self.is_replica.store(replica, Ordering::SeqCst);
    }

    pub fn set_link_up(&self, up: bool) {
        self.link_up.store(up, Ordering::Relaxed);
    }
}
