//! Listpack blobs (Redis's `listpack.c` layout) as they appear in RDB
//! values: building one from elements and validating/walking one.
//!
//! Layout: total bytes (u32 LE), element count (u16 LE, 65535 = "count
//! them"), entries, 0xFF. An entry is an encoding byte (with its length or
//! integer bits), data, then "backlen": the size of encoding + data in 1-5
//! bytes of 7 bits, most significant first, all but the first with bit 7 set,
//! so it can be decoded backwards.

use super::num::parse_int;

const HEADER: usize = 6;
const EOF: u8 = 0xff;
const COUNT_UNKNOWN: u16 = u16::MAX;
/// Redis never lets a listpack grow past 1 GiB (`LISTPACK_MAX_SAFETY_SIZE`).
pub const MAX_SAFE_SIZE: usize = 1 << 30;
/// Bytes of an empty listpack.
pub const EMPTY_SIZE: usize = HEADER + 1;

/// An element: integers are stored as such, everything else as bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Item<'a> {
    Int(i64),
    Str(&'a [u8]),
}

/// Builds one listpack at the end of a buffer.
pub struct Builder<'a> {
    buf: &'a mut Vec<u8>,
    start: usize,
    count: usize,
}

impl<'a> Builder<'a> {
    pub fn new(buf: &'a mut Vec<u8>) -> Self {
        let start = buf.len();
        buf.extend_from_slice(&[0; HEADER]);
        Builder {
            buf,
            start,
            count: 0,
        }
    }

    /// Appends an element as `lpAppend` would: as an integer when it is the
    /// canonical text of one.
    pub fn push(&mut self, s: &[u8]) {
        match parse_int(s) {
            Some(v) => self.push_int(v),
            None => self.push_str(s),
        }
    }

    pub fn push_int(&mut self, v: i64) {
        let b = &mut *self.buf;
        let at = b.len();
        match v {
            0..=127 => b.push(v as u8),
            -4096..=4095 => {
                let u = (v as u64) & 0x1fff;
                b.extend_from_slice(&[0xc0 | (u >> 8) as u8, u as u8]);
            }
            -32768..=32767 => {
                b.push(0xf1);
                b.extend_from_slice(&(v as i16).to_le_bytes());
            }
            -8_388_608..=8_388_607 => {
                b.push(0xf2);
                b.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
            }
            -2_147_483_648..=2_147_483_647 => {
                b.push(0xf3);
                b.extend_from_slice(&(v as i32).to_le_bytes());
            }
            _ => {
                b.push(0xf4);
                b.extend_from_slice(&v.to_le_bytes());
            }
        }
        self.end_entry(at);
    }

    pub fn push_str(&mut self, s: &[u8]) {
        let b = &mut *self.buf;
        let at = b.len();
        let n = s.len();
        if n < 64 {
            b.push(0x80 | n as u8);
        } else if n < 4096 {
            b.extend_from_slice(&[0xe0 | (n >> 8) as u8, n as u8]);
        } else {
            b.push(0xf0);
            b.extend_from_slice(&(n as u32).to_le_bytes());
        }
        b.extend_from_slice(s);
        self.end_entry(at);
    }

    fn end_entry(&mut self, at: usize) {
        let len = self.buf.len() - at;
        let mut tmp = [0; 5];
        let n = encode_backlen(len as u64, &mut tmp);
        self.buf.extend_from_slice(&tmp[..n]);
        self.count += 1;
    }

    /// Writes the terminator and the header; returns the listpack's size.
    pub fn finish(self) -> usize {
        self.buf.push(EOF);
        let total = self.buf.len() - self.start;
        let count = self.count.min(COUNT_UNKNOWN as usize) as u16;
        let h = &mut self.buf[self.start..self.start + HEADER];
        h[..4].copy_from_slice(&(total as u32).to_le_bytes());
        h[4..].copy_from_slice(&count.to_le_bytes());
        total
    }
}

/// Size an element takes in a listpack (encoding, data and backlen).
pub fn entry_size(s: &[u8]) -> usize {
    let enc = match parse_int(s) {
        Some(0..=127) => 1,
        Some(-4096..=4095) => 2,
        Some(-32768..=32767) => 3,
        Some(-8_388_608..=8_388_607) => 4,
        Some(-2_147_483_648..=2_147_483_647) => 5,
        Some(_) => 9,
        None if s.len() < 64 => 1 + s.len(),
        None if s.len() < 4096 => 2 + s.len(),
        None => 5 + s.len(),
    };
    enc + backlen_size(enc as u64)
}

fn backlen_size(l: u64) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

fn encode_backlen(l: u64, out: &mut [u8; 5]) -> usize {
    let n = backlen_size(l);
    for (i, byte) in out[..n].iter_mut().enumerate() {
        let shift = 7 * (n - 1 - i);
        let bits = ((l >> shift) & 127) as u8;
        *byte = if i == 0 { bits } else { bits | 128 };
    }
    n
}

/// Validates `lp` completely and calls `f` with each element in order.
/// Returns the number of elements. Errors name what is wrong.
pub fn walk<'a>(
    lp: &'a [u8],
    mut f: impl FnMut(Item<'a>) -> Result<(), &'static str>,
) -> Result<usize, &'static str> {
    const BAD: &str = "listpack integrity check failed";
    if lp.len() < EMPTY_SIZE
        || u32::from_le_bytes(lp[..4].try_into().expect("4 bytes")) as usize != lp.len()
        || lp[lp.len() - 1] != EOF
    {
        return Err(BAD);
    }
    let header_count = u16::from_le_bytes([lp[4], lp[5]]);
    let end = lp.len() - 1;
    let mut p = HEADER;
    let mut count = 0usize;
    while lp[p] != EOF {
        let (item, enc_len) = decode_entry(&lp[p..end]).ok_or(BAD)?;
        let mut tmp = [0; 5];
        let bl = encode_backlen(enc_len as u64, &mut tmp);
        if lp.get(p + enc_len..p + enc_len + bl) != Some(&tmp[..bl]) || p + enc_len + bl > end {
            return Err(BAD);
        }
        f(item)?;
        count += 1;
        p += enc_len + bl;
    }
    if p != end || (header_count != COUNT_UNKNOWN && header_count as usize != count) {
        return Err(BAD);
    }
    Ok(count)
}

/// Decodes the entry at the start of `b` (which ends before the listpack's
/// terminator): the element and the size of its encoding and data.
fn decode_entry(b: &[u8]) -> Option<(Item<'_>, usize)> {
    let e = *b.first()?;
    let int = |n: usize| -> Option<i64> {
        let bytes = b.get(1..1 + n)?;
        let mut v = [0u8; 8];
        v[..n].copy_from_slice(bytes);
        let shift = 64 - 8 * n as u32;
        Some(i64::from_le_bytes(v) << shift >> shift)
    };
    let string = |hdr: usize, n: usize| -> Option<(Item<'_>, usize)> {
        Some((Item::Str(b.get(hdr..hdr.checked_add(n)?)?), hdr + n))
    };
    match e {
        0x00..=0x7f => Some((Item::Int(e as i64), 1)),
        0x80..=0xbf => string(1, (e & 0x3f) as usize),
        0xc0..=0xdf => {
            let u = ((e as i64 & 0x1f) << 8) | *b.get(1)? as i64;
            Some((Item::Int(if u >= 1 << 12 { u - (1 << 13) } else { u }), 2))
        }
        0xe0..=0xef => string(2, ((e as usize & 0x0f) << 8) | *b.get(1)? as usize),
        0xf0 => {
            let n = u32::from_le_bytes(b.get(1..5)?.try_into().ok()?) as usize;
            string(5, n)
        }
        0xf1 => Some((Item::Int(int(2)?), 3)),
        0xf2 => Some((Item::Int(int(3)?), 4)),
        0xf3 => Some((Item::Int(int(4)?), 5)),
        0xf4 => Some((Item::Int(int(8)?), 9)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(items: &[&[u8]]) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut b = Builder::new(&mut buf);
        for i in items {
            b.push(i);
        }
        let n = b.finish();
        assert_eq!(n, buf.len());
        buf
    }

    #[test]
    fn redis_layout() {
        // lpAppend of "a", "1", "-1", "1000" (checked against listpack.c).
        let lp = build(&[b"a", b"1", b"-1", b"1000"]);
        assert_eq!(
            lp,
            [
                0x12, 0, 0, 0, 4, 0, //
                0x81, b'a', 2, //
                0x01, 1, //
                0xdf, 0xff, 2, //
                0xc3, 0xe8, 2, //
                0xff
            ]
        );
    }

    #[test]
    fn round_trip_all_encodings() {
        let big = vec![b'x'; 5000];
        let mid = vec![b'y'; 200];
        let values: Vec<Vec<u8>> = [
            "0",
            "127",
            "128",
            "-1",
            "-4096",
            "4095",
            "4096",
            "-4097",
            "32767",
            "-32768",
            "32768",
            "8388607",
            "-8388608",
            "8388608",
            "2147483647",
            "-2147483648",
            "2147483648",
            "9223372036854775807",
            "-9223372036854775808",
            "",
            "abc",
            "007",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .chain([big.clone(), mid.clone()])
        .collect();
        let refs: Vec<&[u8]> = values.iter().map(|v| v.as_slice()).collect();
        let lp = build(&refs);
        let mut got = Vec::new();
        let n = walk(&lp, |item| {
            got.push(match item {
                Item::Int(v) => v.to_string().into_bytes(),
                Item::Str(s) => s.to_vec(),
            });
            Ok(())
        })
        .unwrap();
        assert_eq!(n, values.len());
        assert_eq!(got, values);
        let sizes: usize = refs.iter().map(|s| entry_size(s)).sum();
        assert_eq!(sizes + EMPTY_SIZE, lp.len());
    }

    #[test]
    fn backlen_forms() {
        let enc = |l| {
            let mut t = [0; 5];
            let n = encode_backlen(l, &mut t);
            t[..n].to_vec()
        };
        assert_eq!(enc(127), [127]);
        assert_eq!(enc(200), [1, 200]);
        assert_eq!(enc(5005), [39, 13 | 128]); // 5005 = 39 << 7 | 13
    }

    #[test]
    fn rejects_every_truncation_and_flip() {
        let lp = build(&[b"hello", b"12", b"-70000", &[b'z'; 70]]);
        for cut in 0..lp.len() {
            assert!(walk(&lp[..cut], |_| Ok(())).is_err(), "cut {cut}");
        }
        for i in 0..lp.len() {
            for bit in 0..8 {
                let mut bad = lp.clone();
                bad[i] ^= 1 << bit;
                let _ = walk(&bad, |_| Ok(())); // must not panic
            }
        }
    }
}
