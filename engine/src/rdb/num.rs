//! Numbers as text, the way Redis converts them when encoding values.

/// Decimal text of `v`.
pub fn int_text(v: i64) -> Vec<u8> {
    itoa::Buffer::new().format(v).as_bytes().to_vec()
}

/// `double2ll`: the score as an integer when that loses nothing (and it is
/// within ±2^62, where Redis trusts the conversion).
pub fn score_as_int(v: f64) -> Option<i64> {
    const LIM: f64 = (i64::MAX / 2) as f64;
    if !(-LIM..=LIM).contains(&v) {
        return None;
    }
    let i = v as i64;
    (i as f64 == v).then_some(i)
}

/// `d2string` for a score that is not an integer: `inf`, `-inf`, or
/// printf's `%.17g`.
pub fn score_text(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v < 0.0 { "-inf" } else { "inf" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.into();
    }
    g17(v)
}

/// printf's `%.17g`: 17 significant digits, fixed notation for decimal
/// exponents in -4..17, trailing zeros dropped. Rust's `{:e}` rounds the
/// exact binary value like glibc, so the digits agree.
fn g17(v: f64) -> String {
    let e = format!("{:.16e}", v.abs());
    let (mant, exp) = e.split_once('e').expect("exponent");
    let exp: i32 = exp.parse().expect("exponent digits");
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let sign = if v < 0.0 { "-" } else { "" };
    if !(-4..17).contains(&exp) {
        let frac = digits[1..].trim_end_matches('0');
        let dot = if frac.is_empty() { "" } else { "." };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{}{dot}{frac}e{esign}{:02}", &digits[..1], exp.abs())
    } else if exp >= 0 {
        let (int, frac) = digits.split_at(exp as usize + 1);
        let frac = frac.trim_end_matches('0');
        let dot = if frac.is_empty() { "" } else { "." };
        format!("{sign}{int}{dot}{frac}")
    } else {
        let zeros = "0".repeat((-exp - 1) as usize);
        format!("{sign}0.{zeros}{}", digits.trim_end_matches('0'))
    }
}

/// Parses a score stored as text with C's `strtod`, as Redis does (and
/// with glibc's exact answer, see [`crate::strtod`]). `None` unless the
/// whole text is a number.
pub fn parse_score(s: &[u8]) -> Option<f64> {
    let p = crate::strtod::strtod(s);
    (p.len > 0 && p.len == s.len()).then_some(p.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printf_g17() {
        for (v, s) in [
            (0.1, "0.10000000000000001"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (1e20, "1e+20"),
            (1.5e-7, "1.4999999999999999e-07"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (123456789.125, "123456789.125"),
            (1e16 + 0.5, "10000000000000000"),
            (3.0e17, "3e+17"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
        ] {
            assert_eq!(score_text(v), s);
        }
        assert_eq!(score_text(f64::INFINITY), "inf");
        assert_eq!(score_text(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn scores_as_ints() {
        assert_eq!(score_as_int(3.0), Some(3));
        assert_eq!(score_as_int(-0.0), Some(0));
        assert_eq!(score_as_int(1.5), None);
        assert_eq!(score_as_int(1e300), None);
        assert_eq!(score_as_int(f64::NAN), None);
    }
}
