//! The hash value type: a listpack of field-value pairs while small, a hash
//! table once a field, a value or the count passes the configured limits
//! (it never converts back, like Redis).

use super::listpack::{Entry, Listpack};
use super::{Corrupt, Limits};
use crate::table::DenseMap;
use crate::Str;

/// The big encoding. Insertion-ordered so SCAN can use the descending
/// cursor of [`Db::scan`](crate::Db::scan), and any entry can be picked at
/// random in O(1).
pub type HashTable = DenseMap<Str>;

/// A hash value. 16 bytes: small hashes are one listpack allocation.
#[derive(Clone, Debug, PartialEq)]
pub enum Hash {
    /// Fields and values alternate: `f1 v1 f2 v2 ...`, in insertion order.
    Listpack(Listpack),
    Table(Box<HashTable>),
}

impl Default for Hash {
    fn default() -> Hash {
        Hash::Listpack(Listpack::new())
    }
}

impl Hash {
    pub fn new() -> Hash {
        Hash::default()
    }

    /// A hash holding `pairs` (a later duplicate field overwrites), in the
    /// encoding Redis would give it (for RESTORE and RDB loading).
    pub fn from_pairs<F, V>(pairs: impl IntoIterator<Item = (F, V)>, limits: &Limits) -> Hash
    where
        F: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        let mut hash = Hash::new();
        for (f, v) in pairs {
            hash.set(f.as_ref(), v.as_ref(), limits);
        }
        hash
    }

    /// A hash from a listpack loaded from an RDB file: fields must be
    /// distinct and paired with values. It is converted to a table when it
    /// holds more, or longer, elements than `limits` allow. An empty result
    /// is allowed; the caller skips it, as a key never holds an empty hash.
    pub fn from_listpack(lp: Listpack, limits: &Limits) -> Result<Hash, Corrupt> {
        let bad = |why| Corrupt { what: "hash", why };
        if !lp.len().is_multiple_of(2) {
            return Err(bad("odd number of listpack entries"));
        }
        let mut seen = std::collections::HashSet::with_capacity(lp.len() / 2);
        for field in lp.iter().step_by(2) {
            if !seen.insert(field.to_vec()) {
                return Err(bad("duplicate field"));
            }
        }
        let longest = lp.iter().map(|e| e.str_len()).max().unwrap_or(0);
        let mut hash = Hash::Listpack(lp);
        if hash.len() > limits.hash_max_listpack_entries || longest > limits.hash_max_listpack_value
        {
            hash.convert();
        }
        Ok(hash)
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// The listpack, while the hash is small (for RDB dumps).
    pub fn as_listpack(&self) -> Option<&Listpack> {
        match self {
            Hash::Listpack(lp) => Some(lp),
            Hash::Table(_) => None,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.len() / 2,
            Hash::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Offset of the field's listpack entry.
    fn find(lp: &Listpack, field: &[u8]) -> Option<usize> {
        lp.find(lp.first()?, field, 1)
    }

    pub fn get(&self, field: &[u8]) -> Option<Entry<'_>> {
        match self {
            Hash::Listpack(lp) => {
                let p = Hash::find(lp, field)?;
                Some(lp.get(lp.next(p).expect("value follows field")))
            }
            Hash::Table(t) => t.get(field).map(|v| Entry::Str(v)),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => Hash::find(lp, field).is_some(),
            Hash::Table(t) => t.contains_key(field),
        }
    }

    /// Sets a field; true if it is new. Converts to a hash table first when
    /// the field or value is longer than the listpack limit, and after when
    /// the count passes it, as Redis's `hashTypeSet` does.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: &Limits) -> bool {
        if let Hash::Listpack(lp) = self {
            let long = field.len().max(value.len()) > limits.hash_max_listpack_value;
            if long || !lp.safe_to_add(field.len() + value.len()) {
                self.convert();
            }
        }
        match self {
            Hash::Listpack(lp) => {
                if let Some(p) = Hash::find(lp, field) {
                    let v = lp.next(p).expect("value follows field");
                    lp.replace(v, Entry::Str(value));
                    return false;
                }
                lp.insert(lp.end(), &[Entry::Str(field), Entry::Str(value)]);
                if self.len() > limits.hash_max_listpack_entries {
                    self.convert();
                }
                true
            }
            Hash::Table(t) => match t.get_mut(field) {
                Some(v) => {
                    *v = Str::new(value);
                    false
                }
                None => {
                    t.insert(field, Str::new(value));
                    true
                }
            },
        }
    }

    /// Removes a field; false if it was not there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => match Hash::find(lp, field) {
                Some(p) => {
                    lp.delete_run(p, 2);
                    true
                }
                None => false,
            },
            Hash::Table(t) => t.swap_remove(field).is_some(),
        }
    }

    /// Switches to the hash table encoding (no-op if already there).
    pub fn convert(&mut self) {
        if let Hash::Listpack(lp) = self {
            let mut t = HashTable::new();
            let mut buf = (itoa::Buffer::new(), itoa::Buffer::new());
            for (f, v) in pairs(lp) {
                t.insert(f.bytes(&mut buf.0), Str::new(v.bytes(&mut buf.1)));
            }
            *self = Hash::Table(Box::new(t));
        }
    }

    /// Field-value pairs: insertion order for a listpack, table order else.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Hash::Listpack(lp) => Iter::Listpack(lp.iter()),
            Hash::Table(t) => Iter::Table(t.iter()),
        }
    }

    /// The pair at position `i` in `0..len()` (O(1) for a table, a walk
    /// for a listpack).
    pub fn pair_at(&self, i: usize) -> (Entry<'_>, Entry<'_>) {
        match self {
            Hash::Listpack(lp) => {
                let p = lp.seek(2 * i as isize).expect("index in range");
                (lp.get(p), lp.get(lp.next(p).expect("value follows field")))
            }
            Hash::Table(t) => {
                let (f, v) = t.get_index(i).expect("index in range");
                (Entry::Str(f), Entry::Str(v))
            }
        }
    }

    /// Visits pairs for HSCAN and returns the next cursor (0 when done).
    /// A listpack is visited whole in one call, as Redis does; a table
    /// about `count` pairs at a time with [`Db::scan`](crate::Db::scan)'s
    /// descending cursor, which returns every field present for the whole
    /// scan at least once.
    pub fn scan<'a>(
        &'a self,
        cursor: u64,
        count: usize,
        mut visit: impl FnMut(Entry<'a>, Entry<'a>),
    ) -> u64 {
        match self {
            Hash::Listpack(lp) => {
                pairs(lp).for_each(|(f, v)| visit(f, v));
                0
            }
            Hash::Table(t) => {
                let len = t.len() as u64;
                let mut pos = if cursor == 0 { len } else { cursor.min(len) };
                for _ in 0..count.max(1) {
                    if pos == 0 {
                        break;
                    }
                    pos -= 1;
                    let (f, v) = t.get_index(pos as usize).expect("in range");
                    visit(Entry::Str(f), Entry::Str(v));
                }
                pos
            }
        }
    }

    /// Heap bytes owned by this hash beyond its 16 bytes (approximate for
    /// a table).
    pub fn heap_size(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.bytes_len(),
            Hash::Table(t) => {
                let strings: usize = t.iter().map(|(f, v)| f.heap_size() + v.heap_size()).sum();
                std::mem::size_of::<HashTable>() + t.allocated_bytes() + strings
            }
        }
    }
}

fn pairs(lp: &Listpack) -> impl Iterator<Item = (Entry<'_>, Entry<'_>)> {
    let mut it = lp.iter();
    std::iter::from_fn(move || Some((it.next()?, it.next()?)))
}

/// Iterator over a hash's field-value pairs.
pub enum Iter<'a> {
    Listpack(super::listpack::Iter<'a>),
    Table(crate::table::Iter<'a, Str>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (Entry<'a>, Entry<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Listpack(it) => Some((it.next()?, it.next()?)),
            Iter::Table(it) => it.next().map(|(f, v)| (Entry::Str(f), Entry::Str(v))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(h: &Hash) -> Vec<(Vec<u8>, Vec<u8>)> {
        h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
    }

    #[test]
    fn small_hash_is_a_listpack_in_insertion_order() {
        let limits = Limits::default();
        let mut h = Hash::new();
        assert!(h.set(b"b", b"1", &limits));
        assert!(h.set(b"a", b"two", &limits));
        assert!(!h.set(b"b", b"100000", &limits));
        assert_eq!(h.encoding(), "listpack");
        assert_eq!(h.get(b"b"), Some(Entry::Int(100000)));
        assert_eq!(
            fields(&h),
            [
                (b"b".to_vec(), b"100000".to_vec()),
                (b"a".to_vec(), b"two".to_vec())
            ]
        );
        assert!(h.remove(b"b"));
        assert!(!h.remove(b"b"));
        assert_eq!(h.len(), 1);
        assert_eq!(std::mem::size_of::<Hash>(), 16);
    }

    #[test]
    fn converts_at_redis_thresholds() {
        let limits = Limits::default();
        let mut h = Hash::new();
        for i in 0..512 {
            h.set(format!("f{i}").as_bytes(), b"v", &limits);
        }
        assert_eq!(h.encoding(), "listpack");
        h.set(b"f512", b"v", &limits);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 513);
        assert_eq!(h.get(b"f5"), Some(Entry::Str(b"v")));

        let mut h = Hash::new();
        h.set(b"f", &[b'x'; 64], &limits);
        assert_eq!(h.encoding(), "listpack");
        h.set(&[b'x'; 65], b"v", &limits);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn scan_of_a_table_keeps_the_guarantee() {
        let limits = Limits {
            hash_max_listpack_entries: 0,
            ..Limits::default()
        };
        let mut h = Hash::new();
        for i in 0..500 {
            h.set(format!("f{i}").as_bytes(), b"v", &limits);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            cursor = h.scan(cursor, 7, |f, _| {
                seen.insert(f.to_vec());
            });
            round += 1;
            h.remove(format!("f{}", round * 13 % 500).as_bytes());
            h.set(format!("new{round}").as_bytes(), b"v", &limits);
            if cursor == 0 {
                break;
            }
        }
        for (f, _) in h.iter() {
            if f.to_vec().starts_with(b"f") {
                assert!(seen.contains(&f.to_vec()));
            }
        }
    }

    #[test]
    fn built_from_pairs() {
        let limits = Limits::default();
        let h = Hash::from_pairs([("a", "1"), ("b", "2"), ("a", "3")], &limits);
        assert_eq!(h.encoding(), "listpack");
        assert_eq!(
            fields(&h),
            [
                (b"a".to_vec(), b"3".to_vec()),
                (b"b".to_vec(), b"2".to_vec())
            ]
        );
        let long = "x".repeat(65);
        assert_eq!(
            Hash::from_pairs([("a", long.as_str())], &limits).encoding(),
            "hashtable"
        );
    }

    #[test]
    fn from_listpack_checks_pairs() {
        let mut lp = Listpack::new();
        lp.insert(lp.end(), &[Entry::Str(b"f"), Entry::Str(b"v")]);
        let limits = Limits::default();
        assert_eq!(
            Hash::from_listpack(lp.clone(), &limits).unwrap().encoding(),
            "listpack"
        );
        let tiny = Limits {
            hash_max_listpack_entries: 0,
            ..limits
        };
        assert_eq!(
            Hash::from_listpack(lp.clone(), &tiny).unwrap().encoding(),
            "hashtable"
        );
        lp.push_back(Entry::Str(b"f"));
        assert!(Hash::from_listpack(lp.clone(), &limits).is_err());
        lp.push_back(Entry::Str(b"w"));
        assert!(Hash::from_listpack(lp, &limits).is_err());
    }
}
