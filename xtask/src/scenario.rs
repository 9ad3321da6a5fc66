//! What a benchmark scenario is and what it gets to work with.
//!
//! Each scenario starts the servers it needs through [`Context`] and returns
//! one [`Section`] of the shared report. Scenarios get fresh servers so one
//! cannot skew another (e.g. benchmark keys inflating the memory figures).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};

use crate::args::BenchOptions;
use crate::report::Section;
use testkit::{Builder, Ready};

use crate::servers::{Kind, Server, TempDir};
use crate::{benchmark, datatypes, eviction, memory, rdb, replication, snapshot};

pub trait Scenario {
    fn name(&self) -> &'static str;
    fn run(&self, ctx: &Context) -> Result<Section>;
}

/// Every scenario of a `cargo xtask bench` run, in report order.
pub fn all() -> Vec<Box<dyn Scenario>> {
    vec![
        Box::new(benchmark::Throughput),
        Box::new(datatypes::DataTypes),
        Box::new(memory::Memory),
        Box::new(rdb::Rdb),
        Box::new(replication::FullSync),
        Box::new(replication::Writes),
        Box::new(replication::Lag),
        Box::new(eviction::Eviction),
        Box::new(snapshot::Snapshot),
    ]
}

/// The scenarios named in `only` (all when `None`), in report order.
pub fn selected(only: Option<&[String]>) -> Result<Vec<Box<dyn Scenario>>> {
    let all = all();
    let Some(only) = only else {
        return Ok(all);
    };
    let names: Vec<&str> = all.iter().map(|s| s.name()).collect();
    if let Some(unknown) = only.iter().find(|n| !names.contains(&n.as_str())) {
        bail!(
            "unknown scenario {unknown:?}; scenarios are {}",
            names.join(", ")
        );
    }
    Ok(all
        .into_iter()
        .filter(|s| only.iter().any(|n| n == s.name()))
        .collect())
}

pub struct Binaries {
    pub redust: PathBuf,
    pub redis: PathBuf,
}

pub struct Context<'a> {
    pub options: &'a BenchOptions,
    pub binaries: &'a Binaries,
    pub log_dir: &'a Path,
}

/// One Redust and one Redis server with identical settings.
pub struct Pair {
    pub redust: Server,
    pub redis: Server,
}

impl Pair {
    /// Both servers, Redust first: the order of every A/B comparison.
    pub fn both(&self) -> [&Server; 2] {
        [&self.redust, &self.redis]
    }
}

impl Context<'_> {
    /// A server of `kind` in a fresh data directory, with extra arguments.
    pub fn start(&self, kind: Kind, args: &[String]) -> Result<Server> {
        let dir = self.data_dir(&kind.label().to_lowercase())?;
        start(self.launch(kind, args).temp_dir(dir), kind)
    }

    /// A server of `kind` whose `--dir` is `dir` (to share RDB files).
    pub fn start_in(&self, kind: Kind, dir: &Path, args: &[String]) -> Result<Server> {
        start(self.launch(kind, args).dir(dir), kind)
    }

    pub fn start_pair(&self) -> Result<Pair> {
        Ok(Pair {
            redust: self.start(Kind::Redust, &[])?,
            redis: self.start(Kind::Redis, &[])?,
        })
    }

    /// A scratch directory for RDB files, removed when dropped.
    pub fn data_dir(&self, name: &str) -> Result<TempDir> {
        TempDir::create_in(self.log_dir, name)
            .with_context(|| format!("creating a directory in {}", self.log_dir.display()))
    }

    /// A server without save points or AOF on a free loopback port, logging
    /// to `<log_dir>/<kind>-<port>.log`, up once it answers PING with PONG
    /// (an RDB load at start-up included).
    fn launch(&self, kind: Kind, args: &[String]) -> Builder {
        let binary = match kind {
            Kind::Redust => &self.binaries.redust,
            Kind::Redis => &self.binaries.redis,
        };
        Builder::new(binary)
            .name(kind.label())
            .args(args)
            .log_dir(self.log_dir)
            .launcher(crate::pin::server())
            .ready(Ready::Pong)
            .start_timeout(READY_TIMEOUT)
    }
}

/// How long start-up (with an RDB load) may take.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

fn start(builder: Builder, kind: Kind) -> Result<Server> {
    builder
        .try_start()
        .with_context(|| format!("starting {}", kind.label()))
}

/// Runs `measure` for every round, case and kind, Redust and Redis back to
/// back for each case so machine noise hits both alike; which kind goes first
/// alternates by round. Returns, per case, the `[Redust, Redis]` samples.
pub fn interleaved<C, S>(
    rounds: usize,
    cases: &[C],
    mut measure: impl FnMut(usize, &C, Kind) -> Result<S>,
) -> Result<Vec<[Vec<S>; 2]>> {
    let mut samples: Vec<[Vec<S>; 2]> = cases.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    for round in 0..rounds {
        for (case, runs) in cases.iter().zip(&mut samples) {
            let mut order = Kind::BOTH;
            if round % 2 == 1 {
                order.reverse();
            }
            for kind in order {
                let sample = measure(round, case, kind)?;
                runs[side(kind)].push(sample);
            }
        }
    }
    Ok(samples)
}

/// `[f(Redust), f(Redis)]`, stopping at the first error.
pub fn for_both<T>(mut f: impl FnMut(Kind) -> Result<T>) -> Result<[T; 2]> {
    Ok([f(Kind::Redust)?, f(Kind::Redis)?])
}

/// Index of `kind` in a `[Redust, Redis]` array.
pub fn side(kind: Kind) -> usize {
    match kind {
        Kind::Redust => 0,
        Kind::Redis => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaves_kinds_alternating_first() {
        let mut calls = Vec::new();
        let samples = interleaved(2, &["a", "b"], |round, case, kind| {
            calls.push((round, *case, kind));
            Ok(format!("{case}{round}"))
        })
        .unwrap();
        use Kind::{Redis, Redust};
        assert_eq!(
            calls,
            [
                (0, "a", Redust),
                (0, "a", Redis),
                (0, "b", Redust),
                (0, "b", Redis),
                (1, "a", Redis),
                (1, "a", Redust),
                (1, "b", Redis),
                (1, "b", Redust),
            ]
        );
        assert_eq!(samples[1], [vec!["b0", "b1"], vec!["b0", "b1"]]);
    }

    #[test]
    fn selects_scenarios_by_name_in_report_order() {
        let only = ["memory".to_owned(), "throughput".to_owned()];
        let names: Vec<_> = selected(Some(&only))
            .unwrap()
            .iter()
            .map(|s| s.name())
            .collect();
        assert_eq!(names, ["throughput", "memory"]);
        assert!(selected(Some(&["nope".to_owned()])).is_err());
        assert_eq!(selected(None).unwrap().len(), all().len());
    }
}
