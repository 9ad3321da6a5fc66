//! The standing differential fuzzer, bounded for CI: seeded command
//! sequences (testkit's `fuzz` generator: every family, RESP2 and RESP3,
//! edge-case arguments, wrong types and arities) sent to Redust and
//! redis-server side by side, failing on the first reply that differs, on a
//! server that stops answering, and on Redust's memory growing past a bound.
//!
//! `REDUST_FUZZ_SEED=<n>` replays one seed (printed on failure);
//! `REDUST_FUZZ_TRACE=1` prints every exchange. `cargo xtask fuzz` runs the
//! same generator for longer.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use testkit::fuzz::{self, RunOptions};
use testkit::{redis_available, Server};

/// Wall-clock budget of the run (a debug build on a shared two-core
/// machine sends a few thousand commands a second to both servers).
const BUDGET: Duration = Duration::from_secs(60);
/// Commands per seed: long enough for keys to grow past the compact
/// encodings, short enough for many seeds (and both protocols).
const STEPS: usize = 2_000;
/// Redust's resident memory after the run may not exceed this.
const MAX_RSS: u64 = 512 << 20;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, got {v:?}"))
    })
}

#[test]
fn redust_replies_like_redis_to_generated_commands() {
    if !redis_available() {
        return;
    }
    let mut ours = Server::redust(&[]);
    let mut theirs = Server::redis(&[]);
    let (mut a, mut b) = (ours.client(), theirs.client());
    let known: BTreeSet<String> = fuzz::command_names(&mut a)
        .unwrap()
        .intersection(&fuzz::command_names(&mut b).unwrap())
        .cloned()
        .collect();

    let replay = env_u64("REDUST_FUZZ_SEED");
    let seeds: Vec<u64> = match replay {
        Some(seed) => vec![seed],
        None => (1..=1_000).collect(),
    };
    let steps = env_u64("REDUST_FUZZ_STEPS").map_or(STEPS, |n| n as usize);
    let started = Instant::now();
    let deadline = replay.is_none().then(|| started + BUDGET);
    let (mut sent, mut runs) = (0, 0);
    for seed in seeds {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let options = RunOptions {
            seed,
            steps,
            deadline,
            trace: std::env::var_os("REDUST_FUZZ_TRACE").is_some(),
        };
        let outcome = fuzz::run_seed(&mut a, &mut b, &known, &options);
        sent += outcome.sent;
        runs += 1;
        if let Some(finding) = outcome.finding {
            ours.assert_alive();
            theirs.assert_alive();
            panic!("{finding}");
        }
    }
    ours.assert_alive();
    theirs.assert_alive();
    let rss = fuzz::rss_bytes(ours.pid()).expect("Redust's VmRSS");
    eprintln!(
        "fuzz: {runs} seeds, {sent} commands to each server in {:.1?}, Redust RSS {} MB",
        started.elapsed(),
        rss >> 20
    );
    assert!(
        rss < MAX_RSS,
        "Redust's RSS grew to {} MB (bound {} MB)",
        rss >> 20,
        MAX_RSS >> 20
    );
}
