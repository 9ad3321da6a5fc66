//! Collection values and their compact encodings.
//!
//! Encodings follow Redis 7.0 so that `OBJECT ENCODING` answers the same and
//! memory use is comparable: small hashes and sorted sets as listpacks,
//! small integer sets as intsets, lists as quicklists.

pub mod hash;
pub mod list;
pub mod set;
pub mod zset;

pub use hash::Hash;
pub use list::List;
pub use set::Set;
pub use zset::ZSet;
