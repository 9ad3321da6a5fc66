//! Corrupt and truncated RDB data: always a typed error, never a panic, a
//! hang or an allocation the input does not justify. The number of random
//! cases can be raised with RDB_FUZZ_CASES (default 3000 per test).

mod rdb_support;

use std::panic::{catch_unwind, AssertUnwindSafe};

use bytes::Bytes;
use engine::rdb::{
    crc64, dump, rdb_type, restore, Entry, Error, Event, Limits, Object, Reader, WriteOptions,
    Writer,
};
use rdb_support::{legacy, Rng};

fn cases() -> usize {
    std::env::var("RDB_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// A small file with every type in both encodings, expiry, several dbs.
fn small_file() -> Vec<u8> {
    let limits = Limits {
        set_max_intset_entries: 4,
        hash_max_listpack_entries: 3,
        zset_max_listpack_entries: 3,
        list_max_listpack_size: 4,
        ..Default::default()
    };
    let opts = WriteOptions {
        limits,
        ..Default::default()
    };
    let mut w = Writer::new(Vec::new(), &opts).unwrap();
    w.aux(b"redis-ver", b"7.0.15").unwrap();
    w.function(b"#!lua name=lib\nredis.register_function('f', function() return 1 end)")
        .unwrap();
    for db in [0u32, 3, 15] {
        w.select_db(db, 9, 1).unwrap();
        let e = |key: &str, object: Object| Entry {
            db,
            key: b(key),
            object,
            expire_ms: (key == "s").then_some(1_900_000_000_000),
            lru_idle: Some(5),
            lfu_freq: None,
        };
        for e in [
            e("s", Object::String(b("value"))),
            e("i", Object::String(b("-123456"))),
            e("z", Object::String(b(&"compress me ".repeat(10)))),
            e(
                "l",
                Object::List(
                    (0..9)
                        .map(|i| b(&format!("{i}-{}", "x".repeat(i))))
                        .collect(),
                ),
            ),
            e("si", Object::Set(["1", "2", "-300"].map(b).to_vec())),
            e("ss", Object::Set(["a", "b", "c", "d", "e"].map(b).to_vec())),
            e(
                "hl",
                Object::Hash(vec![(b("f"), b("1")), (b("g"), b("two"))]),
            ),
            e(
                "hh",
                Object::Hash(
                    (0..5)
                        .map(|i| (b(&format!("f{i}")), b(&i.to_string())))
                        .collect(),
                ),
            ),
            e("zl", Object::ZSet(vec![(b("a"), 1.5), (b("b"), -2.0)])),
            e(
                "zs",
                Object::ZSet(
                    (0..5)
                        .map(|i| (b(&format!("m{i}")), i as f64 * 0.7))
                        .collect(),
                ),
            ),
        ] {
            w.write_entry(&e).unwrap();
        }
    }
    w.finish().unwrap()
}

fn read_all(data: &[u8], verify: bool) -> Result<Vec<Event>, Error> {
    let mut r = Reader::new(data)?;
    r.set_verify_checksum(verify);
    r.collect()
}

/// Runs `f`, turning a panic into a test failure that names the case.
fn no_panic<T>(what: &str, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| panic!("panicked on {what}"))
}

#[test]
fn small_file_is_valid() {
    let events = read_all(&small_file(), true).unwrap();
    assert!(matches!(
        events.last(),
        Some(Event::End { checksum: Some(_) })
    ));
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Entry(_)))
            .count(),
        30
    );
}

#[test]
fn every_truncation_is_an_error() {
    let file = small_file();
    for cut in 0..file.len() {
        let r = no_panic(&format!("truncation at {cut}"), || {
            read_all(&file[..cut], true)
        });
        assert!(
            r.is_err(),
            "truncation at {cut} of {} read as valid",
            file.len()
        );
    }
}

#[test]
fn random_byte_flips_are_errors() {
    let file = small_file();
    let mut rng = Rng(0x5eed_0001);
    for case in 0..cases() {
        let mut bad = file.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(bad.len() as u64) as usize;
            bad[at] ^= 1 + rng.below(255) as u8;
        }
        if bad == file {
            continue; // the flips cancelled out
        }
        let what = format!("flip case {case}");
        // The checksum catches what the structure checks let through.
        assert!(
            no_panic(&what, || read_all(&bad, true)).is_err(),
            "{what} read as valid"
        );
        // Without it, the structure checks alone must hold.
        let _ = no_panic(&what, || read_all(&bad, false));
    }
}

/// DUMP payloads with their CRC fixed up after damage, so the value decoder
/// itself faces the corruption: every legacy and current encoding.
#[test]
fn corrupt_values_behind_a_valid_checksum() {
    let mut payloads: Vec<Vec<u8>> = [
        Object::String(b(&"abc".repeat(30))),
        Object::List((0..20).map(|i| b(&i.to_string())).collect()),
        Object::Set(["7", "-1", "100000"].map(b).to_vec()),
        Object::Set(["x", "y"].map(b).to_vec()),
        Object::Hash(vec![(b("f"), b("v")), (b("n"), b("12"))]),
        Object::Hash((0..600).map(|i| (b(&i.to_string()), b("v"))).collect()),
        Object::ZSet(vec![(b("a"), 0.1), (b("b"), 2.0)]),
        Object::ZSet((0..200).map(|i| (b(&i.to_string()), i as f64)).collect()),
    ]
    .iter()
    .map(|o| dump(o, &WriteOptions::default()).unwrap())
    .collect();
    let zl = legacy::ziplist(&[b"a", b"1", b"bb", b"-70000"]);
    for t in [
        rdb_type::LIST_ZIPLIST,
        rdb_type::ZSET_ZIPLIST,
        rdb_type::HASH_ZIPLIST,
    ] {
        let mut v = Vec::new();
        legacy::string(&mut v, &zl);
        payloads.push(legacy::payload(t, &v, 9));
    }
    let mut v = Vec::new();
    legacy::string(&mut v, &legacy::zipmap(&[(b"k", b"v"), (b"k2", b"v2")]));
    payloads.push(legacy::payload(rdb_type::HASH_ZIPMAP, &v, 9));
    let mut v = vec![1];
    legacy::string(&mut v, &zl);
    payloads.push(legacy::payload(rdb_type::LIST_QUICKLIST, &v, 9));

    for p in &payloads {
        restore(p).unwrap();
    }
    let mut rng = Rng(0x5eed_0002);
    for case in 0..cases() {
        let mut p = payloads[case % payloads.len()].clone();
        let body = p.len() - 10;
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(body as u64) as usize;
            p[at] ^= 1 + rng.below(255) as u8;
        }
        let crc = crc64(&p[..p.len() - 8]);
        let n = p.len();
        p[n - 8..].copy_from_slice(&crc.to_le_bytes());
        let _ = no_panic(&format!("value case {case}"), || restore(&p));
        // And every truncation of the value.
        if case < payloads.len() {
            for cut in 0..body {
                let mut t = p[..cut].to_vec();
                t.extend_from_slice(&10u16.to_le_bytes());
                let crc = crc64(&t);
                t.extend_from_slice(&crc.to_le_bytes());
                assert!(no_panic(&format!("cut {cut} of payload {case}"), || restore(&t)).is_err());
            }
        }
    }
}

/// Lengths claiming far more than the input holds fail at the end of the
/// input without reserving what they claim.
#[test]
fn huge_claims_do_not_allocate() {
    let file_with = |body: &[u8]| {
        let mut f = b"REDIS0010".to_vec();
        f.push(rdb_type::STRING);
        f.extend_from_slice(b"\x01k");
        f.extend_from_slice(body);
        f
    };
    // A 2^40-byte string with 3 bytes present.
    let r = read_all(&file_with(b"\x81\x00\x00\x01\x00\x00\x00\x00\x00abc"), true);
    assert!(matches!(r, Err(Error::Truncated { .. })), "{r:?}");
    // An LZF string claiming 2^40 bytes from 4 compressed bytes.
    let r = read_all(
        &file_with(b"\xc3\x04\x81\x00\x00\x01\x00\x00\x00\x00\x00\x00abc"),
        true,
    );
    assert!(matches!(r, Err(Error::Corrupt { .. })), "{r:?}");
    // A list of 2^62 elements with one present.
    let mut f = b"REDIS0010".to_vec();
    f.extend_from_slice(&[
        rdb_type::LIST,
        1,
        b'k',
        0x81,
        0x40,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        1,
        b'x',
    ]);
    let r = read_all(&f, true);
    assert!(matches!(r, Err(Error::Truncated { .. })), "{r:?}");
    // A quicklist of 2^32 nodes.
    let mut f = b"REDIS0010".to_vec();
    f.extend_from_slice(&[
        rdb_type::LIST_QUICKLIST_2,
        1,
        b'k',
        0x81,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        0,
    ]);
    assert!(read_all(&f, true).is_err());
}

#[test]
fn typed_errors() {
    assert!(matches!(
        Reader::new(&b"RUBBISH00"[..]),
        Err(Error::BadSignature)
    ));
    assert!(matches!(Reader::new(&b"RED"[..]), Err(Error::BadSignature)));
    assert!(matches!(
        Reader::new(&b"REDIS0013"[..]),
        Err(Error::UnsupportedVersion(13))
    ));
    assert!(matches!(
        Reader::new(&b"REDIS0000"[..]),
        Err(Error::UnsupportedVersion(0))
    ));
    // A stream value and a module value.
    let stream = b"REDIS0010\x15\x01k\x00";
    assert!(matches!(
        read_all(stream, true),
        Err(Error::UnsupportedType { rdb_type: 21, .. })
    ));
    // Module id of "ReJSON-RL" version 3.
    let id: u64 = "ReJSON-RL".bytes().fold(0u64, |id, c| {
        let cs = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        id << 6 | cs.iter().position(|&x| x == c).unwrap() as u64
    }) << 10
        | 3;
    let mut f = b"REDIS0010\x07\x01k\x81".to_vec();
    f.extend_from_slice(&id.to_be_bytes());
    match read_all(&f, true) {
        Err(Error::Module { name }) => assert_eq!(name, "ReJSON-RL"),
        r => panic!("{r:?}"),
    }
    let mut f = b"REDIS0010\xf7\x81".to_vec();
    f.extend_from_slice(&id.to_be_bytes());
    assert!(matches!(read_all(&f, true), Err(Error::Module { .. })));
    // An unknown opcode.
    assert!(matches!(
        read_all(b"REDIS0010\x08", true),
        Err(Error::UnknownType {
            rdb_type: 8,
            offset: 9
        })
    ));
    // A checksum mismatch, and checksum 0 meaning "not checked".
    let mut f = Writer::new(Vec::new(), &WriteOptions::default())
        .unwrap()
        .finish()
        .unwrap();
    let n = f.len();
    f[n - 1] ^= 1;
    assert!(matches!(read_all(&f, true), Err(Error::Checksum { .. })));
    assert!(read_all(&f, false).is_ok());
    f[n - 8..].fill(0);
    assert_eq!(read_all(&f, true).unwrap(), [Event::End { checksum: None }]);
    // RESTORE's errors.
    assert!(matches!(restore(b"short"), Err(Error::DumpPayload)));
    let empty_list = legacy::payload(rdb_type::LIST, &[0], 10);
    assert!(matches!(restore(&empty_list), Err(Error::BadData { .. })));
    assert_eq!(
        restore(&empty_list).unwrap_err().to_string(),
        "Bad data format"
    );
    let dup_set = legacy::payload(rdb_type::SET, b"\x02\x01a\x01a", 10);
    assert!(matches!(restore(&dup_set), Err(Error::BadData { .. })));
}
