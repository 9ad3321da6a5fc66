//! Collection values and their compact encodings.
//!
//! Encodings follow Redis 7.0 so that `OBJECT ENCODING` answers the same and
//! memory use is comparable: small hashes and sorted sets as listpacks,
//! small integer sets as intsets, lists as quicklists. Listpacks and intsets
//! are byte-identical to Redis's, so RDB files carry them as they are.

pub mod hash;
pub mod hll;
pub mod intset;
pub mod list;
pub mod listpack;
pub mod set;
pub mod stream;
mod thin;
pub mod zset;

pub use hash::Hash;
pub use intset::Intset;
pub use list::List;
pub use listpack::{Entry, Listpack};
pub use set::Set;
pub use stream::Stream;
pub use zset::ZSet;

/// Encoding thresholds: the redis.conf directives of the same names, with
/// redis-server's built-in defaults (the sample redis.conf sets
/// `hash-max-listpack-entries` to 128; without a file it is 512). The server
/// copies them from its config into [`Engine::limits`](crate::Engine::limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    /// Positive: entries per quicklist node; -1..-5: node size 4..64 KiB.
    pub list_max_listpack_size: i64,
    pub list_compress_depth: usize,
    /// Largest sparse HyperLogLog, in bytes, before it turns dense.
    pub hll_sparse_max_bytes: usize,
    pub stream_node_max_bytes: usize,
    pub stream_node_max_entries: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            hll_sparse_max_bytes: 3000,
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
        }
    }
}

/// Bytes that are not a valid listpack or intset (or not a valid value
/// built from one), e.g. in an RDB file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("corrupt {what}: {why}")]
pub struct Corrupt {
    pub what: &'static str,
    pub why: &'static str,
}
