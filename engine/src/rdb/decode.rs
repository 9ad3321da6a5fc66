//! RDB value bytes to [`Object`]s, for every value type Redis has written
//! since RDB version 1, validated as strictly as Redis's deep sanitization
//! (duplicates, NaN scores, blob integrity).

use std::collections::HashSet;
use std::io::Read;

use bytes::Bytes;

use super::listpack::{self, Item};
use super::num::{int_text, parse_score};
use super::source::Source;
use super::{intset, rdb_type as t, ziplist, zipmap, Error, Object, Result};

/// Most elements reserved ahead of reading them: a count in the data is
/// only believed as far as the data actually goes.
const PREALLOC: usize = 1024;

/// Reads a value of type `rdb_type`. `None` for an empty collection, which
/// Redis skips on load (older versions could write them).
pub fn read_value<R: Read>(src: &mut Source<R>, rdb_type: u8) -> Result<Option<Object>> {
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
        t::SET_INTSET => {
            let blob = src.string()?;
            let ints = intset::parse(&blob).map_err(|e| src.corrupt(e))?;
            Object::Set(ints.into_iter().map(|v| int_text(v).into()).collect())
        }
        t::ZSET_ZIPLIST => Object::ZSet(zset_pairs(blob_items(src, Blob::Ziplist)?, src)?),
        t::HASH_ZIPLIST => Object::Hash(hash_pairs(blob_items(src, Blob::Ziplist)?, src)?),
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
                } else {
                    let push = |i| {
                        items.push(item_bytes(i));
                        Ok(())
                    };
                    let walked = if rdb_type == t::LIST_QUICKLIST_2 {
                        listpack::walk(&blob, push)
                    } else {
                        ziplist::walk(&blob, push)
                    };
                    walked.map_err(|e| src.corrupt(e))?;
                }
            }
            Object::List(items)
        }
        t::HASH_LISTPACK => Object::Hash(hash_pairs(blob_items(src, Blob::Listpack)?, src)?),
        t::ZSET_LISTPACK => Object::ZSet(zset_pairs(blob_items(src, Blob::Listpack)?, src)?),
        t::SET_LISTPACK => {
            let members = blob_items(src, Blob::Listpack)?;
            Object::Set(unique(members, src, "duplicate set members")?)
        }
        t::STREAM_LISTPACKS | t::STREAM_LISTPACKS_2 | t::STREAM_LISTPACKS_3 => {
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

fn item_bytes(item: Item<'_>) -> Bytes {
    match item {
        Item::Int(v) => int_text(v).into(),
        Item::Str(s) => Bytes::copy_from_slice(s),
    }
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
    let push = |i| {
        items.push(item_bytes(i));
        Ok(())
    };
    match kind {
        Blob::Listpack => listpack::walk(&blob, push),
        Blob::Ziplist => ziplist::walk(&blob, push),
    }
    .map_err(|e| src.corrupt(e))?;
    Ok(items)
}

fn hash_pairs<R: Read>(flat: Vec<Bytes>, src: &Source<R>) -> Result<Vec<(Bytes, Bytes)>> {
    let pairs = pairs(src, flat)?;
    unique_by(src, pairs, |(f, _)| f, "duplicate hash fields")
}

fn zset_pairs<R: Read>(flat: Vec<Bytes>, src: &Source<R>) -> Result<Vec<(Bytes, f64)>> {
    let mut items = Vec::with_capacity(flat.len() / 2);
    for (member, score) in pairs(src, flat)? {
        match parse_score(&score) {
            Some(s) if !s.is_nan() => items.push((member, s)),
            _ => return Err(src.corrupt("invalid sorted set score")),
        }
    }
    unique_by(src, items, |(m, _)| m, "duplicate sorted set members")
}

fn pairs<R: Read>(src: &Source<R>, flat: Vec<Bytes>) -> Result<Vec<(Bytes, Bytes)>> {
    if flat.len() & 1 == 1 {
        return Err(src.corrupt("odd number of elements in a hash or sorted set"));
    }
    let mut out = Vec::with_capacity(flat.len() / 2);
    let mut it = flat.into_iter();
    while let (Some(a), Some(b)) = (it.next(), it.next()) {
        out.push((a, b));
    }
    Ok(out)
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
