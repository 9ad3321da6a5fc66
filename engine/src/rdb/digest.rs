//! Redis's content digests (DEBUG DIGEST and DEBUG DIGEST-VALUE): SHA-1
//! mixing that ignores encodings and the order of unordered collections, so
//! two servers' datasets can be compared.

use sha1::{Digest as _, Sha1};

use super::num::score_text;
use super::Object;

/// A 20-byte digest.
pub type Digest = [u8; 20];

/// Lower-case hex, as DEBUG replies.
pub fn hex(d: &Digest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// `xorDigest`: xor in the SHA-1 of `data`.
fn xor(digest: &mut Digest, data: &[u8]) {
    for (d, h) in digest.iter_mut().zip(Sha1::digest(data)) {
        *d ^= h;
    }
}

/// `mixDigest`: xor in the SHA-1 of `data`, then hash the result.
fn mix(digest: &mut Digest, data: &[u8]) {
    xor(digest, data);
    *digest = Sha1::digest(*digest).into();
}

/// The digest of one value (`DEBUG DIGEST-VALUE`, from [`ValueDigest::new`])
/// or of one key and its value (a `DEBUG DIGEST` term, from
/// [`ValueDigest::for_key`]), built from the value's parts. Type codes are
/// Redis's (`OBJ_STRING` 0 ... `OBJ_HASH` 4).
#[derive(Clone, Copy, Debug, Default)]
pub struct ValueDigest(Digest);

impl ValueDigest {
    pub fn new() -> Self {
        ValueDigest([0; 20])
    }

    pub fn for_key(key: &[u8]) -> Self {
        let mut d = [0; 20];
        mix(&mut d, key);
        ValueDigest(d)
    }

    fn typed(mut self, code: u32) -> Self {
        mix(&mut self.0, &code.to_be_bytes());
        self
    }

    pub fn string(self, value: &[u8]) -> Self {
        let mut v = self.typed(0);
        mix(&mut v.0, value);
        v
    }

    /// List elements, head to tail (order matters).
    pub fn list<I: IntoIterator<Item = T>, T: AsRef<[u8]>>(self, items: I) -> Self {
        let mut v = self.typed(1);
        for i in items {
            mix(&mut v.0, i.as_ref());
        }
        v
    }

    /// Set members, any order.
    pub fn set<I: IntoIterator<Item = T>, T: AsRef<[u8]>>(self, members: I) -> Self {
        let mut v = self.typed(2);
        for m in members {
            xor(&mut v.0, m.as_ref());
        }
        v
    }

    /// Sorted set members and scores, any order.
    pub fn zset<I: IntoIterator<Item = (T, f64)>, T: AsRef<[u8]>>(self, items: I) -> Self {
        let mut v = self.typed(3);
        for (m, score) in items {
            let mut e = [0; 20];
            mix(&mut e, m.as_ref());
            mix(&mut e, score_text(score).as_bytes());
            xor(&mut v.0, &e);
        }
        v
    }

    /// Hash fields and values, any order.
    pub fn hash<I: IntoIterator<Item = (K, V)>, K: AsRef<[u8]>, V: AsRef<[u8]>>(
        self,
        pairs: I,
    ) -> Self {
        let mut v = self.typed(4);
        for (f, val) in pairs {
            let mut e = [0; 20];
            mix(&mut e, f.as_ref());
            mix(&mut e, val.as_ref());
            xor(&mut v.0, &e);
        }
        v
    }

    /// Stream entries in order: `<ms>.<seq>`, then fields and values
    /// (groups do not count).
    pub fn stream(self, s: &crate::types::Stream) -> Self {
        let mut v = self.typed(6);
        for item in s.range(
            crate::types::stream::StreamId::MIN,
            crate::types::stream::StreamId::MAX,
            false,
        ) {
            mix(
                &mut v.0,
                format!("{}.{}", item.id.ms, item.id.seq).as_bytes(),
            );
            for (f, val) in &item.fields {
                mix(&mut v.0, f);
                mix(&mut v.0, val);
            }
        }
        v
    }

    pub fn object(self, o: &Object) -> Self {
        match o {
            Object::String(s) => self.string(s),
            Object::List(items) => self.list(items),
            Object::Set(items) => self.set(items),
            Object::Hash(pairs) => self.hash(pairs.iter().map(|(f, v)| (f, v))),
            Object::ZSet(items) => self.zset(items.iter().map(|(m, s)| (m, *s))),
            Object::Stream(s) => self.stream(s),
        }
    }

    /// Accounts for the key having an expiry (its time does not count).
    pub fn with_expire(mut self, has_expire: bool) -> Self {
        if has_expire {
            xor(&mut self.0, b"!!expire!!");
        }
        self
    }

    pub fn digest(&self) -> Digest {
        self.0
    }
}

/// The digest of a whole dataset (`DEBUG DIGEST`): call
/// [`DatasetDigest::start_db`] for each non-empty database in ascending
/// order, then [`DatasetDigest::add`] with [`ValueDigest::for_key`] terms
/// for each of its keys, in any order. All zeros for an empty dataset.
#[derive(Default)]
pub struct DatasetDigest(Digest);

impl DatasetDigest {
    pub fn start_db(&mut self, db: u32) {
        mix(&mut self.0, &db.to_be_bytes());
    }

    pub fn add(&mut self, key_and_value: &ValueDigest) {
        xor(&mut self.0, &key_and_value.0);
    }

    pub fn digest(&self) -> Digest {
        self.0
    }
}
