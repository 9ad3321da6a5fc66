//! CLIENT PAUSE / UNPAUSE on Redust and real Redis: held commands wait
//! (their replies come later, in order), WRITE holds only writes, ALL holds
//! everything, a pause ends by itself, and the dataset stands still.

mod support;
#[path = "replication/tempdir.rs"]
mod tempdir;

use std::io;
use std::time::{Duration, Instant};

use support::{redis_available, Client, Server};
use tempdir::TempDir;

/// How long a held command must stay unanswered to count as held.
const QUIET: Duration = Duration::from_millis(100);

/// Every server to run a scenario on: Redust, and Redis when installed.
fn servers() -> Vec<Server> {
    let mut all = vec![Server::redust(&[])];
    if redis_available() {
        all.push(Server::redis(&[]));
    }
    all
}

/// Asserts that no reply arrives within [`QUIET`].
fn assert_no_reply(c: &mut Client, what: &str) {
    c.stream().set_read_timeout(Some(QUIET)).unwrap();
    let got = c.read_reply();
    c.stream()
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    match got {
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) => {}
        other => panic!("{what}: expected no reply yet, got {other:?}"),
    }
}

fn reply(c: &mut Client) -> String {
    String::from_utf8_lossy(&c.read_reply().unwrap()).into_owned()
}

#[test]
fn write_pause_holds_writes_until_unpause() {
    for server in servers() {
        let name = server.name().to_string();
        let mut admin = server.client();
        let mut c = server.client();
        assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "10000", "WRITE"]), "+OK\r\n");

        // Reads pass.
        assert_eq!(c.cmd(&["GET", "k"]), "$-1\r\n", "{name}");
        assert_eq!(c.cmd(&["PING"]), "+PONG\r\n", "{name}");

        // A pipeline: the write holds itself and what follows it.
        let mut batch = Client::encode(&["SET", "k", "v"]);
        batch.extend(Client::encode(&["GET", "k"]));
        c.send_raw(&batch).unwrap();
        assert_no_reply(&mut c, &name);
        // PUBLISH and PFCOUNT may replicate: held too.
        let mut p = server.client();
        p.send(&["PUBLISH", "ch", "m"]).unwrap();
        assert_no_reply(&mut p, &name);
        assert_eq!(admin.cmd(&["GET", "k"]), "$-1\r\n", "{name}: not set yet");
        // Held clients count as blocked.
        admin.wait_blocked(2);

        assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
        assert_eq!(reply(&mut c), "+OK\r\n", "{name}");
        assert_eq!(reply(&mut c), "$1\r\nv\r\n", "{name}");
        assert_eq!(reply(&mut p), ":0\r\n", "{name}");
        assert_eq!(admin.cmd(&["GET", "k"]), "$1\r\nv\r\n", "{name}");
        admin.wait_blocked(0);
    }
}

#[test]
fn write_pause_holds_exec_of_writes_only() {
    for server in servers() {
        let name = server.name().to_string();
        let mut admin = server.client();
        let mut r = server.client();
        let mut w = server.client();
        for c in [&mut r, &mut w] {
            assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
        }
        assert_eq!(r.cmd(&["GET", "x"]), "+QUEUED\r\n");
        assert_eq!(w.cmd(&["SET", "x", "1"]), "+QUEUED\r\n");
        assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "10000", "WRITE"]), "+OK\r\n");
        assert_eq!(r.cmd(&["EXEC"]), "*1\r\n$-1\r\n", "{name}");
        w.send(&["EXEC"]).unwrap();
        assert_no_reply(&mut w, &name);
        assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
        assert_eq!(reply(&mut w), "*1\r\n+OK\r\n", "{name}");
    }
}

#[test]
fn all_pause_holds_reads_and_ends_by_itself() {
    for server in servers() {
        let name = server.name().to_string();
        let mut admin = server.client();
        let mut c = server.client();
        let started = Instant::now();
        assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "400", "ALL"]), "+OK\r\n");
        c.send(&["GET", "k"]).unwrap();
        assert_no_reply(&mut c, &name);
        // Commands refused before the pause check are answered at once.
        let mut e = server.client();
        assert!(e.cmd(&["NOSUCHCMD"]).starts_with("-ERR unknown command"));
        assert!(e.cmd(&["GET"]).starts_with("-ERR wrong number"));
        // Even UNPAUSE waits in ALL mode, as in Redis.
        admin.send(&["CLIENT", "UNPAUSE"]).unwrap();
        assert_no_reply(&mut admin, &name);

        assert_eq!(reply(&mut c), "$-1\r\n", "{name}");
        assert!(
            started.elapsed() >= Duration::from_millis(390),
            "{name}: answered after {:?}",
            started.elapsed()
        );
        assert_eq!(reply(&mut admin), "+OK\r\n");
    }
}

#[test]
fn later_pause_extends_and_upgrades_never_shortens() {
    for server in servers() {
        let name = server.name().to_string();
        let mut admin = server.client();
        let mut c = server.client();
        let started = Instant::now();
        assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "600", "WRITE"]), "+OK\r\n");
        // Shorter: keeps the end. ALL: upgrades the mode (0 keeps it too).
        assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "1", "WRITE"]), "+OK\r\n");
        assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "0", "ALL"]), "+OK\r\n");
        c.send(&["GET", "k"]).unwrap();
        assert_no_reply(&mut c, &name);
        assert_eq!(reply(&mut c), "$-1\r\n", "{name}");
        assert!(
            started.elapsed() >= Duration::from_millis(590),
            "{name}: answered after {:?}",
            started.elapsed()
        );
        // A timeout of 0 alone pauses nothing.
        assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "0", "ALL"]), "+OK\r\n");
        assert_eq!(c.cmd(&["SET", "k", "v"]), "+OK\r\n", "{name}");
    }
}

#[test]
fn errors_match_redis() {
    let cases: &[&[&str]] = &[
        &["CLIENT", "PAUSE", "abc"],
        &["CLIENT", "PAUSE", "-1"],
        &["CLIENT", "PAUSE", "1.5", "WRITE"],
        &["CLIENT", "PAUSE", "100", "foo"],
        &["CLIENT", "PAUSE", "abc", "foo"],
        &["client", "Pause", "1", "2", "3"],
        &["CLIENT", "PAUSE"],
        &["CLIENT", "UNPAUSE", "x"],
        &["CLIENT", "PAUSE", "99999999999999999999"],
    ];
    let expected = [
        "-ERR timeout is not an integer or out of range\r\n",
        "-ERR timeout is negative\r\n",
        "-ERR timeout is not an integer or out of range\r\n",
        "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n",
        "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n",
        "-ERR unknown subcommand or wrong number of arguments for 'Pause'. Try CLIENT HELP.\r\n",
        "-ERR wrong number of arguments for 'client|pause' command\r\n",
        "-ERR wrong number of arguments for 'client|unpause' command\r\n",
        "-ERR timeout is not an integer or out of range\r\n",
    ];
    for server in servers() {
        let mut c = server.client();
        for (args, want) in cases.iter().zip(expected) {
            assert_eq!(c.cmd(args), want, "{}: {args:?}", server.name());
        }
        // A wrapped end is over at once: writes still pass.
        assert_eq!(
            c.cmd(&["CLIENT", "PAUSE", "9223372036854775807", "WRITE"]),
            "+OK\r\n"
        );
        assert_eq!(c.cmd(&["SET", "k", "v"]), "+OK\r\n", "{}", server.name());
    }
}

/// A field of INFO's text, e.g. `expired_keys`.
fn info_field(c: &mut Client, section: &str, field: &str) -> String {
    let info = c.cmd(&["INFO", section]);
    let prefix = format!("{field}:");
    info.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {field} in {info}"))
        .to_string()
}

#[test]
fn active_expiry_waits_for_unpause() {
    const KEYS: usize = 20;
    for server in servers() {
        let name = server.name().to_string();
        let mut c = server.client();
        for i in 0..KEYS {
            assert_eq!(
                c.cmd(&["SET", &format!("k{i}"), "v", "PX", "50"]),
                "+OK\r\n"
            );
        }
        let expired = info_field(&mut c, "stats", "expired_keys");
        assert_eq!(c.cmd(&["CLIENT", "PAUSE", "10000", "WRITE"]), "+OK\r\n");
        // Several expiry cycles (10 a second) run past the TTL: none may
        // delete a key. DBSIZE does not touch keys, so nothing expires lazily.
        let until = Instant::now() + Duration::from_millis(600);
        while Instant::now() < until {
            assert_eq!(c.cmd(&["DBSIZE"]), format!(":{KEYS}\r\n"), "{name}");
            assert_eq!(info_field(&mut c, "stats", "expired_keys"), expired);
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(c.cmd(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
        let deadline = Instant::now() + Duration::from_secs(5);
        while c.cmd(&["DBSIZE"]) != ":0\r\n" {
            assert!(Instant::now() < deadline, "{name}: keys never expired");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A paused replica holds its master's writes too (Redis 7.0 pauses the
/// master link like any client): its offset stands still until UNPAUSE.
#[test]
fn paused_replica_stops_applying_its_masters_writes() {
    let mut kinds: Vec<fn(&[&str]) -> Server> = vec![Server::redust];
    if redis_available() {
        kinds.push(Server::redis);
    }
    for start in kinds {
        let master = start(&[]);
        let port = master.port().to_string();
        // The replica stores the synced dataset in its dir: not in the
        // tests' working directory, where every later server would load it.
        let dir = TempDir::new("paused-replica");
        let dir = dir.path().to_str().unwrap().to_string();
        let replica = start(&["--replicaof", "127.0.0.1", &port, "--dir", &dir]);
        let name = replica.name().to_string();
        let (mut m, mut r) = (master.client(), replica.client());
        let synced = |r: &mut Client, m: &mut Client| {
            let master_offset = info_field(m, "replication", "master_repl_offset");
            info_field(r, "replication", "master_link_status") == "up"
                && info_field(r, "replication", "slave_repl_offset") == master_offset
        };
        // A first write after the sync, so the stream's SELECT is behind us
        // (a full sync makes the master send SELECT again).
        let wait_synced = |r: &mut Client, m: &mut Client| {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !synced(r, m) {
                assert!(Instant::now() < deadline, "{name}: replica never synced");
                std::thread::sleep(Duration::from_millis(10));
            }
        };
        wait_synced(&mut r, &mut m);
        assert_eq!(m.cmd(&["SET", "warm", "1"]), "+OK\r\n");
        wait_synced(&mut r, &mut m);
        let before = info_field(&mut r, "replication", "slave_repl_offset");
        assert_eq!(r.cmd(&["CLIENT", "PAUSE", "10000", "WRITE"]), "+OK\r\n");
        assert_eq!(m.cmd(&["SET", "k", "v"]), "+OK\r\n");
        // The master's write reaches the replica but is not applied.
        let quiet_until = Instant::now() + QUIET * 2;
        while Instant::now() < quiet_until {
            assert_eq!(r.cmd(&["EXISTS", "k"]), ":0\r\n", "{name}");
            assert_eq!(
                info_field(&mut r, "replication", "slave_repl_offset"),
                before,
                "{name}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(r.cmd(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
        let deadline = Instant::now() + Duration::from_secs(10);
        while r.cmd(&["EXISTS", "k"]) != ":1\r\n" || !synced(&mut r, &mut m) {
            assert!(Instant::now() < deadline, "{name}: never caught up");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
