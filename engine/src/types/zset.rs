//! The sorted set value type.
//!
//! Like Redis 7.0: a listpack of member-score pairs in score order while
//! the set has at most `zset-max-listpack-entries` members of at most
//! `zset-max-listpack-value` bytes (OBJECT ENCODING `listpack`), then an
//! order-statistic structure with a member index ([`Ranked`], reported as
//! `skiplist`). It only goes back to a listpack where Redis does: results of
//! the STORE commands (see [`ZSet::compact`]).
//!
//! Order is by score, then by member bytes; scores are never NaN and `-0`
//! ties with `0`. Ranks are 0-based.

mod ranked;

use std::cmp::Ordering;
use std::ops::Range;

use super::listpack::{Entry, Listpack};
use super::Limits;
use crate::strtod::strtod;
pub use ranked::Ranked;

/// A sorted set value. 16 bytes: small sets are one listpack allocation.
#[derive(Clone, Debug, PartialEq)]
pub enum ZSet {
    /// Member and score entries alternate, in order.
    Listpack(Listpack),
    Tree(Box<Ranked>),
}

/// A score interval (ZRANGEBYSCORE, ZCOUNT...); `min > max` is empty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub min_exclusive: bool,
    pub max_exclusive: bool,
}

impl ScoreRange {
    pub fn above_min(&self, score: f64) -> bool {
        if self.min_exclusive {
            score > self.min
        } else {
            score >= self.min
        }
    }

    pub fn below_max(&self, score: f64) -> bool {
        if self.max_exclusive {
            score < self.max
        } else {
            score <= self.max
        }
    }
}

/// One end of a lexicographic interval (ZRANGEBYLEX...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: before every member.
    Min,
    /// `+`: after every member.
    Max,
    Inclusive(Vec<u8>),
    Exclusive(Vec<u8>),
}

/// A lexicographic interval of members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

impl LexBound {
    /// Position in Redis's lexicographic order: `-` before all strings,
    /// `+` after them.
    fn key(&self) -> (u8, &[u8], bool) {
        match self {
            LexBound::Min => (0, &[], true),
            LexBound::Inclusive(m) => (1, m, false),
            LexBound::Exclusive(m) => (1, m, true),
            LexBound::Max => (2, &[], true),
        }
    }
}

impl LexRange {
    /// Whether no string can be in the range (Redis's `sdscmplex` test).
    pub fn is_empty(&self) -> bool {
        let ((a, am, ax), (b, bm, bx)) = (self.min.key(), self.max.key());
        match (a, am).cmp(&(b, bm)) {
            Ordering::Greater => true,
            Ordering::Equal => ax || bx,
            Ordering::Less => false,
        }
    }

    pub fn above_min(&self, member: &[u8]) -> bool {
        match &self.min {
            LexBound::Min => true,
            LexBound::Max => false,
            LexBound::Inclusive(m) => member >= &m[..],
            LexBound::Exclusive(m) => member > &m[..],
        }
    }

    pub fn below_max(&self, member: &[u8]) -> bool {
        match &self.max {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Inclusive(m) => member <= &m[..],
            LexBound::Exclusive(m) => member < &m[..],
        }
    }
}

impl Default for ZSet {
    fn default() -> ZSet {
        ZSet::Listpack(Listpack::new())
    }
}

/// Redis's order of (score, member) pairs.
fn cmp_entry(a: (f64, &[u8]), b: (f64, &[u8])) -> Ordering {
    a.0.partial_cmp(&b.0)
        .expect("scores are never NaN")
        .then_with(|| a.1.cmp(b.1))
}

/// A score in a listpack, as Redis's `zzlInsertAt` writes it: integral
/// values up to 2^62 as integers (so `-0` becomes `0`), others with `%.17g`.
fn write_score(score: f64, text: &mut Vec<u8>) -> Entry<'_> {
    const LIMIT: f64 = (i64::MAX / 2) as f64;
    if (-LIMIT..=LIMIT).contains(&score) && score.fract() == 0.0 {
        return Entry::Int(score as i64);
    }
    text.clear();
    resp::format_double(score, text);
    Entry::Str(text)
}

fn read_score(entry: Entry<'_>) -> f64 {
    match entry {
        Entry::Int(n) => n as f64,
        Entry::Str(s) => strtod(s).value,
    }
}

/// The listpack's (member, score) pairs, from either end.
struct Pairs<'a>(super::listpack::Iter<'a>);

impl<'a> Iterator for Pairs<'a> {
    type Item = (Entry<'a>, f64);

    fn next(&mut self) -> Option<Self::Item> {
        let member = self.0.next()?;
        Some((member, read_score(self.0.next()?)))
    }
}

impl DoubleEndedIterator for Pairs<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let score = read_score(self.0.next_back()?);
        Some((self.0.next_back()?, score))
    }
}

fn pairs(lp: &Listpack) -> Pairs<'_> {
    Pairs(lp.iter())
}

impl ZSet {
    /// An empty set in the encoding ZADD gives a new key whose first member
    /// is `first_len` bytes long.
    pub fn for_first_member(first_len: usize, limits: &Limits) -> ZSet {
        if limits.zset_max_listpack_entries == 0 || first_len > limits.zset_max_listpack_value {
            ZSet::Tree(Box::default())
        } else {
            ZSet::default()
        }
    }

    /// A set read from RDB data (RESTORE, loading), encoded as Redis's
    /// `rdbLoadObject` does: every pair into the big encoding, converted to
    /// a listpack afterwards if they fit the limits. Unlike inserting them
    /// one by one, this keeps a `-0` score (which a listpack turns into
    /// `0`) in a set too big for a listpack, whatever the pairs' order: a
    /// DUMP of such a set restores with the same scores.
    pub fn from_loaded<M: AsRef<[u8]>>(pairs: Vec<(M, f64)>, limits: &Limits) -> ZSet {
        let member_bytes: usize = pairs.iter().map(|(m, _)| m.as_ref().len()).sum();
        let fits = pairs.len() <= limits.zset_max_listpack_entries
            && pairs
                .iter()
                .all(|(m, _)| m.as_ref().len() <= limits.zset_max_listpack_value)
            && Listpack::new().safe_to_add(member_bytes);
        if fits {
            return ZSet::from_pairs(pairs, limits);
        }
        let mut tree = Ranked::with_capacity(pairs.len());
        for (m, s) in pairs {
            tree.insert(m.as_ref(), s);
        }
        ZSet::Tree(Box::new(tree))
    }

    /// A set holding `pairs` (a later duplicate member overwrites), each
    /// added as ZADD would (converting once one no longer fits a listpack).
    pub fn from_pairs<M: AsRef<[u8]>>(
        pairs: impl IntoIterator<Item = (M, f64)>,
        limits: &Limits,
    ) -> ZSet {
        let mut z = ZSet::default();
        for (m, s) in pairs {
            z.insert(m.as_ref(), s, limits);
        }
        z
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            ZSet::Listpack(_) => "listpack",
            ZSet::Tree(_) => "skiplist",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(lp) => lp.len() / 2,
            ZSet::Tree(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Offset of `member`'s entry in a listpack.
    fn find(lp: &Listpack, member: &[u8]) -> Option<usize> {
        lp.find(lp.first()?, member, 1)
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(lp) => {
                let p = Self::find(lp, member)?;
                Some(read_score(lp.get(lp.next(p)?)))
            }
            ZSet::Tree(t) => t.score(member),
        }
    }

    /// Adds `member` with `score`, or moves it to `score` (a no-op when
    /// the score is equal, so a stored `-0` stays). Returns the previous
    /// score. Converts to the big encoding when a new member would pass the
    /// listpack limits, as Redis's `zsetAdd` does.
    pub fn insert(&mut self, member: &[u8], score: f64, limits: &Limits) -> Option<f64> {
        debug_assert!(!score.is_nan());
        if let ZSet::Listpack(lp) = self {
            if let Some(p) = Self::find(lp, member) {
                let old = read_score(lp.get(lp.next(p)?));
                if old != score {
                    lp.delete_run(p, 2);
                    Self::lp_insert(lp, member, score);
                }
                return Some(old);
            }
            let fits = lp.len() / 2 < limits.zset_max_listpack_entries
                && member.len() <= limits.zset_max_listpack_value
                && lp.safe_to_add(member.len());
            if fits {
                Self::lp_insert(lp, member, score);
                return None;
            }
            self.convert();
        }
        match self {
            ZSet::Tree(t) => t.insert(member, score),
            ZSet::Listpack(_) => unreachable!("converted above"),
        }
    }

    /// Inserts a new pair at its place in a listpack.
    fn lp_insert(lp: &mut Listpack, member: &[u8], score: f64) {
        let mut at = lp.end();
        let mut p = lp.first();
        while let Some(m) = p {
            let s = lp.next(m).expect("paired");
            let mut buf = itoa::Buffer::new();
            let here = (read_score(lp.get(s)), lp.get(m).bytes(&mut buf));
            if cmp_entry(here, (score, member)) == Ordering::Greater {
                at = m;
                break;
            }
            p = lp.next(s);
        }
        let mut text = Vec::new();
        let score = write_score(score, &mut text);
        lp.insert(at, &[Entry::Str(member), score]);
    }

    /// Moves a listpack's pairs into the big encoding (as a new member
    /// past the limits does, and SORT).
    pub fn convert(&mut self) {
        if let ZSet::Listpack(lp) = self {
            let mut tree = Ranked::with_capacity(lp.len() / 2);
            let mut buf = itoa::Buffer::new();
            for (m, s) in pairs(lp) {
                tree.insert(m.bytes(&mut buf), s);
            }
            *self = ZSet::Tree(Box::new(tree));
        }
    }

    /// Turns a big set small enough for the limits back into a listpack,
    /// like Redis's `zsetConvertToListpackIfNeeded` (used on the results of
    /// ZUNIONSTORE and friends).
    pub fn compact(&mut self, limits: &Limits) {
        let ZSet::Tree(t) = self else {
            return;
        };
        let (longest, total) = t
            .iter(0, false)
            .fold((0, 0), |(l, n), (m, _)| (m.len().max(l), n + m.len()));
        if t.len() > limits.zset_max_listpack_entries
            || longest > limits.zset_max_listpack_value
            || total > super::listpack::MAX_SAFE_BYTES
        {
            return;
        }
        let mut lp = Listpack::new();
        let mut text = Vec::new();
        for (m, s) in t.iter(0, false) {
            let score = write_score(s, &mut text);
            lp.push_back(Entry::Str(m));
            lp.push_back(score);
        }
        *self = ZSet::Listpack(lp);
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(lp) => {
                let p = Self::find(lp, member)?;
                let score = read_score(lp.get(lp.next(p)?));
                lp.delete_run(p, 2);
                Some(score)
            }
            ZSet::Tree(t) => t.remove(member),
        }
    }

    /// The 0-based position of `member` in score order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match self {
            ZSet::Listpack(lp) => {
                let mut buf = itoa::Buffer::new();
                pairs(lp).position(|(m, _)| m.bytes(&mut buf) == member)
            }
            ZSet::Tree(t) => t.rank(member),
        }
    }

    /// Calls `f` with the members and scores at `ranks`, in order, or in
    /// reverse order when `rev`, where the ranks then count from the end.
    pub fn range(&self, ranks: Range<usize>, rev: bool, mut f: impl FnMut(&[u8], f64)) {
        let (start, n) = (ranks.start, ranks.len());
        match self {
            ZSet::Listpack(lp) => {
                let mut buf = itoa::Buffer::new();
                let mut emit = |(m, s): (Entry<'_>, f64)| f(m.bytes(&mut buf), s);
                if rev {
                    pairs(lp).rev().skip(start).take(n).for_each(&mut emit);
                } else {
                    pairs(lp).skip(start).take(n).for_each(&mut emit);
                }
            }
            ZSet::Tree(t) => t.iter(start, rev).take(n).for_each(|(m, s)| f(m, s)),
        }
    }

    /// Calls `f` with every member and score, in order.
    pub fn for_each(&self, f: impl FnMut(&[u8], f64)) {
        self.range(0..self.len(), false, f);
    }

    /// Removes the members at `ranks` (counted from the start).
    pub fn remove_ranks(&mut self, ranks: Range<usize>) {
        if ranks.is_empty() {
            return;
        }
        match self {
            ZSet::Listpack(lp) => {
                let p = lp.seek(2 * ranks.start as isize).expect("rank in range");
                lp.delete_run(p, 2 * ranks.len());
            }
            ZSet::Tree(t) => t.remove_ranks(ranks),
        }
    }

    /// Removes and returns the member with the lowest score, or the highest
    /// when `max`.
    pub fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        let mut first = None;
        let len = self.len();
        self.range(0..len.min(1), max, |m, s| first = Some((m.to_vec(), s)));
        let rank = if max { len.checked_sub(1)? } else { 0 };
        self.remove_ranks(rank..rank + 1);
        first
    }

    /// The ranks of the members whose scores are in `range`.
    pub fn score_ranks(&self, range: &ScoreRange) -> Range<usize> {
        let (lo, hi) = match self {
            ZSet::Listpack(lp) => {
                let lo = pairs(lp).take_while(|&(_, s)| !range.above_min(s)).count();
                let hi = lo
                    + pairs(lp)
                        .skip(lo)
                        .take_while(|&(_, s)| range.below_max(s))
                        .count();
                (lo, hi)
            }
            ZSet::Tree(t) => (
                t.count_scores_while(|s| !range.above_min(s)),
                t.count_scores_while(|s| range.below_max(s)),
            ),
        };
        lo..hi.max(lo)
    }

    /// The ranks of the members in `range`, assuming (like Redis) that
    /// they all have the same score. Otherwise a listpack answers as Redis
    /// does: after its quick checks of the ends, from the first member past
    /// the minimum, the members up to the first one beyond the maximum; from
    /// the end when `rev`, mirrored.
    pub fn lex_ranks(&self, range: &LexRange, rev: bool) -> Range<usize> {
        match self {
            ZSet::Listpack(lp) => {
                let members: Vec<Vec<u8>> = pairs(lp).map(|(m, _)| m.to_vec()).collect();
                let len = members.len();
                let (above, below) = (
                    |i: usize| range.above_min(&members[i]),
                    |i: usize| range.below_max(&members[i]),
                );
                if range.is_empty() || len == 0 || !above(len - 1) || !below(0) {
                    return 0..0;
                }
                if rev {
                    let Some(last) = (0..len).rev().find(|&i| below(i)) else {
                        return 0..0;
                    };
                    let n = (0..=last).rev().take_while(|&i| above(i)).count();
                    last + 1 - n..last + 1
                } else {
                    let Some(first) = (0..len).find(|&i| above(i)) else {
                        return 0..0;
                    };
                    first..first + (first..len).take_while(|&i| below(i)).count()
                }
            }
            ZSet::Tree(t) => {
                let lo = t.count_while(|_, m| !range.above_min(m));
                let hi = t.count_while(|_, m| range.below_max(m));
                lo..hi.max(lo)
            }
        }
    }

    /// A member and score picked uniformly at random (`None` when empty).
    pub fn random(&self, rng: &mut impl rand::Rng) -> Option<(Vec<u8>, f64)> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        let i = rng.random_range(0..len);
        match self {
            ZSet::Listpack(lp) => pairs(lp).nth(i).map(|(m, s)| (m.to_vec(), s)),
            ZSet::Tree(t) => t.at(i).map(|(m, s)| (m.to_vec(), s)),
        }
    }

    /// One ZSCAN step: calls `f` with members and their scores as ZSCAN
    /// prints them, and returns the next cursor (0 when done). A listpack is
    /// returned whole, its scores as stored; a big set is visited `count`
    /// members at a time from its last map position down (the cursor counts
    /// positions left), like [`Db::scan`](crate::Db::scan).
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], &[u8])) -> u64 {
        match self {
            ZSet::Listpack(lp) => {
                let mut buf = itoa::Buffer::new();
                let mut sbuf = itoa::Buffer::new();
                let mut it = lp.iter();
                while let (Some(m), Some(s)) = (it.next(), it.next()) {
                    f(m.bytes(&mut buf), s.bytes(&mut sbuf));
                }
                0
            }
            ZSet::Tree(t) => {
                let len = t.len() as u64;
                let mut pos = if cursor == 0 { len } else { cursor.min(len) };
                let mut text = Vec::with_capacity(24);
                for _ in 0..count.max(1) {
                    if pos == 0 {
                        break;
                    }
                    pos -= 1;
                    let (m, s) = t.at(pos as usize).expect("in range");
                    text.clear();
                    resp::format_double(s, &mut text);
                    f(m, &text);
                }
                pos
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(z: &ZSet) -> Vec<(String, f64)> {
        let mut v = Vec::new();
        z.for_each(|m, s| v.push((String::from_utf8_lossy(m).into_owned(), s)));
        v
    }

    fn zset(pairs: &[(&str, f64)]) -> ZSet {
        ZSet::from_pairs(pairs.iter().map(|&(m, s)| (m, s)), &Limits::default())
    }

    #[test]
    fn listpack_order_and_scores() {
        let z = zset(&[
            ("b", 1.0),
            ("a", 1.0),
            ("c", 0.5),
            ("d", -0.0),
            ("e", f64::INFINITY),
            ("f", 1e17),
        ]);
        assert_eq!(z.encoding(), "listpack");
        assert_eq!(std::mem::size_of::<ZSet>(), 16);
        let order: Vec<_> = members(&z).into_iter().map(|(m, _)| m).collect();
        assert_eq!(order, ["d", "c", "a", "b", "f", "e"]);
        // Like Redis, a listpack keeps -0 as the integer 0.
        assert!(z.score(b"d").unwrap().is_sign_positive());
        assert_eq!(z.score(b"f"), Some(1e17));
        assert_eq!(z.rank(b"b"), Some(3));
        let mut scanned = Vec::new();
        z.scan(0, 10, |m, s| {
            scanned.push(format!(
                "{}={}",
                String::from_utf8_lossy(m),
                String::from_utf8_lossy(s)
            ))
        });
        assert_eq!(
            scanned,
            [
                "d=0",
                "c=0.5",
                "a=1",
                "b=1",
                "f=100000000000000000",
                "e=inf"
            ]
        );
    }

    #[test]
    fn converts_at_the_limits_and_compacts_back() {
        let limits = Limits {
            zset_max_listpack_entries: 3,
            ..Limits::default()
        };
        let mut z = ZSet::default();
        for (i, m) in ["a", "b", "c"].iter().enumerate() {
            z.insert(m.as_bytes(), i as f64, &limits);
        }
        assert_eq!(z.encoding(), "listpack");
        z.insert(b"a", 10.0, &limits);
        assert_eq!(z.encoding(), "listpack");
        z.insert(b"d", 3.0, &limits);
        assert_eq!(z.encoding(), "skiplist");
        z.remove(b"d");
        assert_eq!(z.encoding(), "skiplist");
        z.compact(&limits);
        assert_eq!(z.encoding(), "listpack");
        assert_eq!(
            members(&z),
            [("b".into(), 1.0), ("c".into(), 2.0), ("a".into(), 10.0)]
        );
        let long = "x".repeat(65);
        z.insert(long.as_bytes(), 0.0, &Limits::default());
        assert_eq!(z.encoding(), "skiplist");
    }

    #[test]
    fn both_encodings_answer_alike() {
        let pairs: Vec<(String, f64)> = (0..50)
            .map(|i| (format!("m{:02}", i % 37), f64::from(i % 7)))
            .collect();
        let small = ZSet::from_pairs(pairs.iter().map(|(m, s)| (m, *s)), &Limits::default());
        let mut big = small.clone();
        big.convert();
        assert_eq!((small.encoding(), big.encoding()), ("listpack", "skiplist"));
        assert_eq!(members(&small), members(&big));
        let range = ScoreRange {
            min: 2.0,
            max: 5.0,
            min_exclusive: true,
            max_exclusive: false,
        };
        assert_eq!(small.score_ranks(&range), big.score_ranks(&range));
        let mut a = Vec::new();
        let mut b = Vec::new();
        small.range(3..9, true, |m, s| a.push((m.to_vec(), s)));
        big.range(3..9, true, |m, s| b.push((m.to_vec(), s)));
        assert_eq!(a, b);
        let (mut x, mut y) = (small.clone(), big.clone());
        x.remove_ranks(4..20);
        y.remove_ranks(4..20);
        assert_eq!(members(&x), members(&y));
        assert_eq!(x.pop(true), y.pop(true));
        assert_eq!(x.pop(false), y.pop(false));
    }

    #[test]
    fn lex_ranges_on_equal_scores() {
        let z = zset(&[("a", 0.0), ("b", 0.0), ("c", 0.0), ("d", 0.0)]);
        let range = |min, max| LexRange { min, max };
        let r = range(
            LexBound::Exclusive(b"a".to_vec()),
            LexBound::Inclusive(b"c".to_vec()),
        );
        assert_eq!(z.lex_ranks(&r, false), 1..3);
        assert_eq!(z.lex_ranks(&r, true), 1..3);
        let all = range(LexBound::Min, LexBound::Max);
        assert_eq!(z.lex_ranks(&all, false), 0..4);
        assert_eq!(z.lex_ranks(&all, true), 0..4);
        let none = range(LexBound::Max, LexBound::Min);
        assert!(z.lex_ranks(&none, false).is_empty());
        assert!(z.lex_ranks(&none, true).is_empty());
        let mut big = z.clone();
        big.convert();
        assert_eq!(big.lex_ranks(&r, false), 1..3);
    }
}
