//! SWAPDB serves clients blocked on keys the swap brings into their
//! database, on Redust and real Redis: the same replies.

mod support;

use support::{redis_available, Client, Server};

/// Runs the scenario and returns every reply, blocked clients' included.
fn scenario(server: &Server) -> Vec<Vec<u8>> {
    let mut admin = server.client();
    let mut a = server.client();
    let mut b = server.client();
    let mut seen = Replies::default();

    // A list in db 1 reaches a client blocked in db 0, and one blocked in
    // db 1 on a key db 0 held.
    a.send(&["BLPOP", "k", "0"]).unwrap();
    b.call_raw(&["SELECT", "1"]).unwrap();
    b.send(&["BZPOPMIN", "z", "0"]).unwrap();
    admin.wait_blocked(2);
    seen.call(&mut admin, &["ZADD", "z", "1", "one", "2", "two"]);
    seen.call(&mut admin, &["SELECT", "1"]);
    seen.call(&mut admin, &["RPUSH", "k", "v1", "v2"]);
    seen.call(&mut admin, &["SWAPDB", "0", "1"]);
    seen.read(&mut a);
    seen.read(&mut b);
    seen.call(&mut admin, &["ZRANGE", "z", "0", "-1"]);
    seen.call(&mut admin, &["SELECT", "0"]);
    seen.call(&mut admin, &["LRANGE", "k", "0", "-1"]);

    // BLMOVE in db 2 is served from db 3's list, moving into db 2.
    a.call_raw(&["SELECT", "2"]).unwrap();
    a.send(&["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"])
        .unwrap();
    admin.wait_blocked(1);
    seen.call(&mut admin, &["SELECT", "3"]);
    seen.call(&mut admin, &["RPUSH", "src", "m"]);
    seen.call(&mut admin, &["SWAPDB", "3", "2"]);
    seen.read(&mut a);
    seen.call(&mut admin, &["SELECT", "2"]);
    seen.call(&mut admin, &["LRANGE", "dst", "0", "-1"]);

    // A key of another type keeps the client blocked until a list comes.
    a.send(&["BLPOP", "s", "0"]).unwrap();
    admin.wait_blocked(1);
    seen.call(&mut admin, &["SELECT", "5"]);
    seen.call(&mut admin, &["SET", "s", "string"]);
    seen.call(&mut admin, &["SWAPDB", "5", "2"]);
    admin.wait_blocked(1);
    seen.call(&mut admin, &["SELECT", "2"]);
    seen.call(&mut admin, &["DEL", "s"]);
    seen.call(&mut admin, &["RPUSH", "s", "late"]);
    seen.read(&mut a);

    // A swap inside MULTI serves once EXEC ran.
    a.send(&["BLPOP", "t", "0"]).unwrap();
    admin.wait_blocked(1);
    seen.call(&mut admin, &["SELECT", "6"]);
    seen.call(&mut admin, &["RPUSH", "t", "tx"]);
    seen.call(&mut admin, &["MULTI"]);
    seen.call(&mut admin, &["SWAPDB", "6", "2"]);
    seen.call(&mut admin, &["EXEC"]);
    seen.read(&mut a);
    seen.0
}

/// Every reply of a scenario, in order.
#[derive(Default)]
struct Replies(Vec<Vec<u8>>);

impl Replies {
    fn call(&mut self, c: &mut Client, args: &[&str]) {
        self.0.push(c.call_raw(args).unwrap());
    }

    /// The reply of a command sent earlier (a blocked one).
    fn read(&mut self, c: &mut Client) {
        self.0.push(c.read_raw().unwrap());
    }
}

#[test]
fn swapdb_serves_clients_blocked_on_swapped_in_keys() {
    let redust = Server::redust(&[]);
    let ours = scenario(&redust);
    assert_eq!(
        ours[4], b"*2\r\n$1\r\nk\r\n$2\r\nv1\r\n",
        "BLPOP served by the swap"
    );
    if redis_available() {
        let redis = Server::redis(&[]);
        let theirs = scenario(&redis);
        for (i, (o, t)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(
                String::from_utf8_lossy(o),
                String::from_utf8_lossy(t),
                "reply {i} differs"
            );
        }
        assert_eq!(ours.len(), theirs.len());
    }
}
