//! Scalar values of directives: parsing arguments with Redis's exact error
//! texts and C-library number quirks (`string2ll`, `memtoull`, `strtoll`),
//! and the names of bit-flag values.

use crate::directive::Reason;

/// How a numeric directive's text is read and printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    Integer,
    /// `1k`=1000, `1kb`=1024, `m`, `mb`, `g`, `gb`.
    Memory,
    /// A memory value or `N%` (stored as `-N`).
    MemoryOrPercent,
    /// Read and printed in base 8.
    Octal,
}

/// The names of a bit-flag directive and the bits each stands for.
pub(crate) type FlagItems = &'static [(&'static str, u32)];

pub(crate) fn yes_no(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("yes") {
        Some(true)
    } else if s.eq_ignore_ascii_case("no") {
        Some(false)
    } else {
        None
    }
}

pub(crate) fn yes_no_str(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// Flag names are case-insensitive; several names OR their bits.
pub(crate) fn enum_value(items: FlagItems, args: &[String]) -> Option<u32> {
    if args.is_empty() {
        return None;
    }
    args.iter().try_fold(0, |acc, arg| {
        let hits = items.iter().filter(|(n, _)| n.eq_ignore_ascii_case(arg));
        hits.fold(None, |m: Option<u32>, (_, v)| Some(m.unwrap_or(0) | v))
            .map(|v| acc | v)
    })
}

/// The name of a bit-flag value: the name of exactly that value, else the
/// names covering it (first listed wins), or "unknown".
pub(crate) fn enum_name(items: FlagItems, value: u32) -> String {
    let mut names: Vec<&str> = Vec::new();
    let mut unmatched = value;
    for &(name, v) in items {
        if v == value {
            return name.to_owned();
        }
        if v != 0 && v == unmatched & v {
            names.push(name);
            unmatched &= !v;
        }
    }
    if names.is_empty() || unmatched != 0 {
        "unknown".to_owned()
    } else {
        names.join(" ")
    }
}

pub(crate) fn parse_num(s: &str, unit: Unit) -> Result<i64, Reason> {
    let memory = matches!(unit, Unit::Memory | Unit::MemoryOrPercent);
    if memory {
        if let Some(v) = memtoull(s) {
            return Ok(v as i64);
        }
    }
    if unit == Unit::MemoryOrPercent {
        if let Some(p) = s.strip_suffix('%').filter(|p| !p.is_empty()) {
            if let Some(v) = string2ll(p).filter(|v| *v >= 0) {
                // Percentages are stored negated.
                return Ok(-v);
            }
        }
    }
    if unit == Unit::Octal {
        let n = strtoll(s, 8);
        if n.complete && !n.overflow {
            return Ok(n.value);
        }
    }
    if unit == Unit::Integer {
        if let Some(v) = string2ll(s) {
            return Ok(v);
        }
    }
    Err(match unit {
        Unit::MemoryOrPercent => "argument must be a memory or percent value",
        Unit::Memory => "argument must be a memory value",
        Unit::Octal => "argument couldn't be parsed as an octal number",
        Unit::Integer => "argument couldn't be parsed into an integer",
    }
    .into())
}

pub(crate) fn check_bounds(
    v: i64,
    min: i64,
    max: i64,
    unit: Unit,
    unsigned: bool,
) -> Result<(), Reason> {
    if unsigned {
        let (v, min, max) = (v as u64, min as u64, max as u64);
        if v < min || v > max {
            return Err(if unit == Unit::Octal {
                format!("argument must be between {min:o} and {max:o} inclusive")
            } else {
                format!("argument must be between {min} and {max} inclusive")
            }
            .into());
        }
    } else if unit == Unit::MemoryOrPercent && v < 0 {
        if v < min {
            return Err(format!("percentage argument must be less or equal to {}", -min).into());
        }
    } else if v < min || v > max {
        return Err(format!("argument must be between {min} and {max} inclusive").into());
    }
    Ok(())
}

/// Redis's `string2ll`: strict decimal, no blanks, no `+`, no leading zeros.
pub(crate) fn string2ll(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    // LONG_STR_SIZE is 21.
    if b.is_empty() || b.len() >= 21 {
        return None;
    }
    if b == b"0" {
        return Some(0);
    }
    let (negative, digits) = match b.strip_prefix(b"-") {
        Some(d) => (true, d),
        None => (false, b),
    };
    if !matches!(digits.first(), Some(b'1'..=b'9')) {
        return None;
    }
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    if negative {
        0i64.checked_sub_unsigned(v)
    } else {
        i64::try_from(v).ok()
    }
}

/// Redis's `memtoull`: digits then an optional unit (b, k, kb, m, mb, g,
/// gb, any case). Like the C code, an empty number is 0 and an overflow
/// saturates then wraps when multiplied.
pub fn memtoull(s: &str) -> Option<u64> {
    if s.starts_with('-') {
        return None;
    }
    let split = s
        .bytes()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.len() >= 128 {
        return None;
    }
    let n = if digits.is_empty() {
        0
    } else {
        digits.parse::<u64>().unwrap_or(u64::MAX)
    };
    Some(n.wrapping_mul(mul))
}

/// The outcome of C's `strtoll`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CNum {
    /// Saturated on overflow, like the C function.
    pub value: i64,
    /// Nothing followed the number (`*endptr == '\0'`).
    pub complete: bool,
    pub overflow: bool,
}

/// C's `strtoll`: leading blanks, an optional sign, then digits of `radix`.
/// With no digits the end pointer stays at the start, so only "" is complete.
pub(crate) fn strtoll(s: &str, radix: u32) -> CNum {
    let b = s.as_bytes();
    let mut i = b
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        .count();
    let negative = match b.get(i) {
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
    let digits = b[i..]
        .iter()
        .take_while(|c| (**c as char).is_digit(radix))
        .count();
    if digits == 0 {
        return CNum {
            value: 0,
            complete: s.is_empty(),
            overflow: false,
        };
    }
    let mut acc: i128 = 0;
    let mut overflow = false;
    for &c in &b[i..i + digits] {
        acc = acc * radix as i128 + (c as char).to_digit(radix).unwrap_or(0) as i128;
        if acc > i64::MAX as i128 + 1 {
            overflow = true;
            acc = i64::MAX as i128 + 1;
        }
    }
    let signed = if negative { -acc } else { acc };
    let value = signed.clamp(i64::MIN as i128, i64::MAX as i128);
    CNum {
        value: value as i64,
        complete: i + digits == b.len(),
        overflow: overflow || value != signed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_units() {
        assert_eq!(memtoull("1k"), Some(1000));
        assert_eq!(memtoull("1kb"), Some(1024));
        assert_eq!(memtoull("2M"), Some(2_000_000));
        assert_eq!(memtoull("2mB"), Some(2 * 1024 * 1024));
        assert_eq!(memtoull("1g"), Some(1_000_000_000));
        assert_eq!(memtoull("1gb"), Some(1 << 30));
        assert_eq!(memtoull("10b"), Some(10));
        assert_eq!(memtoull(""), Some(0));
        assert_eq!(memtoull("kb"), Some(0));
        assert_eq!(memtoull("-1"), None);
        assert_eq!(memtoull("1x"), None);
        assert_eq!(memtoull("1 kb"), None);
        assert_eq!(memtoull("+1"), None);
    }

    #[test]
    fn strict_integers() {
        assert_eq!(string2ll("0"), Some(0));
        assert_eq!(string2ll("-5"), Some(-5));
        assert_eq!(string2ll("9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(string2ll("9223372036854775808"), None);
        assert_eq!(string2ll("01"), None);
        assert_eq!(string2ll(" 1"), None);
        assert_eq!(string2ll("+1"), None);
        assert_eq!(string2ll("-"), None);
        assert_eq!(string2ll(""), None);
    }

    #[test]
    fn c_strtoll() {
        assert_eq!(
            strtoll(" -12", 10),
            CNum {
                value: -12,
                complete: true,
                overflow: false
            }
        );
        assert_eq!(
            strtoll("0777", 8),
            CNum {
                value: 0o777,
                complete: true,
                overflow: false
            }
        );
        assert_eq!(
            strtoll("8", 8),
            CNum {
                value: 0,
                complete: false,
                overflow: false
            }
        );
        assert_eq!(
            strtoll("", 10),
            CNum {
                value: 0,
                complete: true,
                overflow: false
            }
        );
        assert!(!strtoll("12x", 10).complete);
        let big = strtoll("99999999999999999999", 10);
        assert_eq!((big.value, big.overflow), (i64::MAX, true));
        assert!(!strtoll("-9223372036854775808", 10).overflow);
    }

    #[test]
    fn flags() {
        let items: FlagItems = &[("default", 0), ("save", 1), ("nosave", 2), ("now", 4)];
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(enum_value(items, &a(&["SAVE", "now"])), Some(5));
        assert_eq!(enum_value(items, &a(&[])), None);
        assert_eq!(enum_value(items, &a(&["bogus"])), None);
        assert_eq!(enum_name(items, 5), "save now");
        assert_eq!(enum_name(items, 0), "default");
        assert_eq!(enum_name(items, 16), "unknown");
    }
}
