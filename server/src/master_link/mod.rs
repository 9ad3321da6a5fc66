//! The replica side: the link to our master. Connects, runs the handshake,
//! loads a full sync or continues partially, then applies the master's
//! stream as a client whose replies are not sent, relaying it byte for byte
//! to our own replicas.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use replication::handshake::{self, Outcome};
use resp::{Limits, RequestDecoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod full_sync;

use crate::commands::Session;
use crate::commands::{dispatch, EngineLock};
use crate::log::log;
use crate::state::clients::{Info, Kind};
use crate::state::repl::LinkState;
use crate::state::Shared;
use crate::time::unix_ms;

/// Runs the link to our master for as long as the server runs: each time
/// REPLICAOF, the config or the command line make us a replica of a new
/// master ([`crate::replication::become_replica`]), a link task for it
/// starts; older ones see their generation pass and stop.
pub async fn supervise(srv: Arc<Shared>) {
    loop {
        srv.repl().link_changed.notified().await;
        let generation = srv.repl().generation.load(Ordering::SeqCst);
        let target = srv
            .repl()
            .state
            .lock()
            .link
            .as_ref()
            .map(|l| (l.host.clone(), l.port));
        if let Some((host, port)) = target {
            tokio::spawn(run_link(srv.clone(), host, port, generation));
        }
    }
}

fn current(srv: &Shared, generation: u64) -> bool {
    srv.repl().generation.load(Ordering::SeqCst) == generation
}

fn set_state(srv: &Shared, state: LinkState) {
    if let Some(link) = srv.repl().state.lock().link.as_mut() {
        if state != LinkState::Connected && link.state == LinkState::Connected {
            link.down_since = Instant::now();
        }
        link.state = state;
    }
}

async fn run_link(srv: Arc<Shared>, host: String, port: u16, generation: u64) {
    log!(Notice, "Connecting to MASTER {host}:{port}");
    while current(&srv, generation) {
        // Redis connects from its cron, so nothing happens while the
        // server is busy (DEBUG SLEEP, a long command): wait our turn.
        drop(srv.engine().lock());
        set_state(&srv, LinkState::Connecting);
        match connect_and_sync(&srv, &host, port, generation).await {
            Ok(()) | Err(Failure::Logged) => {}
            Err(Failure::Error(e)) => log!(Warning, "{e}"),
        }
        srv.repl().set_link_up(false);
        if !current(&srv, generation) {
            return;
        }
        set_state(&srv, LinkState::Connect);
        tokio::time::sleep(Duration::from_secs(1)).await;
        if current(&srv, generation) {
            log!(Notice, "Connecting to MASTER {host}:{port}");
        }
    }
}

/// Why a sync attempt ended early; the link is retried after either.
enum Failure {
    /// For the caller to log.
    Error(String),
    /// Logged where it happened, with what followed from it.
    Logged,
}

impl From<String> for Failure {
    fn from(e: String) -> Failure {
        Failure::Error(e)
    }
}

async fn connect_and_sync(
    srv: &Arc<Shared>,
    host: &str,
    port: u16,
    generation: u64,
) -> Result<(), Failure> {
    let (timeout, cfg) = {
        let c = srv.config().read();
        let s = c.settings();
        let auth = s.masterauth.clone().map(|p| (s.masteruser.clone(), p));
        let listening_port = if s.replica_announce_port != 0 {
            s.replica_announce_port
        } else {
            srv.tcp_port()
        };
        let cached = {
            let st = srv.repl().state.lock();
            st.master
                .backlog()
                .map(|_| (st.master.replid().to_string(), st.master.offset()))
        };
        let cfg = handshake::Config {
            auth,
            listening_port,
            announce_ip: s.replica_announce_ip.clone(),
            cached,
            idle_timeout: Some(Duration::from_secs(u64::from(s.repl_timeout.max(1)))),
        };
        (Duration::from_secs(u64::from(s.repl_timeout.max(1))), cfg)
    };
    let mut stream = tokio::time::timeout(timeout, TcpStream::connect((host, port)))
        .await
        .map_err(|_| "Timeout connecting to the MASTER...".to_string())?
        .map_err(|e| format!("Error condition on socket for SYNC: {e}"))?;
    let _ = stream.set_nodelay(true);
    log!(Notice, "MASTER <-> REPLICA sync started");
    log!(Notice, "Non blocking connect for SYNC fired the event.");
    set_state(srv, LinkState::Handshake);
    let mut buf = BytesMut::new();
    // Each read may take up to repl-timeout; the master's newlines while
    // it prepares a snapshot keep the handshake alive.
    let outcome = handshake::handshake(&mut stream, &mut buf, &cfg)
        .await
        .map_err(|e| e.to_string())?;
    if !current(srv, generation) {
        return Ok(());
    }
    match outcome {
        Outcome::Full { replid, offset } => {
            srv.repl().master_db.store(0, Ordering::Relaxed);
            log!(Notice, "Full resync from master: {replid}:{offset}");
            set_state(srv, LinkState::Sync);
            let snapshot = full_sync::Snapshot {
                replid: &replid,
                offset,
            };
            if !full_sync::receive(srv, &mut stream, &mut buf, snapshot, generation).await? {
                return Ok(());
            }
            log!(Notice, "MASTER <-> REPLICA sync: Finished with success");
        }
        Outcome::Continue { replid } => {
            log!(Notice, "Successful partial resynchronization with master.");
            if let Some(id) = replid {
                let mut st = srv.repl().state.lock();
                if id != st.master.replid() {
                    log!(Warning, "Master replication ID changed to {id}");
                    st.master.continue_as(&id);
                    crate::replication::disconnect_replicas(&mut st);
                }
            }
            log!(
                Notice,
                "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization."
            );
        }
    }
    stream_from_master(srv, stream, buf, generation)
        .await
        .map_err(Failure::from)
}

/// Applies the master's stream until the link breaks or REPLICAOF changes.
async fn stream_from_master(
    srv: &Arc<Shared>,
    mut stream: TcpStream,
    mut buf: BytesMut,
    generation: u64,
) -> Result<(), String> {
    let addr = stream.peer_addr().map_err(|e| e.to_string())?;
    let laddr = stream.local_addr().map_err(|e| e.to_string())?;
    let (handle, _mailbox) = srv
        .clients()
        .register(Info::new(addr, laddr, -1, Kind::Master));
    // CLIENT KILL of the link closes it at once, as Redis frees its master
    // client: the master sees it even if we are busy (DEBUG SLEEP) then.
    if let Ok(dup) = std::os::fd::AsFd::as_fd(&stream).try_clone_to_owned() {
        handle.shut_on_kill(dup);
    }
    let mut session = crate::connection::Registered::new(srv, Session::new(handle.clone(), true));
    session.repl.is_master = true;
    // A partial resync continues the stream in the database it had
    // selected; a full sync starts from 0 (the master sends SELECT).
    session.db = srv.repl().master_db.load(Ordering::Relaxed);
    {
        let mut st = srv.repl().state.lock();
        if let Some(l) = st.link.as_mut() {
            l.state = LinkState::Connected;
            l.client = Some(handle.clone());
            l.last_io = Instant::now();
        }
    }
    srv.repl().set_link_up(true);
    let timeout = Duration::from_secs(u64::from(srv.settings().repl_timeout.max(1)));
    let mut decoder = RequestDecoder::new(Limits::default());
    // Raw stream bytes not yet applied: relayed command by command.
    let mut raw = buf.clone();
    let mut ack_tick = tokio::time::interval(Duration::from_secs(1));
    let mut held: Option<Held> = None;
    let result = loop {
        let mut acks = Vec::new();
        let mut input = Input {
            decoder: &mut decoder,
            buf: &mut buf,
            raw: &mut raw,
            held: &mut held,
        };
        apply(srv, &mut session, &mut input, &mut acks);
        for offset in acks {
            let mut out = BytesMut::new();
            replication::encode_command(&mut out, &["REPLCONF", "ACK", &offset.to_string()]);
            if stream.write_all(&out).await.is_err() {
                break;
            }
        }
        if session.close_after_reply || !current(srv, generation) {
            break Ok(());
        }
        if buf.capacity() - buf.len() < 16 * 1024 {
            buf.reserve(64 * 1024);
        }
        let held_write = held.as_ref().is_some_and(|h| h.write);
        tokio::select! {
            _ = srv.pause().lifted(held_write), if held.is_some() => {}
            r = tokio::time::timeout(timeout, stream.read_buf(&mut buf)) => match r {
                Err(_) => break Err("MASTER timeout: no data nor PING received...".to_string()),
                Ok(Ok(0)) | Ok(Err(_)) => break Err("Connection with master lost.".to_string()),
                Ok(Ok(n)) => {
                    let counter = &srv.counters().net_repl_input_bytes;
                    crate::state::counters::Counters::add(counter, n as u64);
                    raw.extend_from_slice(&buf[buf.len() - n..]);
                    if let Some(l) = srv.repl().state.lock().link.as_mut() {
                        l.last_io = Instant::now();
                    }
                }
            },
            _ = ack_tick.tick() => {
                let offset = srv.repl().state.lock().master.offset();
                let mut out = BytesMut::new();
                replication::encode_command(&mut out, &["REPLCONF", "ACK", &offset.to_string()]);
                if stream.write_all(&out).await.is_err() {
                    break Err("Connection with master lost.".to_string());
                }
            }
            _ = handle.killed() => break Ok(()),
        }
    };
    if let Some(l) = srv.repl().state.lock().link.as_mut() {
        l.client = None;
    }
    result
}

/// A command of the master's stream that CLIENT PAUSE holds back (Redis
/// 7.0 pauses the master link like any client): not applied, so the
/// replication offset stands still until the pause is over.
struct Held {
    args: Vec<bytes::Bytes>,
    /// Its length in the stream.
    len: usize,
    /// Whether it may write (a WRITE pause holds it).
    write: bool,
}

/// Where `apply` takes the stream from.
struct Input<'a> {
    decoder: &'a mut RequestDecoder,
    buf: &'a mut BytesMut,
    /// Raw stream bytes not yet applied: relayed command by command.
    raw: &'a mut BytesMut,
    held: &'a mut Option<Held>,
}

/// Applies every complete command in `input.buf`. Each applied command's exact
/// bytes are appended to our backlog and relayed to our replicas, so our
/// offset counts exactly what we applied. `REPLCONF GETACK` answers with
/// the offset before its own bytes, as Redis does.
/// A command a CLIENT PAUSE holds stops the run until the pause is over.
fn apply(srv: &Arc<Shared>, session: &mut Session, input: &mut Input, acks: &mut Vec<i64>) {
    let mut engine = EngineLock::new(srv.engine());
    let mut scratch = BytesMut::new();
    session.now = unix_ms();
    session.tick = std::time::Instant::now();
    // Bytes of the commands applied so far in this call, fed to our
    // backlog and replicas in one go at the end.
    let mut applied = 0usize;
    let mut args = Vec::new();
    loop {
        let len = match input.held.take() {
            Some(h) => {
                args = h.args;
                h.len
            }
            None => {
                let before = input.decoder.bytes_consumed();
                match input.decoder.decode_into(input.buf, &mut args) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        log!(Warning, "Protocol error from MASTER: {e}");
                        session.close_after_reply = true;
                        break;
                    }
                }
                (input.decoder.bytes_consumed() - before) as usize
            }
        };
        if srv.pause().maybe_on() {
            if let Some(write) = crate::commands::held_by_pause(srv, session, &args) {
                *input.held = Some(Held {
                    args: std::mem::take(&mut args),
                    len,
                    write,
                });
                break;
            }
        }
        let getack = args.len() >= 2
            && args[0].eq_ignore_ascii_case(b"replconf")
            && args[1].eq_ignore_ascii_case(b"getack");
        if getack {
            acks.push(srv.repl().state.lock().master.offset() + applied as i64);
        } else {
            scratch.clear();
            dispatch(srv, session, &mut engine, &args, &mut scratch);
            srv.repl().master_db.store(session.db, Ordering::Relaxed);
        }
        applied += len;
    }
    if applied > 0 {
        let raw = &mut *input.raw;
        crate::replication::feed_raw(srv, raw.split_to(applied.min(raw.len())).freeze());
    }
    crate::commands::settle_stats(srv, session);
}
