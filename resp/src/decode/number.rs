//! Integers as Redis reads them (`string2ll` in `util.c`).

/// Longest text `parse_i64` accepts; Redis rejects 21 bytes and more.
pub(super) const MAX_INT_LEN: usize = 20;

/// Parses a decimal `i64` as strictly as Redis's `string2ll`: an optional
/// `-`, no `+`, no spaces, no leading zeros (`0` itself is fine, `-0` is
/// not), no overflow, at most 20 bytes. The one canonical-integer parser
/// of the workspace: RESP headers, and in the engine integer arguments,
/// `INCR`'s operand and the "is this string an integer" test behind the
/// `int` encoding, intsets and listpack integer entries.
///
/// C's `strtoll`-like readers with other rules stay apart: SCAN's cursor
/// (`strtoull`: `+` and a wrapping `-`) and the CLI's `atoi`.
#[inline]
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    // The common case: a short non-negative length or count.
    if let [d @ b'1'..=b'9'] = s {
        return Some(i64::from(d - b'0'));
    }
    if s.len() > MAX_INT_LEN {
        return None;
    }
    let (negative, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    match digits {
        [b'0'] if !negative => return Some(0),
        [b'1'..=b'9', ..] => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        // -2^63 is representable although 2^63 is not.
        (v <= i64::MIN.unsigned_abs()).then(|| 0i64.wrapping_sub_unsigned(v))
    } else {
        i64::try_from(v).ok()
    }
}

/// Whether `s`, a header line without its line end yet, could still become
/// a valid integer when more bytes arrive. Lets a decoder reject garbage
/// before its line end shows up instead of buffering it.
pub(super) fn could_become_int(s: &[u8]) -> bool {
    let digits = s.strip_prefix(b"-").unwrap_or(s);
    s.len() <= MAX_INT_LEN && digits.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_like_string2ll() {
        let ok: &[(&[u8], i64)] = &[
            (b"0", 0),
            (b"7", 7),
            (b"-1", -1),
            (b"1234567890", 1234567890),
            (b"9223372036854775807", i64::MAX),
            (b"-9223372036854775808", i64::MIN),
        ];
        for &(s, n) in ok {
            assert_eq!(parse_i64(s), Some(n), "{}", s.escape_ascii());
        }
        let bad: &[&[u8]] = &[
            b"",
            b"-",
            b"+1",
            b"01",
            b"-0",
            b"00",
            b" 1",
            b"1 ",
            b"1x",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"99999999999999999999",
            b"000000000000000000001",
        ];
        for &s in bad {
            assert_eq!(parse_i64(s), None, "{}", s.escape_ascii());
        }
    }

    #[test]
    fn prefixes() {
        assert!(could_become_int(b""));
        assert!(could_become_int(b"-"));
        assert!(could_become_int(b"12"));
        assert!(!could_become_int(b"1x"));
        assert!(!could_become_int(b"123456789012345678901"));
    }
}
