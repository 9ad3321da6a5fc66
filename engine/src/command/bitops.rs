//! Bitmap commands on the string type: SETBIT GETBIT BITCOUNT BITPOS BITOP,
//! and BITFIELD / BITFIELD_RO in [`bitfield`]. Bit 0 is the most
//! significant bit of the first byte, as in Redis.
//!
//! BITCOUNT and BITOP work a machine word (or a vector) at a time so they
//! stay fast on strings of megabytes.

mod bitfield;

use super::flags::*;
use super::strings::{clamp_range, MAX_STRING};
use super::{args, cmd, CommandDef, Ctx, Group, Handler};
use crate::{notify, Error, Kind, Result, Value};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    let doc = |d: CommandDef<Handler>, since, summary| d.doc(Group::Bitmap, since, summary);
    vec![
        doc(
            cmd("setbit", 4, WRITE | DENYOOM, setbit).keys(1, 1, 1),
            "2.2.0",
            "Sets or clears the bit at offset in the string value stored at key",
        ),
        doc(
            cmd("getbit", 3, READONLY | FAST, getbit).keys(1, 1, 1),
            "2.2.0",
            "Returns the bit value at offset in the string value stored at key",
        ),
        doc(
            cmd("bitcount", -2, READONLY, bitcount).keys(1, 1, 1),
            "2.6.0",
            "Count set bits in a string",
        ),
        doc(
            cmd("bitpos", -3, READONLY, bitpos).keys(1, 1, 1),
            "2.8.7",
            "Find first bit set or clear in a string",
        ),
        doc(
            cmd("bitop", -4, WRITE | DENYOOM, bitop).keys(2, -1, 1),
            "2.6.0",
            "Perform bitwise operations between strings",
        ),
        doc(
            cmd("bitfield", -2, WRITE | DENYOOM, bitfield::bitfield).keys(1, 1, 1),
            "3.2.0",
            "Perform arbitrary bitfield integer operations on strings",
        ),
        doc(
            cmd("bitfield_ro", -2, READONLY | FAST, bitfield::bitfield_ro).keys(1, 1, 1),
            "6.0.0",
            "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
        ),
    ]
}

const BAD_OFFSET: &str = "bit offset is not an integer or out of range";

/// A bit offset argument, like Redis's `getBitOffsetFromArgument`: at most
/// the last bit of a `proto-max-bulk-len` string. With `unit` (BITFIELD's
/// type width) a `#n` offset means `n * unit`.
fn bit_offset(arg: &[u8], unit: Option<u32>) -> Result<u64> {
    let (digits, scale) = match (arg.first(), unit) {
        (Some(b'#'), Some(bits)) => (&arg[1..], i64::from(bits)),
        _ => (arg, 1),
    };
    resp::parse_i64(digits)
        // Redis multiplies without an overflow check; wrapping keeps its answer.
        .map(|n| n.wrapping_mul(scale))
        .and_then(|n| u64::try_from(n).ok())
        .filter(|n| n >> 3 < MAX_STRING)
        .ok_or_else(|| Error::err(BAD_OFFSET))
}

/// The string at `key` made writable and long enough to hold bit `maxbit`
/// (Redis's `lookupStringForBitCommand`), created zero-filled if missing.
/// Also returns whether it was created or grew.
fn bits_for_write<'c>(
    ctx: &'c mut Ctx,
    key: &[u8],
    maxbit: u64,
) -> Result<(&'c mut Vec<u8>, bool)> {
    let len = (maxbit >> 3) as usize + 1;
    let grew = match ctx.lookup_write(key) {
        None => {
            ctx.set_key(key, Value::Raw(Box::new(vec![0; len])), false);
            true
        }
        Some(v) => {
            let bytes = v.make_raw().ok_or(Error::WrongType)?;
            let grew = bytes.len() < len;
            if grew {
                bytes.resize(len, 0);
            }
            grew
        }
    };
    match ctx.db().get_mut(key) {
        Some(Value::Raw(bytes)) => Ok((bytes, grew)),
        _ => unreachable!("made raw above"),
    }
}

/// SETBIT key offset 0|1: returns the bit's old value. Like Redis, a key
/// is written (and propagated) only if it was created, grew, or the bit
/// changed; any string it touches becomes `raw`.
fn setbit(ctx: &mut Ctx) -> Result<()> {
    let key = ctx.arg(1);
    let offset = bit_offset(ctx.arg(2), None)?;
    let bad_bit = || Error::err("bit is not an integer or out of range");
    let on = match args::int(ctx.arg(3)).map_err(|_| bad_bit())? {
        b @ (0 | 1) => b as u8,
        _ => return Err(bad_bit()),
    };
    let (byte, bit) = ((offset >> 3) as usize, 7 - (offset & 7) as u8);
    let (bytes, grew) = bits_for_write(ctx, key, offset)?;
    let old = (bytes[byte] >> bit) & 1;
    bytes[byte] = (bytes[byte] & !(1 << bit)) | (on << bit);
    if grew || old != on {
        ctx.dirty(1);
        ctx.notify(notify::STRING, "setbit", key);
    }
    ctx.out.integer(i64::from(old));
    Ok(())
}

/// GETBIT key offset: 0 past the end or for a missing key.
fn getbit(ctx: &mut Ctx) -> Result<()> {
    let offset = bit_offset(ctx.arg(2), None)?;
    let mut buf = itoa::Buffer::new();
    let (value, out) = ctx.read(ctx.arg(1));
    let bit = match value {
        None => 0,
        Some(v) => {
            let bytes = v.as_bytes(&mut buf).ok_or(Error::WrongType)?;
            let byte = bytes.get((offset >> 3) as usize).copied().unwrap_or(0);
            (byte >> (7 - (offset & 7))) & 1
        }
    };
    out.integer(i64::from(bit));
    Ok(())
}

/// An inclusive byte range of a BITCOUNT/BITPOS, with masks of the bits of
/// its first and last byte that lie outside a BIT range.
struct Span {
    start: usize,
    end: usize,
    first_mask: u8,
    last_mask: u8,
}

/// Resolves `start..=end` (bytes, or bits if `in_bits`) over a string of
/// `len` bytes as GETRANGE does ([`clamp_range`]). `None` when the range
/// is empty.
fn span(start: i64, end: i64, len: usize, in_bits: bool) -> Option<Span> {
    let total = if in_bits {
        (len as i64) << 3
    } else {
        len as i64
    };
    let (mut start, mut end) = clamp_range(start, end, total)?;
    let (mut first_mask, mut last_mask) = (0, 0);
    if in_bits {
        first_mask = !((1u16 << (8 - (start & 7))) - 1) as u8;
        last_mask = ((1u16 << (7 - (end & 7))) - 1) as u8;
        start >>= 3;
        end >>= 3;
    }
    Some(Span {
        start: start as usize,
        end: end as usize,
        first_mask,
        last_mask,
    })
}

/// The BYTE|BIT unit argument.
fn in_bits(arg: &[u8]) -> Result<bool> {
    if args::is(arg, "bit") {
        Ok(true)
    } else if args::is(arg, "byte") {
        Ok(false)
    } else {
        Err(Error::Syntax)
    }
}

/// Number of set bits, a u64 word at a time.
pub fn popcount(bytes: &[u8]) -> u64 {
    let words = bytes.chunks_exact(8);
    let tail: u64 = words
        .remainder()
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum();
    let whole: u64 = words
        .map(|w| u64::from(u64::from_ne_bytes(w.try_into().expect("8 bytes")).count_ones()))
        .sum();
    whole + tail
}

/// BITCOUNT key [start end [BYTE|BIT]]. A missing key counts 0 before the
/// range is even parsed, as in Redis.
fn bitcount(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    let mut buf = itoa::Buffer::new();
    let (value, out) = ctx.read(&argv[1]);
    let Some(value) = value else {
        out.integer(0);
        return Ok(());
    };
    let bytes = value.as_bytes(&mut buf).ok_or(Error::WrongType)?;
    let span = match argv.len() {
        2 => span(0, -1, bytes.len(), false),
        4 | 5 => {
            let start = args::int(&argv[2])?;
            let end = args::int(&argv[3])?;
            if start < 0 && end < 0 && start > end {
                out.integer(0);
                return Ok(());
            }
            let bits = argv.len() == 5 && in_bits(&argv[4])?;
            span(start, end, bytes.len(), bits)
        }
        _ => return Err(Error::Syntax),
    };
    let count = span.map_or(0, |s| {
        popcount(&bytes[s.start..=s.end])
            - u64::from((bytes[s.start] & s.first_mask).count_ones())
            - u64::from((bytes[s.end] & s.last_mask).count_ones())
    });
    out.integer(count as i64);
    Ok(())
}

/// Position of the first bit equal to `bit` (Redis's `redisBitpos`): for
/// a 0 not found, the bit just past the end (the string reads as
/// zero-padded); for a 1 not found, -1.
fn first_bit(bytes: &[u8], bit: bool) -> i64 {
    let skip = if bit { 0 } else { 0xff };
    let words = bytes.chunks_exact(8);
    let skipped = words.take_while(|w| w.iter().all(|&b| b == skip)).count() * 8;
    match bytes[skipped..].iter().position(|&b| b != skip) {
        Some(i) => {
            let b = bytes[skipped + i];
            let zeros = if bit {
                b.leading_zeros()
            } else {
                (!b).leading_zeros()
            };
            ((skipped + i) * 8) as i64 + i64::from(zeros)
        }
        None if bit => -1,
        None => (bytes.len() * 8) as i64,
    }
}

/// BITPOS key bit [start [end [BYTE|BIT]]]
fn bitpos(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    let bit = match args::int(&argv[2])? {
        0 => false,
        1 => true,
        _ => return Err(Error::err("The bit argument must be 1 or 0.")),
    };
    let mut buf = itoa::Buffer::new();
    let (value, out) = ctx.read(&argv[1]);
    // A missing key is an endless run of zeros.
    let Some(value) = value else {
        out.integer(if bit { -1 } else { 0 });
        return Ok(());
    };
    let p = value.as_bytes(&mut buf).ok_or(Error::WrongType)?;
    let (span, end_given) = match argv.len() {
        3 => (span(0, -1, p.len(), false), false),
        4..=6 => {
            let start = args::int(&argv[3])?;
            let bits = argv.len() == 6 && in_bits(&argv[5])?;
            let end = match argv.get(4) {
                Some(end) => args::int(end)?,
                None if bits => ((p.len() as i64) << 3) + 7,
                None => p.len() as i64 - 1,
            };
            (span(start, end, p.len(), bits), argv.len() >= 5)
        }
        _ => return Err(Error::Syntax),
    };
    let Some(Span {
        mut start,
        end,
        first_mask,
        last_mask,
    }) = span
    else {
        // An empty range holds neither a 0 nor a 1.
        out.integer(-1);
        return Ok(());
    };
    let mut bytes = end - start + 1;
    // Masked edge bytes are searched on their own, as Redis does.
    let masked = |b: u8, mask: u8| if bit { b & !mask } else { b | mask };
    let pos = 'found: {
        if first_mask != 0 {
            let mut b = masked(p[start], first_mask);
            if last_mask != 0 && bytes == 1 {
                b = masked(b, last_mask);
            }
            let pos = first_bit(&[b], bit);
            if bytes == 1 || (pos != -1 && pos != 8) {
                break 'found pos;
            }
            start += 1;
            bytes -= 1;
        }
        let middle = bytes - usize::from(last_mask != 0);
        if middle > 0 {
            let pos = first_bit(&p[start..start + middle], bit);
            if bytes == middle || (pos != -1 && pos != (middle * 8) as i64) {
                break 'found pos;
            }
            start += middle;
            bytes -= middle;
        }
        first_bit(&[masked(p[end], last_mask)], bit)
    };
    // With an explicit end the bits past it are not zeros to be found.
    if pos == -1 || (end_given && !bit && pos == (bytes * 8) as i64) {
        out.integer(-1);
    } else {
        out.integer(pos + (start * 8) as i64);
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// BITOP AND|OR|XOR|NOT destkey key [key ...]: missing keys are empty
/// strings, shorter ones are zero-padded; an empty result deletes destkey.
fn bitop(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    let op = match argv[1].to_ascii_lowercase().as_slice() {
        b"and" => BitOp::And,
        b"or" => BitOp::Or,
        b"xor" => BitOp::Xor,
        b"not" => BitOp::Not,
        _ => return Err(Error::Syntax),
    };
    if op == BitOp::Not && argv.len() != 4 {
        return Err(Error::err(
            "BITOP NOT must be called with a single source key.",
        ));
    }
    let keys = &argv[3..];
    // Looked up one by one first (lazy expiry, keyspace hits, WRONGTYPE at
    // the first bad key, as Redis), then read together so the result is
    // made in one pass over cache-sized blocks, each source read once.
    for key in keys {
        if let Some(v) = ctx.lookup_read(key) {
            if v.kind() != Kind::String {
                return Err(Error::WrongType);
            }
        }
    }
    let mut ints: Vec<itoa::Buffer> = keys.iter().map(|_| itoa::Buffer::new()).collect();
    let db = &ctx.eng.dbs[*ctx.db];
    let srcs: Vec<&[u8]> = keys
        .iter()
        .zip(ints.iter_mut())
        .map(|(k, buf)| db.get(k).and_then(|v| v.as_bytes(buf)).unwrap_or(&[]))
        .collect();
    let len = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    // Filled block by block, not zeroed first: a zeroed allocation of this
    // size comes as fresh pages from the OS, each one a page fault.
    let mut res = Vec::with_capacity(len);
    const BLOCK: usize = 4096;
    for at in (0..len).step_by(BLOCK) {
        let first = block_of(srcs[0], at, BLOCK);
        res.extend_from_slice(first);
        res.resize(len.min(at + BLOCK), 0);
        let out = &mut res[at..];
        for src in &srcs[1..] {
            let src = block_of(src, at, BLOCK);
            let (head, tail) = out.split_at_mut(src.len());
            // Plain zips over slices: the compiler vectorizes them.
            match op {
                BitOp::And => {
                    head.iter_mut().zip(src).for_each(|(r, s)| *r &= s);
                    tail.fill(0);
                }
                BitOp::Or => head.iter_mut().zip(src).for_each(|(r, s)| *r |= s),
                BitOp::Xor => head.iter_mut().zip(src).for_each(|(r, s)| *r ^= s),
                BitOp::Not => unreachable!("NOT has one source"),
            }
        }
        if op == BitOp::Not {
            out.iter_mut().for_each(|b| *b = !*b);
        }
    }
    let dst = &argv[2];
    let len = res.len();
    if len > 0 {
        ctx.set_key(dst, Value::Raw(Box::new(res)), false);
        ctx.notify(notify::STRING, "set", dst);
        ctx.dirty(1);
    } else if ctx.delete(dst) {
        ctx.dirty(1);
    }
    ctx.out.integer(len as i64);
    Ok(())
}

/// `len` bytes of `s` from `at`, fewer (or none) where `s` is shorter: the
/// missing bytes of a shorter BITOP source count as zeros.
fn block_of(s: &[u8], at: usize, len: usize) -> &[u8] {
    let s = s.get(at..).unwrap_or(&[]);
    &s[..s.len().min(len)]
}

#[cfg(test)]
mod tests;
