//! Hostile or unlucky input, side by side with redis-server: what a
//! client sends must never crash the server, and "local" means what it
//! means in Redis.

mod support;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::os::fd::FromRawFd;
use std::time::{Duration, Instant};

use support::{redis_available, Server};
use testkit::eventually_within;

/// Both servers started with `args`, Redis only where it is installed.
fn servers(args: &[&str]) -> Vec<Server> {
    let mut all = vec![Server::redust(args)];
    if redis_available() {
        all.push(Server::redis(args));
    }
    all
}

#[test]
fn debug_sleep_with_absurd_times_answers_at_once() {
    for server in servers(&["--enable-debug-command", "yes"]) {
        let mut c = server.client();
        for time in ["inf", "-inf", "1e300", "nan", "-1", "abc", "0"] {
            let started = Instant::now();
            assert_eq!(
                c.cmd(&["DEBUG", "SLEEP", time]),
                "+OK\r\n",
                "{} DEBUG SLEEP {time}",
                server.name()
            );
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "slept on {time}"
            );
        }
        assert_eq!(c.cmd(&["PING"]), "+PONG\r\n", "{}", server.name());
    }
}

/// A TCP connection to 127.0.0.1:`port` from the source address `src`.
fn connect_from(src: Ipv4Addr, port: u16) -> TcpStream {
    let sockaddr = |ip: Ipv4Addr, port: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(ip).to_be(),
        },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: plain socket calls on a descriptor this function owns, with
    // properly sized address structures.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0, "socket");
        let from = sockaddr(src, 0);
        let rc = libc::bind(fd, (&from as *const libc::sockaddr_in).cast(), len);
        assert_eq!(rc, 0, "bind to {src}");
        let to = sockaddr(Ipv4Addr::LOCALHOST, port);
        let rc = libc::connect(fd, (&to as *const libc::sockaddr_in).cast(), len);
        assert_eq!(rc, 0, "connect");
        TcpStream::from_raw_fd(fd)
    }
}

/// Sends an inline command and reads the first reply line.
fn first_line(stream: &mut TcpStream, command: &str) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = stream.write_all(format!("{command}\r\n").as_bytes());
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&buf).trim_end().to_string()
}

#[test]
fn only_127_0_0_1_is_local_for_protected_mode() {
    for server in servers(&["--protected-mode", "yes"]) {
        let from_other = first_line(
            &mut connect_from(Ipv4Addr::new(127, 0, 0, 2), server.port()),
            "PING",
        );
        assert!(
            from_other.starts_with("-DENIED"),
            "{}: {from_other}",
            server.name()
        );
        let from_local = first_line(
            &mut connect_from(Ipv4Addr::LOCALHOST, server.port()),
            "PING",
        );
        assert_eq!(from_local, "+PONG", "{}", server.name());
    }
}

#[test]
fn only_127_0_0_1_is_local_for_debug_and_protected_configs() {
    let args = [
        "--protected-mode",
        "no",
        "--enable-debug-command",
        "local",
        "--enable-protected-configs",
        "local",
    ];
    for server in servers(&args) {
        let mut other = connect_from(Ipv4Addr::new(127, 0, 0, 2), server.port());
        let debug = first_line(&mut other, "DEBUG SLEEP 0");
        assert!(
            debug.starts_with("-ERR DEBUG command not allowed"),
            "{}: {debug}",
            server.name()
        );
        let config = first_line(&mut other, "CONFIG SET dir /tmp");
        assert!(config.starts_with("-ERR"), "{}: {config}", server.name());
        let mut local = connect_from(Ipv4Addr::LOCALHOST, server.port());
        assert_eq!(
            first_line(&mut local, "DEBUG SLEEP 0"),
            "+OK",
            "{}",
            server.name()
        );
    }
}

/// A replica that asks for a diskless full sync (capa eof) and then never
/// reads, with a small receive buffer: what a stalled or hostile replica
/// looks like to its master.
fn stalled_replica(port: u16) -> TcpStream {
    // SAFETY: a socket this function owns; the option value is an int.
    let mut stream = unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0, "socket");
        let size: libc::c_int = 4096;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
        let to = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: port.to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from(Ipv4Addr::LOCALHOST).to_be(),
            },
            sin_zero: [0; 8],
        };
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let rc = libc::connect(fd, (&to as *const libc::sockaddr_in).cast(), len);
        assert_eq!(rc, 0, "connect");
        TcpStream::from_raw_fd(fd)
    };
    assert_eq!(
        first_line(&mut stream, "REPLCONF capa eof capa psync2"),
        "+OK"
    );
    stream.write_all(b"PSYNC ? -1\r\n").unwrap();
    stream
}

/// Polls INFO replication until no replica is connected.
fn wait_no_replicas(server: &Server, within: Duration) {
    let mut c = server.client();
    let what = format!("{} to drop the replica", server.name());
    eventually_within(within, what, || {
        let info = c.cmd(&["INFO", "replication"]);
        info.contains("connected_slaves:0")
            .then_some(())
            .ok_or(info)
    });
}

#[test]
fn a_stalled_replica_over_its_output_limit_is_dropped() {
    let args = [
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
        "--client-output-buffer-limit",
        "replica 1mb 0 0",
    ];
    for server in servers(&args) {
        let _replica = stalled_replica(server.port());
        let mut writer = server.client();
        let value = "x".repeat(10_000);
        for i in 0..600 {
            writer.cmd(&["SET", &format!("k{i}"), &value]);
        }
        wait_no_replicas(&server, Duration::from_secs(20));
    }
}

#[test]
fn a_replica_that_never_acknowledges_times_out() {
    let args = [
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
        "--repl-timeout",
        "2",
    ];
    for server in servers(&args) {
        let _replica = stalled_replica(server.port());
        let mut writer = server.client();
        writer.cmd(&["SET", "k", "v"]);
        wait_no_replicas(&server, Duration::from_secs(20));
    }
}

/// The INFO field `name` as a number.
fn info_field(info: &str, name: &str) -> u64 {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in INFO"))
}

#[test]
fn a_huge_backlog_size_costs_only_what_the_stream_holds() {
    let args = [
        "--repl-backlog-size",
        "100gb",
        "--repl-diskless-sync-delay",
        "0",
    ];
    for server in servers(&args) {
        let mut replica = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        // Diskless (capa eof), so no dump lands in the tests' directory.
        assert_eq!(
            first_line(&mut replica, "REPLCONF capa eof capa psync2"),
            "+OK"
        );
        assert_eq!(
            first_line(&mut replica, "PSYNC ? -1").split(' ').next(),
            Some("+FULLRESYNC")
        );
        let mut c = server.client();
        c.cmd(&["SET", "k", &"v".repeat(100_000)]);
        let info = c.cmd(&["INFO", "memory"]);
        let backlog = info_field(&info, "mem_replication_backlog");
        assert!(
            backlog < 64 << 20,
            "{}: backlog takes {backlog}",
            server.name()
        );
        let info = c.cmd(&["INFO", "replication"]);
        assert_eq!(
            info_field(&info, "repl_backlog_size"),
            100 << 30,
            "{}",
            server.name()
        );
    }
}

#[test]
fn random_picks_of_any_count_leave_memory_bounded() {
    let server = Server::redust(&[]);
    let mut c = server.client();
    c.cmd(&["HSET", "h", "f", "v", "g", "w"]);
    c.cmd(&["SADD", "s", "a", "b"]);
    c.cmd(&["ZADD", "z", "1", "a", "2", "b"]);
    for cmd in [
        &["HRANDFIELD", "h", "-2147483649"][..],
        &["HRANDFIELD", "h", "-2147483649", "WITHVALUES"],
        &["SRANDMEMBER", "s", "-4611686018427387904"],
        &["ZRANDMEMBER", "z", "-4611686018427387904"],
        &["ZRANDMEMBER", "z", "-2147483649", "WITHSCORES"],
    ] {
        let reply = c.cmd(cmd);
        assert!(
            reply.starts_with("-ERR reply would exceed"),
            "{cmd:?}: {reply}"
        );
    }
    // Counts a real client asks for still work.
    let reply = c.cmd(&["HRANDFIELD", "h", "-1000"]);
    assert!(reply.starts_with("*1000\r\n"), "{}", &reply[..20]);
    let rss = info_field(&c.cmd(&["INFO", "memory"]), "used_memory_rss");
    assert!(rss < 256 << 20, "RSS {rss}");
}

/// A file holding a key twice is broken: Redis panics loading it unless
/// DEBUG RELOAD MERGE asked for replacing; Redust refuses it with an error
/// and keeps running.
#[test]
fn a_duplicate_key_in_the_rdb_is_refused_unless_merging() {
    let server = Server::redust(&["--enable-debug-command", "yes"]);
    let mut c = server.client();
    assert_eq!(c.cmd(&["SET", "k", "saved"]), "+OK\r\n");
    assert_eq!(c.cmd(&["SAVE"]), "+OK\r\n");
    assert_eq!(c.cmd(&["SET", "k", "live"]), "+OK\r\n");
    let refused = c.cmd(&["DEBUG", "RELOAD", "NOFLUSH", "NOSAVE"]);
    assert!(
        refused.starts_with("-ERR Error trying to load the RDB dump: Duplicated key 'k'"),
        "{refused}"
    );
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(
        c.cmd(&["DEBUG", "RELOAD", "NOFLUSH", "NOSAVE", "MERGE"]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["GET", "k"]), "$5\r\nsaved\r\n");
}
