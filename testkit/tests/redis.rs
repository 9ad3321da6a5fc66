//! The harness against the reference redis-server (skipped without it):
//! start-up in each readiness mode, config files and directories, restart
//! on the same port, and the ways a process ends.

use std::time::Duration;

use redust_testkit::{redis_available, Kind, Ready, Reply, Server, TempDir};

#[test]
fn starts_answers_and_restarts_on_the_same_port_and_dir() {
    if !redis_available() {
        return;
    }
    let mut server = Server::builder(Kind::Redis)
        .temp_dir(TempDir::new("testkit-restart"))
        .config("maxmemory-policy allkeys-lru\n")
        .args(["--enable-debug-command", "yes"])
        .ready(Ready::Pong)
        .start();
    let (port, dir) = (server.port(), server.dir().to_path_buf());
    assert_eq!(server.name(), "redis-server");
    let mut c = server.client();
    assert_eq!(
        c.call(&["SET", "k", "v"]).unwrap(),
        Reply::Simple("OK".into())
    );
    assert_eq!(c.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    let policy = c.call(&["CONFIG", "GET", "maxmemory-policy"]).unwrap();
    assert_eq!(policy.expect_items()[1].expect_text(), "allkeys-lru");
    assert_eq!(c.call(&["SAVE"]).unwrap(), Reply::Simple("OK".into()));
    assert!(dir.join("dump.rdb").exists());

    server.kill();
    assert!(server.exit_status().is_some());
    server.restart();
    assert_eq!((server.port(), server.dir()), (port, &*dir));
    let mut c = server.client();
    assert_eq!(
        c.call(&["GET", "k"]).unwrap(),
        Reply::Bulk(Some(b"v".to_vec()))
    );
    // The log is read from the process's pipe by another thread: it may
    // lag the reply.
    redust_testkit::wait_until(Duration::from_secs(10), "the load in the log", || {
        server.log().contains("DB loaded from disk")
    });

    server.signal(libc::SIGTERM);
    assert!(server.wait_exit(Duration::from_secs(30)).success());
    drop(server);
    assert!(!dir.exists(), "the owned directory is removed");
}

#[test]
fn ready_by_log_line_makes_no_connection() {
    if !redis_available() {
        return;
    }
    let first_id = |ready| {
        let server = Server::builder(Kind::Redis).ready(ready).start();
        let id = server.client().call(&["CLIENT", "ID"]).unwrap();
        id.expect_int()
    };
    let logged = first_id(Ready::Logged("Ready to accept connections"));
    assert_eq!(
        first_id(Ready::Logged("Ready to accept connections")),
        logged
    );
    assert!(first_id(Ready::Pong) > logged);
}

#[test]
fn a_server_that_cannot_start_reports_its_log() {
    if !redis_available() {
        return;
    }
    let error = match Server::builder(Kind::Redis)
        .args(["--no-such-option", "1"])
        .try_start()
    {
        Ok(_) => panic!("started with a bad option"),
        Err(e) => e.to_string(),
    };
    assert!(error.contains("exited with"), "{error}");
    assert!(error.contains("no-such-option"), "{error}");

    let mut server = Server::builder(Kind::Redis).args(["--bogus", "x"]).spawn();
    assert!(!server.wait_exit(Duration::from_secs(30)).success());
    assert!(server.finish_log(Duration::from_secs(5)).contains("bogus"));
}
