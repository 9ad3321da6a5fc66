//! WATCH: which client watches which key, and flagging their transactions
//! when a command, expiry, eviction, flush or swap touches one (Redis's
//! `touchWatchedKey` and `touchAllWatchedKeysInDb`).
//!
//! A key already logically expired when watched is "stale": its deletion
//! (lazily, by DEL, by a flush) changes nothing a client could see, so it
//! does not fail EXEC, as in Redis 7.0.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use engine::{Engine, Replaced};
use parking_lot::Mutex;

/// One client's watch of one key.
struct Entry {
    /// The key was logically expired when watched, and still is (Redis's
    /// `watchedKey.expired`).
    expired: AtomicBool,
    /// The watching session's flag: its EXEC must fail.
    dirty: Arc<AtomicBool>,
}

impl Entry {
    /// Redis's `touchWatchedKey` for one watcher; `exists` says whether
    /// the key is in its database after the change.
    fn touch(&self, exists: bool) {
        if self.expired.load(Ordering::SeqCst) && !exists {
            // The stale key is now deleted: no logical change.
            self.expired.store(false, Ordering::SeqCst);
            return;
        }
        self.dirty.store(true, Ordering::SeqCst);
    }

    /// Redis's `touchAllWatchedKeysInDb` for one watcher.
    fn replace(&self, r: &Replaced) {
        if self.expired.load(Ordering::SeqCst) {
            match r.incoming {
                // Deleted (flushed, or swapped for nothing): no change.
                None => {
                    self.expired.store(false, Ordering::SeqCst);
                    return;
                }
                // Stale before and stale after.
                Some(true) => return,
                Some(false) => {}
            }
        } else if !r.existed && r.incoming == Some(true) {
            // A missing key replaced with a stale one.
            self.expired.store(true, Ordering::SeqCst);
            return;
        }
        self.dirty.store(true, Ordering::SeqCst);
    }
}

/// A session's watched keys.
#[derive(Default)]
pub struct Watch {
    keys: Vec<(usize, Bytes, Arc<Entry>)>,
    /// Set by any client's write to a watched key.
    touched: Arc<AtomicBool>,
}

impl Watch {
    /// No keys watched yet; `touched` is the flag to raise when one is
    /// touched (the client's, which CLIENT LIST shows).
    pub fn new(touched: Arc<AtomicBool>) -> Watch {
        touched.store(false, Ordering::SeqCst);
        Watch {
            keys: Vec::new(),
            touched,
        }
    }

    pub fn is_active(&self) -> bool {
        !self.keys.is_empty()
    }

    /// A watched key was touched (CLIENT LIST's `d` flag).
    pub fn is_dirty(&self) -> bool {
        self.touched.load(Ordering::SeqCst)
    }

    /// Whether a watched key changed, or expired since WATCH, so EXEC must
    /// fail.
    pub fn broken(&self, eng: &mut Engine, now: i64) -> bool {
        self.is_dirty()
            || self.keys.iter().any(|(db, key, entry)| {
                !entry.expired.load(Ordering::SeqCst) && eng.db(*db).is_expired(key, now)
            })
    }
}

/// A watched key: database and name.
type WatchedKey = (usize, Bytes);

/// Who watches which key, so a write can flag their transactions.
#[derive(Default)]
pub struct Watchers {
    map: Mutex<HashMap<WatchedKey, Vec<Arc<Entry>>>>,
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
            let entry = Arc::new(Entry {
                expired: AtomicBool::new(eng.db(db).is_expired(key, now)),
                dirty: watch.touched.clone(),
            });
            eng.watch_key(db, key);
            watch.keys.push((db, key.clone(), entry.clone()));
            map.entry((db, key.clone())).or_default().push(entry);
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
        for (db, key, entry) in keys {
            eng.unwatch_key(db, &key);
            let k = (db, key);
            if let Some(entries) = map.get_mut(&k) {
                entries.retain(|e| !Arc::ptr_eq(e, &entry));
                if entries.is_empty() {
                    map.remove(&k);
                }
            }
        }
        if map.is_empty() {
            eng.track_touched(false);
        }
        // No entry refers to the flag any more: it can be reused.
        watch.touched.store(false, Ordering::SeqCst);
    }

    /// Flags the transactions of clients watching keys the engine recorded
    /// as touched since the last call.
    pub fn invalidate(&self, eng: &mut Engine) {
        let touched = eng.take_touched();
        if touched.is_empty() {
            return;
        }
        let map = self.map.lock();
        for (db, key) in touched.keys {
            let exists = eng.db(db).contains(&key);
            for entry in map.get(&(db, key)).into_iter().flatten() {
                entry.touch(exists);
            }
        }
        for r in &touched.replaced {
            for entry in map.get(&(r.db, r.key.clone())).into_iter().flatten() {
                entry.replace(r);
            }
        }
    }
}
