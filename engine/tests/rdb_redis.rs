//! RDB files and DUMP payloads against Debian's redis-server 7.0: what we
//! write Redis loads (and redis-check-rdb accepts), what Redis writes we
//! read, byte for byte where the encodings are deterministic.

mod rdb_support;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::process::Command;

use bytes::Bytes;
use engine::rdb::{
    digest_hex, dump, rdb_type, restore, AuxFields, DatasetDigest, Entry, Error, Event, KeyMeta,
    Limits, Object, Reader, ValueDigest, WriteOptions, Writer,
};
use rdb_support::legacy;
use rdb_support::*;

/// Writes `entries` (ordered by db) as an RDB file the way a server would.
fn write_file(path: &std::path::Path, entries: &[Entry], options: &WriteOptions) {
    let mut w = Writer::new(BufWriter::new(File::create(path).unwrap()), options).unwrap();
    w.aux_fields(&AuxFields {
        redis_ver: "7.0.15",
        ctime: now_ms() / 1000,
        used_mem: 1 << 20,
        repl: None,
        aof_base: false,
    })
    .unwrap();
    let mut by_db: BTreeMap<u32, Vec<&Entry>> = BTreeMap::new();
    for e in entries {
        by_db.entry(e.db).or_default().push(e);
    }
    for (db, keys) in by_db {
        let expires = keys.iter().filter(|e| e.expire_ms.is_some()).count();
        w.select_db(db, keys.len() as u64, expires as u64).unwrap();
        for e in keys {
            w.write_object(&e.key, &e.meta(), &e.object).unwrap();
        }
    }
    assert_eq!(w.keys_written(), entries.len() as u64);
    w.finish().unwrap();
}

fn check_rdb(path: &std::path::Path) {
    let out = Command::new(REDIS_CHECK_RDB).arg(path).output().unwrap();
    assert!(
        out.status.success(),
        "redis-check-rdb failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Compares every key of `expected` with what `redis` holds.
fn assert_redis_holds(redis: &Redis, expected: &[Entry], check_encoding: bool) {
    let mut c = redis.connect();
    for db in 0..16u32 {
        c.ok(&["SELECT", &db.to_string()]);
        let keys: Vec<&Entry> = expected.iter().filter(|e| e.db == db).collect();
        assert_eq!(
            c.cmd(&["DBSIZE"]).expect_int(),
            keys.len() as i64,
            "db {db}"
        );
        for e in keys {
            let got = c.read_object(&e.key);
            assert_eq!(
                normalize(&got),
                normalize(&e.object),
                "db {db} key {:?}",
                e.key
            );
            if check_encoding {
                let enc = c
                    .cmd(&[b"OBJECT".as_slice(), b"ENCODING", &e.key])
                    .expect_text();
                assert_eq!(enc, expected_encoding(&e.object), "encoding of {:?}", e.key);
            }
            let pexpiretime = c.cmd(&[b"PEXPIRETIME".as_slice(), &e.key]).expect_int();
            assert_eq!(
                pexpiretime,
                e.expire_ms.unwrap_or(-1),
                "expiry of {:?}",
                e.key
            );
        }
    }
}

/// Reads an RDB file completely with our reader.
fn read_file(path: &std::path::Path) -> (Vec<Entry>, Vec<(Bytes, Bytes)>, Option<u64>) {
    let mut r = Reader::new(std::io::BufReader::new(File::open(path).unwrap())).unwrap();
    let (mut entries, mut aux, mut checksum) = (Vec::new(), Vec::new(), None);
    let mut ended = false;
    for ev in &mut r {
        match ev.unwrap() {
            Event::Entry(e) => entries.push(e),
            Event::Aux { key, value } => aux.push((key, value)),
            Event::End { checksum: c } => {
                checksum = c;
                ended = true;
            }
            Event::SelectDb(_) | Event::ResizeDb { .. } | Event::Function(_) => {}
            ev => panic!("unexpected {ev:?}"),
        }
    }
    assert!(ended);
    assert_eq!(r.empty_keys_skipped(), 0);
    (entries, aux, checksum)
}

fn assert_same_entries(got: &[Entry], expected: &[Entry]) {
    let index = |v: &[Entry]| -> BTreeMap<(u32, Bytes), (Object, Option<i64>)> {
        v.iter()
            .map(|e| ((e.db, e.key.clone()), (normalize(&e.object), e.expire_ms)))
            .collect()
    };
    let (got, expected) = (index(got), index(expected));
    assert_eq!(got.len(), expected.len());
    for (k, v) in &expected {
        assert_eq!(got.get(k), Some(v), "key {k:?}");
    }
}

#[test]
fn redis_loads_what_we_write() {
    if !redis_available() {
        return;
    }
    let dir = TempDir::new("ours");
    let data = dataset();
    let path = dir.path().join("ours.rdb");
    write_file(&path, &data, &WriteOptions::default());
    check_rdb(&path);
    let redis = Redis::start(dir.path(), "ours.rdb", &[]);
    assert_redis_holds(&redis, &data, true);

    // Without compression or checksum (rdbcompression/rdbchecksum no).
    let plain = WriteOptions {
        compression: false,
        checksum: false,
        ..Default::default()
    };
    let path = dir.path().join("plain.rdb");
    write_file(&path, &data, &plain);
    check_rdb(&path);
    let redis = Redis::start(dir.path(), "plain.rdb", &[]);
    assert_redis_holds(&redis, &data, true);
}

#[test]
fn redis_loads_other_limits_and_plain_nodes() {
    if !redis_available() {
        return;
    }
    // Tiny limits force the big encodings on small values, positive list
    // fill counts, and elements of 100+ bytes in plain quicklist nodes.
    let limits = Limits {
        list_max_listpack_size: 3,
        list_packed_threshold: 100,
        set_max_intset_entries: 2,
        hash_max_listpack_entries: 2,
        hash_max_listpack_value: 4,
        zset_max_listpack_entries: 2,
        zset_max_listpack_value: 4,
    };
    let options = WriteOptions {
        limits,
        ..Default::default()
    };
    let dir = TempDir::new("limits");
    let data = dataset();
    let path = dir.path().join("limits.rdb");
    write_file(&path, &data, &options);
    check_rdb(&path);
    let redis = Redis::start(dir.path(), "limits.rdb", &[]);
    assert_redis_holds(&redis, &data, false);
    let (entries, _, _) = read_file(&path);
    assert_same_entries(&entries, &data);
}

#[test]
fn we_read_what_redis_writes() {
    if !redis_available() {
        return;
    }
    let dir = TempDir::new("theirs");
    // LRU policy makes Redis save IDLE hints; compress-depth 1 makes it save
    // inner list nodes as LZF blobs; plain nodes for elements >= 1000 bytes.
    let redis = Redis::start(
        dir.path(),
        "dump.rdb",
        &[
            "--maxmemory-policy",
            "allkeys-lru",
            "--list-compress-depth",
            "1",
            "--enable-debug-command",
            "yes",
        ],
    );
    let mut c = redis.connect();
    c.ok(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1000"]);
    let mut data = dataset();
    data.push(Entry {
        db: 15,
        key: Bytes::from_static(b"list:plain"),
        object: Object::List(vec![
            Bytes::from(vec![b'p'; 5000]),
            Bytes::from_static(b"small"),
            Bytes::from(vec![b'q'; 1000]),
        ]),
        expire_ms: None,
        lru_idle: None,
        lfu_freq: None,
    });
    for db in 0..16 {
        c.ok(&["SELECT", &db.to_string()]);
        for e in data.iter().filter(|e| e.db == db) {
            c.store(e);
        }
    }
    // DEBUG DIGEST and DIGEST-VALUE agree with ours.
    let mut dataset_digest = DatasetDigest::default();
    for db in 0..16 {
        let keys: Vec<&Entry> = data.iter().filter(|e| e.db == db).collect();
        if !keys.is_empty() {
            dataset_digest.start_db(db);
        }
        c.ok(&["SELECT", &db.to_string()]);
        for e in keys {
            let has_expire = e.expire_ms.is_some();
            dataset_digest.add(
                &ValueDigest::for_key(&e.key)
                    .object(&e.object)
                    .with_expire(has_expire),
            );
            let theirs = c
                .cmd(&[b"DEBUG".as_slice(), b"DIGEST-VALUE", &e.key])
                .expect_items()[0]
                .expect_text();
            let ours = ValueDigest::new()
                .object(&e.object)
                .with_expire(has_expire)
                .digest();
            assert_eq!(theirs, digest_hex(&ours), "digest of {:?}", e.key);
        }
    }
    assert_eq!(
        c.cmd(&["DEBUG", "DIGEST"]).expect_text(),
        digest_hex(&dataset_digest.digest())
    );
    c.ok(&["SAVE"]);
    let path = dir.path().join("dump.rdb");
    let (entries, aux, checksum) = read_file(&path);
    assert_same_entries(&entries, &data);
    assert!(checksum.is_some());
    assert!(entries.iter().all(|e| e.lru_idle.is_some()));
    let aux: BTreeMap<_, _> = aux.into_iter().collect();
    assert_eq!(aux[&Bytes::from_static(b"redis-bits")], "64");
    assert!(aux[&Bytes::from_static(b"redis-ver")].starts_with(b"7."));
}

#[test]
fn dump_payloads_match_redis_byte_for_byte() {
    if !redis_available() {
        return;
    }
    let dir = TempDir::new("dump");
    let redis = Redis::start(dir.path(), "dump.rdb", &["--rdbcompression", "no"]);
    let mut c = redis.connect();
    let data: Vec<Entry> = dataset().into_iter().filter(|e| e.db == 0).collect();
    for e in &data {
        c.store(e);
    }
    let raw = WriteOptions {
        compression: false,
        ..Default::default()
    };
    for e in &data {
        let theirs = c.cmd(&[b"DUMP".as_slice(), &e.key]).expect_bulk().to_vec();
        assert_eq!(
            normalize(&restore(&theirs).unwrap()),
            normalize(&e.object),
            "{:?}",
            e.key
        );
        // Same encoding decisions and layout as Redis, given Redis's order.
        let as_redis_has_it = c.read_object(&e.key);
        let ours = dump(&as_redis_has_it, &raw).unwrap();
        assert!(
            ours == theirs,
            "DUMP of {:?} differs:\nours   {:?}\ntheirs {:?}",
            e.key,
            &ours[..ours.len().min(64)],
            &theirs[..theirs.len().min(64)]
        );
    }
    // Our compressed payloads restore in Redis.
    for e in &data {
        let ours = dump(&e.object, &WriteOptions::default()).unwrap();
        let key = [b"copy:".as_slice(), &e.key].concat();
        c.ok(&[b"RESTORE".as_slice(), &key, b"0", &ours]);
        assert_eq!(normalize(&c.read_object(&key)), normalize(&e.object));
    }
    // LZF: our compressor does at least as well as Redis's liblzf.
    c.ok(&["CONFIG", "SET", "rdbcompression", "yes"]);
    let text: String = (0..20_000)
        .map(|i| format!("{{\"id\":{i},\"name\":\"user{}\",\"ok\":true}}", i % 97))
        .collect();
    let mut rng = Rng(7);
    let words: Vec<u8> = (0..200_000)
        .map(|_| b"etaoin shrdlu"[rng.below(13) as usize])
        .collect();
    for (i, v) in [text.into_bytes(), words, b"abc".repeat(10_000)]
        .into_iter()
        .enumerate()
    {
        let key = format!("lzf:{i}");
        c.ok(&[key.as_bytes(), &v]
            .iter()
            .fold(vec![b"SET".to_vec()], |mut a, x| {
                a.push(x.to_vec());
                a
            }));
        let theirs = c
            .cmd(&[b"DUMP".as_slice(), key.as_bytes()])
            .expect_bulk()
            .to_vec();
        let ours = dump(&Object::String(v.into()), &WriteOptions::default()).unwrap();
        assert!(
            ours.len() <= theirs.len(),
            "lzf:{i}: ours {} bytes, Redis {}",
            ours.len(),
            theirs.len()
        );
    }
    // A bad checksum or a newer version is refused, by Redis and by us.
    let mut bad = dump(&Object::String(Bytes::from_static(b"x")), &raw).unwrap();
    let n = bad.len();
    bad[n - 1] ^= 1;
    assert_eq!(
        c.cmd(&[b"RESTORE".as_slice(), b"bad", b"0", &bad]),
        Reply::Error("ERR DUMP payload version or checksum are wrong".into())
    );
    assert!(matches!(restore(&bad), Err(Error::DumpPayload)));
    let newer = legacy::payload(0, b"\x01x", 13);
    assert!(matches!(restore(&newer), Err(Error::DumpPayload)));
}

/// Value payloads in encodings Redis stopped writing, which Redis 7.0 still
/// restores: both sides must agree on what they hold.
#[test]
fn old_encodings_agree_with_redis() {
    if !redis_available() {
        return;
    }
    let dir = TempDir::new("legacy");
    let redis = Redis::start(dir.path(), "dump.rdb", &[]);
    let mut c = redis.connect();
    let long = vec![b'L'; 300];
    let huge = vec![b'H'; 20_000];
    let list_items: Vec<&[u8]> = vec![
        b"hello",
        b"0",
        b"12",
        b"13",
        b"-128",
        b"127",
        b"300",
        b"-40000",
        b"8000000",
        b"2000000000",
        b"-9000000000",
        &long,
        b"after-long",
        &huge,
        b"",
    ];
    let mut cases: Vec<(&str, u8, Vec<u8>)> = Vec::new();
    let mut v = Vec::new();
    legacy::len(&mut v, 3);
    for s in [b"x".as_slice(), b"12", b"y"] {
        legacy::string(&mut v, s);
    }
    cases.push(("list", rdb_type::LIST, v));
    let mut v = Vec::new();
    legacy::len(&mut v, 4);
    for (m, score) in [("a", "1.5"), ("b", "-3"), ("c", "inf"), ("d", "1e300")] {
        legacy::string(&mut v, m.as_bytes());
        v.push(score.len() as u8);
        v.extend_from_slice(score.as_bytes());
    }
    v.extend_from_slice(b"\x01e\xff"); // member "e", score -inf (255)
    v[0] = 5;
    cases.push(("zset with text scores", rdb_type::ZSET, v));
    let mut v = Vec::new();
    legacy::string(&mut v, &legacy::ziplist(&list_items));
    cases.push(("list ziplist", rdb_type::LIST_ZIPLIST, v));
    let mut v = Vec::new();
    legacy::len(&mut v, 2);
    legacy::string(&mut v, &legacy::ziplist(&list_items[..5]));
    legacy::string(&mut v, &legacy::ziplist(&list_items[5..]));
    cases.push(("quicklist of ziplists", rdb_type::LIST_QUICKLIST, v));
    let mut v = Vec::new();
    legacy::string(
        &mut v,
        &legacy::ziplist(&[b"m1", b"1.5", b"m2", b"-7", b"m3", b"100000", b"4", b"0.25"]),
    );
    cases.push(("zset ziplist", rdb_type::ZSET_ZIPLIST, v));
    let mut v = Vec::new();
    legacy::string(
        &mut v,
        &legacy::ziplist(&[b"f1", b"v1", b"f2", b"12", b"7", &long]),
    );
    cases.push(("hash ziplist", rdb_type::HASH_ZIPLIST, v));
    let mut v = Vec::new();
    legacy::string(
        &mut v,
        &legacy::zipmap(&[(b"foo", b"bar"), (b"n", b"5"), (&long, b"long field")]),
    );
    cases.push(("hash zipmap", rdb_type::HASH_ZIPMAP, v));
    for (i, (what, t, value)) in cases.iter().enumerate() {
        let payload = legacy::payload(*t, value, 9);
        let key = format!("legacy:{i}");
        let r = c.cmd(&[key.as_bytes(), b"0", &payload].iter().fold(
            vec![b"RESTORE".to_vec()],
            |mut a, x| {
                a.push(x.to_vec());
                a
            },
        ));
        assert_eq!(r, Reply::Simple("OK".into()), "{what}");
        let theirs = c.read_object(key.as_bytes());
        let ours = restore(&payload).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(normalize(&ours), normalize(&theirs), "{what}");
    }
}

#[test]
fn lfu_and_lru_hints_reach_redis() {
    if !redis_available() {
        return;
    }
    let dir = TempDir::new("lfu");
    let path = dir.path().join("hints.rdb");
    let mut w = Writer::new(File::create(&path).unwrap(), &WriteOptions::default()).unwrap();
    w.select_db(0, 2, 0).unwrap();
    w.write_string(
        b"hot",
        &KeyMeta {
            lfu_freq: Some(200),
            ..Default::default()
        },
        b"1",
    )
    .unwrap();
    w.write_string(
        b"idle",
        &KeyMeta {
            lru_idle: Some(1000),
            ..Default::default()
        },
        b"2",
    )
    .unwrap();
    w.finish().unwrap();
    check_rdb(&path);
    let redis = Redis::start(
        dir.path(),
        "hints.rdb",
        &["--maxmemory-policy", "allkeys-lfu"],
    );
    assert_eq!(
        redis.connect().cmd(&["OBJECT", "FREQ", "hot"]).expect_int(),
        200
    );
    drop(redis);
    let redis = Redis::start(
        dir.path(),
        "hints.rdb",
        &["--maxmemory-policy", "allkeys-lru"],
    );
    assert!(
        redis
            .connect()
            .cmd(&["OBJECT", "IDLETIME", "idle"])
            .expect_int()
            >= 1000
    );
}
