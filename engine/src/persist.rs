//! Saving the keyspace as an RDB file and loading one back.

use std::io::{Read, Write};

use bytes::Bytes;

use crate::access::Clock;
use crate::rdb::{self, AuxFields, Event, KeyMeta, Object, Packed, PackedObject, WriteOptions};
use crate::types::{Corrupt, Entry, Hash, Limits, List, Set, ZSet};
use crate::{Engine, Policy, Value};

/// What a load found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoadStats {
    pub keys_loaded: u64,
    /// Keys whose time had passed (dropped unless loading as a replica).
    pub keys_expired: u64,
    /// AUX fields of the file (repl-id, repl-offset, ...).
    pub aux: Vec<(Bytes, Bytes)>,
}

impl LoadStats {
    pub fn aux(&self, key: &[u8]) -> Option<&[u8]> {
        self.aux.iter().find(|(k, _)| k == key).map(|(_, v)| &v[..])
    }
}

/// The engine's encoding thresholds as the RDB writer takes them.
impl From<&Limits> for rdb::Limits {
    fn from(l: &Limits) -> rdb::Limits {
        rdb::Limits {
            list_max_listpack_size: l.list_max_listpack_size.clamp(-5, 1 << 15) as i32,
            set_max_intset_entries: l.set_max_intset_entries,
            hash_max_listpack_entries: l.hash_max_listpack_entries,
            hash_max_listpack_value: l.hash_max_listpack_value,
            zset_max_listpack_entries: l.zset_max_listpack_entries,
            zset_max_listpack_value: l.zset_max_listpack_value,
            ..rdb::Limits::default()
        }
    }
}

impl Engine {
    /// Options for writing this engine's values as RDB: its
    /// `rdbcompression` and encoding thresholds, so saved files and DUMP
    /// payloads use the encodings the configuration asks for.
    pub fn rdb_options(&self, checksum: bool) -> WriteOptions {
        WriteOptions {
            compression: self.rdb_compression,
            checksum,
            limits: (&self.limits).into(),
        }
    }

    /// Writes every database as RDB to `out`, in the foreground (see
    /// [`Engine::snapshot`] to write without holding the engine).
    pub fn save_rdb<W: Write>(
        &self,
        out: W,
        opts: &WriteOptions,
        aux: &AuxFields,
    ) -> rdb::Result<W> {
        self.snapshot().write_rdb(out, opts, aux, || {})
    }

    /// Loads an RDB stream into the (normally empty) databases. Keys whose
    /// time passed are dropped unless `keep_expired` (a replica keeps them
    /// for its master's DELs). Databases beyond ours, and a key already
    /// present, are errors (as Redis: a duplicate means a broken file).
    pub fn load_rdb<R: Read>(
        &mut self,
        input: R,
        now_ms: i64,
        keep_expired: bool,
    ) -> rdb::Result<LoadStats> {
        self.load(input, now_ms, keep_expired, false)
    }

    /// [`Engine::load_rdb`] where a key already present is replaced by the
    /// file's (Redis's `RDBFLAGS_ALLOW_DUP`, for DEBUG RELOAD MERGE).
    pub fn load_rdb_merging<R: Read>(&mut self, input: R, now_ms: i64) -> rdb::Result<LoadStats> {
        self.load(input, now_ms, false, true)
    }

    fn load<R: Read>(
        &mut self,
        input: R,
        now_ms: i64,
        keep_expired: bool,
        merge: bool,
    ) -> rdb::Result<LoadStats> {
        let mut reader = rdb::Reader::new(input)?;
        reader.set_keep_packed(true);
        let mut stats = LoadStats::default();
        self.tick(now_ms);
        let expired =
            |meta: &KeyMeta| !keep_expired && meta.expire_ms.is_some_and(|at| at < now_ms);
        while let Some(event) = reader.next_event()? {
            match event {
                Event::Aux { key, value } => stats.aux.push((key, value)),
                Event::SelectDb(db) if db as usize >= self.dbs.len() => {
                    return Err(rdb::Error::Corrupt {
                        offset: reader.offset(),
                        reason: "Data file was created with a Redis server configured to handle more databases",
                    });
                }
                Event::Entry(e) if expired(&e.meta()) => stats.keys_expired += 1,
                Event::Packed(e) if expired(&e.meta) => stats.keys_expired += 1,
                Event::Entry(e) => {
                    let meta = e.meta();
                    let value = value_of(e.object, &self.limits);
                    self.load_key(e.db, &e.key, &meta, value, merge)?;
                    stats.keys_loaded += 1;
                }
                Event::Packed(e) => {
                    let value = packed_value_of(e.object, &self.limits).map_err(|c| {
                        rdb::Error::Corrupt {
                            offset: reader.offset(),
                            reason: c.why,
                        }
                    })?;
                    self.load_key(e.db, &e.key, &e.meta, value, merge)?;
                    stats.keys_loaded += 1;
                }
                Event::End { .. } => break,
                _ => {}
            }
        }
        Ok(stats)
    }

    /// Stores a key read from an RDB file, with its expiry and access hints.
    fn load_key(
        &mut self,
        index: u32,
        key: &[u8],
        meta: &KeyMeta,
        value: Value,
        merge: bool,
    ) -> rdb::Result<()> {
        let db = &mut self.dbs[index as usize];
        if db.set(key, value, false).is_some() && !merge {
            return Err(rdb::Error::DuplicateKey {
                db: index,
                key: key.to_vec(),
            });
        }
        if let Some(access) = db.clock().restored(meta.lru_idle, meta.lfu_freq) {
            db.set_access(key, access);
        }
        if let Some(at) = meta.expire_ms {
            db.set_expire(key, at);
        }
        Ok(())
    }

    /// An engine holding no keys but shaped like this one: as many
    /// databases, with their key clocks (LRU/LFU tracking and tunables),
    /// and the same encoding limits. A snapshot can be loaded into it away
    /// from this engine (on another thread, while this one keeps serving)
    /// and then put in place with [`Engine::swap_databases`].
    pub fn empty_like(&self) -> Engine {
        let mut spare = Engine::new(self.dbs.len());
        for (db, ours) in spare.dbs.iter_mut().zip(&self.dbs) {
            *db.clock_mut() = *ours.clock();
        }
        spare.limits = self.limits;
        spare.rdb_compression = self.rdb_compression;
        spare.replica = self.replica;
        spare
    }

    /// Exchanges all databases with `other`'s: a load done in `other` (see
    /// [`Engine::empty_like`]) becomes this engine's data, and `other` is
    /// left holding the old data, to be dropped wherever freeing is cheap.
    /// The databases keep this engine's current clocks. Like a flush, it
    /// counts as a change of every database (WATCH) and as one write.
    ///
    /// Panics if the two engines have different numbers of databases.
    pub fn swap_databases(&mut self, other: &mut Engine) {
        assert_eq!(
            self.dbs.len(),
            other.dbs.len(),
            "swapping databases of differently sized engines"
        );
        for db in 0..self.dbs.len() {
            self.flushing_db(db);
        }
        std::mem::swap(&mut self.dbs, &mut other.dbs);
        for (db, old) in self.dbs.iter_mut().zip(&other.dbs) {
            *db.clock_mut() = *old.clock();
        }
        self.dirty += 1;
    }
}

/// What Redis saves of a key's access metadata: its idle seconds under an
/// LRU policy, its LFU counter under an LFU one, nothing otherwise.
pub(crate) fn access_hints(
    policy: Policy,
    clock: &Clock,
    access: u32,
) -> (Option<u64>, Option<u8>) {
    match policy {
        Policy::AllkeysLru | Policy::VolatileLru => (Some(clock.idle_ms(access) / 1000), None),
        Policy::AllkeysLfu | Policy::VolatileLfu => (None, Some(clock.lfu_decayed(access))),
        _ => (None, None),
    }
}

/// Writes one key's value: a listpack or intset as it is (as Redis does),
/// anything else in the encoding Redis would give it under the limits.
pub(crate) fn write_value<W: Write>(
    w: &mut rdb::Writer<W>,
    key: &[u8],
    meta: &KeyMeta,
    value: &Value,
) -> rdb::Result<()> {
    if let Some(p) = packed(value) {
        return w.write_packed(key, meta, p);
    }
    let mut buf = itoa::Buffer::new();
    match value {
        Value::Int(_) | Value::Str(_) | Value::Raw(_) => {
            w.write_string(key, meta, value.as_bytes(&mut buf).expect("string value"))
        }
        other => w.write_object(key, meta, &object_of(other)),
    }
}

/// The DUMP payload of `value` in its current encoding, as Redis
/// serializes values as they are in memory: a listpack or intset is copied,
/// and a hash table, set table or skiplist stays one however small the
/// value has become (limits of 0 make the writer pick those).
pub fn dump_payload(value: &Value, options: &WriteOptions) -> rdb::Result<Vec<u8>> {
    if let Some(p) = packed(value) {
        return rdb::dump_packed(p, options);
    }
    let mut options = *options;
    let limits = &mut options.limits;
    match value {
        Value::Hash(_) => limits.hash_max_listpack_entries = 0,
        Value::Set(_) => limits.set_max_intset_entries = 0,
        Value::ZSet(_) => limits.zset_max_listpack_entries = 0,
        _ => {}
    }
    rdb::dump(&object_of(value), &options)
}

/// The value's listpack or intset, when it is held in one with Redis's
/// layout (lists are re-split into quicklist nodes by the writer).
fn packed(value: &Value) -> Option<Packed<'_>> {
    match value {
        Value::Hash(Hash::Listpack(lp)) => Some(Packed::Hash(lp)),
        Value::ZSet(ZSet::Listpack(lp)) => Some(Packed::ZSet(lp)),
        Value::Set(Set::Intset(is)) => Some(Packed::Set(is)),
        _ => None,
    }
}

/// A value as an RDB object (for DUMP and saving).
pub fn object_of(value: &Value) -> Object {
    let mut buf = itoa::Buffer::new();
    let bytes = |e: Entry| Bytes::from(e.to_vec());
    match value {
        Value::Int(_) | Value::Str(_) | Value::Raw(_) => Object::String(Bytes::copy_from_slice(
            value.as_bytes(&mut buf).expect("string value"),
        )),
        Value::List(l) => Object::List(l.iter().map(bytes).collect()),
        Value::Hash(h) => Object::Hash(h.iter().map(|(f, v)| (bytes(f), bytes(v))).collect()),
        Value::Set(s) => Object::Set(s.iter().map(bytes).collect()),
        Value::ZSet(z) => {
            let mut pairs = Vec::with_capacity(z.len());
            z.for_each(|m, s| pairs.push((Bytes::copy_from_slice(m), s)));
            Object::ZSet(pairs)
        }
        Value::Stream(s) => Object::Stream(s.clone()),
    }
}

/// An RDB object as a value (for RESTORE and loading).
pub fn value_of(object: Object, limits: &Limits) -> Value {
    match object {
        Object::String(b) => Value::string(&b),
        Object::List(items) => {
            Value::List(List::from_elements(items, limits.list_max_listpack_size))
        }
        Object::Hash(pairs) => Value::Hash(Hash::from_pairs(pairs, limits)),
        Object::Set(members) => Value::Set(Set::from_members(members, limits)),
        Object::ZSet(pairs) => Value::ZSet(ZSet::from_loaded(pairs, limits)),
        Object::Stream(s) => Value::Stream(s),
    }
}

/// A listpack or intset read from an RDB file as a value: kept as it is
/// unless it holds more (or longer) elements than the limits allow, when it
/// gets the big encoding, as when built element by element.
pub(crate) fn packed_value_of(object: PackedObject, limits: &Limits) -> Result<Value, Corrupt> {
    Ok(match object {
        PackedObject::Hash(lp) => Value::Hash(Hash::from_listpack(lp, limits)?),
        PackedObject::Set(is) => Value::Set(Set::from_intset(is, limits)),
        PackedObject::ZSet(lp) => {
            let fits = lp.len() / 2 <= limits.zset_max_listpack_entries
                && lp
                    .iter()
                    .step_by(2)
                    .all(|m| m.str_len() <= limits.zset_max_listpack_value);
            let mut zset = ZSet::Listpack(lp);
            if !fits {
                zset.convert();
            }
            Value::ZSet(zset)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Tracking;

    fn rdb_of(engine: &Engine) -> Vec<u8> {
        engine
            .save_rdb(Vec::new(), &WriteOptions::default(), &AuxFields::default())
            .unwrap()
    }

    #[test]
    fn a_duplicate_key_is_refused_unless_merging() {
        let mut source = Engine::new(16);
        source.db_mut(3).set(b"k", Value::string(b"new"), false);
        let rdb = rdb_of(&source);
        let mut target = Engine::new(16);
        target.db_mut(3).set(b"k", Value::string(b"old"), false);
        match target.load_rdb(&rdb[..], 0, false) {
            Err(rdb::Error::DuplicateKey { db: 3, key }) => assert_eq!(key, b"k"),
            other => panic!("expected a duplicate key error, got {other:?}"),
        }
        target.load_rdb_merging(&rdb[..], 0).unwrap();
        assert_eq!(target.db_mut(3).get(b"k"), Some(&Value::string(b"new")));
    }

    #[test]
    fn load_aside_then_swap_in() {
        let mut live = Engine::new(16);
        live.db_mut(0).set(b"old", Value::string(b"1"), false);
        live.db_mut(0).clock_mut().tracking = Tracking::Lfu;
        let mut source = Engine::new(16);
        source.db_mut(3).set(b"new", Value::string(b"2"), false);

        let mut spare = live.empty_like();
        assert_eq!(spare.databases(), 16);
        assert_eq!(spare.total_keys(), 0);
        assert_eq!(spare.db(0).clock().tracking, Tracking::Lfu);
        spare.load_rdb(&rdb_of(&source)[..], 0, true).unwrap();
        // The live engine is untouched until the swap.
        assert!(live.db(0).get(b"old").is_some());

        live.track_touched(true);
        live.watch_key(0, &Bytes::from_static(b"old"));
        live.watch_key(3, &Bytes::from_static(b"new"));
        let dirty = live.dirty();
        live.swap_databases(&mut spare);
        assert!(live.db(0).get(b"old").is_none());
        assert!(live.db(3).get(b"new").is_some());
        assert_eq!(live.db(0).clock().tracking, Tracking::Lfu);
        assert_eq!(live.dirty(), dirty + 1);
        // Only a watched key the old data held counts as touched.
        let touched = live.take_touched();
        assert_eq!(touched.replaced.len(), 1);
        assert_eq!(&touched.replaced[0].key[..], b"old");
        // The old data is handed back, to be freed elsewhere.
        assert!(spare.db(0).get(b"old").is_some());
        assert_eq!(spare.total_keys(), 1);
    }

    /// Listpacks and intsets go to the file and come back byte for byte,
    /// like Redis's: an intset keeps the width it grew to.
    #[test]
    fn compact_encodings_are_saved_and_loaded_as_they_are() {
        let limits = Limits::default();
        let mut set = Set::from_members(["1", "70000"], &limits);
        set.remove(b"70000");
        let values = [
            Value::Set(set),
            Value::Hash(Hash::from_pairs([("f", "v"), ("n", "12")], &limits)),
            Value::ZSet(ZSet::from_pairs([("a", 1.5), ("b", -2.0)], &limits)),
        ];
        let mut source = Engine::new(1);
        for (i, v) in values.iter().enumerate() {
            source.db_mut(0).set(&[b'k', i as u8], v.clone(), false);
        }
        assert_eq!(
            dump_payload(&values[0], &WriteOptions::default()).unwrap()[..4],
            [rdb::rdb_type::SET_INTSET, 12, 4, 0],
            "width 4"
        );
        let mut loaded = Engine::new(1);
        loaded.load_rdb(&rdb_of(&source)[..], 0, false).unwrap();
        for (i, v) in values.iter().enumerate() {
            let got = loaded.db(0).get(&[b'k', i as u8]).unwrap();
            assert!(packed(v).is_some());
            assert_eq!(packed(got), packed(v));
        }

        // Past lowered limits, loading converts them.
        let mut small = Engine::new(1);
        small.limits.set_max_intset_entries = 0;
        small.limits.hash_max_listpack_entries = 1;
        small.limits.zset_max_listpack_value = 0;
        small.load_rdb(&rdb_of(&source)[..], 0, false).unwrap();
        for (i, v) in values.iter().enumerate() {
            let got = small.db(0).get(&[b'k', i as u8]).unwrap();
            assert!(packed(got).is_none(), "{}", got.encoding());
            assert_eq!(object_of(got), object_of(v));
        }
    }

    #[test]
    #[should_panic(expected = "differently sized")]
    fn swap_needs_the_same_shape() {
        Engine::new(16).swap_databases(&mut Engine::new(2));
    }
}
