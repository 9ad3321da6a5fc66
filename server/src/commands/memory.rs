//! MEMORY USAGE | STATS | DOCTOR | MALLOC-STATS | PURGE | HELP, with Redis
//! 7.0's replies and texts.

use engine::command::flags::*;
use engine::command::{CommandDef, Group};
use engine::memory::{key_usage, DEFAULT_SAMPLES};
use engine::{Error, Result};
use memstats::{InfoInputs, MemoryOverhead, Snapshot};
use resp::Writer;

use super::{write_help, Call, ServerHandler};
use crate::state::clients::Kind;

pub(super) fn commands() -> Vec<CommandDef<ServerHandler>> {
    static SUBS: &[CommandDef<ServerHandler>] = &[
        sub("doctor", 2, 0, doctor, "Outputs memory problems report"),
        sub(
            "help",
            2,
            LOADING | STALE,
            help,
            "Show helpful text about the different subcommands",
        ),
        sub(
            "malloc-stats",
            2,
            0,
            malloc_stats,
            "Show allocator internal stats",
        ),
        sub("purge", 2, 0, purge, "Ask the allocator to release memory"),
        sub("stats", 2, 0, stats, "Show memory usage details"),
        sub(
            "usage",
            -3,
            READONLY,
            usage,
            "Estimate the memory usage of a key",
        )
        .keys(2, 2, 1),
    ];
    vec![CommandDef::container("memory", -2, SUBS).doc(
        Group::Server,
        "4.0.0",
        "A container for memory diagnostics commands",
    )]
}

const fn sub(
    name: &'static str,
    arity: i32,
    flags: u32,
    handler: ServerHandler,
    summary: &'static str,
) -> CommandDef<ServerHandler> {
    CommandDef::new(name, arity, flags, handler).doc(Group::Server, "4.0.0", summary)
}

/// MEMORY USAGE key [SAMPLES count]: like Redis, it looks the key up
/// without expiring it or counting a hit.
fn usage(call: &mut Call) -> Result<()> {
    let mut samples = DEFAULT_SAMPLES;
    let mut rest = call.args[3..].iter();
    while let Some(opt) = rest.next() {
        let count = match rest.next() {
            Some(count) if opt.eq_ignore_ascii_case(b"samples") => count,
            _ => return Err(Error::Syntax),
        };
        let n: i64 = std::str::from_utf8(count)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(Error::NotInteger)?;
        // 0 means every element, which `key_usage` takes as 0 too.
        samples = usize::try_from(n).map_err(|_| Error::Syntax)?;
    }
    let db = call.session.db;
    let key = call.args[2].clone();
    let size = {
        let eng = call.engine.get();
        eng.db(db).get(&key).map(|v| key_usage(&key, v, samples))
    };
    let mut w = call.w();
    match size {
        Some(n) => w.integer(n as i64),
        None => w.null(),
    }
    Ok(())
}

/// Everything MEMORY STATS and DOCTOR report on.
struct Report {
    snap: Snapshot,
    inputs: InfoInputs,
    mh: MemoryOverhead,
    /// (db, keys, main table bytes, expires table bytes)
    dbs: Vec<(usize, u64, u64, u64)>,
    keys: u64,
}

fn report(call: &mut Call) -> Report {
    let snap = memstats::snapshot();
    let srv = call.srv;
    let cx = super::info::Ctx {
        srv,
        eng: Some(call.engine.get()),
    };
    let inputs = super::info::memory_inputs(&cx, &snap);
    let mh = MemoryOverhead::compute(&inputs, &snap);
    let eng = call.engine.get();
    let dbs: Vec<_> = (0..eng.databases())
        .filter(|&i| !eng.db(i).is_empty())
        .map(|i| {
            let (main, expires) = eng.db(i).table_bytes();
            (i, eng.db(i).len() as u64, main as u64, expires as u64)
        })
        .collect();
    let keys = dbs.iter().map(|d| d.1).sum();
    Report {
        snap,
        inputs,
        mh,
        dbs,
        keys,
    }
}

/// MEMORY STATS: Redis's 27 fields plus one map per non-empty database.
fn stats(call: &mut Call) -> Result<()> {
    let r = report(call);
    let (mh, i) = (&r.mh, &r.inputs);
    let net = mh
        .total_allocated
        .saturating_sub(mh.startup_allocated)
        .max(1);
    let bytes_per_key = net.checked_div(r.keys).unwrap_or(0);
    let mut w = call.w();
    w.map(27 + r.dbs.len());
    int(&mut w, "peak.allocated", mh.peak_allocated as i64);
    int(&mut w, "total.allocated", mh.total_allocated as i64);
    int(&mut w, "startup.allocated", mh.startup_allocated as i64);
    int(
        &mut w,
        "replication.backlog",
        i.mem_replication_backlog as i64,
    );
    int(&mut w, "clients.slaves", i.mem_clients_slaves as i64);
    int(&mut w, "clients.normal", i.mem_clients_normal as i64);
    int(&mut w, "cluster.links", i.mem_cluster_links as i64);
    int(&mut w, "aof.buffer", i.mem_aof_buffer as i64);
    int(&mut w, "lua.caches", i.used_memory_scripts_eval as i64);
    int(&mut w, "functions.caches", i.used_memory_functions as i64);
    for &(db, _, main, expires) in &r.dbs {
        w.bulk(format!("db.{db}").as_bytes());
        w.map(3);
        int(&mut w, "overhead.hashtable.main", main as i64);
        int(&mut w, "overhead.hashtable.expires", expires as i64);
        int(&mut w, "overhead.hashtable.slot-to-keys", 0);
    }
    int(&mut w, "overhead.total", mh.overhead_total as i64);
    int(&mut w, "keys.count", r.keys as i64);
    int(&mut w, "keys.bytes-per-key", bytes_per_key as i64);
    int(&mut w, "dataset.bytes", mh.dataset as i64);
    double(&mut w, "dataset.percentage", mh.dataset_perc);
    double(&mut w, "peak.percentage", mh.peak_perc);
    int(&mut w, "allocator.allocated", r.snap.allocated as i64);
    int(&mut w, "allocator.active", r.snap.active as i64);
    int(&mut w, "allocator.resident", r.snap.resident as i64);
    double(&mut w, "allocator-fragmentation.ratio", mh.allocator_frag);
    int(
        &mut w,
        "allocator-fragmentation.bytes",
        mh.allocator_frag_bytes,
    );
    double(&mut w, "allocator-rss.ratio", mh.allocator_rss);
    int(&mut w, "allocator-rss.bytes", mh.allocator_rss_bytes);
    double(&mut w, "rss-overhead.ratio", mh.rss_extra);
    int(&mut w, "rss-overhead.bytes", mh.rss_extra_bytes);
    double(&mut w, "fragmentation", mh.total_frag);
    int(&mut w, "fragmentation.bytes", mh.total_frag_bytes);
    Ok(())
}

fn int(w: &mut Writer, name: &str, n: i64) {
    w.bulk(name.as_bytes());
    w.integer(n);
}

/// A ratio Redis computes in `float` and replies as a double.
fn double(w: &mut Writer, name: &str, d: f32) {
    w.bulk(name.as_bytes());
    w.double(f64::from(d));
}

const DOCTOR_FINE: &str = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
const DOCTOR_EMPTY: &str = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const DOCTOR_INTRO: &str =
    "Sam, I detected a few issues in this Redis instance memory implants:\n\n";
const DOCTOR_OUTRO: &str = "I'm here to keep you safe, Sam. I want to help you.\n";
const BIG_PEAK: &str = " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n";
const HIGH_ALLOC_FRAG: &str = " * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n";
const HIGH_ALLOC_RSS: &str = " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n";
const HIGH_PROC_RSS: &str = " * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n";
const BIG_REPLICA_BUF: &str = " * Big replica buffers: The replica output buffers in this instance are greater than 10MB for each replica (on average). This likely means that there is some replica instance that is struggling receiving data, either because it is too slow or because of networking issues. As a result, data piles on the master output buffers. Please try to identify what replica is not receiving data correctly and why. You can use the INFO output in order to check the replicas delays and the CLIENT LIST command to check the output buffers of each replica.\n\n";
const BIG_CLIENT_BUF: &str = " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n";

fn high_total_rss(allocator: &str) -> String {
    format!(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"{allocator}\".\n\n")
}

/// What Redis's `getMemoryDoctorReport` looks at.
struct Symptoms {
    total_allocated: u64,
    mh: MemoryOverhead,
    clients_normal: u64,
    clients_slaves: u64,
    normal_clients: u64,
    replicas: u64,
}

/// Redis's MEMORY DOCTOR text for these figures (same thresholds, same
/// words).
fn diagnose(s: &Symptoms) -> String {
    const MB: i64 = 1 << 20;
    let mh = &s.mh;
    if s.total_allocated < 5 * MB as u64 {
        return DOCTOR_EMPTY.to_owned();
    }
    let mut issues: Vec<String> = Vec::new();
    if mh.peak_allocated as f32 / s.total_allocated as f32 > 1.5 {
        issues.push(BIG_PEAK.to_owned());
    }
    if mh.total_frag > 1.4 && mh.total_frag_bytes > 10 * MB {
        issues.push(high_total_rss(&memstats::allocator_name()));
    }
    if mh.allocator_frag > 1.1 && mh.allocator_frag_bytes > 10 * MB {
        issues.push(HIGH_ALLOC_FRAG.to_owned());
    }
    if mh.allocator_rss > 1.1 && mh.allocator_rss_bytes > 10 * MB {
        issues.push(HIGH_ALLOC_RSS.to_owned());
    }
    if mh.rss_extra > 1.1 && mh.rss_extra_bytes > 10 * MB {
        issues.push(HIGH_PROC_RSS.to_owned());
    }
    if s.replicas > 0 && s.clients_slaves > 10 * MB as u64 {
        issues.push(BIG_REPLICA_BUF.to_owned());
    }
    if s.clients_normal / s.normal_clients.max(1) > 200 * 1024 {
        issues.push(BIG_CLIENT_BUF.to_owned());
    }
    if issues.is_empty() {
        return DOCTOR_FINE.to_owned();
    }
    let mut text = DOCTOR_INTRO.to_owned();
    issues.iter().for_each(|i| text.push_str(i));
    text.push_str(DOCTOR_OUTRO);
    text
}

fn doctor(call: &mut Call) -> Result<()> {
    let r = report(call);
    let replicas = call
        .srv
        .clients()
        .all()
        .iter()
        .filter(|h| h.info.lock().kind == Kind::Replica)
        .count() as u64;
    let symptoms = Symptoms {
        total_allocated: r.mh.total_allocated,
        mh: r.mh,
        clients_normal: r.inputs.mem_clients_normal,
        clients_slaves: r.inputs.mem_clients_slaves,
        normal_clients: call.srv.clients().len() as u64 - replicas,
        replicas,
    };
    let text = diagnose(&symptoms);
    call.w().verbatim(b"txt", text.as_bytes());
    Ok(())
}

fn malloc_stats(call: &mut Call) -> Result<()> {
    let text = memstats::malloc_stats();
    call.w().verbatim(b"txt", text.as_bytes());
    Ok(())
}

fn purge(call: &mut Call) -> Result<()> {
    memstats::purge().map_err(|e| Error::err(e.to_string()))?;
    call.w().simple(b"OK");
    Ok(())
}

const HELP: &[&str] = &[
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
];

fn help(call: &mut Call) -> Result<()> {
    write_help(call, "MEMORY", HELP);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symptoms(total: u64, peak: u64) -> Symptoms {
        let snap = Snapshot {
            allocated: total,
            active: total,
            resident: total,
            rss: total,
            ..Snapshot::default()
        };
        let inputs = InfoInputs {
            peak,
            ..InfoInputs::default()
        };
        Symptoms {
            total_allocated: total,
            mh: MemoryOverhead::compute(&inputs, &snap),
            clients_normal: 0,
            clients_slaves: 0,
            normal_clients: 1,
            replicas: 0,
        }
    }

    #[test]
    fn doctor_texts() {
        assert_eq!(diagnose(&symptoms(1 << 20, 0)), DOCTOR_EMPTY);
        assert_eq!(diagnose(&symptoms(50 << 20, 60 << 20)), DOCTOR_FINE);
        let peak = diagnose(&symptoms(50 << 20, 100 << 20));
        assert!(peak.starts_with(DOCTOR_INTRO));
        assert!(peak.contains(" * Peak memory: In the past this instance used more than 150%"));
        assert!(peak.ends_with(DOCTOR_OUTRO));
        let mut clients = symptoms(50 << 20, 0);
        clients.clients_normal = 10 << 20;
        clients.normal_clients = 4;
        assert!(diagnose(&clients).contains(" * Big client buffers:"));
        let mut frag = symptoms(50 << 20, 0);
        frag.mh.total_frag = 2.0;
        frag.mh.total_frag_bytes = 50 << 20;
        assert!(diagnose(&frag).contains("Note: The currently used allocator is \""));
    }
}
