//! RDB persistence between real processes: data survives every way a server
//! stops, dumps move between Redust and Debian's redis-server both ways, bad
//! dumps stop the start-up and stay untouched, a crash in the middle of a
//! BGSAVE keeps the previous dump, save points and
//! stop-writes-on-bgsave-error work, and INFO persistence, LASTSAVE, SAVE
//! and BGSAVE answer as Redis does.
//!
//! `REDUST_TEST_BIN=/usr/bin/redis-server` runs the same tests against Redis,
//! which validates them. Parts needing redis-server or redis-check-rdb skip
//! with a notice when those are not installed.

mod support;

#[path = "persistence/mod.rs"]
mod harness;

use std::fs;
use std::path::Path;
use std::process::Command;

use harness::dataset::{self, Saved};
use harness::node::{Node, Stop};
use harness::refused;
use support::{redis_available, tool_available, TempDir};
use testkit::eventually;

const OK: &str = "+OK\r\n";
const REDIS_CHECK_RDB: &str = "/usr/bin/redis-check-rdb";
const IN_PROGRESS: &str = "-ERR Background save already in progress\r\n";

/// Writes the test dataset (sorted sets when the server has them).
fn populate(node: &Node) -> Saved {
    let mut c = node.client();
    let zsets = dataset::supports_zsets(&mut c);
    dataset::populate(&mut c, zsets);
    Saved::of(node)
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

// ---- 1. restarts keep the data ----

#[test]
fn save_then_restart_keeps_every_type_db_expiry_and_binary_key() {
    let dir = TempDir::new("save");
    let mut node = Node::redust(dir.path(), &[]);
    let saved = populate(&node);
    assert_eq!(node.cmd(&["SAVE"]), OK);
    assert!(node.stop(Stop::Shutdown(&["NOSAVE"])).success());
    node.start();
    saved.assert_held_by(&node, "after SAVE and restart");
    node.wait_log("DB loaded from disk");
    let keys = saved.snapshot.len() as i64;
    assert_eq!(node.info_int("rdb_last_load_keys_loaded"), keys);
    assert_eq!(node.info_int("rdb_changes_since_last_save"), 0);
}

#[test]
fn keys_that_expire_while_down_are_dropped_at_load() {
    let dir = TempDir::new("expired");
    let mut node = Node::redust(dir.path(), &[]);
    let at = dataset::now_ms() + 300;
    assert_eq!(node.cmd(&["SET", "stays", "1"]), OK);
    let at_s = at.to_string();
    assert_eq!(node.cmd(&["SET", "goes", "1", "PXAT", &at_s]), OK);
    assert_eq!(node.cmd(&["SAVE"]), OK);
    assert!(node.stop(Stop::Shutdown(&["NOSAVE"])).success());
    eventually("the expiry time to pass", || {
        let now = dataset::now_ms();
        (now > at).then_some(()).ok_or(now.to_string())
    });
    node.start();
    assert_eq!(node.cmd(&["KEYS", "*"]), "*1\r\n$5\r\nstays\r\n");
    assert_eq!(node.info_int("rdb_last_load_keys_loaded"), 1);
    assert_eq!(node.info_int("rdb_last_load_keys_expired"), 1);
}

#[test]
fn bgsave_then_crash_and_restart_keeps_the_data() {
    let dir = TempDir::new("bgsave");
    let mut node = Node::redust(dir.path(), &[]);
    let saved = populate(&node);
    node.bgsave();
    // kill -9: what comes back was on disk, not written on the way out.
    node.kill();
    node.start();
    saved.assert_held_by(&node, "after BGSAVE, kill -9 and restart");
}

#[test]
fn shutdown_saves_when_save_points_are_configured() {
    let dir = TempDir::new("shutdown");
    let mut node = Node::redust(dir.path(), &["--save", "3600 1"]);
    let saved = populate(&node);
    assert!(node.stop(Stop::Shutdown(&[])).success());
    assert!(node.dump_path().exists(), "SHUTDOWN wrote no dump");
    node.start();
    saved.assert_held_by(&node, "after SHUTDOWN and restart");
}

#[test]
fn sigterm_and_sigint_save_when_save_points_are_configured() {
    for (signal, name) in [(libc::SIGTERM, "SIGTERM"), (libc::SIGINT, "SIGINT")] {
        let dir = TempDir::new(name);
        let mut node = Node::redust(dir.path(), &["--save", "3600 1"]);
        let saved = populate(&node);
        let status = node.stop(Stop::Signal(signal));
        assert!(status.success(), "{name}: exit {status}\n{}", node.log());
        node.wait_log(&format!("Received {name} scheduling shutdown"));
        node.start();
        saved.assert_held_by(&node, &format!("after {name} and restart"));
    }
}

#[test]
fn shutdown_nosave_keeps_only_the_last_save() {
    let dir = TempDir::new("nosave");
    let mut node = Node::redust(dir.path(), &["--save", "3600 1"]);
    let saved = populate(&node);
    assert_eq!(node.cmd(&["SAVE"]), OK);
    assert_eq!(node.cmd(&["SET", "late", "write"]), OK);
    assert_eq!(node.cmd(&["DEL", "str:lzf"]), ":1\r\n");
    let before = read(&node.dump_path());
    assert!(node.stop(Stop::Shutdown(&["NOSAVE"])).success());
    assert_eq!(read(&node.dump_path()), before, "SHUTDOWN NOSAVE wrote");
    node.start();
    saved.assert_held_by(&node, "after SHUTDOWN NOSAVE and restart");
}

#[test]
fn shutdown_saves_only_when_asked_without_save_points() {
    let dir = TempDir::new("nosavepoints");
    let mut node = Node::redust(dir.path(), &[]);
    node.cmd(&["SET", "k", "v"]);
    assert!(node.stop(Stop::Shutdown(&[])).success());
    assert!(
        !node.dump_path().exists(),
        "SHUTDOWN saved without save points"
    );
    node.start();
    assert_eq!(node.cmd(&["DBSIZE"]), ":0\r\n");
    let saved = populate(&node);
    assert!(node.stop(Stop::Shutdown(&["SAVE"])).success());
    node.start();
    saved.assert_held_by(&node, "after SHUTDOWN SAVE and restart");
}

#[test]
fn debug_reload_keeps_the_dataset() {
    let dir = TempDir::new("reload");
    let node = Node::redust(dir.path(), &[]);
    let saved = populate(&node);
    assert_eq!(node.cmd(&["DEBUG", "RELOAD"]), OK);
    saved.assert_held_by(&node, "after DEBUG RELOAD");
    assert_eq!(node.info_int("rdb_changes_since_last_save"), 0);
    assert!(node.dump_path().exists());
}

// ---- 2. interop with redis-server ----

#[test]
fn redust_dump_loads_in_redis_and_passes_redis_check_rdb() {
    if !redis_available() || !tool_available(REDIS_CHECK_RDB) {
        return;
    }
    let options: [&[&str]; 2] = [&[], &["--rdbcompression", "no", "--rdbchecksum", "no"]];
    for opts in options {
        let dir = TempDir::new("to-redis");
        let mut redust = Node::redust(dir.path(), opts);
        let saved = populate(&redust);
        assert_eq!(redust.cmd(&["SAVE"]), OK);
        assert!(redust.stop(Stop::Shutdown(&["NOSAVE"])).success());

        let check = Command::new(REDIS_CHECK_RDB)
            .arg(redust.dump_path())
            .output()
            .expect("run redis-check-rdb");
        let report = String::from_utf8_lossy(&check.stdout);
        assert!(
            check.status.success() && report.contains("RDB looks OK"),
            "{opts:?}: redis-check-rdb says:\n{report}"
        );

        let redis = Node::redis(dir.path(), &[]);
        saved.assert_held_by(&redis, &format!("{opts:?}: Redust's dump loaded by Redis"));
    }
}

#[test]
fn redis_dump_loads_in_redust_with_identical_contents() {
    if !redis_available() {
        return;
    }
    // Sorted sets only if Redust has them too.
    let probe_dir = TempDir::new("probe");
    let zsets = dataset::supports_zsets(&mut Node::redust(probe_dir.path(), &[]).client());

    let dir = TempDir::new("from-redis");
    let mut redis = Node::redis(dir.path(), &[]);
    let mut c = redis.client();
    dataset::populate(&mut c, zsets);
    let saved = Saved::of(&redis);
    assert_eq!(redis.cmd(&["SAVE"]), OK);
    assert!(redis.stop(Stop::Shutdown(&["NOSAVE"])).success());

    let redust = Node::redust(dir.path(), &[]);
    saved.assert_held_by(&redust, "Redis's dump loaded by Redust");
}

#[test]
fn redis_dump_with_a_type_redust_lacks_loads_or_is_refused_cleanly() {
    if !redis_available() {
        return;
    }
    let dir = TempDir::new("zset-from-redis");
    let mut redis = Node::redis(dir.path(), &[]);
    assert_eq!(redis.cmd(&["ZADD", "z", "1", "a", "2.5", "b"]), ":2\r\n");
    assert_eq!(redis.cmd(&["SAVE"]), OK);
    assert!(redis.stop(Stop::Shutdown(&["NOSAVE"])).success());
    let dump = read(&redis.dump_path());

    let probe = TempDir::new("zset-probe");
    if dataset::supports_zsets(&mut Node::redust(probe.path(), &[]).client()) {
        let redust = Node::redust(dir.path(), &[]);
        let reply = redust.cmd(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]);
        assert_eq!(
            reply,
            "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n"
        );
        return;
    }
    let (status, log) = refused::start_on(dir.path(), &[]);
    assert_eq!(status.code(), Some(1), "exit {status}; log:\n{log}");
    assert!(!log.contains("panicked"), "log:\n{log}");
    assert!(read(&redis.dump_path()) == dump, "the dump was changed");
}

// ---- 3. bad dumps ----

/// Variants of a good dump that no server may load, with what the log must
/// say about each (any of the phrases, lower case: Redis's or Redust's).
fn spoilt(good: &[u8]) -> Vec<(String, Vec<u8>, &'static [&'static str])> {
    const SHORT: &[&str] = &["short read", "unexpected end"];
    // Redust calls a file too short for the 9-byte header not an RDB file.
    const NO_HEADER: &[&str] = &["short read", "signature"];
    const ANY: &[&str] = &["checksum", "corrupt", "short read", "unexpected end", "rdb"];
    let len = good.len();
    let mut cases = Vec::new();
    for cut in [0, 5, 9, 30, len / 4, len / 2, len * 3 / 4, len - 9, len - 1] {
        let phrases = if cut < 9 { NO_HEADER } else { SHORT };
        cases.push((format!("cut at {cut}"), good[..cut].to_vec(), phrases));
    }
    for at in [len / 3, len / 2, len - 20] {
        let mut bytes = good.to_vec();
        bytes[at] ^= 0x5a;
        cases.push((format!("byte {at} flipped"), bytes, ANY));
    }
    let mut bytes = good.to_vec();
    bytes[len - 1] ^= 1;
    cases.push(("bad checksum".into(), bytes, &["checksum"]));
    let mut bytes = good.to_vec();
    bytes[..5].copy_from_slice(b"REDIX");
    cases.push(("wrong magic".into(), bytes, &["signature"]));
    let mut bytes = good.to_vec();
    bytes[5..9].copy_from_slice(b"0099");
    cases.push(("version 99".into(), bytes, &["version 99"]));
    cases
}

#[test]
fn bad_dumps_stop_the_start_and_stay_untouched() {
    let dir = TempDir::new("good");
    let mut node = Node::redust(dir.path(), &[]);
    populate(&node);
    assert_eq!(node.cmd(&["SAVE"]), OK);
    node.stop(Stop::Shutdown(&["NOSAVE"]));
    let good = read(&node.dump_path());

    let mut cases = spoilt(&good);
    // A good dump, but with more databases than the server has.
    cases.push(("16 dbs into 4".into(), good, &["databases"]));
    for (label, bytes, phrases) in cases {
        let bad = TempDir::new("bad");
        let path = bad.path().join("dump.rdb");
        fs::write(&path, &bytes).unwrap();
        let args: &[&str] = if label.contains("into 4") {
            &["--databases", "4"]
        } else {
            &[]
        };
        let (status, log) = refused::start_on(bad.path(), args);
        // 1 is a clean exit; a panic gives 101, an abort a signal.
        assert_eq!(
            status.code(),
            Some(1),
            "{label}: exit {status}; log:\n{log}"
        );
        assert!(!log.contains("panicked"), "{label}: log:\n{log}");
        let lower = log.to_lowercase();
        assert!(
            phrases.iter().any(|p| lower.contains(p)),
            "{label}: the log names none of {phrases:?}:\n{log}"
        );
        assert!(read(&path) == bytes, "{label}: the dump was changed");
        let files: Vec<_> = fs::read_dir(bad.path()).unwrap().collect();
        assert_eq!(files.len(), 1, "{label}: files appeared: {files:?}");
    }
}

// ---- 4. crash safety ----

/// Fills `node` with enough keys that writing the dump takes a while, and
/// returns the digest of everything.
fn make_big(node: &Node, keys: usize) -> String {
    let mut c = node.client();
    dataset::fill(&mut c, "big", keys);
    dataset::digest(&mut c)
}

fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("temp-"))
        .collect()
}

#[test]
fn kill_during_bgsave_keeps_the_previous_dump_loadable() {
    let dir = TempDir::new("crash");
    let mut node = Node::redust(dir.path(), &[]);
    let saved = populate(&node);
    assert_eq!(node.cmd(&["SAVE"]), OK);
    let previous = read(&node.dump_path());
    make_big(&node, 20_000);
    // 200 µs per key: the write takes about four seconds.
    assert_eq!(
        node.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "200"]),
        OK
    );
    assert_eq!(node.cmd(&["BGSAVE"]), "+Background saving started\r\n");
    // Kill once the new dump is partly written.
    eventually("a partly written temp file", || {
        let partial = temp_files(node.dir())
            .iter()
            .any(|f| fs::metadata(node.dir().join(f)).is_ok_and(|m| m.len() > 0));
        partial
            .then_some(())
            .ok_or(format!("{:?}", temp_files(node.dir())))
    });
    node.kill();
    assert!(read(&node.dump_path()) == previous, "the dump changed");
    node.start();
    saved.assert_held_by(&node, "the previous dump after kill -9 during BGSAVE");
}

#[test]
fn kill_right_after_bgsave_leaves_a_loadable_dump() {
    let dir = TempDir::new("crash-fast");
    let mut node = Node::redust(dir.path(), &[]);
    let saved = populate(&node);
    assert_eq!(node.cmd(&["SAVE"]), OK);
    let full = make_big(&node, 100_000);
    assert_eq!(node.cmd(&["BGSAVE"]), "+Background saving started\r\n");
    node.kill();
    node.start();
    // Either the old dump or the complete new one, nothing in between.
    let digest = dataset::digest(&mut node.client());
    if digest != full {
        saved.assert_held_by(&node, "the previous dump after kill -9 right after BGSAVE");
    }
}

#[test]
fn shutdown_during_bgsave_saves_the_latest_data() {
    let dir = TempDir::new("shutdown-bgsave");
    let mut node = Node::redust(dir.path(), &["--save", "3600 1"]);
    populate(&node);
    make_big(&node, 10_000);
    // Both saves take about two seconds and overlap.
    assert_eq!(
        node.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "200"]),
        OK
    );
    assert_eq!(node.cmd(&["BGSAVE"]), "+Background saving started\r\n");
    assert_eq!(node.cmd(&["SET", "late", "write"]), OK);
    let digest = dataset::digest(&mut node.client());
    assert!(node.stop(Stop::Shutdown(&[])).success());
    // Like Redis, the shutdown gave up the BGSAVE and removed its file.
    assert_eq!(temp_files(node.dir()), Vec::<String>::new());
    node.start();
    assert_eq!(node.cmd(&["GET", "late"]), "$5\r\nwrite\r\n");
    assert_eq!(dataset::digest(&mut node.client()), digest);
}

// ---- 5. save points and stop-writes-on-bgsave-error ----

#[test]
fn save_points_start_a_background_save() {
    let dir = TempDir::new("savepoint");
    let node = Node::redust(dir.path(), &["--save", "1 1"]);
    let saves = node.info_int("rdb_saves");
    assert_eq!(node.cmd(&["SET", "k", "v"]), OK);
    assert_eq!(node.info_int("rdb_changes_since_last_save"), 1);
    eventually("a save point's BGSAVE", || {
        let (changes, now) = (
            node.info_int("rdb_changes_since_last_save"),
            node.info_int("rdb_saves"),
        );
        (changes == 0 && now > saves)
            .then_some(())
            .ok_or(format!("changes {changes}, saves {now}"))
    });
    assert_eq!(node.info("persistence", "rdb_last_bgsave_status"), "ok");
    assert!(node.dump_path().exists());
}

#[test]
fn failed_background_save_refuses_writes_until_a_save_succeeds() {
    let root = TempDir::new("misconf");
    let data = root.path().join("data");
    fs::create_dir(&data).unwrap();
    let node = Node::redust(
        &data,
        &["--save", "1 1", "--enable-protected-configs", "yes"],
    );
    assert_eq!(node.cmd(&["SET", "kept", "1"]), OK);
    node.wait_bgsave();
    // Tests may run as root, where permissions stop nothing: a directory
    // that no longer exists makes every save fail.
    fs::remove_dir_all(&data).unwrap();
    assert_eq!(node.cmd(&["SET", "k", "v"]), OK);
    eventually("a failed BGSAVE", || {
        match node.info("persistence", "rdb_last_bgsave_status").as_str() {
            "err" => Ok(()),
            other => Err(other.to_string()),
        }
    });

    let refused = node.cmd(&["SET", "k", "v2"]);
    assert!(
        refused.starts_with("-MISCONF Redis is configured to save RDB snapshots"),
        "{refused}"
    );
    assert_eq!(node.cmd(&["INCR", "counter"])[..8], refused[..8]);
    assert_eq!(
        node.cmd(&["GET", "kept"]),
        "$1\r\n1\r\n",
        "reads still work"
    );
    // A foreground SAVE fails with a bare ERR, the cause in the log.
    assert_eq!(node.cmd(&["SAVE"]), "-ERR\r\n");

    let set = |value: &str| {
        let reply = node.cmd(&["CONFIG", "SET", "stop-writes-on-bgsave-error", value]);
        assert_eq!(reply, OK);
    };
    set("no");
    assert_eq!(node.cmd(&["SET", "k", "v3"]), OK);
    set("yes");
    assert!(node.cmd(&["SET", "k", "v4"]).starts_with("-MISCONF"));

    // Once a save works again (the save point retries), so do writes.
    fs::create_dir(&data).unwrap();
    let dir = data.to_string_lossy();
    assert_eq!(node.cmd(&["CONFIG", "SET", "dir", &dir]), OK);
    eventually("a successful retry", || {
        match node.info("persistence", "rdb_last_bgsave_status").as_str() {
            "ok" => Ok(()),
            other => Err(other.to_string()),
        }
    });
    assert_eq!(node.cmd(&["SET", "k", "v5"]), OK);
}

#[test]
fn shutdown_stays_up_when_the_final_save_fails() {
    let root = TempDir::new("shutdown-fails");
    let data = root.path().join("data");
    fs::create_dir(&data).unwrap();
    let mut node = Node::redust(&data, &["--save", "3600 1"]);
    assert_eq!(node.cmd(&["SET", "k", "v"]), OK);
    fs::remove_dir_all(&data).unwrap();
    assert_eq!(
        node.cmd(&["SHUTDOWN"]),
        "-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
    );
    assert_eq!(node.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    assert!(node.stop(Stop::Shutdown(&["NOSAVE"])).success());
}

#[test]
fn sigterm_keeps_serving_when_the_final_save_fails() {
    let root = TempDir::new("sigterm-fails");
    let data = root.path().join("data");
    fs::create_dir(&data).unwrap();
    let mut node = Node::redust(&data, &["--save", "3600 1"]);
    assert_eq!(node.cmd(&["SET", "k", "v"]), OK);
    fs::remove_dir_all(&data).unwrap();
    // Exiting now would lose the write: like Redis, log and keep serving.
    node.signal(libc::SIGTERM);
    node.wait_log("Errors trying to shut down the server");
    assert_eq!(node.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    assert!(node.stop(Stop::Shutdown(&["NOSAVE"])).success());
}

#[test]
fn bgsave_inside_exec_saves_the_whole_transaction() {
    let dir = TempDir::new("bgsave-exec");
    let mut node = Node::redust(dir.path(), &[]);
    let mut c = node.client();
    for command in [
        &["MULTI"][..],
        &["SET", "a", "1"],
        &["BGSAVE"],
        &["SET", "b", "2"],
    ] {
        assert!(!c.cmd(command).starts_with('-'), "{command:?}");
    }
    // A snapshot in the middle would hold half the transaction; Redis
    // starts the save once EXEC is over.
    assert_eq!(
        c.cmd(&["EXEC"]),
        "*3\r\n+OK\r\n+Background saving scheduled\r\n+OK\r\n"
    );
    eventually("the scheduled BGSAVE", || {
        let saves = node.info_int("rdb_saves");
        (saves == 1).then_some(()).ok_or(saves.to_string())
    });
    assert!(node.stop(Stop::Shutdown(&["NOSAVE"])).success());
    node.start();
    assert_eq!(
        node.cmd(&["MGET", "a", "b"]),
        "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    );
}

// ---- 6. INFO persistence ----

fn persistence_field_names(node: &Node) -> Vec<String> {
    node.cmd(&["INFO", "persistence"])
        .lines()
        .filter_map(|line| Some(line.split_once(':')?.0.to_string()))
        .filter(|name| !name.starts_with('$'))
        .collect()
}

#[test]
fn info_persistence_has_redis_fields_in_redis_order() {
    if !redis_available() {
        return;
    }
    let (a, b) = (TempDir::new("info-redust"), TempDir::new("info-redis"));
    let (redust, redis) = (Node::redust(a.path(), &[]), Node::redis(b.path(), &[]));
    assert_eq!(
        persistence_field_names(&redust),
        persistence_field_names(&redis)
    );
    for (field, idle) in [
        ("loading", "0"),
        ("rdb_bgsave_in_progress", "0"),
        ("rdb_last_bgsave_status", "ok"),
        ("rdb_last_bgsave_time_sec", "-1"),
        ("rdb_saves", "0"),
        ("aof_enabled", "0"),
    ] {
        assert_eq!(redust.info("persistence", field), idle, "{field}");
    }
    redust.cmd(&["SET", "k", "v"]);
    assert_eq!(redust.info_int("rdb_changes_since_last_save"), 1);
    redust.bgsave();
    assert_eq!(redust.info_int("rdb_changes_since_last_save"), 0);
    assert_eq!(redust.info_int("rdb_saves"), 1);
    assert!(redust.info_int("rdb_last_bgsave_time_sec") >= 0);
}

// ---- 7. LASTSAVE, SAVE and BGSAVE replies ----

fn integer(reply: &str) -> i64 {
    reply
        .trim_end()
        .strip_prefix(':')
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not an integer: {reply}"))
}

#[test]
fn lastsave_advances_with_a_save() {
    let dir = TempDir::new("lastsave");
    let node = Node::redust(dir.path(), &[]);
    let start = integer(&node.cmd(&["LASTSAVE"]));
    // LASTSAVE counts seconds: save until the clock has moved on.
    let after = eventually("LASTSAVE to advance", || {
        assert_eq!(node.cmd(&["SAVE"]), OK);
        let now = integer(&node.cmd(&["LASTSAVE"]));
        (now > start).then_some(now).ok_or(now.to_string())
    });
    assert_eq!(node.info_int("rdb_last_save_time"), after);
}

#[test]
fn bgsave_while_one_runs_is_refused() {
    let dir = TempDir::new("bgsave-busy");
    let node = Node::redust(dir.path(), &[]);
    make_big(&node, 2_000);
    // 2 ms per key: the save runs for about four seconds.
    assert_eq!(
        node.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "2000"]),
        OK
    );
    assert_eq!(node.cmd(&["BGSAVE"]), "+Background saving started\r\n");
    assert_eq!(node.info("persistence", "rdb_bgsave_in_progress"), "1");
    assert_eq!(node.cmd(&["BGSAVE"]), IN_PROGRESS);
    // SCHEDULE only waits for other kinds of child (AOF rewrites).
    assert_eq!(node.cmd(&["BGSAVE", "SCHEDULE"]), IN_PROGRESS);
    assert_eq!(node.cmd(&["SAVE"]), IN_PROGRESS);
    assert_eq!(node.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]), OK);
    assert_eq!(node.wait_bgsave(), "ok");
    assert_eq!(
        node.cmd(&["BGSAVE", "SCHEDULE"]),
        "+Background saving started\r\n"
    );
    assert_eq!(node.wait_bgsave(), "ok");
    assert_eq!(node.cmd(&["BGSAVE", "NOW"]), "-ERR syntax error\r\n");
}
