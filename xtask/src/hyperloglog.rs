//! HyperLogLog loads for the data types scenario: PFADD of random elements
//! into one HLL, and PFCOUNT of one dense HLL (the cached count) and of the
//! union of three (merged and estimated on every call).

use anyhow::Result;

use crate::benchmark::{self, Load};
use crate::scenario::Pair;

/// `-r`: PFADD adds random elements out of this many.
const KEYSPACE: u64 = 100_000;
const ADD_KEY: &str = "xtask:hll:add";
/// Three dense HLLs of this many elements each, overlapping by half.
const UNION_KEYS: [&str; 3] = ["xtask:hll:1", "xtask:hll:2", "xtask:hll:3"];
const UNION_ELEMENTS: usize = 20_000;

/// The loads, in run order.
pub fn loads() -> Vec<Load> {
    let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let keyspace = KEYSPACE.to_string();
    vec![
        // Options may precede a custom command: `-r` fills `__rand_int__`.
        Load::Command(words(&[
            "-r",
            &keyspace,
            "PFADD",
            ADD_KEY,
            "element:__rand_int__",
        ])),
        Load::Command(words(&["PFCOUNT", UNION_KEYS[0]])),
        Load::Command(words(&[
            "PFCOUNT",
            UNION_KEYS[0],
            UNION_KEYS[1],
            UNION_KEYS[2],
        ])),
    ]
}

/// Fills the union keys on both servers; the error Redust gives if it
/// lacks HyperLogLogs.
pub fn seed(pair: &Pair) -> Result<Option<String>> {
    for (k, key) in UNION_KEYS.iter().enumerate() {
        let first = k * UNION_ELEMENTS / 2;
        let elements: Vec<String> = (first..first + UNION_ELEMENTS)
            .map(|i| format!("element:{i}"))
            .collect();
        for batch in elements.chunks(5_000) {
            let mut pfadd = vec!["PFADD", *key];
            pfadd.extend(batch.iter().map(String::as_str));
            if let Some(error) = benchmark::rejects(&pair.redust, &pfadd)? {
                return Ok(Some(error));
            }
            if let Some(error) = benchmark::rejects(&pair.redis, &pfadd)? {
                anyhow::bail!("Redis rejected the HyperLogLog seed: {error}");
            }
        }
    }
    Ok(None)
}
