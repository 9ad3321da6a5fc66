//! The master side: answering PSYNC/SYNC, full syncs, acknowledgements.

use std::io::{self, Seek};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{BufMut, BytesMut};
use replication::PsyncAnswer;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::log::log;
use crate::persistence::Frozen;
use crate::state::clients::{Handle, Kind};
use crate::state::repl::{FullSync, Peer, Replica, ReplicaState, State};
use crate::state::Shared;

/// Answers `PSYNC replid offset` or `SYNC` inside the command handler:
/// either continues from the backlog at once, or schedules a full sync.
pub fn psync(
    srv: &Shared,
    peer: &mut Peer,
    handle: &Arc<Handle>,
    eng: &mut engine::Engine,
    out: &mut BytesMut,
    request: Option<(&str, i64)>,
) {
    let addr = handle.info.lock().addr;
    let port = peer.listening_port;
    let mut st = srv.repl().state.lock();
    if let Some((replid, offset)) = request {
        if let PsyncAnswer::Continue { replid: ours, data } = st.master.psync(replid, offset) {
            if peer.capa_psync2 {
                out.put_slice(format!("+CONTINUE {ours}\r\n").as_bytes());
            } else {
                out.put_slice(b"+CONTINUE\r\n");
            }
            log!(
                Notice,
                "Partial resynchronization request from {}:{port} accepted. Sending {} bytes of backlog starting from offset {offset}.",
                addr.ip(),
                data.len()
            );
            out.put_slice(&data);
            st.stats.sync_partial_ok += 1;
            register(&mut st, peer, handle, ReplicaState::Online);
            return;
        }
        if replid != "?" {
            st.stats.sync_partial_err += 1;
            log!(Notice, "Partial resynchronization not accepted: Replication ID mismatch or offset out of range (Replica asked for '{replid}', offset {offset})");
        } else {
            log!(
                Notice,
                "Full resync requested by replica {}:{port}",
                addr.ip()
            );
        }
    }
    st.stats.sync_full += 1;
    // The first replica of a server without history gets a new id.
    let fresh = !srv.repl().is_replica() && st.master.backlog().is_none();
    let size = srv.settings().repl_backlog_size as usize;
    st.master.ensure_backlog(size, fresh);
    // A replica relays its master's stream as it is; only a master records
    // its own writes.
    if !srv.repl().is_replica() {
        eng.set_recording(true);
    }
    register(&mut st, peer, handle, ReplicaState::WaitBgsave);
    peer.full_sync = Some(FullSync {
        psync: request.is_some(),
    });
}

fn register(st: &mut State, peer: &mut Peer, handle: &Arc<Handle>, state: ReplicaState) {
    peer.is_replica = true;
    let (ip, kind_addr) = {
        let mut info = handle.info.lock();
        info.kind = Kind::Replica;
        (info.addr.ip().to_string(), info.addr)
    };
    let _ = kind_addr;
    st.no_replicas_since = None;
    st.replicas.push(Replica {
        handle: handle.clone(),
        ip: peer.announced_ip.clone().unwrap_or(ip),
        port: peer.listening_port,
        state,
        ack_offset: 0,
        ack_time: Instant::now(),
    });
}

/// Runs a scheduled full sync on the replica's connection: waits
/// `repl-diskless-sync-delay` (diskless only), freezes the keyspace under
/// the engine lock (the stream from that point on goes to this replica's
/// mailbox), then sends `+FULLRESYNC` and the RDB, serialized by a
/// blocking thread while commands keep running. Returns false if the
/// connection failed.
pub async fn full_sync(
    srv: &Arc<Shared>,
    stream: &mut TcpStream,
    peer: &mut Peer,
    id: u64,
    req: FullSync,
) -> bool {
    let (diskless, delay, max_replicas, nodelay_off) = {
        let cfg = srv.config().read();
        let s = cfg.settings();
        (
            s.repl_diskless_sync,
            s.repl_diskless_sync_delay,
            s.repl_diskless_sync_max_replicas,
            s.repl_disable_tcp_nodelay,
        )
    };
    if diskless && delay > 0 {
        let delay = Duration::from_secs(u64::from(delay));
        if !wait_for_more_replicas(srv, stream, delay, max_replicas as usize).await {
            return false;
        }
    }
    let (frozen, replid, offset, slow) = {
        let eng = srv.engine().lock();
        let slow = crate::persistence::key_save_delay(srv, eng.total_keys());
        SNAPSHOTS_STARTED.fetch_add(1, Ordering::SeqCst);
        let st = srv.repl().state.lock();
        let replid = st.master.replid().to_string();
        let offset = st.master.offset();
        let aux = Some((replid.clone(), offset, 0));
        drop(st);
        let frozen = crate::persistence::freeze(srv, &eng, aux);
        let mut st = srv.repl().state.lock();
        st.master.reset_stream_db();
        if let Some(r) = st.replicas.iter_mut().find(|r| r.handle.id == id) {
            r.state = ReplicaState::SendBulk;
        }
        (frozen, replid, offset, slow)
    };
    log!(
        Notice,
        "Starting BGSAVE for SYNC with target: {}",
        if diskless { "replicas sockets" } else { "disk" }
    );
    let mut head = BytesMut::new();
    if req.psync {
        head.put_slice(format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes());
    }
    if !slow.is_zero() {
        // rdb-key-save-delay (tests): the snapshot takes that long to
        // produce, as Redis's child would, while the replica waits in its
        // transfer state.
        if stream.write_all(&head).await.is_err() || !wait_slow_snapshot(srv, stream, slow).await {
            return false;
        }
        let counter = &srv.counters().net_repl_output_bytes;
        crate::state::counters::Counters::add(counter, head.len() as u64);
        head.clear();
    }
    let eof_mark = (diskless && peer.capa_eof).then(|| replication::random_hex(40));
    peer.hold_stream_until_ack = eof_mark.is_some();
    let _ = stream.set_nodelay(!nodelay_off);
    let sent = match &eof_mark {
        Some(mark) => {
            head.put_slice(format!("$EOF:{mark}\r\n").as_bytes());
            send_streamed(stream, &head, frozen, mark).await
        }
        None => {
            let path = crate::persistence::sync_temp_path(srv, id);
            send_from_file(stream, head, frozen, path).await
        }
    };
    match sent {
        Ok(bytes) => {
            let counter = &srv.counters().net_repl_output_bytes;
            crate::state::counters::Counters::add(counter, bytes);
        }
        Err(e) => {
            log!(Warning, "Full sync to a replica failed: {e}");
            return false;
        }
    }
    let mut st = srv.repl().state.lock();
    if let Some(r) = st.replicas.iter_mut().find(|r| r.handle.id == id) {
        r.state = ReplicaState::Online;
        r.ack_time = Instant::now();
        log!(
            Notice,
            "Synchronization with replica {}:{} succeeded",
            r.ip,
            r.port
        );
    }
    true
}

/// Sends `head`, then the RDB as a blocking thread serializes it (64 KiB
/// at a time, a few in flight), then the EOF mark: the file is never whole
/// in memory. Returns the bytes sent.
async fn send_streamed(
    stream: &mut TcpStream,
    head: &[u8],
    frozen: Frozen,
    mark: &str,
) -> io::Result<u64> {
    stream.write_all(head).await?;
    let mut sent = (head.len() + mark.len()) as u64;
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    // Ends early, when the socket fails, as its receiver is dropped.
    let producer = tokio::task::spawn_blocking(move || {
        frozen.write(ChannelWriter(tx), Duration::ZERO).map(drop)
    });
    while let Some(buf) = rx.recv().await {
        stream.write_all(&buf).await?;
        sent += buf.len() as u64;
    }
    producer
        .await
        .map_err(io::Error::other)?
        .map_err(io::Error::other)?;
    stream.write_all(mark.as_bytes()).await?;
    Ok(sent)
}

/// A `Write` handing what it is given to an async receiver.
struct ChannelWriter(tokio::sync::mpsc::Sender<Vec<u8>>);

impl io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .blocking_send(buf.to_vec())
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Sends the RDB with its length first (disk-based sync, or a replica
/// without `capa eof`): serialized into a temp file off the lock, then
/// copied from it to the socket. The file is unlinked once open. Returns
/// the bytes sent.
async fn send_from_file(
    stream: &mut TcpStream,
    mut head: BytesMut,
    frozen: Frozen,
    path: PathBuf,
) -> io::Result<u64> {
    let written = path.clone();
    let file = tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&written)?;
        let mut file = frozen
            .write(file, Duration::ZERO)
            .map_err(io::Error::other)?;
        file.seek(io::SeekFrom::Start(0))?;
        io::Result::Ok(file)
    })
    .await
    .map_err(io::Error::other);
    let _ = std::fs::remove_file(&path);
    let file = file??;
    let len = file.metadata()?.len();
    head.put_slice(format!("${len}\r\n").as_bytes());
    stream.write_all(&head).await?;
    let mut file = tokio::fs::File::from_std(file);
    let copied = tokio::io::copy(&mut file, stream).await?;
    if copied != len {
        return Err(io::Error::other("the RDB file changed while being sent"));
    }
    Ok(head.len() as u64 + len)
}

/// How often a delayed diskless sync looks at the replicas waiting.
const WAITING_CHECK: Duration = Duration::from_millis(100);

/// Snapshots taken for replicas so far. Redis feeds every replica waiting
/// from the snapshot it starts, so a delayed sync starts as soon as this
/// moves. Process-wide: there is one server per process.
static SNAPSHOTS_STARTED: AtomicU64 = AtomicU64::new(0);

/// The wait before a diskless transfer, which Redis spends gathering
/// replicas to feed from one snapshot: it ends after `delay`, as soon as
/// `max_replicas` (when not 0, `repl-diskless-sync-max-replicas`) are
/// waiting, or when a snapshot for another replica starts meanwhile.
/// Meanwhile the replica gets a newline a second, which keeps its
/// handshake from timing out, from Redis's cron: so none while the server
/// is busy (DEBUG SLEEP). False when the replica's connection failed.
async fn wait_for_more_replicas(
    srv: &Shared,
    stream: &mut TcpStream,
    delay: Duration,
    max_replicas: usize,
) -> bool {
    let deadline = tokio::time::Instant::now() + delay;
    let started = SNAPSHOTS_STARTED.load(Ordering::SeqCst);
    let mut next_newline = tokio::time::Instant::now() + NEWLINE_PERIOD;
    loop {
        let waiting = {
            let st = srv.repl().state.lock();
            st.replicas
                .iter()
                .filter(|r| r.state == ReplicaState::WaitBgsave)
                .count()
        };
        if max_replicas > 0 && waiting >= max_replicas
            || SNAPSHOTS_STARTED.load(Ordering::SeqCst) != started
        {
            return true;
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return true;
        }
        if now >= next_newline {
            drop(srv.engine().lock());
            if stream.write_all(b"\n").await.is_err() {
                return false;
            }
            next_newline = tokio::time::Instant::now() + NEWLINE_PERIOD;
        }
        tokio::time::sleep_until(deadline.min(next_newline).min(now + WAITING_CHECK)).await;
    }
}

/// Replication snapshots being produced slowly (rdb-key-save-delay): while
/// any is, INFO shows a save in progress, as Redis's replication child is
/// its one RDB child.
static SLOW_SNAPSHOTS: AtomicU64 = AtomicU64::new(0);
/// Whether the slow snapshots set the save-in-progress mark (a BGSAVE
/// running before them keeps its own).
static SLOW_SNAPSHOTS_MARKED: AtomicBool = AtomicBool::new(false);

/// Waits out a slow snapshot, sending a newline a second (as Redis's cron
/// to replicas waiting for their RDB) so the replica does not time out.
/// False when the replica's connection failed.
async fn wait_slow_snapshot(srv: &Shared, stream: &mut TcpStream, delay: Duration) -> bool {
    struct InProgress<'a>(&'a Shared);
    impl Drop for InProgress<'_> {
        fn drop(&mut self) {
            if SLOW_SNAPSHOTS.fetch_sub(1, Ordering::SeqCst) == 1
                && SLOW_SNAPSHOTS_MARKED.swap(false, Ordering::SeqCst)
            {
                self.0.persistence().status.lock().bgsave_started = None;
            }
        }
    }
    if SLOW_SNAPSHOTS.fetch_add(1, Ordering::SeqCst) == 0 {
        let mut st = srv.persistence().status.lock();
        if st.bgsave_started.is_none() {
            st.bgsave_started = Some(Instant::now());
            SLOW_SNAPSHOTS_MARKED.store(true, Ordering::SeqCst);
        }
    }
    let _in_progress = InProgress(srv);
    let deadline = tokio::time::Instant::now() + delay;
    loop {
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return true;
        }
        tokio::time::sleep_until(deadline.min(now + NEWLINE_PERIOD)).await;
        drop(srv.engine().lock());
        if stream.write_all(b"\n").await.is_err() {
            return false;
        }
    }
}

/// How often a replica waiting for its snapshot gets a newline.
const NEWLINE_PERIOD: Duration = Duration::from_secs(1);

/// `REPLCONF ACK <offset>` from a replica.
pub fn ack(srv: &Shared, id: u64, offset: i64) {
    let mut st = srv.repl().state.lock();
    if let Some(r) = st.replicas.iter_mut().find(|r| r.handle.id == id) {
        r.ack_offset = r.ack_offset.max(offset);
        r.ack_time = Instant::now();
    }
    drop(st);
    srv.repl().acked.notify_waiters();
}
