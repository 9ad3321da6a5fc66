//! Set algebra over sorted sets (and plain sets, read as members scoring
//! 1): ZUNION ZINTER ZDIFF, their STORE forms and ZINTERCARD, like Redis's
//! `zunionInterDiffGenericCommand`.

use indexmap::IndexMap;

use super::super::flags::*;
use super::super::{args, cmd, CommandDef, Ctx, Group, Handler};
use super::{limits, store, Scored};
use crate::strtod::string2d;
use crate::types::zset::{Ranked, ZSet};
use crate::types::Set;
use crate::{Error, Result, Value};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    let doc = |d: CommandDef<Handler>, since, summary| d.doc(Group::SortedSet, since, summary);
    let stored = |d: CommandDef<Handler>| d.keys(1, 1, 1);
    vec![
        doc(
            cmd("zdiff", -3, READONLY, zdiff).numkeys(1),
            "6.2.0",
            "Subtract multiple sorted sets",
        ),
        doc(
            stored(cmd("zdiffstore", -4, WRITE | DENYOOM, zdiffstore)).numkeys(2),
            "6.2.0",
            "Subtract multiple sorted sets and store the resulting sorted set in a new key",
        ),
        doc(
            cmd("zinter", -3, READONLY, zinter).numkeys(1),
            "6.2.0",
            "Intersect multiple sorted sets",
        ),
        doc(
            cmd("zintercard", -3, READONLY, zintercard).numkeys(1),
            "7.0.0",
            "Intersect multiple sorted sets and return the cardinality of the result",
        ),
        doc(
            stored(cmd("zinterstore", -4, WRITE | DENYOOM, zinterstore)).numkeys(2),
            "2.0.0",
            "Intersect multiple sorted sets and store the resulting sorted set in a new key",
        ),
        doc(
            cmd("zunion", -3, READONLY, zunion).numkeys(1),
            "6.2.0",
            "Add multiple sorted sets",
        ),
        doc(
            stored(cmd("zunionstore", -4, WRITE | DENYOOM, zunionstore)).numkeys(2),
            "2.0.0",
            "Add multiple sorted sets and store the resulting sorted set in a new key",
        ),
    ]
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

/// What the command returns.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    /// The members (ZUNION, ZINTER, ZDIFF).
    Reply,
    /// Stored under the first argument (the STORE forms).
    Store,
    /// Only how many (ZINTERCARD).
    Cardinality,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    fn apply(self, acc: &mut f64, value: f64) {
        match self {
            // +inf + -inf is NaN; Redis makes it 0.
            Aggregate::Sum => {
                *acc += value;
                if acc.is_nan() {
                    *acc = 0.0;
                }
            }
            Aggregate::Min => *acc = acc.min(value),
            Aggregate::Max => *acc = acc.max(value),
        }
    }
}

/// One input: a sorted set, a set (every member scores 1), or a missing key.
#[derive(Clone, Copy)]
enum Source<'a> {
    Missing,
    Set(&'a Set),
    ZSet(&'a ZSet),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::Set(s) => s.len(),
            Source::ZSet(z) => z.len(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::Set(s) => s.contains(member).then_some(1.0),
            Source::ZSet(z) => z.score(member),
        }
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Source::Missing => {}
            Source::Set(s) => {
                let mut buf = itoa::Buffer::new();
                s.iter().for_each(|e| f(e.bytes(&mut buf), 1.0));
            }
            Source::ZSet(z) => z.for_each(f),
        }
    }
}

fn zunionstore(ctx: &mut Ctx) -> Result<()> {
    generic(ctx, Op::Union, Output::Store)
}

fn zinterstore(ctx: &mut Ctx) -> Result<()> {
    generic(ctx, Op::Inter, Output::Store)
}

fn zdiffstore(ctx: &mut Ctx) -> Result<()> {
    generic(ctx, Op::Diff, Output::Store)
}

fn zunion(ctx: &mut Ctx) -> Result<()> {
    generic(ctx, Op::Union, Output::Reply)
}

fn zinter(ctx: &mut Ctx) -> Result<()> {
    generic(ctx, Op::Inter, Output::Reply)
}

fn zintercard(ctx: &mut Ctx) -> Result<()> {
    generic(ctx, Op::Inter, Output::Cardinality)
}

fn zdiff(ctx: &mut Ctx) -> Result<()> {
    generic(ctx, Op::Diff, Output::Reply)
}

/// The options after the keys.
struct Options {
    weights: Vec<f64>,
    aggregate: Aggregate,
    withscores: bool,
    /// ZINTERCARD's LIMIT; 0 is no limit.
    limit: usize,
}

impl Options {
    /// Parses `[WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
    /// [LIMIT n]` as far as `op` and `output` allow each.
    fn parse(list: &[bytes::Bytes], keys: usize, op: Op, output: Output) -> Result<Options> {
        let mut o = Options {
            weights: vec![1.0; keys],
            aggregate: Aggregate::Sum,
            withscores: false,
            limit: 0,
        };
        let algebra = op != Op::Diff && output != Output::Cardinality;
        let mut rest = list;
        while let [opt, tail @ ..] = rest {
            if algebra && tail.len() >= keys && args::is(opt, "weights") {
                for (w, arg) in o.weights.iter_mut().zip(tail) {
                    *w = string2d(arg).ok_or_else(|| Error::err("weight value is not a float"))?;
                }
                rest = &tail[keys..];
            } else if algebra && !tail.is_empty() && args::is(opt, "aggregate") {
                let name = &tail[0];
                o.aggregate = if args::is(name, "sum") {
                    Aggregate::Sum
                } else if args::is(name, "min") {
                    Aggregate::Min
                } else if args::is(name, "max") {
                    Aggregate::Max
                } else {
                    return Err(Error::Syntax);
                };
                rest = &tail[1..];
            } else if output == Output::Reply && args::is(opt, "withscores") {
                o.withscores = true;
                rest = tail;
            } else if output == Output::Cardinality && !tail.is_empty() && args::is(opt, "limit") {
                o.limit = args::int_in(&tail[0], 0, i64::MAX, "LIMIT can't be negative")? as usize;
                rest = &tail[1..];
            } else {
                return Err(Error::Syntax);
            }
        }
        Ok(o)
    }
}

/// All seven commands: `[destination] numkeys key [key ...] options`.
fn generic(ctx: &mut Ctx, op: Op, output: Output) -> Result<()> {
    let argv = ctx.args;
    let numkeys_at = if output == Output::Store { 2 } else { 1 };
    let numkeys = args::int(&argv[numkeys_at])?;
    if numkeys < 1 {
        return Err(Error::err(format!(
            "at least 1 input key is needed for '{}' command",
            ctx.name()
        )));
    }
    let first = numkeys_at + 1;
    let keys = usize::try_from(numkeys)
        .ok()
        .filter(|&n| n <= argv.len() - first)
        .map(|n| &argv[first..first + n])
        .ok_or(Error::Syntax)?;
    // Keys are looked up (and their types checked) before the options.
    let mut found = Vec::with_capacity(keys.len());
    for key in keys {
        let present = match ctx.lookup_read(key) {
            None => false,
            Some(Value::ZSet(_) | Value::Set(_)) => true,
            Some(_) => return Err(Error::WrongType),
        };
        found.push(present);
    }
    let opts = Options::parse(&argv[first + keys.len()..], keys.len(), op, output)?;
    let db = ctx.db();
    let mut sources: Vec<(Source<'_>, f64)> = keys
        .iter()
        .zip(&found)
        .zip(&opts.weights)
        .map(|((key, &present), &w)| {
            let source = match db.get(key) {
                Some(Value::ZSet(z)) if present => Source::ZSet(z),
                Some(Value::Set(s)) if present => Source::Set(s),
                _ => Source::Missing,
            };
            (source, w)
        })
        .collect();
    if op != Op::Diff {
        // Smallest first (a stable sort, like glibc's qsort here).
        sources.sort_by_key(|(s, _)| s.len());
    }
    let limit = if output == Output::Cardinality {
        opts.limit
    } else {
        0
    };
    let result = match op {
        Op::Union => union(&sources, opts.aggregate),
        Op::Inter => inter(&sources, opts.aggregate, limit),
        Op::Diff => diff(&sources),
    };
    match output {
        Output::Cardinality => ctx.out.integer(result.len() as i64),
        Output::Store => {
            let mut zset = ZSet::Tree(Box::new(result));
            zset.compact(&limits(ctx));
            let event = match op {
                Op::Union => "zunionstore",
                Op::Inter => "zinterstore",
                Op::Diff => "zdiffstore",
            };
            store(ctx, &argv[1], zset, event);
        }
        Output::Reply => {
            let scored = Scored::new(&ctx.out, opts.withscores);
            scored.header(&mut ctx.out, result.len());
            for (m, s) in result.iter(0, false) {
                scored.item(&mut ctx.out, m, s);
            }
        }
    }
    Ok(())
}

/// A source's score times its weight; NaN (0 * inf) counts as 0.
fn weighted(score: f64, weight: f64) -> f64 {
    let v = score * weight;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

fn union(sources: &[(Source<'_>, f64)], aggregate: Aggregate) -> Ranked {
    let mut acc: IndexMap<Vec<u8>, f64, foldhash::fast::RandomState> = IndexMap::default();
    for (source, weight) in sources {
        source.for_each(|m, s| {
            let v = weighted(s, *weight);
            match acc.get_mut(m) {
                Some(total) => aggregate.apply(total, v),
                None => {
                    acc.insert(m.to_vec(), v);
                }
            }
        });
    }
    let mut result = Ranked::with_capacity(acc.len());
    for (m, s) in &acc {
        result.insert(m, *s);
    }
    result
}

/// Members of the first (smallest) source found in all others; stops after
/// `limit` members when it is not 0.
fn inter(sources: &[(Source<'_>, f64)], aggregate: Aggregate, limit: usize) -> Ranked {
    let mut result = Ranked::default();
    let Some(((first, w0), others)) = sources.split_first() else {
        return result;
    };
    let mut done = false;
    first.for_each(|m, s| {
        if done {
            return;
        }
        let mut score = weighted(s, *w0);
        for (source, weight) in others {
            match source.score(m) {
                Some(v) => aggregate.apply(&mut score, v * weight),
                None => return,
            }
        }
        result.insert(m, score);
        done = limit != 0 && result.len() >= limit;
    });
    result
}

/// Members of the first source in none of the others, with their scores.
fn diff(sources: &[(Source<'_>, f64)]) -> Ranked {
    let mut result = Ranked::default();
    let Some(((first, _), others)) = sources.split_first() else {
        return result;
    };
    first.for_each(|m, s| {
        if others.iter().all(|(o, _)| o.score(m).is_none()) {
            result.insert(m, s);
        }
    });
    result
}
