//! Ziplist blobs (Redis's `ziplist.c`, the small-value encoding before
//! listpacks): read only, for RDB files of Redis before 7.0.
//!
//! Layout: total bytes (u32 LE), offset of the last entry (u32 LE), count
//! (u16 LE, 65535 = "count them"), entries, 0xFF. An entry is the previous
//! entry's size (1 byte, or 0xFE + u32 LE), an encoding (string length in
//! 1, 2 or 5 bytes, or an integer kind), then the data.
//!
//! Written by hand: it is Redis's own format, met only in old files, and
//! every byte of it is untrusted input (checked like Redis's
//! `ziplistValidateIntegrity`, fuzzed through [`crate::fuzzing`]).

use crate::types::Entry;

const HEADER: usize = 10;
const END: u8 = 0xff;

/// Validates `zl` completely (as `ziplistValidateIntegrity` with deep
/// checks) and calls `f` with each element in order. Returns the count.
pub fn walk<'a>(zl: &'a [u8], mut f: impl FnMut(Entry<'a>)) -> Result<usize, &'static str> {
    const BAD: &str = "ziplist integrity check failed";
    if zl.len() < HEADER + 1
        || u32::from_le_bytes(zl[..4].try_into().expect("4 bytes")) as usize != zl.len()
        || zl[zl.len() - 1] != END
    {
        return Err(BAD);
    }
    let tail = u32::from_le_bytes(zl[4..8].try_into().expect("4 bytes")) as usize;
    let header_count = u16::from_le_bytes([zl[8], zl[9]]);
    let end = zl.len() - 1;
    if tail > end {
        return Err(BAD);
    }
    let mut p = HEADER;
    let mut prev_size = 0usize;
    let mut last = None;
    let mut count = 0usize;
    while zl[p] != END {
        let (prevlen, n) = match zl[p] {
            0xfe => (
                u32::from_le_bytes(zl.get(p + 1..p + 5).ok_or(BAD)?.try_into().expect("4"))
                    as usize,
                5,
            ),
            b => (b as usize, 1),
        };
        if prevlen != prev_size {
            return Err(BAD);
        }
        let (item, size) = decode_entry(&zl[p + n..end]).ok_or(BAD)?;
        f(item);
        count += 1;
        last = Some(p);
        prev_size = n + size;
        p += prev_size;
        if p > end {
            return Err(BAD);
        }
    }
    if p != end
        || last.is_some_and(|l| l != tail)
        || (header_count != u16::MAX && header_count as usize != count)
    {
        return Err(BAD);
    }
    Ok(count)
}

/// Decodes the encoding and data at the start of `b`: the element and the
/// size of encoding + data.
fn decode_entry(b: &[u8]) -> Option<(Entry<'_>, usize)> {
    let e = *b.first()?;
    let int = |n: usize| -> Option<i64> {
        let bytes = b.get(1..1 + n)?;
        let mut v = [0u8; 8];
        v[..n].copy_from_slice(bytes);
        let shift = 64 - 8 * n as u32;
        Some(i64::from_le_bytes(v) << shift >> shift)
    };
    let string = |hdr: usize, n: usize| -> Option<(Entry<'_>, usize)> {
        Some((Entry::Str(b.get(hdr..hdr.checked_add(n)?)?), hdr + n))
    };
    match e {
        0x00..=0x3f => string(1, e as usize),
        0x40..=0x7f => string(2, ((e as usize & 0x3f) << 8) | *b.get(1)? as usize),
        0x80..=0xbf => string(
            5,
            u32::from_be_bytes(b.get(1..5)?.try_into().ok()?) as usize,
        ),
        0xc0 => Some((Entry::Int(int(2)?), 3)),
        0xd0 => Some((Entry::Int(int(4)?), 5)),
        0xe0 => Some((Entry::Int(int(8)?), 9)),
        0xf0 => Some((Entry::Int(int(3)?), 4)),
        0xfe => Some((Entry::Int(int(1)?), 2)),
        0xf1..=0xfd => Some((Entry::Int((e & 0x0f) as i64 - 1), 1)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_example() {
        // The example in ziplist.c's header comment: "2" and "5".
        let zl = [
            0x0f, 0, 0, 0, 0x0c, 0, 0, 0, 2, 0, 0x00, 0xf3, 0x02, 0xf6, 0xff,
        ];
        let mut got = Vec::new();
        assert_eq!(walk(&zl, |i| got.push(i)).unwrap(), 2);
        assert_eq!(got, [Entry::Int(2), Entry::Int(5)]);
    }

    #[test]
    fn rejects_every_truncation_and_flip() {
        // "a", "bb", 7, then a 300-byte string (5-byte prevlen after it).
        let mut zl = vec![0, 0, 0, 0, 0, 0, 0, 0, 4, 0];
        zl.extend_from_slice(&[0, 1, b'a', 3, 2, b'b', b'b', 4, 0xf8, 2, 0x41, 0x2c]);
        zl.extend_from_slice(&[b's'; 300]);
        let tail = 10 + 3 + 4 + 2;
        zl.push(0xff);
        let total = zl.len() as u32;
        zl[..4].copy_from_slice(&total.to_le_bytes());
        zl[4..8].copy_from_slice(&(tail as u32).to_le_bytes());
        let mut got = Vec::new();
        walk(&zl, |i| got.push(i)).unwrap();
        assert_eq!(
            got[..3],
            [Entry::Str(b"a"), Entry::Str(b"bb"), Entry::Int(7)]
        );
        assert_eq!(got[3], Entry::Str(&[b's'; 300]));
        for cut in 0..zl.len() {
            assert!(walk(&zl[..cut], |_| {}).is_err());
        }
        for i in 0..zl.len() {
            for bit in 0..8 {
                let mut bad = zl.clone();
                bad[i] ^= 1 << bit;
                let _ = walk(&bad, |_| {});
            }
        }
    }
}
