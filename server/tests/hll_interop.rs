//! HyperLogLogs move between Redust and redis-server both ways: sparse and
//! dense HLLs built on one server are copied to the other as plain strings
//! (GET then SET) and as DUMP payloads (RESTORE), and must count the same
//! there; the same adds must give byte-identical values on both servers.

mod support;

use support::reply::escape;
use support::{redis_available, with_args, Client, Server};

/// PFADDs `elements` to `key` in batches of 1000.
fn add_all(client: &mut Client, key: &str, elements: impl Iterator<Item = String>) {
    let elements: Vec<String> = elements.collect();
    for batch in elements.chunks(1000) {
        let reply = client
            .call(&with_args(&["PFADD", key], batch.to_vec()))
            .unwrap();
        assert!(reply.integer().is_some(), "PFADD {key}: {reply:?}");
    }
}

fn count(client: &mut Client, keys: &[&str]) -> i64 {
    let mut args = vec!["PFCOUNT"];
    args.extend_from_slice(keys);
    let reply = client.call(&args).unwrap();
    reply
        .integer()
        .unwrap_or_else(|| panic!("PFCOUNT {keys:?}: {reply:?}"))
}

fn get(client: &mut Client, key: &str) -> Vec<u8> {
    client.call(&["GET", key]).unwrap().expect_bulk().to_vec()
}

fn encoding(client: &mut Client, key: &str) -> String {
    let reply = client.call(&["PFDEBUG", "ENCODING", key]).unwrap();
    reply
        .text()
        .unwrap_or_else(|| panic!("PFDEBUG ENCODING {key}: {reply:?}"))
}

/// Keys and what they hold: a small sparse HLL, one near the sparse limit,
/// and a dense one.
const CASES: &[(&str, u32)] = &[("sparse", 100), ("sparse:big", 400), ("dense", 20_000)];

fn build(client: &mut Client) {
    for &(key, n) in CASES {
        add_all(client, key, (0..n).map(|i| format!("{key}-{i}")));
    }
}

/// Copies every case from `from` to `to` both as a string and as a DUMP
/// payload, then checks counts, encodings and bytes on `to`.
fn copy_and_compare(from: &mut Client, to: &mut Client) {
    for &(key, _) in CASES {
        let bytes = get(from, key);
        let dump = from.call(&["DUMP", key]).unwrap().expect_bulk().to_vec();
        let as_string = format!("{key}:set");
        let as_dump = format!("{key}:restored");
        to.call(&[b"SET".as_slice(), as_string.as_bytes(), &bytes])
            .unwrap();
        let restored = to
            .call(&[b"RESTORE".as_slice(), as_dump.as_bytes(), b"0", &dump])
            .unwrap();
        assert_eq!(restored.text().as_deref(), Some("OK"), "RESTORE {key}");
        let want = count(from, &[key]);
        for copy in [&as_string, &as_dump] {
            assert_eq!(count(to, &[copy]), want, "PFCOUNT {copy}");
            assert_eq!(encoding(to, copy), encoding(from, key), "{copy}");
        }
        // The cached count written back is the same on both sides.
        let after = get(from, key);
        assert_eq!(
            escape(&get(to, &as_string)),
            escape(&after),
            "{key} after PFCOUNT"
        );
    }
    let keys: Vec<&str> = CASES.iter().map(|(k, _)| *k).collect();
    let copies: Vec<String> = keys.iter().map(|k| format!("{k}:restored")).collect();
    let copies: Vec<&str> = copies.iter().map(String::as_str).collect();
    assert_eq!(count(to, &copies), count(from, &keys), "union");
}

#[test]
fn redis_made_hlls_count_the_same_here() {
    if !redis_available() {
        return;
    }
    let (redis, redust) = (Server::redis(&[]), Server::redust(&[]));
    let (mut theirs, mut ours) = (redis.client(), redust.client());
    build(&mut theirs);
    assert_eq!(encoding(&mut theirs, "sparse"), "sparse");
    assert_eq!(encoding(&mut theirs, "dense"), "dense");
    copy_and_compare(&mut theirs, &mut ours);
}

#[test]
fn redust_made_hlls_count_the_same_in_redis() {
    if !redis_available() {
        return;
    }
    let (redis, redust) = (Server::redis(&[]), Server::redust(&[]));
    let (mut theirs, mut ours) = (redis.client(), redust.client());
    build(&mut ours);
    copy_and_compare(&mut ours, &mut theirs);
}

/// The same adds give the same bytes, the same counts and the same merges.
#[test]
fn same_adds_same_bytes_and_counts() {
    if !redis_available() {
        return;
    }
    let (redis, redust) = (Server::redis(&[]), Server::redust(&[]));
    let (mut theirs, mut ours) = (redis.client(), redust.client());
    for client in [&mut theirs, &mut ours] {
        build(client);
        add_all(client, "100k", (0..100_000).map(|i| format!("element:{i}")));
        add_all(
            client,
            "third",
            (50_000..60_000).map(|i| format!("element:{i}")),
        );
        let merged = client.call(&["PFMERGE", "merged", "sparse", "sparse:big", "dense"]);
        assert_eq!(merged.unwrap().text().as_deref(), Some("OK"));
    }
    for key in ["sparse", "sparse:big", "dense", "100k", "third", "merged"] {
        assert_eq!(
            escape(&get(&mut ours, key)),
            escape(&get(&mut theirs, key)),
            "{key}"
        );
        assert_eq!(
            count(&mut ours, &[key]),
            count(&mut theirs, &[key]),
            "{key}"
        );
    }
    let union = ["100k", "dense", "third"];
    assert_eq!(count(&mut ours, &union), count(&mut theirs, &union));
    let n = count(&mut ours, &["100k"]);
    assert!((99_000..101_000).contains(&n), "{n}");
}
