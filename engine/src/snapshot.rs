//! Point-in-time snapshots of the keyspace, serialized off the lock.
//!
//! [`Engine::snapshot`] freezes every database in O(number of chunks): the
//! live tables and the snapshot share their chunks, and the first write to
//! a shared chunk copies it (see [`crate::table`]). The snapshot is `Send`,
//! so a background thread writes it as RDB while commands keep running; it
//! holds no lock and needs none. Dropping it releases the chunks that
//! writes replaced meanwhile.
//!
//! Values are shared with their chunk: copying a chunk clones its values,
//! so any `Value` variant works as long as it is `Clone`. Strings and small
//! encodings are cheap to clone; a big hash or set clones its index and
//! shares its own chunks the same way.

use std::io::Write;
use std::sync::atomic::Ordering;

use crate::db::FrozenDb;
use crate::persist::{access_hints, write_value};
use crate::rdb::{self, AuxFields, KeyMeta, WriteOptions};
use crate::table::COPIED_BYTES;
use crate::{Engine, Policy};

/// The keyspace at one point in time.
pub struct Snapshot {
    dbs: Vec<FrozenDb>,
    policy: Policy,
}

impl Engine {
    /// Freezes the keyspace as it is now. Costs one pointer copy per chunk
    /// of 4096 keys (plus a copy of the expiry tables' indexes); later
    /// writes do not change what the snapshot holds.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            dbs: self.dbs.iter().map(|db| db.freeze()).collect(),
            policy: self.eviction_config().policy,
        }
    }
}

impl Snapshot {
    /// Keys in every database.
    pub fn keys(&self) -> usize {
        self.dbs.iter().map(FrozenDb::len).sum()
    }

    /// Writes every database as RDB to `out`, calling `after_key` after each
    /// key (for pacing: `rdb-key-save-delay`).
    pub fn write_rdb<W: Write>(
        &self,
        out: W,
        opts: &WriteOptions,
        aux: &AuxFields,
        mut after_key: impl FnMut(),
    ) -> rdb::Result<W> {
        let mut w = rdb::Writer::new(out, opts)?;
        w.aux_fields(aux)?;
        for (index, db) in self.dbs.iter().enumerate() {
            if db.len() == 0 {
                continue;
            }
            w.select_db(index as u32, db.len() as u64, db.volatile_len() as u64)?;
            for (key, value, access) in db.iter() {
                let (lru_idle, lfu_freq) = access_hints(self.policy, db.clock(), access);
                let meta = KeyMeta {
                    expire_ms: db.expire_at(key),
                    lru_idle,
                    lfu_freq,
                };
                write_value(&mut w, key, &meta, value)?;
                after_key();
            }
        }
        w.finish()
    }
}

/// Bytes of chunks copied so far because snapshots shared them (a
/// process-wide counter: the difference over a snapshot's life is its
/// copy-on-write cost, as Redis measures its child's).
pub fn copied_bytes() -> u64 {
    COPIED_BYTES.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use crate::rdb::{AuxFields, WriteOptions};
    use crate::{Engine, Value};

    fn rdb_of(eng: &Engine) -> Vec<u8> {
        let opts = WriteOptions::default();
        eng.save_rdb(Vec::new(), &opts, &AuxFields::default())
            .unwrap()
    }

    fn snapshot_rdb(s: &super::Snapshot) -> Vec<u8> {
        let opts = WriteOptions::default();
        s.write_rdb(Vec::new(), &opts, &AuxFields::default(), || {})
            .unwrap()
    }

    /// Writes after a snapshot (overwrites, deletes, inserts, expiry
    /// changes, a flush) leave it as it was; the live keyspace changes.
    #[test]
    fn later_writes_do_not_change_a_snapshot() {
        let mut eng = Engine::new(2);
        for i in 0..10_000 {
            let db = &mut eng.dbs[i % 2];
            db.set(format!("k{i}").as_bytes(), Value::Int(i as i64), false);
            if i % 3 == 0 {
                db.set_expire(format!("k{i}").as_bytes(), 1 << 50);
            }
        }
        let before = rdb_of(&eng);
        let snap = eng.snapshot();
        assert_eq!(snap.keys(), 10_000);
        let copied = super::copied_bytes();
        for i in 0..10_000 {
            let db = &mut eng.dbs[i % 2];
            match i % 4 {
                0 => drop(db.remove(format!("k{i}").as_bytes())),
                1 => drop(db.set(format!("k{i}").as_bytes(), Value::Int(-1), false)),
                2 => drop(db.set_expire(format!("k{i}").as_bytes(), 5)),
                _ => drop(db.set(format!("new{i}").as_bytes(), Value::Int(0), false)),
            }
        }
        assert!(super::copied_bytes() > copied, "writes copied chunks");
        assert_ne!(rdb_of(&eng), before);
        assert_eq!(snapshot_rdb(&snap), before);
        eng.dbs[0].clear();
        assert_eq!(snapshot_rdb(&snap), before);
        drop(snap);
        // With the snapshot gone, writes no longer copy.
        let copied = super::copied_bytes();
        eng.dbs[1].set(b"k1", Value::Int(3), false);
        assert_eq!(super::copied_bytes(), copied);
    }

    #[test]
    fn snapshot_is_send() {
        fn send<T: Send + 'static>(_: T) {}
        send(Engine::new(1).snapshot());
    }
}
