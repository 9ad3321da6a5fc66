//! The snapshot scenario: how long clients wait while BGSAVE runs. A probe
//! client sends GET every 0.5 ms during a BGSAVE of 1M, 3M and 10M small keys;
//! the report gives its worst and p99.9 latency on both servers, and the
//! server's peak RSS during the save.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use testkit::Reply;

use crate::dataset::{Dataset, Shape};
use crate::memory;
use crate::report::{self, Section, Table};
use crate::scenario::{self, Context, Scenario};
use crate::servers::{self, info_field, Probe as _, Server};

pub struct Snapshot;

const SIZES: [Dataset; 3] = [
    Dataset {
        name: "1M strings",
        keys: 1_000_000,
        shape: Shape::String,
    },
    Dataset {
        name: "3M strings",
        keys: 3_000_000,
        shape: Shape::String,
    },
    Dataset {
        name: "10M strings",
        keys: 10_000_000,
        shape: Shape::String,
    },
];

/// The probe's period: one GET every 0.5 ms.
const PERIOD: Duration = Duration::from_micros(500);
const SAVE_TIMEOUT: Duration = Duration::from_secs(300);

/// One BGSAVE as the probe saw it.
struct Sample {
    worst_ms: f64,
    p999_ms: f64,
    save_secs: f64,
    peak_rss: f64,
    /// Redis's `rdb_last_cow_size` (the child's copied pages); Redust's
    /// copied chunks once it reports them.
    cow: Option<f64>,
}

impl Scenario for Snapshot {
    fn name(&self) -> &'static str {
        "snapshot"
    }

    fn run(&self, ctx: &Context) -> Result<Section> {
        let mut table = Table::new(&["metric", "Redust", "Redis", "Redust/Redis"]);
        for dataset in SIZES {
            let [a, b] = scenario::for_both(|kind| {
                let server = ctx.start(kind, &[])?;
                dataset.load(&server)?;
                let sample = probe_bgsave(&server)?;
                eprintln!(
                    "{} {}: worst {:.2} ms, p99.9 {:.2} ms, save {:.2} s",
                    server.name(),
                    dataset.name,
                    sample.worst_ms,
                    sample.p999_ms,
                    sample.save_secs
                );
                Ok(sample)
            })?;
            let mut row = |metric: &str, pick: fn(&Sample) -> Option<f64>, f: fn(f64) -> String| {
                let (x, y) = (pick(&a), pick(&b));
                table.push(vec![
                    format!("{}: {metric}", dataset.name),
                    report::fmt_opt(x, f),
                    report::fmt_opt(y, f),
                    report::ratio(x, y),
                ]);
            };
            row("probe worst (ms)", |s| Some(s.worst_ms), report::millis);
            row("probe p99.9 (ms)", |s| Some(s.p999_ms), report::millis);
            row("BGSAVE duration", |s| Some(s.save_secs), report::seconds);
            row(
                "peak RSS during save",
                |s| Some(s.peak_rss),
                report::mebibytes,
            );
            row("copy-on-write", |s| s.cow, report::mebibytes);
        }
        Ok(Section {
            title: "Pauses during BGSAVE".to_owned(),
            table,
            notes: vec![format!(
                "SET key:N value:N, then one BGSAVE while a probe client sends GET every \
                 {} µs (latency: GET's round trip, from its scheduled time, so a stall \
                 counts whole). Peak RSS: the server process's, sampled every 10 ms; \
                 Redis's child is not counted, its copied pages are the copy-on-write row \
                 (rdb_last_cow_size).",
                PERIOD.as_micros()
            )],
        })
    }
}

/// Runs one BGSAVE with the probe going; returns what it saw.
fn probe_bgsave(server: &Server) -> Result<Sample> {
    let pid = server.pid();
    let stop = Arc::new(AtomicBool::new(false));
    let port = server.port();
    let probe = {
        let stop = stop.clone();
        std::thread::spawn(move || -> Result<Vec<f64>> {
            let mut client = testkit::Client::connect_timeout(port, servers::IO_TIMEOUT)?;
            let mut latencies = Vec::new();
            let mut next = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                client.call(&["GET", "key:1"])?;
                latencies.push(next.elapsed().as_secs_f64() * 1e3);
                next += PERIOD;
                let now = Instant::now();
                if next > now {
                    std::thread::sleep(next - now);
                } else {
                    // Behind after a stall: the lost GETs are not sent late.
                    next = now;
                }
            }
            Ok(latencies)
        })
    };
    // Some probes before the save, so its first stall is not the first GET.
    std::thread::sleep(Duration::from_millis(100));
    let mut control = server.connect()?;
    let start = Instant::now();
    match control.call(&["BGSAVE"])? {
        Reply::Simple(_) => {}
        other => bail!("{}: BGSAVE replied {other:?}", server.name()),
    }
    let rss = |pid| memory::rss_bytes(pid).unwrap_or(0.0);
    let mut peak_rss = rss(pid);
    servers::poll_until(SAVE_TIMEOUT, || {
        peak_rss = peak_rss.max(rss(pid));
        let info = server.info("persistence")?;
        std::thread::sleep(Duration::from_millis(10));
        Ok(info_field(&info, "rdb_bgsave_in_progress") == Some("0"))
    })
    .with_context(|| format!("{} finishing BGSAVE", server.name()))?;
    let save_secs = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let latencies = probe.join().expect("probe thread")?;
    let info = server.info("persistence")?;
    if info_field(&info, "rdb_last_bgsave_status") != Some("ok") {
        bail!("{}: BGSAVE failed", server.name());
    }
    let cow = info_field(&info, "rdb_last_cow_size").and_then(|v| v.parse().ok());
    Ok(Sample {
        worst_ms: latencies.iter().copied().fold(0.0, f64::max),
        p999_ms: report::percentile(&latencies, 99.9).unwrap_or(0.0),
        save_secs,
        peak_rss,
        cow,
    })
}
