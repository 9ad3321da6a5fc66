//! One client connection: read, decode every complete request, run them
//! under one engine lock, write all replies at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use resp::{Limits, RequestDecoder, Writer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::clients::{Info, Kind};
use crate::commands::{dispatch, EngineLock};
use crate::log::log;
use crate::session::{ReplyMode, Session};
use crate::state::{Counters, Shared};

const READ_CHUNK: usize = 16 * 1024;

/// Serves a client until it quits, errs, is killed or the server stops.
pub async fn serve(srv: Arc<Shared>, mut stream: TcpStream, addr: SocketAddr) {
    let laddr = stream.local_addr().unwrap_or(addr);
    let fd = raw_fd(&stream);
    let (authenticated, limits, timeout) = {
        let cfg = srv.config.read();
        let s = cfg.settings();
        let limits = Limits {
            max_bulk_len: s.proto_max_bulk_len as usize,
            ..Limits::default()
        };
        (s.requirepass.is_none(), limits, s.timeout)
    };
    let handle = srv.clients.register(Info {
        addr,
        laddr,
        fd,
        name: String::new(),
        db: 0,
        resp: 2,
        last_cmd: None,
        last_interaction: Instant::now(),
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
    let mut shutdown = srv.shutdown.subscribe();
    let mut rbuf = BytesMut::with_capacity(READ_CHUNK);
    let mut wbuf = BytesMut::with_capacity(READ_CHUNK);
    let idle = (timeout > 0).then(|| Duration::from_secs(u64::from(timeout)));
    log!(Verbose, "Accepted {addr}");

    loop {
        if rbuf.capacity() - rbuf.len() < READ_CHUNK / 2 {
            rbuf.reserve(READ_CHUNK);
        }
        let read = tokio::select! {
            r = stream.read_buf(&mut rbuf) => r,
            _ = handle.killed() => break,
            _ = shutdown.changed() => break,
            _ = idle_timer(idle) => {
                log!(Verbose, "Closing idle client");
                break;
            }
        };
        match read {
            Ok(0) | Err(_) => break,
            Ok(n) => Counters::add(&srv.counters.net_input_bytes, n as u64),
        }

        let commands = run_batch(&srv, &mut session, &mut decoder, &mut rbuf, &mut wbuf);
        Counters::add(&srv.counters.commands_processed, commands);
        update_info(&session, &rbuf, &wbuf);

        if !wbuf.is_empty() {
            if stream.write_all(&wbuf).await.is_err() {
                break;
            }
            Counters::add(&srv.counters.net_output_bytes, wbuf.len() as u64);
            wbuf.clear();
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
    if session.watch.is_active() {
        crate::commands::multi::unwatch_all(&srv, &mut session, &mut srv.engine.lock());
    }
    srv.clients.unregister(session.id());
}

/// Decodes and runs every complete request in `rbuf`; returns how many ran.
fn run_batch(
    srv: &Arc<Shared>,
    session: &mut Session,
    decoder: &mut RequestDecoder,
    rbuf: &mut BytesMut,
    wbuf: &mut BytesMut,
) -> u64 {
    let mut engine = EngineLock::new(&srv.engine);
    let mut commands = 0;
    loop {
        match decoder.decode(rbuf) {
            Ok(Some(args)) => {
                commands += 1;
                let mark = wbuf.len();
                dispatch(srv, session, &mut engine, &args, wbuf);
                decoder.limits_mut().authenticated = session.authenticated;
                apply_reply_mode(session, wbuf, mark);
                if session.close_after_reply {
                    break;
                }
            }
            Ok(None) => break,
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
    info.last_interaction = Instant::now();
    info.db = session.db;
    info.qbuf = rbuf.len();
    info.obuf = wbuf.len();
    info.resp = match session.proto {
        resp::Protocol::Resp2 => 2,
        resp::Protocol::Resp3 => 3,
    };
    info.last_cmd = session.last_cmd;
}

async fn idle_timer(idle: Option<Duration>) {
    match idle {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

fn raw_fd(stream: &TcpStream) -> i32 {
    use std::os::fd::AsRawFd;
    stream.as_raw_fd()
}
