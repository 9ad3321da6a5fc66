//! One client connection: read, decode every complete request, run them
//! under one engine lock, write all replies at once. The client's output
//! buffer limit (`client-output-buffer-limit`, by class) is checked as the
//! replies are produced, like Redis does on each append.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use resp::{Limits, RequestDecoder, Writer};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use crate::commands::{dispatch, held_by_pause, EngineLock, ReplyMode, Session};
use crate::config::ObufLimit;
use crate::log::log;
use crate::state::blocking::Waiter;
use crate::state::clients::{Class, Handle, Info, Kind, LimitCheck, Mail};
use crate::state::counters::Counters;
use crate::state::repl::WaitFor;
use crate::state::Shared;
use crate::time::unix_ms;

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
    /// The pause holding a postponed command is over.
    Unpaused,
    Close,
}

/// Serves a client until it quits, errs, is killed or the server stops.
pub async fn serve(srv: Arc<Shared>, mut stream: TcpStream, addr: SocketAddr) {
    let laddr = stream.local_addr().unwrap_or(addr);
    let (authenticated, limits, timeout, mut obuf_limit) = {
        let cfg = srv.config().read();
        let s = cfg.settings();
        let limits = Limits {
            max_bulk_len: s.proto_max_bulk_len as usize,
            ..Limits::default()
        };
        let obuf = Class::Normal.limit(&s.client_output_buffer_limit, s.repl_backlog_size);
        (s.requirepass.is_none(), limits, s.timeout, obuf)
    };
    let (handle, mut mailbox) =
        srv.clients()
            .register(Info::new(addr, laddr, raw_fd(&stream), Kind::Normal));
    let mut session = Registered::new(&srv, Session::new(handle.clone(), authenticated));
    let mut decoder = RequestDecoder::new(Limits {
        authenticated,
        ..limits
    });
    let mut rbuf = BytesMut::with_capacity(READ_CHUNK);
    let mut wbuf = BytesMut::with_capacity(READ_CHUNK);
    let idle = (timeout > 0).then(|| Duration::from_secs(u64::from(timeout)));
    let mut postponed: Option<Postponed> = None;
    log!(Verbose, "Accepted {addr}");

    loop {
        if rbuf.capacity() - rbuf.len() < READ_CHUNK / 2 {
            rbuf.reserve(READ_CHUNK);
        }
        let blocked = session.blocked.clone();
        let waiting = session.wait;
        let held_write = postponed.as_ref().map(|p| p.write);
        let event = tokio::select! {
            r = stream.read_buf(&mut rbuf) => Event::Read(r),
            m = mailbox.recv(), if !session.repl.hold_stream_until_ack || handle.is_killed() => Event::Mail(m),
            _ = deadline(blocked.as_deref()) => Event::Timeout,
            _ = wait_tick(&srv.repl().acked, waiting), if waiting.is_some() => Event::Acked,
            _ = unpaused(&srv, held_write), if held_write.is_some() => Event::Unpaused,
            // The mailbox that carries kills is not read while the stream
            // waits for a replica's first ACK: a kill (output limit,
            // repl-timeout) must still end it.
            _ = handle.killed(), if session.repl.hold_stream_until_ack => Event::Close,
            // A postponed client is blocked, which Redis never times out.
            _ = idle_timer(idle), if blocked.is_none() && held_write.is_none() && !session.subscribed() && !session.repl.is_replica => {
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
                Counters::add(&srv.counters().net_input_bytes, n as u64);
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
            Event::Unpaused => run_pending = true,
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
            // Mail in `wbuf` is counted in `pending` already.
            let allowance = obuf_limit.map(|limit| Allowance {
                limit,
                queued: handle.pending().saturating_sub(mail_bytes),
            });
            let commands = run_batch(
                &srv,
                &mut session,
                Input {
                    decoder: &mut decoder,
                    rbuf: &mut rbuf,
                    postponed: &mut postponed,
                },
                &mut wbuf,
                allowance,
            );
            Counters::add(&srv.counters().commands_processed, commands);
        }
        // The class may have changed in the batch (SUBSCRIBE, PSYNC).
        let qbuf_limit;
        (obuf_limit, qbuf_limit) = buffer_limits(&srv, &session);
        if let Some(limit) = &obuf_limit {
            let used = handle.pending().saturating_sub(mail_bytes) + wbuf.len();
            if handle.close_if_over_limit(used as u64, limit, LimitCheck::Append) {
                break;
            }
        }

        if !wbuf.is_empty() {
            let stalled = || update_info(&session, &rbuf);
            if !write_out(&mut stream, &wbuf, &handle, mail_bytes, stalled).await {
                break;
            }
            let counter = match session.repl.is_replica {
                true => &srv.counters().net_repl_output_bytes,
                false => &srv.counters().net_output_bytes,
            };
            Counters::add(counter, wbuf.len() as u64);
            wbuf.clear();
        }
        update_info(&session, &rbuf);
        // Give back what a big request or reply grew the buffers to.
        if wbuf.capacity() > SHRINK_ABOVE {
            wbuf = BytesMut::with_capacity(READ_CHUNK);
        }
        if rbuf.is_empty() && rbuf.capacity() > SHRINK_ABOVE {
            rbuf = BytesMut::with_capacity(READ_CHUNK);
        }
        if let Some(req) = session.repl.full_sync.take() {
            let synced = tokio::select! {
                ok = crate::replication::full_sync(&srv, &mut stream, &mut session.repl, handle.id, req) => ok,
                // Its buffered stream broke the replica limit mid-transfer
                // (or CLIENT KILL): Redis drops the transfer with the client.
                _ = handle.killed() => false,
            };
            if !synced {
                break;
            }
        }
        if session.close_after_reply {
            break;
        }
        if rbuf.len() as u64 > qbuf_limit {
            log!(
                Warning,
                "Closing client that reached max query buffer length (qbuf={})",
                rbuf.len()
            );
            break;
        }
    }
    if postponed.is_some() {
        srv.pause().hold(false);
    }
}

/// A registered client's session, forgotten by the server on every way out
/// of its task (Redis's `freeClient`), however the task ends.
pub struct Registered {
    srv: Arc<Shared>,
    session: Session,
}

impl Registered {
    pub fn new(srv: &Arc<Shared>, session: Session) -> Registered {
        Registered {
            srv: srv.clone(),
            session,
        }
    }
}

impl std::ops::Deref for Registered {
    type Target = Session;

    fn deref(&self) -> &Session {
        &self.session
    }
}

impl std::ops::DerefMut for Registered {
    fn deref_mut(&mut self) -> &mut Session {
        &mut self.session
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        cleanup(&self.srv, &mut self.session);
    }
}

/// What the configuration says now of this client's buffers: the output
/// buffer limit of its class and the query buffer limit.
fn buffer_limits(srv: &Shared, session: &Session) -> (Option<ObufLimit>, u64) {
    let cfg = srv.config().read();
    let s = cfg.settings();
    let limits = &s.client_output_buffer_limit;
    // Every connection reads the configuration here anyway, so this is
    // where the replication stream's copy of the replica limit follows it:
    // a CONFIG SET applies there before its own reply is written.
    srv.clients().set_replica_limit(limits, s.repl_backlog_size);
    let class = if session.repl.is_replica {
        Class::Replica
    } else if session.subscribed() {
        Class::PubSub
    } else {
        Class::Normal
    };
    (
        class.limit(limits, s.repl_backlog_size),
        s.client_query_buffer_limit,
    )
}

/// A client's output buffer limit for one batch: Redis checks it on every
/// reply it appends and stops running the commands of a client it closes.
struct Allowance {
    limit: ObufLimit,
    /// Output queued before the batch's replies (mail, a stalled write).
    queued: usize,
}

impl Allowance {
    /// Whether replies of `len` bytes break the limit, which closes the
    /// client. Cheap until the output nears the limit.
    fn exceeded(&self, handle: &Handle, len: usize) -> bool {
        let used = (self.queued + len) as u64;
        let l = &self.limit;
        let near = (l.hard > 0 && used >= l.hard) || (l.soft > 0 && used >= l.soft);
        near && handle.close_if_over_limit(used, l, LimitCheck::Append)
    }
}

/// Writes `buf` whole: at once when the socket takes it (the usual case),
/// else waiting for room while staying killable, so a client that stops
/// reading can still be disconnected. `mail` bytes of `buf` are mail, which
/// the handle counts as pending output; a write that has to wait makes the
/// rest of `buf` count too (the output buffer limits and CLIENT LIST see
/// it) and calls `stalled` once.
async fn write_out(
    stream: &mut TcpStream,
    buf: &[u8],
    handle: &Handle,
    mail: usize,
    stalled: impl FnOnce(),
) -> bool {
    let mut done = 0;
    let mut stalled = Some(stalled);
    while done < buf.len() {
        match stream.try_write(&buf[done..]) {
            Ok(0) => return false,
            Ok(n) => {
                done += n;
                if stalled.is_none() {
                    handle.written(n);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if let Some(stalled) = stalled.take() {
                    handle.stalled(buf.len() - done, mail);
                    stalled();
                }
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
    if stalled.is_some() {
        handle.written(mail);
    }
    true
}

/// Forgets everything the server keeps about a closing client: unblocks,
/// unwatches, unsubscribes, drops the replica, unregisters.
fn cleanup(srv: &Arc<Shared>, session: &mut Session) {
    if let Some(w) = session.blocked.take() {
        let mut eng = srv.engine().lock();
        if w.claim() {
            srv.blocking().remove(&w, &mut eng);
        }
    }
    if session.watch.is_active() {
        let mut eng = srv.engine().lock();
        srv.watchers().unwatch_all(&mut session.watch, &mut eng);
    }
    srv.pubsub()
        .unsubscribe_all(&mut session.subs, session.handle.id);
    if session.repl.is_replica {
        crate::replication::forget_replica(srv, session.id());
    }
    if session.monitoring {
        srv.monitors().remove(session.id());
    }
    srv.clients().unregister(session.id());
}

/// A blocked command's time is up: unless it was just served, answer it
/// the way it answers when it may not block.
fn time_out(srv: &Arc<Shared>, w: &Arc<Waiter>, wbuf: &mut BytesMut) {
    let mut eng = srv.engine().lock();
    if !w.claim() {
        // Served concurrently: its reply is in the mailbox already.
        return;
    }
    srv.blocking().remove(w, &mut eng);
    engine::command::blocking::blocked_timeout_reply(&mut Writer::new(wbuf, w.proto));
    let timed_out = crate::state::counters::Outcome::TimedOut;
    srv.counters()
        .count_command((w.def.name, None), timed_out, std::time::Duration::ZERO);
    srv.slowlog().push_if_slow(&w.client, &w.args, 0);
}

/// A command CLIENT PAUSE holds back, to run first once the pause is over.
struct Postponed {
    args: Vec<Bytes>,
    /// Whether it may write or replicate (a WRITE pause holds it).
    write: bool,
}

/// Where a batch's requests come from: a postponed one, then `rbuf`.
struct Input<'a> {
    decoder: &'a mut RequestDecoder,
    rbuf: &'a mut BytesMut,
    postponed: &'a mut Option<Postponed>,
}

/// Decodes and runs every complete request in `rbuf`, stopping early when a
/// command blocks or is postponed; returns how many ran.
fn run_batch(
    srv: &Arc<Shared>,
    session: &mut Session,
    input: Input,
    wbuf: &mut BytesMut,
    allowance: Option<Allowance>,
) -> u64 {
    let Input {
        decoder,
        rbuf,
        postponed,
    } = input;
    let mut engine = EngineLock::new(srv.engine());
    let mut commands = 0;
    session.now = unix_ms();
    session.tick = std::time::Instant::now();
    // Like Redis's query buffer, trimmed only once the batch is done: a
    // CLIENT LIST in it sees its own request counted.
    session.handle.info.lock().qbuf = rbuf.len();
    let mut args = Vec::new();
    while session.blocked.is_none() && session.wait.is_none() {
        let next = match postponed.take() {
            Some(p) => {
                srv.pause().hold(false);
                args = p.args;
                Ok(true)
            }
            None => decoder.decode_into(rbuf, &mut args),
        };
        match next {
            Ok(true) => {
                // One relaxed load per command while no pause is on.
                if srv.pause().maybe_on() {
                    if let Some(write) = held_by_pause(srv, session, &args) {
                        srv.pause().hold(true);
                        *postponed = Some(Postponed {
                            args: std::mem::take(&mut args),
                            write,
                        });
                        break;
                    }
                }
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
                if let Some(a) = &allowance {
                    if a.exceeded(&session.handle, wbuf.len()) {
                        break;
                    }
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
    // Writes leave the engine once per batch, still under the lock that
    // ordered them.
    if engine.is_locked() {
        crate::after::propagate(srv, engine.get());
    }
    crate::commands::settle_stats(srv, session);
    commands
}

/// CLIENT REPLY OFF/SKIP: drop what the command wrote, unless it is push
/// messages.
fn apply_reply_mode(session: &mut Session, wbuf: &mut BytesMut, mark: usize) {
    let silence = !std::mem::take(&mut session.pushing);
    match session.reply_mode {
        ReplyMode::On => {}
        ReplyMode::Off if silence => wbuf.truncate(mark),
        ReplyMode::Off => {}
        ReplyMode::SkipNext => session.reply_mode = ReplyMode::Skip,
        ReplyMode::Skip => {
            if silence {
                wbuf.truncate(mark);
            }
            session.reply_mode = ReplyMode::On;
        }
    }
}

/// Records what CLIENT LIST and INFO show of this client: after each write
/// (what is still pending then), or when a write has to wait.
fn update_info(session: &Session, rbuf: &BytesMut) {
    let mut info = session.handle.info.lock();
    info.last_interaction = session.now;
    info.db = session.db;
    info.qbuf = rbuf.len();
    info.obuf = session.handle.pending();
    info.blocked = session.blocked.is_some() || session.wait.is_some();
    info.multi = session.multi.as_ref().map_or(-1, |t| t.len() as i64);
    info.resp = match session.proto {
        resp::Protocol::Resp2 => 2,
        resp::Protocol::Resp3 => 3,
    };
    info.last_cmd = session.last_cmd.map(|c| c.command_name());
}

/// Wakes a WAIT when a replica acknowledges, or every 100 ms to recheck.
async fn wait_tick(acked: &tokio::sync::Notify, waiting: Option<WaitFor>) {
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

/// Resolves when a pause no longer holds a postponed command (`write`:
/// whether it may write).
async fn unpaused(srv: &Shared, write: Option<bool>) {
    match write {
        Some(write) => srv.pause().lifted(write).await,
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
