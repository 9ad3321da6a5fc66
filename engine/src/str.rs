//! A compact, binary-safe byte string for keys and small values.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

const INLINE: usize = 22;

/// Byte string stored inline up to 22 bytes, on the heap beyond; 24 bytes
/// either way. Most keys and small values never allocate.
#[derive(Clone)]
pub enum Str {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Str {
    /// Longest string stored without a heap allocation.
    pub const INLINE: usize = INLINE;

    pub fn new(bytes: &[u8]) -> Str {
        if bytes.len() <= INLINE {
            let mut buf = [0; INLINE];
            buf[..bytes.len()].copy_from_slice(bytes);
            Str::Inline {
                len: bytes.len() as u8,
                buf,
            }
        } else {
            Str::Heap(bytes.into())
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Str::Inline { len, buf } => &buf[..*len as usize],
            Str::Heap(b) => b,
        }
    }

    /// Heap bytes owned beyond the struct itself (for memory accounting).
    pub fn heap_size(&self) -> usize {
        match self {
            Str::Inline { .. } => 0,
            Str::Heap(b) => b.len(),
        }
    }
}

impl Deref for Str {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for Str {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Str {
    fn eq(&self, other: &Str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Str {}

impl Hash for Str {
    // Must hash exactly like `[u8]` so lookups by `&[u8]` find the entry.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl From<&[u8]> for Str {
    fn from(b: &[u8]) -> Str {
        Str::new(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact() {
        assert_eq!(std::mem::size_of::<Str>(), 24);
        assert_eq!(&*Str::new(b"key:1"), b"key:1");
        let long = vec![7u8; 100];
        assert_eq!(&*Str::new(&long), &long[..]);
        assert_eq!(Str::new(b""), Str::new(b""));
    }
}
