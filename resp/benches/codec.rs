//! Decoding and encoding the shapes that dominate a server's traffic.
//!
//! `cargo bench -p redust-protocol` (add `-- decode` to run only the decoders).

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use resp::{decode, Frame, Protocol, RequestDecoder, Writer};

/// The frames each benchmark decodes and encodes.
fn cases() -> Vec<(&'static str, Vec<Frame>)> {
    let request = |args: &[&[u8]]| Frame::Array(args.iter().map(Frame::bulk).collect());
    vec![
        ("set_request", vec![request(&[b"SET", b"key", b"value"])]),
        (
            "pipeline_16_gets",
            (0..16)
                .map(|i| request(&[b"GET", format!("key:{i}").as_bytes()]))
                .collect(),
        ),
        ("bulk_1k", vec![Frame::bulk(vec![b'x'; 1024])]),
        (
            "array_100",
            vec![Frame::Array(
                (0..100)
                    .map(|i| Frame::bulk(format!("member:{i}")))
                    .collect(),
            )],
        ),
    ]
}

fn encoded(frames: &[Frame]) -> Vec<u8> {
    let mut out = BytesMut::new();
    let mut writer = Writer::new(&mut out, Protocol::Resp2);
    frames.iter().for_each(|f| writer.frame(f));
    out.to_vec()
}

/// What a connection does with bytes from the socket: append them to its
/// long-lived read buffer (the copy a socket read makes anyway).
fn receive(buf: &mut BytesMut, input: &[u8]) {
    buf.extend_from_slice(input);
}

fn bench_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for (name, frames) in cases() {
        let input = encoded(&frames);
        group.throughput(Throughput::Bytes(input.len() as u64));
        let mut buf = BytesMut::with_capacity(64 * 1024);
        group.bench_function(name, |b| {
            b.iter(|| {
                receive(&mut buf, &input);
                while let Some(frame) = decode(&mut buf).unwrap() {
                    black_box(frame);
                }
            })
        });
    }
    group.finish();
}

fn bench_requests(c: &mut Criterion) {
    let mut group = c.benchmark_group("request_decoder");
    // Requests are arrays of bulk strings; a 1 KB bulk travels as SET's value.
    for (name, frames) in cases() {
        let frames: Vec<Frame> = frames
            .into_iter()
            .map(|f| match f {
                Frame::Bulk(b) => {
                    Frame::Array(vec![Frame::bulk("SET"), Frame::bulk("k"), Frame::Bulk(b)])
                }
                other => other,
            })
            .collect();
        let input = encoded(&frames);
        group.throughput(Throughput::Bytes(input.len() as u64));
        let mut buf = BytesMut::with_capacity(64 * 1024);
        let mut decoder = RequestDecoder::default();
        group.bench_function(name, |b| {
            b.iter(|| {
                receive(&mut buf, &input);
                while let Some(args) = decoder.decode(&mut buf).unwrap() {
                    black_box(args);
                }
            })
        });
    }
    group.finish();
}

fn bench_encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for (name, frames) in cases() {
        let mut out = BytesMut::with_capacity(64 * 1024);
        group.throughput(Throughput::Bytes(encoded(&frames).len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                let mut writer = Writer::new(&mut out, Protocol::Resp2);
                for f in &frames {
                    writer.frame(black_box(f));
                }
                black_box(out.len());
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_decode, bench_requests, bench_encode);
criterion_main!(benches);
