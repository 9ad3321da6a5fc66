//! RDB value bytes to [`Object`]s (or [`PackedObject`]s), for every value
//! type Redis has written since RDB version 1, validated as strictly as
//! Redis's deep sanitization (duplicates, NaN scores, blob integrity).

use std::cmp::Ordering;
use std::collections::HashSet;
use std::io::Read;

use bytes::Bytes;

use super::num::{int_text, parse_score};
use super::source::Source;
use super::{rdb_type as t, ziplist, zipmap, Error, Object, Packed, PackedObject, Result};
use crate::types::{Corrupt, Entry, Intset, Listpack};

/// Most elements reserved ahead of reading them: a count in the data is
/// only believed as far as the data actually goes.
const PREALLOC: usize = 1024;

/// A value as read: its elements, or the listpack or intset holding them.
pub enum Decoded {
    Object(Object),
    Packed(PackedObject),
}

impl Decoded {
    /// The elements, unpacked if need be.
    pub fn into_object(self) -> Object {
        match self {
            Decoded::Object(o) => o,
            Decoded::Packed(p) => unpack_object(p.as_packed()),
        }
    }
}

/// Reads a value of type `rdb_type`. `None` for an empty collection, which
/// Redis skips on load (older versions could write them). With
/// `keep_packed`, listpack hashes, intsets and listpack sorted sets in
/// Redis's order come back [`Decoded::Packed`].
pub fn read_value<R: Read>(
    src: &mut Source<R>,
    rdb_type: u8,
    keep_packed: bool,
) -> Result<Option<Decoded>> {
    let (packed, keepable) = match rdb_type {
        t::SET_INTSET => {
            let is = Intset::from_bytes(&src.string()?).map_err(|e| corrupt(src, e))?;
            (PackedObject::Set(is), true)
        }
        t::HASH_LISTPACK | t::ZSET_LISTPACK => {
            let zset = rdb_type == t::ZSET_LISTPACK;
            let lp = Listpack::from_bytes(&src.string()?).map_err(|e| corrupt(src, e))?;
            let in_order = check_pairs(src, lp.iter(), zset)?;
            let lp = if zset {
                PackedObject::ZSet(lp)
            } else {
                PackedObject::Hash(lp)
            };
            (lp, in_order)
        }
        _ => return Ok(read_object(src, rdb_type)?.map(Decoded::Object)),
    };
    Ok((!packed.as_packed().is_empty()).then(|| {
        if keep_packed && keepable {
            Decoded::Packed(packed)
        } else {
            Decoded::Object(unpack_object(packed.as_packed()))
        }
    }))
}

/// Reads a value of a type that is never kept packed.
fn read_object<R: Read>(src: &mut Source<R>, rdb_type: u8) -> Result<Option<Object>> {
    let object = match rdb_type {
        t::STRING => return Ok(Some(Object::String(src.string()?.into()))),
        t::LIST => Object::List(read_strings(src)?),
        t::SET => Object::Set(unique(read_strings(src)?, src, "duplicate set members")?),
        t::ZSET | t::ZSET_2 => {
            let n = src.count()?;
            let mut items = Vec::with_capacity(n.min(PREALLOC));
            for _ in 0..n {
                let member: Bytes = src.string()?.into();
                let score = if rdb_type == t::ZSET_2 {
                    src.binary_double()?
                } else {
                    src.text_double()?
                };
                if score.is_nan() {
                    return Err(src.corrupt("sorted set score is NaN"));
                }
                items.push((member, score));
            }
            // Redis writes skiplists from the highest score down.
            if rdb_type == t::ZSET_2 {
                items.reverse();
            }
            Object::ZSet(unique_by(
                src,
                items,
                |(m, _)| m,
                "duplicate sorted set members",
            )?)
        }
        t::HASH => {
            let n = src.count()?;
            let mut pairs = Vec::with_capacity(n.min(PREALLOC));
            for _ in 0..n {
                let field: Bytes = src.string()?.into();
                pairs.push((field, src.string()?.into()));
            }
            Object::Hash(unique_by(src, pairs, |(f, _)| f, "duplicate hash fields")?)
        }
        t::MODULE_PRE_GA | t::MODULE_2 => {
            let id = src.len()?;
            return Err(Error::Module {
                name: module_name(id),
            });
        }
        t::HASH_ZIPMAP => {
            let blob = src.string()?;
            let mut pairs = Vec::new();
            zipmap::walk(&blob, |f, v| {
                pairs.push((Bytes::copy_from_slice(f), Bytes::copy_from_slice(v)));
                Ok(())
            })
            .map_err(|e| src.corrupt(e))?;
            Object::Hash(unique_by(src, pairs, |(f, _)| f, "duplicate hash fields")?)
        }
        t::LIST_ZIPLIST => Object::List(blob_items(src, Blob::Ziplist)?),
        t::ZSET_ZIPLIST | t::HASH_ZIPLIST => {
            let blob = src.string()?;
            let mut entries = Vec::new();
            ziplist::walk(&blob, |e| entries.push(e)).map_err(|e| src.corrupt(e))?;
            if rdb_type == t::ZSET_ZIPLIST {
                check_pairs(src, entries.iter().copied(), true)?;
                Object::ZSet(zset_pairs(entries.into_iter()))
            } else {
                check_pairs(src, entries.iter().copied(), false)?;
                Object::Hash(hash_pairs(entries.into_iter()))
            }
        }
        t::LIST_QUICKLIST | t::LIST_QUICKLIST_2 => {
            let nodes = src.count()?;
            let mut items = Vec::new();
            for _ in 0..nodes {
                let plain = if rdb_type == t::LIST_QUICKLIST_2 {
                    match src.len()? {
                        1 => true,
                        2 => false,
                        _ => return Err(src.corrupt("unknown quicklist node container")),
                    }
                } else {
                    false
                };
                let blob = src.string()?;
                if blob.is_empty() {
                    return Err(src.corrupt("empty quicklist node"));
                }
                if plain {
                    items.push(blob.into());
                } else if rdb_type == t::LIST_QUICKLIST_2 {
                    unpack(src, &blob, Blob::Listpack, &mut items)?;
                } else {
                    unpack(src, &blob, Blob::Ziplist, &mut items)?;
                }
            }
            Object::List(items)
        }
        t::SET_LISTPACK => {
            let members = blob_items(src, Blob::Listpack)?;
            Object::Set(unique(members, src, "duplicate set members")?)
        }
        t::STREAM_LISTPACKS | t::STREAM_LISTPACKS_2 => {
            return Ok(Some(Object::Stream(Box::new(super::stream::read(
                src, rdb_type,
            )?))));
        }
        t::STREAM_LISTPACKS_3 => {
            return Err(Error::UnsupportedType {
                rdb_type,
                what: "stream",
            })
        }
        t::HASH_METADATA_PRE_GA
        | t::HASH_LISTPACK_EX_PRE_GA
        | t::HASH_METADATA
        | t::HASH_LISTPACK_EX => {
            return Err(Error::UnsupportedType {
                rdb_type,
                what: "hash with field expiration",
            })
        }
        _ => {
            return Err(Error::UnknownType {
                offset: src.offset(),
                rdb_type,
            })
        }
    };
    let empty = match &object {
        Object::String(_) => false,
        Object::List(v) | Object::Set(v) => v.is_empty(),
        Object::Hash(v) => v.is_empty(),
        Object::ZSet(v) => v.is_empty(),
        Object::Stream(_) => false,
    };
    Ok((!empty).then_some(object))
}

fn read_strings<R: Read>(src: &mut Source<R>) -> Result<Vec<Bytes>> {
    let n = src.count()?;
    let mut items = Vec::with_capacity(n.min(PREALLOC));
    for _ in 0..n {
        items.push(src.string()?.into());
    }
    Ok(items)
}

fn entry_bytes(entry: Entry<'_>) -> Bytes {
    match entry {
        Entry::Int(v) => int_text(v).into(),
        Entry::Str(s) => Bytes::copy_from_slice(s),
    }
}

/// The RDB error for a blob that is not a valid listpack or intset.
fn corrupt<R: Read>(src: &Source<R>, e: Corrupt) -> Error {
    src.corrupt(e.why)
}

#[derive(Clone, Copy)]
enum Blob {
    Listpack,
    Ziplist,
}

/// Reads a string holding a listpack or ziplist and returns its elements.
fn blob_items<R: Read>(src: &mut Source<R>, kind: Blob) -> Result<Vec<Bytes>> {
    let blob = src.string()?;
    let mut items = Vec::new();
    unpack(src, &blob, kind, &mut items)?;
    Ok(items)
}

/// Validates a listpack or ziplist and appends its elements to `items`.
fn unpack<R: Read>(src: &Source<R>, blob: &[u8], kind: Blob, items: &mut Vec<Bytes>) -> Result<()> {
    match kind {
        Blob::Listpack => {
            let lp = Listpack::from_bytes(blob).map_err(|e| corrupt(src, e))?;
            items.extend(lp.iter().map(entry_bytes));
        }
        Blob::Ziplist => {
            ziplist::walk(blob, |e| items.push(entry_bytes(e))).map_err(|e| src.corrupt(e))?;
        }
    }
    Ok(())
}

/// Checks the elements of a hash or sorted set blob as Redis's deep
/// sanitization does: in pairs, the first of each pair distinct (compared
/// as strings), and for a sorted set the second a score that is a number.
/// Says whether a sorted set's pairs are in Redis's order (ascending score,
/// then member), which its in-memory listpacks keep.
fn check_pairs<'a, R: Read>(
    src: &Source<R>,
    mut entries: impl Iterator<Item = Entry<'a>>,
    zset: bool,
) -> Result<bool> {
    let mut seen: HashSet<Entry<'a>, foldhash::fast::RandomState> = HashSet::default();
    let mut prev: Option<(f64, Entry<'a>)> = None;
    let mut in_order = true;
    while let Some(first) = entries.next() {
        let Some(second) = entries.next() else {
            return Err(src.corrupt("odd number of elements in a hash or sorted set"));
        };
        // A canonical integer stored as a string still repeats the integer.
        if !seen.insert(first.as_i64().map_or(first, Entry::Int)) {
            return Err(src.corrupt(if zset {
                "duplicate sorted set members"
            } else {
                "duplicate hash fields"
            }));
        }
        if zset {
            let score =
                entry_score(second).ok_or_else(|| src.corrupt("invalid sorted set score"))?;
            in_order &= prev.is_none_or(|(s, m)| {
                s.partial_cmp(&score) == Some(Ordering::Less)
                    || (s == score && cmp_strings(m, first) == Ordering::Less)
            });
            prev = Some((score, first));
        }
    }
    Ok(in_order)
}

/// Compares two elements as strings.
fn cmp_strings(a: Entry<'_>, b: Entry<'_>) -> Ordering {
    let (mut x, mut y) = (itoa::Buffer::new(), itoa::Buffer::new());
    a.bytes(&mut x).cmp(b.bytes(&mut y))
}

/// A sorted set score stored as an element; `None` unless it is a number.
fn entry_score(entry: Entry<'_>) -> Option<f64> {
    match entry {
        Entry::Int(v) => Some(v as f64),
        Entry::Str(s) => parse_score(s).filter(|v| !v.is_nan()),
    }
}

/// The elements of a listpack or intset checked by [`read_value`].
fn unpack_object(packed: Packed<'_>) -> Object {
    match packed {
        Packed::Hash(lp) => Object::Hash(hash_pairs(lp.iter())),
        Packed::ZSet(lp) => Object::ZSet(zset_pairs(lp.iter())),
        Packed::Set(is) => Object::Set(is.iter().map(|v| int_text(v).into()).collect()),
    }
}

/// Field-value pairs of elements that passed [`check_pairs`].
fn hash_pairs<'a>(mut entries: impl Iterator<Item = Entry<'a>>) -> Vec<(Bytes, Bytes)> {
    std::iter::from_fn(|| Some((entry_bytes(entries.next()?), entry_bytes(entries.next()?))))
        .collect()
}

/// Member-score pairs of elements that passed [`check_pairs`].
fn zset_pairs<'a>(mut entries: impl Iterator<Item = Entry<'a>>) -> Vec<(Bytes, f64)> {
    std::iter::from_fn(|| {
        let member = entry_bytes(entries.next()?);
        Some((member, entry_score(entries.next()?).expect("checked score")))
    })
    .collect()
}

fn unique<R: Read>(items: Vec<Bytes>, src: &Source<R>, what: &'static str) -> Result<Vec<Bytes>> {
    unique_by(src, items, |b| b, what)
}

/// Fails on a repeated key: Redis refuses such values as corrupt.
fn unique_by<R: Read, T>(
    src: &Source<R>,
    items: Vec<T>,
    key: impl Fn(&T) -> &Bytes,
    what: &'static str,
) -> Result<Vec<T>> {
    if items.len() > 1 {
        let mut seen: HashSet<&[u8], foldhash::fast::RandomState> =
            HashSet::with_capacity_and_hasher(items.len(), Default::default());
        if !items.iter().all(|i| seen.insert(key(i))) {
            return Err(src.corrupt(what));
        }
    }
    Ok(items)
}

/// A module type's name from its 64-bit id: nine 6-bit characters, then a
/// 10-bit encoding version (`moduleTypeNameByID`).
pub fn module_name(id: u64) -> String {
    const CHARSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..9)
        .rev()
        .map(|i| CHARSET[((id >> (10 + 6 * i)) & 63) as usize] as char)
        .collect()
}
