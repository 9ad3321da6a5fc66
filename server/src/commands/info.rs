//! INFO: Redis 7.0's sections, fields and layout.

use std::fmt::Write;

use engine::command::flags::*;
use engine::command::{CommandDef, Group};
use engine::Result;

use super::{cmd, Call, ServerHandler};
use crate::state::counters::Counters;
use crate::state::Shared;
use crate::time::unix_ms;

pub(super) fn commands() -> Vec<CommandDef<ServerHandler>> {
    vec![cmd("info", -1, LOADING | STALE | SENTINEL, info).doc(
        Group::Server,
        "1.0.0",
        "Returns information and statistics about the server.",
    )]
}

/// What INFO reads: the server and, when this thread may lock it, the
/// engine (a crash report rendered while the engine is locked has none).
pub struct Ctx<'a> {
    pub srv: &'a Shared,
    pub eng: Option<&'a engine::Engine>,
}

type Section = fn(&Ctx, &mut String);

/// Sections in output order: name, part of `default`, generator.
const SECTIONS: &[(&str, bool, Section)] = &[
    ("server", true, server),
    ("clients", true, clients),
    ("memory", true, memory),
    ("persistence", true, persistence),
    ("stats", true, stats),
    ("replication", true, replication),
    ("cpu", true, cpu),
    ("modules", true, modules),
    ("commandstats", false, commandstats),
    ("errorstats", true, errorstats),
    ("latencystats", false, latencystats),
    ("cluster", true, cluster),
    ("keyspace", true, keyspace),
];

fn info(call: &mut Call) -> Result<()> {
    // Commandstats count the commands before this one in its batch, as in
    // Redis.
    super::settle_stats(call.srv, call.session);
    let wanted: Vec<String> = call.args[1..]
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_lowercase())
        .collect();
    let srv = call.srv;
    let eng = call.engine.get();
    let text = render(
        &Ctx {
            srv,
            eng: Some(eng),
        },
        &wanted,
    );
    call.w().verbatim(b"txt", text.as_bytes());
    Ok(())
}

/// The INFO text for the requested section names (empty = `default`).
pub fn render(cx: &Ctx, wanted: &[String]) -> String {
    let all = wanted.iter().any(|w| w == "all" || w == "everything");
    let default = wanted.is_empty() || wanted.iter().any(|w| w == "default");
    let mut text = String::new();
    for (name, in_default, section) in SECTIONS {
        let chosen = all || (default && *in_default) || wanted.iter().any(|w| w == name);
        if !chosen {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        let title = match *name {
            "cpu" => "CPU".to_string(),
            n => format!("{}{}", n[..1].to_uppercase(), &n[1..]),
        };
        let _ = write!(text, "# {title}\r\n");
        section(cx, &mut text);
    }
    text
}

/// Appends `name:value\r\n`.
fn field(text: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = write!(text, "{name}:{value}\r\n");
}

fn server(cx: &Ctx, t: &mut String) {
    let srv = cx.srv;
    let uptime = srv.started().elapsed().as_secs();
    let cfg = srv.config().read();
    let s = cfg.settings();
    let uname = uname();
    field(t, "redis_version", crate::REDIS_VERSION);
    field(t, "redust_version", crate::REDUST_VERSION);
    field(t, "redis_git_sha1", "00000000");
    field(t, "redis_git_dirty", 0);
    field(t, "redis_build_id", "0");
    field(t, "redis_mode", "standalone");
    field(t, "os", uname);
    field(t, "arch_bits", 64);
    field(t, "monotonic_clock", "POSIX clock_gettime");
    field(t, "multiplexing_api", "epoll");
    field(t, "atomicvar_api", "c11-builtin");
    field(t, "gcc_version", "0.0.0");
    field(t, "process_id", std::process::id());
    field(t, "process_supervised", "no");
    field(t, "run_id", srv.run_id());
    field(t, "tcp_port", srv.tcp_port());
    field(t, "server_time_usec", unix_ms() * 1000);
    field(t, "uptime_in_seconds", uptime);
    field(t, "uptime_in_days", uptime / 86400);
    field(t, "hz", s.hz);
    field(t, "configured_hz", s.hz);
    field(t, "lru_clock", (unix_ms() / 1000) & ((1 << 24) - 1));
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    field(t, "executable", exe);
    field(
        t,
        "config_file",
        cfg.config_file()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    );
    field(t, "io_threads_active", 0);
}

fn uname() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    format!(
        "{} {} {}",
        read("/proc/sys/kernel/ostype"),
        read("/proc/sys/kernel/osrelease"),
        std::env::consts::ARCH
    )
}

fn clients(cx: &Ctx, t: &mut String) {
    let srv = cx.srv;
    // Redis counts replicas apart (connected_slaves).
    let replicas = srv.repl().state.lock().replicas.len();
    field(
        t,
        "connected_clients",
        srv.clients().len().saturating_sub(replicas),
    );
    field(t, "cluster_connections", 0);
    field(t, "maxclients", srv.settings().maxclients);
    field(t, "client_recent_max_input_buffer", 0);
    field(
        t,
        "client_recent_max_output_buffer",
        srv.clients().recent_max_output(),
    );
    // Like Redis, clients a CLIENT PAUSE holds back count as blocked.
    field(
        t,
        "blocked_clients",
        srv.blocking().len() + srv.pause().held_clients(),
    );
    field(t, "tracking_clients", 0);
    field(t, "clients_in_timeout_table", 0);
}

fn memory(cx: &Ctx, t: &mut String) {
    let snap = memstats::snapshot();
    let inputs = memory_inputs(cx, &snap);
    // memstats writes the whole section, header included.
    let section = memstats::info_memory(&inputs, &snap);
    t.push_str(section.trim_start_matches("# Memory\r\n"));
}

/// What INFO memory, MEMORY STATS and eviction need from the server.
pub fn memory_inputs(cx: &Ctx, snap: &memstats::Snapshot) -> memstats::InfoInputs {
    let srv = cx.srv;
    let (maxmemory, policy) = {
        let cfg = srv.config().read();
        let s = cfg.settings();
        (s.maxmemory, s.maxmemory_policy.name().to_owned())
    };
    let dataset_overhead = cx.eng.map_or(0, |eng| {
        (0..eng.databases())
            .map(|i| {
                let (keys, expires) = eng.db(i).table_bytes();
                (keys + expires) as u64
            })
            .sum()
    });
    let (backlog, replicas) = crate::eviction::replication_memory(srv);
    let scripts = srv.scripts().memory();
    memstats::InfoInputs {
        used_memory_startup: srv.memory_startup(),
        peak: srv.memory_peak().observe(snap.used_memory()),
        maxmemory,
        maxmemory_policy: policy,
        dataset_overhead,
        mem_replication_backlog: backlog,
        mem_clients_slaves: replicas,
        mem_total_replication_buffers: backlog + replicas,
        mem_clients_normal: crate::eviction::normal_clients_memory(srv),
        used_memory_vm_eval: scripts.lua,
        used_memory_scripts_eval: scripts.scripts,
        number_of_cached_scripts: scripts.count,
        used_memory_vm_functions: scripts.functions_lua,
        number_of_functions: scripts.functions,
        number_of_libraries: scripts.libraries,
        ..memstats::InfoInputs::default()
    }
}

fn persistence(cx: &Ctx, t: &mut String) {
    let dirty = cx.eng.map_or(0, |e| e.dirty());
    let st = cx.srv.persistence().status.lock();
    field(t, "loading", 0);
    let async_loading = cx
        .srv
        .repl()
        .async_loading
        .load(std::sync::atomic::Ordering::Relaxed);
    field(t, "async_loading", u8::from(async_loading));
    // Copies are only freed when the snapshot ends: size and peak agree.
    let cow = st.cow_base.map_or(0, |base| {
        engine::snapshot::copied_bytes().saturating_sub(base)
    });
    field(t, "current_cow_peak", cow);
    field(t, "current_cow_size", cow);
    field(t, "current_cow_size_age", 0);
    field(t, "current_fork_perc", "0.00");
    field(t, "current_save_keys_processed", 0);
    field(t, "current_save_keys_total", 0);
    field(
        t,
        "rdb_changes_since_last_save",
        dirty.saturating_sub(st.dirty_at_last_save),
    );
    field(
        t,
        "rdb_bgsave_in_progress",
        u8::from(st.bgsave_started.is_some()),
    );
    field(t, "rdb_last_save_time", st.last_save);
    field(
        t,
        "rdb_last_bgsave_status",
        if st.last_bgsave_ok { "ok" } else { "err" },
    );
    field(t, "rdb_last_bgsave_time_sec", st.last_bgsave_secs);
    let current = st
        .bgsave_started
        .map_or(-1, |s| s.elapsed().as_secs() as i64);
    field(t, "rdb_current_bgsave_time_sec", current);
    field(t, "rdb_saves", st.saves);
    field(t, "rdb_last_cow_size", st.last_cow_size);
    field(t, "rdb_last_load_keys_expired", st.expired_on_load);
    field(t, "rdb_last_load_keys_loaded", st.loaded_keys);
    for (name, value) in [
        ("aof_enabled", "0"),
        ("aof_rewrite_in_progress", "0"),
        ("aof_rewrite_scheduled", "0"),
        ("aof_last_rewrite_time_sec", "-1"),
        ("aof_current_rewrite_time_sec", "-1"),
        ("aof_last_bgrewrite_status", "ok"),
        ("aof_rewrites", "0"),
        ("aof_rewrites_consecutive_failures", "0"),
        ("aof_last_write_status", "ok"),
        ("aof_last_cow_size", "0"),
        ("module_fork_in_progress", "0"),
        ("module_fork_last_cow_size", "0"),
    ] {
        field(t, name, value);
    }
}

fn stats(cx: &Ctx, t: &mut String) {
    let c = &cx.srv.counters();
    let (ops, input, output) = cx.srv.ops().rates();
    let es = cx.eng.map(|e| e.stats.clone()).unwrap_or_default();
    field(
        t,
        "total_connections_received",
        Counters::get(&c.connections_received),
    );
    field(
        t,
        "total_commands_processed",
        Counters::get(&c.commands_processed),
    );
    field(t, "instantaneous_ops_per_sec", ops as u64);
    field(
        t,
        "total_net_input_bytes",
        Counters::get(&c.net_input_bytes),
    );
    field(
        t,
        "total_net_output_bytes",
        Counters::get(&c.net_output_bytes),
    );
    field(
        t,
        "total_net_repl_input_bytes",
        Counters::get(&c.net_repl_input_bytes),
    );
    field(
        t,
        "total_net_repl_output_bytes",
        Counters::get(&c.net_repl_output_bytes),
    );
    field(
        t,
        "instantaneous_input_kbps",
        format!("{:.2}", input / 1024.0),
    );
    field(
        t,
        "instantaneous_output_kbps",
        format!("{:.2}", output / 1024.0),
    );
    field(t, "instantaneous_input_repl_kbps", "0.00");
    field(t, "instantaneous_output_repl_kbps", "0.00");
    field(
        t,
        "rejected_connections",
        Counters::get(&c.rejected_connections),
    );
    {
        let st = cx.srv.repl().state.lock();
        field(t, "sync_full", st.stats.sync_full);
        field(t, "sync_partial_ok", st.stats.sync_partial_ok);
        field(t, "sync_partial_err", st.stats.sync_partial_err);
    }
    field(t, "expired_keys", es.expired_keys);
    field(
        t,
        "expired_stale_perc",
        format!("{:.2}", es.expired_stale_perc * 100.0),
    );
    field(
        t,
        "expired_time_cap_reached_count",
        es.expired_time_cap_reached_count,
    );
    field(t, "expire_cycle_cpu_milliseconds", 0);
    field(t, "evicted_keys", es.evicted_keys);
    field(t, "evicted_clients", 0);
    field(t, "total_eviction_exceeded_time", 0);
    field(t, "current_eviction_exceeded_time", 0);
    field(t, "keyspace_hits", es.keyspace_hits);
    field(t, "keyspace_misses", es.keyspace_misses);
    field(t, "pubsub_channels", cx.srv.pubsub().channel_count());
    field(t, "pubsub_patterns", cx.srv.pubsub().pattern_count());
    field(
        t,
        "pubsubshard_channels",
        cx.srv.pubsub().shard_channel_count(),
    );
    for name in [
        "latest_fork_usec",
        "total_forks",
        "migrate_cached_sockets",
        "slave_expires_tracked_keys",
        "active_defrag_hits",
        "active_defrag_misses",
        "active_defrag_key_hits",
        "active_defrag_key_misses",
        "total_active_defrag_time",
        "current_active_defrag_time",
        "tracking_total_keys",
        "tracking_total_items",
        "tracking_total_prefixes",
    ] {
        field(t, name, 0);
    }
    field(
        t,
        "unexpected_error_replies",
        Counters::get(&c.unexpected_error_replies),
    );
    field(
        t,
        "total_error_replies",
        Counters::get(&c.total_error_replies),
    );
    field(t, "dump_payload_sanitizations", 0);
    field(
        t,
        "total_reads_processed",
        Counters::get(&c.commands_processed),
    );
    field(
        t,
        "total_writes_processed",
        Counters::get(&c.commands_processed),
    );
    field(t, "io_threaded_reads_processed", 0);
    field(t, "io_threaded_writes_processed", 0);
    field(t, "reply_buffer_shrinks", 0);
    field(t, "reply_buffer_expands", 0);
}

fn replication(cx: &Ctx, t: &mut String) {
    super::replication::info(cx.srv, t);
}

fn cpu(_cx: &Ctx, t: &mut String) {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct we pass; RUSAGE_SELF is valid.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    field(t, "used_cpu_sys", format!("{:.6}", secs(usage.ru_stime)));
    field(t, "used_cpu_user", format!("{:.6}", secs(usage.ru_utime)));
    field(t, "used_cpu_sys_children", "0.000000");
    field(t, "used_cpu_user_children", "0.000000");
    field(
        t,
        "used_cpu_sys_main_thread",
        format!("{:.6}", secs(usage.ru_stime)),
    );
    field(
        t,
        "used_cpu_user_main_thread",
        format!("{:.6}", secs(usage.ru_utime)),
    );
}

fn modules(_cx: &Ctx, _t: &mut String) {}

fn commandstats(cx: &Ctx, t: &mut String) {
    for (name, c) in cx.srv.counters().command_stats() {
        let per_call = if c.calls == 0 {
            0.0
        } else {
            c.usec as f64 / c.calls as f64
        };
        field(
            t,
            &format!("cmdstat_{name}"),
            format!(
                "calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}",
                c.calls, c.usec, c.rejected_calls, c.failed_calls
            ),
        );
    }
}

/// `latency_percentiles_usec_<command>` at the configured percentiles.
/// Durations are always recorded; with `latency-tracking no` none are
/// shown.
fn latencystats(cx: &Ctx, t: &mut String) {
    let (on, percentiles) = {
        let cfg = cx.srv.config().read();
        let s = cfg.settings();
        (
            s.latency_tracking,
            s.latency_tracking_info_percentiles.clone(),
        )
    };
    if !on {
        return;
    }
    for (name, c) in cx.srv.counters().command_stats() {
        if c.latency.is_empty() {
            continue;
        }
        let values: Vec<String> = percentiles
            .iter()
            .map(|&p| format!("p{p}={:.3}", c.latency.value_at(p) as f64 / 1000.0))
            .collect();
        field(
            t,
            &format!("latency_percentiles_usec_{name}"),
            values.join(","),
        );
    }
}

fn errorstats(cx: &Ctx, t: &mut String) {
    for (code, count) in cx.srv.counters().errorstats().iter() {
        field(t, &format!("errorstat_{code}"), format!("count={count}"));
    }
}

fn cluster(_cx: &Ctx, t: &mut String) {
    field(t, "cluster_enabled", 0);
}

fn keyspace(cx: &Ctx, t: &mut String) {
    let Some(eng) = cx.eng else {
        return;
    };
    let now = unix_ms();
    for i in 0..eng.databases() {
        let db = eng.db(i);
        if db.is_empty() {
            continue;
        }
        let volatile = db.volatile_len();
        let avg_ttl = if volatile == 0 {
            0
        } else {
            let total: i64 = (0..volatile)
                .take(128)
                .filter_map(|j| db.volatile_at(j))
                .map(|(_, at)| (at - now).max(0))
                .sum();
            total / volatile.min(128) as i64
        };
        field(
            t,
            &format!("db{i}"),
            format!("keys={},expires={volatile},avg_ttl={avg_ttl}", db.len()),
        );
    }
}
