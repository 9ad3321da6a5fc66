//! Comparing two servers' datasets: DEBUG DIGEST when both have it, and
//! otherwise (or to explain a mismatch) a walk of all 16 databases with
//! SCAN, TYPE, PTTL and a per-type read, independent of value encodings.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::node::Node;
use crate::support::reply::{self, Reply};
use crate::support::Client;
use testkit::poll_until;

/// Expiry times are compared as absolute times derived from PTTL and the
/// moment it was read; more difference than this means the TTL was not
/// carried over as an absolute time.
pub const TTL_TOLERANCE_MS: i64 = 1_000;
const DIGEST_SETTLE: Duration = Duration::from_secs(3);
const DATABASES: usize = 16;
const BATCH: usize = 500;

/// What a key holds, in a form that compares equal across implementations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: String,
    pub value: Vec<u8>,
    /// When the key expires (Unix milliseconds, as seen from the test).
    pub expires_at: Option<i64>,
}

/// Every key of every database: `(db, key) -> entry`.
pub type Snapshot = BTreeMap<(usize, Vec<u8>), Entry>;

/// `DEBUG DIGEST` as 40 hex digits, or `None` when not supported.
pub fn digest(node: &Node) -> Option<String> {
    let raw = node.cmd(&["DEBUG", "DIGEST"]);
    let text = raw.trim_end();
    let hex = text
        .strip_prefix('+')
        .or_else(|| text.strip_prefix("$40\r\n"))?;
    (hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| hex.to_string())
}

/// Panics, listing the first differences, unless `a` and `b` hold the same
/// keys with the same types, values and (within tolerance) TTLs.
pub fn assert_same_dataset(a: &Node, b: &Node) {
    // A master deleting a key that just expired sends the DEL after the
    // fact, so give equal digests a moment before looking closer.
    let mut digests = (None, None);
    let settled = poll_until(DIGEST_SETTLE, || {
        digests = (digest(a), digest(b));
        match &digests {
            (Some(x), Some(y)) => Ok(x == y),
            // No DEBUG DIGEST: compare key by key.
            _ => Err(()),
        }
    });
    if settled == Ok(true) {
        return;
    }
    let (left, right) = (snapshot(a), snapshot(b));
    let diffs = differences(&left, &right);
    if !diffs.is_empty() {
        panic!(
            "datasets differ: {} ({} keys) vs {} ({} keys), {} differences, first ones:\n{}",
            a.label(),
            left.len(),
            b.label(),
            right.len(),
            diffs.len(),
            diffs[..diffs.len().min(10)].join("\n")
        );
    }
    if let (Some(x), Some(y)) = digests {
        panic!(
            "same contents ({} keys) but DEBUG DIGEST differs: {} {x}, {} {y}",
            left.len(),
            a.label(),
            b.label()
        );
    }
}

fn differences(left: &Snapshot, right: &Snapshot) -> Vec<String> {
    let keys: BTreeSet<_> = left.keys().chain(right.keys()).collect();
    let show = |(db, key): &(usize, Vec<u8>)| format!("db{db} {}", reply::escape(key));
    keys.into_iter()
        .filter_map(|k| match (left.get(k), right.get(k)) {
            (Some(l), Some(r)) if same(l, r) => None,
            (l, r) => Some(format!("{}: {} vs {}", show(k), describe(l), describe(r))),
        })
        .collect()
}

fn describe(entry: Option<&Entry>) -> String {
    match entry {
        None => "missing".into(),
        Some(e) => format!(
            "{} {} expires_at={:?}",
            e.kind,
            reply::escape(&e.value),
            e.expires_at
        ),
    }
}

fn same(l: &Entry, r: &Entry) -> bool {
    let ttl_ok = match (l.expires_at, r.expires_at) {
        (None, None) => true,
        (Some(x), Some(y)) => (x - y).abs() <= TTL_TOLERANCE_MS,
        _ => false,
    };
    l.kind == r.kind && l.value == r.value && ttl_ok
}

/// Reads every key of every database through a fresh connection.
pub fn snapshot(node: &Node) -> Snapshot {
    let mut client = node.client();
    let mut all = Snapshot::new();
    for db in 0..DATABASES {
        expect_ok(&mut client, &["SELECT", &db.to_string()]);
        let keys: Vec<Vec<u8>> = scan_all(&mut client).into_iter().collect();
        for batch in keys.chunks(BATCH) {
            let kinds = pipeline(&mut client, batch.iter().map(|k| vec![&b"TYPE"[..], k]));
            let ttls = pipeline(&mut client, batch.iter().map(|k| vec![&b"PTTL"[..], k]));
            let read_at = unix_ms();
            let kinds: Vec<String> = kinds.iter().map(|raw| simple(raw)).collect();
            let reads = batch
                .iter()
                .zip(&kinds)
                .map(|(k, kind)| read_command(kind, k));
            let values = pipeline(&mut client, reads);
            for (((key, kind), ttl), value) in batch.iter().zip(kinds).zip(ttls).zip(values) {
                let ttl = integer(&ttl);
                if ttl == -2 || kind == "none" {
                    continue; // gone since SCAN saw it (expired)
                }
                let value = canonical(&kind, &value);
                let expires_at = (ttl >= 0).then_some(read_at + ttl);
                all.insert(
                    (db, key.clone()),
                    Entry {
                        kind,
                        value,
                        expires_at,
                    },
                );
            }
        }
    }
    all
}

/// All keys of the selected database; SCAN may repeat keys, a set does not.
fn scan_all(client: &mut Client) -> BTreeSet<Vec<u8>> {
    let mut keys = BTreeSet::new();
    let mut cursor = b"0".to_vec();
    loop {
        let raw = client
            .call_raw(&[&b"SCAN"[..], &cursor, b"COUNT", b"1000"])
            .expect("SCAN");
        let (parsed, _) = parse(&raw);
        let Some(items) = parsed.items() else {
            panic!("SCAN reply {}", reply::escape(&raw));
        };
        cursor = items[0].bulk().expect("SCAN cursor").to_vec();
        if let Some(found) = items[1].items() {
            keys.extend(found.iter().filter_map(|k| k.bulk().map(<[u8]>::to_vec)));
        }
        if cursor == b"0" {
            return keys;
        }
    }
}

fn read_command<'a>(kind: &str, key: &'a [u8]) -> Vec<&'a [u8]> {
    let args: &[&'static [u8]] = match kind {
        "string" => &[b"GET"],
        "list" => &[b"LRANGE", b"0", b"-1"],
        "hash" => &[b"HGETALL"],
        "set" => &[b"SMEMBERS"],
        "zset" => &[b"ZRANGE", b"0", b"-1", b"WITHSCORES"],
        "stream" => &[b"XRANGE"],
        // Unknown types compare by TYPE alone; PTTL is a harmless read.
        _ => &[b"PTTL"],
    };
    let mut command = vec![args[0], key];
    command.extend(&args[1..]);
    if kind == "stream" {
        command.extend([&b"-"[..], b"+"]);
    }
    command
}

/// The read reply in an order-independent form where order is not data.
fn canonical(kind: &str, raw: &[u8]) -> Vec<u8> {
    let (parsed, _) = parse(raw);
    match (kind, parsed.items()) {
        ("set", _) => parsed.sorted(),
        ("hash", Some(items)) => {
            let mut pairs: Vec<Vec<u8>> = items
                .chunks(2)
                .map(|pair| pair.iter().flat_map(Reply::sorted).collect())
                .collect();
            pairs.sort();
            pairs.concat()
        }
        (_, None) | ("list" | "zset" | "stream", _) => raw.to_vec(),
        _ => Vec::new(),
    }
}

/// Sends every command, then reads every reply.
pub fn pipeline<'a, I>(client: &mut Client, commands: I) -> Vec<Vec<u8>>
where
    I: IntoIterator<Item = Vec<&'a [u8]>>,
{
    let mut sent = 0;
    let mut buf = Vec::new();
    for command in commands {
        buf.extend(Client::encode(&command));
        sent += 1;
    }
    client.send_raw(&buf).expect("pipeline write");
    (0..sent)
        .map(|_| client.read_raw().expect("pipeline read"))
        .collect()
}

pub fn unix_ms() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    now.unwrap().as_millis() as i64
}

fn expect_ok(client: &mut Client, args: &[&str]) {
    let reply = client.cmd(args);
    assert_eq!(reply, "+OK\r\n", "{args:?}");
}

fn parse(raw: &[u8]) -> (Reply, usize) {
    reply::parse(raw)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("unparsable reply {}", reply::escape(raw)))
}

fn simple(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .trim_start_matches('+')
        .trim_end()
        .to_string()
}

fn integer(raw: &[u8]) -> i64 {
    parse(raw)
        .0
        .integer()
        .unwrap_or_else(|| panic!("not an integer: {}", reply::escape(raw)))
}
