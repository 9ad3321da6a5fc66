//! Receiving and loading a full sync, as Redis 7's `readSyncBulkPayload`
//! does under each `repl-diskless-load` setting:
//!
//! * `disabled`: the payload is written to a temp file in `dir`, renamed
//!   over `dbfilename` (the replica's dump is then the master's snapshot),
//!   the old data is flushed and the file loaded. The old data is served
//!   until the transfer is complete; a failed load leaves no data.
//! * `swapdb`: the payload is parsed as it arrives, on another thread, into
//!   a spare set of databases while the old data keeps being served; the
//!   spare replaces it only once loaded whole, so a cut or corrupt transfer
//!   leaves the old data (and the history to continue it) in place.
//! * `on-empty-db`: parsed as it arrives when we hold no keys, otherwise
//!   as `disabled`.
//!
//! Replaced data is freed on another thread after a swap, and after the
//! flush of `disabled` with `replica-lazy-flush`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use engine::persist::LoadStats;
use engine::Engine;
use replication::payload::{self, Payload};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::{current, Failure};
use crate::config::ReplDisklessLoad;
use crate::log::log;
use crate::state::Shared;
use crate::time::{unix_ms, unix_secs};

/// Chunks in flight between the socket and the parser (each up to a read).
const PARSER_QUEUE: usize = 8;

/// Where a full sync goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// A temp file, then the dump, then memory after a flush.
    Disk,
    /// The parser, into spare databases swapped in at the end. `keep_old`
    /// (swapdb) keeps the old data until then; otherwise (on-empty-db,
    /// nothing to keep) it is flushed as Redis does.
    Parser { keep_old: bool },
}

/// The master's snapshot and the history it starts.
pub struct Snapshot<'a> {
    pub replid: &'a str,
    pub offset: i64,
}

/// Receives the payload that follows `+FULLRESYNC` and makes it our data
/// and history. Returns false when REPLICAOF changed meanwhile (nothing
/// was applied). What follows the payload stays in `buf`.
pub async fn receive(
    srv: &Arc<Shared>,
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    snapshot: Snapshot<'_>,
    generation: u64,
) -> Result<bool, Failure> {
    let (mode, lazy, dir, timeout) = {
        let cfg = srv.config().read();
        let s = cfg.settings();
        (
            s.repl_diskless_load,
            s.replica_lazy_flush,
            PathBuf::from(&s.dir),
            Duration::from_secs(u64::from(s.repl_timeout.max(1))),
        )
    };
    let target = match mode {
        ReplDisklessLoad::Swapdb => Target::Parser { keep_old: true },
        ReplDisklessLoad::OnEmptyDb => {
            let empty = srv.engine().lock().total_keys() == 0;
            if empty {
                Target::Parser { keep_old: false }
            } else {
                Target::Disk
            }
        }
        ReplDisklessLoad::Disabled => Target::Disk,
    };
    let payload = Payload::start(stream, buf).await.map_err(log_line)?;
    if let Some(l) = srv.repl().state.lock().link.as_mut() {
        l.sync_total = payload.total();
        l.sync_read = 0;
        l.last_io = Instant::now();
    }
    let to = if target == Target::Disk {
        "to disk"
    } else {
        "to parser"
    };
    match payload.total() {
        None => log!(
            Notice,
            "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF {to}"
        ),
        Some(n) => log!(
            Notice,
            "MASTER <-> REPLICA sync: receiving {n} bytes from master {to}"
        ),
    }
    let mut transfer = Transfer {
        srv,
        stream,
        buf,
        payload,
        timeout,
        generation,
    };
    match target {
        Target::Disk => {
            let Some(file) = transfer.write_to_file(&dir).await? else {
                return Ok(false);
            };
            load_file(srv, &file, &snapshot, lazy, generation)
        }
        Target::Parser { keep_old } => {
            if !keep_old {
                log!(Notice, "MASTER <-> REPLICA sync: Flushing old data");
            }
            log!(Notice, "MASTER <-> REPLICA sync: Loading DB in memory");
            let spare = srv.engine().lock().empty_like();
            srv.repl()
                .async_loading
                .store(keep_old, std::sync::atomic::Ordering::Relaxed);
            let fed = transfer.feed_parser(spare, keep_old).await;
            srv.repl()
                .async_loading
                .store(false, std::sync::atomic::Ordering::Relaxed);
            let Some((spare, stats)) = fed? else {
                return Ok(false);
            };
            Ok(swap_in(srv, spare, &stats, &snapshot, keep_old, generation))
        }
    }
}

/// Redis's log line for a payload that could not be received.
fn log_line(e: payload::Error) -> String {
    use payload::Error;
    match e {
        Error::ReadHeader(e) => format!("I/O error reading bulk count from MASTER: {e}"),
        Error::Master(e) => format!("MASTER aborted replication with an error: {e}"),
        Error::BadHeader(line) => format!("Bad protocol from MASTER, the first byte is not '$' (we received '{line}'), are you sure the host and port are right?"),
        Error::Timeout => "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.".into(),
        Error::Closed => "I/O error trying to sync with MASTER: connection lost".into(),
        Error::Io(e) => format!("I/O error trying to sync with MASTER: {e}"),
    }
}

/// The payload being received and what it needs.
struct Transfer<'a> {
    srv: &'a Shared,
    stream: &'a mut TcpStream,
    buf: &'a mut BytesMut,
    payload: Payload,
    timeout: Duration,
    generation: u64,
}

impl Transfer<'_> {
    /// The next chunk (`None` at the end), with INFO's progress updated;
    /// `Err(None)` when REPLICAOF changed meanwhile.
    async fn next(&mut self) -> Result<Option<Bytes>, Option<String>> {
        let chunk = self
            .payload
            .next(self.stream, self.buf, self.timeout)
            .await
            .map_err(|e| Some(log_line(e)))?;
        if let Some(c) = &chunk {
            let counter = &self.srv.counters().net_repl_input_bytes;
            crate::state::counters::Counters::add(counter, c.len() as u64);
        }
        if let Some(l) = self.srv.repl().state.lock().link.as_mut() {
            l.sync_read = self.payload.received();
            l.last_io = Instant::now();
        }
        if !current(self.srv, self.generation) {
            return Err(None);
        }
        Ok(chunk)
    }

    /// Writes the payload to a temp file in `dir`, synced to disk. `None`
    /// when REPLICAOF changed; the temp file is gone unless it succeeded.
    async fn write_to_file(&mut self, dir: &Path) -> Result<Option<PathBuf>, String> {
        let tmp = dir.join(format!("temp-{}.{}.rdb", unix_secs(), std::process::id()));
        let mut file = tokio::fs::File::create(&tmp).await.map_err(|e| {
            format!("Opening the temp file needed for MASTER <-> REPLICA synchronization: {e}")
        })?;
        let written = async {
            loop {
                match self.next().await {
                    Ok(Some(chunk)) => file.write_all(&chunk).await.map_err(|e| {
                        Some(format!("Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: {e}"))
                    })?,
                    Ok(None) => break,
                    Err(e) => return Err(e),
                }
            }
            file.sync_all().await.map_err(|e| {
                Some(format!("Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: {e}"))
            })
        }
        .await;
        drop(file);
        match written {
            Ok(()) => Ok(Some(tmp)),
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                e.map_or(Ok(None), Err)
            }
        }
    }

    /// Streams the payload into `spare` loading on another thread. `None`
    /// when REPLICAOF changed. On failure the spare is freed off this
    /// thread, and (swapdb) Redis's notice that it was discarded follows
    /// the reason.
    async fn feed_parser(
        &mut self,
        spare: Engine,
        keep_old: bool,
    ) -> Result<Option<(Engine, LoadStats)>, Failure> {
        let (tx, rx) = mpsc::channel(PARSER_QUEUE);
        let loader = tokio::task::spawn_blocking(move || {
            let mut spare = spare;
            let loaded = spare.load_rdb(Chunks::new(rx), unix_ms(), true);
            (spare, loaded)
        });
        let pumped = async {
            while let Some(chunk) = self.next().await? {
                if tx.send(chunk).await.is_err() {
                    // The parser ended before the payload did.
                    return Ok(false);
                }
            }
            Ok(true)
        }
        .await;
        // The parser sees the end of its input (or the cut) from here on.
        drop(tx);
        let (spare, loaded) = loader
            .await
            .map_err(|e| format!("The RDB loader of the sync failed: {e}"))?;
        // Loading and receiving are one step, so any failure is the load's.
        let outcome = match (pumped, loaded) {
            (Err(None), _) => Err(None),
            (Err(Some(e)), _) => Err(Some(e)),
            (Ok(_), Err(e)) => Err(Some(e.to_string())),
            (Ok(false), Ok(_)) => Err(Some("data after the end of the RDB".into())),
            (Ok(true), Ok(stats)) => Ok(stats),
        }
        .map_err(|e| {
            e.map(|e| {
                format!("Failed trying to load the MASTER synchronization DB from socket: {e}")
            })
        });
        match outcome {
            Ok(stats) => Ok(Some((spare, stats))),
            Err(reason) => {
                free_in_background(spare);
                let Some(reason) = reason else {
                    return Ok(None);
                };
                log!(Warning, "{reason}");
                if keep_old {
                    log!(
                        Notice,
                        "MASTER <-> REPLICA sync: Discarding temporary DB in background"
                    );
                }
                Err(Failure::Logged)
            }
        }
    }
}

/// The parser's input: the chunks the socket side sends, ending when it
/// drops its sender (the payload is complete, or the transfer was cut and
/// the parser reports it truncated).
struct Chunks {
    rx: mpsc::Receiver<Bytes>,
    chunk: Bytes,
}

impl Chunks {
    fn new(rx: mpsc::Receiver<Bytes>) -> Chunks {
        Chunks {
            rx,
            chunk: Bytes::new(),
        }
    }
}

impl Read for Chunks {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.chunk = chunk,
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.chunk.len());
        out[..n].copy_from_slice(&self.chunk[..n]);
        self.chunk.advance(n);
        Ok(n)
    }
}

/// `disabled` (and `on-empty-db` with data): puts the received file in
/// place as our dump, flushes the old data and loads the file. A failed
/// load leaves nothing half-loaded.
fn load_file(
    srv: &Shared,
    received: &Path,
    snapshot: &Snapshot<'_>,
    lazy: bool,
    generation: u64,
) -> Result<bool, Failure> {
    let mut eng = srv.engine().lock();
    if !current(srv, generation) {
        let _ = std::fs::remove_file(received);
        return Ok(false);
    }
    let dump = crate::persistence::install_received(srv, received).map_err(|e| {
        let _ = std::fs::remove_file(received);
        format!("Failed trying to rename the temp DB into the dump in MASTER <-> REPLICA synchronization: {e}")
    })?;
    attach_to_new_master(srv);
    log!(Notice, "MASTER <-> REPLICA sync: Flushing old data");
    eng.forget_replica_keys_with_expire();
    flush(&mut eng, lazy);
    log!(Notice, "MASTER <-> REPLICA sync: Loading DB in memory");
    let loaded = std::fs::File::open(&dump)
        .map_err(|e| e.to_string())
        .and_then(|file| {
            eng.load_rdb(
                std::io::BufReader::with_capacity(1 << 16, file),
                unix_ms(),
                true,
            )
            .map_err(|e| e.to_string())
        });
    match loaded {
        Ok(stats) => {
            log_loaded(&stats);
            adopt(srv, snapshot);
            Ok(true)
        }
        Err(e) => {
            flush(&mut eng, lazy);
            Err(
                format!("Failed trying to load the MASTER synchronization DB from disk: {e}")
                    .into(),
            )
        }
    }
}

/// Socket-loaded data replaces ours in one step; the old data is freed on
/// another thread. Returns false when REPLICAOF changed meanwhile.
fn swap_in(
    srv: &Shared,
    mut spare: Engine,
    stats: &LoadStats,
    snapshot: &Snapshot<'_>,
    keep_old: bool,
    generation: u64,
) -> bool {
    let mut eng = srv.engine().lock();
    if !current(srv, generation) {
        drop(eng);
        free_in_background(spare);
        return false;
    }
    log_loaded(stats);
    attach_to_new_master(srv);
    if keep_old {
        log!(
            Notice,
            "MASTER <-> REPLICA sync: Swapping active DB with loaded DB"
        );
    }
    eng.forget_replica_keys_with_expire();
    eng.swap_databases(&mut spare);
    adopt(srv, snapshot);
    drop(eng);
    free_in_background(spare);
    if keep_old {
        log!(
            Notice,
            "MASTER <-> REPLICA sync: Discarding old DB in background"
        );
    }
    true
}

/// Our data is about to stop matching our history: sub-replicas must
/// resync, and no one (ourselves included, should this load fail) may
/// continue partially from our backlog (Redis's replicationAttachToNewMaster).
fn attach_to_new_master(srv: &Shared) {
    let mut st = srv.repl().state.lock();
    st.master.free_backlog();
    crate::replication::disconnect_replicas(&mut st);
}

/// Takes up the master's history at the snapshot's offset.
fn adopt(srv: &Shared, snapshot: &Snapshot<'_>) {
    let backlog = srv.settings().repl_backlog_size as usize;
    srv.repl()
        .state
        .lock()
        .master
        .adopt(snapshot.replid, snapshot.offset, backlog);
}

/// Empties the keyspace: in place, or (`replica-lazy-flush`) by swapping
/// the data out and freeing it on another thread.
fn flush(eng: &mut Engine, lazy: bool) {
    if lazy {
        let mut old = eng.empty_like();
        eng.swap_databases(&mut old);
        free_in_background(old);
    } else {
        eng.flush_all();
    }
}

/// Drops a (possibly large) dataset on a thread of its own, so freeing it
/// holds up neither the keyspace nor the event loop.
fn free_in_background(data: Engine) {
    // Should the thread not start, the closure, and the data, drop here.
    let _ = std::thread::Builder::new()
        .name("lazyfree".into())
        .spawn(move || drop(data));
}

fn log_loaded(stats: &LoadStats) {
    if let Some(ver) = stats.aux(b"redis-ver") {
        log!(
            Notice,
            "Loading RDB produced by version {}",
            String::from_utf8_lossy(ver)
        );
    }
    log!(
        Notice,
        "Done loading RDB, keys loaded: {}, keys expired: {}.",
        stats.keys_loaded,
        stats.keys_expired
    );
}
