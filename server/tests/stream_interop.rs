//! Streams move between Redust and redis-server both ways, through RDB
//! files and DUMP payloads: a stream of several nodes with deleted
//! entries, groups, pending entries and consumers reads back with the
//! same XINFO STREAM FULL, XRANGE and DEBUG DIGEST-VALUE.

mod support;

use std::time::Duration;

use support::reply::escape;
use support::{redis_available, Client, Server};
use testkit::wait_until;

fn call(c: &mut Client, args: &[&str]) -> Vec<u8> {
    c.call_raw(args).expect("reply")
}

/// Builds the stream `s` on `c`.
fn build(c: &mut Client) {
    call(c, &["CONFIG", "SET", "stream-node-max-entries", "3"]);
    for i in 1..=10 {
        let (id, v) = (format!("{i}-1"), i.to_string());
        call(c, &["XADD", "s", &id, "f", &v, "g", "x"]);
    }
    for line in [
        "XADD s 11-1 other 1",
        "XDEL s 2-1 5-1",
        "XGROUP CREATE s g1 0",
        "XGROUP CREATE s g2 $",
        "XREADGROUP GROUP g1 alice COUNT 3 STREAMS s >",
        "XREADGROUP GROUP g1 bob COUNT 2 STREAMS s >",
        "XACK s g1 3-1",
        "XGROUP CREATECONSUMER s g2 carol",
        "XCLAIM s g1 carol 0 4-1 JUSTID",
        "XSETID s 20-0 ENTRIESADDED 30 MAXDELETEDID 6-0",
    ] {
        let args: Vec<&str> = line.split(' ').collect();
        let reply = call(c, &args);
        assert!(!reply.starts_with(b"-"), "{line}: {}", escape(&reply));
    }
}

/// What must be identical on both sides.
fn state(c: &mut Client) -> Vec<Vec<u8>> {
    vec![
        call(c, &["XINFO", "STREAM", "s", "FULL", "COUNT", "0"]),
        call(c, &["XRANGE", "s", "-", "+"]),
        call(c, &["DEBUG", "DIGEST-VALUE", "s"]),
        call(c, &["XINFO", "GROUPS", "s"]),
        call(c, &["XLEN", "s"]),
    ]
}

fn assert_same(what: &str, a: &[Vec<u8>], b: &[Vec<u8>]) {
    for (x, y) in a.iter().zip(b) {
        assert_eq!(escape(x), escape(y), "{what}");
    }
}

/// `from` saves; `to` restarts on that file.
fn through_rdb(from: &Server, to: &mut Server) {
    let mut c = from.client();
    build(&mut c);
    let expected = state(&mut c);
    assert_eq!(call(&mut c, &["SAVE"]), b"+OK\r\n");
    std::fs::copy(from.dir().join("dump.rdb"), to.dir().join("dump.rdb"))
        .expect("copy the RDB file");
    to.restart();
    let mut d = to.client();
    wait_until(Duration::from_secs(10), "the RDB load", || {
        call(&mut d, &["PING"]) == b"+PONG\r\n"
    });
    assert_same(
        &format!("{} -> {}", from.name(), to.name()),
        &expected,
        &state(&mut d),
    );
}

#[test]
fn rdb_from_redis() {
    if !redis_available() {
        return;
    }
    let (redis, mut redust) = (Server::redis(&[]), Server::redust(&[]));
    through_rdb(&redis, &mut redust);
}

#[test]
fn rdb_to_redis() {
    if !redis_available() {
        return;
    }
    let (redust, mut redis) = (Server::redust(&[]), Server::redis(&[]));
    through_rdb(&redust, &mut redis);
}

#[test]
fn dump_restore_both_ways() {
    if !redis_available() {
        return;
    }
    let (redust, redis) = (Server::redust(&[]), Server::redis(&[]));
    let mut clients = [redust.client(), redis.client()];
    for source in 0..2 {
        let [a, b] = &mut clients;
        let (from, to) = if source == 0 { (a, b) } else { (b, a) };
        call(from, &["FLUSHALL"]);
        call(to, &["FLUSHALL"]);
        build(from);
        let expected = state(from);
        let payload = from.call(&["DUMP", "s"]).expect("dump");
        let payload = payload.bulk().expect("a payload").to_vec();
        let restored = to
            .call_raw(&[b"RESTORE".as_slice(), b"s", b"0", &payload])
            .expect("restore");
        assert_eq!(restored, b"+OK\r\n", "{}", escape(&restored));
        assert_same("DUMP/RESTORE", &expected, &state(to));
    }
}
