//! Replication behaviour Redis's own suite checks and our first
//! replication tests did not: the replica's handshake state and its
//! timeout, writable replicas expiring their own keys, the backlog's TTL,
//! and the replication id reaching sub-replicas after role changes.
//!
//! Scenarios run as `<scenario>::redust_to_redust` and, where the other
//! side can be Redis, `redis_to_redust` / `redust_to_redis`;
//! `REDUST_TEST_BIN=/usr/bin/redis-server` runs them all on Redis.

mod support;

// This file uses part of the replication harness.
#[allow(dead_code)]
#[path = "replication/mod.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::node::{Mix, Node};
use harness::topology::{wait_in_sync, wait_link_up, SyncStats};
use testkit::{eventually, eventually_within, Reply};

const OK: &str = "+OK\r\n";

harness::matrix!(
    handshake_is_shown_and_times_out_when_the_master_stalls,
    writable_replica_expires_its_own_keys,
    backlog_expires_while_the_replica_sleeps,
    sub_replica_follows_the_id_through_a_failover,
    restarted_replica_continues_from_its_rdb,
    slow_snapshot_keeps_the_replica_in_transfer,
    blocked_client_is_released_when_its_server_turns_replica,
);

/// A replica's link state as ROLE shows it (`connect`, `handshake`, ...).
fn link_state(node: &Node) -> String {
    let raw = node.cmd(&["ROLE"]);
    let reply = Reply::from_bytes(raw.as_bytes())
        .unwrap_or_else(|_| panic!("{}: ROLE gave {raw:?}", node.label()));
    match reply.items() {
        Some(items) if items.len() == 5 => items[3]
            .bulk()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default(),
        _ => panic!("{}: ROLE of a replica gave {raw:?}", node.label()),
    }
}

fn int(reply: &str) -> i64 {
    reply
        .trim_start_matches(':')
        .trim_end()
        .parse()
        .unwrap_or_else(|_| panic!("not an integer reply: {reply:?}"))
}

/// While a master gathers replicas for a diskless sync the replica stays in
/// the handshake (ROLE `handshake`, link down, no sync in progress); the
/// master's newlines keep it there past `repl-timeout`, and when the master
/// stops sending them (DEBUG SLEEP) the replica gives up on its own.
fn handshake_is_shown_and_times_out_when_the_master_stalls(mix: Mix) {
    let master = Node::start(mix.master, "master", &[]);
    assert_eq!(
        master.cmd(&["CONFIG", "SET", "repl-diskless-sync", "yes"]),
        OK
    );
    assert_eq!(
        master.cmd(&["CONFIG", "SET", "repl-diskless-sync-delay", "1000"]),
        OK
    );
    let replica = Node::start(mix.replica, "replica", &[]);
    assert_eq!(replica.cmd(&["CONFIG", "SET", "repl-timeout", "2"]), OK);
    assert_eq!(replica.follow("REPLICAOF", &master), OK);
    eventually("the replica in the handshake state", || {
        match link_state(&replica).as_str() {
            "handshake" => Ok(()),
            other => Err(other.to_string()),
        }
    });
    let info = replica.info("replication");
    assert_eq!(info.str("master_link_status"), "down", "{info}");
    assert_eq!(info.str("master_sync_in_progress"), "0", "{info}");

    // Twice the timeout without a timeout: the newlines count.
    let since = Instant::now();
    eventually_within(
        Duration::from_secs(20),
        "the handshake to outlive repl-timeout",
        || {
            assert!(
                !replica.log().contains("Timeout connecting to the MASTER"),
                "{} timed out although the master sends newlines",
                replica.label()
            );
            if since.elapsed() > Duration::from_secs(5) {
                Ok(())
            } else {
                Err(format!("{:?} so far", since.elapsed()))
            }
        },
    );
    assert_eq!(link_state(&replica), "handshake");

    let mut sleeper = master.client();
    let sleep = std::thread::spawn(move || sleeper.cmd(&["DEBUG", "SLEEP", "6"]));
    eventually_within(
        Duration::from_secs(20),
        "the replica to detect the silent master",
        || {
            if replica.log().contains("Timeout connecting to the MASTER") {
                Ok(())
            } else {
                Err(format!("ROLE says {}", link_state(&replica)))
            }
        },
    );
    assert_eq!(sleep.join().unwrap(), OK);
}

/// Keys a writable replica's own clients write with a TTL expire there
/// (the master never DELs them), while keys from the master wait for the
/// master's DEL: with the master's active expiry off they stay, hidden.
fn writable_replica_expires_its_own_keys(mix: Mix) {
    let master = Node::start(mix.master, "master", &[]);
    let replica = Node::replica_of(mix.replica, "replica", master.port(), &[]);
    wait_link_up(&replica, master.port());
    assert_eq!(master.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), OK);
    assert_eq!(master.cmd(&["SET", "from-master", "1", "PX", "50"]), OK);
    wait_in_sync(&master, &[&replica]);
    assert_eq!(
        replica.cmd(&["CONFIG", "SET", "replica-read-only", "no"]),
        OK
    );
    for key in ["own1", "own2", "own3"] {
        assert_eq!(replica.cmd(&["SET", key, "v", "PX", "200"]), OK);
    }
    assert_eq!(int(&replica.cmd(&["DBSIZE"])), 4);
    eventually("the replica's own keys to expire", || {
        match int(&replica.cmd(&["DBSIZE"])) {
            1 => Ok(()),
            n => Err(format!("DBSIZE {n}")),
        }
    });
    // The master's key is logically expired on both sides, deleted on none.
    assert_eq!(int(&replica.cmd(&["EXISTS", "from-master"])), 0);
    assert_eq!(int(&master.cmd(&["DBSIZE"])), 1);
    // A write on the replica treats it as absent: a new key without TTL.
    assert_eq!(int(&replica.cmd(&["INCR", "from-master"])), 1);
    assert_eq!(int(&replica.cmd(&["TTL", "from-master"])), -1);
    assert_eq!(master.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]), OK);
}

/// With `repl-backlog-ttl` 1 a master frees its backlog once its only
/// replica has been gone over a second, and takes a new id, so the
/// replica's PSYNC fails. The replica is gone because it cut its link and
/// then slept (DEBUG SLEEP in the same transaction): a sleeping server,
/// like Redis's single thread, does not reconnect meanwhile.
fn backlog_expires_while_the_replica_sleeps(mix: Mix) {
    let master = Node::start(mix.master, "master", &["--repl-backlog-ttl", "1"]);
    let replica = Node::replica_of(mix.replica, "replica", master.port(), &[]);
    wait_link_up(&replica, master.port());
    assert_eq!(master.cmd(&["SET", "k", "v"]), OK);
    wait_in_sync(&master, &[&replica]);
    let id_before = master.info("replication").str("master_replid").to_string();
    let before = SyncStats::of(&master);

    let mut busy = replica.client();
    let target = format!("127.0.0.1:{}", master.port());
    assert_eq!(busy.cmd(&["MULTI"]), OK);
    assert_eq!(busy.cmd(&["CLIENT", "KILL", &target]), "+QUEUED\r\n");
    assert_eq!(busy.cmd(&["DEBUG", "SLEEP", "3"]), "+QUEUED\r\n");
    let exec = busy.cmd(&["EXEC"]);
    assert_eq!(exec, "*2\r\n+OK\r\n+OK\r\n");

    wait_in_sync(&master, &[&replica]);
    let after = SyncStats::of(&master);
    assert_eq!(
        after.partial_err,
        before.partial_err + 1,
        "the backlog should have expired: {after:?}"
    );
    assert_eq!(after.full, before.full + 1, "{after:?}");
    let info = master.info("replication");
    assert_ne!(info.str("master_replid"), id_before, "{info}");
    assert_eq!(info.str("repl_backlog_active"), "1", "{info}");
    assert_eq!(replica.cmd(&["GET", "k"]), "$1\r\nv\r\n");
}

/// A chain A <- B <- C; B is promoted, then A follows B. C, still attached
/// to B, must learn B's new id each time (B drops its replicas when its id
/// changes, as Redis's disconnectSlaves), so that C can later continue
/// partially from A, which holds the same history: no full sync anywhere.
fn sub_replica_follows_the_id_through_a_failover(mix: Mix) {
    let a = Node::start(mix.master, "a", &[]);
    let b = Node::replica_of(mix.replica, "b", a.port(), &[]);
    let c = Node::replica_of(mix.replica, "c", b.port(), &[]);
    wait_link_up(&b, a.port());
    wait_link_up(&c, b.port());
    assert_eq!(a.cmd(&["SET", "x", "1"]), OK);
    wait_in_sync(&a, &[&b, &c]);
    let full_before = SyncStats::of(&a).full + SyncStats::of(&b).full;

    // B becomes the master, A its replica; A keeps pinging its replicas
    // until it follows B, and C must not count those under A's old id.
    assert_eq!(
        a.cmd(&["CONFIG", "SET", "repl-ping-replica-period", "1"]),
        OK
    );
    assert_eq!(b.cmd(&["REPLICAOF", "NO", "ONE"]), OK);
    assert_eq!(a.follow("REPLICAOF", &b), OK);
    wait_link_up(&a, b.port());
    wait_link_up(&c, b.port());
    assert_eq!(b.cmd(&["INCR", "x"]), ":2\r\n");
    wait_in_sync(&b, &[&a, &c]);
    let id = b.info("replication").str("master_replid").to_string();
    eventually("c to take b's new id", || {
        let info = c.info("replication");
        if info.str("master_replid") == id {
            Ok(())
        } else {
            Err(info.to_string())
        }
    });

    // Now C moves under A: the same history, so a partial resync.
    assert_eq!(c.follow("REPLICAOF", &a), OK);
    wait_link_up(&c, a.port());
    assert_eq!(b.cmd(&["INCR", "x"]), ":3\r\n");
    wait_in_sync(&b, &[&a, &c]);
    assert_eq!(c.cmd(&["GET", "x"]), "$1\r\n3\r\n");
    let full_after = SyncStats::of(&a).full + SyncStats::of(&b).full;
    assert_eq!(full_after, full_before, "a full sync happened");
}

/// A replica made a replica by REPLICAOF, its config rewritten, shut down
/// (saving) and started again: the rewritten file names its master, and
/// the replication id and offset kept in the RDB let it continue
/// partially.
fn restarted_replica_continues_from_its_rdb(mix: Mix) {
    let master = Node::start(mix.master, "master", &[]);
    let mut replica = Node::start_with_config(mix.replica, "replica", "appendonly no\n", &[]);
    assert_eq!(replica.follow("REPLICAOF", &master), OK);
    wait_link_up(&replica, master.port());
    for i in 0..100 {
        let key = format!("k{i}");
        assert_eq!(master.cmd(&["SET", &key, "v"]), OK);
    }
    wait_in_sync(&master, &[&replica]);
    let expected = format!("127.0.0.1 {}", master.port());
    let got = replica.cmd(&["CONFIG", "GET", "replicaof"]);
    assert!(got.contains(&expected), "CONFIG GET replicaof: {got:?}");
    assert_eq!(replica.cmd(&["CONFIG", "SET", "save", "900 1"]), OK);
    assert_eq!(replica.cmd(&["CONFIG", "REWRITE"]), OK);
    let before = SyncStats::of(&master);

    // SHUTDOWN saves (there is a save point) and closes the connection as
    // the process exits.
    let mut c = replica.client();
    c.send(&["SHUTDOWN"]).unwrap();
    let _ = c.read_to_close();
    replica.restart();
    eventually("the restarted replica to continue partially", || {
        let now = SyncStats::of(&master);
        if now.partial_ok > before.partial_ok {
            Ok(now)
        } else {
            Err(format!("{now:?}"))
        }
    });
    wait_in_sync(&master, &[&replica]);
    let after = SyncStats::of(&master);
    assert_eq!(after.full, before.full, "{after:?}");
    assert_eq!(int(&replica.cmd(&["DBSIZE"])), 100);
}

/// With `rdb-key-save-delay` the master's snapshot for a replica takes its
/// time: meanwhile INFO shows a save in progress, the replica (which got
/// `+FULLRESYNC`) shows ROLE `sync`; then the data arrives.
fn slow_snapshot_keeps_the_replica_in_transfer(mix: Mix) {
    let master = Node::start(mix.master, "master", &[]);
    for i in 0..10 {
        let key = format!("k{i}");
        assert_eq!(master.cmd(&["SET", &key, "v"]), OK);
    }
    // 10 keys at 0.4 s each.
    assert_eq!(
        master.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "400000"]),
        OK
    );
    let replica = Node::start(mix.replica, "replica", &[]);
    let since = Instant::now();
    assert_eq!(replica.follow("REPLICAOF", &master), OK);
    eventually("the snapshot in progress and the replica in sync", || {
        let saving = master.info("persistence").int("rdb_bgsave_in_progress");
        let state = link_state(&replica);
        if saving == 1 && state == "sync" {
            Ok(())
        } else {
            Err(format!("rdb_bgsave_in_progress {saving}, replica {state}"))
        }
    });
    wait_link_up(&replica, master.port());
    assert!(
        since.elapsed() > Duration::from_secs(3),
        "{:?}",
        since.elapsed()
    );
    assert!(
        !replica.log().contains("Timeout"),
        "the replica timed out:\n{}",
        replica.log()
    );
    assert_eq!(int(&replica.cmd(&["DBSIZE"])), 10);
    eventually("the save mark to go", || {
        match master.info("persistence").int("rdb_bgsave_in_progress") {
            0 => Ok(()),
            n => Err(format!("rdb_bgsave_in_progress {n}")),
        }
    });
    assert_eq!(
        master.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]),
        OK
    );
}

/// A client blocked in BLPOP on a master that then becomes a replica gets
/// an UNBLOCKED error: served later, it would pop what the new master's
/// stream pushes and the two datasets would differ.
fn blocked_client_is_released_when_its_server_turns_replica(mix: Mix) {
    let a = Node::start(mix.master, "a", &[]);
    let b = Node::start(mix.replica, "b", &[]);
    let mut blocked = b.client();
    blocked.send(&["BLPOP", "foo", "0"]).unwrap();
    eventually("the client to block", || {
        match b.info("clients").int("blocked_clients") {
            1 => Ok(()),
            n => Err(format!("blocked_clients {n}")),
        }
    });
    assert_eq!(b.follow("REPLICAOF", &a), OK);
    let reply = String::from_utf8_lossy(&blocked.read_raw().unwrap()).into_owned();
    assert!(reply.starts_with("-UNBLOCKED "), "{reply:?}");
    wait_link_up(&b, a.port());
    assert_eq!(int(&a.cmd(&["RPUSH", "foo", "a", "b", "c"])), 3);
    wait_in_sync(&a, &[&b]);
    assert_eq!(b.cmd(&["LLEN", "foo"]), ":3\r\n");
    assert_eq!(a.cmd(&["DEBUG", "DIGEST"]), b.cmd(&["DEBUG", "DIGEST"]));
}
