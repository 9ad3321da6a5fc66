//! DEBUG DIGEST and DEBUG DIGEST-VALUE: Redis's content digests of the
//! dataset and of single values, so two servers' datasets can be compared
//! whatever their encodings and hash-table orders. The mixing itself is
//! [`rdb::ValueDigest`] and [`rdb::DatasetDigest`].

use crate::persist::object_of;
use crate::rdb::{self, DatasetDigest, ValueDigest};
use crate::{Db, Engine, Value};

impl Engine {
    /// What DEBUG DIGEST replies: 40 hex digits, all zeros for an empty
    /// dataset. Like Redis, keys whose time has passed count until they are
    /// actually deleted, and an expiry counts by its presence, not its time.
    pub fn digest(&self) -> String {
        let mut dataset = DatasetDigest::default();
        for (index, db) in self.dbs.iter().enumerate() {
            if db.is_empty() {
                continue;
            }
            dataset.start_db(index as u32);
            for (key, value) in db.iter() {
                dataset.add(&digest_of(ValueDigest::for_key(key), db, key, value));
            }
        }
        rdb::digest_hex(&dataset.digest())
    }

    /// What DEBUG DIGEST-VALUE replies for `key` in database `db`: 40 hex
    /// digits, all zeros when there is no such key. Expired keys not yet
    /// deleted still have their digest, as in Redis.
    pub fn digest_value(&self, db: usize, key: &[u8]) -> String {
        let db = &self.dbs[db];
        let digest = match db.get(key) {
            Some(value) => digest_of(ValueDigest::new(), db, key, value).digest(),
            None => [0; 20],
        };
        rdb::digest_hex(&digest)
    }
}

/// `start` with `value` and its expiry mixed in (Redis's `xorObjectDigest`).
fn digest_of(start: ValueDigest, db: &Db, key: &[u8], value: &Value) -> ValueDigest {
    let mut buf = itoa::Buffer::new();
    let digest = match (value, value.as_bytes(&mut buf)) {
        (_, Some(bytes)) => start.string(bytes),
        (Value::List(list), _) => start.list(list.iter().map(|e| e.to_vec())),
        // Other collections are read through their RDB form: one copy, and
        // every type is covered once it converts.
        (other, None) => start.object(&object_of(other)),
    };
    digest.with_expire(db.expire_at(key).is_some())
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::*;

    /// Digests from redis-server 7.0.15's DEBUG DIGEST and DIGEST-VALUE
    /// after the same commands.
    #[test]
    fn digests_match_redis() {
        let mut t = TestEngine::new();
        assert_eq!(t.eng.digest(), "0".repeat(40));
        for line in [
            "SET s hello",
            "SET n 12345",
            "RPUSH l a b 3",
            "HSET h f1 v1 f2 2",
            "SADD si 3 1 2",
            "SADD ss x y",
            "SET e v EX 1000",
        ] {
            t.run(line);
        }
        t.db = 3;
        t.run("SET s hello");
        assert_eq!(t.eng.digest(), "0589a0b3cb6d329c77b900e66542acd367b16a4a");
        let expected = [
            ("s", "36b23a1456b2dce2c3ed252c456761301dba8060"),
            ("n", "e1cf90774e995ae03de66e8109dc5cb9d9c2dc83"),
            ("l", "09eb1fc9381ee92790d59930ab462945f8cd948b"),
            ("h", "fc076e867f7dbf566ea58172a151d82d78b8f845"),
            ("si", "2a462a3f51a1db89738ebbeef0c47ce1bbc85246"),
            ("ss", "36846f8a92fb6b6b824c73bf468c5bbcf5075ede"),
            ("e", "311b17018163335616e089f6b951c82c477335ac"),
            ("nosuch", "0000000000000000000000000000000000000000"),
        ];
        for (key, digest) in expected {
            assert_eq!(t.eng.digest_value(0, key.as_bytes()), digest, "{key}");
        }
    }

    /// Encodings and insertion order do not matter; an expiry's time does not
    /// either, but having one does.
    #[test]
    fn digest_ignores_encoding_and_order() {
        let mut a = TestEngine::new();
        let mut b = TestEngine::new();
        a.run("SADD s 1 2 3 x");
        b.run("SADD s x 3 2 1");
        a.run("HSET h f v g w");
        b.run("HSET h g w f v");
        a.run(&format!("HSET big f {}", "v".repeat(100)));
        a.run("HSET big f v");
        b.run("HSET big f v");
        assert_eq!(a.run("OBJECT ENCODING big"), bulk("hashtable"));
        assert_eq!(a.eng.digest(), b.eng.digest());
        a.run("EXPIRE s 100");
        assert_ne!(a.eng.digest(), b.eng.digest());
        b.run("EXPIRE s 200");
        assert_eq!(a.eng.digest(), b.eng.digest());
        b.run("RPUSH l a b");
        a.run("RPUSH l b a");
        assert_ne!(a.eng.digest(), b.eng.digest());
    }
}
