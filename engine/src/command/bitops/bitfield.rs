//! BITFIELD and BITFIELD_RO: signed and unsigned integers of 1 to 64 bits
//! (unsigned up to 63, as replies are signed) at any bit offset, with
//! Redis's WRAP / SAT / FAIL overflow rules.

use super::{bit_offset, bits_for_write};
use crate::command::{args, Ctx};
use crate::{notify, Error, Result};

#[derive(Clone, Copy, PartialEq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq)]
enum OpKind {
    Get,
    Set,
    IncrBy,
}

struct Op {
    kind: OpKind,
    signed: bool,
    bits: u32,
    offset: u64,
    /// SET's value or INCRBY's increment.
    value: i64,
    overflow: Overflow,
}

/// A type argument: `i1`..`i64` or `u1`..`u63`.
fn field_type(arg: &[u8]) -> Result<(bool, u32)> {
    let bad = || {
        Error::err(
            "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
    };
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(bad()),
    };
    let max = if signed { 64 } else { 63 };
    match resp::parse_i64(&arg[1..]) {
        Some(bits) if (1..=max).contains(&bits) => Ok((signed, bits as u32)),
        _ => Err(bad()),
    }
}

/// Parses every subcommand up front, like Redis: any error answers before
/// the key is looked at.
fn parse(argv: &[bytes::Bytes]) -> Result<Vec<Op>> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < argv.len() {
        let rest = argv.len() - j - 1;
        let name = argv[j].to_ascii_lowercase();
        let kind = match name.as_slice() {
            b"get" if rest >= 2 => OpKind::Get,
            b"set" if rest >= 3 => OpKind::Set,
            b"incrby" if rest >= 3 => OpKind::IncrBy,
            b"overflow" if rest >= 1 => {
                overflow = match argv[j + 1].to_ascii_lowercase().as_slice() {
                    b"wrap" => Overflow::Wrap,
                    b"sat" => Overflow::Sat,
                    b"fail" => Overflow::Fail,
                    _ => return Err(Error::err("Invalid OVERFLOW type specified")),
                };
                j += 2;
                continue;
            }
            _ => return Err(Error::Syntax),
        };
        let (signed, bits) = field_type(&argv[j + 1])?;
        let offset = bit_offset(&argv[j + 2], Some(bits))?;
        let value = match kind {
            OpKind::Get => 0,
            _ => args::int(&argv[j + 3])?,
        };
        ops.push(Op {
            kind,
            signed,
            bits,
            offset,
            value,
            overflow,
        });
        j += if kind == OpKind::Get { 3 } else { 4 };
    }
    Ok(ops)
}

pub(super) fn bitfield(ctx: &mut Ctx) -> Result<()> {
    run(ctx, false)
}

pub(super) fn bitfield_ro(ctx: &mut Ctx) -> Result<()> {
    run(ctx, true)
}

fn run(ctx: &mut Ctx, read_only: bool) -> Result<()> {
    let argv = ctx.args;
    let ops = parse(argv)?;
    let key = &argv[1];
    let Some(highest) = ops
        .iter()
        .filter(|op| op.kind != OpKind::Get)
        .map(|op| op.offset + u64::from(op.bits) - 1)
        .max()
    else {
        // Only GETs: a read, a missing key reads as zeros.
        let mut buf = itoa::Buffer::new();
        let (value, out) = ctx.read(key);
        let bytes = match value {
            None => &[][..],
            Some(v) => v.as_bytes(&mut buf).ok_or(Error::WrongType)?,
        };
        out.array(ops.len());
        for op in &ops {
            out.integer(get(bytes, op.offset, op.bits, op.signed));
        }
        return Ok(());
    };
    if read_only {
        return Err(Error::err("BITFIELD_RO only supports the GET subcommand"));
    }
    let (bytes, grew) = bits_for_write(ctx, key, highest)?;
    let mut replies = Vec::with_capacity(ops.len());
    let mut changes = 0;
    for op in &ops {
        if op.kind == OpKind::Get {
            replies.push(Some(get(bytes, op.offset, op.bits, op.signed)));
            continue;
        }
        let old = get_unsigned(bytes, op.offset, op.bits);
        let (new, reply, overflowed) = if op.signed {
            let old = sign_extend(old, op.bits);
            let (new, overflowed) = match op.kind {
                OpKind::IncrBy => signed_add(old, op.value, op.bits, op.overflow),
                _ => signed_add(op.value, 0, op.bits, op.overflow),
            };
            let reply = if op.kind == OpKind::IncrBy { new } else { old };
            (new as u64, reply, overflowed)
        } else {
            let (new, overflowed) = match op.kind {
                OpKind::IncrBy => unsigned_add(old, op.value, op.bits, op.overflow),
                _ => unsigned_add(op.value as u64, 0, op.bits, op.overflow),
            };
            let reply = if op.kind == OpKind::IncrBy { new } else { old };
            (new, reply as i64, overflowed)
        };
        if overflowed && op.overflow == Overflow::Fail {
            replies.push(None);
            continue;
        }
        let mask = u64::MAX >> (64 - op.bits);
        set_unsigned(bytes, op.offset, op.bits, new & mask);
        if grew || old != new & mask {
            changes += 1;
        }
        replies.push(Some(reply));
    }
    if changes > 0 {
        ctx.notify(notify::STRING, "setbit", key);
        ctx.dirty(changes);
    }
    ctx.out.array(replies.len());
    for reply in replies {
        match reply {
            Some(n) => ctx.out.integer(n),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// Reads a field; bits past the end of the string are zeros.
fn get(bytes: &[u8], offset: u64, bits: u32, signed: bool) -> i64 {
    let raw = get_unsigned(bytes, offset, bits);
    if signed {
        sign_extend(raw, bits)
    } else {
        raw as i64
    }
}

fn get_unsigned(bytes: &[u8], offset: u64, bits: u32) -> u64 {
    (offset..offset + u64::from(bits)).fold(0, |acc, at| {
        let byte = bytes.get((at >> 3) as usize).copied().unwrap_or(0);
        (acc << 1) | u64::from((byte >> (7 - (at & 7))) & 1)
    })
}

fn set_unsigned(bytes: &mut [u8], offset: u64, bits: u32, value: u64) {
    for j in 0..u64::from(bits) {
        let on = ((value >> (u64::from(bits) - 1 - j)) & 1) as u8;
        let at = offset + j;
        let (byte, shift) = ((at >> 3) as usize, 7 - (at & 7) as u8);
        bytes[byte] = (bytes[byte] & !(1 << shift)) | (on << shift);
    }
}

fn sign_extend(raw: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((raw << shift) as i64) >> shift
}

/// `value + incr` as an unsigned field of `bits` bits, with whether it
/// overflowed (Redis's `checkUnsignedBitfieldOverflow`).
fn unsigned_add(value: u64, incr: i64, bits: u32, overflow: Overflow) -> (u64, bool) {
    let max = (1u64 << bits) - 1;
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = (value as i64).wrapping_neg();
    let wrapped = || value.wrapping_add(incr as u64) & max;
    if value > max || (incr > 0 && incr > max_incr) {
        (
            if overflow == Overflow::Sat {
                max
            } else {
                wrapped()
            },
            true,
        )
    } else if incr < 0 && incr < min_incr {
        (
            if overflow == Overflow::Sat {
                0
            } else {
                wrapped()
            },
            true,
        )
    } else {
        (value.wrapping_add(incr as u64), false)
    }
}

/// `value + incr` as a signed field of `bits` bits, with whether it
/// overflowed (Redis's `checkSignedBitfieldOverflow`).
fn signed_add(value: i64, incr: i64, bits: u32, overflow: Overflow) -> (i64, bool) {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let wrapped = || {
        sign_extend(
            value.wrapping_add(incr) as u64 & (u64::MAX >> (64 - bits)),
            bits,
        )
    };
    if value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr)
    {
        (
            if overflow == Overflow::Sat {
                max
            } else {
                wrapped()
            },
            true,
        )
    } else if value < min
        || (bits != 64 && incr < min_incr)
        || (value < 0 && incr < 0 && incr < min_incr)
    {
        (
            if overflow == Overflow::Sat {
                min
            } else {
                wrapped()
            },
            true,
        )
    } else {
        (value.wrapping_add(incr), false)
    }
}
