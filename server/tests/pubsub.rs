//! Pub/Sub across connections, on Redust and (when installed) real Redis:
//! the bytes a subscriber receives must be the same.

mod support;

use support::{redis_available, Client, Server};

/// Subscribes one client, publishes from another, returns what the
/// subscriber read, byte for byte.
fn exchange(server: &Server, resp3: bool) -> Vec<Vec<u8>> {
    let mut sub = server.client();
    let mut publisher = server.client();
    let mut seen = Vec::new();
    if resp3 {
        sub.call_raw(&["HELLO", "3"]).unwrap();
    }
    seen.push(sub.call_raw(&["SUBSCRIBE", "news"]).unwrap());
    seen.push(sub.call_raw(&["PSUBSCRIBE", "n*"]).unwrap());
    assert_eq!(publisher.cmd(&["PUBLISH", "news", "hello"]), ":2\r\n");
    seen.push(sub.read_raw().unwrap());
    seen.push(sub.read_raw().unwrap());
    assert_eq!(publisher.cmd(&["PUBLISH", "nothing", "x\r\ny"]), ":1\r\n");
    seen.push(sub.read_raw().unwrap());
    assert_eq!(
        publisher.cmd(&["PUBSUB", "NUMSUB", "news", "other"]),
        "*4\r\n$4\r\nnews\r\n:1\r\n$5\r\nother\r\n:0\r\n"
    );
    assert_eq!(publisher.cmd(&["PUBSUB", "NUMPAT"]), ":1\r\n");
    seen.push(sub.call_raw(&["UNSUBSCRIBE", "news"]).unwrap());
    assert_eq!(publisher.cmd(&["PUBLISH", "news", "again"]), ":1\r\n");
    seen.push(sub.read_raw().unwrap());
    seen
}

#[test]
fn messages_reach_subscribers_like_redis() {
    let redust = Server::redust(&[]);
    for resp3 in [false, true] {
        let ours = exchange(&redust, resp3);
        if redis_available() {
            let redis = Server::redis(&[]);
            assert_eq!(ours, exchange(&redis, resp3), "resp3={resp3}");
        }
    }
}

#[test]
fn slow_subscriber_is_disconnected_by_the_output_buffer_limit() {
    let server = Server::redust(&["--client-output-buffer-limit", "pubsub 64kb 0 0"]);
    let mut sub = server.client();
    sub.call_raw(&["SUBSCRIBE", "flood"]).unwrap();
    // The subscriber never reads; the publisher's messages pile up.
    let mut publisher = server.client();
    let payload = "x".repeat(16 * 1024);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let receivers = publisher.cmd(&["PUBLISH", "flood", &payload]);
        if receivers == ":0\r\n" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "subscriber never disconnected"
        );
    }
    let mut other = Client::connect(server.port()).unwrap();
    assert_eq!(other.cmd(&["PING"]), "+PONG\r\n");
}

/// A RESP3 client's own messages (PUBLISH to itself, keyspace events its
/// commands cause) arrive before the reply of the command, as in Redis.
fn own_pushes(server: &Server) -> Vec<Vec<u8>> {
    let mut c = server.client();
    let mut seen = Vec::new();
    c.call_raw(&["HELLO", "3"]).unwrap();
    c.call_raw(&["CONFIG", "SET", "notify-keyspace-events", "KEA"])
        .unwrap();
    seen.push(
        c.call_raw(&["SUBSCRIBE", "me", "__keyspace@0__:k"])
            .unwrap(),
    );
    seen.push(c.read_raw().unwrap());
    for args in [
        &["PUBLISH", "me", "hi"][..],
        &["SET", "k", "v"],
        &["DEL", "k"],
    ] {
        c.send(args).unwrap();
        seen.push(c.read_raw().unwrap());
        seen.push(c.read_raw().unwrap());
    }
    seen.push(c.call_raw(&["PING"]).unwrap());
    seen
}

#[test]
fn own_pushes_come_before_the_reply_like_redis() {
    let ours = own_pushes(&Server::redust(&[]));
    assert!(
        String::from_utf8_lossy(&ours[2]).starts_with(">3\r\n$7\r\nmessage"),
        "{:?}",
        String::from_utf8_lossy(&ours[2])
    );
    if redis_available() {
        assert_eq!(ours, own_pushes(&Server::redis(&[])));
    }
}

/// Subscription confirmations and messages are push messages, which CLIENT
/// REPLY OFF does not silence (Redis 7's `CLIENT_PUSHING`).
fn pushes_under_reply_off(server: &Server) -> Vec<Vec<u8>> {
    let mut sub = server.client();
    let mut publisher = server.client();
    let mut seen = Vec::new();
    sub.call(&["HELLO", "3"]).unwrap();
    sub.send(&["CLIENT", "REPLY", "OFF"]).unwrap();
    seen.push(sub.call_raw(&["SUBSCRIBE", "ch"]).unwrap());
    seen.push(sub.call_raw(&["PSUBSCRIBE", "c*"]).unwrap());
    assert_eq!(publisher.cmd(&["PUBLISH", "ch", "hi"]), ":2\r\n");
    seen.push(sub.read_raw().unwrap());
    seen.push(sub.read_raw().unwrap());
    seen.push(sub.call_raw(&["UNSUBSCRIBE", "ch"]).unwrap());
    // An ordinary reply stays silenced: the PING's PONG never comes, the
    // push after it does.
    sub.send(&["PING"]).unwrap();
    seen.push(sub.call_raw(&["PUNSUBSCRIBE", "c*"]).unwrap());
    seen
}

#[test]
fn client_reply_off_keeps_pushes_like_redis() {
    let ours = pushes_under_reply_off(&Server::redust(&[]));
    assert_eq!(
        String::from_utf8_lossy(&ours[0]),
        ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    );
    if redis_available() {
        assert_eq!(ours, pushes_under_reply_off(&Server::redis(&[])));
    }
}
