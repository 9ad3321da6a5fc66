//! A compact insertion-ordered hash table for keyspaces of millions of keys,
//! and the big encoding of hashes and sets ([`DenseMap`]).
//!
//! Entries live in fixed-size chunks addressed by position, and a
//! `hashbrown` table of `u32` positions indexes them by key. Compared with
//! an `IndexMap` this stores no hash per entry (8 bytes), never doubles a
//! huge entry vector (up to 2x the entries, plus a copy while it grows),
//! and spends 5 bytes per index bucket instead of 9. Positions keep what
//! the keyspace needs from `IndexMap`: O(1) access by position and
//! `swap_remove`, which moves the last entry into the hole.
//!
//! Hashes are computed by the caller (one hash serves both of a database's
//! tables) and recomputed from keys when the index grows or an entry moves.
//!
//! Chunks are reference-counted so a point-in-time view of the entries
//! (`Table::share_chunks`, and `Clone`) costs one pointer copy per chunk:
//! the first write to a chunk still shared copies it (copy on write), so a
//! snapshot pays for what writes touch while it lives, not for the data.

use std::hash::BuildHasher;
use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::Arc;

use hashbrown::HashTable;

use crate::Str;

const CHUNK_BITS: u32 = 12;
/// Entries per chunk: 4096 entries of 56 bytes are exactly a jemalloc size
/// class (224 KiB), so chunks waste nothing.
const CHUNK: usize = 1 << CHUNK_BITS;

/// Positions are `u32`: a database holds at most 2^32 - 1 keys.
pub(crate) const MAX_LEN: usize = u32::MAX as usize;

/// One entry: a key and what it maps to.
#[derive(Clone, Debug)]
pub(crate) struct Slot<V> {
    pub key: Str,
    pub value: V,
}

/// A run of up to `CHUNK` entries, shared with snapshots until written.
pub(crate) type Chunk<V> = Arc<Vec<Slot<V>>>;

/// Bytes of chunks copied because a snapshot shared them, since start-up
/// (what Redis reports as copy-on-write). Touched only when copying.
pub(crate) static COPIED_BYTES: AtomicU64 = AtomicU64::new(0);

pub(crate) struct Table<V> {
    index: HashTable<u32>,
    /// Every chunk but the first is allocated with room for exactly
    /// `CHUNK` slots; the first grows like a `Vec` up to `CHUNK`, so small
    /// tables stay small. At most one empty chunk is kept past the end.
    chunks: Vec<Chunk<V>>,
    len: usize,
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Table {
            index: HashTable::new(),
            chunks: Vec::new(),
            len: 0,
        }
    }
}

/// The index is copied; the chunks are shared until either side writes.
impl<V> Clone for Table<V> {
    fn clone(&self) -> Self {
        Table {
            index: self.index.clone(),
            chunks: self.chunks.clone(),
            len: self.len,
        }
    }
}

fn at<V>(chunks: &[Chunk<V>], pos: usize) -> &Slot<V> {
    &chunks[pos >> CHUNK_BITS][pos & (CHUNK - 1)]
}

/// Chunk `i` for writing: copied first if a snapshot still shares it.
#[inline]
fn chunk_mut<V: Clone>(chunks: &mut [Chunk<V>], i: usize) -> &mut Vec<Slot<V>> {
    let chunk = &mut chunks[i];
    if Arc::strong_count(chunk) != 1 {
        unshare(chunk);
    }
    unshared(chunk).expect("a chunk with one owner")
}

/// Replaces a chunk a snapshot shares by a copy of it (only while a
/// snapshot lives: kept out of line, off the write path).
#[cold]
#[inline(never)]
fn unshare<V: Clone>(chunk: &mut Chunk<V>) {
    let mut copy = Vec::with_capacity(chunk.capacity());
    copy.extend_from_slice(chunk);
    let bytes = copy.capacity() * std::mem::size_of::<Slot<V>>();
    COPIED_BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
    *chunk = Arc::new(copy);
}

/// A chunk for writing in place, unless a snapshot shares it. On every
/// write and every touching read, so without `Arc::get_mut`: that rules
/// out a `Weak` being upgraded meanwhile with a compare-and-swap on the
/// weak count, and no `Weak` of a chunk is ever made, so the strong count
/// alone decides, and reading it is a plain load.
#[inline]
fn unshared<V>(chunk: &mut Chunk<V>) -> Option<&mut Vec<Slot<V>>> {
    if Arc::strong_count(chunk) != 1 {
        return None;
    }
    // Pairs with the release decrement of a snapshot's last clone of this
    // chunk, dropped on another thread: its reads happen before our writes
    // (what `Arc::get_mut`'s acquire load of the count does).
    fence(Ordering::Acquire);
    // SAFETY: this `Arc` is the only strong reference and chunks are never
    // downgraded (no `Weak`), so nothing else can reach the data; the
    // `&mut` borrow of the only `Arc` keeps it so while the result lives.
    // `as_ptr` keeps the allocation's write permission (it is derived
    // from the `Arc`'s own pointer, as `get_mut`'s is).
    Some(unsafe { &mut *Arc::as_ptr(chunk).cast_mut() })
}

impl<V> Table<V> {
    pub fn len(&self) -> usize {
        self.len
    }

    /// The entry at a position in `0..len()`.
    pub fn slot(&self, pos: usize) -> &Slot<V> {
        at(&self.chunks, pos)
    }

    /// The chunks as they are now, `len()` entries in order: a
    /// point-in-time view that later writes to this table do not change.
    pub fn share_chunks(&self) -> Vec<Chunk<V>> {
        self.chunks.clone()
    }

    /// The entry at `pos` for writing, unless a snapshot shares its chunk:
    /// for bookkeeping that may be skipped rather than copy a chunk (as
    /// Redis does not update a key's LRU clock while a child is saving).
    pub fn slot_mut_unshared(&mut self, pos: usize) -> Option<&mut Slot<V>> {
        unshared(&mut self.chunks[pos >> CHUNK_BITS]).map(|c| &mut c[pos & (CHUNK - 1)])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Slot<V>> {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// Bytes allocated by the index and the chunks.
    pub fn allocated_bytes(&self) -> usize {
        let slots: usize = self.chunks.iter().map(|c| c.capacity()).sum();
        self.index.allocation_size()
            + slots * std::mem::size_of::<Slot<V>>()
            + self.chunks.capacity() * std::mem::size_of::<Chunk<V>>()
    }

    /// The position of `key`, whose hash is `hash`.
    pub fn find(&self, hash: u64, key: &[u8]) -> Option<usize> {
        let chunks = &self.chunks;
        self.index
            .find(hash, |&p| at(chunks, p as usize).key.as_bytes() == key)
            .map(|&p| p as usize)
    }
}

impl<V: Clone> Table<V> {
    pub fn slot_mut(&mut self, pos: usize) -> &mut Slot<V> {
        &mut chunk_mut(&mut self.chunks, pos >> CHUNK_BITS)[pos & (CHUNK - 1)]
    }

    /// The position of `key`, inserting `make()` for it at the end if it is
    /// absent. Returns the position and whether it was inserted. `rehash`
    /// gives the hash of any key (for growing the index).
    pub fn find_or_insert(
        &mut self,
        hash: u64,
        key: &[u8],
        make: impl FnOnce() -> V,
        rehash: impl Fn(&[u8]) -> u64,
    ) -> (usize, bool) {
        let chunks = &self.chunks;
        let entry = self.index.entry(
            hash,
            |&p| at(chunks, p as usize).key.as_bytes() == key,
            |&p| rehash(&at(chunks, p as usize).key),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(e) => (*e.get() as usize, false),
            hashbrown::hash_table::Entry::Vacant(e) => {
                let pos = self.len;
                assert!(pos < MAX_LEN, "too many keys in one table");
                e.insert(pos as u32);
                self.push(Slot {
                    key: Str::new(key),
                    value: make(),
                });
                (pos, true)
            }
        }
    }

    /// Removes `key`, moving the last entry into its place. Returns the
    /// removed entry.
    pub fn swap_remove(
        &mut self,
        hash: u64,
        key: &[u8],
        rehash: impl Fn(&[u8]) -> u64,
    ) -> Option<Slot<V>> {
        let chunks = &self.chunks;
        let found = self
            .index
            .find_entry(hash, |&p| at(chunks, p as usize).key.as_bytes() == key)
            .ok()?;
        let pos = found.remove().0 as usize;
        Some(self.fill_hole(pos, &rehash))
    }

    /// Removes the entry at a position in `0..len()`, moving the last entry
    /// into its place.
    pub fn swap_remove_at(&mut self, pos: usize, rehash: impl Fn(&[u8]) -> u64) -> Slot<V> {
        let hash = rehash(&self.slot(pos).key);
        let found = self
            .index
            .find_entry(hash, |&p| p as usize == pos)
            .unwrap_or_else(|_| panic!("position {pos} is not indexed"));
        found.remove();
        self.fill_hole(pos, &rehash)
    }

    /// Takes the entry at `pos` (already unindexed) out, moving the last
    /// entry into its place.
    fn fill_hole(&mut self, pos: usize, rehash: &impl Fn(&[u8]) -> u64) -> Slot<V> {
        let last = self.len - 1;
        if pos != last {
            let moved = rehash(&at(&self.chunks, last).key);
            let p = self
                .index
                .find_mut(moved, |&p| p as usize == last)
                .expect("every position is indexed");
            *p = pos as u32;
        }
        let tail = self.pop();
        let removed = if pos == last {
            tail
        } else {
            std::mem::replace(self.slot_mut(pos), tail)
        };
        self.shrink_if_sparse(rehash);
        removed
    }

    fn push(&mut self, slot: Slot<V>) {
        let chunk = self.len >> CHUNK_BITS;
        if chunk == self.chunks.len() {
            // Most tables (small hashes and sets) never need a second chunk.
            self.chunks
                .reserve_exact(if chunk == 0 { 1 } else { chunk });
            let room = if chunk == 0 { 0 } else { CHUNK };
            self.chunks.push(Arc::new(Vec::with_capacity(room)));
        }
        let target = chunk_mut(&mut self.chunks, chunk);
        if chunk == 0 && target.len() == target.capacity() && target.len() >= 64 {
            // Past 64 slots the first chunk grows by a quarter, not double:
            // a doubling of a keyspace's chunk is a jump of up to 112 KiB
            // that maxmemory could not evict its way back from (Redis's
            // dict grows by 8 bytes a bucket). Four steps per doubling are
            // also jemalloc's size classes.
            let more = (target.len() / 4).min(CHUNK - target.len());
            target.reserve_exact(more);
        }
        target.push(slot);
        self.len += 1;
    }

    fn pop(&mut self) -> Slot<V> {
        self.len -= 1;
        let slot = chunk_mut(&mut self.chunks, self.len >> CHUNK_BITS)
            .pop()
            .expect("len counts the slots");
        // Keep one empty chunk past the end so a table oscillating around
        // a chunk boundary does not allocate and free a chunk every time.
        // Below half a chunk only the first stays, and it shrinks by half
        // once a quarter full, as a `Vec` would be sized.
        let needed = self.len.div_ceil(CHUNK).max(1);
        let keep = if self.len < CHUNK / 2 { 1 } else { needed + 1 };
        if self.chunks.len() > keep {
            self.chunks.truncate(keep);
        }
        // A shared first chunk is left as it is: shrinking would copy it.
        if let Some(first) = unshared(&mut self.chunks[0]) {
            if self.len < CHUNK / 2 && first.capacity() > 4 * self.len.max(4) {
                first.shrink_to(2 * self.len);
            }
        }
        slot
    }

    /// Gives memory back after mass removals, as Redis resizes a dict that
    /// is less than 10% full.
    fn shrink_if_sparse(&mut self, rehash: &impl Fn(&[u8]) -> u64) {
        if self.index.num_buckets() > 64 && self.len * 10 < self.index.num_buckets() {
            let chunks = &self.chunks;
            self.index
                .shrink_to(self.len, |&p| rehash(&at(chunks, p as usize).key));
        }
    }
}

/// A map from byte strings to `V` on a `Table` with its own hasher: the
/// big encoding of hashes and sets. 48 bytes per field-value pair, 24 per
/// set member (plus 5 per index bucket), about half an `IndexMap`'s.
#[derive(Clone)]
pub struct DenseMap<V> {
    table: Table<V>,
    hasher: foldhash::fast::RandomState,
}

impl<V> Default for DenseMap<V> {
    fn default() -> Self {
        DenseMap::new()
    }
}

impl<V> DenseMap<V> {
    pub fn new() -> Self {
        DenseMap {
            table: Table::default(),
            hasher: Default::default(),
        }
    }

    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.len() == 0
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        let pos = self.table.find(self.hash(key), key)?;
        Some(&self.table.slot(pos).value)
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.table.find(self.hash(key), key).is_some()
    }

    /// The position of `key` in `0..len()`.
    pub fn position(&self, key: &[u8]) -> Option<usize> {
        self.table.find(self.hash(key), key)
    }

    /// The entry at a position in `0..len()` (random picks, SCAN).
    pub fn get_index(&self, pos: usize) -> Option<(&Str, &V)> {
        (pos < self.len()).then(|| {
            let slot = self.table.slot(pos);
            (&slot.key, &slot.value)
        })
    }

    /// Entries by position.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter {
            map: self,
            range: 0..self.len(),
        }
    }

    /// Bytes allocated for the index and the entries (not what entries own).
    pub fn allocated_bytes(&self) -> usize {
        self.table.allocated_bytes()
    }
}

/// Writing may copy a chunk that a snapshot shares, so it clones values.
impl<V: Clone> DenseMap<V> {
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        let pos = self.table.find(self.hash(key), key)?;
        Some(&mut self.table.slot_mut(pos).value)
    }

    /// Inserts or replaces; returns the old value.
    pub fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        let hash = self.hash(key);
        let hasher = &self.hasher;
        let mut value = Some(value);
        let (pos, inserted) = self.table.find_or_insert(
            hash,
            key,
            || value.take().expect("taken once"),
            |k| hasher.hash_one(k),
        );
        match value {
            Some(v) if !inserted => Some(std::mem::replace(&mut self.table.slot_mut(pos).value, v)),
            _ => None,
        }
    }

    /// Removes `key`, moving the last entry into its place.
    pub fn swap_remove(&mut self, key: &[u8]) -> Option<V> {
        let hash = self.hash(key);
        let hasher = &self.hasher;
        let slot = self.table.swap_remove(hash, key, |k| hasher.hash_one(k))?;
        Some(slot.value)
    }

    /// Removes the entry at a position in `0..len()`.
    pub fn swap_remove_index(&mut self, pos: usize) -> Option<(Str, V)> {
        if pos >= self.len() {
            return None;
        }
        let hasher = &self.hasher;
        let slot = self.table.swap_remove_at(pos, |k| hasher.hash_one(k));
        Some((slot.key, slot.value))
    }
}

/// Iterator over a [`DenseMap`]'s entries by position.
pub struct Iter<'a, V> {
    map: &'a DenseMap<V>,
    range: std::ops::Range<usize>,
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a Str, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        self.range.next().and_then(|i| self.map.get_index(i))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.range.size_hint()
    }
}

impl<V> DoubleEndedIterator for Iter<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.range.next_back().and_then(|i| self.map.get_index(i))
    }
}

impl<V> ExactSizeIterator for Iter<'_, V> {}

impl<V: PartialEq> PartialEq for DenseMap<V> {
    /// Same entries, in any order.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<V: std::fmt::Debug> std::fmt::Debug for DenseMap<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    fn hasher() -> impl Fn(&[u8]) -> u64 {
        let state = foldhash::fast::FixedState::with_seed(7);
        move |k: &[u8]| state.hash_one(k)
    }

    #[test]
    fn insert_find_remove_across_chunks() {
        let h = hasher();
        let mut t: Table<usize> = Table::default();
        let n = CHUNK * 3 + 17;
        for i in 0..n {
            let key = format!("key:{i}");
            let (pos, new) = t.find_or_insert(h(key.as_bytes()), key.as_bytes(), || i, &h);
            assert!(new);
            assert_eq!(pos, i);
        }
        assert_eq!(t.len(), n);
        assert!(t.chunks[1..].iter().all(|c| c.capacity() == CHUNK));
        assert_eq!(t.chunks[0].capacity(), CHUNK);
        let (pos, new) = t.find_or_insert(h(b"key:5"), b"key:5", || 0, &h);
        assert_eq!((pos, new), (5, false));
        // Remove every other key; the rest stay findable at their positions.
        for i in (0..n).step_by(2) {
            let key = format!("key:{i}");
            let slot = t
                .swap_remove(h(key.as_bytes()), key.as_bytes(), &h)
                .unwrap();
            assert_eq!(slot.value, i);
        }
        assert!(t.swap_remove(h(b"key:0"), b"key:0", &h).is_none());
        for i in 0..n {
            let key = format!("key:{i}");
            let found = t.find(h(key.as_bytes()), key.as_bytes());
            match found {
                Some(p) => {
                    assert_eq!(i % 2, 1);
                    assert_eq!(t.slot(p).value, i);
                }
                None => assert_eq!(i % 2, 0),
            }
        }
        assert_eq!(t.iter().count(), t.len());
        // At most one spare chunk past the ones in use.
        assert!(t.chunks.len() <= t.len().div_ceil(CHUNK) + 1);
        let copy = t.clone();
        assert_eq!(copy.iter().count(), t.len());
        assert!(copy.chunks[1..].iter().all(|c| c.capacity() == CHUNK));
    }

    /// Past 64 slots the first chunk never holds more than a quarter
    /// spare, so one insertion never allocates a doubling.
    #[test]
    fn first_chunk_grows_by_quarters() {
        let h = hasher();
        let mut t: Table<()> = Table::default();
        for i in 0..CHUNK {
            let key = i.to_string();
            let before = t.chunks.first().map_or(0, |c| c.capacity());
            t.find_or_insert(h(key.as_bytes()), key.as_bytes(), || (), &h);
            let after = t.chunks[0].capacity();
            if before >= 64 {
                assert!(after <= before + before / 4, "{before} -> {after}");
            }
        }
        assert_eq!(t.chunks[0].capacity(), CHUNK);
    }

    #[test]
    fn shrinks_after_mass_removal() {
        let h = hasher();
        let mut t: Table<()> = Table::default();
        for i in 0..10_000 {
            let key = i.to_string();
            t.find_or_insert(h(key.as_bytes()), key.as_bytes(), || (), &h);
        }
        let big = t.allocated_bytes();
        for i in 0..9_990 {
            let key = i.to_string();
            t.swap_remove(h(key.as_bytes()), key.as_bytes(), &h);
        }
        assert!(
            t.allocated_bytes() < big / 10,
            "{} vs {big}",
            t.allocated_bytes()
        );
        for i in 9_990..10_000 {
            let key = i.to_string();
            assert!(t.find(h(key.as_bytes()), key.as_bytes()).is_some());
        }
    }

    #[test]
    fn dense_map_api() {
        let mut m: DenseMap<u32> = DenseMap::new();
        for i in 0..100u32 {
            assert_eq!(m.insert(i.to_string().as_bytes(), i), None);
        }
        assert_eq!(m.insert(b"7", 70), Some(7));
        assert_eq!(m.get(b"7"), Some(&70));
        *m.get_mut(b"8").unwrap() = 80;
        assert_eq!(m.swap_remove(b"9"), Some(9));
        assert_eq!(m.swap_remove(b"9"), None);
        let (k, v) = m.swap_remove_index(0).unwrap();
        assert_eq!((&*k, v), (&b"0"[..], 0));
        assert!(m.swap_remove_index(m.len()).is_none());
        assert_eq!(m.len(), 98);
        assert_eq!(m.iter().count(), 98);
        assert_eq!(m.iter().rev().count(), 98);
        for i in 1..100u32 {
            let expected = match i {
                7 => Some(70),
                8 => Some(80),
                9 => None,
                n => Some(n),
            };
            assert_eq!(m.get(i.to_string().as_bytes()).copied(), expected, "{i}");
        }
        // Equality ignores order.
        let mut other: DenseMap<u32> = DenseMap::new();
        for (k, v) in m.iter().rev() {
            other.insert(k, *v);
        }
        assert_eq!(m, other);
        other.insert(b"extra", 1);
        assert_ne!(m, other);
    }

    #[test]
    fn entry_sizes() {
        // The keyspace entry: key, value and 4 bytes of access metadata.
        assert_eq!(std::mem::size_of::<Slot<(crate::Value, u32)>>(), 56);
        assert_eq!(std::mem::size_of::<Slot<i64>>(), 32);
    }
}
