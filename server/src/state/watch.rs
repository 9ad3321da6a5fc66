//! WATCH: which client watches which key, and flagging their transactions
//! when a command, expiry or eviction touches one (Redis's
//! `touchWatchedKey`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use engine::Engine;
use parking_lot::Mutex;

/// A session's watched keys.
#[derive(Default)]
pub struct Watch {
    /// (db, key, was it already expired when watched)
    keys: Vec<(usize, Bytes, bool)>,
    /// Set by any client's write to a watched key.
    touched: Arc<AtomicBool>,
}

impl Watch {
    pub fn is_active(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Whether a watched key changed, or expired since WATCH, so EXEC must
    /// fail.
    pub fn broken(&self, eng: &mut Engine, now: i64) -> bool {
        self.touched.load(Ordering::SeqCst)
            || self
                .keys
                .iter()
                .any(|(db, key, expired_then)| !expired_then && eng.db(*db).is_expired(key, now))
    }
}

/// A watched key: database and name.
type WatchedKey = (usize, Bytes);

/// Who watches which key, so a write can flag their transactions.
#[derive(Default)]
pub struct Watchers {
    map: Mutex<HashMap<WatchedKey, Vec<Arc<AtomicBool>>>>,
}

impl Watchers {
    /// WATCH `keys` of `db` for the session owning `watch`.
    pub fn watch(&self, watch: &mut Watch, eng: &mut Engine, db: usize, keys: &[Bytes], now: i64) {
        eng.track_touched(true);
        let mut map = self.map.lock();
        for key in keys {
            if watch.keys.iter().any(|(d, k, _)| *d == db && k == key) {
                continue;
            }
            let expired = eng.db(db).is_expired(key, now);
            watch.keys.push((db, key.clone(), expired));
            map.entry((db, key.clone()))
                .or_default()
                .push(watch.touched.clone());
        }
    }

    /// Forgets every key `watch` holds (UNWATCH, EXEC, DISCARD, a closing
    /// client).
    pub fn unwatch_all(&self, watch: &mut Watch, eng: &mut Engine) {
        let keys = std::mem::take(&mut watch.keys);
        if keys.is_empty() {
            return;
        }
        let mut map = self.map.lock();
        for (db, key, _) in keys {
            if let Some(flags) = map.get_mut(&(db, key.clone())) {
                flags.retain(|f| !Arc::ptr_eq(f, &watch.touched));
                if flags.is_empty() {
                    map.remove(&(db, key));
                }
            }
        }
        if map.is_empty() {
            eng.track_touched(false);
        }
        watch.touched = Arc::default();
    }

    /// Flags the transactions of clients watching keys the engine recorded
    /// as touched since the last call.
    pub fn invalidate(&self, eng: &mut Engine) {
        let touched = eng.take_touched();
        if touched.is_empty() {
            return;
        }
        let map = self.map.lock();
        for key in &touched.keys {
            for flag in map.get(key).into_iter().flatten() {
                flag.store(true, Ordering::SeqCst);
            }
        }
        for db in touched.dbs {
            for ((d, _), flags) in map.iter() {
                if *d == db {
                    flags.iter().for_each(|f| f.store(true, Ordering::SeqCst));
                }
            }
        }
    }
}
