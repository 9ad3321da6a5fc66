//! Fuzzing on a stable toolchain: large amounts of arbitrary and mutated
//! valid input thrown at `decode` and `RequestDecoder`, whole and in random
//! chunks. Nothing may panic or stop making progress, and chunking must not
//! change what is decoded.
//!
//! Runs a few seconds by default; `RESP_FUZZ_ITERS=1000000 cargo test
//! --release -p redust-protocol --test fuzz` runs longer, `RESP_FUZZ_SEED` picks the seed.

mod support;

use bytes::{Bytes, BytesMut};
use rand::rngs::StdRng;
use rand::Rng;
use resp::{decode, DecodeError, Frame, Limits, Protocol, RequestDecoder};

/// What decoding a byte stream gave: frames or requests in debug form (so
/// NaN compares equal to itself), then the error that stopped it, if any.
#[derive(Debug, PartialEq)]
struct Outcome {
    items: Vec<String>,
    error: Option<DecodeError>,
}

fn frames_outcome(input: &[u8], cuts: &[usize]) -> Outcome {
    let mut buf = BytesMut::new();
    let mut items = Vec::new();
    for w in cuts.windows(2) {
        buf.extend_from_slice(&input[w[0]..w[1]]);
        loop {
            let before = buf.len();
            match decode(&mut buf) {
                Ok(Some(frame)) => {
                    assert!(buf.len() < before, "a frame consumes bytes");
                    items.push(format!("{frame:?}"));
                }
                Ok(None) => {
                    assert_eq!(buf.len(), before, "incomplete consumes nothing");
                    break;
                }
                Err(error) => {
                    return Outcome {
                        items,
                        error: Some(error),
                    }
                }
            }
        }
    }
    Outcome { items, error: None }
}

fn requests_outcome(limits: Limits, input: &[u8], cuts: &[usize]) -> Outcome {
    let mut decoder = RequestDecoder::new(limits);
    let mut buf = BytesMut::new();
    let mut items = Vec::new();
    for w in cuts.windows(2) {
        buf.extend_from_slice(&input[w[0]..w[1]]);
        loop {
            let before = decoder.bytes_consumed();
            match decoder.decode(&mut buf) {
                Ok(Some(args)) => {
                    assert!(!args.is_empty(), "empty requests are skipped");
                    assert!(
                        decoder.bytes_consumed() > before,
                        "a request consumes bytes"
                    );
                    items.push(format!("{args:?}"));
                }
                Ok(None) => break,
                Err(error) => {
                    return Outcome {
                        items,
                        error: Some(error),
                    }
                }
            }
        }
    }
    assert!(decoder.bytes_consumed() <= input.len() as u64);
    Outcome { items, error: None }
}

/// Decodes `input` whole and in random chunks; both must agree.
fn check_frames(rng: &mut StdRng, input: &[u8]) {
    let whole = frames_outcome(input, &[0, input.len()]);
    let parts = rng.random_range(2..8);
    let cuts = support::random_cuts(rng, input.len(), parts);
    assert_eq!(
        frames_outcome(input, &cuts),
        whole,
        "input {} cuts {cuts:?}",
        input.escape_ascii()
    );
}

/// Decodes `input` as requests whole and in random chunks. With the default
/// limits both must agree; small limits make "too big" errors depend on how
/// the input arrives, as in Redis, so then only robustness is checked.
fn check_requests(rng: &mut StdRng, input: &[u8]) {
    let mut limits = Limits {
        authenticated: rng.random_bool(0.8),
        ..Limits::default()
    };
    let small = rng.random_bool(0.2);
    if small {
        limits.max_inline_len = rng.random_range(0..64);
        limits.max_bulk_len = rng.random_range(0..64);
        limits.max_multibulk_len = rng.random_range(0..8);
    }
    let whole = requests_outcome(limits, input, &[0, input.len()]);
    let parts = rng.random_range(2..8);
    let cuts = support::random_cuts(rng, input.len(), parts);
    let chunked = requests_outcome(limits, input, &cuts);
    if !small {
        assert_eq!(
            chunked,
            whole,
            "input {} cuts {cuts:?}",
            input.escape_ascii()
        );
    }
    let byte_by_byte: Vec<usize> = (0..=input.len()).collect();
    let slow = requests_outcome(limits, input, &byte_by_byte);
    if !small {
        assert_eq!(slow, whole, "byte by byte: {}", input.escape_ascii());
    }
}

/// A valid request stream: multibulk requests and inline lines.
fn valid_requests(rng: &mut StdRng) -> Vec<u8> {
    let mut out = BytesMut::new();
    for _ in 0..rng.random_range(1..4) {
        let args: Vec<Bytes> = (0..rng.random_range(0..5))
            .map(|_| {
                let len = rng.random_range(0..12);
                (0..len)
                    .map(|_| rng.random_range(b' '..=b'~'))
                    .collect::<Vec<u8>>()
                    .into()
            })
            .collect();
        if rng.random_bool(0.7) {
            Frame::Array(args.into_iter().map(Frame::Bulk).collect())
                .encode(&mut out, Protocol::Resp2);
        } else {
            // Inline words without quotes or spaces.
            for a in args {
                out.extend(
                    a.iter()
                        .map(|&c| if c.is_ascii_alphanumeric() { c } else { b'x' }),
                );
                out.extend_from_slice(b" ");
            }
            out.extend_from_slice(if rng.random() { b"\r\n" } else { b"\n" });
        }
    }
    out.to_vec()
}

fn valid_frames(rng: &mut StdRng) -> Vec<u8> {
    let mut out = BytesMut::new();
    for _ in 0..rng.random_range(1..3) {
        support::frame(rng, 3).encode(&mut out, Protocol::Resp3);
    }
    out.to_vec()
}

#[test]
fn decode_survives_arbitrary_bytes() {
    let mut rng = support::rng(0xf022_0001);
    for _ in 0..support::iterations(50_000) {
        let input = support::random_bytes(&mut rng, 64);
        check_frames(&mut rng, &input);
    }
}

#[test]
fn decode_survives_mutated_frames() {
    let mut rng = support::rng(0xf022_0002);
    for _ in 0..support::iterations(50_000) {
        let mut input = valid_frames(&mut rng);
        support::mutate(&mut rng, &mut input);
        check_frames(&mut rng, &input);
    }
}

#[test]
fn request_decoder_survives_arbitrary_bytes() {
    let mut rng = support::rng(0xf022_0003);
    for _ in 0..support::iterations(50_000) {
        let input = support::random_bytes(&mut rng, 64);
        check_requests(&mut rng, &input);
    }
}

#[test]
fn request_decoder_survives_mutated_requests() {
    let mut rng = support::rng(0xf022_0004);
    for _ in 0..support::iterations(50_000) {
        let mut input = valid_requests(&mut rng);
        support::mutate(&mut rng, &mut input);
        check_requests(&mut rng, &input);
    }
}

#[test]
fn unmutated_requests_decode_without_error() {
    let mut rng = support::rng(0xf022_0005);
    for _ in 0..support::iterations(2_000) {
        let input = valid_requests(&mut rng);
        let outcome = requests_outcome(Limits::default(), &input, &[0, input.len()]);
        assert_eq!(outcome.error, None, "{}", input.escape_ascii());
    }
}
