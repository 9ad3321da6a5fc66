//! The list value type.
//!
//! Redis 7.0 keeps every list in a quicklist (reported as `quicklist`): a
//! linked list of listpack nodes, each filled up to `list-max-listpack-size`
//! (by default 8 KiB). Here the nodes sit in a ring buffer, and a list of
//! one node is just that listpack: a small list costs one exactly sized
//! allocation next to its 16-byte handle. Pushes and pops at either end
//! touch one node; indexing walks node counts from the nearer end, as
//! Redis does.

use std::collections::VecDeque;
use std::ops::Range;

use super::listpack::{Entry, Listpack};
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
#[derive(Clone, Debug, PartialEq)]
pub enum List {
    /// A list that fits one node.
    Packed(Listpack),
    Quick(Box<Quick>),
}

/// Two or more nodes (or fewer, briefly, while shrinking).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Quick {
    nodes: VecDeque<Listpack>,
    len: usize,
}

impl Default for List {
    fn default() -> List {
        List::Packed(Listpack::new())
    }
}

/// Largest node, in bytes, for each negative `list-max-listpack-size`
/// (-1 to -5); a positive one limits elements within an 8 KiB safety size.
const LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
const SAFETY_LIMIT: usize = 8192;

fn size_limit(fill: i64) -> Option<usize> {
    usize::try_from(-fill - 1)
        .ok()
        .and_then(|i| LEVELS.get(i).copied())
}

/// Whether a node of `bytes` bytes and `count` elements takes one more of
/// `size` bytes, like Redis's `_quicklistNodeAllowInsert` (which adds 8 to
/// overestimate the new element's overhead).
fn node_accepts(bytes: usize, count: usize, size: usize, fill: i64) -> bool {
    let new = bytes + size + 8;
    if size_limit(fill).is_some_and(|limit| new <= limit) {
        return true;
    }
    new <= SAFETY_LIMIT && (count as i64) < fill
}

/// Whether a node grew past its limits (by an insertion or replacement in
/// its middle); a single element is never split further.
fn node_overfull(lp: &Listpack, fill: i64) -> bool {
    let (bytes, count) = (lp.bytes_len(), lp.len());
    count > 1
        && match size_limit(fill) {
            Some(limit) => bytes > limit,
            None => bytes > SAFETY_LIMIT || count as i64 > fill,
        }
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    /// A list of `elements`, head first, filled like Redis (`fill` is
    /// `list-max-listpack-size`).
    pub fn from_elements<E: AsRef<[u8]>>(elements: impl IntoIterator<Item = E>, fill: i64) -> List {
        let mut list = List::new();
        for e in elements {
            list.push(End::Right, e.as_ref(), fill);
        }
        list
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    pub fn len(&self) -> usize {
        match self {
            List::Packed(lp) => lp.len(),
            List::Quick(q) => q.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The nodes, head first.
    fn nodes(&self) -> impl DoubleEndedIterator<Item = &Listpack> + '_ {
        let (a, b) = match self {
            List::Packed(lp) => (std::slice::from_ref(lp), &[][..]),
            List::Quick(q) => q.nodes.as_slices(),
        };
        a.iter().chain(b)
    }

    /// Number of nodes and their listpacks' bytes together (DEBUG OBJECT).
    pub fn shape(&self) -> (usize, usize) {
        (
            self.node_count(),
            self.nodes().map(Listpack::bytes_len).sum(),
        )
    }

    fn node_count(&self) -> usize {
        match self {
            List::Packed(_) => 1,
            List::Quick(q) => q.nodes.len(),
        }
    }

    fn node(&self, i: usize) -> &Listpack {
        match self {
            List::Packed(lp) => lp,
            List::Quick(q) => &q.nodes[i],
        }
    }

    fn node_mut(&mut self, i: usize) -> &mut Listpack {
        match self {
            List::Packed(lp) => lp,
            List::Quick(q) => &mut q.nodes[i],
        }
    }

    /// The nodes as a ring buffer, turning a one-node list into one.
    fn quick(&mut self) -> &mut Quick {
        if let List::Packed(lp) = self {
            let lp = std::mem::take(lp);
            let len = lp.len();
            *self = List::Quick(Box::new(Quick {
                nodes: VecDeque::from([lp]),
                len,
            }));
        }
        match self {
            List::Quick(q) => q,
            List::Packed(_) => unreachable!("converted above"),
        }
    }

    /// Records `removed` elements gone from node `node` (every node when
    /// `None`) and drops the nodes that emptied; a single node left becomes
    /// a plain listpack again.
    fn removed(&mut self, removed: usize, node: Option<usize>) {
        let List::Quick(q) = self else {
            return;
        };
        q.len -= removed;
        match node {
            Some(i) if q.nodes[i].is_empty() => {
                q.nodes.remove(i);
            }
            Some(_) => {}
            None => q.nodes.retain(|lp| !lp.is_empty()),
        }
        if q.nodes.len() <= 1 {
            let lp = q.nodes.pop_front().unwrap_or_default();
            *self = List::Packed(lp);
        }
    }

    /// The node holding `index` and the element's offset in it.
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        let len = self.len();
        if index >= len {
            return None;
        }
        if index < len / 2 {
            let mut skip = index;
            for (i, lp) in self.nodes().enumerate() {
                if skip < lp.len() {
                    return Some((i, lp.seek(skip as isize)?));
                }
                skip -= lp.len();
            }
        } else {
            let mut skip = len - 1 - index;
            let n = self.node_count();
            for (i, lp) in self.nodes().rev().enumerate() {
                if skip < lp.len() {
                    return Some((n - 1 - i, lp.seek(-1 - skip as isize)?));
                }
                skip -= lp.len();
            }
        }
        None
    }

    pub fn push(&mut self, end: End, value: &[u8], fill: i64) {
        let entry = Entry::Str(value);
        let edge = match end {
            End::Left => 0,
            End::Right => self.node_count() - 1,
        };
        let lp = self.node(edge);
        if lp.is_empty() || node_accepts(lp.bytes_len(), lp.len(), value.len(), fill) {
            let lp = self.node_mut(edge);
            match end {
                End::Left => lp.push_front(entry),
                End::Right => lp.push_back(entry),
            }
            if let List::Quick(q) = self {
                q.len += 1;
            }
            return;
        }
        let mut node = Listpack::new();
        node.push_back(entry);
        let q = self.quick();
        match end {
            End::Left => q.nodes.push_front(node),
            End::Right => q.nodes.push_back(node),
        }
        q.len += 1;
    }

    pub fn pop(&mut self, end: End) -> Option<Str> {
        let edge = match end {
            End::Left => 0,
            End::Right => self.node_count() - 1,
        };
        let lp = self.node_mut(edge);
        let p = match end {
            End::Left => lp.first()?,
            End::Right => lp.last()?,
        };
        let value = Str::new(lp.get(p).bytes(&mut itoa::Buffer::new()));
        lp.delete(p);
        self.removed(1, Some(edge));
        Some(value)
    }

    pub fn get(&self, index: usize) -> Option<Entry<'_>> {
        let (i, p) = self.locate(index)?;
        Some(self.node(i).get(p))
    }

    /// Replaces the element at `index`; false when out of range.
    pub fn set(&mut self, index: usize, value: &[u8], fill: i64) -> bool {
        let Some((i, p)) = self.locate(index) else {
            return false;
        };
        self.node_mut(i).replace(p, Entry::Str(value));
        self.split_if_overfull(i, fill);
        true
    }

    /// Inserts `value` so that it ends up at `index` (`index <= len`).
    pub fn insert(&mut self, index: usize, value: &[u8], fill: i64) {
        if index == self.len() {
            return self.push(End::Right, value, fill);
        }
        let (i, p) = self.locate(index).expect("index in range");
        self.node_mut(i).insert(p, &[Entry::Str(value)]);
        if let List::Quick(q) = self {
            q.len += 1;
        }
        self.split_if_overfull(i, fill);
    }

    /// Splits node `i` in two halves if it grew past its limits.
    fn split_if_overfull(&mut self, i: usize, fill: i64) {
        if !node_overfull(self.node(i), fill) {
            return;
        }
        let q = self.quick();
        let node = &mut q.nodes[i];
        let keep = node.len() / 2;
        let at = node.seek(keep as isize).expect("within the node");
        let mut tail = Listpack::new();
        let moved: Vec<Vec<u8>> = node.iter_from(at).map(|e| e.to_vec()).collect();
        let entries: Vec<Entry<'_>> = moved.iter().map(|e| Entry::Str(e)).collect();
        tail.insert(tail.end(), &entries);
        node.delete_run(at, moved.len());
        q.nodes.insert(i + 1, tail);
    }

    /// The index of the first element equal to `value`.
    pub fn position(&self, value: &[u8]) -> Option<usize> {
        self.iter().position(|e| e.eq_bytes(value))
    }

    /// All elements, head first (reversible).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Entry<'_>> + '_ {
        self.nodes().flat_map(|lp| lp.iter())
    }

    /// The elements in `range`, head first.
    pub fn range(&self, range: Range<usize>) -> impl Iterator<Item = Entry<'_>> + '_ {
        let start = self.locate(range.start);
        let (node, p) = start.unwrap_or((self.node_count(), 0));
        let first = (node < self.node_count()).then(|| self.node(node).iter_from(p));
        let rest = self.nodes().skip(node + 1).flat_map(|lp| lp.iter());
        first.into_iter().flatten().chain(rest).take(range.len())
    }

    /// Removes the elements in `range`.
    pub fn remove_range(&mut self, range: Range<usize>) {
        let Some((mut i, p)) = self.locate(range.start) else {
            return;
        };
        let mut left = range.len();
        let mut p = Some(p);
        while left > 0 && i < self.node_count() {
            let lp = self.node_mut(i);
            let from = p.take().or(lp.first()).expect("nodes are not empty");
            let before = lp.len();
            lp.delete_run(from, left);
            left -= before - lp.len();
            i += 1;
        }
        self.removed(range.len() - left, None);
    }

    /// Removes up to `limit` elements equal to `value` (0: all), scanning
    /// from `from`. Returns how many were removed.
    pub fn remove_matching(&mut self, value: &[u8], limit: usize, from: End) -> usize {
        let mut removed = 0;
        let n = self.node_count();
        for k in 0..n {
            if limit != 0 && removed == limit {
                break;
            }
            let lp = self.node_mut(if from == End::Left { k } else { n - 1 - k });
            let mut p = match from {
                End::Left => lp.first(),
                End::Right => lp.last(),
            };
            while let Some(at) = p {
                if limit != 0 && removed == limit {
                    break;
                }
                if !lp.get(at).eq_bytes(value) {
                    p = match from {
                        End::Left => lp.next(at),
                        End::Right => lp.prev(at),
                    };
                    continue;
                }
                // Offsets before `at` stay valid across the deletion.
                let before = lp.prev(at);
                let after = lp.delete(at);
                removed += 1;
                p = match from {
                    End::Left => after,
                    End::Right => before,
                };
            }
        }
        self.removed(removed, None);
        removed
    }

    /// Calls `f` with the size of each heap block the list owns (for
    /// MEMORY USAGE).
    pub fn allocations(&self, mut f: impl FnMut(usize)) {
        if let List::Quick(q) = self {
            f(std::mem::size_of::<Quick>());
            f(q.nodes.capacity() * std::mem::size_of::<Listpack>());
        }
        self.nodes().for_each(|lp| f(lp.bytes_len()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    const FILL: i64 = -2;

    fn list(items: &[&str]) -> List {
        List::from_elements(items, FILL)
    }

    fn items(l: &List) -> Vec<String> {
        l.iter()
            .map(|e| String::from_utf8_lossy(&e.to_vec()).into_owned())
            .collect()
    }

    #[test]
    fn push_pop_both_ends() {
        let mut l = List::new();
        l.push(End::Left, b"b", FILL);
        l.push(End::Left, b"a", FILL);
        l.push(End::Right, b"12", FILL);
        assert_eq!(items(&l), ["a", "b", "12"]);
        assert_eq!(l.pop(End::Right).as_deref(), Some(&b"12"[..]));
        assert_eq!(l.pop(End::Left).as_deref(), Some(&b"a"[..]));
        assert_eq!(l.len(), 1);
        assert_eq!(l.encoding(), "quicklist");
        assert_eq!(std::mem::size_of::<List>(), 16);
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
        let got: Vec<_> = l.range(1..3).map(|e| e.to_vec()).collect();
        assert_eq!(got, [b"b".to_vec(), b"c".to_vec()]);
        l.remove_range(0..1);
        l.remove_range(3..4);
        l.remove_range(1..2);
        assert_eq!(items(&l), ["b", "d"]);
        l.insert(1, b"c", FILL);
        assert!(l.set(0, b"B", FILL));
        assert!(!l.set(3, b"z", FILL));
        assert_eq!(items(&l), ["B", "c", "d"]);
        assert_eq!(l.position(b"d"), Some(2));
    }

    #[test]
    fn nodes_fill_like_redis() {
        // 100-byte elements: 8 KiB nodes hold about 80 of them.
        let big = vec![b'x'; 100];
        let mut l = List::new();
        for _ in 0..1000 {
            l.push(End::Right, &big, FILL);
        }
        assert!(matches!(&l, List::Quick(q) if (12..=14).contains(&q.nodes.len())));
        assert!(l.nodes().all(|lp| lp.bytes_len() <= 8192));
        // A count limit.
        let mut l = List::new();
        for i in 0..10 {
            l.push(End::Left, i.to_string().as_bytes(), 3);
        }
        assert!(matches!(&l, List::Quick(q) if q.nodes.len() == 4));
        while l.pop(End::Left).is_some() {}
        assert!(matches!(l, List::Packed(_)));
    }

    /// Random edits against a `Vec` model, with tiny nodes so that every
    /// operation crosses node boundaries.
    #[test]
    fn matches_a_vec_under_random_operations() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        for fill in [2, 3, 5, -1] {
            let (mut l, mut model) = (List::new(), Vec::<Vec<u8>>::new());
            for step in 0..3000 {
                let v = format!("v{}", rng.random_range(0..20)).into_bytes();
                let len = model.len();
                match rng.random_range(0..9) {
                    0 => {
                        l.push(End::Left, &v, fill);
                        model.insert(0, v);
                    }
                    1 | 2 => {
                        l.push(End::Right, &v, fill);
                        model.push(v);
                    }
                    3 => {
                        let got = l.pop(End::Left).map(|s| s.to_vec());
                        assert_eq!(got, (!model.is_empty()).then(|| model.remove(0)));
                    }
                    4 => assert_eq!(l.pop(End::Right).map(|s| s.to_vec()), model.pop()),
                    5 if len > 0 => {
                        let i = rng.random_range(0..=len);
                        l.insert(i, &v, fill);
                        model.insert(i, v);
                    }
                    6 if len > 0 => {
                        let i = rng.random_range(0..len);
                        assert!(l.set(i, &v, fill));
                        model[i] = v;
                    }
                    7 => {
                        let a = rng.random_range(0..=len);
                        let b = rng.random_range(a..=len);
                        if step % 5 == 0 {
                            l.remove_range(a..b);
                            model.drain(a..b);
                        } else {
                            let got: Vec<_> = l.range(a..b).map(|e| e.to_vec()).collect();
                            assert_eq!(got, model[a..b]);
                        }
                    }
                    _ => {
                        let from = if rng.random_bool(0.5) {
                            End::Left
                        } else {
                            End::Right
                        };
                        let limit = rng.random_range(0..3);
                        let removed = l.remove_matching(&v, limit, from);
                        let mut left = if limit == 0 { usize::MAX } else { limit };
                        let mut keep = |e: &Vec<u8>| {
                            let drop = left > 0 && *e == v;
                            left -= usize::from(drop);
                            !drop
                        };
                        let before = model.len();
                        if from == End::Left {
                            model.retain(|e| keep(e));
                        } else {
                            model.reverse();
                            model.retain(|e| keep(e));
                            model.reverse();
                        }
                        assert_eq!(removed, before - model.len());
                    }
                }
                assert_eq!(l.len(), model.len());
                let i = rng.random_range(0..model.len().max(1));
                assert_eq!(l.get(i).map(|e| e.to_vec()), model.get(i).cloned());
            }
            let all: Vec<_> = l.iter().map(|e| e.to_vec()).collect();
            assert_eq!(all, model);
            let back: Vec<_> = l.iter().rev().map(|e| e.to_vec()).collect();
            assert_eq!(back, model.iter().rev().cloned().collect::<Vec<_>>());
        }
    }
}
