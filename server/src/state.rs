//! State shared by every connection: the engine, configuration, clients and
//! server-wide counters.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use engine::Engine;
use parking_lot::{Mutex, RwLock};

use crate::clients::Clients;
use crate::config::Config;

/// Counters shown by INFO stats that are not the engine's.
#[derive(Default)]
pub struct Counters {
    pub connections_received: AtomicU64,
    pub commands_processed: AtomicU64,
    pub net_input_bytes: AtomicU64,
    pub net_output_bytes: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub unexpected_error_replies: AtomicU64,
    pub total_error_replies: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&self) {
        for c in [
            &self.connections_received,
            &self.commands_processed,
            &self.net_input_bytes,
            &self.net_output_bytes,
            &self.rejected_connections,
            &self.unexpected_error_replies,
            &self.total_error_replies,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// Everything shared; one per process, behind an `Arc`.
pub struct Shared {
    /// The keyspace. Locked once per pipelined batch and never across an
    /// `.await`, so writes are totally ordered, as replication needs.
    pub engine: Mutex<Engine>,
    pub config: RwLock<Config>,
    pub clients: Clients,
    pub counters: Counters,
    /// 40 hex characters identifying this run (INFO run_id).
    pub run_id: String,
    pub started: Instant,
    pub started_unix: u64,
    pub tcp_port: u16,
    pub shutdown: tokio::sync::watch::Sender<bool>,
    pub shutting_down: AtomicBool,
    pub ops: crate::ops::OpsSampler,
    pub watchers: crate::commands::multi::Watchers,
    pub blocking: crate::blocking::Blocking,
    pub persistence: crate::persistence::Persistence,
    pub repl: crate::replication::Repl,
    pub pubsub: crate::commands::pubsub::Registry,
    /// Highest used memory seen (INFO used_memory_peak).
    pub memory_peak: memstats::Peak,
    /// Used memory once initialised, before any client (used_memory_startup).
    pub memory_startup: u64,
    /// maxmemory settings read before every command.
    pub maxmemory: crate::maxmemory::Limits,
    /// Error replies by code, for INFO errorstats.
    pub errorstats: parking_lot::Mutex<std::collections::BTreeMap<String, u64>>,
}

impl Shared {
    pub fn new(config: Config, tcp_port: u16) -> Arc<Shared> {
        let databases = config.settings().databases as usize;
        let mut engine = Engine::new(databases);
        engine.limits = crate::apply::engine_limits(config.settings());
        engine.rdb_compression = config.settings().rdbcompression;
        engine.set_notify_flags(config.settings().notify_keyspace_events);
        let repl = crate::replication::Repl::default();
        let s = config.settings();
        repl.set_min_replicas(s.min_replicas_to_write, s.min_replicas_max_lag);
        let (shutdown, _) = tokio::sync::watch::channel(false);
        Arc::new(Shared {
            engine: Mutex::new(engine),
            config: RwLock::new(config),
            clients: Clients::default(),
            counters: Counters::default(),
            run_id: random_hex(40),
            started: Instant::now(),
            started_unix: unix_secs(),
            tcp_port,
            shutdown,
            shutting_down: AtomicBool::new(false),
            ops: crate::ops::OpsSampler::default(),
            watchers: Default::default(),
            blocking: Default::default(),
            persistence: Default::default(),
            repl,
            pubsub: Default::default(),
            memory_peak: memstats::Peak::new(),
            memory_startup: memstats::snapshot().used_memory(),
            errorstats: Default::default(),
            maxmemory: Default::default(),
        })
    }

    /// Counts an error reply; `text` is the reply after its `-`.
    pub fn count_error(&self, text: &[u8]) {
        let code = text
            .split(|&b| b == b' ' || b == b'\r')
            .next()
            .unwrap_or_default();
        Counters::add(&self.counters.total_error_replies, 1);
        let code = String::from_utf8_lossy(code).into_owned();
        *self.errorstats.lock().entry(code).or_default() += 1;
    }

    /// Asks every task to stop; the main task then exits the process.
    pub fn request_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        let _ = self.shutdown.send(true);
        // Connections watch only their own kill signal (cheaper per loop).
        for client in self.clients.all() {
            client.kill();
        }
    }
}

pub fn random_hex(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).expect("hex digit"))
        .collect()
}

pub fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

pub fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as i64
}
