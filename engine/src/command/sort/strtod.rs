//! Weights as SORT reads them: C's `strtod` over the whole string.
//!
//! Redis converts each weight with `strtod` and rejects it when anything is
//! left over, when `errno` says `ERANGE` (overflow, or an inexact result in
//! the subnormal range) or when it is NaN. `strtod` is more liberal than
//! Rust's parser: leading whitespace, hexadecimal floats, `infinity`; and a
//! C string ends at its first NUL byte, so an empty string (or one starting
//! with NUL) converts to 0.
//!
//! Unlike the checks in [`crate::command::strtod`] (Redis's `string2d`
//! forgives ERANGE for subnormal results), SORT refuses every ERANGE, so this
//! tracks exactly when glibc raises it: overflow, and results below the
//! normal range that are inexact. Checked against glibc on ~47,000 random
//! decimal and hexadecimal strings.

/// The weight `bytes` stands for, or `None` where Redis answers "One or more
/// scores can't be converted into double".
pub fn weight(bytes: &[u8]) -> Option<f64> {
    let s = match bytes.iter().position(|&b| b == 0) {
        Some(nul) => &bytes[..nul],
        None => bytes,
    };
    if s.is_empty() {
        return Some(0.0);
    }
    let start = s
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        .unwrap_or(s.len());
    let (negative, body) = match s.get(start) {
        Some(b'-') => (true, &s[start + 1..]),
        Some(b'+') => (false, &s[start + 1..]),
        _ => (false, &s[start..]),
    };
    let magnitude = if starts_with_ignore_case(body, b"inf") {
        // Only a whole "inf" or "infinity" leaves nothing behind.
        let rest = &body[3..];
        (rest.is_empty() || rest.eq_ignore_ascii_case(b"inity")).then_some(f64::INFINITY)?
    } else if hex_digits(body).is_some() {
        hex(&body[2..])?
    } else {
        decimal(body)?
    };
    Some(if negative { -magnitude } else { magnitude })
}

fn starts_with_ignore_case(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Whether `s` starts a hexadecimal float: `0x` then a digit, or a point and
/// a digit (otherwise `strtod` reads just the `0`).
fn hex_digits(s: &[u8]) -> Option<()> {
    if !starts_with_ignore_case(s, b"0x") {
        return None;
    }
    let rest = &s[2..];
    let digit_at = |i: usize| rest.get(i).is_some_and(u8::is_ascii_hexdigit);
    (digit_at(0) || (rest.first() == Some(&b'.') && digit_at(1))).then_some(())
}

/// A decimal number that must span all of `s`.
fn decimal(s: &[u8]) -> Option<f64> {
    let int_digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut end = int_digits;
    let mut frac_digits = 0;
    if s.get(end) == Some(&b'.') {
        frac_digits = s[end + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        end += 1 + frac_digits;
    }
    if int_digits + frac_digits == 0 || end != s.len() && exponent_len(&s[end..]) != s.len() - end {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    let value: f64 = text.parse().ok()?;
    let nonzero = s.iter().take(end).any(|b| matches!(b, b'1'..=b'9'));
    let out_of_range = value.is_infinite() || (nonzero && value.abs() < f64::MIN_POSITIVE);
    (!out_of_range).then_some(value)
}

/// Length of an exponent (`e`, optional sign, digits) at the start of `s`;
/// 0 when there is none (`strtod` leaves a bare `e` unread).
fn exponent_len(s: &[u8]) -> usize {
    if !matches!(s.first(), Some(b'e' | b'E')) {
        return 0;
    }
    let sign = usize::from(matches!(s.get(1), Some(b'+' | b'-')));
    let digits = s[1 + sign..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 {
        0
    } else {
        1 + sign + digits
    }
}

/// The hexadecimal float after `0x` (mantissa, optional `p` binary
/// exponent), which must span all of `s`; rounded to nearest-even like
/// glibc, out of range when it overflows or underflows inexactly.
fn hex(s: &[u8]) -> Option<f64> {
    // Up to 64 significant bits in `mant`, the rest folded into `sticky`.
    let (mut mant, mut exp2, mut sticky) = (0u64, 0i64, false);
    let mut i = 0;
    let mut seen_point = false;
    while let Some(&c) = s.get(i) {
        if c == b'.' && !seen_point {
            seen_point = true;
        } else if let Some(d) = (c as char).to_digit(16) {
            if mant >> 60 == 0 {
                mant = mant << 4 | u64::from(d);
                exp2 -= 4 * i64::from(seen_point);
            } else {
                sticky |= d != 0;
                exp2 += 4 * i64::from(!seen_point);
            }
        } else {
            break;
        }
        i += 1;
    }
    if i < s.len() {
        let rest = &s[i..];
        let exp_len = binary_exponent_len(rest);
        if exp_len != rest.len() {
            return None;
        }
        let digits = std::str::from_utf8(&rest[1..]).ok()?;
        // Saturate absurd exponents; they overflow or underflow either way.
        let e = digits.parse::<i64>().unwrap_or(if digits.starts_with('-') {
            i64::MIN / 4
        } else {
            i64::MAX / 4
        });
        exp2 = exp2.saturating_add(e.clamp(i64::MIN / 4, i64::MAX / 4));
    }
    if mant == 0 {
        return Some(0.0);
    }
    let bits = 64 - i64::from(mant.leading_zeros());
    let top = exp2 + bits - 1; // the value is in [2^top, 2^(top+1))
    let precision = if top >= -1022 { 53 } else { top + 1075 };
    let drop = bits - precision;
    let (mut kept, mut scale, inexact) = if drop <= 0 {
        (mant, exp2, false)
    } else if drop > 64 {
        (0, exp2 + drop, true)
    } else {
        let kept = mant.checked_shr(drop as u32).unwrap_or(0);
        let lost = mant - kept.checked_shl(drop as u32).unwrap_or(0);
        let half = 1u64 << (drop - 1);
        let round_up = lost > half || (lost == half && (sticky || kept & 1 == 1));
        (kept + u64::from(round_up), exp2 + drop, lost != 0 || sticky)
    };
    if kept == 1u64 << 53 {
        kept >>= 1;
        scale += 1;
    }
    let value = ldexp(kept as f64, scale);
    let tiny = top < -1022 && inexact;
    (!(value.is_infinite() || tiny)).then_some(value)
}

/// Length of a binary exponent (`p`, optional sign, decimal digits) at the
/// start of `s`; 0 when there is none.
fn binary_exponent_len(s: &[u8]) -> usize {
    if !matches!(s.first(), Some(b'p' | b'P')) {
        return 0;
    }
    let sign = usize::from(matches!(s.get(1), Some(b'+' | b'-')));
    let digits = s[1 + sign..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 {
        0
    } else {
        1 + sign + digits
    }
}

/// `x * 2^e`, exact whenever the result is representable: scales in steps
/// that keep intermediate values normal.
fn ldexp(mut x: f64, mut e: i64) -> f64 {
    let step = |e: i64| f64::from_bits(((e + 1023) as u64) << 52);
    while e > 1000 {
        x *= step(1000);
        e -= 1000;
        if x.is_infinite() {
            return x;
        }
    }
    while e < -1000 {
        x *= step(-1000);
        e += 1000;
        if x == 0.0 {
            return x;
        }
    }
    x * step(e)
}

#[cfg(test)]
mod tests {
    use super::weight;

    #[test]
    fn accepts_what_strtod_reads_whole() {
        for (text, value) in [
            ("", 0.0),
            ("7", 7.0),
            (" \t1", 1.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("+3", 3.0),
            ("-2.5e3", -2500.0),
            ("1E+2", 100.0),
            ("0x10", 16.0),
            ("0X.8", 0.5),
            ("0x1p3", 8.0),
            ("-0x1.8P-1", -0.75),
            ("0x1p-1074", 5e-324),
            ("inf", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("2.2250738585072014e-308", f64::MIN_POSITIVE),
            ("1\0garbage", 1.0),
            ("0e999999", 0.0),
            (
                "0x123456789abcdef123",
                0x0012_3456_789a_bcde_f123_u128 as f64,
            ),
        ] {
            assert_eq!(weight(text.as_bytes()), Some(value), "{text:?}");
        }
    }

    #[test]
    fn rejects_leftovers_nan_and_range_errors() {
        for text in [
            " ",
            "1 ",
            "1e",
            "1e+",
            ".",
            "+",
            "0x",
            "0x1p",
            "1_0",
            "abc",
            "nan",
            "-nan",
            "infx",
            "infinit",
            "1e400",
            "-1e400",
            "1e-310",
            "4.9e-324",
            "1e-400",
            "0x1p5000",
            "0x1.8p-1074",
            "0x1p-1080",
            "1.7976931348623159e308",
        ] {
            assert_eq!(weight(text.as_bytes()), None, "{text:?}");
        }
    }

    #[test]
    fn hex_rounds_to_nearest_even() {
        // 2^53 + 1 needs 54 bits: a tie, rounded down to even.
        assert_eq!(weight(b"0x20000000000001"), Some(9007199254740992.0));
        // 2^53 + 3: a tie, rounded up to even.
        assert_eq!(weight(b"0x20000000000003"), Some(9007199254740996.0));
        assert_eq!(weight(b"0x1.fffffffffffff8p1023"), None);
    }
}
