//! The pubsub class of `client-output-buffer-limit`, on Redust and real
//! Redis: a subscriber that stops reading is closed once over the soft limit
//! for longer than soft-seconds, and not before.

mod support;

use std::time::{Duration, Instant};

use support::{redis_available, Client, Server};
use testkit::wait_until;

const SOFT_SECONDS: u64 = 2;
/// Far more than loopback socket buffers absorb, so the server must queue.
const MESSAGES: usize = 64;
const MESSAGE_SIZE: usize = 256 * 1024;

fn subscribers(c: &mut Client, channel: &str) -> String {
    c.cmd(&["PUBSUB", "NUMSUB", channel])
}

/// Waits for the server to log `line` (its output is read by a thread).
fn wait_log(server: &Server, line: &str) {
    let what = format!("{} to log {line:?}", server.name());
    wait_until(Duration::from_secs(5), what, || server.log().contains(line));
}

/// Floods a subscriber that never reads past a 64kb soft limit; checks it
/// stays until soft-seconds passed, then goes without further messages.
fn soft_limit_scenario(server: &Server) {
    let mut admin = server.client();
    let limit = format!("pubsub 0 64kb {SOFT_SECONDS}");
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "client-output-buffer-limit", &limit]),
        "+OK\r\n"
    );
    let mut sub = server.client();
    sub.call_raw(&["SUBSCRIBE", "flood"]).unwrap();
    let subscribed = "*2\r\n$5\r\nflood\r\n:1\r\n";
    assert_eq!(subscribers(&mut admin, "flood"), subscribed);

    // The soft limit cannot be crossed before the first message.
    let start = Instant::now();
    let payload = "x".repeat(MESSAGE_SIZE);
    for _ in 0..MESSAGES {
        let receivers = admin.cmd(&["PUBLISH", "flood", &payload]);
        if start.elapsed() < Duration::from_secs(SOFT_SECONDS) {
            assert_eq!(receivers, ":1\r\n", "{}: closed too early", server.name());
        }
    }
    if start.elapsed() < Duration::from_secs(SOFT_SECONDS) {
        assert_eq!(subscribers(&mut admin, "flood"), subscribed);
    }

    // No more messages: the server's periodic check has to close it.
    let deadline = start + Duration::from_secs(SOFT_SECONDS + 10);
    let what = format!("{} to close the subscriber", server.name());
    wait_until(
        deadline.saturating_duration_since(Instant::now()),
        what,
        || subscribers(&mut admin, "flood") == "*2\r\n$5\r\nflood\r\n:0\r\n",
    );
    assert!(
        start.elapsed() > Duration::from_secs(SOFT_SECONDS),
        "{}: closed after {:?}",
        server.name(),
        start.elapsed()
    );
    wait_log(server, "for overcoming of output buffer limits.");
    assert_eq!(admin.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn slow_subscriber_is_closed_after_soft_seconds_over_the_soft_limit() {
    soft_limit_scenario(&Server::redust(&[]));
    if redis_available() {
        soft_limit_scenario(&Server::redis(&[]));
    }
}

/// A hard limit set at run time closes at once, logging like Redis.
#[test]
fn hard_limit_set_by_config_set_closes_at_once() {
    let server = Server::redust(&[]);
    let mut admin = server.client();
    admin.cmd(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "pubsub 1mb 64kb 60",
    ]);
    let mut sub = server.client();
    sub.call_raw(&["SUBSCRIBE", "flood"]).unwrap();
    let payload = "x".repeat(MESSAGE_SIZE);
    let deadline = Instant::now() + Duration::from_secs(10);
    while admin.cmd(&["PUBLISH", "flood", &payload]) != ":0\r\n" {
        assert!(Instant::now() < deadline, "subscriber never closed");
    }
    wait_log(
        &server,
        "scheduled to be closed ASAP for overcoming of output buffer limits.",
    );
}
