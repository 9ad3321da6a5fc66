//! Command-line parsing for the xtask subcommands (hand-rolled: a handful of
//! flags do not justify clap's compile time on every `cargo xtask`).

use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};

pub const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  ci       run fmt --check, clippy -D warnings, publish --dry-run, doc and the
           workspace tests, as CI does
  bench    compare redust-server with redis-server: throughput, data types,
           memory, RDB save/load, replication (sync, writes, lag)
           [--quick]          1 round of 50000 requests per test
           [--rounds N]       rounds per test, interleaved Redust/Redis (default 3)
           [--requests N]     requests per redis-benchmark run (default 200000)
           [--only a,b,...]   throughput scenario's redis-benchmark tests
                              (default set,get,incr,mset,lpush)
           [--only-scenario a,b,...]
                              scenarios to run: throughput, datatypes, memory,
                              rdb, repl-sync, repl-writes, repl-lag, eviction
                              (default all)
           [--redust PATH]    server to measure instead of building redust-server
           [--redis PATH]     baseline server (default /usr/bin/redis-server)
           [--write-docs]     put the results into docs/benchmarks.md
  fuzz     send seeded random commands to redust-server (release) and
           redis-server side by side; report differences and crashes
           [--seconds N]      how long to run (default 60)
           [--seed S]         first seed (default: the time); seeds S, S+1...
           [--steps N]        commands per seed (default 2000)
           [--redust PATH]    server to test instead of building redust-server
           [--redis PATH]     reference server (default /usr/bin/redis-server)";

pub enum Task {
    Ci,
    Bench(BenchOptions),
    Fuzz(FuzzOptions),
    Help,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BenchOptions {
    pub quick: bool,
    pub rounds: usize,
    pub requests: u64,
    pub tests: Vec<String>,
    /// `None` means every scenario.
    pub scenarios: Option<Vec<String>>,
    /// `None` means: build and use this workspace's redust-server.
    pub redust: Option<PathBuf>,
    pub redis: PathBuf,
    pub write_docs: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FuzzOptions {
    pub seconds: u64,
    /// `None`: seeded from the clock.
    pub seed: Option<u64>,
    /// `None`: the fuzzer's default.
    pub steps: Option<usize>,
    pub redust: Option<PathBuf>,
    pub redis: PathBuf,
}

pub const DEFAULT_TESTS: [&str; 5] = ["set", "get", "incr", "mset", "lpush"];

pub fn parse(args: &[String]) -> Result<Task> {
    match args.first().map(String::as_str) {
        Some("ci") if args.len() == 1 => Ok(Task::Ci),
        Some("ci") => bail!("ci takes no arguments"),
        Some("bench") => parse_bench(&args[1..]).map(Task::Bench),
        Some("fuzz") => parse_fuzz(&args[1..]).map(Task::Fuzz),
        None | Some("help" | "-h" | "--help") => Ok(Task::Help),
        Some(other) => bail!("unknown task {other:?}\n\n{USAGE}"),
    }
}

fn parse_bench(args: &[String]) -> Result<BenchOptions> {
    let mut quick = false;
    let mut rounds = None;
    let mut requests = None;
    let mut tests = None;
    let mut scenarios = None;
    let mut redust = None;
    let mut redis = PathBuf::from("/usr/bin/redis-server");
    let mut write_docs = false;

    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let mut value = || iter.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--quick" => quick = true,
            "--write-docs" => write_docs = true,
            "--rounds" => rounds = Some(positive(flag, value()?)?),
            "--requests" => requests = Some(positive(flag, value()?)? as u64),
            "--only" => tests = Some(list(flag, value()?)?),
            "--only-scenario" => scenarios = Some(list(flag, value()?)?),
            "--redust" => redust = Some(PathBuf::from(value()?)),
            "--redis" => redis = PathBuf::from(value()?),
            _ => bail!("unknown bench option {flag:?}\n\n{USAGE}"),
        }
    }

    let (default_rounds, default_requests) = if quick { (1, 50_000) } else { (3, 200_000) };
    Ok(BenchOptions {
        quick,
        rounds: rounds.unwrap_or(default_rounds),
        requests: requests.unwrap_or(default_requests),
        tests: tests.unwrap_or_else(|| DEFAULT_TESTS.map(String::from).to_vec()),
        scenarios,
        redust,
        redis,
        write_docs,
    })
}

fn parse_fuzz(args: &[String]) -> Result<FuzzOptions> {
    let mut options = FuzzOptions {
        seconds: 60,
        seed: None,
        steps: None,
        redust: None,
        redis: PathBuf::from("/usr/bin/redis-server"),
    };
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let mut value = || iter.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--seconds" => options.seconds = positive(flag, value()?)? as u64,
            "--seed" => {
                let v = value()?;
                options.seed = Some(
                    v.parse()
                        .with_context(|| format!("--seed expects a number, got {v:?}"))?,
                );
            }
            "--steps" => options.steps = Some(positive(flag, value()?)?),
            "--redust" => options.redust = Some(PathBuf::from(value()?)),
            "--redis" => options.redis = PathBuf::from(value()?),
            _ => bail!("unknown fuzz option {flag:?}\n\n{USAGE}"),
        }
    }
    Ok(options)
}

/// A comma-separated, lower-cased, non-empty list of names.
fn list(flag: &str, value: &str) -> Result<Vec<String>> {
    let list: Vec<String> = value
        .split(',')
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    if list.is_empty() {
        bail!("{flag} needs at least one name");
    }
    Ok(list)
}

fn positive(flag: &str, value: &str) -> Result<usize> {
    match value.parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => bail!("{flag} expects a positive integer, got {value:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bench(args: &[&str]) -> Result<BenchOptions> {
        let mut all = vec!["bench".to_owned()];
        all.extend(args.iter().map(|a| a.to_string()));
        match parse(&all)? {
            Task::Bench(options) => Ok(options),
            _ => panic!("not a bench task"),
        }
    }

    #[test]
    fn defaults() {
        let options = bench(&[]).unwrap();
        assert_eq!((options.rounds, options.requests), (3, 200_000));
        assert_eq!(options.tests, DEFAULT_TESTS);
        assert_eq!(options.redust, None);
        assert_eq!(options.scenarios, None);
        assert_eq!(options.redis, PathBuf::from("/usr/bin/redis-server"));
    }

    #[test]
    fn quick_lowers_defaults_but_explicit_values_win() {
        let options = bench(&["--quick", "--requests", "5000"]).unwrap();
        assert_eq!((options.rounds, options.requests), (1, 5000));
    }

    #[test]
    fn parses_every_option() {
        let options = bench(&[
            "--rounds",
            "5",
            "--only",
            "SET, get",
            "--redust",
            "/a",
            "--redis",
            "/b",
            "--write-docs",
            "--only-scenario",
            "memory,RDB",
        ])
        .unwrap();
        assert_eq!(options.scenarios, Some(vec!["memory".into(), "rdb".into()]));
        assert_eq!(options.rounds, 5);
        assert_eq!(options.tests, ["set", "get"]);
        assert_eq!(options.redust, Some(PathBuf::from("/a")));
        assert_eq!(options.redis, PathBuf::from("/b"));
        assert!(options.write_docs);
    }

    #[test]
    fn parses_fuzz_options() {
        let parse_fuzz = |args: &[&str]| -> Result<FuzzOptions> {
            let mut all = vec!["fuzz".to_owned()];
            all.extend(args.iter().map(|a| a.to_string()));
            match parse(&all)? {
                Task::Fuzz(options) => Ok(options),
                _ => panic!("not a fuzz task"),
            }
        };
        let defaults = parse_fuzz(&[]).unwrap();
        assert_eq!((defaults.seconds, defaults.seed), (60, None));
        let options = parse_fuzz(&["--seconds", "900", "--seed", "42", "--steps", "10"]).unwrap();
        assert_eq!(
            (options.seconds, options.seed, options.steps),
            (900, Some(42), Some(10))
        );
        assert!(parse_fuzz(&["--seed", "x"]).is_err());
        assert!(parse_fuzz(&["--seconds", "0"]).is_err());
        assert!(parse_fuzz(&["--nope"]).is_err());
    }

    #[test]
    fn rejects_bad_input() {
        assert!(bench(&["--rounds"]).is_err());
        assert!(bench(&["--rounds", "0"]).is_err());
        assert!(bench(&["--only", ","]).is_err());
        assert!(bench(&["--only-scenario", ""]).is_err());
        assert!(bench(&["--bogus"]).is_err());
        assert!(parse(&["nope".to_owned()]).is_err());
    }
}
