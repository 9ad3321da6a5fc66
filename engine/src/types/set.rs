//! The set value type: an intset while every member is a canonical integer
//! and there are at most `set-max-intset-entries`, a hash table otherwise
//! (Redis 7.0 has no listpack sets). It never converts back.

use super::listpack::Entry;
use super::{Intset, Limits};
use crate::table::DenseMap;
use resp::parse_i64;

/// The big encoding, insertion-ordered for SCAN's descending cursor and
/// O(1) random picks.
pub type SetTable = DenseMap<()>;

/// A set value. 16 bytes: small integer sets are one intset allocation.
#[derive(Clone, Debug, PartialEq)]
pub enum Set {
    Intset(Intset),
    Table(Box<SetTable>),
}

impl Default for Set {
    fn default() -> Set {
        Set::Intset(Intset::new())
    }
}

impl Set {
    /// An empty intset-encoded set (Redis's `createIntsetObject`).
    pub fn new() -> Set {
        Set::default()
    }

    /// An empty set in the encoding suited to its first member (Redis's
    /// `setTypeCreate`).
    pub fn for_member(first: &[u8]) -> Set {
        match parse_i64(first) {
            Some(_) => Set::new(),
            None => Set::Table(Box::default()),
        }
    }

    /// A set holding `members`, in the encoding Redis would give it (for
    /// RESTORE and RDB loading).
    pub fn from_members<M: AsRef<[u8]>>(
        members: impl IntoIterator<Item = M>,
        limits: &Limits,
    ) -> Set {
        let mut set = Set::new();
        for m in members {
            set.insert(m.as_ref(), limits);
        }
        set
    }

    /// A set from an intset loaded from an RDB file, converted if it holds
    /// more than the limit allows.
    pub fn from_intset(is: Intset, limits: &Limits) -> Set {
        let mut set = Set::Intset(is);
        if set.len() > max_intset_entries(limits) {
            set.convert();
        }
        set
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Intset(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    /// The intset, while the set is one (for RDB dumps).
    pub fn as_intset(&self) -> Option<&Intset> {
        match self {
            Set::Intset(is) => Some(is),
            Set::Table(_) => None,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Set::Intset(is) => is.len(),
            Set::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            Set::Intset(is) => parse_i64(member).is_some_and(|n| is.contains(n)),
            Set::Table(t) => t.contains_key(member),
        }
    }

    /// Adds a member; false if it was already there. A non-integer member
    /// or one too many converts an intset to a table.
    pub fn insert(&mut self, member: &[u8], limits: &Limits) -> bool {
        if let Set::Intset(is) = self {
            match parse_i64(member) {
                Some(n) => {
                    if !is.insert(n) {
                        return false;
                    }
                    if is.len() > max_intset_entries(limits) {
                        self.convert();
                    }
                    return true;
                }
                None => self.convert(),
            }
        }
        match self {
            Set::Table(t) => t.insert(member, ()).is_none(),
            Set::Intset(_) => unreachable!("converted above"),
        }
    }

    /// Whether an element of another set (or listpack) is a member.
    pub fn contains_entry(&self, e: Entry<'_>) -> bool {
        match (self, e) {
            (Set::Intset(is), Entry::Int(n)) => is.contains(n),
            (_, e) => self.contains(e.bytes(&mut itoa::Buffer::new())),
        }
    }

    /// [`Set::insert`] for an element of another set.
    pub fn insert_entry(&mut self, e: Entry<'_>, limits: &Limits) -> bool {
        self.insert(e.bytes(&mut itoa::Buffer::new()), limits)
    }

    /// Removes a member; false if it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            Set::Intset(is) => parse_i64(member).is_some_and(|n| is.remove(n)),
            Set::Table(t) => t.swap_remove(member).is_some(),
        }
    }

    /// The member at position `i` in `0..len()`, in O(1) (random picks).
    pub fn member_at(&self, i: usize) -> Entry<'_> {
        match self {
            Set::Intset(is) => Entry::Int(is.get(i)),
            Set::Table(t) => Entry::Str(t.get_index(i).expect("index in range").0),
        }
    }

    /// Removes the member at position `i` in `0..len()` in O(log n) or
    /// better; positions of other members may change.
    pub fn remove_at(&mut self, i: usize) {
        match self {
            Set::Intset(is) => {
                is.remove(is.get(i));
            }
            Set::Table(t) => {
                t.swap_remove_index(i);
            }
        }
    }

    /// Switches to the hash table encoding (no-op if already there).
    pub fn convert(&mut self) {
        if let Set::Intset(is) = self {
            let mut t = SetTable::new();
            let mut buf = itoa::Buffer::new();
            for n in is.iter() {
                t.insert(buf.format(n).as_bytes(), ());
            }
            *self = Set::Table(Box::new(t));
        }
    }

    /// Members: ascending for an intset, table order else.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Set::Intset(is) => Iter::Intset(is, 0..is.len()),
            Set::Table(t) => Iter::Table(t.iter()),
        }
    }

    /// Visits members for SSCAN and returns the next cursor (0 when done):
    /// an intset whole in one call, a table about `count` at a time with the
    /// descending cursor of [`Db::scan`](crate::Db::scan).
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut visit: impl FnMut(Entry<'a>)) -> u64 {
        match self {
            Set::Intset(_) => {
                self.iter().for_each(visit);
                0
            }
            Set::Table(t) => {
                let len = t.len() as u64;
                let mut pos = if cursor == 0 { len } else { cursor.min(len) };
                for _ in 0..count.max(1) {
                    if pos == 0 {
                        break;
                    }
                    pos -= 1;
                    visit(Entry::Str(t.get_index(pos as usize).expect("in range").0));
                }
                pos
            }
        }
    }

    /// Heap bytes owned by this set beyond its 16 bytes (approximate for a
    /// table).
    pub fn heap_size(&self) -> usize {
        match self {
            Set::Intset(is) => is.bytes_len(),
            Set::Table(t) => {
                let strings: usize = t.iter().map(|(m, _)| m.heap_size()).sum();
                std::mem::size_of::<SetTable>() + t.allocated_bytes() + strings
            }
        }
    }
}

/// Redis caps the intset limit at 2^30 entries.
fn max_intset_entries(limits: &Limits) -> usize {
    limits.set_max_intset_entries.min(1 << 30)
}

/// Iterator over a set's members.
pub enum Iter<'a> {
    Intset(&'a Intset, std::ops::Range<usize>),
    Table(crate::table::Iter<'a, ()>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        match self {
            Iter::Intset(is, range) => range.next().map(|i| Entry::Int(is.get(i))),
            Iter::Table(it) => it.next().map(|(s, _)| Entry::Str(s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(s: &Set) -> Vec<Vec<u8>> {
        s.iter().map(|e| e.to_vec()).collect()
    }

    #[test]
    fn integers_stay_an_intset_up_to_the_limit() {
        let limits = Limits::default();
        let mut s = Set::for_member(b"3");
        assert!(s.insert(b"3", &limits));
        assert!(s.insert(b"-1", &limits));
        assert!(!s.insert(b"3", &limits));
        assert_eq!(s.encoding(), "intset");
        assert_eq!(members(&s), [b"-1".to_vec(), b"3".to_vec()]);
        assert!(!s.contains(b"03"));
        for i in 0..510 {
            s.insert(format!("{}", i + 100).as_bytes(), &limits);
        }
        assert_eq!(s.len(), 512);
        assert_eq!(s.encoding(), "intset");
        s.insert(b"100000", &limits);
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), 513);
        assert!(s.contains(b"-1") && s.contains(b"100000"));
        assert_eq!(std::mem::size_of::<Set>(), 16);
    }

    #[test]
    fn a_string_member_converts() {
        let limits = Limits::default();
        let mut s = Set::new();
        s.insert(b"1", &limits);
        s.insert(b"01", &limits);
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(b"1") && s.contains(b"01"));
        assert!(s.remove(b"1"));
        assert_eq!(members(&s), [b"01".to_vec()]);
        assert_eq!(Set::for_member(b"a").encoding(), "hashtable");
    }

    #[test]
    fn built_from_members() {
        let limits = Limits::default();
        let s = Set::from_members([&b"3"[..], b"1", b"3"], &limits);
        assert_eq!(
            (s.encoding(), members(&s)),
            ("intset", vec![b"1".to_vec(), b"3".to_vec()])
        );
        let s = Set::from_members(["1", "x"], &limits);
        assert_eq!((s.encoding(), s.len()), ("hashtable", 2));
    }

    #[test]
    fn positions_and_removal() {
        let limits = Limits::default();
        let mut s = Set::new();
        for m in [&b"5"[..], b"7", b"9"] {
            s.insert(m, &limits);
        }
        assert_eq!(s.member_at(1), Entry::Int(7));
        s.remove_at(1);
        assert_eq!(members(&s), [b"5".to_vec(), b"9".to_vec()]);
        s.convert();
        s.remove_at(0);
        assert_eq!(members(&s), [b"9".to_vec()]);
    }
}
