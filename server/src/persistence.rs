//! RDB snapshots on disk: SAVE, BGSAVE, save points, loading at start-up.
//!
//! A snapshot is serialized under the keyspace lock into memory (about
//! 30 ms per million small keys), which makes it point-in-time without
//! fork; a background thread then writes it to a temporary file, fsyncs it
//! and renames it over `dbfilename`, so a crash never leaves a partial dump.
//! Memory cost is the size of the RDB, not a copy of the dataset.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use engine::rdb::{AuxFields, ReplInfo, WriteOptions};
use engine::Engine;
use parking_lot::Mutex;

use crate::log::log;
use crate::state::{unix_secs, Shared};

/// What INFO persistence reports.
#[derive(Debug)]
pub struct Status {
    pub dirty_at_last_save: u64,
    pub last_save: u64,
    pub last_bgsave_ok: bool,
    pub last_bgsave_secs: i64,
    pub bgsave_started: Option<Instant>,
    pub last_bgsave_try: u64,
    pub saves: u64,
    pub loaded_keys: u64,
    pub expired_on_load: u64,
}

impl Default for Status {
    fn default() -> Self {
        Status {
            dirty_at_last_save: 0,
            last_save: unix_secs(),
            last_bgsave_ok: true,
            last_bgsave_secs: -1,
            bgsave_started: None,
            last_bgsave_try: 0,
            saves: 0,
            loaded_keys: 0,
            expired_on_load: 0,
        }
    }
}

#[derive(Default)]
pub struct Persistence {
    pub status: Mutex<Status>,
    /// Mirrors `!status.last_bgsave_ok`, read on every write command.
    failed: AtomicBool,
}

impl Persistence {
    fn record(&self, st: &mut Status, ok: bool) {
        st.last_bgsave_ok = ok;
        self.failed.store(!ok, Ordering::Relaxed);
    }
}

/// Where the dump lives.
fn dump_path(srv: &Shared) -> PathBuf {
    let cfg = srv.config.read();
    let s = cfg.settings();
    Path::new(&s.dir).join(&s.dbfilename)
}

fn write_options(srv: &Shared) -> WriteOptions {
    let cfg = srv.config.read();
    let s = cfg.settings();
    WriteOptions {
        compression: s.rdbcompression,
        checksum: s.rdbchecksum,
        ..WriteOptions::default()
    }
}

/// Serializes the whole keyspace as RDB. `repl` adds the replication aux
/// fields (id and offset) so a restarted server can resume partially.
pub fn snapshot(
    srv: &Shared,
    eng: &Engine,
    repl: Option<(String, i64)>,
) -> Result<Vec<u8>, String> {
    let opts = write_options(srv);
    let aux = AuxFields {
        redis_ver: crate::REDIS_VERSION,
        ctime: unix_secs() as i64,
        used_mem: memstats::snapshot().used_memory(),
        repl: repl.as_ref().map(|(id, offset)| ReplInfo {
            stream_db: 0,
            id,
            offset: *offset,
        }),
        aof_base: false,
    };
    eng.save_rdb(Vec::with_capacity(1 << 20), &opts, &aux)
        .map_err(|e| e.to_string())
}

/// Writes `bytes` to `path` atomically: temp file, fsync, rename, fsync dir.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!("temp-{}.rdb", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// SAVE: snapshot and write in the foreground.
pub fn save(srv: &Arc<Shared>, eng: &Engine) -> Result<(), String> {
    let bytes = snapshot(srv, eng, crate::replication::aux(srv))?;
    let path = dump_path(srv);
    match write_atomically(&path, &bytes) {
        Ok(()) => {
            log!(Notice, "DB saved on disk");
            let mut st = srv.persistence.status.lock();
            st.dirty_at_last_save = eng.dirty();
            st.last_save = unix_secs();
            srv.persistence.record(&mut st, true);
            st.saves += 1;
            Ok(())
        }
        Err(e) => {
            log!(Warning, "Failed opening the temp RDB file temp-{}.rdb (in server root dir {}) for saving: {e}", std::process::id(), path.parent().unwrap_or(Path::new(".")).display());
            Err(format!("Error saving DB on disk: {e}"))
        }
    }
}

/// BGSAVE: snapshot now, write on a background thread. Errors if a save
/// is already running.
pub fn bgsave(srv: &Arc<Shared>, eng: &Engine) -> Result<(), String> {
    {
        let mut st = srv.persistence.status.lock();
        if st.bgsave_started.is_some() {
            return Err("Background save already in progress".into());
        }
        st.bgsave_started = Some(Instant::now());
        st.last_bgsave_try = unix_secs();
    }
    let bytes = match snapshot(srv, eng, crate::replication::aux(srv)) {
        Ok(b) => b,
        Err(e) => {
            srv.persistence.status.lock().bgsave_started = None;
            return Err(e);
        }
    };
    let dirty = eng.dirty();
    let path = dump_path(srv);
    let srv = srv.clone();
    log!(Notice, "Background saving started");
    std::thread::spawn(move || {
        let result = write_atomically(&path, &bytes);
        let mut st = srv.persistence.status.lock();
        let started = st.bgsave_started.take();
        st.last_bgsave_secs = started.map_or(-1, |s| s.elapsed().as_secs() as i64);
        match result {
            Ok(()) => {
                log!(Notice, "DB saved on disk");
                log!(Notice, "Background saving terminated with success");
                st.dirty_at_last_save = dirty;
                st.last_save = unix_secs();
                srv.persistence.record(&mut st, true);
                st.saves += 1;
            }
            Err(e) => {
                log!(Warning, "Write error saving DB on disk: {e}");
                log!(Warning, "Background saving error");
                srv.persistence.record(&mut st, false);
            }
        }
    });
    Ok(())
}

/// Called by the cron: starts a BGSAVE when a `save` point is reached.
pub fn check_save_points(srv: &Arc<Shared>) {
    let points = srv.config.read().settings().save.clone();
    if points.is_empty() {
        return;
    }
    let eng = srv.engine.lock();
    let now = unix_secs();
    let (changes, since, ok, last_try, running) = {
        let st = srv.persistence.status.lock();
        (
            eng.dirty() - st.dirty_at_last_save.min(eng.dirty()),
            now.saturating_sub(st.last_save),
            st.last_bgsave_ok,
            st.last_bgsave_try,
            st.bgsave_started.is_some(),
        )
    };
    // After a failure Redis retries no sooner than 5 seconds later.
    if running || (!ok && now.saturating_sub(last_try) < 5) {
        return;
    }
    if let Some((secs, n)) = points
        .iter()
        .find(|(secs, n)| changes >= *n && since >= *secs)
    {
        log!(Notice, "{n} changes in {secs} seconds. Saving...");
        if let Err(e) = bgsave(srv, &eng) {
            log!(Warning, "{e}");
        }
    }
}

/// Whether writes must be refused (`stop-writes-on-bgsave-error`).
pub fn writes_refused(srv: &Shared) -> bool {
    if !srv.persistence.failed.load(Ordering::Relaxed) {
        return false;
    }
    let cfg = srv.config.read();
    let s = cfg.settings();
    s.stop_writes_on_bgsave_error
        && !s.save.is_empty()
        && !srv.persistence.status.lock().last_bgsave_ok
}

/// Loads `dir/dbfilename` into `eng` (DEBUG RELOAD).
pub fn load_into(srv: &Shared, eng: &mut Engine) -> Result<(), String> {
    let file = std::fs::File::open(dump_path(srv)).map_err(|e| e.to_string())?;
    let stats = eng
        .load_rdb(
            std::io::BufReader::with_capacity(1 << 16, file),
            crate::state::unix_ms(),
            false,
        )
        .map_err(|e| e.to_string())?;
    let mut st = srv.persistence.status.lock();
    st.loaded_keys = stats.keys_loaded;
    st.expired_on_load = stats.keys_expired;
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
    let mut eng = srv.engine.lock();
    let stats = eng
        .load_rdb(
            std::io::BufReader::with_capacity(1 << 16, file),
            crate::state::unix_ms(),
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
    if crate::replication::restore_from_aux(srv, &stats) {
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
    let mut st = srv.persistence.status.lock();
    st.loaded_keys = stats.keys_loaded;
    st.expired_on_load = stats.keys_expired;
    st.dirty_at_last_save = eng.dirty();
    Ok(())
}
