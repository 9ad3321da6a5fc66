//! Zipmap blobs (Redis 2.4's small hashes), read only.
//!
//! Layout: count (1 byte, 254 = "count them"), then per pair: field length,
//! field, value length, a "free" byte, value, that many unused bytes; then
//! 0xFF. A length is one byte below 254, else 254 (or 255) and a u32 LE.
//!
//! Written by hand: it is Redis's own format, met only in old files, and
//! every byte of it is untrusted input (fuzzed through [`crate::fuzzing`]).

const BIGLEN: u8 = 254;
const END: u8 = 0xff;

/// Validates a zipmap as Redis does on load and calls `f` with each pair.
pub fn walk<'a>(
    zm: &'a [u8],
    mut f: impl FnMut(&'a [u8], &'a [u8]) -> Result<(), &'static str>,
) -> Result<usize, &'static str> {
    const BAD: &str = "zipmap integrity check failed";
    if zm.len() < 2 || zm[zm.len() - 1] != END {
        return Err(BAD);
    }
    let end = zm.len() - 1;
    let len_at = |p: usize| -> Option<(usize, usize)> {
        match *zm.get(p)? {
            b if b < BIGLEN => Some((b as usize, 1)),
            _ => Some((
                u32::from_le_bytes(zm.get(p + 1..p + 5)?.try_into().ok()?) as usize,
                5,
            )),
        }
    };
    let mut p = 1;
    let mut count = 0usize;
    while zm[p] != END {
        let (flen, n) = len_at(p).ok_or(BAD)?;
        let field = zm
            .get(p + n..(p + n).checked_add(flen).ok_or(BAD)?)
            .ok_or(BAD)?;
        p += n + flen;
        if p >= end {
            return Err(BAD);
        }
        let (vlen, n) = len_at(p).ok_or(BAD)?;
        let free = *zm.get(p + n).ok_or(BAD)? as usize;
        let vstart = p + n + 1;
        let value = zm
            .get(vstart..vstart.checked_add(vlen).ok_or(BAD)?)
            .ok_or(BAD)?;
        p = vstart + vlen + free;
        if p > end {
            return Err(BAD);
        }
        f(field, value)?;
        count += 1;
    }
    if count == 0 || (zm[0] != BIGLEN && zm[0] as usize != count) {
        return Err(BAD);
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corruption() {
        let big = vec![b'v'; 300];
        let pairs: Vec<(&[u8], &[u8])> = vec![(b"foo", b"bar"), (b"hello", &big), (b"", b"")];
        // Lengths, a free byte after each value (as zipmaps left by updates).
        let mut zm = vec![3, 3];
        zm.extend_from_slice(b"foo\x03\x01bar\x00\x05hello\xfe");
        zm.extend_from_slice(&300u32.to_le_bytes());
        zm.push(0);
        zm.extend_from_slice(&big);
        zm.extend_from_slice(&[0, 0, 0, 0xff]);
        let mut got = Vec::new();
        assert_eq!(
            walk(&zm, |k, v| {
                got.push((k, v));
                Ok(())
            })
            .unwrap(),
            3
        );
        assert_eq!(got, pairs);
        for cut in 0..zm.len() {
            assert!(walk(&zm[..cut], |_, _| Ok(())).is_err());
        }
        for i in 0..zm.len() {
            let mut bad = zm.clone();
            bad[i] ^= 0x55;
            let _ = walk(&bad, |_, _| Ok(()));
        }
    }
}
