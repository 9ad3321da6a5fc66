//! What a key costs in memory: MEMORY USAGE and the bytes eviction frees.
//!
//! The figures are this engine's real layout (its keyspace entry, inline
//! strings, listpacks, hash tables), each heap block rounded up to the
//! allocator's size class as Redis does with `zmalloc_size`. Like Redis's
//! `objectComputeSize`, big collections are estimated from `samples`
//! elements, and the shared index buckets of the keyspace are not counted.

use std::mem::size_of;

use crate::types::hash::HashTable;
use crate::types::set::SetTable;
use crate::types::zset::Ranked;
use crate::types::{Hash, List, Set, ZSet};
use crate::{Str, Value};

/// Redis's `OBJ_COMPUTE_SIZE_DEF_SAMPLES`.
pub const DEFAULT_SAMPLES: usize = 5;

/// The size jemalloc really hands out for a request of `n` bytes: 8, then
/// multiples of 16 up to 128, then four classes per doubling.
pub fn alloc_size(n: usize) -> usize {
    match n {
        0 => 0,
        1..=8 => 8,
        9..=128 => n.div_ceil(16) * 16,
        _ => {
            let lg = usize::BITS - 1 - (n - 1).leading_zeros();
            let delta = 1usize << (lg - 2);
            n.div_ceil(delta) * delta
        }
    }
}

/// Bytes used by a key and its value, `samples` elements of a big
/// collection being averaged over the whole (0 = all).
pub fn key_usage(key: &[u8], value: &Value, samples: usize) -> usize {
    crate::db::ENTRY_SIZE + str_heap(key.len()) + value_heap(value, samples)
}

/// Heap bytes of a [`Str`] of `len` bytes (short ones are inline).
fn str_heap(len: usize) -> usize {
    if len <= Str::INLINE {
        0
    } else {
        alloc_size(len)
    }
}

/// Heap bytes owned by a value beyond its 24 bytes.
pub fn value_heap(value: &Value, samples: usize) -> usize {
    match value {
        Value::Int(_) => 0,
        Value::Str(s) => str_heap(s.len()),
        Value::Raw(v) => alloc_size(size_of::<Vec<u8>>()) + alloc_size(v.capacity()),
        Value::List(l) => list_heap(l),
        Value::Hash(h) => hash_heap(h, samples),
        Value::Set(s) => set_heap(s, samples),
        Value::ZSet(z) => zset_heap(z, samples),
        Value::Stream(s) => stream_heap(s),
    }
}

/// `samples` elements' average cost times `len` (all when `samples` is 0
/// or covers them).
fn sampled<I: Iterator<Item = usize>>(len: usize, samples: usize, costs: I) -> usize {
    let take = if samples == 0 { len } else { samples.min(len) };
    if take == 0 {
        return 0;
    }
    let total: usize = costs.take(take).sum();
    ((total as f64 / take as f64) * len as f64) as usize
}

/// A stream as Redis's `objectComputeSize` estimates it: the header, each
/// radix tree as `streamRadixTreeMemoryUsage` counts it (16 bytes a key,
/// 4 + 30 words a node), the nodes' allocations (the tail node keeps its
/// 4 KiB preallocation), groups with their NACKs, consumers.
fn stream_heap(s: &crate::types::Stream) -> usize {
    use crate::types::stream::rax_nodes_of;
    // `stream` plus the object header beyond the 24 bytes counted already.
    const STREAM: usize = 72;
    const GROUP: usize = 40;
    const NACK: usize = 24;
    const CONSUMER: usize = 24;
    const TAIL_PREALLOC: usize = 4096;
    let rax = |keys: usize, nodes: usize| keys * 16 + nodes * (4 + 8 * 30);
    let mut total = STREAM + rax(s.node_count(), s.rax_nodes());
    let count = s.node_count();
    for (i, (_, lp)) in s.nodes().enumerate() {
        let bytes = lp.bytes_len();
        total += alloc_size(if i + 1 == count {
            bytes.max(TAIL_PREALLOC)
        } else {
            bytes
        });
    }
    for g in s.groups.values() {
        total += GROUP + rax(g.pel.len(), rax_nodes_of(g.pel.keys().copied())) + NACK * g.pel.len();
        for (name, c) in &g.consumers {
            let ids = c.pel.iter().copied();
            total += CONSUMER + name.len() + rax(c.pel.len(), rax_nodes_of(ids));
        }
    }
    total
}

/// A quicklist: one listpack, or a ring buffer of listpack nodes.
fn list_heap(l: &List) -> usize {
    let mut total = 0;
    l.allocations(|n| total += alloc_size(n));
    total
}

/// A listpack, or a member table with a vector of tree nodes.
fn zset_heap(z: &ZSet, samples: usize) -> usize {
    match z {
        ZSet::Listpack(lp) => alloc_size(lp.bytes_len()),
        ZSet::Tree(t) => {
            let members = (0..t.len())
                .filter_map(|i| t.at(i))
                .map(|(m, _)| str_heap(m.len()));
            table_heap(
                size_of::<Ranked>(),
                t.allocated_bytes(),
                sampled(t.len(), samples, members),
            )
        }
    }
}

/// A [`DenseMap`](crate::table::DenseMap): its box, index and entry chunks
/// (exact), plus what its strings own (sampled).
fn table_heap(header: usize, allocated: usize, strings: usize) -> usize {
    alloc_size(header) + allocated + strings
}

fn hash_heap(h: &Hash, samples: usize) -> usize {
    match h {
        Hash::Listpack(lp) => alloc_size(lp.bytes_len()),
        Hash::Table(t) => {
            let strings = t.iter().map(|(f, v)| str_heap(f.len()) + str_heap(v.len()));
            table_heap(
                size_of::<HashTable>(),
                t.allocated_bytes(),
                sampled(t.len(), samples, strings),
            )
        }
    }
}

fn set_heap(s: &Set, samples: usize) -> usize {
    match s {
        Set::Intset(is) => alloc_size(is.bytes_len()),
        Set::Table(t) => {
            let strings = t.iter().map(|(m, _)| str_heap(m.len()));
            table_heap(
                size_of::<SetTable>(),
                t.allocated_bytes(),
                sampled(t.len(), samples, strings),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Limits;

    #[test]
    fn jemalloc_size_classes() {
        let classes = [
            (1, 8),
            (8, 8),
            (9, 16),
            (24, 32),
            (100, 112),
            (128, 128),
            (129, 160),
            (257, 320),
            (1000, 1024),
            (1025, 1280),
            (229_376, 229_376),
        ];
        for (n, class) in classes {
            assert_eq!(alloc_size(n), class, "{n}");
        }
    }

    #[test]
    fn strings() {
        assert_eq!(key_usage(b"k", &Value::Int(5), 5), 56);
        assert_eq!(key_usage(b"k", &Value::string(b"short"), 5), 56);
        assert_eq!(key_usage(b"k", &Value::string(&[b'x'; 40]), 5), 56 + 48);
        assert_eq!(
            key_usage(&[b'k'; 30], &Value::string(&[b'x'; 100]), 5),
            56 + 32 + 112
        );
    }

    #[test]
    fn sampling_estimates_the_whole() {
        let limits = Limits::default();
        let members: Vec<String> = (0..1000).map(|i| format!("member-{i:0>30}")).collect();
        let set = Value::Set(Set::from_members(&members, &limits));
        let all = value_heap(&set, 0);
        assert_eq!(value_heap(&set, 5), all, "members of one size");
        // 24 bytes per member in the table, 32 for each member's bytes.
        assert!(all > 1000 * (24 + 32), "{all}");
        let small = Value::Set(Set::from_members(["1", "2", "3"], &limits));
        assert_eq!(value_heap(&small, 5), 16);
    }

    #[test]
    fn lists_and_sorted_sets() {
        let limits = Limits::default();
        // A listpack of 3 one-byte strings: 6 + 3 * 3 + 1 = 16 bytes.
        let list = Value::List(List::from_elements(["a", "b", "c"], -2));
        assert_eq!(value_heap(&list, 5), 16);
        let zset = Value::ZSet(ZSet::from_pairs([("a", 1.0)], &limits));
        assert_eq!(value_heap(&zset, 5), 16);
        let long = vec![[b'x'; 100]; 1000];
        let big = ZSet::from_pairs(
            long.iter()
                .enumerate()
                .map(|(i, m)| (&m[..i % 100 + 1], 0.0)),
            &limits,
        );
        assert!(value_heap(&Value::ZSet(big), 5) > 100 * (32 + 24));
    }
}
