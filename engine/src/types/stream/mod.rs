//! The stream type: a sorted map of listpack nodes keyed by their master
//! ID (standing in for Redis's radix tree), the stream's counters, and its
//! consumer groups.

mod group;
mod id;
mod node;

use std::collections::BTreeMap;

pub use group::{Consumer, Group, Nack};
pub use id::StreamId;
pub use node::Item;

use crate::types::Listpack;

/// Redis's `STREAM_LISTPACK_MAX_SIZE`: a node never grows past 1 GiB.
const NODE_MAX_SIZE: usize = 1 << 30;

/// `stream-node-max-bytes` and `stream-node-max-entries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeLimits {
    pub max_bytes: usize,
    pub max_entries: usize,
}

impl Default for NodeLimits {
    fn default() -> NodeLimits {
        NodeLimits {
            max_bytes: 4096,
            max_entries: 100,
        }
    }
}

/// How to trim (XADD and XTRIM's MAXLEN / MINID).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stream {
    nodes: BTreeMap<StreamId, Listpack>,
    len: u64,
    pub last_id: StreamId,
    pub first_id: StreamId,
    pub max_deleted_id: StreamId,
    pub entries_added: u64,
    /// By name; sorted as Redis's radix tree of groups is.
    pub groups: BTreeMap<Vec<u8>, Group>,
}

/// Why an append failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendError {
    /// The ID is not greater than the last one (or no ID is left).
    NotGreater,
    /// The fields and values exceed what a node can hold.
    TooLarge,
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of nodes (XINFO's `radix-tree-keys`).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Nodes Redis's radix tree would have for these keys (XINFO's
    /// `radix-tree-nodes`): 16-byte keys, chains compressed into one node,
    /// one node per branching point, one empty node ending each key.
    pub fn rax_nodes(&self) -> usize {
        rax_nodes_of(self.nodes.keys().copied())
    }

    /// The first ID of the first node, deleted or not; the last possible ID
    /// when empty (Redis's `streamGetEdgeID` with tombstones).
    pub fn first_node_id(&self) -> StreamId {
        self.nodes
            .iter()
            .next()
            .and_then(|(k, lp)| node::slots(lp, *k).first().map(|s| s.id))
            .unwrap_or(StreamId::MAX)
    }

    /// The nodes with their master IDs, for RDB and DUMP.
    pub fn nodes(&self) -> impl Iterator<Item = (StreamId, &Listpack)> {
        self.nodes.iter().map(|(k, v)| (*k, v))
    }

    /// Adds a node read from an RDB file after checking its structure;
    /// nodes come in increasing order. Returns why it is refused.
    pub fn load_node(&mut self, master: StreamId, lp: Listpack) -> Result<(), &'static str> {
        if self.nodes.last_key_value().is_some_and(|(k, last)| {
            *k >= master || node::slots(last, *k).last().is_some_and(|s| s.id >= master)
        }) {
            return Err("stream nodes out of order");
        }
        if !node::validate(&lp, master) {
            return Err("stream listpack integrity check failed");
        }
        self.nodes.insert(master, lp);
        Ok(())
    }

    /// Sets the length after loading nodes; false if it does not match
    /// the live entries the nodes hold.
    pub fn set_loaded_len(&mut self, len: u64) -> bool {
        let live: i64 = self.nodes.values().map(|lp| node::counts(lp).0).sum();
        self.len = len;
        u64::try_from(live) == Ok(len)
    }

    /// The ID for a new entry: `ms` with sequence `seq` (explicit), `ms`
    /// with the next sequence (`ms-*`), or the next after `last_id` at
    /// time `now` (`*`).
    pub fn next_id(&self, given: Option<(StreamId, bool)>, now: u64) -> Option<StreamId> {
        let last = self.last_id;
        match given {
            Some((id, true)) => Some(id),
            Some((id, false)) if id.ms == last.ms => {
                (last.seq != u64::MAX).then(|| StreamId::new(last.ms, last.seq + 1))
            }
            Some((id, false)) => Some(id),
            None if now > last.ms => Some(StreamId::new(now, 0)),
            None => last.incr(),
        }
    }

    /// Appends an entry with ID `id` (see [`Stream::next_id`]), as Redis's
    /// `streamAppendItem`.
    pub fn append(
        &mut self,
        id: StreamId,
        fields: &[(&[u8], &[u8])],
        limits: NodeLimits,
    ) -> Result<(), AppendError> {
        if id <= self.last_id {
            return Err(AppendError::NotGreater);
        }
        let total: usize = fields.iter().map(|(f, v)| f.len() + v.len()).sum();
        if total > NODE_MAX_SIZE {
            return Err(AppendError::TooLarge);
        }
        let max_bytes = match limits.max_bytes {
            0 => NODE_MAX_SIZE,
            n => n.min(NODE_MAX_SIZE),
        };
        let tail_fits = self.nodes.last_key_value().is_some_and(|(_, lp)| {
            let (live, deleted) = node::counts(lp);
            lp.bytes_len() + total < max_bytes
                && (limits.max_entries == 0 || live + deleted < limits.max_entries as i64)
        });
        if !tail_fits {
            self.nodes.insert(id, node::new_node(fields));
        }
        let (master, lp) = self.nodes.iter_mut().next_back().expect("a tail node");
        node::append(lp, *master, id, fields);
        self.len += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.len == 1 {
            self.first_id = id;
        }
        Ok(())
    }

    /// Entries with IDs in `start..=end`, forward or reversed.
    pub fn range<'s>(
        &'s self,
        start: StreamId,
        end: StreamId,
        rev: bool,
    ) -> Box<dyn Iterator<Item = Item> + 's> {
        if start > end {
            return Box::new(std::iter::empty());
        }
        let from = self
            .nodes
            .range(..=start)
            .next_back()
            .map_or(start, |(k, _)| *k);
        let live =
            move |(master, lp): (&StreamId, &'s Listpack)| live_items(*master, lp, start, end, rev);
        let nodes = self.nodes.range(from..=end);
        if rev {
            Box::new(nodes.rev().flat_map(live))
        } else {
            Box::new(nodes.flat_map(live))
        }
    }

    /// The first (or last) live entry's ID.
    pub fn edge(&self, first: bool) -> Option<StreamId> {
        let mut it = self.range(StreamId::MIN, StreamId::MAX, !first);
        it.next().map(|i| i.id)
    }

    pub fn contains(&self, id: StreamId) -> bool {
        self.range(id, id, false).next().is_some()
    }

    /// Deletes one entry (XDEL); false if there is no live entry `id`.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&master, lp)) = self.nodes.range_mut(..=id).next_back() else {
            return false;
        };
        let Some(slot) = node::slots(lp, master)
            .into_iter()
            .find(|s| s.id == id && s.flags & node::FLAG_DELETED == 0)
        else {
            return false;
        };
        let (live, deleted) = node::counts(lp);
        if live == 1 {
            self.nodes.remove(&master);
        } else {
            node::flag_deleted(lp, &slot);
            node::set_counts(lp, live - 1, deleted + 1);
        }
        self.len -= 1;
        true
    }

    /// Trims from the head like Redis's `streamTrim`: whole nodes first;
    /// with `approx` only whole nodes; at most `limit` entries (0: no
    /// limit). Returns the number of entries removed.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64) -> u64 {
        let mut removed = 0u64;
        while let Some((&master, lp)) = self.nodes.first_key_value() {
            if matches!(how, Trim::MaxLen(max) if self.len <= max) {
                break;
            }
            let (live, deleted) = node::counts(lp);
            let live = live as u64;
            if limit != 0 && removed + live > limit {
                break;
            }
            let slots = node::slots(lp, master);
            let whole = match how {
                Trim::MaxLen(max) => self.len - live >= max,
                Trim::MinId(min) => slots.last().is_some_and(|s| s.id < min),
            };
            if whole {
                self.nodes.remove(&master);
                self.len -= live;
                removed += live;
                continue;
            }
            if approx {
                break;
            }
            let lp = self.nodes.get_mut(&master).expect("the head node");
            let mut flagged = 0u64;
            for slot in &slots {
                let stop = match how {
                    Trim::MaxLen(max) => self.len <= max,
                    Trim::MinId(min) => slot.id >= min,
                };
                if stop {
                    break;
                }
                if slot.flags & node::FLAG_DELETED == 0 {
                    node::flag_deleted(lp, slot);
                    flagged += 1;
                    self.len -= 1;
                }
            }
            node::set_counts(lp, (live - flagged) as i64, deleted + flagged as i64);
            removed += flagged;
            break;
        }
        if self.len == 0 {
            self.first_id = StreamId::MIN;
        } else if removed > 0 {
            self.first_id = self.edge(true).unwrap_or(StreamId::MIN);
        }
        removed
    }

    /// Whether `start..=end` may hold a deleted entry (Redis's
    /// `streamRangeHasTombstones`).
    pub fn range_has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        let max = self.max_deleted_id;
        if self.len == 0 || max.is_zero() || self.first_id > max {
            return false;
        }
        start <= max && max <= end
    }

    /// How many entries were added before and including `id` when that can
    /// be known (Redis's `streamEstimateDistanceFromFirstEverEntry`).
    pub fn estimate_distance(&self, id: StreamId) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.len == 0 && id <= self.last_id {
            return Some(self.entries_added);
        }
        if id == self.last_id {
            return Some(self.entries_added);
        }
        if id > self.last_id {
            return None;
        }
        if self.max_deleted_id.is_zero() || self.max_deleted_id < self.first_id {
            if id < self.first_id {
                return Some(self.entries_added - self.len);
            }
            if id == self.first_id {
                return Some(self.entries_added - self.len + 1);
            }
        }
        None
    }

    /// A group's lag (XINFO GROUPS), `None` when it cannot be known.
    pub fn lag(&self, group: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if let Some(read) = group.entries_read {
            if !self.range_has_tombstones(group.last_id, StreamId::MAX) {
                return Some(self.entries_added as i64 - read as i64);
            }
        }
        self.estimate_distance(group.last_id)
            .map(|read| self.entries_added as i64 - read as i64)
    }
}

/// Nodes of a radix tree keyed by these IDs, in increasing order (see
/// [`Stream::rax_nodes`]); an empty tree is its root.
pub fn rax_nodes_of(ids: impl Iterator<Item = StreamId>) -> usize {
    let keys: Vec<[u8; 16]> = ids.map(StreamId::to_be_bytes).collect();
    if keys.is_empty() {
        return 1;
    }
    rax_count(&keys, 0)
}

/// Rax nodes under a node holding the sorted `keys`, which share their
/// first `depth` bytes.
fn rax_count(keys: &[[u8; 16]], depth: usize) -> usize {
    if depth == 16 {
        return 1;
    }
    let (first, last) = (&keys[0], &keys[keys.len() - 1]);
    let common = (depth..16).take_while(|&i| first[i] == last[i]).count();
    if common > 0 {
        return 1 + rax_count(keys, depth + common);
    }
    let mut total = 1;
    let mut rest = keys;
    while let Some(head) = rest.first() {
        let n = rest.iter().take_while(|k| k[depth] == head[depth]).count();
        total += rax_count(&rest[..n], depth + 1);
        rest = &rest[n..];
    }
    total
}

/// A node's live entries within `start..=end`, in the wanted direction.
fn live_items(
    master: StreamId,
    lp: &Listpack,
    start: StreamId,
    end: StreamId,
    rev: bool,
) -> impl Iterator<Item = Item> + '_ {
    let mut slots: Vec<_> = node::slots(lp, master)
        .into_iter()
        .filter(|s| s.flags & node::FLAG_DELETED == 0 && s.id >= start && s.id <= end)
        .collect();
    if rev {
        slots.reverse();
    }
    slots.into_iter().map(move |s| Item {
        id: s.id,
        fields: node::fields(lp, &s),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(s: &mut Stream, ms: u64, fields: &[(&[u8], &[u8])]) {
        let limits = NodeLimits {
            max_bytes: 4096,
            max_entries: 3,
        };
        s.append(StreamId::new(ms, 0), fields, limits).unwrap();
    }

    #[test]
    fn append_range_delete_trim() {
        let mut s = Stream::new();
        for ms in 1..=7 {
            let v = ms.to_string();
            if ms % 2 == 0 {
                add(&mut s, ms, &[(b"a", v.as_bytes())]);
            } else {
                add(&mut s, ms, &[(b"b", v.as_bytes()), (b"c", b"x")]);
            }
        }
        assert_eq!(s.len(), 7);
        assert_eq!(s.node_count(), 3);
        let ids: Vec<u64> = s
            .range(StreamId::new(2, 0), StreamId::MAX, true)
            .map(|i| i.id.ms)
            .collect();
        assert_eq!(ids, vec![7, 6, 5, 4, 3, 2]);
        let third = s
            .range(StreamId::new(3, 0), StreamId::new(3, 0), false)
            .next()
            .unwrap();
        assert_eq!(
            third.fields,
            vec![
                (b"b".to_vec(), b"3".to_vec()),
                (b"c".to_vec(), b"x".to_vec())
            ]
        );
        assert!(s.delete(StreamId::new(5, 0)));
        assert!(!s.delete(StreamId::new(5, 0)));
        assert_eq!(s.len(), 6);
        assert_eq!(s.trim(Trim::MaxLen(4), false, 0), 2);
        assert_eq!(s.first_id, StreamId::new(3, 0));
        assert_eq!(s.trim(Trim::MinId(StreamId::new(6, 0)), true, 0), 1);
        let ids: Vec<u64> = s
            .range(StreamId::MIN, StreamId::MAX, false)
            .map(|i| i.id.ms)
            .collect();
        assert_eq!(ids, vec![4, 6, 7]);
    }

    #[test]
    fn ids() {
        assert_eq!(
            StreamId::parse(b"5", 0, false),
            Some((StreamId::new(5, 0), true))
        );
        assert_eq!(
            StreamId::parse(b"5-*", 0, true),
            Some((StreamId::new(5, 0), false))
        );
        assert_eq!(StreamId::parse(b"5-*", 0, false), None);
        assert_eq!(StreamId::parse(b"-1", 0, false), None);
        assert_eq!(
            StreamId::parse(b"18446744073709551615-1", 0, false),
            Some((StreamId::new(u64::MAX, 1), true))
        );
        assert_eq!(StreamId::new(1, u64::MAX).incr(), Some(StreamId::new(2, 0)));
    }
}
