//! Parsing command arguments with Redis's rules and error texts.

use resp::parse_i64;

use crate::{Error, Result};

/// An integer argument (`ERR value is not an integer or out of range`).
pub fn int(arg: &[u8]) -> Result<i64> {
    parse_i64(arg).ok_or(Error::NotInteger)
}

/// A non-negative integer argument that must fit `usize`; `err` is returned
/// for negative values.
pub fn uint(arg: &[u8], err: Error) -> Result<usize> {
    let n = int(arg)?;
    usize::try_from(n).map_err(|_| err)
}

/// An integer in `min..=max` like Redis's `getRangeLongFromObjectOrReply`
/// with a message: `msg` (an `ERR` text) answers both a non-integer and an
/// out-of-range argument.
pub fn int_in(arg: &[u8], min: i64, max: i64, msg: &str) -> Result<i64> {
    int(arg)
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| Error::err(msg))
}

/// Redis's index range rule (LRANGE, ZRANGE, LTRIM...): negative indexes
/// count from the end, the start is clamped to 0 and the end to the last
/// element; `None` when the range is empty.
pub fn index_range(start: i64, end: i64, len: usize) -> Option<std::ops::Range<usize>> {
    let len = len as i64;
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some(start as usize..end.min(len - 1) as usize + 1)
}

/// A floating point argument like `strtold` accepts it, without NaN
/// (`ERR value is not a valid float`).
pub fn float(arg: &[u8]) -> Result<f64> {
    parse_float(arg).ok_or(Error::NotFloat)
}

/// Parses a double as Redis's `string2ld`/`string2d`: no surrounding spaces,
/// no NaN; `inf`, `-inf` and exponents accepted.
pub fn parse_float(arg: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(arg).ok()?;
    if text.is_empty()
        || text.starts_with(char::is_whitespace)
        || text.ends_with(char::is_whitespace)
    {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let value = match lower.trim_start_matches(['+', '-']) {
        "inf" | "infinity" => {
            if lower.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }
        }
        _ => text.parse::<f64>().ok()?,
    };
    (!value.is_nan()).then_some(value)
}

/// Case-insensitive comparison of an argument with an option name.
pub fn is(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

/// Whether `rest`, the arguments after a FLUSH command's name (FLUSHALL,
/// FLUSHDB, SCRIPT FLUSH, FUNCTION FLUSH), is none or one `ASYNC` / `SYNC`.
pub fn flush_mode_ok(rest: &[bytes::Bytes]) -> bool {
    match rest {
        [] => true,
        [mode] => is(mode, "async") || is(mode, "sync"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats() {
        assert_eq!(parse_float(b"1.5"), Some(1.5));
        assert_eq!(parse_float(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_float(b"3e2"), Some(300.0));
        assert_eq!(parse_float(b" 1"), None);
        assert_eq!(parse_float(b"nan"), None);
        assert_eq!(parse_float(b"1x"), None);
        assert_eq!(parse_float(b""), None);
    }
}
