//! One numbered database: keys to values, and keys to expiry times.

use indexmap::IndexMap;

use crate::{Str, Value};

type Map<V> = IndexMap<Str, V, foldhash::fast::RandomState>;

/// A database. Like Redis, expiry times live in a second map holding only
/// the keys that have one, so active expiry samples just those.
///
/// Entries are kept in insertion-ordered vectors (`IndexMap`): any entry can
/// be picked at random in O(1) (RANDOMKEY, expiry and eviction sampling),
/// and a descending cursor gives SCAN its guarantee (see [`Db::scan`]).
#[derive(Default, Clone)]
pub struct Db {
    entries: Map<Value>,
    expires: Map<i64>,
}

impl Db {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of keys with an expiry time.
    pub fn volatile_len(&self) -> usize {
        self.expires.len()
    }

    /// The value, ignoring expiry (callers handle it, see `Ctx::lookup`).
    pub fn get(&self, key: &[u8]) -> Option<&Value> {
        self.entries.get(key)
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Value> {
        self.entries.get_mut(key)
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.entries.contains_key(key)
    }

    /// Expiry time in Unix milliseconds.
    pub fn expire_at(&self, key: &[u8]) -> Option<i64> {
        if self.expires.is_empty() {
            return None;
        }
        self.expires.get(key).copied()
    }

    /// Whether `key` has an expiry time at or before `now`.
    pub fn is_expired(&self, key: &[u8], now: i64) -> bool {
        self.expire_at(key).is_some_and(|at| at <= now)
    }

    /// Inserts or overwrites; the old expiry time is dropped unless
    /// `keep_ttl`. Returns the previous value.
    pub fn set(&mut self, key: &[u8], value: Value, keep_ttl: bool) -> Option<Value> {
        if !keep_ttl && !self.expires.is_empty() {
            self.expires.swap_remove(key);
        }
        match self.entries.get_mut(key) {
            Some(slot) => Some(std::mem::replace(slot, value)),
            None => {
                self.entries.insert(Str::new(key), value);
                None
            }
        }
    }

    /// Removes a key and its expiry time.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        let old = self.entries.swap_remove(key)?;
        if !self.expires.is_empty() {
            self.expires.swap_remove(key);
        }
        Some(old)
    }

    /// Sets the expiry time of an existing key. Returns false if absent.
    pub fn set_expire(&mut self, key: &[u8], at: i64) -> bool {
        let Some((_, k, _)) = self.entries.get_full(key) else {
            return false;
        };
        match self.expires.get_mut(key) {
            Some(t) => *t = at,
            None => {
                self.expires.insert(k.clone(), at);
            }
        }
        true
    }

    /// Removes the expiry time. Returns whether there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        self.expires.swap_remove(key).is_some()
    }

    pub fn clear(&mut self) {
        *self = Db::default();
    }

    /// The key at a position in `0..len()`.
    pub fn key_at(&self, index: usize) -> Option<&Str> {
        self.entries.get_index(index).map(|(k, _)| k)
    }

    /// The volatile key and its expiry time at a position in `0..volatile_len()`.
    pub fn volatile_at(&self, index: usize) -> Option<(&Str, i64)> {
        self.expires.get_index(index).map(|(k, t)| (k, *t))
    }

    /// Visits keys for SCAN and returns the next cursor (0 when done).
    ///
    /// The cursor counts the positions not yet visited, and positions are
    /// visited from the end down. Removal moves the last entry into the hole:
    /// the moved entry came from an already visited position, so at worst it
    /// is returned twice, never missed. New keys are appended above the
    /// cursor and are not needed by the guarantee.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&Str, &Value)) -> u64 {
        let len = self.entries.len() as u64;
        let mut pos = if cursor == 0 { len } else { cursor.min(len) };
        let mut budget = count.max(1);
        while pos > 0 && budget > 0 {
            pos -= 1;
            budget -= 1;
            let (k, v) = self.entries.get_index(pos as usize).expect("in range");
            visit(k, v);
        }
        pos
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Str, &Value)> {
        self.entries.iter()
    }

    /// Approximate heap bytes used by the tables themselves.
    pub fn table_overhead(&self) -> usize {
        let entry = std::mem::size_of::<(u64, Str, Value)>() + std::mem::size_of::<usize>() + 1;
        let expire = std::mem::size_of::<(u64, Str, i64)>() + std::mem::size_of::<usize>() + 1;
        self.entries.capacity() * entry + self.expires.capacity() * expire
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_survives_removals_and_growth() {
        let mut db = Db::default();
        for i in 0..1000 {
            db.set(format!("k{i}").as_bytes(), Value::Int(i), false);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            cursor = db.scan(cursor, 10, |k, _| {
                seen.insert(k.to_vec());
            });
            // Churn: remove some keys that were never "present for the whole
            // scan" candidates and add new ones.
            round += 1;
            db.remove(format!("k{}", round * 7 % 1000).as_bytes());
            db.set(format!("new{round}").as_bytes(), Value::Int(0), false);
            if cursor == 0 {
                break;
            }
        }
        for i in 0..1000 {
            let key = format!("k{i}");
            if db.contains(key.as_bytes()) {
                assert!(seen.contains(key.as_bytes()), "missed {key}");
            }
        }
    }

    #[test]
    fn expiry_bookkeeping() {
        let mut db = Db::default();
        db.set(b"a", Value::Int(1), false);
        assert!(db.set_expire(b"a", 100));
        assert!(!db.set_expire(b"missing", 100));
        assert!(db.is_expired(b"a", 100));
        assert!(!db.is_expired(b"a", 99));
        db.set(b"a", Value::Int(2), true);
        assert_eq!(db.expire_at(b"a"), Some(100));
        db.set(b"a", Value::Int(3), false);
        assert_eq!(db.expire_at(b"a"), None);
        db.set_expire(b"a", 5);
        db.remove(b"a");
        assert_eq!(db.volatile_len(), 0);
    }
}
