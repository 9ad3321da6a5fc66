//! One client connection: read, decode every complete request, run them
//! under one engine lock, write all replies at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use resp::{Limits, RequestDecoder, Writer};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use crate::blocking::Waiter;
use crate::clients::{Info, Kind, Mail};
use crate::commands::{dispatch, EngineLock};
use crate::log::log;
use crate::session::{ReplyMode, Session};
use crate::state::{unix_ms, Counters, Shared};

const READ_CHUNK: usize = 16 * 1024;
/// Buffers grown past this are replaced by small ones once empty.
const SHRINK_ABOVE: usize = 256 * 1024;
/// Most mail gathered into one write.
const MAIL_BATCH: usize = 256 * 1024;

/// What woke the connection up.
enum Event {
    Read(std::io::Result<usize>),
    /// A replica acknowledged, or a WAIT's recheck tick passed.
    Acked,
    Mail(Option<Mail>),
    Timeout,
    Close,
}

/// Serves a client until it quits, errs, is killed or the server stops.
pub async fn serve(srv: Arc<Shared>, mut stream: TcpStream, addr: SocketAddr) {
    let laddr = stream.local_addr().unwrap_or(addr);
    let (authenticated, limits, timeout) = {
        let cfg = srv.config.read();
        let s = cfg.settings();
        let limits = Limits {
            max_bulk_len: s.proto_max_bulk_len as usize,
            ..Limits::default()
        };
        (s.requirepass.is_none(), limits, s.timeout)
    };
    let (handle, mut mailbox) = srv.clients.register(Info {
        addr,
        laddr,
        fd: raw_fd(&stream),
        name: String::new(),
        db: 0,
        resp: 2,
        last_cmd: None,
        last_interaction: unix_ms(),
        qbuf: 0,
        obuf: 0,
        multi: -1,
        kind: Kind::Normal,
        no_evict: false,
        user: "default".into(),
    });
    let mut session = Session::new(handle.clone(), authenticated);
    let mut decoder = RequestDecoder::new(Limits {
        authenticated,
        ..limits
    });
    let mut rbuf = BytesMut::with_capacity(READ_CHUNK);
    let mut wbuf = BytesMut::with_capacity(READ_CHUNK);
    let idle = (timeout > 0).then(|| Duration::from_secs(u64::from(timeout)));
    log!(Verbose, "Accepted {addr}");

    loop {
        if rbuf.capacity() - rbuf.len() < READ_CHUNK / 2 {
            rbuf.reserve(READ_CHUNK);
        }
        let blocked = session.blocked.clone();
        let waiting = session.wait;
        let event = tokio::select! {
            r = stream.read_buf(&mut rbuf) => Event::Read(r),
            m = mailbox.recv(), if !session.repl.hold_stream_until_ack || handle.is_killed() => Event::Mail(m),
            _ = deadline(blocked.as_deref()) => Event::Timeout,
            _ = wait_tick(&srv.repl.acked, waiting), if waiting.is_some() => Event::Acked,
            _ = idle_timer(idle), if blocked.is_none() && !session.subscribed() && !session.repl.is_replica => {
                log!(Verbose, "Closing idle client");
                Event::Close
            }
        };
        let mut run_pending = false;
        let mut mail_bytes = 0;
        if handle.is_killed() {
            break;
        }
        match event {
            Event::Read(Ok(0) | Err(_)) | Event::Close | Event::Mail(None) => break,
            Event::Read(Ok(n)) => {
                Counters::add(&srv.counters.net_input_bytes, n as u64);
                run_pending = true;
            }
            Event::Mail(Some(mail)) => {
                // Take what else is waiting too, so a flood costs few writes.
                let mut next = Some(mail);
                while let Some(mail) = next {
                    match &mail {
                        Mail::Push(bytes) | Mail::Served(bytes) => {
                            mail_bytes += bytes.len();
                            wbuf.extend_from_slice(bytes);
                        }
                        Mail::NoDelay(on) => {
                            let _ = stream.set_nodelay(*on);
                        }
                        Mail::Kill => {}
                    }
                    if matches!(mail, Mail::Served(_)) {
                        session.blocked = None;
                        run_pending = true;
                    }
                    next = match wbuf.len() < MAIL_BATCH {
                        true => mailbox.try_recv().ok(),
                        false => None,
                    };
                }
            }
            Event::Timeout => {
                if let Some(w) = session.blocked.take() {
                    time_out(&srv, &w, &mut wbuf);
                }
                run_pending = true;
            }
            Event::Acked => {
                if let Some(w) = session.wait {
                    let acked = crate::replication::acked(&srv, w.offset);
                    if acked >= w.replicas || w.deadline.is_some_and(|d| unix_ms() >= d) {
                        Writer::new(&mut wbuf, session.proto).integer(acked as i64);
                        session.wait = None;
                        run_pending = true;
                    }
                }
            }
        }

        if run_pending && session.blocked.is_none() && session.wait.is_none() {
            let commands = run_batch(&srv, &mut session, &mut decoder, &mut rbuf, &mut wbuf);
            Counters::add(&srv.counters.commands_processed, commands);
        }
        update_info(&session, &rbuf, &wbuf);

        if !wbuf.is_empty() {
            let written = write_out(&mut stream, &wbuf, &handle).await;
            if !written {
                break;
            }
            handle.written(mail_bytes);
            Counters::add(&srv.counters.net_output_bytes, wbuf.len() as u64);
            wbuf.clear();
        }
        // Give back what a big request or reply grew the buffers to.
        if wbuf.capacity() > SHRINK_ABOVE {
            wbuf = BytesMut::with_capacity(READ_CHUNK);
        }
        if rbuf.is_empty() && rbuf.capacity() > SHRINK_ABOVE {
            rbuf = BytesMut::with_capacity(READ_CHUNK);
        }
        if let Some(req) = session.repl.full_sync.take() {
            if !crate::replication::full_sync(&srv, &mut stream, &mut session, req).await {
                break;
            }
        }
        if session.close_after_reply {
            break;
        }
        let qbuf_limit = srv.config.read().settings().client_query_buffer_limit;
        if rbuf.len() as u64 > qbuf_limit {
            log!(
                Warning,
                "Closing client that reached max query buffer length (qbuf={})",
                rbuf.len()
            );
            break;
        }
    }
    cleanup(&srv, &mut session);
}

/// Writes `buf` whole: at once when the socket takes it (the usual case),
/// else waiting for room while staying killable, so a client that stops
/// reading can still be disconnected.
async fn write_out(stream: &mut TcpStream, buf: &[u8], handle: &crate::clients::Handle) -> bool {
    let mut done = 0;
    while done < buf.len() {
        match stream.try_write(&buf[done..]) {
            Ok(0) => return false,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let ready = tokio::select! {
                    r = stream.writable() => r.is_ok(),
                    _ = handle.killed() => false,
                };
                if !ready {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
    true
}

/// Forgets everything the server keeps about a closing client.
fn cleanup(srv: &Arc<Shared>, session: &mut Session) {
    if let Some(w) = session.blocked.take() {
        let mut eng = srv.engine.lock();
        if w.claim() {
            srv.blocking.remove(&w, &mut eng);
        }
    }
    if session.watch.is_active() {
        crate::commands::multi::unwatch_all(srv, session, &mut srv.engine.lock());
    }
    crate::commands::pubsub::unsubscribe_all(srv, session);
    if session.repl.is_replica {
        crate::replication::forget_replica(srv, session.id());
    }
    srv.clients.unregister(session.id());
}

/// A blocked command's time is up: unless it was just served, answer it
/// the way it answers when it may not block.
fn time_out(srv: &Arc<Shared>, w: &Arc<Waiter>, wbuf: &mut BytesMut) {
    let mut eng = srv.engine.lock();
    if !w.claim() {
        // Served concurrently: its reply is in the mailbox already.
        return;
    }
    srv.blocking.remove(w, &mut eng);
    engine::command::blocking::blocked_timeout_reply(&mut Writer::new(wbuf, w.proto));
}

/// Decodes and runs every complete request in `rbuf`, stopping early when a
/// command blocks; returns how many ran.
fn run_batch(
    srv: &Arc<Shared>,
    session: &mut Session,
    decoder: &mut RequestDecoder,
    rbuf: &mut BytesMut,
    wbuf: &mut BytesMut,
) -> u64 {
    let mut engine = EngineLock::new(&srv.engine);
    let mut commands = 0;
    session.now = unix_ms();
    let mut args = Vec::new();
    while session.blocked.is_none() && session.wait.is_none() {
        match decoder.decode_into(rbuf, &mut args) {
            Ok(true) => {
                commands += 1;
                let mark = wbuf.len();
                let was_replica = session.repl.is_replica;
                dispatch(srv, session, &mut engine, &args, wbuf);
                if was_replica {
                    // Replicas get the stream, never replies.
                    wbuf.truncate(mark);
                }
                decoder.limits_mut().authenticated = session.authenticated;
                apply_reply_mode(session, wbuf, mark);
                if session.close_after_reply {
                    break;
                }
            }
            Ok(false) => break,
            Err(e) => {
                let peer = session.handle.info.lock().addr;
                log!(
                    Verbose,
                    "Protocol error ({e}) from client: id={} addr={peer}",
                    session.id()
                );
                Writer::new(wbuf, session.proto).error(&format!("ERR {e}"));
                session.close_after_reply = true;
                break;
            }
        }
    }
    // Writes reach the replication stream once per batch, still under the
    // lock that ordered them.
    if engine.is_locked() {
        crate::replication::feed(srv, engine.get());
    }
    commands
}

/// CLIENT REPLY OFF/SKIP: drop what the command wrote.
fn apply_reply_mode(session: &mut Session, wbuf: &mut BytesMut, mark: usize) {
    match session.reply_mode {
        ReplyMode::On => {}
        ReplyMode::Off => wbuf.truncate(mark),
        ReplyMode::SkipNext => session.reply_mode = ReplyMode::Skip,
        ReplyMode::Skip => {
            wbuf.truncate(mark);
            session.reply_mode = ReplyMode::On;
        }
    }
}

fn update_info(session: &Session, rbuf: &BytesMut, wbuf: &BytesMut) {
    let mut info = session.handle.info.lock();
    info.last_interaction = session.now;
    info.db = session.db;
    info.qbuf = rbuf.len();
    info.obuf = wbuf.len();
    info.resp = match session.proto {
        resp::Protocol::Resp2 => 2,
        resp::Protocol::Resp3 => 3,
    };
    info.last_cmd = session.last_cmd;
}

/// Wakes a WAIT when a replica acknowledges, or every 100 ms to recheck.
async fn wait_tick(acked: &tokio::sync::Notify, waiting: Option<crate::replication::WaitFor>) {
    let Some(w) = waiting else {
        return std::future::pending().await;
    };
    let mut nap = Duration::from_millis(100);
    if let Some(d) = w.deadline {
        nap = nap.min(Duration::from_millis((d - unix_ms()).max(0) as u64));
    }
    let _ = tokio::time::timeout(nap, acked.notified()).await;
}

async fn idle_timer(idle: Option<Duration>) {
    match idle {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// Resolves when a blocked command's timeout passes (never without one).
async fn deadline(waiter: Option<&Waiter>) {
    match waiter.and_then(|w| w.deadline) {
        Some(at) => {
            let wait = (at - unix_ms()).max(0) as u64;
            tokio::time::sleep(Duration::from_millis(wait)).await
        }
        None => std::future::pending().await,
    }
}

fn raw_fd(stream: &TcpStream) -> i32 {
    use std::os::fd::AsRawFd;
    stream.as_raw_fd()
}
