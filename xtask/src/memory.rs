//! The memory scenario: load the same data set into a fresh Redust and a
//! fresh Redis and compare `used_memory` (INFO memory) and the process RSS.

use std::fs;

use anyhow::Result;

use crate::dataset::{Dataset, Shape, ELEMENTS, STRINGS_1M};
use crate::report::{self, Section, Table};
use crate::scenario::{Context, Scenario};
use crate::servers::{info_field, Probe as _, Server};

pub struct Memory;

const DATASETS: [Dataset; 5] = [
    STRINGS_1M,
    Dataset {
        name: "100k hashes",
        keys: 100_000,
        shape: Shape::Hash,
    },
    Dataset {
        name: "100k sets (integers)",
        keys: 100_000,
        shape: Shape::IntSet,
    },
    Dataset {
        name: "100k sets (strings)",
        keys: 100_000,
        shape: Shape::Set,
    },
    Dataset {
        name: "100k sorted sets",
        keys: 100_000,
        shape: Shape::SortedSet,
    },
];

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
        let mut table = Table::new(&[
            "data set",
            "Redust used_memory",
            "Redis used_memory",
            "Redust/Redis",
            "Redust RSS",
            "Redis RSS",
            "Redust/Redis",
            "Redust load s",
            "Redis load s",
        ]);
        let mut notes = vec![format!(
            "Each data set on a fresh pair of servers, pipelined writes; hashes, sets and sorted \
             sets have {ELEMENTS} small elements each (field:i value:i, i, member:i, i member:i). \
             RSS is VmRSS from /proc."
        )];
        for dataset in DATASETS {
            // Fresh servers per data set: the previous one's freed pages
            // would otherwise still count in RSS.
            let pair = ctx.start_pair()?;
            if let Some(error) = dataset.unsupported_by(&pair.redust)? {
                notes.push(format!(
                    "{} skipped: Redust does not support it yet ({error}).",
                    dataset.name
                ));
                continue;
            }
            let [redust, redis] = pair.both().map(|server| -> Result<Usage> {
                let load_secs = dataset.load(server)?;
                Ok(Usage {
                    used_memory: used_memory(server),
                    rss: rss_bytes(server.pid()),
                    load_secs,
                })
            });
            let (a, b) = (redust?, redis?);
            let mib = |v: Option<f64>| report::fmt_opt(v, report::mebibytes);
            let secs = |s: f64| format!("{s:.2}");
            table.push(vec![
                dataset.name.to_owned(),
                mib(a.used_memory),
                mib(b.used_memory),
                report::ratio(a.used_memory, b.used_memory),
                mib(a.rss),
                mib(b.rss),
                report::ratio(a.rss, b.rss),
                secs(a.load_secs),
                secs(b.load_secs),
            ]);
        }
        Ok(Section {
            title: "Memory".to_owned(),
            table,
            notes,
        })
    }
}

/// `used_memory` from INFO memory; `None` if the server does not report it.
fn used_memory(server: &Server) -> Option<f64> {
    let info = server.info("memory").ok()?;
    info_field(&info, "used_memory")?.parse().ok()
}

/// Resident set size of a process, from /proc/<pid>/status.
pub(crate) fn rss_bytes(pid: u32) -> Option<f64> {
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
    fn parses_vm_rss() {
        let status = "Name:\tredis-server\nVmHWM:\t   20000 kB\nVmRSS:\t   13248 kB\n";
        assert_eq!(parse_vm_rss(status), Some(13248.0 * 1024.0));
        assert_eq!(parse_vm_rss("Name:\tx\n"), None);
    }
}
