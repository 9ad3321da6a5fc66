//! Copy-on-write snapshots: a BGSAVE, or a full sync, holds the keyspace as
//! it was when it started, however the keyspace changes while the snapshot
//! is written; snapshots in a row each hold their own point; memory comes
//! back once they end.
//!
//! `REDUST_TEST_BIN=/usr/bin/redis-server` runs the same tests against
//! Redis (its fork gives the same guarantees), which validates them.

mod support;

#[allow(dead_code)]
#[path = "persistence/mod.rs"]
mod harness;

use harness::dataset::{self, Saved};
use harness::node::Node;
use support::{with_args, Client, TempDir};
use testkit::eventually;

const OK: &str = "+OK\r\n";

/// The test dataset, plus `pad` keys to make a paced save last.
fn populate(node: &Node, pad: usize) {
    let mut c = node.client();
    let zsets = dataset::supports_zsets(&mut c);
    dataset::populate(&mut c, zsets);
    dataset::fill(&mut c, "pad", pad);
}

/// Changes keys of every type and encoding, in several databases: writes
/// in place, overwrites, deletes, new keys, expiry set and removed, a
/// flushed database. `round` makes each call's changes different.
fn mutate(c: &mut Client, round: usize) {
    let r = round.to_string();
    let zsets = dataset::supports_zsets(c);
    let mut all = vec![
        with_args(&["SELECT", "0"], []),
        with_args(&["SET", "str:int", &r], []),
        with_args(&["APPEND", "str:lzf", &r], []),
        with_args(&["RPUSH", "list:long", &r], []),
        with_args(&["LPOP", "list:ints"], []),
        with_args(
            &["HSET", "hash:big", "field-1", &r, &format!("new-{r}"), "x"],
            [],
        ),
        with_args(&["HDEL", "hash:binary", "\x00f"], []),
        with_args(&["SADD", "set:big", &format!("new-{r}")], []),
        with_args(&["SREM", "set:bigints", "3", "6"], []),
        with_args(&["SADD", "set:ints", &r], []),
        with_args(&["DEL", "str:noise", "list:wide"], []),
        with_args(&["PERSIST", "volatile:str"], []),
        with_args(&["EXPIRE", "str:empty", "100000"], []),
        with_args(&["SET", &format!("new:{r}"), "fresh"], []),
        with_args(&["SELECT", "3"], []),
        with_args(&["FLUSHDB"], []),
        with_args(&["SELECT", "7"], []),
        with_args(&["SET", "db7:str", &r], []),
        with_args(&["RPUSH", "db7:list", &r], []),
        with_args(&["SELECT", "0"], []),
    ];
    if zsets {
        all.push(with_args(
            &["ZADD", "zset:big", "7", &format!("new-{r}")],
            [],
        ));
        all.push(with_args(&["ZREM", "zset:small", "a"], []));
    }
    // Overwrite a spread of the padding, touching many chunks.
    for i in (round % 7..5_000).step_by(97) {
        all.push(with_args(&["SET", &format!("pad:{i}"), &r], []));
    }
    dataset::run_all(c, &all);
}

fn in_progress(node: &Node) -> bool {
    node.info("persistence", "rdb_bgsave_in_progress") == "1"
}

#[test]
fn bgsave_holds_the_keyspace_at_its_start_while_every_type_changes() {
    let dir = TempDir::new("snapshot-point");
    let mut node = Node::redust(dir.path(), &[]);
    populate(&node, 5_000);
    let before = Saved::of(&node);
    // ~1 s of saving: the writes below land while it runs.
    assert_eq!(
        node.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "200"]),
        OK
    );
    assert_eq!(node.cmd(&["BGSAVE"]), "+Background saving started\r\n");
    let mut c = node.client();
    for round in 0..5 {
        mutate(&mut c, round);
    }
    assert!(in_progress(&node), "the save ended before the writes");
    assert_eq!(node.wait_bgsave(), "ok");
    // What the writes copied is reported, as Redis reports its child's.
    assert!(node.info_int("rdb_last_cow_size") > 0);
    assert_ne!(
        dataset::digest(&mut c),
        before.digest,
        "the writes changed nothing"
    );
    node.kill();
    node.start();
    before.assert_held_by(&node, "the dump of a BGSAVE taken before the writes");
}

#[test]
fn snapshots_in_a_row_each_hold_their_point() {
    let dir = TempDir::new("snapshot-rounds");
    let node = Node::redust(dir.path(), &[]);
    populate(&node, 2_000);
    assert_eq!(node.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "50"]), OK);
    let mut c = node.client();
    for round in 0..8 {
        let point = Saved::of(&node);
        assert_eq!(node.cmd(&["BGSAVE"]), "+Background saving started\r\n");
        mutate(&mut c, round);
        assert_eq!(node.wait_bgsave(), "ok", "round {round}");
        assert_eq!(node.cmd(&["DEBUG", "RELOAD", "NOSAVE"]), OK);
        point.assert_held_by(&node, &format!("round {round}: reloaded dump"));
    }
}

/// Chunks copied while a snapshot lives are freed when it ends: after
/// hundreds of snapshots with writes, memory is back where it was.
#[test]
fn memory_returns_after_many_snapshots() {
    let dir = TempDir::new("snapshot-leak");
    let node = Node::redust(dir.path(), &[]);
    let mut c = node.client();
    dataset::fill(&mut c, "pad", 20_000);
    let used = |node: &Node| -> i64 {
        node.info("memory", "used_memory")
            .parse()
            .expect("used_memory")
    };
    // One round first, so lazily grown buffers are in the baseline.
    node.bgsave();
    let baseline = used(&node);
    for round in 0..200 {
        assert_eq!(node.cmd(&["BGSAVE"]), "+Background saving started\r\n");
        // Same-size overwrites: the data's size does not change.
        let value = "w".repeat(100);
        let sets: Vec<_> = (0..20)
            .map(|i| {
                with_args(
                    &[
                        "SET",
                        &format!("pad:{}", (round * 997 + i * 1009) % 20_000),
                        &value,
                    ],
                    [],
                )
            })
            .collect();
        dataset::run_all(&mut c, &sets);
        assert_eq!(node.wait_bgsave(), "ok", "round {round}");
    }
    let after = used(&node);
    assert!(
        after < baseline + baseline / 20,
        "used_memory {baseline} before 200 snapshots, {after} after"
    );
}

/// A replica whose full sync starts while a BGSAVE is running and writes
/// keep coming ends with exactly the master's data: streamed (diskless)
/// and sent from a file with its length first (disk-based).
#[test]
fn replica_joining_mid_snapshot_converges() {
    replica_joins_mid_snapshot("yes");
    replica_joins_mid_snapshot("no");
}

fn replica_joins_mid_snapshot(diskless: &str) {
    let dir = TempDir::new("snapshot-master");
    let args = [
        "--repl-diskless-sync",
        diskless,
        "--repl-diskless-sync-delay",
        "0",
    ];
    let master = Node::redust(dir.path(), &args);
    populate(&master, 3_000);
    assert_eq!(
        master.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "100"]),
        OK
    );
    assert_eq!(master.cmd(&["BGSAVE"]), "+Background saving started\r\n");
    let mut c = master.client();
    mutate(&mut c, 0);
    let replica_dir = TempDir::new("snapshot-replica");
    let port = master.port().to_string();
    let replica = Node::redust(replica_dir.path(), &["--replicaof", "127.0.0.1", &port]);
    for round in 1..6 {
        mutate(&mut c, round);
    }
    assert_eq!(master.wait_bgsave(), "ok");
    eventually("the replica in sync", || {
        match replica.info("replication", "master_link_status").as_str() {
            "up" => Ok(()),
            other => Err(format!("master_link_status:{other}")),
        }
    });
    mutate(&mut c, 6);
    let expected = Saved::of(&master);
    eventually("the replica holding the master's data", || {
        let mut r = replica.client();
        let digest = dataset::digest(&mut r);
        (digest == expected.digest)
            .then_some(())
            .ok_or(format!("replica digest {digest}"))
    });
    expected.assert_held_by(&replica, "replica");
}
