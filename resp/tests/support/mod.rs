//! Helpers shared by the integration tests: seeded randomness and random
//! frame trees.

#![allow(dead_code)] // each test crate uses a different part

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use resp::Frame;

/// `RESP_FUZZ_ITERS` scales the randomized tests (default `default`).
pub fn iterations(default: usize) -> usize {
    std::env::var("RESP_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A generator seeded from `RESP_FUZZ_SEED` (else `default_seed`); the seed
/// is printed so a failure can be replayed.
pub fn rng(default_seed: u64) -> StdRng {
    let seed = std::env::var("RESP_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_seed);
    eprintln!("seed {seed} (set RESP_FUZZ_SEED to replay)");
    StdRng::seed_from_u64(seed)
}

/// Splits `len` bytes into `parts` chunks at random positions.
pub fn random_cuts(rng: &mut StdRng, len: usize, parts: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> = (0..parts.saturating_sub(1))
        .map(|_| rng.random_range(0..=len))
        .collect();
    cuts.push(0);
    cuts.push(len);
    cuts.sort_unstable();
    cuts
}

/// Random bytes, biased towards the bytes RESP gives meaning to.
pub fn random_bytes(rng: &mut StdRng, max_len: usize) -> Vec<u8> {
    const SPECIAL: &[u8] = b"\r\n\r\n*$+-:_%~,#(=>|!\"' \\x0123456789-";
    let len = rng.random_range(0..=max_len);
    (0..len)
        .map(|_| {
            if rng.random_bool(0.5) {
                SPECIAL[rng.random_range(0..SPECIAL.len())]
            } else {
                rng.random()
            }
        })
        .collect()
}

/// A line without CR or LF (simple strings, errors).
fn line_text(rng: &mut StdRng) -> Bytes {
    let len = rng.random_range(0..12);
    (0..len)
        .map(|_| loop {
            let b: u8 = rng.random();
            if b != b'\r' && b != b'\n' {
                break b;
            }
        })
        .collect::<Vec<u8>>()
        .into()
}

fn blob(rng: &mut StdRng) -> Bytes {
    let len = match rng.random_range(0..10) {
        0 => rng.random_range(100..2000),
        _ => rng.random_range(0..8),
    };
    let mut v = vec![0; len];
    rng.fill(&mut v[..]);
    if len > 2 && rng.random_bool(0.3) {
        // Line ends inside payloads must not confuse the decoder.
        v[1] = b'\r';
        v[2] = b'\n';
    }
    v.into()
}

fn double(rng: &mut StdRng) -> f64 {
    match rng.random_range(0..8) {
        0 => f64::INFINITY,
        1 => f64::NEG_INFINITY,
        2 => 0.0,
        3 => f64::from(rng.random_range(-1000i32..1000)),
        4 => f64::from_bits(rng.random()),
        _ => rng.random_range(-1e6..1e6),
    }
}

/// A random frame tree at most `depth` aggregates deep that survives a RESP3
/// round trip unchanged: no NaN doubles (NaN != NaN) and no `NullArray`
/// (RESP3 writes it as `_`, which reads back as `Null`).
pub fn frame(rng: &mut StdRng, depth: usize) -> Frame {
    let kinds = if depth == 0 { 10 } else { 16 };
    let width = |rng: &mut StdRng| rng.random_range(0..5);
    match rng.random_range(0..kinds) {
        0 => Frame::Simple(line_text(rng)),
        1 => Frame::Error(line_text(rng)),
        2 => Frame::Integer(match rng.random_range(0..4) {
            0 => i64::MIN,
            1 => i64::MAX,
            _ => rng.random_range(-100_000..100_000),
        }),
        3 => Frame::Bulk(blob(rng)),
        4 => Frame::Null,
        5 => {
            let d = double(rng);
            Frame::Double(if d.is_nan() { 1.0 } else { d })
        }
        6 => Frame::Boolean(rng.random()),
        7 => {
            let digits: String = (0..rng.random_range(1..40))
                .map(|_| char::from(b'0' + rng.random_range(0..10)))
                .collect();
            let sign = if rng.random() { "-" } else { "" };
            Frame::BigNumber(format!("{sign}{digits}").into())
        }
        8 => Frame::Verbatim {
            format: *b"txt",
            text: blob(rng),
        },
        9 => Frame::Bulk(Bytes::new()),
        10 => Frame::Array((0..width(rng)).map(|_| frame(rng, depth - 1)).collect()),
        11 => Frame::Set((0..width(rng)).map(|_| frame(rng, depth - 1)).collect()),
        12 => Frame::Push((0..width(rng)).map(|_| frame(rng, depth - 1)).collect()),
        13 | 14 => Frame::Map(
            (0..width(rng))
                .map(|_| (frame(rng, depth - 1), frame(rng, depth - 1)))
                .collect(),
        ),
        _ => Frame::Attribute {
            attrs: (0..rng.random_range(0..3))
                .map(|_| (frame(rng, depth - 1), frame(rng, depth - 1)))
                .collect(),
            frame: Box::new(frame(rng, depth - 1)),
        },
    }
}

/// Applies a few random edits to `bytes`: byte changes, insertions of
/// meaningful bytes, deletions, duplicated ranges, truncation.
pub fn mutate(rng: &mut StdRng, bytes: &mut Vec<u8>) {
    const SPECIAL: &[u8] = b"\r\n*$:-+_,#(=%~>|!0123456789\"' \\\0";
    for _ in 0..rng.random_range(1..4) {
        let len = bytes.len();
        let at = rng.random_range(0..=len);
        match rng.random_range(0..6) {
            0 if at < len => bytes[at] = rng.random(),
            1 if at < len => bytes[at] = SPECIAL[rng.random_range(0..SPECIAL.len())],
            2 => bytes.insert(at, SPECIAL[rng.random_range(0..SPECIAL.len())]),
            3 => {
                let end = rng.random_range(at..=len.min(at + 8));
                bytes.drain(at..end);
            }
            4 => {
                let end = rng.random_range(at..=len.min(at + 16));
                let copy = bytes[at..end].to_vec();
                let to = rng.random_range(0..=len);
                bytes.splice(to..to, copy);
            }
            _ => bytes.truncate(at),
        }
    }
}
