//! LZF, the compression of RDB strings (liblzf's format, as in Redis's
//! `lzf_c.c`/`lzf_d.c`).
//!
//! A stream is a sequence of items, each starting with a control byte `c`:
//! - `c < 32`: a literal run of `c + 1` bytes follows;
//! - otherwise a back reference: length field `L = c >> 5` (7 means "add the
//!   next byte"), offset `((c & 31) << 8 | next byte) + 1` back from the
//!   output position, copying `L + 2` bytes (the source may overlap).
//!
//! Written by hand, about 150 lines: the `lzf` crate is deprecated and its
//! successors are young, and the reader needs what they do not promise —
//! decompression into exactly the length the file declares (already
//! bounded by [`MAX_EXPANSION`] times the compressed size), refusing any
//! malformed stream without a panic (fuzzed through [`crate::fuzzing`]),
//! and a compressor that keeps its hash table between the many small
//! strings of a save and gives up past `max_len` (Redis stores a string
//! compressed only when that saves at least 4 bytes). Any valid LZF stream
//! loads in Redis, so the compressed bytes need not be liblzf's.

/// Longest literal run one control byte can announce.
const MAX_LIT: usize = 32;
/// Farthest a back reference can reach.
const MAX_OFF: usize = 1 << 13;
/// Longest back reference: 7 + 255 + 2 bytes.
const MAX_REF: usize = (1 << 8) + (1 << 3);
/// Upper bound of the output/input ratio of any valid stream: a 3-byte long
/// back reference expands to `MAX_REF` bytes.
pub const MAX_EXPANSION: u64 = (MAX_REF / 3 + 1) as u64;

const NONE: u32 = u32::MAX;

/// A compressor with a reusable hash table of recent 3-byte sequences.
#[derive(Default)]
pub struct Compressor {
    table: Vec<u32>,
}

impl Compressor {
    /// Appends the compressed form of `input` to `out` and returns its
    /// length, or `None` (with `out` restored) when it would exceed `max_len`
    /// bytes.
    pub fn compress(&mut self, input: &[u8], max_len: usize, out: &mut Vec<u8>) -> Option<usize> {
        let start = out.len();
        match self.compress_inner(input, max_len, out) {
            Some(()) if out.len() - start <= max_len => Some(out.len() - start),
            _ => {
                out.truncate(start);
                None
            }
        }
    }

    fn compress_inner(&mut self, input: &[u8], max_len: usize, out: &mut Vec<u8>) -> Option<()> {
        let len = input.len();
        // Size the table to the input (at most 2^16 slots, as Redis's HLOG)
        // so that compressing many small strings stays cheap and the output
        // is a function of the input alone.
        let hlog = (usize::BITS - len.max(256).leading_zeros()).min(16);
        self.table.clear();
        self.table.resize(2 << hlog, NONE);
        let shift = 32 - hlog;
        let limit = out.len() + max_len;
        out.reserve(max_len.min(len + len / 32 + 2));

        let mut lit_pos = out.len();
        out.push(0);
        let mut lit = 0usize;
        let mut ip = 0usize;
        while ip + 2 < len {
            // Two candidates per bucket (the latest two positions with this
            // hash); the longer match wins. This beats liblzf's single slot
            // by a few percent at little cost.
            let h = 2 * hash(&input[ip..ip + 3], shift);
            let candidates = [self.table[h], self.table[h + 1]];
            self.table[h + 1] = self.table[h];
            self.table[h] = ip as u32;
            let max = (len - ip).min(MAX_REF);
            let (mut n, mut r) = (0, 0);
            for c in candidates {
                let c = c as usize;
                if c != NONE as usize && c < ip && ip - c <= MAX_OFF {
                    let m = input[c..c + max]
                        .iter()
                        .zip(&input[ip..ip + max])
                        .take_while(|(a, b)| a == b)
                        .count();
                    if m > n {
                        (n, r) = (m, c);
                    }
                }
            }
            if n >= 3 {
                let off = ip - r - 1;
                // Close the literal run (or drop its unused control byte).
                if lit > 0 {
                    out[lit_pos] = (lit - 1) as u8;
                } else {
                    out.pop();
                }
                let l = n - 2;
                if l < 7 {
                    out.push(((off >> 8) + (l << 5)) as u8);
                } else {
                    out.push(((off >> 8) + (7 << 5)) as u8);
                    out.push((l - 7) as u8);
                }
                out.push(off as u8);
                // Remember the positions inside the match too.
                let end = ip + n;
                for p in ip + 1..end.min(len - 2) {
                    let h = 2 * hash(&input[p..p + 3], shift);
                    self.table[h + 1] = self.table[h];
                    self.table[h] = p as u32;
                }
                ip = end;
                lit_pos = out.len();
                out.push(0);
                lit = 0;
            } else {
                push_literal(out, input[ip], &mut lit, &mut lit_pos);
                ip += 1;
            }
            if out.len() > limit + 1 {
                return None;
            }
        }
        for &byte in &input[ip..] {
            push_literal(out, byte, &mut lit, &mut lit_pos);
        }
        if lit > 0 {
            out[lit_pos] = (lit - 1) as u8;
        } else {
            out.pop();
        }
        Some(())
    }
}

#[inline]
fn hash(b: &[u8], shift: u32) -> usize {
    let v = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
    (v.wrapping_mul(2_654_435_761) >> shift) as usize
}

/// Decompresses `input`, which must expand to exactly `out_len` bytes.
/// `None` for any malformed stream. The caller bounds `out_len` (see
/// [`MAX_EXPANSION`]) before calling, since it is allocated up front.
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < MAX_LIT {
            let n = ctrl + 1;
            let lit = input.get(ip..ip + n)?;
            if out.len() + n > out_len {
                return None;
            }
            out.extend_from_slice(lit);
            ip += n;
        } else {
            let mut n = ctrl >> 5;
            if n == 7 {
                n += *input.get(ip)? as usize;
                ip += 1;
            }
            let back = ((ctrl & 31) << 8 | *input.get(ip)? as usize) + 1;
            ip += 1;
            n += 2;
            if back > out.len() || out.len() + n > out_len {
                return None;
            }
            let from = out.len() - back;
            if back >= n {
                out.extend_from_within(from..from + n);
            } else {
                // Overlapping copy: a run that repeats its own output.
                for i in 0..n {
                    out.push(out[from + i]);
                }
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

/// Appends one literal byte to the run being built, closing the run (its
/// length byte at `lit_pos`) and opening the next when it is full.
fn push_literal(out: &mut Vec<u8>, byte: u8, lit: &mut usize, lit_pos: &mut usize) {
    out.push(byte);
    *lit += 1;
    if *lit == MAX_LIT {
        out[*lit_pos] = (MAX_LIT - 1) as u8;
        *lit_pos = out.len();
        out.push(0);
        *lit = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) -> Option<usize> {
        let mut out = Vec::new();
        let n = Compressor::default().compress(data, data.len() + 64, &mut out)?;
        assert_eq!(n, out.len());
        assert_eq!(decompress(&out, data.len()).as_deref(), Some(data));
        Some(n)
    }

    #[test]
    fn round_trips() {
        round_trip(b"");
        round_trip(b"a");
        round_trip(b"abc");
        round_trip(b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        let n = round_trip(&[b'x'; 100_000]).unwrap();
        assert!(n < 100_000 / 80, "{n}");
        let text: Vec<u8> = (0..20_000)
            .map(|i: u32| format!("key:{i},"))
            .collect::<String>()
            .into_bytes();
        let n = round_trip(&text).unwrap();
        assert!(n < text.len() / 2, "{n} of {}", text.len());
        let mut x = 12345u64;
        let noise: Vec<u8> = (0..5000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        round_trip(&noise);
    }

    #[test]
    fn respects_max_len() {
        let mut out = vec![1, 2, 3];
        let noise: Vec<u8> = (0..=255u8).collect();
        assert_eq!(Compressor::default().compress(&noise, 100, &mut out), None);
        assert_eq!(out, [1, 2, 3]);
    }

    #[test]
    fn overlapping_reference() {
        // Literal "a", then a long reference (7 + 26 + 2 = 35 bytes) one back.
        assert_eq!(
            decompress(&[0x00, b'a', 0xe0, 0x1a, 0x00], 36).unwrap(),
            vec![b'a'; 36]
        );
        assert_eq!(decompress(&[0x00, b'a', 0xe0, 0x1a, 0x00], 50), None);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(decompress(&[5, b'a'], 6), None); // literal past input
        assert_eq!(decompress(&[0x20, 0x00], 3), None); // reference before start
        assert_eq!(decompress(&[0, b'a'], 2), None); // too short
        assert_eq!(decompress(&[1, b'a', b'b'], 1), None); // too long
        assert_eq!(decompress(&[0, b'a', 0xe0], 10), None); // cut reference
    }
}
