//! The throughput scenario: redis-benchmark against both servers, rounds
//! interleaved Redust/Redis per test so machine noise hits both alike.

use std::collections::HashMap;
use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};

use crate::client::Reply;
use crate::report::{self, Section, Table};
use crate::scenario::{Context, Scenario};
use crate::servers::Server;

const REDIS_BENCHMARK: &str = "/usr/bin/redis-benchmark";
const CLIENTS: u32 = 50;
/// Without pipelining, then with 16 requests in flight per client.
const PIPELINES: [u32; 2] = [1, 16];

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
                None => tests.push(test.as_str()),
            }
        }

        // samples[(test, pipeline)] = (redust runs, redis runs)
        let mut samples: HashMap<(&str, u32), [Vec<Sample>; 2]> = HashMap::new();
        for round in 1..=options.rounds {
            for &test in &tests {
                for pipeline in PIPELINES {
                    let runs = samples.entry((test, pipeline)).or_default();
                    for (side, server) in pair.both().into_iter().enumerate() {
                        let sample = run_one(server, test, options.requests, pipeline)?;
                        eprintln!(
                            "round {round}/{}: {:<16} P={pipeline:<2} {:<6} {:>9.0} ops/s",
                            options.rounds, sample.test, server.label, sample.rps
                        );
                        runs[side].push(sample);
                    }
                }
            }
        }

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
        for &test in &tests {
            for pipeline in PIPELINES {
                let [redust, redis] = &samples[&(test, pipeline)];
                let med = |runs: &[Sample], field: fn(&Sample) -> f64| {
                    report::median(&runs.iter().map(field).collect::<Vec<_>>())
                };
                let (a_rps, b_rps) = (med(redust, |s| s.rps), med(redis, |s| s.rps));
                let ms = |runs: &[Sample], field: fn(&Sample) -> f64| {
                    report::fmt_opt(med(runs, field), report::millis)
                };
                table.push(vec![
                    redis[0].test.clone(),
                    pipeline.to_string(),
                    report::fmt_opt(a_rps, report::ops),
                    report::fmt_opt(b_rps, report::ops),
                    report::ratio(a_rps, b_rps),
                    ms(redust, |s| s.p50_ms),
                    ms(redis, |s| s.p50_ms),
                    ms(redust, |s| s.p99_ms),
                    ms(redis, |s| s.p99_ms),
                ]);
            }
        }
        notes.push(format!(
            "redis-benchmark, {CLIENTS} clients, {} requests per run, median of {} interleaved round(s).",
            options.requests, options.rounds
        ));
        Ok(Section {
            title: "Throughput".to_owned(),
            table,
            notes,
        })
    }
}

/// Probes whether `server` implements the command behind a redis-benchmark
/// test; returns the error it replied with if not. Tests without a known
/// probe are assumed supported.
fn unsupported(server: &Server, test: &str) -> Result<Option<String>> {
    let probe: &[&[u8]] = match test {
        "set" => &[b"SET", b"xtask:probe", b"y"],
        "get" => &[b"GET", b"xtask:probe"],
        "incr" => &[b"INCR", b"xtask:probe:counter"],
        "mset" => &[b"MSET", b"xtask:probe:a", b"y", b"xtask:probe:b", b"y"],
        "lpush" => &[b"LPUSH", b"xtask:probe:list", b"y"],
        _ => return Ok(None),
    };
    // A fresh connection per probe: a server may drop the client on an
    // unknown command, which must not affect the next probe.
    Ok(match server.client()?.call(probe) {
        Ok(Reply::Error(error)) => Some(error),
        Ok(_) => None,
        Err(error) => Some(error.to_string()),
    })
}

fn run_one(server: &Server, test: &str, requests: u64, pipeline: u32) -> Result<Sample> {
    let mut command = Command::new(REDIS_BENCHMARK);
    command
        .args(["-h", "127.0.0.1", "-p", &server.port.to_string()])
        .args(["-c", &CLIENTS.to_string(), "-n", &requests.to_string()])
        .args(["-P", &pipeline.to_string(), "-t", test, "--csv"]);
    // redis-benchmark waits forever for a reply that never comes; bound it by
    // a rate far below anything a working server does (1000 requests/s).
    let timeout = Duration::from_secs(60 + requests / 1_000);
    let output = output_within(&mut command, timeout).with_context(|| {
        format!(
            "redis-benchmark -t {test} -P {pipeline} against {}",
            server.label
        )
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let parsed = parse_csv(&stdout);
    match parsed.as_deref() {
        Ok([sample]) if output.status.success() => Ok(sample.clone()),
        _ => bail!(
            "redis-benchmark -t {test} -P {pipeline} against {} failed ({}):\n{stdout}{}",
            server.label,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// Like `Command::output`, but kills the child once `timeout` has passed.
fn output_within(command: &mut Command, timeout: Duration) -> Result<Output> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {:?}", command.get_program()))?;
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
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("no result after {timeout:?}; is the server stuck?");
        }
        thread::sleep(Duration::from_millis(20));
    };
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
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
