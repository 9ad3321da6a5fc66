//! Where a replica's full sync goes under `repl-diskless-load` (disabled:
//! a temp file that becomes its dump; swapdb: the parser, beside the old
//! data; on-empty-db: the parser when empty, else the disk) and what is
//! left after a transfer that breaks; and `repl-diskless-sync-max-replicas`
//! on a master.
//!
//! Broken transfers come from [`FakeMaster`], which answers the handshake
//! and sends a payload the test made wrong.
//!
//! Two deliberate differences from Redis 7.0 skip their checks when
//! `REDUST_TEST_BIN` runs redis-server as the replica: Redis exits on a
//! corrupt payload (it survives only a cut one), and swapdb serves the old
//! data during the load only for a master of the same history (otherwise
//! clients wait for the load); Redust keeps its old data and serves it.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use crate::harness::dataset::{assert_same_dataset, digest};
use crate::harness::node::{Kind, Node};
use crate::harness::topology::wait_in_sync;
use crate::harness::workload::{preload, Families};
use testkit::eventually;

const OK: &str = "+OK\r\n";

/// Keys the replica holds before it syncs: they must go (or stay) whole.
const OLD_KEYS: usize = 50;

fn redust_replica(label: &str, mode: &str) -> Node {
    Node::start(Kind::Redust, label, &["--repl-diskless-load", mode])
}

fn write_old_data(replica: &Node) {
    let mut c = replica.client();
    for i in 0..OLD_KEYS {
        assert_eq!(c.cmd(&["SET", &format!("old:{i}"), "stale"]), OK);
    }
}

fn dbsize(node: &Node) -> usize {
    let reply = node.cmd(&["DBSIZE"]);
    reply
        .trim()
        .strip_prefix(':')
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}: DBSIZE gave {reply:?}", node.label()))
}

/// The value of a one-value CONFIG GET.
fn config(node: &Node, name: &str) -> String {
    let reply = node.cmd(&["CONFIG", "GET", name]);
    let value = reply.trim_end().rsplit("\r\n").next().unwrap_or_default();
    value.to_string()
}

fn dump_path(node: &Node) -> PathBuf {
    PathBuf::from(config(node, "dir")).join(config(node, "dbfilename"))
}

/// Files in the node's `dir` whose name starts with `temp-`.
fn temp_files(node: &Node) -> Vec<String> {
    std::fs::read_dir(config(node, "dir"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("temp-"))
        .collect()
}

fn assert_logged(node: &Node, lines: &[&str]) {
    let log = node.log();
    for line in lines {
        assert!(
            log.contains(line),
            "{} did not log {line:?}:\n{log}",
            node.label()
        );
    }
}

/// A master with `count` preloaded keys (more nodes' families not needed:
/// both sides support every family the preload uses).
fn master_with_data(kind: Kind, args: &[&str], count: usize) -> Node {
    let master = Node::start(kind, "master", args);
    let families = Families::common(&[&master]);
    preload(&master, count, families);
    master
}

/// Follows `master` and waits for the sync to complete.
fn sync(replica: &Node, master: &Node) {
    assert_eq!(replica.follow("REPLICAOF", master), OK);
    wait_in_sync(master, &[replica]);
    assert_same_dataset(master, replica);
}

// ---- disabled ---------------------------------------------------------------

/// The payload goes to disk and becomes the replica's dump, which loads to
/// the master's dataset after a restart. `lazy_flush` is the replica's
/// `replica-lazy-flush` (old data freed on another thread).
fn disabled_keeps_the_masters_snapshot_as_dump(
    master_kind: Kind,
    diskless_sync: &str,
    lazy_flush: &str,
) {
    if !master_kind.available() {
        return;
    }
    let master = master_with_data(master_kind, &["--repl-diskless-sync", diskless_sync], 3_000);
    let mut replica = Node::start(
        Kind::Redust,
        "replica",
        &["--replica-lazy-flush", lazy_flush],
    );
    write_old_data(&replica);
    let dump = dump_path(&replica);
    assert!(!dump.exists());
    sync(&replica, &master);
    let framing = if diskless_sync == "yes" {
        "receiving streamed RDB from master with EOF to disk"
    } else {
        "bytes from master to disk"
    };
    assert_logged(
        &replica,
        &[
            framing,
            "MASTER <-> REPLICA sync: Flushing old data",
            "MASTER <-> REPLICA sync: Loading DB in memory",
            "MASTER <-> REPLICA sync: Finished with success",
        ],
    );
    assert!(dump.exists(), "no dump at {}", dump.display());
    assert!(temp_files(&replica).is_empty());
    // Restarted without REPLICAOF, the replica is a master serving its dump.
    replica.restart();
    assert_eq!(replica.info("replication").str("role"), "master");
    assert_eq!(digest(&replica), digest(&master));
    assert_eq!(dbsize(&replica), dbsize(&master));
}

#[test]
fn disabled_from_a_redust_master() {
    disabled_keeps_the_masters_snapshot_as_dump(Kind::Redust, "yes", "yes");
}

#[test]
fn disabled_from_a_disk_based_redis_master() {
    disabled_keeps_the_masters_snapshot_as_dump(Kind::Redis, "no", "no");
}

// ---- on-empty-db ------------------------------------------------------------

/// Empty, the replica parses the payload from the socket (no dump written);
/// with data, the payload goes through the disk as with `disabled`.
#[test]
fn on_empty_db_parses_only_when_empty() {
    let master = master_with_data(Kind::Redust, &[], 3_000);
    let replica = redust_replica("replica", "on-empty-db");
    sync(&replica, &master);
    assert_logged(
        &replica,
        &["receiving streamed RDB from master with EOF to parser"],
    );
    assert!(!replica.log().contains("to disk"));
    assert!(!dump_path(&replica).exists());

    // Promoted and written to, it holds data at the next full sync.
    assert_eq!(replica.cmd(&["REPLICAOF", "NO", "ONE"]), OK);
    assert_eq!(replica.cmd(&["SET", "own", "write"]), OK);
    sync(&replica, &master);
    assert_logged(
        &replica,
        &["receiving streamed RDB from master with EOF to disk"],
    );
    assert!(dump_path(&replica).exists());
}

// ---- swapdb -----------------------------------------------------------------

#[test]
fn swapdb_swaps_the_loaded_data_in() {
    let master = master_with_data(Kind::Redust, &[], 3_000);
    let replica = redust_replica("replica", "swapdb");
    write_old_data(&replica);
    sync(&replica, &master);
    assert_eq!(replica.cmd(&["EXISTS", "old:0"]), ":0\r\n");
    assert_logged(
        &replica,
        &[
            "receiving streamed RDB from master with EOF to parser",
            "MASTER <-> REPLICA sync: Loading DB in memory",
            "MASTER <-> REPLICA sync: Swapping active DB with loaded DB",
            "MASTER <-> REPLICA sync: Discarding old DB in background",
            "MASTER <-> REPLICA sync: Finished with success",
        ],
    );
    assert!(!replica.log().contains("Flushing old data"));
    assert!(!dump_path(&replica).exists());
}

/// A Redis master saving slowly (`rdb-key-save-delay`) streams its snapshot
/// for seconds; meanwhile the replica answers from its old data.
#[test]
fn swapdb_serves_the_old_data_while_loading() {
    if !Kind::Redis.available() {
        return;
    }
    // 10 ms a key: about four seconds. Uncompressed, the values fill the
    // saving child's 16 KB buffer, which goes to the socket, every few keys.
    let master = Node::start(
        Kind::Redis,
        "master",
        &[
            "--repl-diskless-sync",
            "yes",
            "--rdb-key-save-delay",
            "10000",
            "--rdbcompression",
            "no",
        ],
    );
    let mut c = master.client();
    let value = "v".repeat(1000);
    for i in 0..400 {
        assert_eq!(c.cmd(&["SET", &format!("big:{i}"), &value]), OK);
    }
    let replica = redust_replica("replica", "swapdb");
    if replica.is_reference_redis() {
        return;
    }
    write_old_data(&replica);
    assert_eq!(replica.follow("REPLICAOF", &master), OK);
    eventually("the replica to be loading", || {
        let info = replica.info("replication");
        let loading = info.str("master_sync_in_progress") == "1"
            && info.get("master_sync_read_bytes").is_some_and(|n| n != "0");
        loading.then_some(()).ok_or_else(|| info.to_string())
    });
    assert_eq!(replica.cmd(&["GET", "old:7"]), "$5\r\nstale\r\n");
    assert_eq!(dbsize(&replica), OLD_KEYS);
    assert_eq!(replica.info("persistence").str("async_loading"), "1");
    assert_eq!(
        replica.info("replication").str("master_sync_in_progress"),
        "1",
        "the transfer ended before the old data was read: slow it down"
    );
    wait_in_sync(&master, &[&replica]);
    assert_same_dataset(&master, &replica);
    assert_eq!(replica.cmd(&["EXISTS", "old:7"]), ":0\r\n");
    assert_eq!(replica.info("persistence").str("async_loading"), "0");
}

// ---- broken transfers -------------------------------------------------------

/// What the fake master sends after `+FULLRESYNC`.
enum Broken {
    /// `$<full length>` and then only half of it.
    CutCounted,
    /// Half of the RDB between a `$EOF:` header and its mark.
    TruncatedBeforeMark,
    /// The whole RDB with one byte changed (wrong checksum).
    Corrupt,
}

fn broken_payload(rdb: &[u8], how: Broken) -> Vec<u8> {
    let mark = "3".repeat(40);
    let half = &rdb[..rdb.len() / 2];
    match how {
        Broken::CutCounted => [format!("${}\r\n", rdb.len()).as_bytes(), half].concat(),
        Broken::TruncatedBeforeMark => {
            [format!("$EOF:{mark}\r\n").as_bytes(), half, mark.as_bytes()].concat()
        }
        Broken::Corrupt => {
            let mut bad = rdb.to_vec();
            bad[rdb.len() / 2] ^= 0x5a;
            [format!("${}\r\n", bad.len()).as_bytes(), &bad].concat()
        }
    }
}

/// A real RDB file, as a Redust server saves it.
fn some_rdb() -> Vec<u8> {
    let source = master_with_data(Kind::Redust, &[], 2_000);
    assert_eq!(source.cmd(&["SAVE"]), OK);
    std::fs::read(dump_path(&source)).unwrap()
}

/// Points `replica` at a fake master sending `payload` until an attempt
/// has ended with `logged`, then detaches it. Returns what the replica
/// logged meanwhile.
fn sync_with_fake_master(replica: &Node, payload: Vec<u8>, logged: &str) -> String {
    let fake = FakeMaster::start(payload);
    let start = replica.log().len();
    assert_eq!(
        replica.cmd(&["REPLICAOF", "127.0.0.1", &fake.port.to_string()]),
        OK
    );
    let log = eventually(format!("{} to log {logged:?}", replica.label()), || {
        let log = replica.log();
        let new = &log[start..];
        new.contains(logged)
            .then(|| new.to_string())
            .ok_or_else(|| new.to_string())
    });
    assert_eq!(replica.cmd(&["REPLICAOF", "NO", "ONE"]), OK);
    log
}

fn assert_contains(log: &str, line: &str) {
    assert!(log.contains(line), "no {line:?} in:\n{log}");
}

#[test]
fn swapdb_keeps_the_old_data_when_the_transfer_breaks() {
    let rdb = some_rdb();
    let replica = redust_replica("replica", "swapdb");
    write_old_data(&replica);
    let before = digest(&replica);
    let cases = if replica.is_reference_redis() {
        vec![Broken::CutCounted]
    } else {
        vec![
            Broken::CutCounted,
            Broken::TruncatedBeforeMark,
            Broken::Corrupt,
        ]
    };
    for how in cases {
        let log = sync_with_fake_master(
            &replica,
            broken_payload(&rdb, how),
            "Discarding temporary DB in background",
        );
        assert_contains(
            &log,
            "Failed trying to load the MASTER synchronization DB from socket",
        );
        assert_eq!(digest(&replica), before);
        assert_eq!(dbsize(&replica), OLD_KEYS);
    }
    assert!(!dump_path(&replica).exists());
}

#[test]
fn disabled_keeps_the_old_data_until_the_transfer_is_whole() {
    let rdb = some_rdb();
    let replica = redust_replica("replica", "disabled");
    write_old_data(&replica);
    let before = digest(&replica);
    let log = sync_with_fake_master(
        &replica,
        broken_payload(&rdb, Broken::CutCounted),
        "I/O error trying to sync with MASTER: connection lost",
    );
    assert_contains(
        &log,
        &format!("receiving {} bytes from master to disk", rdb.len()),
    );
    assert_eq!(digest(&replica), before);
    assert!(
        temp_files(&replica).is_empty(),
        "{:?}",
        temp_files(&replica)
    );
    assert!(!dump_path(&replica).exists());

    if replica.is_reference_redis() {
        return;
    }
    // A whole but corrupt payload replaced the old data before it failed
    // to load: nothing is left half-loaded.
    let log = sync_with_fake_master(
        &replica,
        broken_payload(&rdb, Broken::Corrupt),
        "Failed trying to load the MASTER synchronization DB from disk",
    );
    assert_contains(&log, "MASTER <-> REPLICA sync: Flushing old data");
    assert_eq!(dbsize(&replica), 0);
    assert!(temp_files(&replica).is_empty());
}

/// Answers every replica's handshake with `+FULLRESYNC` followed by a
/// given payload, then closes the connection; until dropped.
struct FakeMaster {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeMaster {
    fn start(payload: Vec<u8>) -> FakeMaster {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    if let Ok(conn) = conn {
                        // A replica hanging up early is not our concern.
                        let _ = serve(conn, &payload);
                    }
                }
            })
        };
        FakeMaster {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for FakeMaster {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(conn: TcpStream, payload: &[u8]) -> io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut out = conn;
    loop {
        let args = read_command(&mut reader)?;
        let name = args.first().map(|a| a.to_ascii_uppercase());
        match name.as_deref() {
            Some("PING") => out.write_all(b"+PONG\r\n")?,
            Some("PSYNC") | Some("SYNC") => {
                let replid = "f".repeat(40);
                out.write_all(format!("+FULLRESYNC {replid} 1\r\n").as_bytes())?;
                return out.write_all(payload);
            }
            _ => out.write_all(OK.as_bytes())?,
        }
    }
}

/// One request as a multibulk of (text) arguments.
fn read_command(reader: &mut impl BufRead) -> io::Result<Vec<String>> {
    let mut line = String::new();
    let mut next_line = |line: &mut String| -> io::Result<()> {
        line.clear();
        if reader.read_line(line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    };
    next_line(&mut line)?;
    let count: usize = line
        .trim()
        .strip_prefix('*')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| io::Error::other(format!("not a multibulk: {line:?}")))?;
    let mut args = Vec::with_capacity(count);
    for _ in 0..count {
        next_line(&mut line)?; // $<len>
        next_line(&mut line)?;
        args.push(line.trim_end().to_string());
    }
    Ok(args)
}

// ---- repl-diskless-sync-max-replicas ----------------------------------------

/// With a delay longer than the test's deadline, the transfer starts as
/// soon as the second replica waits.
fn max_replicas_cuts_the_delay_short(master_kind: Kind) {
    if !master_kind.available() {
        return;
    }
    let master = master_with_data(
        master_kind,
        &[
            "--repl-diskless-sync",
            "yes",
            "--repl-diskless-sync-delay",
            "3600",
            "--repl-diskless-sync-max-replicas",
            "2",
        ],
        1_000,
    );
    assert_eq!(config(&master, "repl-diskless-sync-delay"), "3600");
    let first = redust_replica("first", "disabled");
    let second = redust_replica("second", "swapdb");
    assert_eq!(first.follow("REPLICAOF", &master), OK);
    eventually("the first replica to wait for the delay", || {
        let info = master.info("replication");
        let states: Vec<String> = info
            .replicas()
            .iter()
            .map(|r| r.get("state").cloned().unwrap_or_default())
            .collect();
        (states == ["wait_bgsave"])
            .then_some(())
            .ok_or(format!("{states:?}"))
    });
    assert_eq!(second.follow("REPLICAOF", &master), OK);
    wait_in_sync(&master, &[&first, &second]);
    assert_same_dataset(&master, &first);
    assert_same_dataset(&master, &second);
}

#[test]
fn max_replicas_on_a_redust_master() {
    max_replicas_cuts_the_delay_short(Kind::Redust);
}

#[test]
fn max_replicas_on_a_redis_master() {
    max_replicas_cuts_the_delay_short(Kind::Redis);
}
