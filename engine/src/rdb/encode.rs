//! Values to RDB bytes, in the encoding Redis 7.0 picks for each under the
//! configured [`Limits`].
//!
//! Each function first decides the encoding (a pass over a clone of the
//! iterator), then calls `head` with the RDB type byte (the caller writes it
//! and, in a file, the key), then writes the value. Empty collections are
//! not written at all (`Ok(false)`): Redis never holds them.

use std::io::Write;

use super::num::{score_as_int, score_text};
use super::sink::Sink;
use super::{rdb_type, Error, Limits, Object, Packed, Result};
use crate::types::listpack::{self, Builder, Entry};
use crate::types::Intset;

/// Node size classes of negative `list-max-listpack-size` values.
const LIST_SIZE_LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Node size cap when the fill is an element count.
const LIST_SIZE_SAFETY_LIMIT: usize = 8192;
/// Redis's per-element estimate of listpack overhead when deciding whether
/// an element still fits a node.
const LIST_SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// `QUICKLIST_NODE_CONTAINER_*`.
const NODE_PLAIN: u64 = 1;
const NODE_PACKED: u64 = 2;

/// Reusable buffers plus the limits.
#[derive(Default)]
pub struct Encoder {
    pub limits: Limits,
    blob: Vec<u8>,
    ints: Vec<i64>,
    nodes: Vec<Node>,
}

#[derive(Clone, Copy)]
struct Node {
    count: usize,
    plain: bool,
}

impl Encoder {
    pub fn new(limits: Limits) -> Self {
        Encoder {
            limits,
            ..Default::default()
        }
    }

    pub fn object<W: Write>(
        &mut self,
        sink: &mut Sink<W>,
        head: impl FnOnce(&mut Sink<W>, u8) -> Result<()>,
        object: &Object,
    ) -> Result<bool> {
        match object {
            Object::String(s) => self.string(sink, head, s),
            Object::List(items) => self.list(sink, head, items),
            Object::Set(items) => self.set(sink, head, items),
            Object::Hash(pairs) => self.hash(sink, head, pairs.iter().map(|(k, v)| (k, v))),
            // Ascending in memory; Redis writes skiplists from the top down.
            Object::ZSet(items) => self.zset(sink, head, items.iter().rev().map(|(m, s)| (m, *s))),
            Object::Stream(s) => {
                head(sink, rdb_type::STREAM_LISTPACKS_2)?;
                super::stream::write(sink, s)?;
                Ok(true)
            }
        }
    }

    pub fn string<W: Write>(
        &mut self,
        sink: &mut Sink<W>,
        head: impl FnOnce(&mut Sink<W>, u8) -> Result<()>,
        value: &[u8],
    ) -> Result<bool> {
        head(sink, rdb_type::STRING)?;
        sink.string(value)?;
        Ok(true)
    }

    /// A listpack or intset as it is (see [`Packed`]).
    pub fn packed<W: Write>(
        &mut self,
        sink: &mut Sink<W>,
        head: impl FnOnce(&mut Sink<W>, u8) -> Result<()>,
        packed: Packed<'_>,
    ) -> Result<bool> {
        if packed.is_empty() {
            return Ok(false);
        }
        let (rdb_type, bytes) = match packed {
            Packed::Hash(lp) => (rdb_type::HASH_LISTPACK, lp.as_bytes()),
            Packed::ZSet(lp) => (rdb_type::ZSET_LISTPACK, lp.as_bytes()),
            Packed::Set(is) => (rdb_type::SET_INTSET, is.as_bytes()),
        };
        head(sink, rdb_type)?;
        sink.string(bytes)?;
        Ok(true)
    }

    /// A list as a quicklist of listpacks, split into nodes as pushing the
    /// elements one by one to the tail would.
    pub fn list<W: Write, I, T>(
        &mut self,
        sink: &mut Sink<W>,
        head: impl FnOnce(&mut Sink<W>, u8) -> Result<()>,
        items: I,
    ) -> Result<bool>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: Clone,
        T: AsRef<[u8]>,
    {
        let items = items.into_iter();
        let fill = self.limits.list_max_listpack_size.clamp(-5, 1 << 15);
        let plain_from = self.limits.list_packed_threshold;
        self.nodes.clear();
        let mut node_size = 0;
        for item in items.clone() {
            let s = item.as_ref();
            if s.len() >= plain_from {
                self.nodes.push(Node {
                    count: 1,
                    plain: true,
                });
                continue;
            }
            match self.nodes.last_mut() {
                Some(n) if !n.plain && allow_insert(node_size, n.count, fill, s.len()) => {
                    n.count += 1;
                    node_size += Entry::Str(s).encoded_size();
                }
                _ => {
                    self.nodes.push(Node {
                        count: 1,
                        plain: false,
                    });
                    node_size = listpack::EMPTY_BYTES + Entry::Str(s).encoded_size();
                }
            }
        }
        if self.nodes.is_empty() {
            return Ok(false);
        }
        head(sink, rdb_type::LIST_QUICKLIST_2)?;
        sink.len(self.nodes.len() as u64);
        let mut items = items;
        for node in &self.nodes {
            if node.plain {
                sink.len(NODE_PLAIN);
                sink.string(items.next().expect("counted").as_ref())?;
                continue;
            }
            sink.len(NODE_PACKED);
            write_listpack(sink, &mut self.blob, |lp| {
                for item in items.by_ref().take(node.count) {
                    lp.push(Entry::Str(item.as_ref()));
                }
            })?;
        }
        Ok(true)
    }

    /// A set as an intset when every member is an integer and there are at
    /// most `set-max-intset-entries`, else as a plain set.
    pub fn set<W: Write, I, T>(
        &mut self,
        sink: &mut Sink<W>,
        head: impl FnOnce(&mut Sink<W>, u8) -> Result<()>,
        members: I,
    ) -> Result<bool>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: Clone,
        T: AsRef<[u8]>,
    {
        let members = members.into_iter();
        let max = self.limits.set_max_intset_entries;
        self.ints.clear();
        let mut count = 0usize;
        let mut all_ints = true;
        for m in members.clone() {
            count += 1;
            if all_ints {
                match resp::parse_i64(m.as_ref()) {
                    Some(v) if count <= max => self.ints.push(v),
                    _ => all_ints = false,
                }
            }
        }
        if count == 0 {
            return Ok(false);
        }
        if all_ints {
            self.ints.sort_unstable();
            self.ints.dedup();
            head(sink, rdb_type::SET_INTSET)?;
            sink.string(Intset::from_sorted(&self.ints).as_bytes())?;
        } else {
            head(sink, rdb_type::SET)?;
            sink.len(count as u64);
            for m in members {
                sink.string(m.as_ref())?;
            }
        }
        Ok(true)
    }

    /// A hash as a listpack when small enough
    /// (`hash-max-listpack-entries`/`-value`), else as a plain hash.
    pub fn hash<W: Write, I, K, V>(
        &mut self,
        sink: &mut Sink<W>,
        head: impl FnOnce(&mut Sink<W>, u8) -> Result<()>,
        pairs: I,
    ) -> Result<bool>
    where
        I: IntoIterator<Item = (K, V)>,
        I::IntoIter: Clone,
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        let pairs = pairs.into_iter();
        let (max_n, max_len) = (
            self.limits.hash_max_listpack_entries,
            self.limits.hash_max_listpack_value,
        );
        let mut count = 0usize;
        let mut small = true;
        let mut total = 0usize;
        for (k, v) in pairs.clone() {
            let (k, v) = (k.as_ref(), v.as_ref());
            count += 1;
            total += k.len() + v.len();
            small &= count <= max_n && k.len() <= max_len && v.len() <= max_len;
        }
        if count == 0 {
            return Ok(false);
        }
        if small && total < listpack::MAX_SAFE_BYTES {
            head(sink, rdb_type::HASH_LISTPACK)?;
            write_listpack(sink, &mut self.blob, |lp| {
                for (k, v) in pairs {
                    lp.push(Entry::Str(k.as_ref()));
                    lp.push(Entry::Str(v.as_ref()));
                }
            })?;
        } else {
            head(sink, rdb_type::HASH)?;
            sink.len(count as u64);
            for (k, v) in pairs {
                sink.string(k.as_ref())?;
                sink.string(v.as_ref())?;
            }
        }
        Ok(true)
    }

    /// A sorted set as a listpack (sorted by score, then member) when small
    /// enough (`zset-max-listpack-entries`/`-value`), else as ZSET_2 with
    /// binary scores in the order given (Redis writes highest first, which
    /// makes loading cheapest).
    pub fn zset<W: Write, I, T>(
        &mut self,
        sink: &mut Sink<W>,
        head: impl FnOnce(&mut Sink<W>, u8) -> Result<()>,
        items: I,
    ) -> Result<bool>
    where
        I: IntoIterator<Item = (T, f64)>,
        I::IntoIter: Clone,
        T: AsRef<[u8]>,
    {
        let items = items.into_iter();
        let (max_n, max_len) = (
            self.limits.zset_max_listpack_entries,
            self.limits.zset_max_listpack_value,
        );
        let mut count = 0usize;
        let mut small = true;
        for (m, score) in items.clone() {
            if score.is_nan() {
                return Err(Error::InvalidValue("sorted set score is NaN"));
            }
            count += 1;
            small &= count <= max_n && m.as_ref().len() <= max_len;
        }
        if count == 0 {
            return Ok(false);
        }
        if small {
            head(sink, rdb_type::ZSET_LISTPACK)?;
            let mut sorted: Vec<(T, f64)> = items.collect();
            // Scores are not NaN here; -0 and 0 tie, as in Redis.
            sorted.sort_by(|(am, a), (bm, b)| {
                a.partial_cmp(b)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| am.as_ref().cmp(bm.as_ref()))
            });
            write_listpack(sink, &mut self.blob, |lp| {
                for (m, score) in &sorted {
                    lp.push(Entry::Str(m.as_ref()));
                    match score_as_int(*score) {
                        Some(v) => lp.push(Entry::Int(v)),
                        None => lp.push(Entry::Str(score_text(*score).as_bytes())),
                    }
                }
            })?;
        } else {
            head(sink, rdb_type::ZSET_2)?;
            sink.len(count as u64);
            for (m, score) in items {
                sink.string(m.as_ref())?;
                sink.binary_double(score);
            }
        }
        Ok(true)
    }
}

/// Writes the listpack `fill` builds, as a string, using `blob` (reused
/// across values) for the bytes.
fn write_listpack<W: Write>(
    sink: &mut Sink<W>,
    blob: &mut Vec<u8>,
    fill: impl FnOnce(&mut Builder<'_>),
) -> Result<()> {
    blob.clear();
    let mut lp = Builder::new(blob);
    fill(&mut lp);
    lp.finish();
    sink.string(blob)
}

/// `_quicklistNodeAllowInsert`: may an element of `len` bytes join a node of
/// `size` bytes and `count` elements?
fn allow_insert(size: usize, count: usize, fill: i32, len: usize) -> bool {
    let new_size = size + len + LIST_SIZE_ESTIMATE_OVERHEAD;
    if fill < 0 {
        new_size <= LIST_SIZE_LEVELS[(-fill - 1) as usize]
    } else {
        new_size <= LIST_SIZE_SAFETY_LIMIT && count < fill as usize
    }
}
