//! The memory scenario: load the same 1M string keys into both servers and
//! compare `used_memory` (INFO memory) and the process RSS.

use std::fs;
use std::io::Write as _;
use std::time::Instant;

use anyhow::{bail, Context as _, Result};

use crate::client::{Client, Reply};
use crate::report::{self, Section, Table};
use crate::scenario::{Context, Scenario};
use crate::servers::Server;

pub const KEYS: u64 = 1_000_000;
/// Commands in flight per round trip: large enough that the load takes about
/// a second, small enough to keep both socket buffers bounded.
const BATCH: u64 = 1_000;

pub struct Memory;

struct Usage {
    used_memory: Option<f64>,
    rss: Option<f64>,
    load_secs: f64,
}

impl Scenario for Memory {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn run(&self, ctx: &Context) -> Result<Section> {
        let pair = ctx.start_pair()?;
        let [redust, redis] = pair.both().map(|server| -> Result<Usage> {
            let start = Instant::now();
            load(server, KEYS)?;
            let load_secs = start.elapsed().as_secs_f64();
            eprintln!(
                "loaded {KEYS} keys into {} in {load_secs:.2}s",
                server.label
            );
            Ok(Usage {
                used_memory: used_memory(server),
                rss: rss_bytes(server.pid()),
                load_secs,
            })
        });
        let (redust, redis) = (redust?, redis?);

        let mut table = Table::new(&["metric", "Redust", "Redis", "Redust/Redis"]);
        let mut row = |metric: &str, a: Option<f64>, b: Option<f64>, format: fn(f64) -> String| {
            table.push(vec![
                metric.to_owned(),
                report::fmt_opt(a, format),
                report::fmt_opt(b, format),
                report::ratio(a, b),
            ]);
        };
        row(
            "used_memory",
            redust.used_memory,
            redis.used_memory,
            report::mebibytes,
        );
        row("RSS (VmRSS)", redust.rss, redis.rss, report::mebibytes);
        let secs = |s: f64| format!("{s:.2} s");
        row(
            "load time",
            Some(redust.load_secs),
            Some(redis.load_secs),
            secs,
        );
        let mut notes = vec![format!(
            "After SET key:N value:N for N in 0..{KEYS}, pipelined {BATCH} per round trip, \
             on a fresh server."
        )];
        if redust.used_memory.is_none() {
            notes.push("n/a: Redust does not report used_memory in INFO memory yet.".to_owned());
        }
        Ok(Section {
            title: "Memory".to_owned(),
            table,
            notes,
        })
    }
}

/// Writes `key:N -> value:N` for every N below `count`, checking each reply,
/// then spot-checks the last key.
pub fn load(server: &Server, count: u64) -> Result<()> {
    let mut client = server.client()?;
    let (mut key, mut value) = (Vec::new(), Vec::new());
    for first in (0..count).step_by(BATCH as usize) {
        let last = (first + BATCH).min(count);
        for n in first..last {
            key.clear();
            value.clear();
            write!(key, "key:{n}")?;
            write!(value, "value:{n}")?;
            client.queue(&[b"SET", &key, &value])?;
        }
        client.flush()?;
        for n in first..last {
            match client.read_reply()? {
                Reply::Simple(ok) if ok == "OK" => {}
                other => bail!("{}: SET key:{n} replied {other:?}", server.label),
            }
        }
    }
    verify(&mut client, count).with_context(|| format!("verifying the load into {}", server.label))
}

fn verify(client: &mut Client, count: u64) -> Result<()> {
    let Some(last) = count.checked_sub(1) else {
        return Ok(());
    };
    let key = format!("key:{last}");
    let expected = format!("value:{last}");
    match client.call(&[b"GET", key.as_bytes()])? {
        Reply::Bulk(Some(v)) if v == expected.as_bytes() => Ok(()),
        other => bail!("GET {key} replied {other:?}"),
    }
}

/// `used_memory` from INFO memory; `None` if the server does not report it.
fn used_memory(server: &Server) -> Option<f64> {
    let info = server
        .client()
        .ok()?
        .call(&[b"INFO", b"memory"])
        .ok()?
        .text()?;
    info_field(&info, "used_memory")?.parse().ok()
}

/// The value of `field` in INFO output (`name:value` lines).
pub fn info_field<'a>(info: &'a str, field: &str) -> Option<&'a str> {
    info.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name == field).then(|| value.trim())
    })
}

/// Resident set size of a process, from /proc/<pid>/status.
fn rss_bytes(pid: u32) -> Option<f64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_rss(&status)
}

fn parse_vm_rss(status: &str) -> Option<f64> {
    let kib: f64 = info_field(status, "VmRSS")?
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exact_info_field() {
        let info = "# Memory\r\nused_memory_human:1.11M\r\nused_memory:1164024\r\n";
        assert_eq!(info_field(info, "used_memory"), Some("1164024"));
        assert_eq!(info_field(info, "used_memory_rss"), None);
    }

    #[test]
    fn parses_vm_rss() {
        let status = "Name:\tredis-server\nVmHWM:\t   20000 kB\nVmRSS:\t   13248 kB\n";
        assert_eq!(parse_vm_rss(status), Some(13248.0 * 1024.0));
        assert_eq!(parse_vm_rss("Name:\tx\n"), None);
    }
}
