//! One node of a stream: a listpack holding a master entry and
//! delta-encoded entries, byte for byte as Redis 7.0 lays it out (so RDB
//! files carry nodes as they are):
//!
//! ```text
//! master: count | deleted | num-fields | field_1 .. field_N | 0
//! entry:  flags | ms-diff | seq-diff | [num-fields | field value]* | lp-count
//!         (with SAMEFIELDS: flags | ms-diff | seq-diff | value* | lp-count)
//! ```
//!
//! Deleted entries stay in place with the DELETED flag until the whole node
//! empties; `count` counts live entries, `deleted` the flagged ones.

use super::StreamId;
use crate::types::{Entry, Listpack};

pub const FLAG_DELETED: i64 = 1;
pub const FLAG_SAMEFIELDS: i64 = 2;

/// A decoded entry of a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub id: StreamId,
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Where an entry sits in its node.
#[derive(Clone, Copy, Debug)]
pub(super) struct Slot {
    pub id: StreamId,
    pub flags: i64,
    /// Offset of the flags element.
    pub at: usize,
}

fn int(lp: &Listpack, p: usize) -> i64 {
    lp.get(p).as_i64().unwrap_or(0)
}

fn next(lp: &Listpack, p: usize) -> usize {
    lp.next(p).unwrap_or_else(|| lp.end())
}

/// A new node whose master entry takes the fields of its first entry.
pub(super) fn new_node(fields: &[(&[u8], &[u8])]) -> Listpack {
    let mut lp = Listpack::new();
    lp.push_back(Entry::Int(0));
    lp.push_back(Entry::Int(0));
    lp.push_back(Entry::Int(fields.len() as i64));
    for (f, _) in fields {
        lp.push_back(Entry::Str(f));
    }
    lp.push_back(Entry::Int(0));
    lp
}

/// Live and deleted entry counts from the master entry.
pub(super) fn counts(lp: &Listpack) -> (i64, i64) {
    let Some(p) = lp.first() else { return (0, 0) };
    (int(lp, p), int(lp, next(lp, p)))
}

pub(super) fn set_counts(lp: &mut Listpack, live: i64, deleted: i64) {
    let Some(p) = lp.first() else { return };
    lp.replace(p, Entry::Int(live));
    let q = next(lp, p);
    lp.replace(q, Entry::Int(deleted));
}

/// The master fields and the offset of the first entry.
fn master_fields(lp: &Listpack) -> (Vec<usize>, usize) {
    let mut p = lp.first().unwrap_or_else(|| lp.end());
    p = next(lp, next(lp, p));
    let n = int(lp, p).max(0);
    let mut fields = Vec::new();
    p = next(lp, p);
    for _ in 0..n {
        fields.push(p);
        p = next(lp, p);
    }
    (fields, next(lp, p))
}

/// Appends an entry; `master` is the node's key.
pub(super) fn append(lp: &mut Listpack, master: StreamId, id: StreamId, fields: &[(&[u8], &[u8])]) {
    let (mf, _) = master_fields(lp);
    let same = mf.len() == fields.len()
        && mf
            .iter()
            .zip(fields)
            .all(|(&p, (f, _))| lp.get(p).eq_bytes(f));
    let (live, deleted) = counts(lp);
    set_counts(lp, live + 1, deleted);
    let flags = if same { FLAG_SAMEFIELDS } else { 0 };
    lp.push_back(Entry::Int(flags));
    lp.push_back(Entry::Int(id.ms.wrapping_sub(master.ms) as i64));
    lp.push_back(Entry::Int(id.seq.wrapping_sub(master.seq) as i64));
    if !same {
        lp.push_back(Entry::Int(fields.len() as i64));
    }
    for (f, v) in fields {
        if !same {
            lp.push_back(Entry::Str(f));
        }
        lp.push_back(Entry::Str(v));
    }
    let n = fields.len() as i64;
    lp.push_back(Entry::Int(if same { n + 3 } else { 2 * n + 4 }));
}

/// Every entry of the node, deleted ones included, in order.
pub(super) fn slots(lp: &Listpack, master: StreamId) -> Vec<Slot> {
    let (mf, mut p) = master_fields(lp);
    let end = lp.end();
    let mut out = Vec::new();
    while p < end {
        let at = p;
        let flags = int(lp, p);
        p = next(lp, p);
        let ms = master.ms.wrapping_add(int(lp, p) as u64);
        p = next(lp, p);
        let seq = master.seq.wrapping_add(int(lp, p) as u64);
        p = next(lp, p);
        let skip = if flags & FLAG_SAMEFIELDS != 0 {
            mf.len()
        } else {
            let n = int(lp, p).max(0) as usize;
            p = next(lp, p);
            2 * n
        };
        for _ in 0..skip {
            p = next(lp, p);
        }
        p = next(lp, p); // lp-count
        out.push(Slot {
            id: StreamId::new(ms, seq),
            flags,
            at,
        });
    }
    out
}

/// The fields of the entry at `slot`.
pub(super) fn fields(lp: &Listpack, slot: &Slot) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut p = next(lp, next(lp, next(lp, slot.at)));
    if slot.flags & FLAG_SAMEFIELDS != 0 {
        let (mf, _) = master_fields(lp);
        mf.iter()
            .map(|&f| {
                let v = lp.get(p).to_vec();
                p = next(lp, p);
                (lp.get(f).to_vec(), v)
            })
            .collect()
    } else {
        let n = int(lp, p).max(0) as usize;
        p = next(lp, p);
        (0..n)
            .map(|_| {
                let f = lp.get(p).to_vec();
                p = next(lp, p);
                let v = lp.get(p).to_vec();
                p = next(lp, p);
                (f, v)
            })
            .collect()
    }
}

/// Flags the entry at `slot` deleted; the caller updates the counts after
/// (flags always take two bytes, so other slots' offsets stay valid).
pub(super) fn flag_deleted(lp: &mut Listpack, slot: &Slot) {
    lp.replace(slot.at, Entry::Int(slot.flags | FLAG_DELETED));
}

/// Whether `lp` is a well-formed node whose entries follow `master` in
/// increasing order (Redis's `streamValidateListpackIntegrity`, deep).
pub(super) fn validate(lp: &Listpack, master: StreamId) -> bool {
    let end = lp.end();
    let mut p = match lp.first() {
        Some(p) => p,
        None => return false,
    };
    let take_int = |p: &mut usize| -> Option<i64> {
        if *p >= end {
            return None;
        }
        let v = match lp.get(*p) {
            Entry::Int(n) => n,
            Entry::Str(_) => return None,
        };
        *p = next(lp, *p);
        Some(v)
    };
    let (Some(live), Some(deleted), Some(nfields)) =
        (take_int(&mut p), take_int(&mut p), take_int(&mut p))
    else {
        return false;
    };
    if live < 0 || deleted < 0 || nfields < 0 {
        return false;
    }
    for _ in 0..nfields {
        if p >= end {
            return false;
        }
        p = next(lp, p);
    }
    if take_int(&mut p) != Some(0) {
        return false;
    }
    let (mut seen_live, mut seen_deleted) = (0, 0);
    let mut last: Option<StreamId> = None;
    while p < end {
        let (Some(flags), Some(ms), Some(seq)) =
            (take_int(&mut p), take_int(&mut p), take_int(&mut p))
        else {
            return false;
        };
        let id = StreamId::new(
            master.ms.wrapping_add(ms as u64),
            master.seq.wrapping_add(seq as u64),
        );
        if id < master || last.is_some_and(|l| id <= l) {
            return false;
        }
        last = Some(id);
        let (elements, expect) = if flags & FLAG_SAMEFIELDS != 0 {
            (nfields, nfields + 3)
        } else {
            let Some(n) = take_int(&mut p) else {
                return false;
            };
            if n < 0 || n > i64::from(u32::MAX) {
                return false;
            }
            (2 * n, 2 * n + 4)
        };
        for _ in 0..elements {
            if p >= end {
                return false;
            }
            p = next(lp, p);
        }
        if take_int(&mut p) != Some(expect) {
            return false;
        }
        if flags & FLAG_DELETED != 0 {
            seen_deleted += 1;
        } else {
            seen_live += 1;
        }
    }
    seen_live == live && seen_deleted == deleted && live + deleted > 0
}
