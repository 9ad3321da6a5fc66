//! `rename-command` in the config file renames or removes commands, as in
//! Redis; the same config behaves the same on both servers.

mod support;

use support::{redis_available, Kind, Server};

fn replies(kind: Kind) -> Vec<String> {
    let server = Server::builder(kind)
        .config("rename-command config cfg\nrename-command flushall \"\"\n")
        .start();
    let mut c = server.client();
    vec![
        c.cmd(&["CONFIG", "GET", "maxmemory"]),
        c.cmd(&["CFG", "GET", "maxmemory"]),
        c.cmd(&["FLUSHALL"]),
        c.cmd(&["SET", "k", "v"]),
        c.cmd(&["SET", "k", "w"]),
    ]
}

#[test]
fn renamed_and_removed_commands_like_redis() {
    let ours = replies(Kind::Redust);
    assert_eq!(ours[1], "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
    assert!(
        ours[0].starts_with("-ERR unknown command 'CONFIG'"),
        "{}",
        ours[0]
    );
    if redis_available() {
        assert_eq!(ours, replies(Kind::Redis));
    }
}
