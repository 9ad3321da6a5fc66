//! Running redis-benchmark, and the throughput scenario built on it: the
//! classic string tests against both servers, interleaved per test so
//! machine noise hits both alike.

use std::io::Read;
use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use testkit::Reply;

use crate::report::{self, Section, Table};
use crate::scenario::{self, Context, Pair, Scenario};
use crate::servers::{Probe as _, Server};

const REDIS_BENCHMARK: &str = "/usr/bin/redis-benchmark";
pub const CLIENTS: u32 = 50;
/// Without pipelining, then with 16 requests in flight per client.
pub const PIPELINES: [u32; 2] = [1, 16];

pub struct Throughput;

/// One row of redis-benchmark's `--csv` output.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The test's name as redis-benchmark prints it, e.g. "MSET (10 keys)".
    pub test: String,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// What one redis-benchmark run sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Load {
    /// A built-in test (`-t name`); with a keyspace, `-r` spreads it over
    /// that many random keys/members instead of one.
    Test { name: String, keyspace: Option<u64> },
    /// A custom command line, sent as is.
    Command(Vec<String>),
}

impl Load {
    pub fn test(name: &str) -> Load {
        Load::Test {
            name: name.to_owned(),
            keyspace: None,
        }
    }

    fn args(&self) -> Vec<String> {
        match self {
            Load::Test { name, keyspace } => {
                let mut args = vec!["-t".to_owned(), name.clone()];
                if let Some(n) = keyspace {
                    args.extend(["-r".to_owned(), n.to_string()]);
                }
                args
            }
            Load::Command(words) => words.clone(),
        }
    }

    fn describe(&self) -> String {
        self.args().join(" ")
    }
}

/// One row of a throughput table: a test at one pipeline depth, with the
/// `[Redust, Redis]` samples of every round.
pub struct Row {
    pub test: String,
    pub pipeline: u32,
    pub runs: [Vec<Sample>; 2],
}

impl Scenario for Throughput {
    fn name(&self) -> &'static str {
        "throughput"
    }

    fn run(&self, ctx: &Context) -> Result<Section> {
        let options = ctx.options;
        let pair = ctx.start_pair()?;
        let mut notes = Vec::new();
        let mut tests = Vec::new();
        for test in &options.tests {
            match unsupported(&pair.redust, test)? {
                Some(error) => notes.push(format!(
                    "{} skipped: Redust does not support it yet ({error}).",
                    test.to_uppercase()
                )),
                None => tests.push(Load::test(test)),
            }
        }
        let rows = measure(ctx, &pair, &tests, options.requests)?;
        notes.push(format!(
            "redis-benchmark, {CLIENTS} clients, {} requests per run, median of {} interleaved round(s).",
            options.requests, options.rounds
        ));
        Ok(Section {
            title: "Throughput".to_owned(),
            table: table(&rows),
            notes,
        })
    }
}

/// Every load at every pipeline depth against both servers of `pair`,
/// interleaved, one [`Row`] per (load, pipeline) in that order.
pub fn measure(ctx: &Context, pair: &Pair, loads: &[Load], requests: u64) -> Result<Vec<Row>> {
    let cases: Vec<(&Load, u32)> = loads
        .iter()
        .flat_map(|load| PIPELINES.map(|pipeline| (load, pipeline)))
        .collect();
    let rounds = ctx.options.rounds;
    let samples = scenario::interleaved(rounds, &cases, |round, &(load, pipeline), kind| {
        let server = pair.both()[scenario::side(kind)];
        let sample = run(server, load, requests, pipeline)?;
        eprintln!(
            "round {}/{rounds}: {:<24} P={pipeline:<2} {:<6} {:>9.0} ops/s",
            round + 1,
            sample.test,
            server.name(),
            sample.rps
        );
        Ok(sample)
    })?;
    Ok(cases
        .iter()
        .zip(samples)
        .map(|(&(_, pipeline), runs)| Row {
            test: runs[1][0].test.clone(),
            pipeline,
            runs,
        })
        .collect())
}

/// The throughput table: medians of ops/s and latency percentiles per row.
pub fn table(rows: &[Row]) -> Table {
    let mut table = Table::new(&[
        "test",
        "pipeline",
        "Redust ops/s",
        "Redis ops/s",
        "Redust/Redis",
        "Redust p50 ms",
        "Redis p50 ms",
        "Redust p99 ms",
        "Redis p99 ms",
    ]);
    for row in rows {
        let [redust, redis] = &row.runs;
        let med = |runs: &[Sample], field: fn(&Sample) -> f64| {
            report::median(&runs.iter().map(field).collect::<Vec<_>>())
        };
        let (a_rps, b_rps) = (med(redust, |s| s.rps), med(redis, |s| s.rps));
        let ms = |runs: &[Sample], field: fn(&Sample) -> f64| {
            report::fmt_opt(med(runs, field), report::millis)
        };
        table.push(vec![
            row.test.clone(),
            row.pipeline.to_string(),
            report::fmt_opt(a_rps, report::ops),
            report::fmt_opt(b_rps, report::ops),
            report::ratio(a_rps, b_rps),
            ms(redust, |s| s.p50_ms),
            ms(redis, |s| s.p50_ms),
            ms(redust, |s| s.p99_ms),
            ms(redis, |s| s.p99_ms),
        ]);
    }
    table
}

/// Probes whether `server` implements the command behind a redis-benchmark
/// test; returns the error it replied with if not. Tests without a known
/// probe are assumed supported.
pub fn unsupported(server: &Server, test: &str) -> Result<Option<String>> {
    let probe: &[&str] = match test {
        "set" => &["SET", "xtask:probe", "y"],
        "get" => &["GET", "xtask:probe"],
        "incr" => &["INCR", "xtask:probe:counter"],
        "mset" => &["MSET", "xtask:probe:a", "y", "xtask:probe:b", "y"],
        "lpush" | "lpop" => &["LPUSH", "xtask:probe:list", "y"],
        "sadd" => &["SADD", "xtask:probe:set", "y"],
        "hset" => &["HSET", "xtask:probe:hash", "f", "y"],
        "zadd" => &["ZADD", "xtask:probe:zset", "1", "y"],
        _ => return Ok(None),
    };
    rejects(server, probe)
}

/// The error `server` answers `command` with, if any. A fresh connection per
/// probe: a server may drop the client on an unknown command, which must not
/// affect the next probe.
pub fn rejects(server: &Server, command: &[&str]) -> Result<Option<String>> {
    Ok(match server.connect()?.call(command) {
        // "ERR unknown command 'X', with args beginning with: ..." is
        // mostly an echo of the probe; keep the part that says what failed.
        Ok(Reply::Error(error)) => Some(match error.split_once(", with args") {
            Some((head, _)) => head.to_owned(),
            None => error,
        }),
        Ok(_) => None,
        Err(error) => Some(error.to_string()),
    })
}

/// One redis-benchmark run of `load` against `server`, waited for.
pub fn run(server: &Server, load: &Load, requests: u64, pipeline: u32) -> Result<Sample> {
    spawn(server, load, requests, pipeline)?.finish()
}

/// A redis-benchmark run in the background.
pub struct Running {
    child: Child,
    /// Threads draining the pipes, taken when the run is finished.
    output: Option<[thread::JoinHandle<Vec<u8>>; 2]>,
    deadline: Instant,
    what: String,
}

/// Starts redis-benchmark with `load` against `server` without waiting.
pub fn spawn(server: &Server, load: &Load, requests: u64, pipeline: u32) -> Result<Running> {
    let what = format!(
        "redis-benchmark {} -P {pipeline} against {}",
        load.describe(),
        server.name()
    );
    let mut command = crate::pin::client(std::path::Path::new(REDIS_BENCHMARK));
    command
        .args(["-h", "127.0.0.1", "-p", &server.port().to_string()])
        .args(["-c", &CLIENTS.to_string(), "-n", &requests.to_string()])
        .args(["-P", &pipeline.to_string(), "--csv"])
        .args(load.args())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {REDIS_BENCHMARK}"))?;
    // Drain both pipes on threads so a chatty child cannot block on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    // redis-benchmark waits forever for a reply that never comes; bound it by
    // a rate far below anything a working server does (1000 requests/s).
    let deadline = Instant::now() + Duration::from_secs(60 + requests / 1_000);
    Ok(Running {
        child,
        output: Some([stdout, stderr]),
        deadline,
        what,
    })
}

impl Running {
    /// Whether redis-benchmark has exited.
    pub fn done(&mut self) -> Result<bool> {
        Ok(self.child.try_wait()?.is_some())
    }

    /// Waits for the run (killing it past its deadline) and parses its result.
    pub fn finish(mut self) -> Result<Sample> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if !testkit::poll_until(left, || self.done())? {
            let _ = self.child.kill();
            let _ = self.child.wait();
            bail!("{}: no result in time; is the server stuck?", self.what);
        }
        let status = self.child.wait()?;
        let [stdout, stderr] = self
            .output
            .take()
            .map(|pipes| pipes.map(|p| p.join().unwrap_or_default()))
            .unwrap_or_default();
        let stdout = String::from_utf8_lossy(&stdout);
        match parse_csv(&stdout).as_deref() {
            Ok([sample]) if status.success() => Ok(sample.clone()),
            _ => bail!(
                "{} failed ({status}):\n{stdout}{}",
                self.what,
                String::from_utf8_lossy(&stderr)
            ),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Only reached with the child still running on an error path.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses redis-benchmark 7.x `--csv` output, locating columns by the header.
pub fn parse_csv(text: &str) -> Result<Vec<Sample>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = fields(lines.next().context("empty redis-benchmark output")?);
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("no {name:?} column in redis-benchmark CSV header"))
    };
    let (test, rps, p50, p99) = (
        column("test")?,
        column("rps")?,
        column("p50_latency_ms")?,
        column("p99_latency_ms")?,
    );
    lines
        .map(|line| {
            let row = fields(line);
            let number = |i: usize| -> Result<f64> {
                let cell = row
                    .get(i)
                    .with_context(|| format!("short CSV row {line:?}"))?;
                cell.parse()
                    .with_context(|| format!("bad number {cell:?} in CSV row {line:?}"))
            };
            Ok(Sample {
                test: row.get(test).cloned().unwrap_or_default(),
                rps: number(rps)?,
                p50_ms: number(p50)?,
                p99_ms: number(p99)?,
            })
        })
        .collect()
}

/// Splits one CSV line of quoted fields (redis-benchmark never embeds quotes
/// or commas inside a field).
fn fields(line: &str) -> Vec<String> {
    line.trim()
        .split(',')
        .map(|f| f.trim().trim_matches('"').to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = r#""test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"SET","81632.65","0.336","0.104","0.303","0.551","0.695","1.951"
"MSET (10 keys)","84745.77","0.316","0.056","0.311","0.407","0.695","1.071"
"#;

    #[test]
    fn parses_redis_benchmark_7_csv() {
        let samples = parse_csv(OUTPUT).unwrap();
        assert_eq!(
            samples,
            [
                Sample {
                    test: "SET".into(),
                    rps: 81632.65,
                    p50_ms: 0.303,
                    p99_ms: 0.695
                },
                Sample {
                    test: "MSET (10 keys)".into(),
                    rps: 84745.77,
                    p50_ms: 0.311,
                    p99_ms: 0.695
                },
            ]
        );
    }

    #[test]
    fn rejects_missing_columns_and_garbage() {
        assert!(parse_csv("").is_err());
        assert!(parse_csv("\"test\",\"rps\"\n\"SET\",\"1\"\n").is_err());
        let bad = OUTPUT.replace("81632.65", "fast");
        assert!(parse_csv(&bad).is_err());
    }
}
