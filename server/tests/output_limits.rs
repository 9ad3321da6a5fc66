//! The normal and replica classes of `client-output-buffer-limit`, on
//! Redust and real Redis: a client that stops reading is closed once its
//! queued replies reach the hard limit (and the rest of its pipeline is not
//! run), or after soft-seconds over the soft limit; with the default
//! `normal 0 0 0` it is left alone. A replica whose link stalls is dropped
//! by its master at the replica limit and resyncs once the link flows again.

mod support;

#[path = "replication/mod.rs"]
#[allow(dead_code)]
mod harness;

use std::time::{Duration, Instant};

use harness::dataset::assert_same_dataset;
use harness::node::{Kind, Node};
use harness::proxy::Proxy;
use harness::topology::{wait_in_sync, SyncStats};
use support::{redis_available, Client, Server};
use testkit::eventually;

const VALUE_SIZE: usize = 100 * 1024;
/// Replies to this many GETs of the value are far more than loopback
/// socket buffers absorb, so the server has to queue them.
const GETS: usize = 200;
const CLOSED_ASAP: &str = "scheduled to be closed ASAP for overcoming of output buffer limits.";
const CLOSED_BY_CRON: &str = "closed for overcoming of output buffer limits.";
const MB: u64 = 1 << 20;

fn set_limit(admin: &mut Client, limit: &str) {
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "client-output-buffer-limit", limit]),
        "+OK\r\n"
    );
}

/// A client named `name` that pipelines [`GETS`] GETs of the big value and
/// then `SET <name>-done 1`, and never reads a reply.
fn flood(server: &Server, name: &str) -> Client {
    let mut c = server.client();
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", name]), "+OK\r\n");
    let mut pipeline = Client::encode(&["GET", "big"]).repeat(GETS);
    pipeline.extend(Client::encode(&["SET", &format!("{name}-done"), "1"]));
    c.send_raw(&pipeline).unwrap();
    c
}

/// The CLIENT LIST line of the client named `name`, if connected.
fn client_line(admin: &mut Client, name: &str) -> Option<String> {
    let list = admin.cmd(&["CLIENT", "LIST"]);
    let tag = format!(" name={name} ");
    list.lines().find(|l| l.contains(&tag)).map(str::to_owned)
}

fn field(line: &str, name: &str) -> u64 {
    let prefix = format!("{name}=");
    line.split(' ')
        .find_map(|f| f.strip_prefix(&prefix))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no numeric {name} in {line}"))
}

fn info_field(admin: &mut Client, section: &str, name: &str) -> u64 {
    let info = admin.cmd(&["INFO", section]);
    let prefix = format!("{name}:");
    info.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in INFO {section}: {info}"))
}

fn wait_closed(server: &Server, admin: &mut Client, name: &str) {
    eventually(
        format!("{}: {name} closed", server.name()),
        || match client_line(admin, name) {
            Some(line) => Err(line),
            None => Ok(()),
        },
    );
}

/// The server's log line saying `what` about the client named `name`.
fn wait_log_line(log: impl Fn() -> String, name: &str, what: &str) -> String {
    eventually(format!("a log line saying {what:?} of {name}"), || {
        let log = log();
        log.lines()
            .find(|l| l.contains(what) && l.contains(name))
            .map(str::to_owned)
            .ok_or(log)
    })
}

/// `normal 1mb 0 0`: the flood is closed at once, the commands after the
/// reply that reached the limit never run, and other clients go on.
fn hard_limit_scenario(server: &Server) {
    let mut admin = server.client();
    let value = "v".repeat(VALUE_SIZE);
    admin.cmd(&["SET", "big", &value]);
    set_limit(&mut admin, "normal 1mb 0 0");
    let mut bystander = server.client();

    let _flood = flood(server, "flood");
    wait_closed(server, &mut admin, "flood");
    let line = wait_log_line(|| server.log(), "name=flood", CLOSED_ASAP);
    // The line shows the output buffer that reached the limit.
    let omem = field(&line, "omem");
    assert!((MB..2 * MB).contains(&omem), "{}: {line}", server.name());
    assert_eq!(
        admin.cmd(&["EXISTS", "flood-done"]),
        ":0\r\n",
        "{}: ran the pipeline of a client it was closing",
        server.name()
    );
    assert_eq!(info_field(&mut admin, "clients", "connected_clients"), 2);
    let reply = bystander.call_raw(&["GET", "big"]).unwrap();
    assert_eq!(reply.len(), VALUE_SIZE + 11, "{}", server.name());
    assert_eq!(bystander.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn normal_client_is_closed_at_the_hard_limit() {
    hard_limit_scenario(&Server::redust(&[]));
    if redis_available() {
        hard_limit_scenario(&Server::redis(&[]));
    }
}

/// Default limits: the flood stays connected with its output queued (and
/// reported by CLIENT LIST and INFO), the server stays responsive, and all
/// of it arrives once the client reads.
fn unlimited_scenario(server: &Server) {
    let mut admin = server.client();
    let value = "v".repeat(VALUE_SIZE);
    admin.cmd(&["SET", "big", &value]);
    let config = admin.cmd(&["CONFIG", "GET", "client-output-buffer-limit"]);
    assert!(config.contains("normal 0 0 0 "), "{config}");

    let mut flood = flood(server, "flood");
    let reply_size = (VALUE_SIZE + 11) as u64;
    let omem = eventually(format!("{}: flood output queued", server.name()), || {
        let line = client_line(&mut admin, "flood").ok_or("flood gone")?;
        match field(&line, "omem") {
            0 => Err(line),
            omem => Ok(omem),
        }
    });
    // Redis reports the allocations holding the replies, a little more.
    let most = GETS as u64 * reply_size * 9 / 8;
    assert!(omem <= most, "{}: omem={omem}", server.name());
    assert_eq!(admin.cmd(&["PING"]), "+PONG\r\n");
    eventually(format!("{}: INFO sees the output", server.name()), || {
        let recent = info_field(&mut admin, "clients", "client_recent_max_output_buffer");
        let normal = info_field(&mut admin, "memory", "mem_clients_normal");
        match recent > 0 && normal > 0 {
            true => Ok(()),
            false => Err(format!("recent max {recent}, mem_clients_normal {normal}")),
        }
    });
    eventually(
        format!("{}: the whole pipeline ran", server.name()),
        || match admin.cmd(&["EXISTS", "flood-done"]) {
            one if one == ":1\r\n" => Ok(()),
            other => Err(other),
        },
    );

    for _ in 0..GETS {
        assert_eq!(flood.read_raw().unwrap().len() as u64, reply_size);
    }
    assert_eq!(flood.read_raw().unwrap(), b"+OK\r\n");
    // Written out, the output no longer counts.
    eventually(format!("{}: flood output gone", server.name()), || {
        let line = client_line(&mut admin, "flood").ok_or("flood gone")?;
        let normal = info_field(&mut admin, "memory", "mem_clients_normal");
        match field(&line, "omem") == 0 && normal < reply_size {
            true => Ok(()),
            false => Err(format!("mem_clients_normal {normal}; {line}")),
        }
    });
}

#[test]
fn normal_client_is_not_closed_by_default() {
    unlimited_scenario(&Server::redust(&[]));
    if redis_available() {
        unlimited_scenario(&Server::redis(&[]));
    }
}

const SOFT_SECONDS: u64 = 1;

/// `normal 0 1mb 1`: a client that stays over the soft limit is closed by
/// the server's periodic check after more than soft-seconds; one that read
/// its big reply and went idle stays.
fn soft_limit_scenario(server: &Server) {
    let mut admin = server.client();
    let value = "v".repeat(VALUE_SIZE);
    admin.cmd(&["SET", "big", &value]);
    set_limit(&mut admin, &format!("normal 0 1mb {SOFT_SECONDS}"));

    let mut reader = server.client();
    reader.cmd(&["CLIENT", "SETNAME", "reader"]);
    let pipeline = Client::encode(&["GET", "big"]).repeat(20);
    reader.send_raw(&pipeline).unwrap();
    for _ in 0..20 {
        reader.read_raw().unwrap();
    }

    let start = Instant::now();
    let _flood = flood(server, "stalled");
    wait_closed(server, &mut admin, "stalled");
    assert!(
        start.elapsed() > Duration::from_secs(SOFT_SECONDS),
        "{}: closed after {:?}",
        server.name(),
        start.elapsed()
    );
    wait_log_line(|| server.log(), "name=stalled", CLOSED_BY_CRON);
    assert!(
        client_line(&mut admin, "reader").is_some(),
        "{}: the idle reader was closed:\n{}",
        server.name(),
        server.log()
    );
    assert_eq!(reader.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn normal_client_over_the_soft_limit_is_closed_after_soft_seconds() {
    soft_limit_scenario(&Server::redust(&[]));
    if redis_available() {
        soft_limit_scenario(&Server::redis(&[]));
    }
}

/// Writes on the master while its replica's link is stalled, until the
/// master drops the replica at `replica 1mb 0 0`; the replica resyncs
/// once the link flows again.
fn stalled_replica_scenario(kind: Kind) {
    let master = Node::start(kind, "master", &[]);
    let proxy = Proxy::start(master.port());
    let replica = Node::replica_of(kind, "replica", proxy.port(), &[]);
    master.cmd(&["SET", "before", "1"]);
    wait_in_sync(&master, &[&replica]);
    // Replicas are not counted as clients, only the test's own connection.
    assert_eq!(master.info("clients").int("connected_clients"), 1);
    let before = SyncStats::of(&master);
    assert_eq!(
        master.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "replica 1mb 0 0"
        ]),
        "+OK\r\n"
    );

    proxy.stall_downstream_after(0);
    let value = "v".repeat(VALUE_SIZE);
    let mut writes = 0;
    // Loopback socket buffers take some megabytes before the master queues.
    while master.info("replication").int("connected_slaves") > 0 {
        assert!(writes < 2000, "{}: replica never dropped", master.label());
        for _ in 0..10 {
            master.cmd(&["SET", &format!("key:{writes}"), &value]);
            writes += 1;
        }
    }
    let line = wait_log_line(|| master.log(), "flags=S", CLOSED_ASAP);
    let omem = field(&line, "omem");
    assert!((MB..2 * MB).contains(&omem), "{}: {line}", master.label());

    proxy.restore();
    master.cmd(&["SET", "after", "1"]);
    wait_in_sync(&master, &[&replica]);
    assert_eq!(master.info("replication").int("connected_slaves"), 1);
    assert_same_dataset(&master, &replica);
    let after = SyncStats::of(&master);
    assert!(
        after.full + after.partial_ok > before.full + before.partial_ok,
        "{}: no resync: {before:?} -> {after:?}",
        master.label()
    );
}

#[test]
fn stalled_replica_is_dropped_at_the_replica_limit_and_resyncs() {
    stalled_replica_scenario(Kind::Redust);
    if Kind::Redis.available() {
        stalled_replica_scenario(Kind::Redis);
    }
}
