//! Popping the lowest or highest members: ZPOPMIN ZPOPMAX ZMPOP and the
//! blocking BZPOPMIN BZPOPMAX BZMPOP (see [`super::super::blocking`]).

use bytes::Bytes;
use resp::Protocol;

use super::super::blocking::{self, park};
use super::super::flags::*;
use super::super::lists::parse_mpop;
use super::super::{args, cmd, CommandDef, Ctx, Group, Handler};
use super::{removed_from, write_zset};
use crate::{Error, Result, Value};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    let doc = |d: CommandDef<Handler>, since, summary| d.doc(Group::SortedSet, since, summary);
    let blocking = WRITE | BLOCKING;
    vec![
        doc(cmd("bzmpop", -5, blocking, bzmpop).numkeys(2), "7.0.0", "Remove and return members with scores in a sorted set or block until one is available"),
        doc(cmd("bzpopmax", -3, blocking | NOSCRIPT | FAST, bzpopmax).keys(1, -2, 1), "5.0.0", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available"),
        doc(cmd("bzpopmin", -3, blocking | NOSCRIPT | FAST, bzpopmin).keys(1, -2, 1), "5.0.0", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available"),
        doc(cmd("zmpop", -4, WRITE, zmpop).numkeys(1), "7.0.0", "Remove and return members with scores in a sorted set"),
        doc(cmd("zpopmax", -2, WRITE | FAST, zpopmax).keys(1, 1, 1), "5.0.0", "Remove and return members with the highest scores in a sorted set"),
        doc(cmd("zpopmin", -2, WRITE | FAST, zpopmin).keys(1, 1, 1), "5.0.0", "Remove and return members with the lowest scores in a sorted set"),
    ]
}

/// Which end to pop from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Min,
    Max,
}

impl End {
    fn parse(arg: &[u8]) -> Option<End> {
        if args::is(arg, "min") {
            Some(End::Min)
        } else if args::is(arg, "max") {
            Some(End::Max)
        } else {
            None
        }
    }

    /// The command a pop is propagated as.
    fn command(self) -> Bytes {
        Bytes::from_static(match self {
            End::Min => b"ZPOPMIN",
            End::Max => b"ZPOPMAX",
        })
    }
}

/// The reply shapes of Redis's `genericZpopCommand`.
#[derive(Clone, Copy)]
struct Shape {
    /// Name the key first (the blocking pops and ZMPOP).
    with_key: bool,
    /// `[member, score]` pairs in an array of their own (ZMPOP, and
    /// ZPOPMIN with a count in RESP3) rather than flat.
    nested: bool,
    /// A null array rather than an empty one when nothing can be popped.
    null_when_empty: bool,
}

/// Pops up to `count` members (one when `None`) from the first existing
/// key among `keys`, like Redis's `genericZpopCommand`. Returns the key and
/// the number popped, if it popped.
fn pop_from(
    ctx: &mut Ctx,
    keys: &[Bytes],
    end: End,
    count: Option<usize>,
    shape: Shape,
) -> Result<Option<(Bytes, usize)>> {
    let mut found = None;
    for key in keys {
        if write_zset(ctx, key)?.is_some() {
            found = Some(key);
            break;
        }
    }
    let Some(key) = found else {
        match shape.null_when_empty {
            true => ctx.out.null_array(),
            false => ctx.out.array(0),
        }
        return Ok(None);
    };
    if count == Some(0) {
        ctx.out.array(0);
        return Ok(None);
    }
    let Some(Value::ZSet(zset)) = ctx.db().get_mut(key) else {
        unreachable!("found above");
    };
    let n = count.unwrap_or(1).min(zset.len());
    let popped: Vec<_> = (0..n).filter_map(|_| zset.pop(end == End::Max)).collect();
    let event = match end {
        End::Min => "zpopmin",
        End::Max => "zpopmax",
    };
    removed_from(ctx, key, event);
    ctx.dirty(n as u64);
    if shape.with_key {
        // ZMPOP's keys follow a count, out of the command table's sight.
        ctx.touch(key);
    }
    let out = &mut ctx.out;
    match (shape.with_key, shape.nested) {
        (false, false) => out.array(2 * n),
        (false, true) => out.array(n),
        (true, false) => {
            out.array(2 * n + 1);
            out.bulk(key);
        }
        (true, true) => {
            out.array(2);
            out.bulk(key);
            out.array(n);
        }
    }
    for (member, score) in &popped {
        if shape.nested {
            out.array(2);
        }
        out.bulk(member);
        out.double(*score);
    }
    Ok(Some((key.clone(), n)))
}

fn zpopmin(ctx: &mut Ctx) -> Result<()> {
    zpop(ctx, End::Min)
}

fn zpopmax(ctx: &mut Ctx) -> Result<()> {
    zpop(ctx, End::Max)
}

/// ZPOPMIN / ZPOPMAX key [count]: propagated as sent.
fn zpop(ctx: &mut Ctx, end: End) -> Result<()> {
    if ctx.args.len() > 3 {
        return Err(Error::Syntax);
    }
    let count = match ctx.args.get(2) {
        Some(arg) => Some(
            args::int_in(arg, 0, i64::MAX, "value is out of range, must be positive")? as usize,
        ),
        None => None,
    };
    let shape = Shape {
        with_key: false,
        nested: count.is_some() && ctx.out.protocol() == Protocol::Resp3,
        null_when_empty: false,
    };
    let args = ctx.args;
    pop_from(ctx, &args[1..2], end, count, shape)?;
    Ok(())
}

/// ZMPOP and BZMPOP answer `[key, [[member, score] ...]]`.
const MPOP: Shape = Shape {
    with_key: true,
    nested: true,
    null_when_empty: true,
};

/// Propagates a pop of `n` members from `key` as `ZPOPMIN|ZPOPMAX key n`.
fn propagate_with_count(ctx: &mut Ctx, end: End, key: Bytes, n: usize) {
    ctx.propagate_as(vec![end.command(), key, Bytes::from(n.to_string())]);
}

fn zmpop(ctx: &mut Ctx) -> Result<()> {
    let args = ctx.args;
    let (keys, end, count) = parse_mpop(&args[1..], End::parse)?;
    if let Some((key, n)) = pop_from(ctx, keys, end, Some(count), MPOP)? {
        propagate_with_count(ctx, end, key, n);
    }
    Ok(())
}

fn bzmpop(ctx: &mut Ctx) -> Result<()> {
    let args = ctx.args;
    let (keys, end, count) = parse_mpop(&args[2..], End::parse)?;
    let deadline = blocking::deadline(ctx, &args[1])?;
    for key in blocking::keys_to_try(ctx, keys) {
        if !ready(ctx, key)? {
            continue;
        }
        if let Some((key, n)) = pop_from(ctx, std::slice::from_ref(key), end, Some(count), MPOP)? {
            propagate_with_count(ctx, end, key, n);
        }
        return Ok(());
    }
    park(ctx, keys, deadline, |w| w.null_array());
    Ok(())
}

fn bzpopmin(ctx: &mut Ctx) -> Result<()> {
    bzpop(ctx, End::Min)
}

fn bzpopmax(ctx: &mut Ctx) -> Result<()> {
    bzpop(ctx, End::Max)
}

/// BZPOPMIN / BZPOPMAX key [key ...] timeout: `[key, member, score]`,
/// propagated as `ZPOPMIN|ZPOPMAX key`.
fn bzpop(ctx: &mut Ctx, end: End) -> Result<()> {
    let args = ctx.args;
    let keys = &args[1..args.len() - 1];
    let deadline = blocking::deadline(ctx, &args[args.len() - 1])?;
    let shape = Shape {
        with_key: true,
        nested: false,
        null_when_empty: false,
    };
    for key in blocking::keys_to_try(ctx, keys) {
        if !ready(ctx, key)? {
            continue;
        }
        pop_from(ctx, std::slice::from_ref(key), end, None, shape)?;
        ctx.propagate_as(vec![end.command(), key.clone()]);
        return Ok(());
    }
    park(ctx, keys, deadline, |w| w.null_array());
    Ok(())
}

/// Whether a blocking pop can take from `key`: it holds a sorted set.
/// Another type is WRONGTYPE, except when serving a parked client, which
/// then keeps waiting (Redis only serves zset waiters from a zset).
fn ready(ctx: &mut Ctx, key: &[u8]) -> Result<bool> {
    let serving = ctx.serving().is_some();
    match write_zset(ctx, key) {
        Ok(found) => Ok(found.is_some()),
        Err(_) if serving => Ok(false),
        Err(e) => Err(e),
    }
}
