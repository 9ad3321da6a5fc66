//! The data types scenario: redis-benchmark's list, set, hash and sorted-set
//! tests, ZRANGE on a seeded sorted set, and MULTI/EXEC transactions from
//! our own load generator, all against one pair of servers.

use anyhow::Result;
use testkit::Reply;

use crate::benchmark::{self, Load, Row, CLIENTS, PIPELINES};
use crate::report::Section;
use crate::scenario::{self, Context, Pair, Scenario};
use crate::servers::Probe as _;
use crate::{hyperloglog, transactions};

pub struct DataTypes;

/// In run order: LPOP pops what LPUSH pushed in the same round.
const TESTS: [&str; 5] = ["lpush", "lpop", "sadd", "hset", "zadd"];
/// `-r`: SADD, HSET and ZADD add random members out of this many, so the
/// collections grow past their small encodings as they would in use.
const KEYSPACE: u64 = 100_000;
const ZRANGE_KEY: &str = "xtask:zrange";
/// Past the 128-entry listpack limit: a skiplist-encoded sorted set.
const ZRANGE_MEMBERS: usize = 1_000;

impl Scenario for DataTypes {
    fn name(&self) -> &'static str {
        "datatypes"
    }

    fn run(&self, ctx: &Context) -> Result<Section> {
        let requests = ctx.options.requests;
        let pair = ctx.start_pair()?;
        let mut notes = Vec::new();
        let mut skip = |what: &str, error: String| {
            notes.push(format!(
                "{what} skipped: Redust does not support it yet ({error})."
            ));
        };

        let mut loads = Vec::new();
        for test in TESTS {
            match benchmark::unsupported(&pair.redust, test)? {
                Some(error) => skip(&test.to_uppercase(), error),
                None => loads.push(Load::Test {
                    name: test.to_owned(),
                    keyspace: Some(KEYSPACE),
                }),
            }
        }
        let zrange = ["ZRANGE", ZRANGE_KEY, "0", "9"];
        match seed_zrange(&pair)? {
            Some(error) => skip("ZRANGE", error),
            None => loads.push(Load::Command(zrange.map(String::from).to_vec())),
        }
        match crate::bitgeo::loads(&pair)? {
            Ok(more) => loads.extend(more),
            Err(error) => skip("Bitmaps and geo", error),
        }
        match hyperloglog::seed(&pair)? {
            Some(error) => skip("PFADD/PFCOUNT", error),
            None => loads.extend(hyperloglog::loads()),
        }
        let mut rows = benchmark::measure(ctx, &pair, &loads, requests)?;

        // A transaction is 4 commands: run a quarter as many, so a row costs
        // the server about as much as the others.
        let transactions = (requests / 4).max(1);
        match transaction_unsupported(&pair)? {
            Some(error) => skip("MULTI/EXEC", error),
            None => rows.extend(measure_transactions(ctx, &pair, transactions)?),
        }

        notes.push(format!(
            "redis-benchmark, {CLIENTS} clients, {requests} requests per run, -r {KEYSPACE} \
             (random members out of {KEYSPACE}); LPOP pops what LPUSH pushed in the same round. \
             ZRANGE reads 10 members of a {ZRANGE_MEMBERS}-member sorted set. \
             PFADD adds random elements out of {KEYSPACE} to one HLL; PFCOUNT counts one \
             dense HLL (its cached count) and the union of three (computed on every call)."
        ));
        notes.push(format!(
            "{}: xtask's own client (redis-benchmark cannot send transactions), \
             one thread, {CLIENTS} connections, {transactions} transactions per run; ops/s are \
             transactions/s, pipeline is transactions per write, latency is a write's round trip.",
            transactions::TEST
        ));
        notes.push(format!(
            "Median of {} interleaved round(s).",
            ctx.options.rounds
        ));
        Ok(Section {
            title: "Data types".to_owned(),
            table: benchmark::table(&rows),
            notes,
        })
    }
}

/// Fills the ZRANGE key on both servers; the error Redust gives if it lacks
/// sorted sets (ZADD or ZRANGE).
fn seed_zrange(pair: &Pair) -> Result<Option<String>> {
    let mut zadd = vec!["ZADD".to_owned(), ZRANGE_KEY.to_owned()];
    for i in 0..ZRANGE_MEMBERS {
        zadd.extend([i.to_string(), format!("member:{i}")]);
    }
    let zadd: Vec<&str> = zadd.iter().map(String::as_str).collect();
    for command in [&zadd[..], &["ZRANGE", ZRANGE_KEY, "0", "9"]] {
        if let Some(error) = benchmark::rejects(&pair.redust, command)? {
            return Ok(Some(error));
        }
    }
    if let Some(error) = benchmark::rejects(&pair.redis, &zadd)? {
        anyhow::bail!("Redis rejected the ZRANGE seed: {error}");
    }
    Ok(None)
}

/// Runs one transaction on Redust; the first unexpected reply, if any.
fn transaction_unsupported(pair: &Pair) -> Result<Option<String>> {
    let mut client = pair.redust.connect()?;
    for command in [&["MULTI"][..], &["INCR", "xtask:probe:tx"], &["EXEC"]] {
        match client.call(command) {
            Ok(Reply::Error(error)) => return Ok(Some(error)),
            Ok(_) => {}
            Err(error) => return Ok(Some(error.to_string())),
        }
    }
    Ok(None)
}

fn measure_transactions(ctx: &Context, pair: &Pair, transactions: u64) -> Result<Vec<Row>> {
    let rounds = ctx.options.rounds;
    let samples = scenario::interleaved(rounds, &PIPELINES, |round, &pipeline, kind| {
        let server = pair.both()[scenario::side(kind)];
        let sample = transactions::run(server.port(), transactions, pipeline)?;
        eprintln!(
            "round {}/{rounds}: {:<24} P={pipeline:<2} {:<6} {:>9.0} tx/s",
            round + 1,
            sample.test,
            server.name(),
            sample.rps
        );
        Ok(sample)
    })?;
    Ok(PIPELINES
        .iter()
        .zip(samples)
        .map(|(&pipeline, runs)| Row {
            test: transactions::TEST.to_owned(),
            pipeline,
            runs,
        })
        .collect())
}
