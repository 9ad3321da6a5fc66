//! Redis RDB files and DUMP payloads, read and written in Redis's format.
//!
//! Independent of the keyspace's own value types: the [`Reader`] produces,
//! and the [`Writer`] consumes, plain [`Object`]s (the writer also takes
//! borrowed iterators, so saving needs no copy of a collection, and
//! [`Packed`] listpacks and intsets, copied as they are). Both stream one
//! key at a time through `std::io` and never hold a whole file. Listpacks
//! and intsets are built, checked and walked by [`crate::types`]' codecs.
//!
//! - Writing follows Redis 7.0 (RDB version 10): each value gets the
//!   encoding Redis would have given it under the [`Limits`] (the
//!   `*-max-listpack-*`/`set-max-intset-entries` settings): integer and LZF
//!   strings, lists as quicklists of listpacks, intsets, listpack hashes and
//!   sorted sets, or their hash-table forms.
//! - Reading accepts versions 1 to 12 and every value type Redis 7.2/7.4
//!   writes except streams, module values and hashes with field expiration
//!   (typed errors), including the old ziplist, zipmap, intset and
//!   quicklist-1 encodings. Every length and blob is validated: corrupt or
//!   truncated input is an [`Error`], never a panic or an allocation the
//!   input's size does not justify.
//! - [`dump`]/[`restore`] are the DUMP/RESTORE payloads; [`ValueDigest`] and
//!   [`DatasetDigest`] are DEBUG DIGEST-VALUE and DEBUG DIGEST.
//!
//! Format facts come from Redis's `rdb.c`, `rdb.h`, `listpack.c`,
//! `ziplist.c`, `intset.c`, `zipmap.c`, `quicklist.c` and `lzf_*.c`.

mod crc64;
mod decode;
mod digest;
mod dump;
mod encode;
mod error;
pub mod legacy;
mod lzf;
mod num;
mod reader;
mod sink;
mod source;
mod stream;
mod writer;
mod ziplist;
mod zipmap;

use bytes::Bytes;

use crate::types::{Intset, Listpack, Stream};

pub use crc64::{crc64, update as crc64_update};
pub use decode::Decoded;
pub use digest::{hex as digest_hex, DatasetDigest, Digest, ValueDigest};
pub use dump::{dump, dump_packed, restore, restore_packed};
pub use error::{Error, Result};
pub use reader::{Event, Reader};
pub use writer::{AuxFields, ReplInfo, Writer};

/// The RDB version written (Redis 7.0's).
pub const RDB_VERSION: u16 = 10;
/// The newest RDB version read (Redis 7.4's).
pub const MAX_READ_VERSION: u16 = 12;

/// Value type bytes (`RDB_TYPE_*`).
pub mod rdb_type {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE_PRE_GA: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
    pub const SET_LISTPACK: u8 = 20;
    pub const STREAM_LISTPACKS_3: u8 = 21;
    pub const HASH_METADATA_PRE_GA: u8 = 22;
    pub const HASH_LISTPACK_EX_PRE_GA: u8 = 23;
    pub const HASH_METADATA: u8 = 24;
    pub const HASH_LISTPACK_EX: u8 = 25;

    /// `rdbIsObjectType` as of version 12.
    pub fn is_object_type(t: u8) -> bool {
        t <= 7 || (9..=25).contains(&t)
    }
}

/// Opcode bytes (`RDB_OPCODE_*`).
pub mod opcode {
    pub const SLOT_INFO: u8 = 244;
    pub const FUNCTION2: u8 = 245;
    pub const FUNCTION_PRE_GA: u8 = 246;
    pub const MODULE_AUX: u8 = 247;
    pub const IDLE: u8 = 248;
    pub const FREQ: u8 = 249;
    pub const AUX: u8 = 250;
    pub const RESIZEDB: u8 = 251;
    pub const EXPIRETIME_MS: u8 = 252;
    pub const EXPIRETIME: u8 = 253;
    pub const SELECTDB: u8 = 254;
    pub const EOF: u8 = 255;
}

/// A value, independent of how it is encoded in memory or in the file.
///
/// Collections hold distinct members (fields) and are never empty when read.
/// Sorted sets read from files Redis wrote come in ascending (score, member)
/// order; lists keep their order.
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    String(Bytes),
    List(Vec<Bytes>),
    Set(Vec<Bytes>),
    Hash(Vec<(Bytes, Bytes)>),
    ZSet(Vec<(Bytes, f64)>),
    /// Kept as it is: nodes, counters and groups (may be empty).
    Stream(Box<Stream>),
}

/// A collection already held in the compact encoding an RDB file stores
/// as one blob (Redis keeps small values in memory that way too): written
/// byte for byte instead of element by element, whatever the [`Limits`].
/// Empty ones are not written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Packed<'a> {
    /// A hash's listpack: fields and values alternating.
    Hash(&'a Listpack),
    /// A sorted set's listpack: members and scores alternating, by
    /// ascending score, then member.
    ZSet(&'a Listpack),
    /// A set of integers.
    Set(&'a Intset),
}

impl Packed<'_> {
    pub fn is_empty(self) -> bool {
        match self {
            Packed::Hash(lp) | Packed::ZSet(lp) => lp.is_empty(),
            Packed::Set(is) => is.is_empty(),
        }
    }
}

/// A value read as the listpack or intset the file holds, when the reader
/// keeps those ([`Reader::set_keep_packed`]): checked like an [`Object`]'s
/// elements, so it can be stored as it is.
#[derive(Clone, Debug, PartialEq)]
pub enum PackedObject {
    Hash(Listpack),
    /// Only in Redis's order (other sorted sets come as [`Object::ZSet`]).
    ZSet(Listpack),
    Set(Intset),
}

impl PackedObject {
    pub fn as_packed(&self) -> Packed<'_> {
        match self {
            PackedObject::Hash(lp) => Packed::Hash(lp),
            PackedObject::ZSet(lp) => Packed::ZSet(lp),
            PackedObject::Set(is) => Packed::Set(is),
        }
    }
}

/// Per-key data stored before a key: expiry and eviction hints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyMeta {
    /// Absolute expiry, Unix time in milliseconds.
    pub expire_ms: Option<i64>,
    /// LRU idle time in seconds (saved by Redis under LRU maxmemory policies).
    pub lru_idle: Option<u64>,
    /// LFU logarithmic counter (saved under LFU maxmemory policies).
    pub lfu_freq: Option<u8>,
}

/// A key read from (or to be written to) an RDB file.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub db: u32,
    pub key: Bytes,
    pub object: Object,
    pub expire_ms: Option<i64>,
    pub lru_idle: Option<u64>,
    pub lfu_freq: Option<u8>,
}

/// A key read with its value kept packed ([`Reader::set_keep_packed`]).
#[derive(Clone, Debug, PartialEq)]
pub struct PackedEntry {
    pub db: u32,
    pub key: Bytes,
    pub object: PackedObject,
    pub meta: KeyMeta,
}

impl Entry {
    pub fn meta(&self) -> KeyMeta {
        KeyMeta {
            expire_ms: self.expire_ms,
            lru_idle: self.lru_idle,
            lfu_freq: self.lfu_freq,
        }
    }
}

/// The encoding thresholds (Redis config names in the field docs); the
/// defaults are Redis 7.0's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// `list-max-listpack-size`: negative = node size class (-1 4 KiB ... -5
    /// 64 KiB), positive = elements per node (8 KiB at most).
    pub list_max_listpack_size: i32,
    /// Elements at least this long get a quicklist node of their own
    /// ("plain"); Redis's fixed 1 GiB unless changed by DEBUG.
    pub list_packed_threshold: usize,
    /// `set-max-intset-entries`.
    pub set_max_intset_entries: usize,
    /// `hash-max-listpack-entries`.
    pub hash_max_listpack_entries: usize,
    /// `hash-max-listpack-value`.
    pub hash_max_listpack_value: usize,
    /// `zset-max-listpack-entries`.
    pub zset_max_listpack_entries: usize,
    /// `zset-max-listpack-value`.
    pub zset_max_listpack_value: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            list_max_listpack_size: -2,
            list_packed_threshold: 1 << 30,
            set_max_intset_entries: 512,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
        }
    }
}

/// How to write: `rdbcompression`, `rdbchecksum` and the encoding limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteOptions {
    pub compression: bool,
    pub checksum: bool,
    pub limits: Limits,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            compression: true,
            checksum: true,
            limits: Limits::default(),
        }
    }
}
