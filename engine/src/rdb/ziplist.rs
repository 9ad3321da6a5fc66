//! Ziplist blobs (Redis's `ziplist.c`, the small-value encoding before
//! listpacks): read only, for RDB files of Redis before 7.0.
//!
//! Layout: total bytes (u32 LE), offset of the last entry (u32 LE), count
//! (u16 LE, 65535 = "count them"), entries, 0xFF. An entry is the previous
//! entry's size (1 byte, or 0xFE + u32 LE), an encoding (string length in
//! 1, 2 or 5 bytes, or an integer kind), then the data.

use super::listpack::Item;

const HEADER: usize = 10;
const END: u8 = 0xff;

/// Validates `zl` completely (as `ziplistValidateIntegrity` with deep
/// checks) and calls `f` with each element in order. Returns the count.
pub fn walk<'a>(
    zl: &'a [u8],
    mut f: impl FnMut(Item<'a>) -> Result<(), &'static str>,
) -> Result<usize, &'static str> {
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
        f(item)?;
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
        0x00..=0x3f => string(1, e as usize),
        0x40..=0x7f => string(2, ((e as usize & 0x3f) << 8) | *b.get(1)? as usize),
        0x80..=0xbf => string(
            5,
            u32::from_be_bytes(b.get(1..5)?.try_into().ok()?) as usize,
        ),
        0xc0 => Some((Item::Int(int(2)?), 3)),
        0xd0 => Some((Item::Int(int(4)?), 5)),
        0xe0 => Some((Item::Int(int(8)?), 9)),
        0xf0 => Some((Item::Int(int(3)?), 4)),
        0xfe => Some((Item::Int(int(1)?), 2)),
        0xf1..=0xfd => Some((Item::Int((e & 0x0f) as i64 - 1), 1)),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A ziplist builder for tests (Redis stopped writing them in 7.0).
    pub fn build(items: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut last = HEADER;
        for s in items {
            last = HEADER + body.len();
            let start = body.len();
            if prev < 254 {
                body.push(prev as u8);
            } else {
                body.push(0xfe);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            match super::super::num::parse_int(s) {
                Some(v @ 0..=12) => body.push(0xf1 + v as u8),
                Some(v) if i8::try_from(v).is_ok() => body.extend_from_slice(&[0xfe, v as u8]),
                Some(v) if i16::try_from(v).is_ok() => {
                    body.push(0xc0);
                    body.extend_from_slice(&(v as i16).to_le_bytes());
                }
                Some(v) if (-(1 << 23)..1 << 23).contains(&v) => {
                    body.push(0xf0);
                    body.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
                }
                Some(v) if i32::try_from(v).is_ok() => {
                    body.push(0xd0);
                    body.extend_from_slice(&(v as i32).to_le_bytes());
                }
                Some(v) => {
                    body.push(0xe0);
                    body.extend_from_slice(&v.to_le_bytes());
                }
                None if s.len() < 64 => {
                    body.push(s.len() as u8);
                    body.extend_from_slice(s);
                }
                None if s.len() < 16384 => {
                    body.extend_from_slice(&[0x40 | (s.len() >> 8) as u8, s.len() as u8]);
                    body.extend_from_slice(s);
                }
                None => {
                    body.push(0x80);
                    body.extend_from_slice(&(s.len() as u32).to_be_bytes());
                    body.extend_from_slice(s);
                }
            }
            prev = body.len() - start;
        }
        let total = HEADER + body.len() + 1;
        let mut zl = Vec::with_capacity(total);
        zl.extend_from_slice(&(total as u32).to_le_bytes());
        zl.extend_from_slice(&(last as u32).to_le_bytes());
        zl.extend_from_slice(&(items.len().min(65535) as u16).to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(END);
        zl
    }

    #[test]
    fn redis_example() {
        // The example in ziplist.c's header comment: "2" and "5".
        let zl = [
            0x0f, 0, 0, 0, 0x0c, 0, 0, 0, 2, 0, 0x00, 0xf3, 0x02, 0xf6, 0xff,
        ];
        let mut got = Vec::new();
        assert_eq!(walk(&zl, |i| Ok(got.push(i))).unwrap(), 2);
        assert_eq!(got, [Item::Int(2), Item::Int(5)]);
        assert_eq!(build(&[b"2", b"5"]), zl);
    }

    #[test]
    fn round_trip_and_corruption() {
        let long = vec![b'q'; 300];
        let huge = vec![b'r'; 20000];
        let items: Vec<&[u8]> = vec![
            b"hello",
            b"0",
            b"12",
            b"13",
            b"-128",
            b"127",
            b"300",
            b"-40000",
            b"8000000",
            b"2000000000",
            b"-9000000000",
            &long,
            b"after-long",
            &huge,
            b"",
        ];
        let zl = build(&items);
        let mut got = Vec::new();
        walk(&zl, |i| {
            got.push(match i {
                Item::Int(v) => v.to_string().into_bytes(),
                Item::Str(s) => s.to_vec(),
            });
            Ok(())
        })
        .unwrap();
        let want: Vec<Vec<u8>> = items.iter().map(|s| s.to_vec()).collect();
        assert_eq!(got, want);
        let small = build(&[b"a", b"bb", b"7"]);
        for cut in 0..small.len() {
            assert!(walk(&small[..cut], |_| Ok(())).is_err());
        }
        for i in 0..small.len() {
            for bit in 0..8 {
                let mut bad = small.clone();
                bad[i] ^= 1 << bit;
                let _ = walk(&bad, |_| Ok(()));
            }
        }
    }
}
