//! The panic policy: a panic (here DEBUG PANIC) writes a Redis-style crash
//! report to the log and ends the process with a non-zero status; the
//! server never serves on after a bug.

mod support;

use std::time::Duration;

use support::Server;

#[test]
fn debug_panic_writes_a_crash_report_and_aborts() {
    let mut server = Server::redust(&["--enable-debug-command", "yes"]);
    let mut c = server.client();
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["CLIENT", "SETNAME", "crasher"]);
    let _ = c.send(&["DEBUG", "PANIC"]);
    let status = server.wait_exit(Duration::from_secs(20));
    assert!(!status.success(), "exit status {status:?}");
    // Exited: its output ends once the pipes are drained.
    let log = server.finish_log(Duration::from_secs(20));
    for wanted in [
        "REDUST BUG REPORT START",
        "DEBUG PANIC called at Unix time",
        "------ STACK TRACE ------",
        "command: debug",
        "name=crasher",
        "# Server",
        "redis_version:7.0.15",
        "# Clients",
        "REDUST BUG REPORT END",
    ] {
        assert!(log.contains(wanted), "no {wanted:?} in the log:\n{log}");
    }
}
