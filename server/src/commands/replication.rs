//! REPLICAOF/SLAVEOF, PSYNC/SYNC, REPLCONF, WAIT, ROLE, and INFO replication.

use std::fmt::Write as _;

use engine::command::args;
use engine::command::flags::*;
use engine::command::{CommandDef, Group};
use engine::{Error, Result};

use super::{cmd, Call, ServerHandler};
use crate::log::log;
use crate::replication;
use crate::state::repl::{LinkState, WaitFor};
use crate::time::unix_ms;

pub(super) fn commands() -> Vec<CommandDef<ServerHandler>> {
    let doc = |d: CommandDef<ServerHandler>, since, summary| d.doc(Group::Server, since, summary);
    const F: u32 = ADMIN | NOSCRIPT | STALE;
    vec![
        doc(cmd("replicaof", 3, F | NO_ASYNC, replicaof), "5.0.0", "Configures a server as replica of another, or promotes it to a master."),
        doc(cmd("slaveof", 3, F | NO_ASYNC, replicaof), "1.0.0", "Sets a Redis server as a replica of another, or promotes it to being a master."),
        doc(cmd("psync", -3, F | NO_MULTI, psync), "2.8.0", "An internal command used in replication."),
        doc(cmd("sync", 1, F | NO_MULTI, sync), "1.0.0", "An internal command used in replication."),
        doc(cmd("replconf", -1, F | LOADING | ALLOW_BUSY, replconf), "3.0.0", "An internal command for configuring the replication stream."),
        doc(cmd("wait", 3, NOSCRIPT, wait), "3.0.0", "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed."),
        doc(cmd("role", 1, NOSCRIPT | LOADING | STALE | FAST | SENTINEL, role), "2.8.12", "Returns the replication role."),
    ]
}

const NO_ASYNC: u32 = 0;

fn replicaof(call: &mut Call) -> Result<()> {
    if call.srv.settings().cluster_enabled {
        return Err(Error::err("REPLICAOF not allowed in cluster mode."));
    }
    let who = call.session.handle.describe(None);
    if args::is(call.arg(1), "no") && args::is(call.arg(2), "one") {
        if call.srv.repl().is_replica() {
            call.engine.release();
            replication::become_master(call.srv);
            call.srv.config().write().set_replicaof(None);
            log!(Notice, "MASTER MODE enabled (user request from '{who}')");
        }
        call.w().ok();
        return Ok(());
    }
    let port = args::int(call.arg(2))
        .ok()
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| Error::err("Invalid master port"))?;
    let host = String::from_utf8_lossy(call.arg(1)).into_owned();
    let same = call
        .srv
        .repl()
        .state
        .lock()
        .link
        .as_ref()
        .is_some_and(|l| l.host.eq_ignore_ascii_case(&host) && l.port == port);
    if same {
        log!(Notice, "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
        call.w().simple(b"OK Already connected to specified master");
        return Ok(());
    }
    call.engine.release();
    replication::become_replica(call.srv, host.clone(), port);
    call.srv
        .config()
        .write()
        .set_replicaof(Some((host.clone(), port)));
    log!(
        Notice,
        "REPLICAOF {host}:{port} enabled (user request from '{who}')"
    );
    call.w().ok();
    Ok(())
}

fn psync(call: &mut Call) -> Result<()> {
    if call.srv.repl().is_replica() && !call.srv.repl().link_up() {
        return Err(Error::Other(
            "NOMASTERLINK Can't SYNC while not connected with my master".into(),
        ));
    }
    if call.session.repl.is_replica {
        return Ok(());
    }
    let replid = String::from_utf8_lossy(call.arg(1)).into_owned();
    let offset = args::int(call.arg(2)).unwrap_or(-1);
    answer_psync(call, Some((&replid, offset)));
    Ok(())
}

/// PSYNC's or SYNC's answer: a partial resync now, or a full sync queued.
fn answer_psync(call: &mut Call, request: Option<(&str, i64)>) {
    let eng = call.engine.get();
    let session = &mut *call.session;
    replication::psync(
        call.srv,
        &mut session.repl,
        &session.handle,
        eng,
        call.out,
        request,
    );
}

fn sync(call: &mut Call) -> Result<()> {
    if call.srv.repl().is_replica() && !call.srv.repl().link_up() {
        return Err(Error::err("Can't SYNC while not connected with my master"));
    }
    if call.session.repl.is_replica {
        return Ok(());
    }
    answer_psync(call, None);
    Ok(())
}

fn replconf(call: &mut Call) -> Result<()> {
    if call.args.len().is_multiple_of(2) {
        return Err(Error::Syntax);
    }
    for pair in call.args[1..]
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect::<Vec<_>>()
    {
        let (opt, val) = (&pair.0[..], &pair.1[..]);
        if args::is(opt, "listening-port") {
            // Redis keeps it in a C int, whatever was sent.
            call.session.repl.listening_port = args::int(val)? as i32;
        } else if args::is(opt, "ip-address") {
            call.session.repl.announced_ip = Some(String::from_utf8_lossy(val).into_owned());
        } else if args::is(opt, "capa") {
            call.session.repl.capa_eof |= args::is(val, "eof");
            call.session.repl.capa_psync2 |= args::is(val, "psync2");
        } else if args::is(opt, "ack") {
            // Acknowledgements get no reply.
            if call.session.repl.is_replica {
                call.session.repl.hold_stream_until_ack = false;
                if let Ok(offset) = args::int(val) {
                    replication::ack(call.srv, call.session.id(), offset);
                }
            }
            return Ok(());
        } else if args::is(opt, "getack") {
            // Only meaningful from our master; the link answers it itself.
            return Ok(());
        } else if args::is(opt, "rdb-only") || args::is(opt, "rdb-filter-only") {
        } else {
            return Err(Error::err(format!(
                "Unrecognized REPLCONF option: {}",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    call.w().ok();
    Ok(())
}

fn wait(call: &mut Call) -> Result<()> {
    if call.srv.repl().is_replica() {
        return Err(Error::err("WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated."));
    }
    let replicas = args::int(call.arg(1))?;
    let timeout = args::int(call.arg(2))
        .map_err(|_| Error::err("timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(Error::err("timeout is negative"));
    }
    // Writes of this batch are fed once per batch: flush them first so the
    // offset covers this client's own writes.
    crate::after::propagate(call.srv, call.engine.get());
    let offset = call.srv.repl().state.lock().master.offset();
    let acked = replication::acked(call.srv, offset);
    if acked as i64 >= replicas {
        call.w().integer(acked as i64);
        return Ok(());
    }
    // Ask replicas for an ACK now rather than at their next second.
    let mut getack = bytes::BytesMut::new();
    ::replication::encode_command(&mut getack, &["REPLCONF", "GETACK", "*"]);
    replication::feed_raw(call.srv, getack.freeze());
    call.session.wait = Some(WaitFor {
        offset,
        replicas: replicas.max(0) as usize,
        // A huge timeout waits for ever rather than overflowing.
        deadline: (timeout > 0).then(|| unix_ms().saturating_add(timeout)),
    });
    Ok(())
}

fn role(call: &mut Call) -> Result<()> {
    let st = call.srv.repl().state.lock();
    let offset = st.master.offset();
    let mut w = call.w();
    match &st.link {
        Some(link) => {
            w.array(5);
            w.bulk(b"slave");
            w.bulk(link.host.as_bytes());
            w.integer(i64::from(link.port));
            w.bulk(match link.state {
                LinkState::Connect => b"connect".as_slice(),
                LinkState::Connecting => b"connecting",
                LinkState::Handshake => b"handshake",
                LinkState::Sync => b"sync",
                LinkState::Connected => b"connected",
            });
            w.integer(if link.state == LinkState::Connected {
                offset
            } else {
                -1
            });
        }
        None => {
            w.array(3);
            w.bulk(b"master");
            w.integer(offset);
            w.array(st.replicas.len());
            for r in &st.replicas {
                w.array(3);
                w.bulk(r.ip.as_bytes());
                w.bulk(r.port.to_string().as_bytes());
                w.bulk(r.ack_offset.to_string().as_bytes());
            }
        }
    }
    Ok(())
}

/// The `# Replication` section of INFO, fields in Redis 7.0's order.
pub fn info(srv: &crate::state::Shared, t: &mut String) {
    let (priority, read_only, announced, backlog_size) = {
        let cfg = srv.config().read();
        let s = cfg.settings();
        (
            s.replica_priority,
            s.replica_read_only,
            s.replica_announced,
            s.repl_backlog_size,
        )
    };
    let st = srv.repl().state.lock();
    let m = &st.master;
    let mut f = |name: &str, value: &dyn std::fmt::Display| {
        let _ = write!(t, "{name}:{value}\r\n");
    };
    match &st.link {
        Some(link) => {
            f("role", &"slave");
            f("master_host", &link.host);
            f("master_port", &link.port);
            let up = link.state == LinkState::Connected;
            f("master_link_status", &if up { "up" } else { "down" });
            f(
                "master_last_io_seconds_ago",
                &(if up {
                    link.last_io.elapsed().as_secs() as i64
                } else {
                    -1
                }),
            );
            f(
                "master_sync_in_progress",
                &u8::from(link.state == LinkState::Sync),
            );
            f("slave_read_repl_offset", &m.offset());
            f("slave_repl_offset", &m.offset());
            if link.state == LinkState::Sync {
                f(
                    "master_sync_total_bytes",
                    &link.sync_total.map_or(-1, |n| n as i64),
                );
                f("master_sync_read_bytes", &link.sync_read);
                f(
                    "master_sync_left_bytes",
                    &link
                        .sync_total
                        .map_or(-1, |n| (n - link.sync_read.min(n)) as i64),
                );
                f("master_sync_perc", &"0.00");
                f(
                    "master_sync_last_io_seconds_ago",
                    &link.last_io.elapsed().as_secs(),
                );
            }
            if !up {
                f(
                    "master_link_down_since_seconds",
                    &link.down_since.elapsed().as_secs(),
                );
            }
            f("slave_priority", &priority);
            f("slave_read_only", &u8::from(read_only));
            f("replica_announced", &u8::from(announced));
        }
        None => f("role", &"master"),
    }
    f("connected_slaves", &st.replicas.len());
    for (i, r) in st.replicas.iter().enumerate() {
        let lag = r.ack_time.elapsed().as_secs();
        f(
            &format!("slave{i}"),
            &format!(
                "ip={},port={},state={},offset={},lag={lag}",
                r.ip,
                r.port,
                r.state.name(),
                r.ack_offset
            ),
        );
    }
    f("master_failover_state", &"no-failover");
    f("master_replid", &m.replid());
    f("master_replid2", &m.replid2());
    f("master_repl_offset", &m.offset());
    f("second_repl_offset", &m.second_offset());
    match m.backlog() {
        Some(b) => {
            f("repl_backlog_active", &1);
            f("repl_backlog_size", &b.size());
            f("repl_backlog_first_byte_offset", &b.first_offset());
            f("repl_backlog_histlen", &b.histlen());
        }
        None => {
            f("repl_backlog_active", &0);
            f("repl_backlog_size", &backlog_size);
            f("repl_backlog_first_byte_offset", &0);
            f("repl_backlog_histlen", &0);
        }
    }
}
