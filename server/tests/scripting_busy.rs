//! A script running past `busy-reply-threshold`, on Redust and on Redis:
//! other clients get BUSY, SCRIPT KILL stops a script that has not
//! written, and the server keeps serving; a script that wrote is
//! UNKILLABLE and SHUTDOWN NOSAVE ends the server.

mod support;

use std::time::Duration;

use support::{redis_available, Client, Server};
use testkit::wait_until;

const BUSY_EVAL: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

fn servers() -> Vec<Server> {
    // Redust serves other clients during a script on its multi-threaded
    // runtime only (io-threads above 1).
    let args = ["--busy-reply-threshold", "100", "--io-threads", "2"];
    let mut all = vec![Server::redust(&args)];
    if redis_available() {
        all.push(Server::redis(&args));
    }
    all
}

/// Waits until another client's PING is refused with BUSY.
fn wait_busy(server: &Server, other: &mut Client) {
    wait_until(
        Duration::from_secs(10),
        format!("{}: BUSY while the script runs", server.name()),
        || other.cmd(&["PING"]) == format!("-{BUSY_EVAL}\r\n"),
    );
}

#[test]
fn script_kill_stops_a_busy_script() {
    for server in servers() {
        let name = server.name().to_string();
        let mut runner = server.client();
        let mut other = server.client();
        runner
            .send(&["EVAL", "local i = 0 while true do i = i + 1 end", "0"])
            .unwrap();
        wait_busy(&server, &mut other);
        assert_eq!(
            other.cmd(&["GET", "k"]),
            format!("-{BUSY_EVAL}\r\n"),
            "{name}"
        );
        assert_eq!(other.cmd(&["SCRIPT", "KILL"]), "+OK\r\n", "{name}");
        let killed = String::from_utf8(runner.read_raw().unwrap()).unwrap();
        assert!(
            killed.starts_with("-ERR Script killed by user with SCRIPT KILL..."),
            "{name}: {killed}"
        );
        assert_eq!(runner.cmd(&["PING"]), "+PONG\r\n", "{name}");
        assert_eq!(other.cmd(&["PING"]), "+PONG\r\n", "{name}");
        assert_eq!(
            other.cmd(&["SCRIPT", "KILL"]),
            "-NOTBUSY No scripts in execution right now.\r\n",
            "{name}"
        );
    }
}

#[test]
fn a_script_that_wrote_is_unkillable() {
    for mut server in servers() {
        let name = server.name().to_string();
        let mut runner = server.client();
        let mut other = server.client();
        runner
            .send(&["EVAL", "redis.call('set', 'x', 'y') while true do end", "0"])
            .unwrap();
        wait_busy(&server, &mut other);
        assert!(
            other
                .cmd(&["SCRIPT", "KILL"])
                .starts_with("-UNKILLABLE Sorry the script already executed write commands"),
            "{name}"
        );
        assert_eq!(
            other.cmd(&["SHUTDOWN"]),
            format!("-{BUSY_EVAL}\r\n"),
            "{name}"
        );
        other.send(&["SHUTDOWN", "NOSAVE"]).unwrap();
        wait_until(Duration::from_secs(10), format!("{name} exits"), || {
            server.exit_status().is_some()
        });
    }
}
