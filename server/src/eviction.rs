//! maxmemory: evictions run before every command (Redis's
//! `performEvictions` in `processCommand`), background eviction from the
//! cron, and the replication memory eviction does not count.

use std::sync::Arc;
use std::time::Duration;

use engine::{Engine, EvictOutcome, EvictionConfig};

use crate::config::{Config, Settings};
use crate::state::clients::Kind;
use crate::state::memory::Limits;
use crate::state::Shared;
use crate::time::unix_ms;

/// How stale a used-memory reading may be (see
/// [`memstats::used_memory_recent`]): the command thread's own allocations
/// are always counted, other threads' within this delay.
const READING_MAX_AGE: Duration = Duration::from_millis(2);

/// The engine's eviction settings from the configuration.
pub fn eviction_config(s: &Settings) -> EvictionConfig {
    EvictionConfig {
        policy: s.maxmemory_policy,
        samples: s.maxmemory_samples as usize,
        lfu_log_factor: s.lfu_log_factor,
        lfu_decay_time: s.lfu_decay_time,
        maxmemory_set: s.maxmemory != 0,
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
    let tenacity = u64::from(s.maxmemory_eviction_tenacity);
    limits.set(s.maxmemory, s.replica_ignore_maxmemory, budget_us(tenacity));
}

/// Replication memory: the backlog, and what replicas' output buffers hold
/// beyond it (INFO's `mem_clients_slaves`). Stream bytes are shared by all
/// replicas, so the largest pending output counts, not their sum.
pub fn replication_memory(srv: &Shared) -> (u64, u64) {
    let st = srv.repl().state.lock();
    let backlog = st.master.backlog().map_or(0, |b| b.memory() as u64);
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
    srv.clients()
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
    let limits = &srv.maxmemory();
    let maxmemory = limits.maxmemory();
    if maxmemory == 0 || (limits.ignore_on_replica() && srv.repl().is_replica()) {
        return EvictOutcome::Ok;
    }
    let used = memstats::used_memory_recent(READING_MAX_AGE);
    // Paused clients keep the dataset as it is: nothing is evicted, and
    // nothing refused for memory (Redis's isSafeToPerformEvictions).
    if used <= maxmemory || srv.pause().is_on(unix_ms()) {
        return EvictOutcome::Ok;
    }
    let (_, replicas) = replication_memory(srv);
    let counted = used.saturating_sub(replicas);
    if counted <= maxmemory {
        return EvictOutcome::Ok;
    }
    let budget = limits.budget();
    let started = std::time::Instant::now();
    let outcome = eng.evict(counted - maxmemory, unix_ms(), budget);
    srv.latency()
        .add_if_needed("eviction-cycle", started.elapsed().as_millis() as u64);
    outcome
}

/// Keeps evicting from the cron while memory is over the limit (Redis's
/// eviction time proc, and after CONFIG SET lowers `maxmemory`).
pub fn cron(srv: &Arc<Shared>) {
    if srv.maxmemory().maxmemory() == 0 {
        return;
    }
    let mut eng = srv.engine().lock();
    perform_evictions(srv, &mut eng);
    crate::after::after_background_change(srv, &mut eng);
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
