//! `cargo xtask fuzz`: the differential fuzzer of
//! `server/tests/fuzz_differential.rs` (testkit's `fuzz` generator and
//! runner) for longer, against a release build. Unlike the CI test it goes
//! on after a difference (the next seed starts from FLUSHALL) and after a
//! crash (both servers restarted), and ends with what it found:
//! commands sent, differences deduplicated by command and reply kinds,
//! crashes, Redust's peak memory.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _, Result};
use testkit::fuzz::{self, Finding, RunOptions};
use testkit::{Builder, Client, Server};

use crate::args::FuzzOptions;
use crate::bench;

/// Commands per seed: as in the CI test, long enough for keys to outgrow
/// the compact encodings.
const STEPS: usize = 2_000;
/// Redust's resident memory may not exceed this.
const MAX_RSS: u64 = 512 << 20;

struct Servers {
    ours: Server,
    theirs: Server,
    a: Client,
    b: Client,
}

impl Servers {
    fn start(redust: &std::path::Path, redis: &std::path::Path) -> Result<Servers> {
        let ours = Builder::new(redust).name("redust").try_start()?;
        let theirs = Builder::new(redis).name("redis").try_start()?;
        let a = ours.try_client().context("connecting to redust")?;
        let b = theirs.try_client().context("connecting to redis")?;
        Ok(Servers { ours, theirs, a, b })
    }
}

pub fn run(root: &std::path::Path, options: &FuzzOptions) -> Result<()> {
    let log_dir = bench::target_dir(root).join("xtask-fuzz");
    let _ = fs::remove_dir_all(&log_dir);
    fs::create_dir_all(&log_dir)?;
    let redust = match &options.redust {
        Some(path) => path.clone(),
        None => bench::build_redust(root, &log_dir)?,
    };
    if !options.redis.is_file() {
        bail!("{} not found", options.redis.display());
    }
    let mut servers = Servers::start(&redust, &options.redis)?;
    let known: BTreeSet<String> = fuzz::command_names(&mut servers.a)?
        .intersection(&fuzz::command_names(&mut servers.b)?)
        .cloned()
        .collect();
    let first_seed = options.seed.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_secs())
    });
    eprintln!(
        "fuzz: {} commands known to both servers; seeds from {first_seed}; {}s",
        known.len(),
        options.seconds
    );

    let started = Instant::now();
    let deadline = started + Duration::from_secs(options.seconds);
    let (mut sent, mut seeds, mut crashes) = (0u64, 0u64, 0u64);
    let mut peak_rss = 0;
    let mut differences: BTreeMap<String, (usize, Finding)> = BTreeMap::new();
    let mut last_report = started;
    let mut seed = first_seed;
    while Instant::now() < deadline {
        let run = RunOptions {
            seed,
            steps: options.steps.unwrap_or(STEPS),
            deadline: Some(deadline),
            trace: false,
        };
        let outcome = fuzz::run_seed(&mut servers.a, &mut servers.b, &known, &run);
        sent += outcome.sent;
        seeds += 1;
        seed = seed.wrapping_add(1);
        peak_rss = peak_rss.max(fuzz::rss_bytes(servers.ours.pid()).unwrap_or(0));
        if let Some(finding) = outcome.finding {
            let crashed = servers.ours.check_alive().is_err();
            if let Err(e) = servers.theirs.check_alive() {
                eprintln!("\nredis-server itself stopped: {e}");
            }
            if crashed || matches!(finding, Finding::Io { .. }) {
                crashes += u64::from(crashed);
                eprintln!("\n{finding}\n{}", servers.ours.log());
                servers = Servers::start(&redust, &options.redis)?;
            }
            let entry = differences.entry(finding.key()).or_insert((0, finding));
            entry.0 += 1;
            if entry.0 == 1 {
                eprintln!("\nnew: {}\n{}", entry.1.key(), entry.1);
            }
        }
        if last_report.elapsed() > Duration::from_secs(30) {
            last_report = Instant::now();
            eprintln!(
                "fuzz: {:.0}s, {seeds} seeds, {sent} commands, {} distinct differences",
                started.elapsed().as_secs_f64(),
                differences.len()
            );
        }
    }

    println!(
        "fuzz: {seeds} seeds (from {first_seed}), {sent} commands sent to each server in {:.0}s",
        started.elapsed().as_secs_f64()
    );
    println!("crashes: {crashes}");
    println!("Redust peak RSS: {} MB", peak_rss >> 20);
    println!("distinct differences: {}", differences.len());
    for (key, (count, finding)) in &differences {
        println!("\n[{count}x] {key}\n{finding}");
    }
    if crashes > 0 || !differences.is_empty() || peak_rss >= MAX_RSS {
        bail!(
            "{} differences, {crashes} crashes, peak RSS {} MB",
            differences.len(),
            peak_rss >> 20
        );
    }
    Ok(())
}
