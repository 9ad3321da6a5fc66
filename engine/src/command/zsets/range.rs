//! Ranges of a sorted set by rank, score or member: ZRANGE and its older
//! forms, ZRANGESTORE, ZCOUNT, ZLEXCOUNT and ZREMRANGEBY*.

use std::ops::Range;

use super::super::flags::*;
use super::super::{args, cmd, CommandDef, Ctx, Group, Handler};
use super::{as_zset, limits, removed_from, store, write_zset, Scored};
use crate::strtod::c_string_double;
use crate::types::zset::{LexBound, LexRange, ScoreRange, ZSet};
use crate::{Error, Result};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    let doc = |d: CommandDef<Handler>, since, summary| d.doc(Group::SortedSet, since, summary);
    let one = |d: CommandDef<Handler>| d.keys(1, 1, 1);
    vec![
        doc(one(cmd("zcount", 4, READONLY | FAST, zcount)), "2.0.0", "Count the members in a sorted set with scores within the given values"),
        doc(one(cmd("zlexcount", 4, READONLY | FAST, zlexcount)), "2.8.9", "Count the number of members in a sorted set between a given lexicographical range"),
        doc(one(cmd("zrange", -4, READONLY, zrange)), "1.2.0", "Return a range of members in a sorted set"),
        doc(one(cmd("zrangebylex", -4, READONLY, zrangebylex)), "2.8.9", "Return a range of members in a sorted set, by lexicographical range"),
        doc(one(cmd("zrangebyscore", -4, READONLY, zrangebyscore)), "1.0.5", "Return a range of members in a sorted set, by score"),
        doc(cmd("zrangestore", -5, WRITE | DENYOOM | TOUCHES_ITSELF, zrangestore).keys(1, 2, 1), "6.2.0", "Store a range of members from sorted set into another key"),
        doc(one(cmd("zremrangebylex", 4, WRITE, zremrangebylex)), "2.8.9", "Remove all members in a sorted set between the given lexicographical range"),
        doc(one(cmd("zremrangebyrank", 4, WRITE, zremrangebyrank)), "2.0.0", "Remove all members in a sorted set within the given indexes"),
        doc(one(cmd("zremrangebyscore", 4, WRITE, zremrangebyscore)), "1.2.0", "Remove all members in a sorted set within the given scores"),
        doc(one(cmd("zrevrange", -4, READONLY, zrevrange)), "1.2.0", "Return a range of members in a sorted set, by index, with scores ordered from high to low"),
        doc(one(cmd("zrevrangebylex", -4, READONLY, zrevrangebylex)), "2.8.9", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings."),
        doc(one(cmd("zrevrangebyscore", -4, READONLY, zrevrangebyscore)), "2.2.0", "Return a range of members in a sorted set, by score, with scores ordered from high to low"),
    ]
}

/// Parses a score interval like Redis's `zslParseRange`: `(` makes a bound
/// exclusive; the rest is read with `strtod`.
pub(super) fn score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange> {
    let bound = |arg: &[u8]| match arg.split_first() {
        Some((b'(', rest)) => c_string_double(rest).map(|v| (v, true)),
        _ => c_string_double(arg).map(|v| (v, false)),
    };
    match (bound(min), bound(max)) {
        (Some((min, min_exclusive)), Some((max, max_exclusive))) => Ok(ScoreRange {
            min,
            max,
            min_exclusive,
            max_exclusive,
        }),
        _ => Err(Error::err("min or max is not a float")),
    }
}

/// Parses a member interval like Redis's `zslParseLexRange`: `-`, `+`,
/// `[member` or `(member`.
fn lex_range(min: &[u8], max: &[u8]) -> Result<LexRange> {
    let bound = |arg: &[u8]| match arg {
        [b'-'] => Some(LexBound::Min),
        [b'+'] => Some(LexBound::Max),
        [b'[', rest @ ..] => Some(LexBound::Inclusive(rest.to_vec())),
        [b'(', rest @ ..] => Some(LexBound::Exclusive(rest.to_vec())),
        _ => None,
    };
    match (bound(min), bound(max)) {
        (Some(min), Some(max)) => Ok(LexRange { min, max }),
        _ => Err(Error::err("min or max not valid string range item")),
    }
}

/// What a ZRANGE-like command selects by.
#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    Auto,
    Rank,
    Score,
    Lex,
}

/// A parsed range request.
enum Bounds {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

fn zrange(ctx: &mut Ctx) -> Result<()> {
    zrange_generic(ctx, false, By::Auto, None)
}

fn zrangestore(ctx: &mut Ctx) -> Result<()> {
    zrange_generic(ctx, true, By::Auto, None)
}

fn zrevrange(ctx: &mut Ctx) -> Result<()> {
    zrange_generic(ctx, false, By::Rank, Some(true))
}

fn zrangebyscore(ctx: &mut Ctx) -> Result<()> {
    zrange_generic(ctx, false, By::Score, Some(false))
}

fn zrevrangebyscore(ctx: &mut Ctx) -> Result<()> {
    zrange_generic(ctx, false, By::Score, Some(true))
}

fn zrangebylex(ctx: &mut Ctx) -> Result<()> {
    zrange_generic(ctx, false, By::Lex, Some(false))
}

fn zrevrangebylex(ctx: &mut Ctx) -> Result<()> {
    zrange_generic(ctx, false, By::Lex, Some(true))
}

/// ZRANGE, ZRANGESTORE and the older range commands, like Redis's
/// `zrangeGenericCommand`: `src min max [BYSCORE|BYLEX] [REV] [WITHSCORES]
/// [LIMIT offset count]`, where a command fixes what it selects by (`by`)
/// or its direction (`rev`). ZRANGESTORE has the destination first.
fn zrange_generic(
    ctx: &mut Ctx,
    store_result: bool,
    mut by: By,
    mut rev: Option<bool>,
) -> Result<()> {
    let argv = ctx.args;
    let src = if store_result { 2 } else { 1 };
    let (mut withscores, mut offset, mut limit) = (false, 0i64, -1i64);
    let mut j = src + 3;
    while j < argv.len() {
        let opt = &argv[j][..];
        if !store_result && args::is(opt, "withscores") {
            withscores = true;
        } else if args::is(opt, "limit") && argv.len() - j > 2 {
            offset = args::int(&argv[j + 1])?;
            limit = args::int(&argv[j + 2])?;
            j += 2;
        } else if rev.is_none() && args::is(opt, "rev") {
            rev = Some(true);
        } else if by == By::Auto && args::is(opt, "bylex") {
            by = By::Lex;
        } else if by == By::Auto && args::is(opt, "byscore") {
            by = By::Score;
        } else {
            return Err(Error::Syntax);
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    if by == By::Auto {
        by = By::Rank;
    }
    if limit != -1 && by == By::Rank {
        return Err(Error::err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && by == By::Lex {
        return Err(Error::err(
            "syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    // The score and lex forms take the range as max min when reversed.
    let (min, max) = match (by, rev) {
        (By::Rank, _) | (_, false) => (&argv[src + 1][..], &argv[src + 2][..]),
        _ => (&argv[src + 2][..], &argv[src + 1][..]),
    };
    let bounds = match by {
        By::Score => Bounds::Score(score_range(min, max)?),
        By::Lex => Bounds::Lex(lex_range(min, max)?),
        _ => Bounds::Rank(args::int(min)?, args::int(max)?),
    };
    let select = |z: &ZSet| selection(z, &bounds, rev, offset, limit);
    if store_result {
        let picked = as_zset(ctx.lookup_read(&argv[src]))?.map(|z| {
            let mut pairs = Vec::new();
            z.range(select(z), rev, |m, s| pairs.push((m.to_vec(), s)));
            pairs
        });
        let limits = limits(ctx);
        let result = ZSet::from_pairs(picked.unwrap_or_default(), &limits);
        store(ctx, &argv[1], result, "zrangestore");
        return Ok(());
    }
    let (value, out) = ctx.read(&argv[src]);
    let Some(zset) = as_zset(value)? else {
        out.array(0);
        return Ok(());
    };
    let ranks = select(zset);
    let scored = Scored::new(out, withscores);
    scored.header(out, ranks.len());
    zset.range(ranks, rev, |m, s| scored.item(out, m, s));
    Ok(())
}

/// The ranks to emit, counted from the end when `rev` (see
/// [`ZSet::range`]). LIMIT skips `offset` members of the range (a negative
/// offset selects nothing, as in Redis) and keeps `limit` (all if negative).
fn selection(z: &ZSet, bounds: &Bounds, rev: bool, offset: i64, limit: i64) -> Range<usize> {
    let len = z.len();
    let forward = match bounds {
        Bounds::Rank(start, end) => return args::index_range(*start, *end, len).unwrap_or(0..0),
        Bounds::Score(range) => z.score_ranks(range),
        Bounds::Lex(range) => z.lex_ranks(range, rev),
    };
    let ranks = if rev {
        len - forward.end..len - forward.start
    } else {
        forward
    };
    let Ok(offset) = usize::try_from(offset) else {
        return 0..0;
    };
    let start = ranks.start.saturating_add(offset).min(ranks.end);
    let end = match usize::try_from(limit) {
        Ok(limit) => start.saturating_add(limit).min(ranks.end),
        Err(_) => ranks.end,
    };
    start..end
}

fn zcount(ctx: &mut Ctx) -> Result<()> {
    let range = score_range(ctx.arg(2), ctx.arg(3))?;
    let n = as_zset(ctx.lookup_read(ctx.arg(1)))?.map_or(0, |z| z.score_ranks(&range).len());
    ctx.out.integer(n as i64);
    Ok(())
}

fn zlexcount(ctx: &mut Ctx) -> Result<()> {
    let range = lex_range(ctx.arg(2), ctx.arg(3))?;
    let n = as_zset(ctx.lookup_read(ctx.arg(1)))?.map_or(0, |z| z.lex_ranks(&range, false).len());
    ctx.out.integer(n as i64);
    Ok(())
}

fn zremrangebyrank(ctx: &mut Ctx) -> Result<()> {
    let bounds = Bounds::Rank(args::int(ctx.arg(2))?, args::int(ctx.arg(3))?);
    remove_range(ctx, bounds)
}

fn zremrangebyscore(ctx: &mut Ctx) -> Result<()> {
    let bounds = Bounds::Score(score_range(ctx.arg(2), ctx.arg(3))?);
    remove_range(ctx, bounds)
}

fn zremrangebylex(ctx: &mut Ctx) -> Result<()> {
    let bounds = Bounds::Lex(lex_range(ctx.arg(2), ctx.arg(3))?);
    remove_range(ctx, bounds)
}

/// ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX.
fn remove_range(ctx: &mut Ctx, bounds: Bounds) -> Result<()> {
    let event = match bounds {
        Bounds::Rank(..) => "zremrangebyrank",
        Bounds::Score(_) => "zremrangebyscore",
        Bounds::Lex(_) => "zremrangebylex",
    };
    let key = ctx.arg(1);
    let Some(zset) = write_zset(ctx, key)? else {
        ctx.out.integer(0);
        return Ok(());
    };
    let ranks = selection(zset, &bounds, false, 0, -1);
    let removed = ranks.len();
    zset.remove_ranks(ranks);
    if removed > 0 {
        removed_from(ctx, key, event);
    }
    ctx.dirty(removed as u64);
    ctx.out.integer(removed as i64);
    Ok(())
}
