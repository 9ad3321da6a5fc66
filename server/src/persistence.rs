//! RDB snapshots on disk: SAVE, BGSAVE, save points, loading at start-up.
//!
//! A snapshot is frozen under the keyspace lock ([`engine::Snapshot`]:
//! one pointer copy per 4096 keys, the keyspace's chunks then copied on
//! first write), which makes it point-in-time without fork; a background
//! thread then serializes it straight into a temporary file, fsyncs it and
//! renames it over `dbfilename`, so a crash never leaves a partial dump.
//! Memory cost is the chunks writes copy meanwhile (reported as Redis
//! reports its child's copy-on-write), plus a 64 KiB write buffer.
//!
//! Snapshots are numbered as they are taken and only a newer one may
//! replace the dump: a BGSAVE still writing when SHUTDOWN saves must not
//! put its older data back over the final save, nor share its temp file.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::rdb::{AuxFields, ReplInfo, WriteOptions};
use engine::{Engine, Snapshot};

use crate::log::log;
use crate::state::persistence::Persistence;
use crate::state::Shared;
use crate::time::unix_secs;

/// A snapshot ready to be written: the keyspace, its number and how slowly
/// to write it.
struct Pending {
    frozen: Frozen,
    generation: u64,
    delay: Duration,
}

/// The keyspace frozen at one point, with what its RDB file says about
/// the moment (AUX fields) and how to encode it.
pub struct Frozen {
    snapshot: Snapshot,
    opts: WriteOptions,
    ctime: i64,
    used_mem: u64,
    /// Replication id, offset and stream db.
    repl: Option<(String, i64, usize)>,
    /// `snapshot::copied_bytes()` when frozen.
    copied_before: u64,
}

impl Frozen {
    /// Keys in the snapshot.
    pub fn keys(&self) -> usize {
        self.snapshot.keys()
    }

    /// Serializes the snapshot as RDB into `out` (buffered by the writer),
    /// spreading `delay` over the keys (`rdb-key-save-delay`).
    pub fn write<W: std::io::Write>(&self, out: W, delay: Duration) -> Result<W, String> {
        let aux = AuxFields {
            redis_ver: crate::REDIS_VERSION,
            ctime: self.ctime,
            used_mem: self.used_mem,
            repl: self.repl.as_ref().map(|(id, offset, db)| ReplInfo {
                stream_db: *db as u32,
                id,
                offset: *offset,
            }),
            aof_base: false,
        };
        let mut pace = Pace::new(delay, self.keys());
        self.snapshot
            .write_rdb(out, &self.opts, &aux, || pace.key())
            .map_err(|e| e.to_string())
    }

    /// What writes copied since the snapshot was frozen (its copy-on-write).
    pub fn cow_bytes(&self) -> u64 {
        engine::snapshot::copied_bytes().saturating_sub(self.copied_before)
    }
}

/// Sleeps a total of `delay` over `keys` keys, in steps of at least a
/// millisecond (a sleep per key would oversleep by the timer's slack).
struct Pace {
    per_key: Duration,
    owed: Duration,
}

impl Pace {
    fn new(delay: Duration, keys: usize) -> Pace {
        let per_key = Duration::from_nanos((delay.as_nanos() / keys.max(1) as u128) as u64);
        Pace {
            per_key,
            owed: Duration::ZERO,
        }
    }

    fn key(&mut self) {
        if self.per_key.is_zero() {
            return;
        }
        self.owed += self.per_key;
        if self.owed >= Duration::from_millis(1) {
            std::thread::sleep(self.owed);
            self.owed = Duration::ZERO;
        }
    }
}

/// What became of a write.
#[derive(Debug, PartialEq, Eq)]
enum Written {
    /// The dump now holds this snapshot.
    Landed,
    /// A newer snapshot reached the dump first; this one was dropped.
    Superseded,
}

/// Where the dump lives.
fn dump_path(srv: &Shared) -> PathBuf {
    let cfg = srv.config().read();
    let s = cfg.settings();
    Path::new(&s.dir).join(&s.dbfilename)
}

/// Freezes the whole keyspace for writing as RDB; the caller holds the
/// engine. `repl` adds the replication aux fields (id and offset) so a
/// restarted server can resume partially.
pub fn freeze(srv: &Shared, eng: &Engine, repl: Option<(String, i64, usize)>) -> Frozen {
    Frozen {
        copied_before: engine::snapshot::copied_bytes(),
        snapshot: eng.snapshot(),
        opts: eng.rdb_options(srv.settings().rdbchecksum),
        ctime: unix_secs() as i64,
        used_mem: memstats::snapshot().used_memory(),
        repl,
    }
}

/// `rdb-key-save-delay`: microseconds a save spends per key (a negative
/// -N: one microsecond for every N keys). Redis's tests use it to make a
/// save slow enough to interrupt; 0 in production.
pub fn key_save_delay(srv: &Shared, keys: usize) -> Duration {
    let per_key = i64::from(srv.config().read().settings().rdb_key_save_delay);
    let keys = keys as u64;
    match per_key {
        0 => Duration::ZERO,
        d if d > 0 => Duration::from_micros(keys.saturating_mul(d as u64)),
        d => Duration::from_micros(keys / d.unsigned_abs()),
    }
}

/// Takes a numbered snapshot; the caller holds the keyspace.
fn take(srv: &Arc<Shared>, eng: &Engine) -> Pending {
    Pending {
        frozen: freeze(srv, eng, Some(srv.repl().aux())),
        generation: srv.persistence().next_generation(),
        delay: key_save_delay(srv, eng.total_keys()),
    }
}

/// Writes a snapshot to `path` atomically: its own temp file, fsync, then
/// (unless a newer snapshot already landed) rename and fsync of the dir.
fn write_atomically(
    persistence: &Persistence,
    path: &Path,
    pending: &Pending,
) -> std::io::Result<Written> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = temp_path(path, pending.generation);
    let result = (|| {
        let f = std::fs::File::create(&tmp).map_err(|e| {
            let at = dir.display();
            std::io::Error::new(
                e.kind(),
                format!(
                    "Failed opening the temp RDB file {} (in server root dir {at}) for saving: {e}",
                    tmp.display()
                ),
            )
        })?;
        let f = pending
            .frozen
            .write(f, pending.delay)
            .map_err(std::io::Error::other)?;
        f.sync_all()?;
        let mut landed = persistence.landed.lock();
        if *landed > pending.generation {
            std::fs::remove_file(&tmp)?;
            return Ok(Written::Superseded);
        }
        std::fs::rename(&tmp, path)?;
        *landed = pending.generation;
        std::fs::File::open(dir)?.sync_all()?;
        Ok(Written::Landed)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Puts a complete RDB file received from elsewhere (a master's full sync)
/// in place as the dump: renamed over `dir/dbfilename` and counted as the
/// newest snapshot, so a BGSAVE still writing older data no longer replaces
/// it. Call with the keyspace locked (snapshots are numbered under it).
/// Returns the dump's path.
pub fn install_received(srv: &Shared, received: &Path) -> std::io::Result<PathBuf> {
    let path = dump_path(srv);
    let generation = srv.persistence().next_generation();
    let mut landed = srv.persistence().landed.lock();
    std::fs::rename(received, &path)?;
    *landed = generation;
    std::fs::File::open(path.parent().unwrap_or(Path::new(".")))?.sync_all()?;
    Ok(path)
}

/// Where a full sync to replica `id` serializes the RDB it sends with a
/// length (Redis writes the dump itself; this one is never renamed).
pub fn sync_temp_path(srv: &Shared, id: u64) -> PathBuf {
    let dump = dump_path(srv);
    let dir = dump.parent().unwrap_or(Path::new("."));
    dir.join(format!("temp-sync-{}-{id}.rdb", std::process::id()))
}

/// Each snapshot's own temp file next to the dump (Redis: temp-<pid>.rdb).
fn temp_path(dump: &Path, generation: u64) -> PathBuf {
    let dir = dump.parent().unwrap_or(Path::new("."));
    dir.join(format!("temp-{}-{generation}.rdb", std::process::id()))
}

/// SAVE: snapshot and write in the foreground.
pub fn save(srv: &Arc<Shared>, eng: &Engine) -> Result<(), String> {
    let pending = take(srv, eng);
    match write_atomically(srv.persistence(), &dump_path(srv), &pending) {
        Ok(_) => {
            log!(Notice, "DB saved on disk");
            let mut st = srv.persistence().status.lock();
            st.dirty_at_last_save = eng.dirty();
            st.last_save = unix_secs();
            srv.persistence().record(&mut st, true);
            st.saves += 1;
            Ok(())
        }
        Err(e) => {
            log!(Warning, "Error saving DB on disk: {e}");
            Err(format!("Error saving DB on disk: {e}"))
        }
    }
}

/// BGSAVE: snapshot now, write on a background thread. Errors if a save
/// is already running.
pub fn bgsave(srv: &Arc<Shared>, eng: &Engine) -> Result<(), String> {
    {
        let mut st = srv.persistence().status.lock();
        if st.bgsave_started.is_some() {
            return Err("Background save already in progress".into());
        }
        st.bgsave_started = Some(Instant::now());
        st.last_bgsave_try = unix_secs();
    }
    let pending = take(srv, eng);
    let dirty = eng.dirty();
    let path = dump_path(srv);
    let generation = pending.generation;
    {
        let mut st = srv.persistence().status.lock();
        st.bgsave_temp = Some((generation, temp_path(&path, generation)));
        st.cow_base = Some(pending.frozen.copied_before);
    }
    let srv = srv.clone();
    log!(Notice, "Background saving started");
    std::thread::spawn(move || {
        let result = write_atomically(srv.persistence(), &path, &pending);
        let cow = pending.frozen.cow_bytes();
        // Frees the chunks writes replaced, here rather than under a lock.
        drop(pending);
        let mut st = srv.persistence().status.lock();
        st.last_cow_size = cow;
        st.cow_base = None;
        let started = st.bgsave_started.take();
        st.bgsave_temp = None;
        st.last_bgsave_secs = started.map_or(-1, |s| s.elapsed().as_secs() as i64);
        let abandoned = srv.persistence().abandoned.load(Ordering::Relaxed) == generation;
        match result {
            Err(_) if abandoned => log!(Notice, "Background saving given up"),
            Ok(Written::Landed) => {
                log!(Notice, "DB saved on disk");
                log!(Notice, "Background saving terminated with success");
                st.dirty_at_last_save = st.dirty_at_last_save.max(dirty);
                st.last_save = unix_secs();
                srv.persistence().record(&mut st, true);
                st.saves += 1;
            }
            Ok(Written::Superseded) => {
                log!(
                    Notice,
                    "Background saving dropped: a newer save reached the disk first"
                );
                srv.persistence().record(&mut st, true);
            }
            Err(e) => {
                log!(Warning, "Write error saving DB on disk: {e}");
                log!(Warning, "Background saving error");
                srv.persistence().record(&mut st, false);
            }
        }
    });
    Ok(())
}

/// At shutdown, before the final save: gives up a running BGSAVE and
/// removes its temp file, as Redis kills its saving child.
pub fn abandon_bgsave(srv: &Shared) {
    let st = srv.persistence().status.lock();
    if let Some((generation, tmp)) = &st.bgsave_temp {
        log!(
            Warning,
            "There is a background save in progress. Dropping it!"
        );
        srv.persistence()
            .abandoned
            .store(*generation, Ordering::Relaxed);
        let _ = std::fs::remove_file(tmp);
    }
}

/// BGSAVE inside EXEC: the cron starts it once the transaction is over.
pub fn schedule_bgsave(srv: &Shared) {
    srv.persistence().status.lock().bgsave_scheduled = true;
}

/// Called by the cron: starts a scheduled BGSAVE, or one when a `save`
/// point is reached.
pub fn check_save_points(srv: &Arc<Shared>) {
    let points = srv.settings().save.clone();
    if points.is_empty() && !srv.persistence().status.lock().bgsave_scheduled {
        return;
    }
    let eng = srv.engine().lock();
    let now = unix_secs();
    let (changes, since, ok, last_try, running, scheduled) = {
        let st = srv.persistence().status.lock();
        (
            eng.dirty() - st.dirty_at_last_save.min(eng.dirty()),
            now.saturating_sub(st.last_save),
            st.last_bgsave_ok,
            st.last_bgsave_try,
            st.bgsave_started.is_some(),
            st.bgsave_scheduled,
        )
    };
    // After a failure Redis retries only once 5 seconds have passed.
    if running || (!ok && now.saturating_sub(last_try) <= 5) {
        return;
    }
    if scheduled {
        match bgsave(srv, &eng) {
            Ok(()) => srv.persistence().status.lock().bgsave_scheduled = false,
            Err(e) => log!(Warning, "{e}"),
        }
        return;
    }
    // As in Redis, a point fires once strictly more seconds have passed.
    if let Some((secs, n)) = points
        .iter()
        .map(|p| (p.seconds, p.min_changes()))
        .find(|&(secs, n)| changes >= n && since > secs)
    {
        log!(Notice, "{n} changes in {secs} seconds. Saving...");
        if let Err(e) = bgsave(srv, &eng) {
            log!(Warning, "{e}");
        }
    }
}

/// Whether writes must be refused (`stop-writes-on-bgsave-error`).
pub fn writes_refused(srv: &Shared) -> bool {
    if !srv.persistence().failed.load(Ordering::Relaxed) {
        return false;
    }
    let cfg = srv.config().read();
    let s = cfg.settings();
    s.stop_writes_on_bgsave_error
        && !s.save.is_empty()
        && !srv.persistence().status.lock().last_bgsave_ok
}

/// DEBUG RELOAD after its save: empties the keyspace (when `flush`) and
/// loads `dir/dbfilename`, replacing keys already present when `merge` (a
/// duplicate is an error otherwise). As in Redis, neither counts as a
/// change since the last save.
pub fn reload(srv: &Shared, eng: &mut Engine, flush: bool, merge: bool) -> Result<(), String> {
    let dirty = eng.dirty();
    if flush {
        eng.flush_all();
    }
    let file = std::fs::File::open(dump_path(srv)).map_err(|e| e.to_string())?;
    let input = std::io::BufReader::with_capacity(1 << 16, file);
    let now = crate::time::unix_ms();
    let stats = if merge {
        eng.load_rdb_merging(input, now)
    } else {
        eng.load_rdb(input, now, false)
    }
    .map_err(|e| e.to_string())?;
    let mut st = srv.persistence().status.lock();
    st.loaded_keys = stats.keys_loaded;
    st.expired_on_load = stats.keys_expired;
    st.dirty_at_last_save += eng.dirty() - dirty;
    Ok(())
}

/// Loads `dir/dbfilename` at start-up, if present. An unreadable or corrupt
/// file stops the server (the file is left as it is).
pub fn load_at_startup(srv: &Arc<Shared>) -> anyhow::Result<()> {
    let path = dump_path(srv);
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => anyhow::bail!("Fatal error loading the DB: {e}. Exiting."),
    };
    let started = Instant::now();
    let mut eng = srv.engine().lock();
    let stats = eng
        .load_rdb(
            std::io::BufReader::with_capacity(1 << 16, file),
            crate::time::unix_ms(),
            false,
        )
        .map_err(|e| {
            anyhow::anyhow!(
                "Internal error in RDB reading file {}: {e}. Unrecoverable error, aborting now.",
                path.display()
            )
        })?;
    if let Some(ver) = stats.aux(b"redis-ver") {
        log!(
            Notice,
            "Loading RDB produced by version {}",
            String::from_utf8_lossy(ver)
        );
    }
    let backlog_size = srv.settings().repl_backlog_size as usize;
    if srv.repl().restore_from_aux(&stats, backlog_size) {
        eng.set_recording(true);
    }
    log!(
        Notice,
        "Done loading RDB, keys loaded: {}, keys expired: {}.",
        stats.keys_loaded,
        stats.keys_expired
    );
    log!(
        Notice,
        "DB loaded from disk: {:.3} seconds",
        started.elapsed().as_secs_f64()
    );
    let mut st = srv.persistence().status.lock();
    st.loaded_keys = stats.keys_loaded;
    st.expired_on_load = stats.keys_expired;
    st.dirty_at_last_save = eng.dirty();
    Ok(())
}
