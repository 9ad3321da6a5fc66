//! Redis's intset: a sorted array of distinct integers, all stored with the
//! width of the widest one, in exactly the layout of Redis 7.0's `intset.c`
//! (so RDB files can store it as is).
//!
//! ```text
//! <width in bytes: u32 LE, 2|4|8> <count: u32 LE> <values, little endian>
//! ```
//!
//! Adding a value that needs a wider type rewrites every element at the new
//! width ("upgrade"); removing never narrows it again, like Redis.
//!
//! Written by hand because the layout is Redis's format: RDB files and
//! DUMP payloads carry the blob as it is, and MEMORY USAGE counts its bytes.

use std::fmt;

use super::thin::ThinBytes;
use super::Corrupt;

const HEADER: usize = 8;

/// `why` names the intset: it is also the reason of an RDB error.
fn corrupt(why: &'static str) -> Corrupt {
    Corrupt {
        what: "intset",
        why,
    }
}

/// Bytes needed to store `v`.
fn width_for(v: i64) -> usize {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

fn read(buf: &[u8], width: usize, i: usize) -> i64 {
    let at = HEADER + i * width;
    let b = &buf[at..at + width];
    match width {
        2 => i16::from_le_bytes(b.try_into().expect("2 bytes")).into(),
        4 => i32::from_le_bytes(b.try_into().expect("4 bytes")).into(),
        _ => i64::from_le_bytes(b.try_into().expect("8 bytes")),
    }
}

fn write(buf: &mut [u8], width: usize, i: usize, v: i64) {
    let at = HEADER + i * width;
    buf[at..at + width].copy_from_slice(&v.to_le_bytes()[..width]);
}

fn header(buf: &[u8]) -> (usize, usize) {
    let word = |i: usize| u32::from_le_bytes(buf[i..i + 4].try_into().expect("4 bytes")) as usize;
    (word(0), word(4))
}

/// An intset in one exactly sized allocation.
pub struct Intset {
    buf: ThinBytes,
}

impl Default for Intset {
    fn default() -> Intset {
        Intset::new()
    }
}

impl Intset {
    /// An empty intset of 16-bit integers (8 bytes).
    pub fn new() -> Intset {
        let mut empty = [0u8; HEADER];
        empty[0] = 2;
        Intset {
            buf: ThinBytes::new(&empty),
        }
    }

    /// An intset from untrusted bytes (an RDB payload), validated like
    /// Redis's deep `intsetValidateIntegrity`: known width, size matching the
    /// count, not empty, strictly ascending.
    pub fn from_bytes(bytes: &[u8]) -> Result<Intset, Corrupt> {
        if bytes.len() < HEADER {
            return Err(corrupt("shorter than an intset header"));
        }
        let (width, len) = header(bytes);
        if ![2, 4, 8].contains(&width) {
            return Err(corrupt("unknown intset encoding"));
        }
        if len.checked_mul(width).and_then(|n| n.checked_add(HEADER)) != Some(bytes.len()) {
            return Err(corrupt("intset size does not match its count"));
        }
        if len == 0 {
            return Err(corrupt("empty intset"));
        }
        let ascending = (1..len).all(|i| read(bytes, width, i - 1) < read(bytes, width, i));
        if !ascending {
            return Err(corrupt("intset not sorted or has duplicates"));
        }
        Ok(Intset {
            buf: ThinBytes::new(bytes),
        })
    }

    /// An intset of `sorted` (strictly ascending) at the width its extremes
    /// need, built in place rather than by upgrading insertions.
    pub fn from_sorted(sorted: &[i64]) -> Intset {
        debug_assert!(sorted.windows(2).all(|w| w[0] < w[1]), "not ascending");
        let width = match (sorted.first(), sorted.last()) {
            (Some(&lo), Some(&hi)) => width_for(lo).max(width_for(hi)),
            _ => 2,
        };
        let mut is = Intset::new();
        is.resize(width, sorted.len());
        // SAFETY: the allocation now holds `sorted.len()` elements of `width`.
        let buf = unsafe { is.buf.slice_mut(HEADER + width * sorted.len()) };
        for (i, &v) in sorted.iter().enumerate() {
            write(buf, width, i, v);
        }
        is
    }

    fn header(&self) -> (usize, usize) {
        // SAFETY: every intset is at least its header long.
        header(unsafe { self.buf.slice(HEADER) })
    }

    /// The intset as Redis stores it.
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: the size derived from the header is the allocation size
        // (every change goes through `resize`, which updates both).
        unsafe { self.buf.slice(self.bytes_len()) }
    }

    pub fn bytes_len(&self) -> usize {
        let (width, len) = self.header();
        HEADER + width * len
    }

    /// Bytes per element: 2, 4 or 8.
    pub fn width(&self) -> usize {
        self.header().0
    }

    pub fn len(&self) -> usize {
        self.header().1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th smallest element.
    pub fn get(&self, i: usize) -> i64 {
        assert!(i < self.len(), "intset index out of range");
        read(self.as_bytes(), self.width(), i)
    }

    /// `Ok(position)` if present, else `Err(insertion point)`.
    fn search(&self, v: i64) -> Result<usize, usize> {
        let (width, len) = self.header();
        if width_for(v) > width {
            // Wider than any element: beyond one end.
            return Err(if v < 0 { 0 } else { len });
        }
        let buf = self.as_bytes();
        let (mut lo, mut hi) = (0, len);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match read(buf, width, mid).cmp(&v) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    pub fn contains(&self, v: i64) -> bool {
        self.search(v).is_ok()
    }

    /// Adds `v`; false if it was already there.
    pub fn insert(&mut self, v: i64) -> bool {
        let (width, len) = self.header();
        let new_width = width_for(v);
        if new_width > width {
            self.upgrade_and_insert(new_width, v);
            return true;
        }
        let Err(at) = self.search(v) else {
            return false;
        };
        self.resize(width, len + 1);
        // SAFETY: the allocation now holds `len + 1` elements.
        let buf = unsafe { self.buf.slice_mut(HEADER + width * (len + 1)) };
        buf.copy_within(
            HEADER + at * width..HEADER + len * width,
            HEADER + (at + 1) * width,
        );
        write(buf, width, at, v);
        true
    }

    /// Rewrites every element at `width` and adds `v`, which is below or
    /// above all of them since it needs the wider type.
    fn upgrade_and_insert(&mut self, width: usize, v: i64) {
        let len = self.len();
        let old: Vec<i64> = (0..len).map(|i| self.get(i)).collect();
        self.resize(width, len + 1);
        // SAFETY: the allocation now holds `len + 1` elements of `width`.
        let buf = unsafe { self.buf.slice_mut(HEADER + width * (len + 1)) };
        let shift = usize::from(v < 0);
        // Backwards, so no element is overwritten before it is moved.
        for (i, &x) in old.iter().enumerate().rev() {
            write(buf, width, i + shift, x);
        }
        write(buf, width, if v < 0 { 0 } else { len }, v);
    }

    /// Removes `v`; false if it was not there. The width stays.
    pub fn remove(&mut self, v: i64) -> bool {
        let Ok(at) = self.search(v) else {
            return false;
        };
        let (width, len) = self.header();
        {
            // SAFETY: the allocation holds `len` elements.
            let buf = unsafe { self.buf.slice_mut(HEADER + width * len) };
            buf.copy_within(
                HEADER + (at + 1) * width..HEADER + len * width,
                HEADER + at * width,
            );
        }
        self.resize(width, len - 1);
        true
    }

    /// Sets a new width and count, reallocating to the exact size.
    fn resize(&mut self, width: usize, len: usize) {
        let old = self.bytes_len();
        let new = HEADER + width * len;
        let count = u32::try_from(len).expect("intset over u32::MAX elements");
        // SAFETY: `old` is the allocation size; the header is rewritten to
        // describe `new` right after.
        unsafe {
            self.buf.resize(old, new);
            let buf = self.buf.slice_mut(HEADER);
            buf[..4].copy_from_slice(&(width as u32).to_le_bytes());
            buf[4..].copy_from_slice(&count.to_le_bytes());
        }
    }

    /// Elements in ascending order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = i64> + ExactSizeIterator + '_ {
        let (width, len) = self.header();
        let buf = self.as_bytes();
        (0..len).map(move |i| read(buf, width, i))
    }
}

impl Drop for Intset {
    fn drop(&mut self) {
        let len = self.bytes_len();
        // SAFETY: `len` is the allocation size; this is the only free.
        unsafe { self.buf.free(len) }
    }
}

impl Clone for Intset {
    fn clone(&self) -> Intset {
        Intset {
            buf: ThinBytes::new(self.as_bytes()),
        }
    }
}

impl PartialEq for Intset {
    fn eq(&self, other: &Intset) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Intset {}

impl fmt::Debug for Intset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn layout_and_upgrades() {
        let mut s = Intset::new();
        assert_eq!(s.as_bytes(), &[2, 0, 0, 0, 0, 0, 0, 0]);
        assert!(s.insert(5));
        assert!(s.insert(-3));
        assert!(!s.insert(5));
        assert_eq!(s.as_bytes(), &[2, 0, 0, 0, 2, 0, 0, 0, 0xFD, 0xFF, 5, 0]);
        assert!(s.insert(40000));
        assert_eq!(s.width(), 4);
        assert!(s.insert(-(1 << 40)));
        assert_eq!(s.width(), 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), [-(1 << 40), -3, 5, 40000]);
        assert_eq!(s.bytes_len(), 8 + 4 * 8);
        assert!(s.remove(-(1 << 40)));
        assert!(!s.remove(-(1 << 40)));
        assert_eq!(s.width(), 8, "never narrows");
        assert_eq!(s.iter().collect::<Vec<_>>(), [-3, 5, 40000]);
        assert_eq!(Intset::from_bytes(s.as_bytes()).unwrap(), s);
        assert_eq!(std::mem::size_of::<Intset>(), 8);
    }

    #[test]
    fn width_boundaries() {
        for (v, width) in [
            (i16::MAX as i64, 2),
            (i16::MIN as i64, 2),
            (i16::MAX as i64 + 1, 4),
            (i16::MIN as i64 - 1, 4),
            (i32::MAX as i64, 4),
            (i32::MIN as i64, 4),
            (i32::MAX as i64 + 1, 8),
            (i64::MIN, 8),
        ] {
            let mut s = Intset::new();
            s.insert(1);
            s.insert(v);
            assert_eq!(s.width(), width, "{v}");
            assert!(s.contains(v) && s.contains(1));
            assert_eq!(s.iter().collect::<Vec<_>>(), [v.min(1), v.max(1)]);
        }
    }

    #[test]
    fn from_sorted_matches_insertions() {
        for values in [
            &[][..],
            &[-3, 1, 2],
            &[1, 70000],
            &[-5_000_000_000, 0],
            &[i64::MIN, i64::MAX],
        ] {
            let mut inserted = Intset::new();
            for &v in values {
                inserted.insert(v);
            }
            assert_eq!(Intset::from_sorted(values), inserted, "{values:?}");
        }
    }

    #[test]
    fn random_operations_match_a_btreeset() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut s = Intset::new();
        let mut model = std::collections::BTreeSet::new();
        for _ in 0..5000 {
            let v = match rng.random_range(0..3) {
                0 => rng.random_range(-100..100),
                1 => rng.random_range(-100_000..100_000),
                _ => rng.random::<i64>() >> rng.random_range(0..40),
            };
            if rng.random_bool(0.6) {
                assert_eq!(s.insert(v), model.insert(v));
            } else {
                assert_eq!(s.remove(v), model.remove(&v));
            }
            assert_eq!(s.contains(v), model.contains(&v));
        }
        assert!(s.iter().eq(model.iter().copied()));
        assert!(s.iter().rev().eq(model.iter().rev().copied()));
    }

    #[test]
    fn validation_rejects_corruption() {
        let ok = |b: &[u8]| Intset::from_bytes(b).is_ok();
        assert!(!ok(&[]));
        assert!(!ok(&[2, 0, 0, 0, 0, 0, 0, 0]), "empty");
        assert!(!ok(&[3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]), "width");
        assert!(!ok(&[2, 0, 0, 0, 2, 0, 0, 0, 1, 0]), "size");
        assert!(!ok(&[2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0]), "duplicate");
        assert!(!ok(&[2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0]), "order");
        assert!(
            !ok(&[2, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 1, 0]),
            "huge count"
        );
        assert!(
            ok(&[8, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]),
            "wide but small"
        );
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let mut s = Intset::new();
        for v in 0..50 {
            s.insert(v * 977 - 20000);
        }
        let good = s.as_bytes().to_vec();
        for _ in 0..5000 {
            let mut bad = good.clone();
            let i = rng.random_range(0..bad.len());
            bad[i] = rng.random();
            if let Ok(s) = Intset::from_bytes(&bad) {
                assert!(s.iter().zip(s.iter().skip(1)).all(|(a, b)| a < b));
            }
        }
    }
}
