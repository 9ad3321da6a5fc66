//! Periodic work, like Redis's `serverCron`: active expiry, metrics and
//! client output buffer limits.

use std::sync::Arc;
use std::time::Duration;

use crate::state::counters::Counters;
use crate::state::Shared;
use crate::time::unix_ms;

pub async fn run(srv: Arc<Shared>) {
    let mut shutdown = srv.shutdown_signal();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        // A running script holds the keyspace: this tick waits for nothing
        // (a worker blocked here could not serve clients their BUSY).
        if srv.scripts().status().running_for_ms().is_some() {
            continue;
        }
        let hz = srv.settings().hz.clamp(1, 500) as u64;
        // Redis spends at most 25% of each 1/hz period expiring keys.
        let budget = Duration::from_micros(1_000_000 / hz / 4);
        // While clients are paused the dataset stands still: no expiry
        // deletes (replicas would see them), as Redis's activeExpireCycle.
        if !srv.pause().is_on(unix_ms()) {
            let mut eng = srv.engine().lock();
            if eng.active_expire {
                let started = std::time::Instant::now();
                eng.active_expire_cycle(unix_ms(), budget);
                srv.latency()
                    .add_if_needed("expire-cycle", started.elapsed().as_millis() as u64);
            }
            crate::after::after_background_change(&srv, &mut eng);
        }
        crate::eviction::cron(&srv);
        srv.memory_peak()
            .observe(memstats::snapshot().used_memory());
        crate::persistence::check_save_points(&srv);
        crate::replication::cron(&srv);
        let (limits, backlog_size) = {
            let cfg = srv.config().read();
            let s = cfg.settings();
            (s.client_output_buffer_limit, s.repl_backlog_size)
        };
        srv.clients().enforce_output_limits(&limits, backlog_size);
        let c = &srv.counters();
        srv.ops().sample(
            unix_ms(),
            Counters::get(&c.commands_processed),
            Counters::get(&c.net_input_bytes),
            Counters::get(&c.net_output_bytes),
        );
    }
}
