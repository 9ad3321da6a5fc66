//! Operating details that differed from Redis: the pidfile, the listen
//! backlog, the allocator in `--version`, PING under MISCONF.

mod support;

use std::time::Duration;

use support::{redust_bin, Kind, Server, TempDir};
use testkit::eventually;

#[test]
fn pidfile_is_written_at_start_and_removed_at_shutdown() {
    let dir = TempDir::new("pidfile");
    let pidfile = dir.path().join("redust.pid");
    let mut server = Server::builder(Kind::Redust)
        .args(["--pidfile", pidfile.to_str().unwrap()])
        .start();
    let written = std::fs::read_to_string(&pidfile).expect("pidfile written");
    assert_eq!(written, format!("{}\n", server.pid()));
    let _ = server.client().call(&["SHUTDOWN", "NOSAVE"]);
    server.wait_exit(Duration::from_secs(10));
    assert!(!pidfile.exists(), "pidfile removed at exit");
}

/// The listening socket's backlog, as `ss -ltn` shows it (Send-Q).
fn listen_backlog(port: u16) -> Option<u32> {
    let out = std::process::Command::new("ss")
        .args(["-ltnH", &format!("sport = :{port}")])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().next()?.split_whitespace().nth(2)?.parse().ok()
}

#[test]
fn tcp_backlog_is_applied_to_the_listener() {
    if !support::tool_available("ss") {
        return;
    }
    let server = Server::redust(&["--tcp-backlog", "77"]);
    assert_eq!(listen_backlog(server.port()), Some(77));
    let server = Server::redust(&[]);
    assert_eq!(listen_backlog(server.port()), Some(511));
}

#[test]
fn version_names_the_real_allocator() {
    let out = std::process::Command::new(redust_bin())
        .arg("--version")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("malloc=jemalloc-"), "{text}");
}

#[test]
fn ping_answers_misconf_after_a_failed_background_save() {
    let root = TempDir::new("ping-misconf");
    let data = root.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let server = Server::builder(Kind::Redust)
        .args(["--dir", data.to_str().unwrap(), "--save", "1 1"])
        .start();
    let mut c = server.client();
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    // A directory that no longer exists makes every save fail (even as root).
    std::fs::remove_dir_all(&data).unwrap();
    c.cmd(&["SET", "k", "v"]);
    eventually("a failed BGSAVE", || {
        let info = c.cmd(&["INFO", "persistence"]);
        match info.contains("rdb_last_bgsave_status:err") {
            true => Ok(()),
            false => Err("still ok".to_string()),
        }
    });
    assert!(c.cmd(&["PING"]).starts_with("-MISCONF "), "PING refused");
    assert_eq!(c.cmd(&["GET", "k"]), "$1\r\nv\r\n");
}

fn info_field(c: &mut testkit::Client, section: &str, name: &str) -> String {
    let info = c.cmd(&["INFO", section]);
    let prefix = format!("{name}:");
    info.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_default()
        .trim()
        .to_string()
}

#[test]
fn replication_bytes_are_counted_apart() {
    let master = Server::redust(&[]);
    let replica = Server::redust(&["--replicaof", "127.0.0.1", &master.port().to_string()]);
    let (mut m, mut r) = (master.client(), replica.client());
    eventually("the link up", || {
        match info_field(&mut r, "replication", "master_link_status").as_str() {
            "up" => Ok(()),
            other => Err(other.to_string()),
        }
    });
    m.cmd(&["SET", "k", "v"]);
    eventually("the write on the replica", || {
        match r.cmd(&["GET", "k"]).as_str() {
            "$1\r\nv\r\n" => Ok(()),
            other => Err(other.to_string()),
        }
    });
    let number =
        |c: &mut testkit::Client, name| -> u64 { info_field(c, "stats", name).parse().unwrap() };
    // The RDB transfer and the SET at least.
    assert!(number(&mut r, "total_net_repl_input_bytes") > 20);
    assert!(number(&mut m, "total_net_repl_output_bytes") > 20);
    assert_eq!(number(&mut m, "total_net_repl_input_bytes"), 0);
}
