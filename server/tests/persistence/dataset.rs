//! The dataset that must survive a save and a load (every type in small and
//! large encodings, binary keys and values, keys with an absolute expiry,
//! all 16 databases) and a walk that reads a server's whole dataset back in
//! a form that compares across restarts and implementations.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::support::reply::{self, escape, Reply};
use crate::support::Client;
use crate::support::{noise, with_args};

use super::node::Node;

pub const DATABASES: usize = 16;

type Command = Vec<Vec<u8>>;

/// One key as read back: TYPE, its value (unordered types sorted) and
/// PEXPIRETIME (an absolute time, so it must come back exactly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: String,
    pub value: Vec<u8>,
    pub expire_at: i64,
}

/// Every key of every database.
pub type Snapshot = BTreeMap<(usize, Vec<u8>), Entry>;

/// What a server held at one moment (every key and DEBUG DIGEST), to
/// compare with what it, or another server, holds later.
pub struct Saved {
    pub snapshot: Snapshot,
    pub digest: String,
}

impl Saved {
    pub fn of(node: &Node) -> Saved {
        let mut c = node.client();
        Saved {
            snapshot: walk(&mut c),
            digest: digest(&mut c),
        }
    }

    pub fn assert_held_by(&self, node: &Node, what: &str) {
        let mut c = node.client();
        assert_same(what, &self.snapshot, &walk(&mut c));
        assert_eq!(digest(&mut c), self.digest, "{what}: DEBUG DIGEST");
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn command(parts: &[&[u8]]) -> Command {
    parts.iter().map(|p| p.to_vec()).collect()
}

/// Whether the server knows sorted sets (Redust gains them later).
pub fn supports_zsets(c: &mut Client) -> bool {
    let ok = c.cmd(&["ZADD", "probe:zset", "1", "a"]).starts_with(':');
    c.cmd(&["DEL", "probe:zset"]);
    ok
}

/// Sends `commands` pipelined and panics on any error reply.
pub fn run_all(c: &mut Client, commands: &[Command]) {
    let mut bytes = Vec::new();
    for args in commands {
        bytes.extend(Client::encode(args));
    }
    c.send_raw(&bytes).unwrap();
    for args in commands {
        let reply = c.read_raw().unwrap();
        assert!(
            !reply.starts_with(b"-"),
            "{}: {}",
            escape(&args.concat()),
            escape(&reply)
        );
    }
}

/// Writes the dataset, zsets only when `zsets`.
pub fn populate(c: &mut Client, zsets: bool) {
    let hour_ahead = (now_ms() + 3_600_000).to_string();
    let mut all: Vec<Command> = Vec::new();
    for db in 0..DATABASES {
        let db_s = db.to_string();
        let key = |name: &str| format!("db{db}:{name}");
        all.push(with_args(&["SELECT", &db_s], []));
        all.push(with_args(&["SET", &key("str"), &format!("value {db}")], []));
        all.push(with_args(&["RPUSH", &key("list"), "a", &db_s, "c"], []));
        all.push(with_args(&["HSET", &key("hash"), "f", "v", "n", &db_s], []));
        all.push(with_args(&["SADD", &key("set"), "x", "y", &db_s], []));
        // Absolute expiries, a different one per database.
        let at = format!("{}{db:02}", &hour_ahead[..hour_ahead.len() - 2]);
        all.push(with_args(&["SET", &key("volatile"), "soon"], []));
        all.push(with_args(&["PEXPIREAT", &key("volatile"), &at], []));
        if zsets {
            all.push(with_args(&["ZADD", &key("zset"), "1", "a", &db_s, "b"], []));
        }
    }
    all.push(with_args(&["SELECT", "0"], []));
    all.extend(every_encoding(&hour_ahead, zsets));
    // Binary data in the last database too.
    all.push(with_args(&["SELECT", "15"], []));
    all.push(command(&[b"SET", b"\x00\xff\r\nkey", b"\r\n\x00\x80"]));
    all.push(with_args(&["SELECT", "0"], []));
    run_all(c, &all);
}

/// Database 0: each type in its small and large encodings.
fn every_encoding(hour_ahead: &str, zsets: bool) -> Vec<Command> {
    let big = "abc".repeat(5000);
    let mut all = vec![
        with_args(&["SET", "str:empty", ""], []),
        with_args(&["SET", "str:int", "-123456789"], []),
        with_args(&["SET", "str:i64", "9223372036854775807"], []),
        with_args(&["SET", "str:lzf", &big], []),
        command(&[b"SET", b"str:noise", &noise(4000)]),
        command(&[b"SET", b"\x00bin\xffkey\r\n", b"\x00\x01\xfe\xff\r\n"]),
        command(&[b"RPUSH", b"list:binary", b"\x00", b"\xff\xfe", b""]),
        with_args(&["RPUSH", "list:ints", "1", "-7", "300000", "0"], []),
        with_args(
            &["RPUSH", "list:long"],
            (0..3000).map(|i| format!("item-{i}")),
        ),
        with_args(&["RPUSH", "list:wide", &big, "small", &big], []),
        with_args(
            &["HSET", "hash:big"],
            (0..600).flat_map(|i| [format!("field-{i}"), format!("{}", i * 7)]),
        ),
        with_args(&["HSET", "hash:wide", "f", &big], []),
        command(&[b"HSET", b"hash:binary", b"\x00f", b"\xffv"]),
        with_args(
            &["SADD", "set:ints", "1", "2", "-3", "65536", "4294967296"],
            [],
        ),
        with_args(
            &["SADD", "set:bigints"],
            (0..1000).map(|i| (i * 3).to_string()),
        ),
        with_args(&["SADD", "set:big"], (0..1000).map(|i| format!("m{i}"))),
        with_args(&["SET", "volatile:str", "x", "PXAT", hour_ahead], []),
        with_args(&["RPUSH", "volatile:list", "a", "b"], []),
        with_args(&["PEXPIREAT", "volatile:list", hour_ahead], []),
    ];
    if zsets {
        all.extend([
            with_args(
                &["ZADD", "zset:small", "1.5", "a", "-inf", "b", "+inf", "c"],
                [],
            ),
            with_args(
                &["ZADD", "zset:big"],
                (0..300).flat_map(|i| [format!("{}", i as f64 / 3.0), format!("m{i}")]),
            ),
        ]);
    }
    all
}

/// Writes `count` keys of 100-byte values into database 0 (for saves that
/// take a moment).
pub fn fill(c: &mut Client, prefix: &str, count: usize) {
    let value = "v".repeat(100);
    let batches: Vec<Command> = (0..count)
        .collect::<Vec<_>>()
        .chunks(500)
        .map(|chunk| {
            with_args(
                &["MSET"],
                chunk
                    .iter()
                    .flat_map(|i| [format!("{prefix}:{i}"), value.clone()]),
            )
        })
        .collect();
    for group in batches.chunks(50) {
        run_all(c, group);
    }
}

fn parse(raw: &[u8]) -> Reply {
    match reply::parse(raw) {
        Ok(Some((reply, _))) => reply,
        _ => panic!("unparsable reply {}", escape(raw)),
    }
}

fn call(c: &mut Client, args: &[&[u8]]) -> Vec<u8> {
    c.call_raw(args)
        .unwrap_or_else(|e| panic!("{}: {e}", escape(args[0])))
}

/// Reads every key of every database.
pub fn walk(c: &mut Client) -> Snapshot {
    let mut out = Snapshot::new();
    for db in 0..DATABASES {
        call(c, &[b"SELECT", db.to_string().as_bytes()]);
        let raw = call(c, &[b"KEYS", b"*"]);
        let keys = parse(&raw);
        let Some(items) = keys.items() else {
            panic!("KEYS: {}", escape(&raw));
        };
        for key in items.iter().map(|k| k.bulk().expect("key").to_vec()) {
            let entry = read_key(c, &key);
            out.insert((db, key), entry);
        }
    }
    call(c, &[b"SELECT", b"0"]);
    out
}

fn read_key(c: &mut Client, key: &[u8]) -> Entry {
    let kind_raw = call(c, &[b"TYPE", key]);
    let kind = String::from_utf8_lossy(&kind_raw).trim().to_string();
    let read: &[&[u8]] = match kind.as_str() {
        "+string" => &[b"GET"],
        "+list" => &[b"LRANGE", b"0", b"-1"],
        "+set" => &[b"SMEMBERS"],
        "+hash" => &[b"HGETALL"],
        "+zset" => &[b"ZRANGE", b"0", b"-1", b"WITHSCORES"],
        other => panic!("{}: TYPE gave {other}", escape(key)),
    };
    let mut args = vec![read[0], key];
    args.extend(&read[1..]);
    let raw = call(c, &args);
    let parsed = parse(&raw);
    let value = match (kind.as_str(), parsed.items()) {
        ("+hash", Some(items)) => {
            let mut pairs: Vec<_> = items
                .chunks(2)
                .map(|p| [p[0].sorted(), p[1].sorted()].concat())
                .collect();
            pairs.sort();
            pairs.concat()
        }
        ("+set", _) => parsed.sorted(),
        _ => raw.clone(),
    };
    let expire_at = parse(&call(c, &[b"PEXPIRETIME", key]))
        .integer()
        .expect("PEXPIRETIME");
    Entry {
        kind,
        value,
        expire_at,
    }
}

/// DEBUG DIGEST as 40 hex digits.
pub fn digest(c: &mut Client) -> String {
    let raw = c.cmd(&["DEBUG", "DIGEST"]);
    let hex = raw.trim_end().trim_start_matches('+').to_string();
    assert!(
        hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "DEBUG DIGEST: {raw}"
    );
    hex
}

/// Panics, listing the first differences, unless both hold the same keys
/// with the same types, values and absolute expiries.
pub fn assert_same(what: &str, expected: &Snapshot, actual: &Snapshot) {
    if expected == actual {
        return;
    }
    let mut diffs = Vec::new();
    for (key, e) in expected {
        match actual.get(key) {
            None => diffs.push(format!("missing db{} {}", key.0, escape(&key.1))),
            Some(a) if a != e => diffs.push(format!(
                "db{} {}: expected {} {} expire {}, got {} {} expire {}",
                key.0,
                escape(&key.1),
                e.kind,
                escape(&e.value),
                e.expire_at,
                a.kind,
                escape(&a.value),
                a.expire_at
            )),
            Some(_) => {}
        }
    }
    for key in actual.keys().filter(|k| !expected.contains_key(*k)) {
        diffs.push(format!("unexpected db{} {}", key.0, escape(&key.1)));
    }
    panic!(
        "{what}: {} keys expected, {} found, {} differences:\n{}",
        expected.len(),
        actual.len(),
        diffs.len(),
        diffs[..diffs.len().min(10)].join("\n")
    );
}
