//! Malformed input: each class of bad request gets Redis's protocol error and
//! its connection is closed, while other clients keep being served. Every
//! check also runs against redis-server when it is installed, so the expected
//! texts are Redis's own.

mod support;

use std::io::Read;
use std::path::Path;
use std::thread;

use support::{Client, Server, REDIS_SERVER};

/// A request that Redis rejects with `-ERR Protocol error: <error>`.
struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    error: &'static str,
}

fn case(name: &'static str, bytes: impl Into<Vec<u8>>, error: &'static str) -> Case {
    Case {
        name,
        bytes: bytes.into(),
        error,
    }
}

/// Runs `check` against Redust and, when installed, against redis-server.
fn on_both(args: &[&str], check: impl Fn(&mut Server)) {
    check(&mut Server::redust(args));
    if Path::new(REDIS_SERVER).exists() {
        check(&mut Server::redis(args));
    }
}

/// A client is served normally: PING gets PONG, or NOAUTH when a password
/// is required.
fn assert_served(client: &mut Client, server: &Server) {
    let reply = client.cmd(&["PING"]);
    assert!(
        reply == "+PONG\r\n" || reply.starts_with("-NOAUTH"),
        "{}: PING got {reply:?}; log:\n{}",
        server.name(),
        server.log()
    );
}

/// Sends each case on its own connection; each must get exactly the error
/// reply and then be closed, while a bystander connected throughout and new
/// clients are still served.
fn check_cases(server: &mut Server, cases: &[Case]) {
    let mut bystander = server.client();
    assert_served(&mut bystander, server);
    let mut failures = Vec::new();
    for case in cases {
        let mut offender = server.client();
        // The server may close before it has read everything; that is fine.
        let _ = offender.send_raw(&case.bytes);
        let expected = format!("-ERR Protocol error: {}\r\n", case.error);
        match offender.read_to_close() {
            Ok(reply) if reply == expected.as_bytes() => {}
            Ok(reply) => failures.push(format!(
                "{}: expected {expected:?} then close, got {:?}",
                case.name,
                String::from_utf8_lossy(&reply)
            )),
            Err(e) => failures.push(format!("{}: no reply and close: {e}", case.name)),
        }
        assert_served(&mut bystander, server);
        assert_served(&mut server.client(), server);
    }
    server.assert_alive();
    assert!(
        failures.is_empty(),
        "{}:\n{}\nlog:\n{}",
        server.name(),
        failures.join("\n"),
        server.log()
    );
}

#[test]
fn each_malformed_request_gets_an_error_and_a_close() {
    let long_digits = "1".repeat(70_000);
    let cases = [
        case("bad type byte", "*1\r\n+PING\r\n", "expected '$', got '+'"),
        case(
            "inline inside multibulk",
            "*2\r\n$4\r\nECHO\r\nhi\r\n",
            "expected '$', got 'h'",
        ),
        case(
            "negative bulk length",
            "*1\r\n$-5\r\n",
            "invalid bulk length",
        ),
        case(
            "non-numeric bulk length",
            "*1\r\n$abc\r\n",
            "invalid bulk length",
        ),
        case(
            "bulk over 512MB",
            "*1\r\n$536870913\r\n",
            "invalid bulk length",
        ),
        case(
            "non-numeric multibulk count",
            "*abc\r\n",
            "invalid multibulk length",
        ),
        case(
            "multibulk count over limit",
            "*2147483648\r\n",
            "invalid multibulk length",
        ),
        case(
            "unbalanced double quotes",
            "SET \"a b\r\n",
            "unbalanced quotes in request",
        ),
        case(
            "unbalanced single quotes",
            "SET 'a b\r\n",
            "unbalanced quotes in request",
        ),
        case(
            "inline over 64KB",
            "a".repeat(70_000),
            "too big inline request",
        ),
        case(
            "multibulk count string over 64KB",
            format!("*{long_digits}"),
            "too big mbulk count string",
        ),
        case(
            "bulk length string over 64KB",
            format!("*1\r\n${long_digits}"),
            "too big bulk count string",
        ),
    ];
    on_both(&[], |server| check_cases(server, &cases));
}

#[test]
fn unauthenticated_clients_get_tighter_limits() {
    let cases = [
        case(
            "multibulk count over 10",
            "*11\r\n",
            "unauthenticated multibulk length",
        ),
        case(
            "bulk over 16KB",
            "*1\r\n$16385\r\n",
            "unauthenticated bulk length",
        ),
    ];
    on_both(&["--requirepass", "pw"], |server| {
        check_cases(server, &cases);
        // The same sizes are fine once authenticated.
        let mut client = server.client();
        assert_eq!(client.cmd(&["AUTH", "pw"]), "+OK\r\n");
        let args: Vec<&str> = ["MSET"].into_iter().chain(["k", "v"].repeat(6)).collect();
        assert_eq!(client.cmd(&args), "+OK\r\n");
        let big = "x".repeat(20_000);
        assert_eq!(client.cmd(&["SET", "k", &big]), "+OK\r\n");
    });
}

#[test]
fn empty_and_negative_multibulk_counts_are_ignored() {
    on_both(&[], |server| {
        let mut client = server.client();
        client.send_raw(b"*0\r\n*-1\r\n\r\n\r\nPING\r\n").unwrap();
        assert_eq!(client.read_raw().unwrap(), b"+PONG\r\n");
        assert_eq!(client.cmd(&["ECHO", "still open"]), "$10\r\nstill open\r\n");
    });
}

#[test]
fn inline_requests_split_like_redis() {
    // Each request is one inline line; its reply follows.
    let exchanges: &[(&[u8], &[u8])] = &[
        (b"PING\r\n", b"+PONG\r\n"),
        (b"PING\n", b"+PONG\r\n"),
        (b"   \r\n\r\nPING\r\n", b"+PONG\r\n"),
        (b"SET \"a b\" 'c d'\r\n", b"+OK\r\n"),
        (b"GET \"a b\"\r\n", b"$3\r\nc d\r\n"),
        (b"ECHO \"\\x41\\n\"\r\n", b"$2\r\nA\n\r\n"),
        (b"ECHO  \"  spaced  \"  \r\n", b"$10\r\n  spaced  \r\n"),
        (b"ECHO\thi\r\n", b"$2\r\nhi\r\n"),
        (b"ECHO \"\\xzz\"\r\n", b"$3\r\nxzz\r\n"),
        (b"ECHO 'it\\'s'\r\n", b"$4\r\nit's\r\n"),
        (b"ECHO \"\"\r\n", b"$0\r\n\r\n"),
        (b"echo lower\r\n", b"$5\r\nlower\r\n"),
        (
            b"ECHO\r\n",
            b"-ERR wrong number of arguments for 'echo' command\r\n",
        ),
    ];
    on_both(&[], |server| {
        let mut client = server.client();
        for (request, expected) in exchanges {
            client.send_raw(request).unwrap();
            let reply = client.read_raw().unwrap();
            assert_eq!(
                String::from_utf8_lossy(&reply),
                String::from_utf8_lossy(expected),
                "{}: inline {:?}",
                server.name(),
                String::from_utf8_lossy(request)
            );
        }
    });
}

#[test]
fn a_stalled_huge_bulk_does_not_block_other_clients() {
    on_both(&[], |server| {
        // Declares 400 MB and never sends it.
        let mut stalled = server.client();
        stalled
            .send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$400000000\r\nabc")
            .unwrap();
        // Sends half of a 1 MB value, then the rest once others were served.
        let mut slow = server.client();
        let value = vec![b'v'; 1_000_000];
        let mut request = b"*3\r\n$3\r\nSET\r\n$4\r\nslow\r\n$1000000\r\n".to_vec();
        request.extend_from_slice(&value);
        request.extend_from_slice(b"\r\n");
        let (first, rest) = request.split_at(request.len() / 2);
        slow.send_raw(first).unwrap();

        let mut other = server.client();
        for i in 0..50 {
            let n = i.to_string();
            assert_eq!(other.cmd(&["SET", "other", &n]), "+OK\r\n");
            assert_eq!(
                other.cmd(&["GET", "other"]),
                format!("${}\r\n{n}\r\n", n.len())
            );
        }
        slow.send_raw(rest).unwrap();
        assert_eq!(slow.read_raw().unwrap(), b"+OK\r\n");
        assert_eq!(other.cmd(&["STRLEN", "slow"]), ":1000000\r\n");
        assert_eq!(other.cmd(&["EXISTS", "k"]), ":0\r\n");
        drop(stalled);
        assert_served(&mut server.client(), server);
        server.assert_alive();
    });
}

/// Deterministic pseudo-random bytes (xorshift64*), so failures reproduce.
struct Garbage(u64);

impl Garbage {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Random bytes mixed with protocol fragments, so that the parser's
    /// multibulk, bulk and inline paths all get exercised, not just the
    /// first-byte check.
    fn chunk(&mut self, len: usize) -> Vec<u8> {
        const FRAGMENTS: &[&[u8]] = &[
            b"*",
            b"$",
            b"\r\n",
            b"\n",
            b"-1",
            b"0",
            b"3",
            b"99999999999",
            b"PING",
            b"SET",
            b"GET",
            b"\"",
            b"'",
            b"\\x",
            b" ",
            b"*3\r\n$3\r\nSET\r\n",
        ];
        let mut out = Vec::with_capacity(len + 16);
        while out.len() < len {
            let r = self.next();
            if r.is_multiple_of(3) {
                out.extend_from_slice(FRAGMENTS[(r >> 8) as usize % FRAGMENTS.len()]);
            } else {
                out.push((r >> 16) as u8);
            }
        }
        out
    }
}

/// Sends `chunks` KB of garbage, reconnecting whenever the server closes the
/// connection, with replies read and discarded on another thread. Returns
/// how many connections it used.
fn spray(port: u16, seed: u64, chunks: usize, mut between: impl FnMut()) -> usize {
    let mut garbage = Garbage(seed);
    let (mut sent, mut connections) = (0, 0);
    while sent < chunks {
        let mut client = Client::connect(port).unwrap();
        connections += 1;
        let mut reader = client.stream().try_clone().unwrap();
        let drain = thread::spawn(move || {
            let mut sink = [0u8; 16 * 1024];
            while let Ok(1..) = reader.read(&mut sink) {}
        });
        while sent < chunks && client.send_raw(&garbage.chunk(1024)).is_ok() {
            sent += 1;
            between();
        }
        let _ = client.stream().shutdown(std::net::Shutdown::Both);
        drain.join().unwrap();
    }
    connections
}

#[test]
fn garbage_on_one_connection_does_not_affect_another() {
    on_both(&[], |server| {
        let mut bystander = server.client();
        for seed in 1..=4 {
            let mut sent = 0;
            let connections = spray(server.port(), seed, 256, || {
                sent += 1;
                if sent % 16 == 0 {
                    assert_served(&mut bystander, server);
                }
            });
            eprintln!(
                "{}: seed {seed}: 256 KB over {connections} connections",
                server.name()
            );
        }
        assert_eq!(bystander.cmd(&["SET", "k", "v"]), "+OK\r\n");
        assert_eq!(bystander.cmd(&["GET", "k"]), "$1\r\nv\r\n");
        server.assert_alive();
    });
}

#[test]
fn random_bytes_from_many_connections_leave_the_server_answering() {
    on_both(&[], |server| {
        let port = server.port();
        let sprayers: Vec<_> = (100..116)
            .map(|seed| thread::spawn(move || spray(port, seed, 32, || {})))
            .collect();
        for sprayer in sprayers {
            sprayer.join().unwrap();
        }
        assert_served(&mut server.client(), server);
        server.assert_alive();
    });
}
