//! Values stored under keys and their Redis-visible encodings.

use resp::parse_i64;

use crate::types::{Hash, List, Set, Stream, ZSet};
use crate::Str;

/// Longest string Redis stores as `embstr` (one allocation with its header).
pub const EMBSTR_MAX: usize = 44;

/// A value. Strings come in the three encodings Redis reports through
/// `OBJECT ENCODING`: `int`, `embstr` and `raw`.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string that is the canonical decimal text of an `i64` (`int`).
    Int(i64),
    /// An immutable string as written by SET and friends
    /// (`embstr` up to 44 bytes, `raw` beyond).
    Str(Str),
    /// A string modified in place (APPEND, SETRANGE): always `raw`, and keeps
    /// spare capacity so repeated appends are amortized O(1).
    Raw(Box<Vec<u8>>),
    /// Inline: a small list is just its listpack pointer.
    List(List),
    /// Inline: a small hash is just its listpack pointer.
    Hash(Hash),
    /// Inline: a small set is just its intset pointer.
    Set(Set),
    /// Inline: a small sorted set is just its listpack pointer.
    ZSet(ZSet),
    /// Boxed: a stream's header is far bigger than the other variants.
    Stream(Box<Stream>),
}

/// The type name reported by TYPE (and used in WRONGTYPE checks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    String,
    List,
    Hash,
    Set,
    ZSet,
    Stream,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::List => "list",
            Kind::Hash => "hash",
            Kind::Set => "set",
            Kind::ZSet => "zset",
            Kind::Stream => "stream",
        }
    }
}

impl Value {
    /// A string value with the encoding Redis's `tryObjectEncoding` picks.
    pub fn string(bytes: &[u8]) -> Value {
        match parse_i64(bytes) {
            Some(n) => Value::Int(n),
            None => Value::Str(Str::new(bytes)),
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Value::Int(_) | Value::Str(_) | Value::Raw(_) => Kind::String,
            Value::List(_) => Kind::List,
            Value::Hash(_) => Kind::Hash,
            Value::Set(_) => Kind::Set,
            Value::ZSet(_) => Kind::ZSet,
            Value::Stream(_) => Kind::Stream,
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Str(s) if s.len() <= EMBSTR_MAX => "embstr",
            Value::Str(_) | Value::Raw(_) => "raw",
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Stream(_) => "stream",
        }
    }

    /// The bytes of a string value; `None` for other types. Integers are
    /// formatted into `scratch`.
    pub fn as_bytes<'a>(&'a self, scratch: &'a mut itoa::Buffer) -> Option<&'a [u8]> {
        match self {
            Value::Int(n) => Some(scratch.format(*n).as_bytes()),
            Value::Str(s) => Some(s),
            Value::Raw(v) => Some(v),
            _ => None,
        }
    }

    /// Turns a string value into its in-place-modifiable `raw` form.
    pub fn make_raw(&mut self) -> Option<&mut Vec<u8>> {
        if let Value::Int(_) | Value::Str(_) = self {
            let mut buf = itoa::Buffer::new();
            let bytes = self.as_bytes(&mut buf)?.to_vec();
            *self = Value::Raw(Box::new(bytes));
        }
        match self {
            Value::Raw(v) => Some(v),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(Value::string(b"123").encoding(), "int");
        assert_eq!(Value::string(b"abc").encoding(), "embstr");
        assert_eq!(Value::string(&[b'x'; 45]).encoding(), "raw");
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }
}
