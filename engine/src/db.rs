//! One numbered database: keys to values, and keys to expiry times.

use std::hash::BuildHasher;

use crate::access::Clock;
use crate::table::{Chunk, Slot, Table};
use crate::{Str, Value};

/// A value and its access metadata (Redis's 24-bit `lru` field, see
/// [`crate::access`]). 32 bytes, so an entry with its key is 56.
#[derive(Clone, Debug)]
struct Stored {
    value: Value,
    access: u32,
}

/// Bytes of one keyspace entry (key, value and access metadata).
pub(crate) const ENTRY_SIZE: usize = std::mem::size_of::<Slot<Stored>>();

/// A database. Like Redis, expiry times live in a second table holding only
/// the keys that have one, so active expiry samples just those.
///
/// Entries are kept in insertion order by position (see [`crate::table`]): any
/// entry can be picked at random in O(1) (RANDOMKEY, expiry and eviction
/// sampling), and a descending cursor gives SCAN its guarantee (see
/// [`Db::scan`]).
#[derive(Default, Clone)]
pub struct Db {
    entries: Table<Stored>,
    expires: Table<i64>,
    hasher: foldhash::fast::RandomState,
    /// Kept current by the engine: reads and writes touch keys with it.
    clock: Clock,
}

impl Db {
    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.len() == 0
    }

    /// Number of keys with an expiry time.
    pub fn volatile_len(&self) -> usize {
        self.expires.len()
    }

    fn position(&self, key: &[u8]) -> Option<usize> {
        self.entries.find(self.hash(key), key)
    }

    /// The value, ignoring expiry (callers handle it, see `Ctx::lookup`).
    /// Does not count as an access (Redis's `LOOKUP_NOTOUCH`).
    pub fn get(&self, key: &[u8]) -> Option<&Value> {
        let pos = self.position(key)?;
        Some(&self.entries.slot(pos).value.value)
    }

    /// The value for reading, recording the access for LRU/LFU unless a
    /// snapshot shares the entry (a read must not copy a chunk; Redis too
    /// leaves the clock alone while a child saves).
    pub fn get_touched(&mut self, key: &[u8]) -> Option<&Value> {
        let pos = self.position(key)?;
        if let Some(slot) = self.entries.slot_mut_unshared(pos) {
            self.clock.touch(&mut slot.value.access);
        }
        Some(&self.entries.slot(pos).value.value)
    }

    /// The value for writing; this counts as an access.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Value> {
        let pos = self.position(key)?;
        let slot = self.entries.slot_mut(pos);
        self.clock.touch(&mut slot.value.access);
        Some(&mut slot.value.value)
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.position(key).is_some()
    }

    /// Expiry time in Unix milliseconds.
    pub fn expire_at(&self, key: &[u8]) -> Option<i64> {
        if self.expires.len() == 0 {
            return None;
        }
        let pos = self.expires.find(self.hash(key), key)?;
        Some(self.expires.slot(pos).value)
    }

    /// Whether `key` expired: its time is before `now` (Redis: `now > when`).
    pub fn is_expired(&self, key: &[u8], now: i64) -> bool {
        self.expire_at(key).is_some_and(|at| at < now)
    }

    /// Inserts or overwrites; the old expiry time is dropped unless
    /// `keep_ttl`. Returns the previous value. Overwriting counts as an
    /// access (under LFU the key keeps its counter, as in Redis).
    pub fn set(&mut self, key: &[u8], value: Value, keep_ttl: bool) -> Option<Value> {
        let hash = self.hash(key);
        if !keep_ttl && self.expires.len() > 0 {
            let hasher = &self.hasher;
            self.expires.swap_remove(hash, key, |k| hasher.hash_one(k));
        }
        let fresh = self.clock.fresh();
        let hasher = &self.hasher;
        let mut value = Some(value);
        let (pos, inserted) = self.entries.find_or_insert(
            hash,
            key,
            || Stored {
                value: value.take().expect("taken once"),
                access: fresh,
            },
            |k| hasher.hash_one(k),
        );
        if inserted {
            return None;
        }
        let slot = self.entries.slot_mut(pos);
        self.clock.touch(&mut slot.value.access);
        Some(std::mem::replace(
            &mut slot.value.value,
            value.expect("not inserted"),
        ))
    }

    /// Removes a key and its expiry time.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        let hash = self.hash(key);
        let hasher = &self.hasher;
        let old = self
            .entries
            .swap_remove(hash, key, |k| hasher.hash_one(k))?;
        if self.expires.len() > 0 {
            self.expires.swap_remove(hash, key, |k| hasher.hash_one(k));
        }
        Some(old.value.value)
    }

    /// Sets the expiry time of an existing key. Returns false if absent.
    pub fn set_expire(&mut self, key: &[u8], at: i64) -> bool {
        let hash = self.hash(key);
        if self.entries.find(hash, key).is_none() {
            return false;
        }
        let hasher = &self.hasher;
        let (pos, _) = self
            .expires
            .find_or_insert(hash, key, || at, |k| hasher.hash_one(k));
        self.expires.slot_mut(pos).value = at;
        true
    }

    /// Removes the expiry time. Returns whether there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        if self.expires.len() == 0 {
            return false;
        }
        let hash = self.hash(key);
        let hasher = &self.hasher;
        self.expires
            .swap_remove(hash, key, |k| hasher.hash_one(k))
            .is_some()
    }

    pub fn clear(&mut self) {
        *self = Db {
            clock: self.clock,
            ..Db::default()
        };
    }

    /// The key at a position in `0..len()`.
    pub fn key_at(&self, index: usize) -> Option<&Str> {
        (index < self.len()).then(|| &self.entries.slot(index).key)
    }

    /// The key, value and access metadata at a position in `0..len()`.
    pub fn entry_at(&self, index: usize) -> Option<(&Str, &Value, u32)> {
        (index < self.len()).then(|| {
            let slot = self.entries.slot(index);
            (&slot.key, &slot.value.value, slot.value.access)
        })
    }

    /// The volatile key and its expiry time at a position in `0..volatile_len()`.
    pub fn volatile_at(&self, index: usize) -> Option<(&Str, i64)> {
        (index < self.volatile_len()).then(|| {
            let slot = self.expires.slot(index);
            (&slot.key, slot.value)
        })
    }

    /// The access metadata of a key (see [`crate::access`]).
    pub fn access(&self, key: &[u8]) -> Option<u32> {
        let pos = self.position(key)?;
        Some(self.entries.slot(pos).value.access)
    }

    /// Overrides the access metadata of a key (RESTORE IDLETIME/FREQ).
    pub fn set_access(&mut self, key: &[u8], access: u32) -> bool {
        let Some(pos) = self.position(key) else {
            return false;
        };
        self.entries.slot_mut(pos).value.access = access;
        true
    }

    /// The clock keys are touched with.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn clock_mut(&mut self) -> &mut Clock {
        &mut self.clock
    }

    /// Visits keys for SCAN and returns the next cursor (0 when done).
    ///
    /// The cursor counts the positions not yet visited, and positions are
    /// visited from the end down. Removal moves the last entry into the hole:
    /// the moved entry came from an already visited position, so at worst it
    /// is returned twice, never missed. New keys are appended above the
    /// cursor and are not needed by the guarantee. A cursor past any
    /// position a table can have (positions are `u32`) was never issued:
    /// like Redis's scan of a bogus cursor, it ends the iteration at once
    /// instead of restarting it.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&Str, &Value)) -> u64 {
        if cursor > u64::from(u32::MAX) {
            return 0;
        }
        let len = self.len() as u64;
        let mut pos = if cursor == 0 { len } else { cursor.min(len) };
        let mut budget = count.max(1);
        while pos > 0 && budget > 0 {
            pos -= 1;
            budget -= 1;
            let slot = self.entries.slot(pos as usize);
            visit(&slot.key, &slot.value.value);
        }
        pos
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Str, &Value)> {
        self.entries
            .iter()
            .map(|s: &Slot<Stored>| (&s.key, &s.value.value))
    }

    /// This database as it is now, unchanged by later writes: its entries'
    /// chunks are shared (copied by the first write to each), its expiry
    /// table is shared likewise with its index copied.
    pub(crate) fn freeze(&self) -> FrozenDb {
        FrozenDb {
            entries: self.entries.share_chunks(),
            len: self.len(),
            expires: self.expires.clone(),
            hasher: self.hasher.clone(),
            clock: self.clock,
        }
    }

    /// Bytes of the key table and of the expiry table (MEMORY STATS).
    pub fn table_bytes(&self) -> (usize, usize) {
        (
            self.entries.allocated_bytes(),
            self.expires.allocated_bytes(),
        )
    }
}

/// A database at one point in time (see [`Db::freeze`]), readable from
/// any thread while the live one keeps changing.
pub(crate) struct FrozenDb {
    entries: Vec<Chunk<Stored>>,
    len: usize,
    expires: Table<i64>,
    hasher: foldhash::fast::RandomState,
    clock: Clock,
}

impl FrozenDb {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn volatile_len(&self) -> usize {
        self.expires.len()
    }

    /// Keys, values and access metadata, in position order.
    pub fn iter(&self) -> impl Iterator<Item = (&Str, &Value, u32)> {
        self.entries
            .iter()
            .flat_map(|c| c.iter())
            .map(|s| (&s.key, &s.value.value, s.value.access))
    }

    pub fn expire_at(&self, key: &[u8]) -> Option<i64> {
        if self.expires.len() == 0 {
            return None;
        }
        let pos = self.expires.find(self.hasher.hash_one(key), key)?;
        Some(self.expires.slot(pos).value)
    }

    /// The key clock as it was (for idle times and LFU decay).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Tracking;

    #[test]
    fn scan_survives_removals_and_growth() {
        let mut db = Db::default();
        for i in 0..10_000 {
            db.set(format!("k{i}").as_bytes(), Value::Int(i), false);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            cursor = db.scan(cursor, 10, |k, _| {
                seen.insert(k.to_vec());
            });
            // Churn: remove some keys and add new ones.
            round += 1;
            db.remove(format!("k{}", round * 7 % 10_000).as_bytes());
            db.set(format!("new{round}").as_bytes(), Value::Int(0), false);
            if cursor == 0 {
                break;
            }
        }
        for i in 0..10_000 {
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
        // Like Redis, a key expires once the time is past its own.
        assert!(db.is_expired(b"a", 101));
        assert!(!db.is_expired(b"a", 100));
        db.set(b"a", Value::Int(2), true);
        assert_eq!(db.expire_at(b"a"), Some(100));
        db.set(b"a", Value::Int(3), false);
        assert_eq!(db.expire_at(b"a"), None);
        db.set_expire(b"a", 5);
        db.set_expire(b"a", 6);
        assert_eq!(db.volatile_at(0).map(|(_, t)| t), Some(6));
        db.remove(b"a");
        assert_eq!(db.volatile_len(), 0);
        assert!(!db.persist(b"a"));
    }

    #[test]
    fn long_keys_and_positions() {
        let mut db = Db::default();
        let long = |i: usize| format!("{i}:{}", "x".repeat(40));
        for i in 0..100 {
            db.set(long(i).as_bytes(), Value::Int(i as i64), false);
            db.set_expire(long(i).as_bytes(), i as i64);
        }
        for i in (0..100).step_by(3) {
            assert_eq!(db.remove(long(i).as_bytes()), Some(Value::Int(i as i64)));
        }
        for i in 0..100 {
            assert_eq!(db.contains(long(i).as_bytes()), i % 3 != 0);
            assert_eq!(
                db.expire_at(long(i).as_bytes()),
                (i % 3 != 0).then_some(i as i64)
            );
        }
        let keys: std::collections::HashSet<_> = (0..db.len())
            .map(|i| db.key_at(i).unwrap().to_vec())
            .collect();
        assert_eq!(keys.len(), db.len());
        assert!(db.key_at(db.len()).is_none());
        assert_eq!(db.iter().count(), db.len());
    }

    #[test]
    fn reads_and_writes_touch_keys() {
        let mut db = Db::default();
        db.clock_mut().set_time(1_000_000);
        db.set(b"k", Value::Int(1), false);
        assert_eq!(db.access(b"k"), Some(1000));
        db.clock_mut().set_time(5_000_000);
        db.get(b"k");
        assert_eq!(db.access(b"k"), Some(1000), "get does not touch");
        db.get_touched(b"k");
        assert_eq!(db.access(b"k"), Some(5000));
        db.clock_mut().set_time(6_000_000);
        db.get_mut(b"k");
        assert_eq!(db.access(b"k"), Some(6000));
        db.clock_mut().set_time(7_000_000);
        db.set(b"k", Value::Int(2), false);
        assert_eq!(db.access(b"k"), Some(7000));
        // Flushing keeps the clock and its policy.
        db.clock_mut().tracking = Tracking::Lfu;
        db.clear();
        assert_eq!(db.clock().tracking, Tracking::Lfu);
        db.set(b"n", Value::Int(1), false);
        assert_eq!(db.access(b"n").map(|m| m & 0xff), Some(5));
    }
}
