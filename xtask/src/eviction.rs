//! The eviction scenario (issue 6): SET throughput when every write must
//! first evict, under `maxmemory` with `allkeys-lru`, both servers alike.

use anyhow::Result;

use crate::benchmark::{self, Load, CLIENTS};
use crate::report::Section;
use crate::scenario::{Context, Pair, Scenario};
use crate::servers::Kind;

pub struct Eviction;

/// Small enough that the SETs below pass it within the first second.
const MAXMEMORY: &str = "50mb";
/// Random keys out of this many, 100-byte values: far more than fits.
const KEYSPACE: u64 = 10_000_000;

impl Scenario for Eviction {
    fn name(&self) -> &'static str {
        "eviction"
    }

    fn run(&self, ctx: &Context) -> Result<Section> {
        let args: Vec<String> = [
            "--maxmemory",
            MAXMEMORY,
            "--maxmemory-policy",
            "allkeys-lru",
        ]
        .map(String::from)
        .to_vec();
        let pair = Pair {
            redust: ctx.start(Kind::Redust, &args)?,
            redis: ctx.start(Kind::Redis, &args)?,
        };
        let load = Load::Command(
            ["-r", &KEYSPACE.to_string(), "-d", "100", "-t", "set"]
                .map(String::from)
                .to_vec(),
        );
        let rows = benchmark::measure(ctx, &pair, &[load], ctx.options.requests)?;
        Ok(Section {
            title: "Eviction: SET under maxmemory (allkeys-lru)".to_owned(),
            table: benchmark::table(&rows),
            notes: vec![format!(
                "`--maxmemory {MAXMEMORY} --maxmemory-policy allkeys-lru`; redis-benchmark -t set with 100-byte values over {KEYSPACE} random keys, {CLIENTS} clients, median of {} round(s).",
                ctx.options.rounds
            )],
        })
    }
}
