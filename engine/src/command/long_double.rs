//! Redis's `long double` arithmetic, emulated exactly.
//!
//! INCRBYFLOAT (and HINCRBYFLOAT) parse with `strtold`, add in `long
//! double` and print with `%.17Lf`. On x86-64 that is the x87 80-bit format
//! with a 64-bit significand, so Redis answers `0.3` to 0.2 + 0.1 where f64
//! arithmetic gives `0.30000000000000004`. This module reproduces that
//! format bit for bit: correctly rounded parsing (decimal and hex), correctly
//! rounded addition and exact `%.17Lf` output, using a small big integer.
//!
//! Written by hand because Rust has no `long double` and no crate gives
//! x87 extended precision with glibc's `strtold`/`printf` rounding; the
//! C library cannot be called for it portably either (`long double` is
//! IEEE quad on aarch64 Linux and plain `double` on macOS arm64 and
//! Windows), while Redis's replies are those of x86-64 glibc.

use std::cmp::Ordering;

/// Exponent of the smallest subnormal (2^-16445), for a significand integer.
const MIN_EXP: i32 = -16445;
/// Exponent of the largest finite value, (2^64 - 1) * 2^16320.
const MAX_EXP: i32 = 16320;
/// Redis's `string2ld` rejects inputs this long (MAX_LONG_DOUBLE_CHARS).
const MAX_CHARS: usize = 5 * 1024;
/// A literal `0.ddd * 10^m` with `m` outside this range overflows or
/// underflows to zero whatever its digits (the largest value is about
/// 1.19e4932, the smallest 3.6e-4951).
const MAGNITUDES: std::ops::RangeInclusive<i64> = -4952..=4933;

/// An x87 extended-precision value: `(-1)^neg * mant * 2^exp`. Finite values
/// are normalized (top bit of `mant` set) except zero and subnormals, which
/// have `exp == MIN_EXP`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LongDouble {
    Finite { neg: bool, mant: u64, exp: i32 },
    Inf { neg: bool },
    Nan,
}

impl LongDouble {
    pub const ZERO: LongDouble = LongDouble::Finite {
        neg: false,
        mant: 0,
        exp: 0,
    };

    fn zero(neg: bool) -> LongDouble {
        LongDouble::Finite {
            neg,
            mant: 0,
            exp: 0,
        }
    }

    pub fn is_finite(self) -> bool {
        matches!(self, LongDouble::Finite { .. })
    }

    /// Parses `text` as Redis's `string2ld` does: the whole input must be a
    /// number `strtold` accepts (decimal, hex, `inf`), without leading
    /// space, not NaN, and not overflowing or underflowing to zero.
    pub fn parse(text: &[u8]) -> Option<LongDouble> {
        if text.is_empty() || text.len() >= MAX_CHARS || is_c_space(text[0]) {
            return None;
        }
        let (neg, body) = match text[0] {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(LongDouble::Inf { neg });
        }
        match body {
            [b'0', x, hex @ ..] if x.eq_ignore_ascii_case(&b'x') => parse_hex(neg, hex),
            _ => parse_decimal(neg, body),
        }
    }

    /// The correctly rounded product with `k`, as the x87 unit computes it.
    pub fn mul_u64(self, k: u64) -> LongDouble {
        match self {
            LongDouble::Finite { neg, mant, exp } => {
                round(neg, u128::from(mant) * u128::from(k), exp, false)
            }
            LongDouble::Inf { neg } if k != 0 => LongDouble::Inf { neg },
            _ => LongDouble::Nan,
        }
    }

    /// `ceill` converted to a 64-bit integer; `None` where C's conversion
    /// has no defined result (x86 then yields `i64::MIN`).
    pub fn ceil_i64(self) -> Option<i64> {
        let LongDouble::Finite { neg, mant, exp } = self else {
            return None;
        };
        let magnitude: u128 = if exp >= 0 {
            if exp >= 64 {
                return (mant == 0).then_some(0);
            }
            u128::from(mant) << exp
        } else {
            let shift = exp.unsigned_abs();
            let int = if shift >= 64 { 0 } else { mant >> shift };
            let fraction = if shift >= 64 {
                mant != 0
            } else {
                mant & ((1 << shift) - 1) != 0
            };
            // Rounding up moves positive values away from zero only.
            u128::from(int) + u128::from(fraction && !neg)
        };
        if neg {
            i64::try_from(-(magnitude as i128)).ok()
        } else {
            i64::try_from(magnitude).ok()
        }
    }

    /// The correctly rounded sum, as the x87 unit computes it.
    pub fn add(self, other: LongDouble) -> LongDouble {
        use LongDouble::*;
        let (a, b) = match (self, other) {
            (Nan, _) | (_, Nan) => return Nan,
            (Inf { neg: x }, Inf { neg: y }) if x != y => return Nan,
            (Inf { .. }, _) => return self,
            (_, Inf { .. }) => return other,
            (
                Finite { neg, mant, exp },
                Finite {
                    neg: n2,
                    mant: m2,
                    exp: e2,
                },
            ) => ((neg, mant, exp), (n2, m2, e2)),
        };
        match (a.1, b.1) {
            (0, 0) => return LongDouble::zero(a.0 && b.0),
            (0, _) => return other,
            (_, 0) => return self,
            _ => {}
        }
        let (hi, lo) = if a.2 >= b.2 { (a, b) } else { (b, a) };
        let gap = (hi.2 - lo.2) as u32;
        // Align on the smaller exponent when the sum fits 128 bits; beyond
        // that the small operand only matters through a sticky bit, and the
        // 60+ guard bits left make rounding the jammed value exact.
        let (big, small, exp, sticky) = if gap <= 62 {
            (u128::from(hi.1) << gap, u128::from(lo.1), lo.2, false)
        } else {
            let cut = gap - 62;
            let (kept, lost) = if cut >= 64 {
                (0, true)
            } else {
                (lo.1 >> cut, lo.1 & ((1 << cut) - 1) != 0)
            };
            (u128::from(hi.1) << 62, u128::from(kept), hi.2 - 62, lost)
        };
        if hi.0 == lo.0 {
            round(hi.0, big + small, exp, sticky)
        } else if sticky {
            // The true small operand is a little above `small`.
            round(hi.0, big - small - 1, exp, true)
        } else {
            match big.cmp(&small) {
                Ordering::Equal => LongDouble::zero(false),
                Ordering::Greater => round(hi.0, big - small, exp, false),
                Ordering::Less => round(lo.0, small - big, exp, false),
            }
        }
    }

    /// The text Redis stores and replies (`ld2string` in human mode):
    /// `%.17Lf` without trailing zeros, `-0` shown as `0`.
    pub fn to_human(self) -> String {
        let (neg, mant, exp) = match self {
            LongDouble::Inf { neg } => return if neg { "-inf" } else { "inf" }.into(),
            LongDouble::Nan => return "nan".into(),
            LongDouble::Finite { neg, mant, exp } => (neg, mant, exp),
        };
        const SCALE: u128 = 100_000_000_000_000_000; // 10^17
        let (int, frac) = if exp >= 0 {
            let mut n = Big::from_u64(mant);
            n.shl(exp as u32);
            (n.to_decimal(), 0)
        } else {
            let sh = exp.unsigned_abs();
            let (int, frac) = if sh >= 64 {
                (0, u128::from(mant))
            } else {
                (mant >> sh, u128::from(mant & ((1 << sh) - 1)))
            };
            // frac * 10^17 < 2^121, so from 2^-122 on it is below half a unit.
            let scaled = frac * SCALE;
            let (mut digits, up) = if sh >= 122 {
                (0, false)
            } else {
                let q = scaled >> sh;
                let rem = scaled & ((1 << sh) - 1);
                let half = 1u128 << (sh - 1);
                (q, rem > half || (rem == half && q & 1 == 1))
            };
            let mut int = u128::from(int);
            if up {
                digits += 1;
                if digits == SCALE {
                    digits = 0;
                    int += 1;
                }
            }
            (int.to_string(), digits)
        };
        let mut out = String::with_capacity(int.len() + 20);
        if neg {
            out.push('-');
        }
        out.push_str(&int);
        let frac = format!("{frac:017}");
        let frac = frac.trim_end_matches('0');
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        if out == "-0" {
            out.remove(0);
        }
        out
    }
}

/// C's `isspace` in the "C" locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// A parsed non-zero literal, unless it overflowed or underflowed to zero
/// (`strtold` reports ERANGE and `string2ld` refuses it).
fn in_range(value: LongDouble) -> Option<LongDouble> {
    match value {
        LongDouble::Finite { mant, .. } if mant != 0 => Some(value),
        _ => None,
    }
}

/// Splits `[digits][.digits]` off the front of `s`: (digits without the
/// dot, number of fraction digits, rest). `None` without any digit.
fn mantissa(s: &[u8], is_digit: fn(&u8) -> bool) -> Option<(Vec<u8>, usize, &[u8])> {
    let int_len = s.iter().take_while(|c| is_digit(c)).count();
    let mut digits = s[..int_len].to_vec();
    let mut rest = &s[int_len..];
    let mut frac_len = 0;
    if let [b'.', tail @ ..] = rest {
        frac_len = tail.iter().take_while(|c| is_digit(c)).count();
        digits.extend_from_slice(&tail[..frac_len]);
        rest = &tail[frac_len..];
    }
    (!digits.is_empty()).then_some((digits, frac_len, rest))
}

/// A decimal exponent `[+-]digits` that must end the input, clamped far
/// beyond any meaningful range.
fn exponent(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s {
        [b'-', d @ ..] => (true, d),
        [b'+', d @ ..] => (false, d),
        d => (false, d),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits
        .iter()
        .fold(0i64, |n, d| (n * 10 + i64::from(d - b'0')).min(1 << 40));
    Some(if neg { -n } else { n })
}

fn parse_decimal(neg: bool, body: &[u8]) -> Option<LongDouble> {
    let (digits, frac_len, rest) = mantissa(body, u8::is_ascii_digit)?;
    let exp10 = match rest {
        [] => 0,
        [e, tail @ ..] if e.eq_ignore_ascii_case(&b'e') => exponent(tail)?,
        _ => return None,
    };
    let leading = digits.iter().take_while(|&&d| d == b'0').count();
    let digits = &digits[leading..];
    let trailing = digits.iter().rev().take_while(|&&d| d == b'0').count();
    let digits = &digits[..digits.len() - trailing];
    if digits.is_empty() {
        return Some(LongDouble::zero(neg));
    }
    let exp10 = exp10 - frac_len as i64 + trailing as i64;
    let magnitude = digits.len() as i64 + exp10;
    if !MAGNITUDES.contains(&magnitude) {
        return None;
    }
    let mut n = Big::default();
    for chunk in digits.chunks(9) {
        let value = chunk.iter().fold(0, |v, d| v * 10 + u32::from(d - b'0'));
        n.mul_add_small(10u32.pow(chunk.len() as u32), value);
    }
    if exp10 >= 0 {
        n.mul_pow10(exp10 as u32);
        let (sig, shift, sticky) = n.top128();
        in_range(round(neg, sig, shift, sticky))
    } else {
        let divisor = Big::pow10(exp10.unsigned_abs() as u32);
        // Scale so the quotient has at least 68 bits: enough guard bits for
        // the remainder to act as a sticky bit.
        let scale = (divisor.bits() + 68).saturating_sub(n.bits());
        n.shl(scale);
        let (q, inexact) = n.div(&divisor);
        let (sig, shift, sticky) = q.top128();
        in_range(round(neg, sig, shift - scale as i32, sticky || inexact))
    }
}

fn parse_hex(neg: bool, body: &[u8]) -> Option<LongDouble> {
    let (digits, frac_len, rest) = mantissa(body, u8::is_ascii_hexdigit)?;
    let exp2 = match rest {
        [] => 0,
        [p, tail @ ..] if p.eq_ignore_ascii_case(&b'p') => exponent(tail)?.clamp(-100_000, 100_000),
        _ => return None,
    };
    let mut n = Big::default();
    for &d in &digits {
        let v = (d as char).to_digit(16).expect("hex digit");
        n.mul_add_small(16, v);
    }
    if n.is_zero() {
        return Some(LongDouble::zero(neg));
    }
    let (sig, shift, sticky) = n.top128();
    let exp = exp2 as i32 - 4 * frac_len as i32 + shift;
    in_range(round(neg, sig, exp, sticky))
}

/// Rounds `sig * 2^exp` (plus a little more if `sticky`) to the nearest
/// extended value, ties to even, with gradual underflow and overflow to
/// infinity. When `sticky` is set `sig` must have at least 66 bits, so the
/// sticky bits lie below the rounding position.
fn round(neg: bool, sig: u128, exp: i32, sticky: bool) -> LongDouble {
    if sig == 0 {
        return LongDouble::zero(neg);
    }
    let bits = 128 - sig.leading_zeros() as i32;
    let mut shift = bits - 64;
    if exp + shift < MIN_EXP {
        shift = MIN_EXP - exp;
    }
    let (mut mant, up) = if shift <= 0 {
        ((sig << -shift) as u64, false)
    } else if shift >= 128 {
        let half = 1u128 << 127;
        let up = shift == 128 && (sig > half || (sig == half && sticky));
        (0, up)
    } else {
        let kept = sig >> shift;
        let rem = sig & ((1 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let up = rem > half || (rem == half && (sticky || kept & 1 == 1));
        (kept as u64, up)
    };
    let mut exp = exp + shift;
    if up {
        mant = mant.checked_add(1).unwrap_or_else(|| {
            exp += 1;
            1 << 63
        });
    }
    if mant == 0 {
        LongDouble::zero(neg)
    } else if exp > MAX_EXP {
        LongDouble::Inf { neg }
    } else {
        LongDouble::Finite { neg, mant, exp }
    }
}

/// A non-negative big integer: little-endian 32-bit limbs, no zero limbs on
/// top. Only what parsing and printing need.
#[derive(Clone, Default, Debug, PartialEq)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(n: u64) -> Big {
        let mut b = Big(vec![n as u32, (n >> 32) as u32]);
        b.trim();
        b
    }

    fn pow10(k: u32) -> Big {
        let mut b = Big::from_u64(1);
        b.mul_pow10(k);
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn bits(&self) -> u32 {
        self.0
            .last()
            .map_or(0, |top| 32 * self.0.len() as u32 - top.leading_zeros())
    }

    fn bit(&self, i: u32) -> bool {
        self.0
            .get((i / 32) as usize)
            .is_some_and(|limb| limb >> (i % 32) & 1 == 1)
    }

    /// `self = self * m + a`.
    fn mul_add_small(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn mul_pow10(&mut self, mut k: u32) {
        while k >= 9 {
            self.mul_add_small(1_000_000_000, 0);
            k -= 9;
        }
        self.mul_add_small(10u32.pow(k), 0);
    }

    fn shl(&mut self, n: u32) {
        if self.is_zero() {
            return;
        }
        let bits = n % 32;
        if bits > 0 {
            let mut carry = 0;
            for limb in &mut self.0 {
                let v = (u64::from(*limb) << bits) | carry;
                *limb = v as u32;
                carry = v >> 32;
            }
            if carry > 0 {
                self.0.push(carry as u32);
            }
        }
        self.0
            .splice(0..0, std::iter::repeat_n(0, (n / 32) as usize));
    }

    /// `self = self << 1 | bit`.
    fn shl1_or(&mut self, bit: bool) {
        self.shl(1);
        if bit {
            match self.0.first_mut() {
                Some(low) => *low |= 1,
                None => self.0.push(1),
            }
        }
    }

    /// `self >> n`, and whether any of the shifted-out bits was set.
    fn shr(&self, n: u32) -> (Big, bool) {
        let (limbs, bits) = ((n / 32) as usize, n % 32);
        if limbs >= self.0.len() {
            return (Big::default(), !self.is_zero());
        }
        let mut lost = self.0[..limbs].iter().any(|&l| l != 0);
        let mut out: Vec<u32> = self.0[limbs..].to_vec();
        if bits > 0 {
            lost |= out[0] & ((1 << bits) - 1) != 0;
            for i in 0..out.len() {
                let next = out.get(i + 1).copied().unwrap_or(0);
                out[i] = (out[i] >> bits) | (next << (32 - bits));
            }
        }
        let mut out = Big(out);
        out.trim();
        (out, lost)
    }

    /// The top 128 bits as `(sig, shift, sticky)`: `self` is `sig << shift`
    /// plus the bits flagged by `sticky`.
    fn top128(&self) -> (u128, i32, bool) {
        let shift = self.bits().saturating_sub(128);
        let (top, sticky) = self.shr(shift);
        let sig = top
            .0
            .iter()
            .rev()
            .fold(0u128, |acc, &limb| (acc << 32) | u128::from(limb));
        (sig, shift as i32, sticky)
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// `self -= other`, with `self >= other`.
    fn sub(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let v = i64::from(*limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(v < 0);
            *limb = v.rem_euclid(1 << 32) as u32;
        }
        self.trim();
    }

    /// The quotient by `d` (non-zero) and whether the remainder is non-zero,
    /// by binary long division: as many steps as quotient bits.
    fn div(&self, d: &Big) -> (Big, bool) {
        let (n, m) = (self.bits(), d.bits());
        if n < m {
            return (Big::default(), !self.is_zero());
        }
        let (mut rem, _) = self.shr(n - m + 1);
        let mut q = Big::default();
        for i in (0..=n - m).rev() {
            rem.shl1_or(self.bit(i));
            let fits = rem.cmp(d) != Ordering::Less;
            if fits {
                rem.sub(d);
            }
            q.shl1_or(fits);
        }
        (q, !rem.is_zero())
    }

    fn to_decimal(&self) -> String {
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            let mut rem = 0u64;
            for limb in n.0.iter_mut().rev() {
                let v = (rem << 32) | u64::from(*limb);
                *limb = (v / 1_000_000_000) as u32;
                rem = v % 1_000_000_000;
            }
            n.trim();
            chunks.push(rem as u32);
        }
        let Some((top, rest)) = chunks.split_last() else {
            return "0".into();
        };
        let mut out = top.to_string();
        for chunk in rest.iter().rev() {
            out.push_str(&format!("{chunk:09}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(a: &str, b: &str) -> String {
        let a = LongDouble::parse(a.as_bytes()).expect("a");
        let b = LongDouble::parse(b.as_bytes()).expect("b");
        let s = a.add(b);
        if s.is_finite() {
            s.to_human()
        } else {
            "overflow".into()
        }
    }

    /// `SET k a; INCRBYFLOAT k b` on Redis 7.0.15 (x86-64).
    #[test]
    fn matches_redis() {
        let cases = [
            ("0", "0.1", "0.1"),
            ("0.1", "0.1", "0.2"),
            ("0.2", "0.1", "0.3"),
            ("10.5", "0.1", "10.6"),
            ("1", "-1.1", "-0.1"),
            ("0.3", "-0.1", "0.2"),
            ("17179869184", "1.5", "17179869185.5"),
            ("1.5", "1e-20", "1.5"),
            ("0", "1e-17", "0.00000000000000001"),
            ("0", "5e-18", "0"),
            ("0", "6e-18", "0.00000000000000001"),
            ("0", "1.5e-17", "0.00000000000000002"),
            ("0", "2.5e-17", "0.00000000000000002"),
            ("0", "-5e-18", "0"),
            ("3.0e3", "0", "3000"),
            ("0", "0x1.8p1", "3"),
            ("0", "0X10", "16"),
            ("0", "-0", "0"),
            ("0", ".5", "0.5"),
            ("0", "5.", "5"),
            ("0", "+7", "7"),
            ("9223372036854775807", "1", "9223372036854775808"),
            ("-9223372036854775808", "-1", "-9223372036854775809"),
            (
                "0",
                "123456789012345678901234567890",
                "123456789012345678899921813504",
            ),
            ("0", "0.000000000000000001234", "0"),
            ("1", "3.3333333333333333333333", "4.33333333333333333"),
            ("0", "1e-4950", "0"),
            ("1", "1e-4950", "1"),
            ("0", "0.024390243902439025", "0.02439024390243902"),
            ("0.024390243902439025", "-0.024390243902439025", "0"),
            (
                "0",
                "3.14159265358979323846264338327950288",
                "3.14159265358979324",
            ),
            ("100", "-99.99999999999999999", "0.00000000000000001"),
            ("0", "1e19", "10000000000000000000"),
            ("0", "12345678.9", "12345678.8999999999996362"),
            ("0", "99999999999999999.5", "99999999999999999.5"),
            ("0", "0.99999999999999999", "0.99999999999999999"),
            ("0", "0.999999999999999995", "1"),
            ("0", "0.999999999999999994", "0.99999999999999999"),
            ("0", "1e-30", "0"),
            ("1e4932", "1e4932", "overflow"),
        ];
        for (a, b, want) in cases {
            assert_eq!(sum(a, b), want, "{a} + {b}");
        }
    }

    #[test]
    fn huge_values_print_every_digit() {
        let big = sum("1e300", "0");
        assert!(big.starts_with(
            "10000000000000000000089973240795591938705239442732907479382600823212656465961809"
        ));
        assert_eq!(big.len(), 301);
        let max = sum("0", "1.18973149535723176502e4932");
        assert!(max.starts_with("118973149535723176502126385303097020516906332229462420044032"));
        assert_eq!(max.len(), 4933);
    }

    #[test]
    fn rejects_what_string2ld_rejects() {
        for bad in [
            "", " 1", "1 ", "1x", "nan", "-nan", "e5", ".", "1e", "1e+", "0x", "0x1p", "1e5000",
            "-1e5000", "1e-5000", "inf1", "- 1", "++1",
        ] {
            assert_eq!(LongDouble::parse(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(
            LongDouble::parse(b"-Infinity"),
            Some(LongDouble::Inf { neg: true })
        );
        assert!(LongDouble::parse(b"0e99999").is_some());
        assert!(LongDouble::parse(b"0.0e-99999").is_some());
        let mut long = b"0.".to_vec();
        long.resize(MAX_CHARS - 1, b'1');
        assert!(LongDouble::parse(&long).is_some());
        long.push(b'1');
        assert!(LongDouble::parse(&long).is_none());
    }

    #[test]
    fn timeout_arithmetic() {
        let ms = |s: &str| {
            LongDouble::parse(s.as_bytes())
                .unwrap()
                .mul_u64(1000)
                .ceil_i64()
        };
        assert_eq!(ms("1.5"), Some(1500));
        assert_eq!(ms("0.0001"), Some(1));
        // 0.001 is a little below 1/1000 in extended precision.
        assert_eq!(ms("-0.001"), Some(0));
        assert_eq!(ms("-0.0011"), Some(-1));
        assert_eq!(ms("9.3e15"), None);
        assert_eq!(ms("inf"), None);
    }

    #[test]
    fn infinities() {
        let inf = LongDouble::parse(b"inf").unwrap();
        let minus = LongDouble::parse(b"-inf").unwrap();
        assert_eq!(inf.add(minus), LongDouble::Nan);
        assert!(!inf.add(LongDouble::parse(b"1").unwrap()).is_finite());
    }
}
