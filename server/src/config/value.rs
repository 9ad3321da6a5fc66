//! Typed values of directives: parsing arguments (with Redis's exact error
//! texts and C-library number quirks) and formatting for CONFIG GET.

use std::borrow::Cow;

use super::special;
use super::table::{Directive, EnumItems, Kind, Unit, MULTI_ARG};

/// Output buffer limits of one client class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ObufLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: u64,
}

/// The current value of one directive.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Value {
    Bool(bool),
    /// C `long long`; unsigned directives keep their bit pattern.
    Num(i64),
    Enum(u32),
    Str(Option<String>),
    /// Absolute path of the working directory.
    Dir(String),
    /// (seconds, changes) pairs; `changes` is a C int, like in Redis.
    Save(Vec<(i64, i32)>),
    /// normal, replica, pubsub.
    Obuf([ObufLimit; 3]),
    Oom([i32; 3]),
    Events(u32),
    Bind(Vec<String>),
    ReplicaOf(Option<(String, u16)>),
    Percentiles(Vec<f64>),
}

pub(super) type SetError = Cow<'static, str>;

impl Value {
    pub fn default_for(d: &Directive, default_dir: &str) -> Value {
        match d.kind {
            Kind::Bool { default, .. } => Value::Bool(default),
            Kind::Num { default, .. } => Value::Num(default),
            Kind::Enum { default, .. } => Value::Enum(default),
            Kind::Str { default, .. } => Value::Str(default.map(str::to_owned)),
            Kind::Special(s) => special::default_value(s, default_dir),
        }
    }

    /// The value after setting `args` (already split into arguments).
    /// `save_append` is true for the second and later `save` lines of a
    /// config file, which add to the list instead of replacing it.
    pub fn parse(
        &self,
        d: &Directive,
        args: &[String],
        save_append: bool,
    ) -> Result<Value, SetError> {
        match d.kind {
            Kind::Bool { check, .. } => {
                let b = yes_no(&args[0]).ok_or("argument must be 'yes' or 'no'")?;
                if let Some(check) = check {
                    check(b)?;
                }
                Ok(Value::Bool(b))
            }
            Kind::Num {
                min,
                max,
                unit,
                unsigned,
                ..
            } => {
                let v = parse_num(&args[0], unit)?;
                check_bounds(v, min, max, unit, unsigned)?;
                Ok(Value::Num(v))
            }
            Kind::Enum { items, check, .. } => {
                let v = enum_value(items, args, d.has(MULTI_ARG)).ok_or_else(|| {
                    let names: Vec<&str> = items.iter().map(|(n, _)| *n).collect();
                    format!(
                        "argument(s) must be one of the following: {}",
                        names.join(", ")
                    )
                })?;
                if let Some(check) = check {
                    check(v)?;
                }
                Ok(Value::Enum(v))
            }
            Kind::Str {
                empty_is_null,
                check,
                ..
            } => {
                let s = &args[0];
                if let Some(check) = check {
                    check(s)?;
                }
                Ok(Value::Str(
                    (!(empty_is_null && s.is_empty())).then(|| s.clone()),
                ))
            }
            Kind::Special(s) => special::parse(s, self, args, save_append),
        }
    }

    /// The CONFIG GET text.
    pub fn format(&self, d: &Directive) -> String {
        match (self, d.kind) {
            (Value::Bool(b), _) => yes_no_str(*b).to_owned(),
            (Value::Num(v), Kind::Num { unit, .. }) => match unit {
                Unit::MemoryOrPercent if *v < 0 => format!("{}%", v.unsigned_abs()),
                Unit::Memory | Unit::MemoryOrPercent => (*v as u64).to_string(),
                Unit::Octal => format!("{v:o}"),
                Unit::Integer => v.to_string(),
            },
            (Value::Enum(v), Kind::Enum { items, .. }) => enum_name(items, *v, d.has(MULTI_ARG)),
            (Value::Str(s), _) => s.clone().unwrap_or_default(),
            _ => special::format(self),
        }
    }

    pub fn as_bool(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            other => panic!("not a bool: {other:?}"),
        }
    }

    pub fn as_num(&self) -> i64 {
        match self {
            Value::Num(v) => *v,
            other => panic!("not a number: {other:?}"),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => s.as_deref(),
            other => panic!("not a string: {other:?}"),
        }
    }
}

pub(super) fn yes_no(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("yes") {
        Some(true)
    } else if s.eq_ignore_ascii_case("no") {
        Some(false)
    } else {
        None
    }
}

pub(super) fn yes_no_str(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// Enum names are case-insensitive; bit-flag enums OR several names.
fn enum_value(items: EnumItems, args: &[String], bitflags: bool) -> Option<u32> {
    if args.is_empty() || (!bitflags && args.len() != 1) {
        return None;
    }
    args.iter().try_fold(0, |acc, arg| {
        let hits = items.iter().filter(|(n, _)| n.eq_ignore_ascii_case(arg));
        hits.fold(None, |m: Option<u32>, (_, v)| Some(m.unwrap_or(0) | v))
            .map(|v| acc | v)
    })
}

/// The name of an enum value; for bit flags, the names covering it (first
/// listed wins), or "unknown".
pub(super) fn enum_name(items: EnumItems, value: u32, bitflags: bool) -> String {
    let mut names: Vec<&str> = Vec::new();
    let mut unmatched = value;
    for &(name, v) in items {
        if v == value {
            return name.to_owned();
        }
        if bitflags && v != 0 && v == unmatched & v {
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

fn parse_num(s: &str, unit: Unit) -> Result<i64, SetError> {
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

fn check_bounds(v: i64, min: i64, max: i64, unit: Unit, unsigned: bool) -> Result<(), SetError> {
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
pub(super) fn string2ll(s: &str) -> Option<i64> {
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
pub(super) fn memtoull(s: &str) -> Option<u64> {
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
pub(super) struct CNum {
    /// Saturated on overflow, like the C function.
    pub value: i64,
    /// Nothing followed the number (`*endptr == '\0'`).
    pub complete: bool,
    pub overflow: bool,
}

/// C's `strtoll`: leading blanks, an optional sign, then digits of `radix`.
/// With no digits the end pointer stays at the start, so only "" is complete.
pub(super) fn strtoll(s: &str, radix: u32) -> CNum {
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
    fn enums() {
        let items: EnumItems = &[("default", 0), ("save", 1), ("nosave", 2), ("now", 4)];
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(enum_value(items, &a(&["SAVE", "now"]), true), Some(5));
        assert_eq!(enum_value(items, &a(&["save", "now"]), false), None);
        assert_eq!(enum_value(items, &a(&["bogus"]), true), None);
        assert_eq!(enum_name(items, 5, true), "save now");
        assert_eq!(enum_name(items, 0, true), "default");
        assert_eq!(enum_name(items, 16, true), "unknown");
        let oom: EnumItems = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
        assert_eq!(enum_name(oom, 1, false), "yes");
    }
}
