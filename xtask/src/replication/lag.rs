//! Replication lag: while redis-benchmark writes to the master, sample how
//! many bytes of the replication stream the replica has yet to apply.

use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use testkit::Client;

use super::{master_args, parse_field, replica_of, wait_caught_up, wait_synced};
use crate::benchmark::{self, Load, CLIENTS, PIPELINES};
use crate::report::{self, Section, Table};
use crate::scenario::{self, Context, Scenario};
use crate::servers::{Probe as _, Server};

pub struct Lag;

const SAMPLE_EVERY: Duration = Duration::from_millis(50);
const KEYSPACE: u64 = 100_000;

/// One load run: the master's command rate and the lag samples, in bytes.
struct Run {
    ops: f64,
    lags: Vec<f64>,
}

impl Scenario for Lag {
    fn name(&self) -> &'static str {
        "repl-lag"
    }

    fn run(&self, ctx: &Context) -> Result<Section> {
        let rounds = ctx.options.rounds;
        let pairs = scenario::for_both(|kind| {
            let master = ctx.start(kind, &master_args())?;
            let mut replica = ctx.start(kind, &replica_of(&master))?;
            wait_synced(&mut replica, 0)?;
            Ok([master, replica])
        })?;
        let runs = scenario::interleaved(rounds, &PIPELINES, |round, &pipeline, kind| {
            let [master, replica] = &pairs[scenario::side(kind)];
            wait_caught_up(master, std::slice::from_ref(replica))?;
            let run = sample_lag(master, replica, pipeline, duration(ctx))?;
            eprintln!(
                "round {}/{rounds}: SET P={pipeline:<2} {:<6} {:>9.0} ops/s, lag p50 {:.0} B over {} samples",
                round + 1,
                master.name(),
                run.ops,
                report::median(&run.lags).unwrap_or(0.0),
                run.lags.len()
            );
            Ok(run)
        })?;

        let mut table = Table::new(&[
            "pipeline",
            "Redust SET ops/s",
            "Redis SET ops/s",
            "Redust lag p50",
            "Redis lag p50",
            "Redust/Redis",
            "Redust lag p99",
            "Redis lag p99",
            "Redust/Redis",
            "samples",
        ]);
        for (&pipeline, [redust, redis]) in PIPELINES.iter().zip(&runs) {
            let rps = |runs: &[Run]| {
                let rates: Vec<f64> = runs.iter().map(|r| r.ops).collect();
                report::fmt_opt(report::median(&rates), report::ops)
            };
            let lags = |runs: &[Run]| -> Vec<f64> {
                runs.iter().flat_map(|r| r.lags.iter().copied()).collect()
            };
            let (a, b) = (lags(redust), lags(redis));
            let (a50, b50) = (report::percentile(&a, 50.0), report::percentile(&b, 50.0));
            let (a99, b99) = (report::percentile(&a, 99.0), report::percentile(&b, 99.0));
            table.push(vec![
                pipeline.to_string(),
                rps(redust),
                rps(redis),
                report::fmt_opt(a50, report::bytes),
                report::fmt_opt(b50, report::bytes),
                report::ratio(a50, b50),
                report::fmt_opt(a99, report::bytes),
                report::fmt_opt(b99, report::bytes),
                report::ratio(a99, b99),
                format!("{} / {}", a.len(), b.len()),
            ]);
        }
        Ok(Section {
            title: "Replication: lag under load".to_owned(),
            table,
            notes: vec![format!(
                "One master and one replica of the same kind. redis-benchmark -t set -r {KEYSPACE}, \
                 {CLIENTS} clients, runs for {} s against the master; SET ops/s from the master's \
                 total_commands_processed. Every {} ms, lag = master's master_repl_offset - \
                 replica's slave_repl_offset (both INFOs sent before either reply is read, \
                 negative values count as 0), counted only while the master's offset advances. \
                 Percentiles over the samples of {rounds} interleaved round(s); sample counts \
                 (Redust / Redis) in the last column. A ratio is n/a when Redis's lag is 0.",
                duration(ctx).as_secs(),
                SAMPLE_EVERY.as_millis()
            )],
        })
    }
}

/// How long each load runs: long enough for ~100 samples in a full run.
fn duration(ctx: &Context) -> Duration {
    Duration::from_secs(if ctx.options.quick { 2 } else { 5 })
}

/// Runs a SET load on `master` for `duration`, sampling the lag meanwhile.
fn sample_lag(master: &Server, replica: &Server, pipeline: u32, duration: Duration) -> Result<Run> {
    let (mut to_master, mut to_replica) = (master.connect()?, replica.connect()?);
    let mut previous = offsets(&mut to_master, &mut to_replica)?.0;
    let (start, commands_before) = (Instant::now(), commands(&mut to_master)?);
    // More requests than any server gets through in `duration`: the run is
    // stopped, not finished, so every pipeline depth loads for equally long.
    let mut running = benchmark::spawn(master, &load(), 1_000_000_000, pipeline)?;
    let mut lags = Vec::new();
    let mut next = start;
    while start.elapsed() < duration {
        if running.done()? {
            running.finish()?;
            bail!("redis-benchmark against {} ended early", master.name());
        }
        next += SAMPLE_EVERY;
        thread::sleep(next.saturating_duration_since(Instant::now()));
        let (master_offset, replica_offset) = offsets(&mut to_master, &mut to_replica)?;
        // Before the load starts the lag is trivially 0.
        if master_offset > previous {
            // The two INFOs are not simultaneous; never report a lead as lag.
            lags.push((master_offset - replica_offset).max(0) as f64);
        }
        previous = master_offset;
    }
    let commands_after = commands(&mut to_master)?;
    let ops = (commands_after - commands_before) as f64 / start.elapsed().as_secs_f64();
    drop(running);
    Ok(Run { ops, lags })
}

fn load() -> Load {
    Load::Test {
        name: "set".to_owned(),
        keyspace: Some(KEYSPACE),
    }
}

/// The master's `total_commands_processed`.
fn commands(master: &mut Client) -> Result<i64> {
    let info = master
        .call(&["INFO", "stats"])?
        .text()
        .context("INFO stats reply")?;
    parse_field(&info, "total_commands_processed")
}

/// `(master_repl_offset, slave_repl_offset)`, asking the replica first so
/// the pair errs towards overstating the lag rather than hiding it.
fn offsets(master: &mut Client, replica: &mut Client) -> Result<(i64, i64)> {
    for client in [&mut *replica, &mut *master] {
        client.queue(&["INFO", "replication"]);
        client.flush()?;
    }
    let text = |client: &mut Client| -> Result<String> {
        client
            .read_reply()?
            .text()
            .context("INFO replication reply")
    };
    let replica_info = text(replica)?;
    let master_info = text(master)?;
    Ok((
        parse_field(&master_info, "master_repl_offset")?,
        parse_field(&replica_info, "slave_repl_offset")?,
    ))
}
