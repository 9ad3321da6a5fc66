//! LATENCY: the latency monitor's events (LATEST, HISTORY, GRAPH, DOCTOR,
//! RESET) and the per-command latency histograms (HISTOGRAM).

use engine::command::flags::*;
use engine::command::{CommandDef, Group};
use engine::{Error, Result};

use super::{Call, Entry, ServerHandler, Table};
use crate::state::counters::Histogram;
use crate::state::latency::Series;
use crate::time::unix_secs;

pub(super) fn commands() -> Vec<CommandDef<ServerHandler>> {
    const F: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
    static SUBS: &[CommandDef<ServerHandler>] = &[
        sub(
            "doctor",
            2,
            F,
            doctor,
            "2.8.13",
            "Returns a human-readable latency analysis report.",
        ),
        sub(
            "graph",
            3,
            F,
            graph,
            "2.8.13",
            "Returns a latency graph for an event.",
        ),
        sub(
            "history",
            3,
            F,
            history,
            "2.8.13",
            "Returns timestamp-latency samples for an event.",
        ),
        sub(
            "latest",
            2,
            F,
            latest,
            "2.8.13",
            "Returns the latest latency samples for all events.",
        ),
        sub(
            "reset",
            -2,
            F,
            reset,
            "2.8.13",
            "Resets the latency data for one or more events.",
        ),
        sub(
            "histogram",
            -2,
            F,
            histogram,
            "7.0.0",
            "Returns the cumulative distribution of latencies of a subset or all commands.",
        ),
        sub(
            "help",
            2,
            LOADING | STALE,
            help,
            "2.8.13",
            "Returns helpful text about the different subcommands.",
        ),
    ];
    vec![CommandDef::container("latency", -2, SUBS).doc(
        Group::Server,
        "2.8.13",
        "A container for latency diagnostics commands.",
    )]
}

const fn sub(
    name: &'static str,
    arity: i32,
    flags: u32,
    h: ServerHandler,
    since: &'static str,
    summary: &'static str,
) -> CommandDef<ServerHandler> {
    CommandDef::new(name, arity, flags, h).doc(Group::Server, since, summary)
}

/// LATENCY LATEST: `[event, time, latest, all-time max]` per event.
fn latest(call: &mut Call) -> Result<()> {
    let events = call.srv.latency().events();
    let mut w = call.w();
    w.array(events.len());
    for (name, s) in &events {
        let last = s.samples.back().copied().unwrap_or_default();
        w.array(4);
        w.bulk(name.as_bytes());
        w.integer(last.time as i64);
        w.integer(last.millis as i64);
        w.integer(s.max as i64);
    }
    Ok(())
}

/// LATENCY HISTORY event: `[time, latency]` pairs, oldest first.
fn history(call: &mut Call) -> Result<()> {
    let series = call.srv.latency().event(call.arg(2)).unwrap_or_default();
    let mut w = call.w();
    w.array(series.samples.len());
    for s in &series.samples {
        w.array(2);
        w.integer(s.time as i64);
        w.integer(s.millis as i64);
    }
    Ok(())
}

fn graph(call: &mut Call) -> Result<()> {
    let Some(series) = call.srv.latency().event(call.arg(2)) else {
        return Err(Error::err(format!(
            "No samples available for event '{}'",
            String::from_utf8_lossy(super::c_str(call.arg(2), usize::MAX))
        )));
    };
    let name = String::from_utf8_lossy(call.arg(2)).into_owned();
    let text = sparkline_graph(&name, &series, unix_secs());
    call.w().verbatim(b"txt", text.as_bytes());
    Ok(())
}

fn reset(call: &mut Call) -> Result<()> {
    let names: Vec<&[u8]> = call.args[2..].iter().map(|a| &a[..]).collect();
    let n = call.srv.latency().reset(&names);
    call.w().integer(n as i64);
    Ok(())
}

fn doctor(call: &mut Call) -> Result<()> {
    let report = {
        let s = call.srv.settings();
        doctor_report(
            &call.srv.latency().events(),
            DoctorSettings {
                threshold_ms: call.srv.latency().threshold(),
                slowlog_slower_than: s.slowlog_log_slower_than,
                hz: s.hz as u64,
            },
            unix_secs(),
        )
    };
    call.w().verbatim(b"txt", report.as_bytes());
    Ok(())
}

/// LATENCY HISTOGRAM [command ...]: per command with samples, its calls
/// and the cumulative counts by power-of-two microsecond buckets; a
/// container named brings its subcommands.
fn histogram(call: &mut Call) -> Result<()> {
    // The commands before this one in its batch count already, as in Redis.
    super::settle_stats(call.srv, call.session);
    let stats = call.srv.counters().command_stats();
    let wanted: Vec<String> = if call.args.len() == 2 {
        stats.keys().cloned().collect()
    } else {
        let mut names = Vec::new();
        for arg in &call.args[2..] {
            let Some(entry) = lookup(arg) else { continue };
            names.push(entry.0);
            names.extend(entry.1);
        }
        names
    };
    let found: Vec<_> = wanted
        .iter()
        .filter_map(|n| {
            stats
                .get(n)
                .filter(|s| !s.latency.is_empty())
                .map(|s| (n, s))
        })
        .collect();
    let mut w = call.w();
    w.map(found.len());
    for (name, stat) in found {
        w.bulk(name.as_bytes());
        let buckets = cumulative_buckets(&stat.latency);
        w.map(2);
        w.bulk(b"calls");
        w.integer(stat.latency.total() as i64);
        w.bulk(b"histogram_usec");
        w.map(buckets.len());
        for (usec, count) in buckets {
            w.integer(usec as i64);
            w.integer(count as i64);
        }
    }
    Ok(())
}

/// A command by name (`get`, `config|get`): its full name and, for a
/// container, its subcommands' full names.
fn lookup(name: &[u8]) -> Option<(String, Vec<String>)> {
    let name = std::str::from_utf8(name).ok()?;
    let table = Table::get();
    if let Some((parent, child)) = name.split_once('|') {
        let top = table.lookup(parent.as_bytes())?;
        let sub = top.subcommand(child.as_bytes())?;
        return Some((format!("{}|{}", top.name(), sub.name()), Vec::new()));
    }
    let top = table.lookup(name.as_bytes())?;
    let subs = top
        .subcommands()
        .into_iter()
        .map(|s: Entry| format!("{}|{}", top.name(), s.name()))
        .collect();
    Some((top.name().to_string(), subs))
}

/// HdrHistogram's logarithmic iteration from 1024 ns doubling, as Redis's
/// `fillCommandCDF` prints it: at each level, the top of its bucket in
/// microseconds and how many samples are at or below it; a level adding
/// nothing is left out.
fn cumulative_buckets(h: &Histogram) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let (mut level, mut previous) = (1024u64, 0);
    while previous < h.total() && level <= 1 << 40 {
        let top = Histogram::highest_equivalent(level);
        let count = h.count_at_most(top);
        if count > previous {
            out.push((top / 1000, count));
        }
        previous = count;
        level *= 2;
    }
    out
}

fn help(call: &mut Call) -> Result<()> {
    super::write_help(
        call,
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
    Ok(())
}

/// LATENCY GRAPH's text: a title, a rule, and Redis's 4-row sparkline of
/// the samples labelled with their age, 80 columns per block.
fn sparkline_graph(event: &str, s: &Series, now: u64) -> String {
    let values: Vec<u64> = s.samples.iter().map(|x| x.millis).collect();
    let labels: Vec<String> = s
        .samples
        .iter()
        .map(|x| age_label(now.saturating_sub(x.time)))
        .collect();
    let (lo, hi) = (
        values.iter().copied().min().unwrap_or(0),
        values.iter().copied().max().unwrap_or(0),
    );
    let mut out = format!(
        "{event} - high {hi} ms, low {lo} ms (all time high {} ms)\n{}\n",
        s.max,
        "-".repeat(80)
    );
    for (i, start) in (0..values.len()).step_by(80).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let end = (start + 80).min(values.len());
        render_rows(&mut out, &values[start..end], &labels[start..end], lo, hi);
    }
    out
}

/// `5s`, `3m`, `2h`, `1d`: how long ago a sample was taken.
fn age_label(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

/// Redis's `sparklineRenderRange` with 4 rows and the filled charset: each
/// value is a column of up to 4 characters (`_o#` then `|` below the
/// top), then a blank line and the labels written downwards.
fn render_rows(out: &mut String, values: &[u64], labels: &[String], lo: u64, hi: u64) {
    const ROWS: usize = 4;
    const CHARSET: &[u8] = b"_o#";
    let steps = (CHARSET.len() * ROWS) as i64;
    let relmax = if hi == lo { 1.0 } else { (hi - lo) as f64 };
    let step_of = |v: u64| {
        let scaled = ((v - lo) as f64 * steps as f64) as i64;
        ((scaled as f64 / relmax) as i64).clamp(0, steps - 1)
    };
    for row in 0..ROWS {
        let line: String = values
            .iter()
            .map(|&v| {
                let idx = step_of(v) - ((ROWS - row - 1) * CHARSET.len()) as i64;
                match idx {
                    0..=2 => CHARSET[idx as usize] as char,
                    i if i >= 3 => '|',
                    _ => ' ',
                }
            })
            .collect();
        out.push_str(&line);
        out.push('\n');
    }
    if values.is_empty() {
        return;
    }
    out.push_str(&" ".repeat(values.len()));
    out.push('\n');
    let longest = labels.iter().map(String::len).max().unwrap_or(0);
    for c in 0..longest {
        let line: String = labels
            .iter()
            .map(|l| l.as_bytes().get(c).map_or(' ', |&b| b as char))
            .collect();
        out.push_str(&line);
        out.push('\n');
    }
}

/// What LATENCY DOCTOR's advice depends on.
struct DoctorSettings {
    threshold_ms: u64,
    slowlog_slower_than: i64,
    hz: u64,
}

/// Redis's `createLatencyReport` for the events Redust records.
fn doctor_report(
    events: &std::collections::BTreeMap<String, Series>,
    cfg: DoctorSettings,
    now: u64,
) -> String {
    if events.is_empty() && cfg.threshold_ms == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into();
    }
    let mut report = String::new();
    let mut advice = Advice::default();
    for (i, (event, s)) in events.iter().enumerate() {
        if i == 0 {
            report.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        }
        let st = s.stats(now);
        report.push_str(&format!(
            "{}. {event}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {}ms.",
            i + 1,
            st.samples,
            st.avg,
            st.mad,
            st.period as f64 / st.samples.max(1) as f64,
            s.max
        ));
        match event.to_ascii_lowercase().as_str() {
            "command" => {
                if cfg.slowlog_slower_than < 0 {
                    advice.slowlog_enable = true;
                } else if cfg.slowlog_slower_than as u64 / 1000 > cfg.threshold_ms {
                    advice.slowlog_tuning = true;
                }
                advice.slowlog_inspect = true;
                advice.large_objects = true;
            }
            "fast-command" => advice.scheduler = true,
            "expire-cycle" => {
                advice.hz = true;
                advice.large_objects = true;
            }
            "eviction-del" => advice.large_objects = true,
            "eviction-cycle" => advice.mass_eviction = true,
            _ => {}
        }
        report.push('\n');
    }
    if events.is_empty() {
        report.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
    } else if !advice.any() {
        report.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
    } else {
        report.push_str("\nI have a few advices for you:\n\n");
        advice.write(&mut report, &cfg);
    }
    report
}

#[derive(Default)]
struct Advice {
    slowlog_enable: bool,
    slowlog_tuning: bool,
    slowlog_inspect: bool,
    scheduler: bool,
    hz: bool,
    large_objects: bool,
    mass_eviction: bool,
}

impl Advice {
    fn any(&self) -> bool {
        self.slowlog_enable
            || self.slowlog_tuning
            || self.slowlog_inspect
            || self.scheduler
            || self.hz
            || self.large_objects
            || self.mass_eviction
    }

    /// Redis's advice texts, in its order.
    fn write(&self, r: &mut String, cfg: &DoctorSettings) {
        let us = cfg.threshold_ms * 1000;
        if self.slowlog_enable {
            r.push_str(&format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {us}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n"));
        }
        if self.slowlog_tuning {
            r.push_str(&format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {us}'.\n"));
        }
        if self.slowlog_inspect {
            r.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
        }
        if self.scheduler {
            r.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
        }
        if self.hz && cfg.hz < 100 {
            r.push_str("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n");
        }
        if self.large_objects {
            r.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
        }
        if self.mass_eviction {
            r.push_str("- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::latency::Sample;

    fn series(points: &[(u64, u64)]) -> Series {
        Series {
            samples: points
                .iter()
                .map(|&(time, millis)| Sample { time, millis })
                .collect(),
            max: points.iter().map(|p| p.1).max().unwrap_or(0),
        }
    }

    #[test]
    fn graph_as_redis_draws_it() {
        let g = sparkline_graph("command", &series(&[(100, 10), (105, 40), (110, 25)]), 110);
        let want = "command - high 40 ms, low 10 ms (all time high 40 ms)\n".to_string()
            + &"-".repeat(80)
            + "\n # \n |_\n ||\n_||\n   \n150\n0ss\ns  \n";
        assert_eq!(g, want);
    }

    #[test]
    fn buckets_as_fill_command_cdf() {
        let mut h = Histogram::default();
        for v in [500, 1000, 1500, 3000, 40_000] {
            h.record(v);
        }
        assert_eq!(cumulative_buckets(&h), [(1, 2), (2, 3), (4, 4), (66, 5)]);
    }

    #[test]
    fn doctor_disabled_and_quiet() {
        let cfg = |t| DoctorSettings {
            threshold_ms: t,
            slowlog_slower_than: 10000,
            hz: 10,
        };
        let none = Default::default();
        assert!(doctor_report(&none, cfg(0), 0).starts_with("I'm sorry, Dave"));
        assert!(doctor_report(&none, cfg(1), 0).starts_with("Dave, no latency spike"));
        let mut ev = std::collections::BTreeMap::new();
        ev.insert("command".to_string(), series(&[(100, 200)]));
        let r = doctor_report(&ev, cfg(100), 101);
        assert!(r.contains("1. command: 1 latency spikes (average 200ms, mean deviation 0ms, period 1.00 sec). Worst all time event 200ms.\n"), "{r}");
        assert!(r.contains("Check your Slow Log"));
    }
}
