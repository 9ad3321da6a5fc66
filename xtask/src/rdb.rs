//! The RDB scenario: how long SAVE takes for 1M small keys, how big the file
//! is, and how long a restart takes to load it, Redust against Redis.

use std::fs;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use testkit::Reply;

use crate::dataset::STRINGS_1M;
use crate::report::{self, Section, Table};
use crate::scenario::{self, Context, Scenario};
use crate::servers::{self, Kind, Probe as _, Server};

pub struct Rdb;

const DBFILENAME: &str = "dump.rdb";
const LOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

impl Scenario for Rdb {
    fn name(&self) -> &'static str {
        "rdb"
    }

    fn run(&self, ctx: &Context) -> Result<Section> {
        let rounds = ctx.options.rounds;
        let args = ["--dbfilename".to_owned(), DBFILENAME.to_owned()];
        let dirs = scenario::for_both(|kind| ctx.data_dir(&format!("rdb-{}", kind.label())))?;
        let dir = |kind: Kind| dirs[scenario::side(kind)].path();

        let servers = scenario::for_both(|kind| {
            let server = ctx.start_in(kind, dir(kind), &args)?;
            STRINGS_1M.load(&server)?;
            Ok(server)
        })?;
        let save = scenario::interleaved(rounds, &[()], |round, _, kind| {
            let server = &servers[scenario::side(kind)];
            let secs = timed_save(server)?;
            eprintln!(
                "round {}/{rounds}: SAVE {:<6} {secs:.2}s",
                round + 1,
                server.name()
            );
            Ok(secs)
        })?;
        let sizes = Kind::BOTH.map(|kind| file_size(&dir(kind).join(DBFILENAME)));
        // Killed (SIGKILL, no save on shutdown): the file stays as SAVE left it.
        drop(servers);

        let load = scenario::interleaved(rounds, &[()], |round, _, kind| {
            let start = Instant::now();
            let server = ctx.start_in(kind, dir(kind), &args)?;
            servers::poll_until(LOAD_TIMEOUT, || {
                Ok(server.dbsize()? == Some(STRINGS_1M.keys as i64))
            })
            .with_context(|| format!("{} loading {DBFILENAME}", server.name()))?;
            let secs = start.elapsed().as_secs_f64();
            eprintln!(
                "round {}/{rounds}: load {:<6} {secs:.2}s",
                round + 1,
                server.name()
            );
            Ok(secs)
        })?;

        let mut table = Table::new(&["metric", "Redust", "Redis", "Redust/Redis"]);
        let mut row = |metric: &str, [a, b]: [Option<f64>; 2], format: fn(f64) -> String| {
            table.push(vec![
                metric.to_owned(),
                report::fmt_opt(a, format),
                report::fmt_opt(b, format),
                report::ratio(a, b),
            ]);
        };
        let medians = |[a, b]: &[Vec<f64>; 2]| [report::median(a), report::median(b)];
        row("SAVE (round trip)", medians(&save[0]), report::seconds);
        row("RDB file size", sizes.map(Result::ok), report::mebibytes);
        row("load at start-up", medians(&load[0]), report::seconds);
        Ok(Section {
            title: "RDB persistence".to_owned(),
            table,
            notes: vec![
                format!(
                    "{} (SET key:N value:N). SAVE: one SAVE's round trip. Load: from starting \
                     the process on the saved file until PING answers and DBSIZE is {}.",
                    STRINGS_1M.name, STRINGS_1M.keys
                ),
                format!("Median of {rounds} interleaved round(s)."),
            ],
        })
    }
}

/// Seconds one SAVE takes, from sending it to its +OK.
fn timed_save(server: &Server) -> Result<f64> {
    let mut client = server.connect()?;
    let start = Instant::now();
    match client.call(&["SAVE"])? {
        Reply::Simple(ok) if ok == "OK" => Ok(start.elapsed().as_secs_f64()),
        other => bail!("{}: SAVE replied {other:?}", server.name()),
    }
}

fn file_size(path: &Path) -> Result<f64> {
    let metadata = fs::metadata(path).with_context(|| format!("no RDB at {}", path.display()))?;
    Ok(metadata.len() as f64)
}
