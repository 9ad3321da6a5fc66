//! Full sync time: a new replica of a master holding 1M keys, from starting
//! the replica process until its link is up and it holds every key.

use std::time::Instant;

use anyhow::Result;

use super::{replica_of, wait_synced};
use crate::dataset::STRINGS_1M;
use crate::report::{self, Section, Table};
use crate::scenario::{self, Context, Scenario};

pub struct FullSync;

/// `repl-diskless-sync` values: the RDB streamed straight to the socket, or
/// written to disk first and then sent.
const MODES: [(&str, &str); 2] = [("diskless", "yes"), ("disk-based", "no")];

impl Scenario for FullSync {
    fn name(&self) -> &'static str {
        "repl-sync"
    }

    fn run(&self, ctx: &Context) -> Result<Section> {
        let rounds = ctx.options.rounds;
        let mut table = Table::new(&[
            "sync",
            "Redust",
            "Redis",
            "Redust/Redis",
            "Redust slowest",
            "Redis slowest",
        ]);
        for (mode, diskless) in MODES {
            let args = [
                "--repl-diskless-sync",
                diskless,
                "--repl-diskless-sync-delay",
                "0",
            ]
            .map(String::from);
            // One mode's masters at a time: each holds 1M keys.
            let masters = scenario::for_both(|kind| {
                let master = ctx.start(kind, &args)?;
                STRINGS_1M.load(&master)?;
                Ok(master)
            })?;
            let samples = scenario::interleaved(rounds, &[()], |round, _, kind| {
                let master = &masters[scenario::side(kind)];
                let start = Instant::now();
                let mut replica = ctx.start(kind, &replica_of(master))?;
                wait_synced(&mut replica, STRINGS_1M.keys)?;
                let secs = start.elapsed().as_secs_f64();
                eprintln!(
                    "round {}/{rounds}: {mode} full sync {:<6} {secs:.2}s",
                    round + 1,
                    master.name()
                );
                Ok(secs)
            })?;
            let [redust, redis] = &samples[0];
            let (a, b) = (report::median(redust), report::median(redis));
            // A stalled sync hides behind the median; show the worst too.
            let slowest = |runs: &[f64]| report::percentile(runs, 100.0);
            table.push(vec![
                format!("{mode} (repl-diskless-sync {diskless})"),
                report::fmt_opt(a, report::seconds),
                report::fmt_opt(b, report::seconds),
                report::ratio(a, b),
                report::fmt_opt(slowest(redust), report::seconds),
                report::fmt_opt(slowest(redis), report::seconds),
            ]);
        }
        Ok(Section {
            title: "Replication: full sync".to_owned(),
            table,
            notes: vec![
                format!(
                    "A fresh replica of a master holding {} (repl-diskless-sync-delay 0), \
                     from starting the replica process until INFO shows master_link_status:up \
                     and DBSIZE is {}. Replicas load the RDB from disk (repl-diskless-load \
                     disabled, the default).",
                    STRINGS_1M.name, STRINGS_1M.keys
                ),
                format!("Median of {rounds} interleaved round(s), a new replica each."),
            ],
        })
    }
}
