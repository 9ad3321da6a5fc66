//! RDB write and read throughput: 1M small string keys to and from memory.
//! Criterion reports MB/s of RDB bytes.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use engine::rdb::{Event, KeyMeta, Reader, WriteOptions, Writer};

const KEYS: usize = 1_000_000;

fn dataset() -> Vec<(Vec<u8>, Vec<u8>)> {
    (0..KEYS)
        .map(|i| {
            (
                format!("key:{i:010}").into_bytes(),
                format!("value:{i}").into_bytes(),
            )
        })
        .collect()
}

fn write(data: &[(Vec<u8>, Vec<u8>)], out: Vec<u8>) -> Vec<u8> {
    let mut w = Writer::new(out, &WriteOptions::default()).unwrap();
    w.select_db(0, data.len() as u64, 0).unwrap();
    let meta = KeyMeta::default();
    for (k, v) in data {
        w.write_string(k, &meta, v).unwrap();
    }
    w.finish().unwrap()
}

fn bench(c: &mut Criterion) {
    let data = dataset();
    let file = write(&data, Vec::new());
    let mut g = c.benchmark_group("rdb_1M_small_strings");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(file.len() as u64));
    g.bench_function("write", |b| {
        let mut buf = Vec::with_capacity(file.len());
        b.iter(|| {
            buf.clear();
            buf = write(black_box(&data), std::mem::take(&mut buf));
        })
    });
    g.bench_function("read", |b| {
        b.iter(|| {
            let mut keys = 0;
            for ev in Reader::new(black_box(file.as_slice())).unwrap() {
                if let Event::Entry(e) = ev.unwrap() {
                    keys += e.key.len();
                }
            }
            keys
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
