//! What the server keeps about RDB snapshots: INFO persistence's figures
//! and the numbering that orders snapshots. Taking and writing them is
//! [`crate::persistence`].

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::Mutex;

use crate::time::unix_secs;

/// What INFO persistence reports.
#[derive(Debug)]
pub struct Status {
    pub dirty_at_last_save: u64,
    pub last_save: u64,
    pub last_bgsave_ok: bool,
    pub last_bgsave_secs: i64,
    pub bgsave_started: Option<Instant>,
    /// The running BGSAVE's snapshot number and temp file.
    pub bgsave_temp: Option<(u64, PathBuf)>,
    /// A BGSAVE asked for inside EXEC, for the cron to start.
    pub bgsave_scheduled: bool,
    pub last_bgsave_try: u64,
    pub saves: u64,
    pub loaded_keys: u64,
    pub expired_on_load: u64,
    /// Bytes the last BGSAVE's snapshot had copied (`rdb_last_cow_size`).
    pub last_cow_size: u64,
    /// The copied-bytes counter when the running BGSAVE froze the keyspace
    /// (`current_cow_size` is what was copied since).
    pub cow_base: Option<u64>,
}

impl Default for Status {
    fn default() -> Self {
        Status {
            dirty_at_last_save: 0,
            last_save: unix_secs(),
            last_bgsave_ok: true,
            last_bgsave_secs: -1,
            bgsave_started: None,
            bgsave_temp: None,
            bgsave_scheduled: false,
            last_bgsave_try: 0,
            saves: 0,
            loaded_keys: 0,
            expired_on_load: 0,
            last_cow_size: 0,
            cow_base: None,
        }
    }
}

#[derive(Default)]
pub struct Persistence {
    pub status: Mutex<Status>,
    /// Mirrors `!status.last_bgsave_ok`, read on every write command.
    pub failed: AtomicBool,
    /// Number of the last snapshot taken (under the keyspace lock, so the
    /// numbers follow the data's order).
    pub taken: AtomicU64,
    /// Number of the snapshot the dump holds; held across each rename.
    pub landed: Mutex<u64>,
    /// Number of a BGSAVE given up at shutdown: its end is not reported.
    pub abandoned: AtomicU64,
}

impl Persistence {
    pub fn record(&self, st: &mut Status, ok: bool) {
        st.last_bgsave_ok = ok;
        self.failed.store(!ok, Ordering::Relaxed);
    }

    /// Numbers a snapshot just taken; call with the keyspace still locked.
    pub fn next_generation(&self) -> u64 {
        self.taken.fetch_add(1, Ordering::Relaxed) + 1
    }
}
