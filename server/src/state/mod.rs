//! The server's state, each part a type that owns its data, composed into
//! one [`Shared`] per process. Behaviour modules (services, commands,
//! connections) depend on these types; the types never depend on them.
//!
//! Lock order: the engine, then the replication state, then the other
//! parts' own locks (clients, pubsub, blocking, watchers), then the config.
//! No lock is held across an `.await`.

pub mod blocking;
pub mod clients;
pub mod counters;
pub mod latency;
pub mod memory;
pub mod monitor;
pub mod pause;
pub mod persistence;
pub mod pubsub;
pub mod repl;
pub mod scripts;
pub mod slowlog;
pub mod watch;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use engine::Engine;
use parking_lot::{MappedRwLockReadGuard, Mutex, RwLock, RwLockReadGuard};

use crate::config::{Config, Settings};
use crate::ops::OpsSampler;
use crate::time::unix_secs;

use blocking::Blocking;
use clients::Clients;
use counters::Counters;
use latency::Latency;
use memory::Limits;
use monitor::Monitors;
use pause::Pause;
use persistence::Persistence;
use pubsub::{Own, Registry};
use repl::Repl;
use scripts::Scripts;
use slowlog::SlowLog;
use watch::Watchers;

/// Everything shared; one per process, behind an `Arc`.
pub struct Shared {
    /// The keyspace. Locked once per pipelined batch and never across an
    /// `.await`, so writes are totally ordered, as replication needs.
    engine: Mutex<Engine>,
    config: RwLock<Config>,
    clients: Clients,
    counters: Counters,
    /// 40 hex characters identifying this run (INFO run_id).
    run_id: String,
    started: Instant,
    started_unix: u64,
    tcp_port: u16,
    shutdown: tokio::sync::watch::Sender<bool>,
    shutting_down: AtomicBool,
    ops: OpsSampler,
    watchers: Watchers,
    blocking: Blocking,
    persistence: Persistence,
    repl: Repl,
    pubsub: Registry,
    /// Highest used memory seen (INFO used_memory_peak).
    memory_peak: memstats::Peak,
    /// Used memory once initialised, before any client (used_memory_startup).
    memory_startup: u64,
    /// maxmemory settings read before every command.
    maxmemory: Limits,
    pause: Pause,
    slowlog: SlowLog,
    latency: Latency,
    monitors: Monitors,
    /// The EVAL Lua state and script cache.
    scripts: Scripts,
}

impl Shared {
    /// The state of a server about to serve `engine` with `config`.
    pub fn new(config: Config, engine: Engine, tcp_port: u16) -> Arc<Shared> {
        let repl = Repl::default();
        let s = config.settings();
        repl.set_min_replicas(s.min_replicas_to_write, s.min_replicas_max_lag);
        let (shutdown, _) = tokio::sync::watch::channel(false);
        let slowlog = SlowLog::default();
        let latency = Latency::default();
        configure_introspection(&slowlog, &latency, s);
        let counters = Counters::default();
        counters.set_latency_tracking(s.latency_tracking);
        Arc::new(Shared {
            engine: Mutex::new(engine),
            config: RwLock::new(config),
            clients: Clients::default(),
            counters,
            run_id: replication::random_hex(40),
            started: Instant::now(),
            started_unix: unix_secs(),
            tcp_port,
            shutdown,
            shutting_down: AtomicBool::new(false),
            ops: OpsSampler::default(),
            watchers: Watchers::default(),
            blocking: Blocking::default(),
            persistence: Persistence::default(),
            repl,
            pubsub: Registry::default(),
            memory_peak: memstats::Peak::new(),
            memory_startup: memstats::snapshot().used_memory(),
            maxmemory: Limits::default(),
            pause: Pause::default(),
            slowlog,
            latency,
            monitors: Monitors::default(),
            scripts: Scripts::default(),
        })
    }

    pub fn scripts(&self) -> &Scripts {
        &self.scripts
    }

    pub fn slowlog(&self) -> &SlowLog {
        &self.slowlog
    }

    pub fn latency(&self) -> &Latency {
        &self.latency
    }

    pub fn monitors(&self) -> &Monitors {
        &self.monitors
    }

    /// Applies the slow log's and the latency monitor's settings.
    pub fn configure_introspection(&self, s: &Settings) {
        configure_introspection(&self.slowlog, &self.latency, s);
        self.counters.set_latency_tracking(s.latency_tracking);
    }

    pub fn engine(&self) -> &Mutex<Engine> {
        &self.engine
    }

    pub fn config(&self) -> &RwLock<Config> {
        &self.config
    }

    /// The typed settings, read-locked for as long as the guard lives.
    pub fn settings(&self) -> MappedRwLockReadGuard<'_, Settings> {
        RwLockReadGuard::map(self.config.read(), Config::settings)
    }

    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    pub fn started(&self) -> Instant {
        self.started
    }

    pub fn started_unix(&self) -> u64 {
        self.started_unix
    }

    pub fn tcp_port(&self) -> u16 {
        self.tcp_port
    }

    pub fn ops(&self) -> &OpsSampler {
        &self.ops
    }

    pub fn watchers(&self) -> &Watchers {
        &self.watchers
    }

    pub fn blocking(&self) -> &Blocking {
        &self.blocking
    }

    pub fn persistence(&self) -> &Persistence {
        &self.persistence
    }

    pub fn repl(&self) -> &Repl {
        &self.repl
    }

    pub fn pubsub(&self) -> &Registry {
        &self.pubsub
    }

    pub fn memory_peak(&self) -> &memstats::Peak {
        &self.memory_peak
    }

    pub fn memory_startup(&self) -> u64 {
        self.memory_startup
    }

    pub fn maxmemory(&self) -> &Limits {
        &self.maxmemory
    }

    pub fn pause(&self) -> &Pause {
        &self.pause
    }

    /// Counts an error reply; `text` is the reply after its `-`.
    pub fn count_error(&self, text: &[u8]) {
        self.counters.count_error(text);
    }

    /// PUBLISH / SPUBLISH under the pubsub class's output buffer limit;
    /// returns how many clients received it.
    pub fn publish(
        &self,
        channel: &[u8],
        message: &[u8],
        shard: bool,
        own: Option<&mut Own>,
    ) -> usize {
        let limit = self.settings().client_output_buffer_limit.pubsub;
        self.pubsub.publish(channel, message, shard, limit, own)
    }

    /// Publishes the keyspace events the engine recorded.
    pub fn publish_keyspace_events(&self, eng: &mut Engine, own: Option<&mut Own>) {
        if !eng.has_notifications() {
            return;
        }
        let limit = self.settings().client_output_buffer_limit.pubsub;
        self.pubsub.publish_keyspace_events(eng, limit, own);
    }

    /// A receiver told when the server shuts down.
    pub fn shutdown_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
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

fn configure_introspection(slowlog: &SlowLog, latency: &Latency, s: &Settings) {
    slowlog.configure(s.slowlog_log_slower_than, s.slowlog_max_len);
    latency.configure(s.latency_monitor_threshold);
}
