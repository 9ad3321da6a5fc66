//! State shared by every connection: the engine, configuration, clients and
//! server-wide counters.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
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
    /// CLIENT PAUSE.
    pub pause: Pause,
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
            pause: Default::default(),
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

/// What CLIENT PAUSE holds back; ordered from least to most restrictive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PauseMode {
    Off = 0,
    /// Commands that may write or replicate.
    Write = 1,
    All = 2,
}

impl PauseMode {
    fn from_u8(v: u8) -> PauseMode {
        match v {
            0 => PauseMode::Off,
            1 => PauseMode::Write,
            _ => PauseMode::All,
        }
    }

    /// Whether a command (`write`: it may write or replicate) must wait.
    pub fn holds(self, write: bool) -> bool {
        self == PauseMode::All || (self == PauseMode::Write && write)
    }
}

/// The server-wide client pause (Redis's `pauseClients`, for the one
/// purpose CLIENT PAUSE has): a mode and its end. Connections postpone the
/// commands it holds and wait on [`Pause::lifted`]; active expiry and
/// eviction stand still while any pause is on.
#[derive(Default)]
pub struct Pause {
    /// The mode in force: the hot path's one relaxed load.
    mode: AtomicU8,
    /// Unix ms after which the pause is over; written with `mode` under
    /// this lock.
    end: Mutex<i64>,
    /// Woken when the pause is lifted or changes.
    changed: tokio::sync::Notify,
    /// Clients with a command held back (INFO counts them as blocked).
    held: AtomicUsize,
}

impl Pause {
    /// Whether a pause may be on (it may also have just run out): cheap,
    /// for the hot path to skip everything else.
    pub fn maybe_on(&self) -> bool {
        self.mode.load(Ordering::Relaxed) != PauseMode::Off as u8
    }

    /// CLIENT PAUSE: a pause already on keeps its mode and end when they
    /// are more restrictive or later (so `PAUSE 0 ALL` during a WRITE pause
    /// makes it ALL until its end, as in Redis).
    pub fn start(&self, mode: PauseMode, end: i64, now: i64) {
        let mut cur_end = self.end.lock();
        let cur = PauseMode::from_u8(self.mode.load(Ordering::Relaxed));
        let (mode, end) = match cur {
            PauseMode::Off => (mode, end),
            _ => (cur.max(mode), (*cur_end).max(end)),
        };
        let mode = if end < now { PauseMode::Off } else { mode };
        *cur_end = end;
        self.mode.store(mode as u8, Ordering::Relaxed);
        drop(cur_end);
        self.changed.notify_waiters();
    }

    /// CLIENT UNPAUSE.
    pub fn stop(&self) {
        let _end = self.end.lock();
        self.mode.store(PauseMode::Off as u8, Ordering::Relaxed);
        self.changed.notify_waiters();
    }

    /// The mode in force at `now`, ending a pause whose time is up
    /// (Redis's `checkClientPauseTimeoutAndReturnIfPaused`).
    pub fn mode(&self, now: i64) -> PauseMode {
        if !self.maybe_on() {
            return PauseMode::Off;
        }
        let end = self.end.lock();
        let mode = PauseMode::from_u8(self.mode.load(Ordering::Relaxed));
        if mode != PauseMode::Off && *end < now {
            self.mode.store(PauseMode::Off as u8, Ordering::Relaxed);
            drop(end);
            self.changed.notify_waiters();
            return PauseMode::Off;
        }
        mode
    }

    /// A client's command is held back (`true`) or no longer (`false`).
    pub fn hold(&self, held: bool) {
        if held {
            self.held.fetch_add(1, Ordering::Relaxed);
        } else {
            self.held.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Clients whose command a pause holds back.
    pub fn held_clients(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// Whether any pause is on now: the dataset then stays as it is.
    pub fn is_on(&self, now: i64) -> bool {
        self.mode(now) != PauseMode::Off
    }

    /// Resolves once a command (`write`: it may write or replicate) is no
    /// longer held: on UNPAUSE, or when the pause's time is up.
    pub async fn lifted(&self, write: bool) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before the check, so a change in between wakes it.
            changed.as_mut().enable();
            let now = unix_ms();
            if !self.mode(now).holds(write) {
                return;
            }
            let left = (*self.end.lock() - now).max(0) as u64 + 1;
            tokio::select! {
                _ = changed => {}
                _ = tokio::time::sleep(std::time::Duration::from_millis(left)) => {}
            }
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
