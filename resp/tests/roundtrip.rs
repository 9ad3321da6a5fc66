//! Random frame trees written with `Frame::encode` read back unchanged
//! through `resp::decode`, whatever reads the bytes arrive in.

mod support;

use bytes::BytesMut;
use rand::rngs::StdRng;
use rand::Rng;
use resp::{decode, Frame, Protocol};

/// Decodes all frames of `bytes` delivered in the chunks between `cuts`.
fn decode_chunked(bytes: &[u8], cuts: &[usize]) -> Vec<Frame> {
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for w in cuts.windows(2) {
        buf.extend_from_slice(&bytes[w[0]..w[1]]);
        while let Some(frame) = decode(&mut buf).expect("valid input") {
            frames.push(frame);
        }
    }
    assert!(buf.is_empty(), "left over: {}", buf.escape_ascii());
    frames
}

#[test]
fn resp3_frames_round_trip_through_random_splits() {
    let mut rng = support::rng(0x5eed_0001);
    for _ in 0..support::iterations(3000) {
        let frames: Vec<Frame> = (0..rng.random_range(1..4))
            .map(|_| support::frame(&mut rng, 4))
            .collect();
        let mut bytes = BytesMut::new();
        for f in &frames {
            f.encode(&mut bytes, Protocol::Resp3);
        }
        let parts = rng.random_range(1..6);
        let cuts = support::random_cuts(&mut rng, bytes.len(), parts);
        assert_eq!(decode_chunked(&bytes, &cuts), frames, "cuts {cuts:?}");
    }
}

/// RESP2 keeps the RESP2 types, including the null array.
#[test]
fn resp2_frames_round_trip() {
    fn resp2_frame(rng: &mut StdRng, depth: usize) -> Frame {
        match support::frame(rng, 0) {
            Frame::Bulk(_) if depth > 0 && rng.random_bool(0.5) => Frame::Array(
                (0..rng.random_range(0..4))
                    .map(|_| resp2_frame(rng, depth - 1))
                    .collect(),
            ),
            Frame::Null if rng.random() => Frame::NullArray,
            f @ (Frame::Simple(_)
            | Frame::Error(_)
            | Frame::Integer(_)
            | Frame::Bulk(_)
            | Frame::Null) => f,
            _ => Frame::Integer(7),
        }
    }
    let mut rng = support::rng(0x5eed_0002);
    for _ in 0..support::iterations(3000) {
        let frame = resp2_frame(&mut rng, 4);
        let bytes = frame.to_bytes(Protocol::Resp2);
        let cuts = support::random_cuts(&mut rng, bytes.len(), 3);
        assert_eq!(decode_chunked(&bytes, &cuts), [frame]);
    }
}

#[test]
fn deep_trees_up_to_the_limit_round_trip() {
    let mut rng = support::rng(0x5eed_0003);
    let mut frame = support::frame(&mut rng, 0);
    for level in 0..128 {
        frame = match level % 4 {
            0 => Frame::Array(vec![frame]),
            1 => Frame::Map(vec![(Frame::Integer(level), frame)]),
            2 => Frame::Set(vec![Frame::Null, frame]),
            _ => Frame::Push(vec![frame]),
        };
    }
    let bytes = frame.to_bytes(Protocol::Resp3);
    assert_eq!(decode_chunked(&bytes, &[0, bytes.len()]), [frame.clone()]);
    let too_deep = Frame::Array(vec![frame]).to_bytes(Protocol::Resp3);
    assert_eq!(
        decode(&mut BytesMut::from(&too_deep[..])),
        Err(resp::DecodeError::TooDeep)
    );
}
