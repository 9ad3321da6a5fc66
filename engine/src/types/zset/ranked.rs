//! The big sorted set encoding: members ordered by (score, member) with
//! O(log n) insert, delete, rank and select, plus O(1) member lookup.
//!
//! Redis uses a skip list with spans next to a dict. Here a compact
//! insertion-ordered hash table ([`DenseMap`]) holds each member once, and
//! a parallel vector holds, at the same position, its score and its node in a
//! treap (a binary search tree kept balanced by random priorities) whose
//! links are positions and whose nodes count their subtree. A member costs
//! one set entry and one 24-byte node: no second copy, no per-node
//! allocation, dense nodes for the tree walks (members are only read to
//! break score ties), and any member can be picked at random in O(1).
//!
//! Removing an entry moves the last one into its place (`swap_remove`), so
//! the one tree link pointing at the moved node is rewritten; it is found
//! by searching for the moved node's key.

use std::cmp::Ordering;

use crate::table::DenseMap;

/// No node.
const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq)]
struct Node {
    score: f64,
    left: u32,
    right: u32,
    /// Nodes in this subtree, this one included.
    size: u32,
    priority: u32,
}

/// Members with scores, in Redis's order: by score, then by member bytes.
#[derive(Clone, Debug)]
pub struct Ranked {
    members: DenseMap<()>,
    /// `nodes[i]` belongs to `members[i]`.
    nodes: Vec<Node>,
    root: u32,
    /// xorshift state for node priorities.
    seed: u32,
}

impl Default for Ranked {
    fn default() -> Ranked {
        Ranked {
            members: DenseMap::new(),
            nodes: Vec::new(),
            root: NIL,
            seed: 0x9E37_79B9,
        }
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Ranked) -> bool {
        self.len() == other.len() && self.iter(0, false).eq(other.iter(0, false))
    }
}

/// Compares scores like Redis's skip list: `-0` equals `0`, and scores are
/// never NaN.
fn cmp_score(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).expect("scores are never NaN")
}

impl Ranked {
    pub fn with_capacity(n: usize) -> Ranked {
        Ranked {
            nodes: Vec::with_capacity(n),
            ..Ranked::default()
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        let i = self.members.position(member)?;
        Some(self.nodes[i].score)
    }

    /// Adds `member` or changes its score; returns the previous score.
    pub fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        if let Some(i) = self.members.position(member) {
            let i = i as u32;
            let old = self.node(i).score;
            if old != score {
                self.root = self.detach(self.root, i);
                let n = self.node_mut(i);
                (n.score, n.left, n.right, n.size) = (score, NIL, NIL, 1);
                self.root = self.attach(self.root, i);
            }
            return Some(old);
        }
        let priority = self.next_priority();
        let i = u32::try_from(self.nodes.len()).expect("fewer than 2^32 members");
        assert!(i != NIL, "fewer than 2^32 - 1 members");
        let node = Node {
            score,
            left: NIL,
            right: NIL,
            size: 1,
            priority,
        };
        self.members.insert(member, ());
        self.nodes.push(node);
        self.root = self.attach(self.root, i);
        None
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let i = self.members.position(member)? as u32;
        let score = self.node(i).score;
        self.remove_node(i);
        Some(score)
    }

    /// The 0-based position of `member` in score order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let target = self.members.position(member)? as u32;
        let mut rank = 0;
        let mut t = self.root;
        while t != target {
            if self.less(target, t) {
                t = self.node(t).left;
            } else {
                rank += self.size(self.node(t).left) + 1;
                t = self.node(t).right;
            }
        }
        Some((rank + self.size(self.node(target).left)) as usize)
    }

    /// The member and score at `rank`.
    pub fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        let i = self.select(rank)?;
        Some(self.entry(i))
    }

    /// How many members, from the first, satisfy `before` (which must hold
    /// for a prefix of the order, like "score < min").
    pub fn count_while(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut count = 0;
        let mut t = self.root;
        while t != NIL {
            let (member, score) = self.entry(t);
            if before(score, member) {
                count += self.size(self.node(t).left) + 1;
                t = self.node(t).right;
            } else {
                t = self.node(t).left;
            }
        }
        count as usize
    }

    /// Like [`Ranked::count_while`] for a test of the score alone (which
    /// spares reading members).
    pub fn count_scores_while(&self, before: impl Fn(f64) -> bool) -> usize {
        let mut count = 0;
        let mut t = self.root;
        while t != NIL {
            let n = self.node(t);
            if before(n.score) {
                count += self.size(n.left) + 1;
                t = n.right;
            } else {
                t = n.left;
            }
        }
        count as usize
    }

    /// Members and scores from rank `start` on, towards higher ranks, or
    /// towards lower ranks when `rev` (then `start` counts from the end).
    pub fn iter(&self, start: usize, rev: bool) -> Iter<'_> {
        let mut it = Iter {
            set: self,
            stack: Vec::new(),
            rev,
        };
        if start >= self.len() {
            return it;
        }
        let mut rank = if rev { self.len() - 1 - start } else { start } as u32;
        let mut t = self.root;
        while t != NIL {
            let n = self.node(t);
            let left = self.size(n.left);
            match rank.cmp(&left) {
                Ordering::Less => {
                    if !rev {
                        it.stack.push(t);
                    }
                    t = n.left;
                }
                Ordering::Equal => {
                    it.stack.push(t);
                    break;
                }
                Ordering::Greater => {
                    if rev {
                        it.stack.push(t);
                    }
                    rank -= left + 1;
                    t = n.right;
                }
            }
        }
        it
    }

    /// Removes the members whose ranks are in `ranks`.
    pub fn remove_ranks(&mut self, ranks: std::ops::Range<usize>) {
        for _ in ranks.clone() {
            let i = self.select(ranks.start).expect("rank in range");
            self.remove_node(i);
        }
    }

    /// The member and score at map position `index` (any order; for
    /// random picks and SCAN).
    pub fn at(&self, index: usize) -> Option<(&[u8], f64)> {
        let (member, _) = self.members.get_index(index)?;
        Some((member, self.nodes[index].score))
    }

    /// Bytes allocated for the member table and the nodes, not counting
    /// what long members own (for MEMORY USAGE).
    pub fn allocated_bytes(&self) -> usize {
        self.members.allocated_bytes() + self.nodes.capacity() * std::mem::size_of::<Node>()
    }

    fn next_priority(&mut self) -> u32 {
        let mut x = self.seed;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.seed = x;
        x
    }

    fn node(&self, i: u32) -> &Node {
        &self.nodes[i as usize]
    }

    fn node_mut(&mut self, i: u32) -> &mut Node {
        &mut self.nodes[i as usize]
    }

    fn entry(&self, i: u32) -> (&[u8], f64) {
        let (member, _) = self.members.get_index(i as usize).expect("member of node");
        (member, self.nodes[i as usize].score)
    }

    fn size(&self, i: u32) -> u32 {
        if i == NIL {
            0
        } else {
            self.node(i).size
        }
    }

    fn resize(&mut self, i: u32) {
        let n = *self.node(i);
        self.node_mut(i).size = 1 + self.size(n.left) + self.size(n.right);
    }

    /// Whether node `a` orders before node `b`.
    fn less(&self, a: u32, b: u32) -> bool {
        let order = cmp_score(self.node(a).score, self.node(b).score)
            .then_with(|| self.entry(a).0.cmp(self.entry(b).0));
        order == Ordering::Less
    }

    fn select(&self, rank: usize) -> Option<u32> {
        let mut rank = u32::try_from(rank).ok()?;
        let mut t = self.root;
        while t != NIL {
            let n = self.node(t);
            let left = self.size(n.left);
            match rank.cmp(&left) {
                Ordering::Less => t = n.left,
                Ordering::Equal => return Some(t),
                Ordering::Greater => {
                    rank -= left + 1;
                    t = n.right;
                }
            }
        }
        None
    }

    /// Inserts the detached node `k` into the subtree `t`; returns its root.
    fn attach(&mut self, t: u32, k: u32) -> u32 {
        if t == NIL {
            return k;
        }
        if self.node(k).priority > self.node(t).priority {
            let (l, r) = self.split(t, k);
            let n = self.node_mut(k);
            (n.left, n.right) = (l, r);
            self.resize(k);
            return k;
        }
        if self.less(k, t) {
            let l = self.attach(self.node(t).left, k);
            self.node_mut(t).left = l;
        } else {
            let r = self.attach(self.node(t).right, k);
            self.node_mut(t).right = r;
        }
        self.resize(t);
        t
    }

    /// Splits subtree `t` into the nodes before `k` and those after it.
    fn split(&mut self, t: u32, k: u32) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        if self.less(t, k) {
            let (l, r) = self.split(self.node(t).right, k);
            self.node_mut(t).right = l;
            self.resize(t);
            (t, r)
        } else {
            let (l, r) = self.split(self.node(t).left, k);
            self.node_mut(t).left = r;
            self.resize(t);
            (l, t)
        }
    }

    /// Joins two subtrees whose nodes in `a` all order before those in `b`.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if self.node(a).priority > self.node(b).priority {
            let r = self.merge(self.node(a).right, b);
            self.node_mut(a).right = r;
            self.resize(a);
            a
        } else {
            let l = self.merge(a, self.node(b).left);
            self.node_mut(b).left = l;
            self.resize(b);
            b
        }
    }

    /// Takes node `k` out of subtree `t`; returns the new root.
    fn detach(&mut self, t: u32, k: u32) -> u32 {
        if t == k {
            let n = *self.node(k);
            return self.merge(n.left, n.right);
        }
        if self.less(k, t) {
            let l = self.detach(self.node(t).left, k);
            self.node_mut(t).left = l;
        } else {
            let r = self.detach(self.node(t).right, k);
            self.node_mut(t).right = r;
        }
        self.resize(t);
        t
    }

    /// Removes node `i` from the tree and the map.
    fn remove_node(&mut self, i: u32) {
        self.root = self.detach(self.root, i);
        let last = (self.nodes.len() - 1) as u32;
        if i != last {
            // `swap_remove` moves the last entry to `i`: repoint its parent.
            if self.root == last {
                self.root = i;
            } else {
                let mut t = self.root;
                loop {
                    let n = *self.node(t);
                    let next = if self.less(last, t) { n.left } else { n.right };
                    if next == last {
                        if self.less(last, t) {
                            self.node_mut(t).left = i;
                        } else {
                            self.node_mut(t).right = i;
                        }
                        break;
                    }
                    t = next;
                }
            }
        }
        self.members.swap_remove_index(i as usize);
        self.nodes.swap_remove(i as usize);
    }
}

/// In-order walk from a starting rank (see [`Ranked::iter`]).
pub struct Iter<'a> {
    set: &'a Ranked,
    /// The next node on top, then the ancestors still to visit.
    stack: Vec<u32>,
    rev: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<(&'a [u8], f64)> {
        let t = self.stack.pop()?;
        let n = self.set.node(t);
        let mut c = if self.rev { n.left } else { n.right };
        while c != NIL {
            self.stack.push(c);
            let cn = self.set.node(c);
            c = if self.rev { cn.right } else { cn.left };
        }
        Some(self.set.entry(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The naive model: a sorted vector.
    #[derive(Default)]
    struct Model(Vec<(f64, Vec<u8>)>);

    impl Model {
        fn sort(&mut self) {
            self.0
                .sort_by(|a, b| cmp_score(a.0, b.0).then_with(|| a.1.cmp(&b.1)));
        }
        fn insert(&mut self, m: &[u8], s: f64) -> Option<f64> {
            let old = self.remove(m);
            self.0.push((s, m.to_vec()));
            self.sort();
            old
        }
        fn remove(&mut self, m: &[u8]) -> Option<f64> {
            let i = self.0.iter().position(|e| e.1 == m)?;
            Some(self.0.remove(i).0)
        }
    }

    fn check(set: &Ranked, model: &Model) {
        assert_eq!(set.len(), model.0.len());
        let all: Vec<(f64, Vec<u8>)> = set.iter(0, false).map(|(m, s)| (s, m.to_vec())).collect();
        assert_eq!(all, model.0);
        assert_eq!(set.size(set.root) as usize, set.len());
    }

    #[test]
    fn matches_a_sorted_vec_under_random_operations() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for round in 0..20 {
            let (mut set, mut model) = (Ranked::default(), Model::default());
            let members = 1 + round * 10;
            for _ in 0..2000 {
                let m = format!("m{}", rng.random_range(0..members)).into_bytes();
                // Few distinct scores, so ties ordered by member are common.
                let s = f64::from(rng.random_range(-5..5)) / 2.0;
                match rng.random_range(0..10) {
                    0..=4 => assert_eq!(set.insert(&m, s), model.insert(&m, s)),
                    5..=6 => assert_eq!(set.remove(&m), model.remove(&m)),
                    7 => {
                        let want = model.0.iter().position(|e| e.1 == m);
                        assert_eq!(set.rank(&m), want);
                        assert_eq!(set.score(&m), want.map(|i| model.0[i].0));
                    }
                    8 => {
                        let below = model.0.iter().take_while(|e| e.0 < s).count();
                        assert_eq!(set.count_while(|score, _| score < s), below);
                        let upto = model
                            .0
                            .iter()
                            .take_while(|e| (e.0, &e.1[..]) <= (s, &m[..]))
                            .count();
                        assert_eq!(
                            set.count_while(|score, member| (score, member) <= (s, &m[..])),
                            upto
                        );
                    }
                    _ => {
                        let len = model.0.len();
                        let start = rng.random_range(0..=len);
                        let end = rng.random_range(start..=len);
                        let fwd: Vec<_> = set
                            .iter(start, false)
                            .take(3)
                            .map(|(m, _)| m.to_vec())
                            .collect();
                        let want: Vec<_> = model
                            .0
                            .iter()
                            .skip(start)
                            .take(3)
                            .map(|e| e.1.clone())
                            .collect();
                        assert_eq!(fwd, want);
                        let back: Vec<_> = set
                            .iter(start, true)
                            .take(3)
                            .map(|(m, _)| m.to_vec())
                            .collect();
                        let want: Vec<_> = model
                            .0
                            .iter()
                            .rev()
                            .skip(start)
                            .take(3)
                            .map(|e| e.1.clone())
                            .collect();
                        assert_eq!(back, want);
                        if rng.random_range(0..4) == 0 {
                            set.remove_ranks(start..end);
                            model.0.drain(start..end);
                        }
                        if let Some(e) = model.0.get(start) {
                            assert_eq!(set.get(start), Some((&e.1[..], e.0)));
                        }
                    }
                }
            }
            check(&set, &model);
        }
    }

    #[test]
    fn negative_zero_ties_with_zero() {
        let mut set = Ranked::default();
        set.insert(b"b", -0.0);
        set.insert(b"a", 0.0);
        let order: Vec<_> = set.iter(0, false).map(|(m, _)| m.to_vec()).collect();
        assert_eq!(order, [b"a".to_vec(), b"b".to_vec()]);
        // Same score: the stored -0 stays.
        assert_eq!(set.insert(b"b", 0.0), Some(-0.0));
        assert!(set.score(b"b").unwrap().is_sign_negative());
    }

    #[test]
    fn stays_shallow() {
        let mut set = Ranked::default();
        for i in 0..100_000 {
            set.insert(format!("{i:08}").as_bytes(), f64::from(i));
        }
        fn depth(s: &Ranked, t: u32) -> usize {
            if t == NIL {
                0
            } else {
                1 + depth(s, s.node(t).left).max(depth(s, s.node(t).right))
            }
        }
        assert!(depth(&set, set.root) < 60, "{}", depth(&set, set.root));
        assert_eq!(set.rank(b"00050000"), Some(50_000));
    }
}
