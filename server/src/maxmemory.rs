//! maxmemory: the check made before every command (Redis's
//! `performEvictions` in `processCommand`), background eviction from the
//! cron, and the replication memory eviction does not count.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use engine::command::flags::DENYOOM;
use engine::{Engine, EvictOutcome, EvictionConfig, Policy};

use crate::clients::Kind;
use crate::commands::{EngineLock, Resolved};
use crate::config::{Config, MaxmemoryPolicy, Settings};
use crate::session::Session;
use crate::state::{unix_ms, Shared};

pub const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";
const EXEC_OOM: &str =
    "EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.";

/// How stale a used-memory reading may be (see
/// [`memstats::used_memory_recent`]): the command thread's own allocations
/// are always counted, other threads' within this delay.
const READING_MAX_AGE: Duration = Duration::from_millis(2);

/// The maxmemory settings the hot path reads without locking the config.
#[derive(Default)]
pub struct Limits {
    /// `maxmemory` in bytes; 0 disables the whole mechanism.
    maxmemory: AtomicU64,
    /// `replica-ignore-maxmemory`: a replica mirrors its master instead.
    ignore_on_replica: AtomicBool,
    /// Time one eviction run may take (`maxmemory-eviction-tenacity`).
    budget_us: AtomicU64,
}

impl Limits {
    pub fn maxmemory(&self) -> u64 {
        self.maxmemory.load(Ordering::Relaxed)
    }
}

/// The engine's eviction settings from the configuration.
pub fn eviction_config(s: &Settings) -> EvictionConfig {
    EvictionConfig {
        policy: match s.maxmemory_policy {
            MaxmemoryPolicy::VolatileLru => Policy::VolatileLru,
            MaxmemoryPolicy::VolatileLfu => Policy::VolatileLfu,
            MaxmemoryPolicy::VolatileRandom => Policy::VolatileRandom,
            MaxmemoryPolicy::VolatileTtl => Policy::VolatileTtl,
            MaxmemoryPolicy::AllkeysLru => Policy::AllkeysLru,
            MaxmemoryPolicy::AllkeysLfu => Policy::AllkeysLfu,
            MaxmemoryPolicy::AllkeysRandom => Policy::AllkeysRandom,
            MaxmemoryPolicy::NoEviction => Policy::NoEviction,
        },
        samples: s.maxmemory_samples as usize,
        lfu_log_factor: s.lfu_log_factor,
        lfu_decay_time: s.lfu_decay_time,
    }
}

/// Redis's `evictionTimeLimitUs`: linear up to 500 µs at tenacity 10, then
/// 15% more per step, unlimited at 100.
fn budget_us(tenacity: u64) -> u64 {
    match tenacity {
        0..=10 => 50 * tenacity,
        11..=99 => (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64,
        _ => u64::MAX,
    }
}

/// Applies the memory directives to the engine and the hot-path limits
/// (at start-up and after CONFIG SET).
pub fn configure(limits: &Limits, cfg: &Config, eng: &mut Engine) {
    let s = cfg.settings();
    eng.configure_eviction(eviction_config(s));
    let value = |name: &[u8]| cfg.get(&[name]).pop().map(|(_, v)| v);
    let ignore = value(b"replica-ignore-maxmemory").as_deref() != Some("no");
    let tenacity = value(b"maxmemory-eviction-tenacity")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    limits.maxmemory.store(s.maxmemory, Ordering::Relaxed);
    limits.ignore_on_replica.store(ignore, Ordering::Relaxed);
    limits
        .budget_us
        .store(budget_us(tenacity), Ordering::Relaxed);
}

/// Whether a changed directive is one [`configure`] applies.
pub fn is_memory_directive(name: &str) -> bool {
    matches!(
        name,
        "maxmemory"
            | "maxmemory-policy"
            | "maxmemory-samples"
            | "maxmemory-eviction-tenacity"
            | "lfu-log-factor"
            | "lfu-decay-time"
            | "replica-ignore-maxmemory"
    )
}

/// Replication memory: the backlog, and what replicas' output buffers hold
/// beyond it (INFO's `mem_clients_slaves`). Stream bytes are shared by all
/// replicas, so the largest pending output counts, not their sum.
pub fn replication_memory(srv: &Shared) -> (u64, u64) {
    let st = srv.repl.state.lock();
    let backlog = st.master.backlog().map_or(0, |b| b.size() as u64);
    let replicas = st
        .replicas
        .iter()
        .map(|r| r.handle.pending() as u64)
        .max()
        .unwrap_or(0);
    (backlog, replicas)
}

/// Query and output buffers of clients other than replicas.
pub fn normal_clients_memory(srv: &Shared) -> u64 {
    srv.clients
        .all()
        .iter()
        .map(|h| {
            let i = h.info.lock();
            match i.kind {
                Kind::Replica => 0,
                _ => (i.qbuf + i.obuf) as u64,
            }
        })
        .sum()
}

/// Evicts while used memory (minus replica output buffers) is above
/// `maxmemory`. Returns `Fail` when memory is over the limit and nothing
/// more can go, as Redis's `performEvictions`.
pub fn perform_evictions(srv: &Shared, eng: &mut Engine) -> EvictOutcome {
    let limits = &srv.maxmemory;
    let maxmemory = limits.maxmemory();
    if maxmemory == 0 || (limits.ignore_on_replica.load(Ordering::Relaxed) && srv.repl.is_replica())
    {
        return EvictOutcome::Ok;
    }
    let used = memstats::used_memory_recent(READING_MAX_AGE);
    // Paused clients keep the dataset as it is: nothing is evicted, and
    // nothing refused for memory (Redis's isSafeToPerformEvictions).
    if used <= maxmemory || srv.pause.is_on(unix_ms()) {
        return EvictOutcome::Ok;
    }
    let (_, replicas) = replication_memory(srv);
    let counted = used.saturating_sub(replicas);
    if counted <= maxmemory {
        return EvictOutcome::Ok;
    }
    let budget = Duration::from_micros(limits.budget_us.load(Ordering::Relaxed));
    eng.evict(counted - maxmemory, unix_ms(), budget)
}

/// The OOM refusal of a command about to run or be queued, with Redis's
/// `processCommand` rules: evictions happen first, for every command; if
/// memory is still over the limit, `denyoom` commands are refused (EXEC if
/// it queued one), and inside MULTI anything but EXEC, DISCARD, QUIT and
/// RESET, since queueing itself takes memory. Free (one atomic load)
/// without a `maxmemory`.
pub fn refuse(
    srv: &Shared,
    session: &mut Session,
    engine: &mut EngineLock,
    found: Resolved,
) -> Option<&'static str> {
    // Our master's stream is applied as it comes, whatever our memory.
    if srv.maxmemory.maxmemory() == 0 || session.repl.is_master {
        return None;
    }
    let outcome = perform_evictions(srv, engine.get());
    if outcome != EvictOutcome::Fail {
        return None;
    }
    match found.entry.name() {
        "exec" => {
            let queued = session.multi.as_ref().map_or(0, |tx| tx.flags());
            if queued & DENYOOM == 0 {
                return None;
            }
            // Redis's execCommandAbort: the transaction is discarded.
            session.multi = None;
            crate::commands::multi::unwatch_all(srv, session, engine.get());
            Some(EXEC_OOM)
        }
        "discard" | "quit" | "reset" => None,
        _ => (session.multi.is_some() || found.flags() & DENYOOM != 0).then_some(OOM),
    }
}

/// Keeps evicting from the cron while memory is over the limit (Redis's
/// eviction time proc, and after CONFIG SET lowers `maxmemory`).
pub fn cron(srv: &Arc<Shared>) {
    if srv.maxmemory.maxmemory() == 0 {
        return;
    }
    let mut eng = srv.engine.lock();
    perform_evictions(srv, &mut eng);
    crate::commands::multi::invalidate_watchers(srv, &mut eng);
    crate::commands::pubsub::publish_keyspace_events(srv, &mut eng, None);
    crate::replication::feed(srv, &mut eng);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenacity_to_time_limit() {
        assert_eq!(budget_us(0), 0);
        assert_eq!(budget_us(10), 500);
        assert_eq!(budget_us(11), 575);
        assert!((110_000_000..130_000_000).contains(&budget_us(99)));
        assert_eq!(budget_us(100), u64::MAX);
    }
}
