//! C's `strtod` and the ways Redis 7.0 checks its result.
//!
//! Redis parses scores, score ranges and timeouts with `strtod` (or
//! `strtold`), so the accepted syntax is C's: leading white space, hex
//! floats, `inf`/`infinity`, and a prefix parse whose leftover decides
//! validity. Each caller checks the result differently; the helpers here
//! name those checks.

/// What `strtod` made of the start of a string.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Parsed {
    pub value: f64,
    /// Bytes consumed; 0 when no conversion was possible.
    pub len: usize,
    /// `errno == ERANGE`: the value overflowed to infinity or underflowed
    /// to zero.
    pub out_of_range: bool,
}

/// Parses the longest prefix of `s` that C's `strtod` accepts.
pub fn strtod(s: &[u8]) -> Parsed {
    let none = Parsed {
        value: 0.0,
        len: 0,
        out_of_range: false,
    };
    let mut i = s.iter().take_while(|&&b| is_c_space(b)).count();
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let sign = |v: f64| if neg { -v } else { v };
    let rest = &s[i..];
    if starts_with_nocase(rest, b"inf") {
        let len = if starts_with_nocase(rest, b"infinity") {
            8
        } else {
            3
        };
        return Parsed {
            value: sign(f64::INFINITY),
            len: i + len,
            out_of_range: false,
        };
    }
    if starts_with_nocase(rest, b"nan") {
        let mut len = 3;
        if rest.get(3) == Some(&b'(') {
            let inner = rest[4..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            if rest.get(4 + inner) == Some(&b')') {
                len += inner + 2;
            }
        }
        return Parsed {
            value: f64::NAN,
            len: i + len,
            out_of_range: false,
        };
    }
    let parsed = if rest.len() > 2
        && rest[0] == b'0'
        && (rest[1] | 0x20) == b'x'
        && (rest[2].is_ascii_hexdigit()
            || (rest[2] == b'.' && rest.get(3).is_some_and(u8::is_ascii_hexdigit)))
    {
        hex(&rest[2..]).map(|(v, len, range)| (v, len + 2, range))
    } else {
        decimal(rest)
    };
    match parsed {
        Some((value, len, out_of_range)) => Parsed {
            value: sign(value),
            len: i + len,
            out_of_range,
        },
        None => none,
    }
}

/// Redis's `string2d` (scores, weights): the whole argument is a number,
/// no leading space, not NaN, no overflow or underflow to zero.
pub fn string2d(s: &[u8]) -> Option<f64> {
    if s.is_empty() || is_c_space(s[0]) {
        return None;
    }
    let p = strtod(s);
    (p.len == s.len() && !p.out_of_range && !p.value.is_nan()).then_some(p.value)
}

/// How `zslParseRange` reads one bound: `strtod` must stop at the end of
/// the C string (the end, or a NUL byte), and NaN is refused. Leading space,
/// an empty string (0) and out-of-range values are accepted.
pub fn c_string_double(s: &[u8]) -> Option<f64> {
    let p = strtod(s);
    // With no conversion `strtod` stops at the very start.
    let rest_ok = match s.get(p.len) {
        None | Some(0) => true,
        Some(_) => false,
    };
    (rest_ok && !p.value.is_nan()).then_some(p.value)
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn starts_with_nocase(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// A decimal number: digits, optional fraction, optional exponent (taken
/// only when digits follow). Returns value, length and the range flag.
fn decimal(s: &[u8]) -> Option<(f64, usize, bool)> {
    let digits = |from: usize| s[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let int = digits(0);
    let mut len = int;
    let mut frac = 0;
    if s.get(len) == Some(&b'.') {
        frac = digits(len + 1);
        if int + frac > 0 {
            len += 1 + frac;
        }
    }
    if int + frac == 0 {
        return None;
    }
    if matches!(s.get(len), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(s.get(len + 1), Some(b'+' | b'-')));
        let exp = digits(len + 1 + sign);
        if exp > 0 {
            len += 1 + sign + exp;
        }
    }
    let text = std::str::from_utf8(&s[..len]).expect("ascii");
    let value: f64 = text.parse().ok()?;
    let nonzero = s[..len]
        .iter()
        .take_while(|b| !matches!(b, b'e' | b'E'))
        .any(|b| (b'1'..=b'9').contains(b));
    let out_of_range = value.is_infinite() || (value == 0.0 && nonzero);
    Some((value, len, out_of_range))
}

/// A hex float after its `0x`: hex digits, optional fraction, optional
/// binary exponent `p[+-]digits`.
fn hex(s: &[u8]) -> Option<(f64, usize, bool)> {
    let mut mant: u64 = 0;
    let mut exp: i64 = 0;
    let mut sticky = false;
    let mut len = 0;
    let mut seen_dot = false;
    let mut any = false;
    while let Some(&b) = s.get(len) {
        if b == b'.' && !seen_dot {
            seen_dot = true;
        } else if let Some(d) = (b as char).to_digit(16) {
            any = true;
            if mant >> 60 == 0 {
                mant = mant << 4 | u64::from(d);
                if seen_dot {
                    exp -= 4;
                }
            } else {
                sticky |= d != 0;
                if !seen_dot {
                    exp += 4;
                }
            }
        } else {
            break;
        }
        len += 1;
    }
    if !any {
        return None;
    }
    if matches!(s.get(len), Some(b'p' | b'P')) {
        let sign = usize::from(matches!(s.get(len + 1), Some(b'+' | b'-')));
        let start = len + 1 + sign;
        let n = s[start..].iter().take_while(|b| b.is_ascii_digit()).count();
        if n > 0 {
            let e = s[start..start + n]
                .iter()
                .fold(0i64, |e, d| (e * 10 + i64::from(d - b'0')).min(1 << 20));
            exp += if s[len + 1] == b'-' { -e } else { e };
            len = start + n;
        }
    }
    // Fold the lost low digits into the last bit so rounding stays right.
    let mant = mant | u64::from(sticky);
    let value = mant as f64 * 2f64.powi(exp.clamp(-2000, 2000) as i32);
    let value = if value == 0.0 && mant != 0 && exp < -1074 {
        // powi underflows in steps; scale in two halves to keep subnormals.
        mant as f64 * 2f64.powi((exp / 2) as i32) * 2f64.powi((exp - exp / 2) as i32)
    } else {
        value
    };
    let out_of_range = value.is_infinite() || (value == 0.0 && mant != 0);
    Some((value, len, out_of_range))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let p = |s: &str| {
            let r = strtod(s.as_bytes());
            (r.value, r.len)
        };
        assert_eq!(p("1.5"), (1.5, 3));
        assert_eq!(p("  -2e3x"), (-2000.0, 6));
        assert_eq!(p("1e"), (1.0, 1));
        assert_eq!(p("1e+"), (1.0, 1));
        assert_eq!(p(".5"), (0.5, 2));
        assert_eq!(p("5."), (5.0, 2));
        assert_eq!(p("."), (0.0, 0));
        assert_eq!(p("0x10"), (16.0, 4));
        assert_eq!(p("0x1p3"), (8.0, 5));
        assert_eq!(p("0x.8"), (0.5, 4));
        assert_eq!(p("0x"), (0.0, 1));
        assert_eq!(p("0xg"), (0.0, 1));
        assert_eq!(p("-Infinity"), (f64::NEG_INFINITY, 9));
        assert_eq!(p("infx"), (f64::INFINITY, 3));
        assert_eq!(p(""), (0.0, 0));
        assert!(strtod(b"nan(abc)").value.is_nan());
        assert_eq!(strtod(b"nan(abc)").len, 8);
    }

    #[test]
    fn redis_checks() {
        assert_eq!(string2d(b"1e5"), Some(1e5));
        assert_eq!(string2d(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(string2d(b"0x10"), Some(16.0));
        for bad in ["", " 1", "1 ", "1e400", "1e-400", "nan", "1x"] {
            assert_eq!(string2d(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(c_string_double(b""), Some(0.0));
        assert_eq!(c_string_double(b" 1"), Some(1.0));
        assert_eq!(c_string_double(b"1e400"), Some(f64::INFINITY));
        assert_eq!(c_string_double(b"1\0junk"), Some(1.0));
        assert_eq!(c_string_double(b" "), None);
        assert_eq!(c_string_double(b"1 "), None);
        assert_eq!(c_string_double(b"nan"), None);
    }
}
