//! The list value type.
//!
//! Redis 7.0 keeps every list in a quicklist and reports the encoding as
//! `quicklist`. Here a list is a ring buffer of [`Str`]: O(1) push and pop
//! at both ends and O(1) indexing (Redis walks its nodes, O(n)); elements up
//! to 22 bytes live inline in the buffer.

use std::collections::VecDeque;
use std::ops::Range;

use crate::Str;

/// Which end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The head (`LEFT`, index 0).
    Left,
    /// The tail (`RIGHT`, index -1).
    Right,
}

impl End {
    /// Parses `LEFT` / `RIGHT` (any case).
    pub fn parse(arg: &[u8]) -> Option<End> {
        if arg.eq_ignore_ascii_case(b"left") {
            Some(End::Left)
        } else if arg.eq_ignore_ascii_case(b"right") {
            Some(End::Right)
        } else {
            None
        }
    }

    /// The name as Redis writes it in propagated commands.
    pub fn name(self) -> &'static str {
        match self {
            End::Left => "left",
            End::Right => "right",
        }
    }
}

/// A list value. Never empty while stored under a key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct List {
    items: VecDeque<Str>,
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn push(&mut self, end: End, value: &[u8]) {
        let value = Str::new(value);
        match end {
            End::Left => self.items.push_front(value),
            End::Right => self.items.push_back(value),
        }
    }

    pub fn pop(&mut self, end: End) -> Option<Str> {
        match end {
            End::Left => self.items.pop_front(),
            End::Right => self.items.pop_back(),
        }
    }

    pub fn get(&self, index: usize) -> Option<&[u8]> {
        self.items.get(index).map(|s| &s[..])
    }

    /// Replaces the element at `index`; false when out of range.
    pub fn set(&mut self, index: usize, value: &[u8]) -> bool {
        match self.items.get_mut(index) {
            Some(slot) => {
                *slot = Str::new(value);
                true
            }
            None => false,
        }
    }

    /// Inserts `value` so that it ends up at `index` (`index <= len`).
    pub fn insert(&mut self, index: usize, value: &[u8]) {
        self.items.insert(index, Str::new(value));
    }

    /// The position of the first element equal to `value`.
    pub fn position(&self, value: &[u8]) -> Option<usize> {
        self.items.iter().position(|s| &s[..] == value)
    }

    /// Elements in `range`, front to back.
    pub fn range(
        &self,
        range: Range<usize>,
    ) -> impl DoubleEndedIterator<Item = &[u8]> + ExactSizeIterator + '_ {
        self.items.range(range).map(|s| &s[..])
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + ExactSizeIterator + '_ {
        self.items.iter().map(|s| &s[..])
    }

    /// Removes the elements in `range`.
    pub fn remove_range(&mut self, range: Range<usize>) {
        if range.start == 0 {
            self.items.drain(..range.end);
        } else if range.end == self.items.len() {
            self.items.truncate(range.start);
        } else {
            self.items.drain(range);
        }
    }

    /// Removes up to `limit` elements equal to `value` (0: all), scanning
    /// from `from`. Returns how many were removed.
    pub fn remove_matching(&mut self, value: &[u8], limit: usize, from: End) -> usize {
        let mut removed = 0;
        let mut keep = |s: &Str| {
            if (limit == 0 || removed < limit) && &s[..] == value {
                removed += 1;
                false
            } else {
                true
            }
        };
        match from {
            End::Left => self.items.retain(|s| keep(s)),
            End::Right => {
                // `retain` visits front to back; walk back to front instead so
                // a limited removal takes the last matches.
                let mut kept: VecDeque<Str> = VecDeque::with_capacity(self.items.len());
                while let Some(s) = self.items.pop_back() {
                    if keep(&s) {
                        kept.push_front(s);
                    }
                }
                self.items = kept;
            }
        }
        removed
    }

    /// Heap bytes owned by the list (for memory accounting).
    pub fn heap_size(&self) -> usize {
        self.items.capacity() * std::mem::size_of::<Str>()
            + self.items.iter().map(Str::heap_size).sum::<usize>()
    }
}

impl<'a> FromIterator<&'a [u8]> for List {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(iter: I) -> List {
        List {
            items: iter.into_iter().map(Str::new).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> List {
        items.iter().map(|s| s.as_bytes()).collect()
    }

    fn items(l: &List) -> Vec<String> {
        l.iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    }

    #[test]
    fn push_pop_both_ends() {
        let mut l = List::new();
        l.push(End::Left, b"b");
        l.push(End::Left, b"a");
        l.push(End::Right, b"c");
        assert_eq!(items(&l), ["a", "b", "c"]);
        assert_eq!(l.pop(End::Right).as_deref(), Some(&b"c"[..]));
        assert_eq!(l.pop(End::Left).as_deref(), Some(&b"a"[..]));
        assert_eq!(l.len(), 1);
        assert_eq!(l.encoding(), "quicklist");
    }

    #[test]
    fn remove_matching_from_either_end() {
        let mut l = list(&["x", "a", "x", "b", "x"]);
        assert_eq!(l.remove_matching(b"x", 2, End::Right), 2);
        assert_eq!(items(&l), ["x", "a", "b"]);
        let mut l = list(&["x", "a", "x", "b", "x"]);
        assert_eq!(l.remove_matching(b"x", 2, End::Left), 2);
        assert_eq!(items(&l), ["a", "b", "x"]);
        assert_eq!(l.remove_matching(b"x", 0, End::Left), 1);
        assert_eq!(items(&l), ["a", "b"]);
    }

    #[test]
    fn ranges() {
        let mut l = list(&["a", "b", "c", "d", "e"]);
        assert_eq!(l.range(1..3).collect::<Vec<_>>(), [b"b", b"c"]);
        l.remove_range(0..1);
        l.remove_range(3..4);
        l.remove_range(1..2);
        assert_eq!(items(&l), ["b", "d"]);
        l.insert(1, b"c");
        assert!(l.set(0, b"B"));
        assert!(!l.set(3, b"z"));
        assert_eq!(items(&l), ["B", "c", "d"]);
        assert_eq!(l.position(b"d"), Some(2));
    }
}
