//! Blocking list pops across connections, on Redust and real Redis: the
//! same replies, served in the order clients blocked.

mod support;

use support::{redis_available, Client, Server};

/// Runs the scenario and returns every reply the blocked clients got.
fn scenario(server: &Server) -> Vec<Vec<u8>> {
    let mut admin = server.client();
    let mut a = server.client();
    let mut b = server.client();
    let mut seen = Vec::new();

    // Two clients block on the same list: the first to block is served first.
    a.send(&["BLPOP", "q", "0"]).unwrap();
    admin.wait_blocked(1);
    b.send(&["BRPOP", "other", "q", "0"]).unwrap();
    admin.wait_blocked(2);
    seen.push(admin.call_raw(&["RPUSH", "q", "x", "y", "z"]).unwrap());
    seen.push(a.read_raw().unwrap());
    seen.push(b.read_raw().unwrap());
    seen.push(admin.call_raw(&["LRANGE", "q", "0", "-1"]).unwrap());

    // A timeout answers null.
    seen.push(a.call_raw(&["BLPOP", "empty", "0.05"]).unwrap());

    // BLMOVE moves the pushed element to the destination.
    a.send(&["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"])
        .unwrap();
    admin.wait_blocked(1);
    seen.push(admin.call_raw(&["LPUSH", "src", "v"]).unwrap());
    seen.push(a.read_raw().unwrap());
    seen.push(admin.call_raw(&["LRANGE", "dst", "0", "-1"]).unwrap());

    // Inside MULTI a blocking pop does not block.
    seen.push(a.call_raw(&["MULTI"]).unwrap());
    seen.push(a.call_raw(&["BLPOP", "empty", "0"]).unwrap());
    seen.push(a.call_raw(&["EXEC"]).unwrap());

    // A list arriving by RENAME serves a client blocked on its new name.
    a.send(&["BLPOP", "renamed", "0"]).unwrap();
    admin.wait_blocked(1);
    seen.push(admin.call_raw(&["RPUSH", "tmp", "r"]).unwrap());
    seen.push(admin.call_raw(&["RENAME", "tmp", "renamed"]).unwrap());
    seen.push(a.read_raw().unwrap());

    // Pipelined commands after a blocking one wait for it.
    a.send_raw(
        &[
            Client::encode(&["BLPOP", "p", "0"]),
            Client::encode(&["PING"]),
        ]
        .concat(),
    )
    .unwrap();
    admin.wait_blocked(1);
    seen.push(admin.call_raw(&["LPUSH", "p", "1"]).unwrap());
    seen.push(a.read_raw().unwrap());
    seen.push(a.read_raw().unwrap());

    // A stream overwritten by another type (SET) ends a blocked
    // XREADGROUP with Redis's error.
    seen.push(
        admin
            .call_raw(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"])
            .unwrap(),
    );
    a.send(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "c",
        "BLOCK",
        "0",
        "STREAMS",
        "s",
        ">",
    ])
    .unwrap();
    admin.wait_blocked(1);
    seen.push(admin.call_raw(&["SET", "s", "now a string"]).unwrap());
    seen.push(a.read_raw().unwrap());
    seen
}

#[test]
fn blocked_clients_are_served_in_order_like_redis() {
    let ours = scenario(&Server::redust(&[]));
    if redis_available() {
        let theirs = scenario(&Server::redis(&[]));
        assert_eq!(
            ours.iter()
                .map(|r| String::from_utf8_lossy(r).into_owned())
                .collect::<Vec<_>>(),
            theirs
                .iter()
                .map(|r| String::from_utf8_lossy(r).into_owned())
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_client_that_leaves_while_blocked_is_forgotten() {
    let server = Server::redust(&[]);
    let mut admin = server.client();
    {
        let mut a = server.client();
        a.send(&["BLPOP", "gone", "0"]).unwrap();
        admin.wait_blocked(1);
    }
    admin.wait_blocked(0);
    assert_eq!(admin.cmd(&["LPUSH", "gone", "v"]), ":1\r\n");
    assert_eq!(admin.cmd(&["LLEN", "gone"]), ":1\r\n");
}

/// The `flags` field of CLIENT LIST's line for the client with `id`.
fn flags_of(admin: &mut Client, id: &str) -> String {
    let list = admin.cmd(&["CLIENT", "LIST", "ID", id]);
    let field = list.split(' ').find(|f| f.starts_with("flags="));
    field.expect("a flags field").to_string()
}

/// CLIENT LIST flags a client blocked on a key `b`, one in MULTI `x`, and
/// one whose watched key was touched `d`; and a client's own request is in
/// its query buffer while it runs (`qbuf=26` for CLIENT INFO).
fn client_flags(server: &Server) -> Vec<String> {
    let mut admin = server.client();
    let mut a = server.client();
    let id = a.cmd(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim_end();
    let mut seen = vec![flags_of(&mut admin, id)];
    a.send(&["BLPOP", "flagged", "0"]).unwrap();
    admin.wait_blocked(1);
    seen.push(flags_of(&mut admin, id));
    admin.cmd(&["LPUSH", "flagged", "v"]);
    a.read_raw().unwrap();
    seen.push(flags_of(&mut admin, id));
    a.cmd(&["WATCH", "w"]);
    a.cmd(&["MULTI"]);
    seen.push(flags_of(&mut admin, id));
    admin.cmd(&["SET", "w", "1"]);
    seen.push(flags_of(&mut admin, id));
    a.cmd(&["DISCARD"]);
    let info = a.cmd(&["CLIENT", "INFO"]);
    let qbuf = info.split(' ').find(|f| f.starts_with("qbuf="));
    seen.push(qbuf.expect("a qbuf field").to_string());
    seen
}

#[test]
fn client_list_flags_like_redis() {
    let ours = client_flags(&Server::redust(&[]));
    assert_eq!(
        ours,
        ["flags=N", "flags=b", "flags=N", "flags=x", "flags=xd", "qbuf=26"]
    );
    if redis_available() {
        assert_eq!(ours, client_flags(&Server::redis(&[])));
    }
}

/// CLIENT UNBLOCK answers a blocked client as a timeout, or with an
/// UNBLOCKED error; a client not blocked is left alone.
fn unblocking(server: &Server) -> Vec<String> {
    let mut admin = server.client();
    let mut a = server.client();
    let id = a.cmd(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim_end().to_string();
    let mut seen = vec![admin.cmd(&["CLIENT", "UNBLOCK", &id])];
    for how in ["TIMEOUT", "ERROR"] {
        a.send(&["BLPOP", "nothing", "0"]).unwrap();
        admin.wait_blocked(1);
        seen.push(admin.cmd(&["CLIENT", "UNBLOCK", &id, how]));
        seen.push(String::from_utf8_lossy(&a.read_raw().unwrap()).into_owned());
    }
    seen.push(admin.cmd(&["CLIENT", "UNBLOCK", &id, "NOW"]));
    seen.push(admin.cmd(&["CLIENT", "UNBLOCK", "x"]));
    seen.push(admin.cmd(&["CLIENT", "KILL", "USER", "nobody"]));
    seen
}

#[test]
fn client_unblock_like_redis() {
    let ours = unblocking(&Server::redust(&[]));
    assert_eq!(ours[2], "*-1\r\n");
    if redis_available() {
        assert_eq!(ours, unblocking(&Server::redis(&[])));
    }
}
