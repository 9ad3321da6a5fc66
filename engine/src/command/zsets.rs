//! Sorted set commands. Ranges live in [`range`], the blocking and
//! non-blocking pops in [`pop`], and the set algebra (ZUNION, ZINTER,
//! ZDIFF and their STORE forms) in [`algebra`].

mod algebra;
mod pop;
mod range;

use bytes::Bytes;
use resp::{Protocol, Writer};

use super::elements::{
    check_chosen_reply, empty_scan, parse_cursor, scan_options, scan_reply, signed_count,
    MIN_PICK_BYTES,
};
use super::flags::*;
use super::{args, cmd, CommandDef, Ctx, Group, Handler};
use crate::strtod::string2d;
use crate::types::zset::ZSet;
use crate::types::{Entry, Limits};
use crate::{notify, Error, Result, Value};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    let doc = |d: CommandDef<Handler>, since, summary| d.doc(Group::SortedSet, since, summary);
    let one = |d: CommandDef<Handler>| d.keys(1, 1, 1);
    let mut all = vec![
        doc(
            one(cmd("zadd", -4, WRITE | DENYOOM | FAST, zadd)),
            "1.2.0",
            "Add one or more members to a sorted set, or update its score if it already exists",
        ),
        doc(
            one(cmd("zcard", 2, READONLY | FAST, zcard)),
            "1.2.0",
            "Get the number of members in a sorted set",
        ),
        doc(
            one(cmd("zincrby", 4, WRITE | DENYOOM | FAST, zincrby)),
            "1.2.0",
            "Increment the score of a member in a sorted set",
        ),
        doc(
            one(cmd("zmscore", -3, READONLY | FAST, zmscore)),
            "6.2.0",
            "Get the score associated with the given members in a sorted set",
        ),
        doc(
            one(cmd("zrandmember", -2, READONLY, zrandmember)),
            "6.2.0",
            "Get one or multiple random elements from a sorted set",
        ),
        doc(
            one(cmd("zrank", 3, READONLY | FAST, zrank)),
            "2.0.0",
            "Determine the index of a member in a sorted set",
        ),
        doc(
            one(cmd("zrem", -3, WRITE | FAST, zrem)),
            "1.2.0",
            "Remove one or more members from a sorted set",
        ),
        doc(
            one(cmd("zrevrank", 3, READONLY | FAST, zrevrank)),
            "2.0.0",
            "Determine the index of a member in a sorted set, with scores ordered from high to low",
        ),
        doc(
            one(cmd("zscan", -3, READONLY, zscan)),
            "2.8.0",
            "Incrementally iterate sorted sets elements and associated scores",
        ),
        doc(
            one(cmd("zscore", 3, READONLY | FAST, zscore)),
            "1.2.0",
            "Get the score associated with the given member in a sorted set",
        ),
    ];
    all.extend(range::commands());
    all.extend(pop::commands());
    all.extend(algebra::commands());
    all
}

/// A looked-up value as a sorted set; WRONGTYPE for other types.
pub(super) fn as_zset(value: Option<&Value>) -> Result<Option<&ZSet>> {
    match value {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(Error::WrongType),
    }
}

/// The sorted set under `key` for writing; WRONGTYPE for other types.
fn write_zset<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut ZSet>> {
    match ctx.lookup_write(key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(Error::WrongType),
    }
}

/// Notifies `event` on `key`, whose sorted set lost members, then deletes
/// the key (notifying `del`) if it became empty.
fn removed_from(ctx: &mut Ctx, key: &[u8], event: &'static str) {
    ctx.notify(notify::ZSET, event, key);
    if matches!(ctx.db().get(key), Some(Value::ZSet(z)) if z.is_empty()) {
        ctx.delete(key);
    }
}

fn limits(ctx: &Ctx) -> Limits {
    ctx.eng.limits
}

/// Stores `zset` under `dst` as the STORE commands do (any old value and
/// its expiry go), notifying `event`, and replies its size; an empty result
/// deletes `dst`.
pub(super) fn store(ctx: &mut Ctx, dst: &[u8], zset: ZSet, event: &'static str) {
    // Marked for WATCH here, not by key position: ZRANGESTORE's source is
    // only read.
    let existed = ctx.exists(dst);
    if zset.is_empty() {
        if existed {
            ctx.delete(dst);
            ctx.touch(dst);
            ctx.dirty(1);
        }
        ctx.out.integer(0);
        return;
    }
    let len = zset.len();
    ctx.set_key(dst, Value::ZSet(zset), false);
    ctx.touch(dst);
    if !existed {
        ctx.signal_ready(dst);
    }
    ctx.notify(notify::ZSET, event, dst);
    ctx.dirty(1);
    ctx.out.integer(len as i64);
}

/// How members are listed with their scores: Redis 7.0 answers flat
/// `member score` pairs in RESP2 and `[member, score]` arrays in RESP3.
#[derive(Clone, Copy)]
struct Scored {
    withscores: bool,
    nested: bool,
}

impl Scored {
    fn new(out: &Writer, withscores: bool) -> Scored {
        Scored {
            withscores,
            nested: withscores && out.protocol() == Protocol::Resp3,
        }
    }

    /// The array header for `n` members.
    fn header(self, out: &mut Writer, n: usize) {
        out.array(if self.withscores && !self.nested {
            2 * n
        } else {
            n
        });
    }

    fn item(self, out: &mut Writer, member: &[u8], score: f64) {
        if self.nested {
            out.array(2);
        }
        out.bulk(member);
        if self.withscores {
            out.double(score);
        }
    }
}

/// A score argument, parsed like Redis's `getDoubleFromObjectOrReply`.
fn score_arg(arg: &[u8]) -> Result<f64> {
    string2d(arg).ok_or(Error::NotFloat)
}

// ---- ZADD, ZINCRBY, ZREM ----

fn zadd(ctx: &mut Ctx) -> Result<()> {
    zadd_generic(ctx, ctx.args, false)
}

fn zincrby(ctx: &mut Ctx) -> Result<()> {
    zadd_generic(ctx, ctx.args, true)
}

/// The options of ZADD (ZINCRBY is ZADD with INCR).
#[derive(Default)]
struct ZaddOpts {
    nx: bool,
    xx: bool,
    ch: bool,
    incr: bool,
    gt: bool,
    lt: bool,
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...],
/// like Redis's `zaddGenericCommand` (option words are read up front, then
/// every score, before the key is touched). `argv` is the command as
/// received, or as GEOADD rewrites it.
pub(super) fn zadd_generic(ctx: &mut Ctx, argv: &[Bytes], incr: bool) -> Result<()> {
    let mut o = ZaddOpts {
        incr,
        ..ZaddOpts::default()
    };
    let mut i = 2;
    while let Some(opt) = argv.get(i) {
        let flag = match opt.to_ascii_lowercase().as_slice() {
            b"nx" => &mut o.nx,
            b"xx" => &mut o.xx,
            b"ch" => &mut o.ch,
            b"incr" => &mut o.incr,
            b"gt" => &mut o.gt,
            b"lt" => &mut o.lt,
            _ => break,
        };
        *flag = true;
        i += 1;
    }
    let rest = &argv[i..];
    if rest.is_empty() || rest.len() % 2 == 1 {
        return Err(Error::Syntax);
    }
    if o.nx && o.xx {
        return Err(Error::err(
            "XX and NX options at the same time are not compatible",
        ));
    }
    if (o.nx && (o.gt || o.lt)) || (o.gt && o.lt) {
        return Err(Error::err(
            "GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if o.incr && rest.len() > 2 {
        return Err(Error::err(
            "INCR option supports a single increment-element pair",
        ));
    }
    let scores = rest
        .chunks(2)
        .map(|pair| score_arg(&pair[0]))
        .collect::<Result<Vec<f64>>>()?;
    let key = &argv[1][..];
    let limits = limits(ctx);
    if write_zset(ctx, key)?.is_none() {
        if o.xx {
            match o.incr {
                true => ctx.out.null(),
                false => ctx.out.integer(0),
            }
            return Ok(());
        }
        let first = ZSet::for_first_member(rest[1].len(), &limits);
        ctx.set_key(key, Value::ZSet(first), false);
        ctx.signal_ready(key);
    }
    let zset = write_zset(ctx, key)?.expect("present");
    let (mut added, mut updated, mut processed) = (0, 0, 0);
    let mut last = 0.0;
    for (pair, &score) in rest.chunks(2).zip(&scores) {
        let member = &pair[1][..];
        let new = match zset.score(member) {
            Some(_) if o.nx => continue,
            Some(cur) => {
                let new = if o.incr { score + cur } else { score };
                if new.is_nan() {
                    return Err(Error::err("resulting score is not a number (NaN)"));
                }
                if (o.lt && new >= cur) || (o.gt && new <= cur) {
                    continue;
                }
                if new != cur {
                    zset.insert(member, new, &limits);
                    updated += 1;
                }
                new
            }
            None if o.xx => continue,
            None => {
                zset.insert(member, score, &limits);
                added += 1;
                score
            }
        };
        processed += 1;
        last = new;
    }
    ctx.dirty(added + updated);
    if added + updated > 0 {
        let event = if o.incr { "zincr" } else { "zadd" };
        ctx.notify(notify::ZSET, event, key);
    }
    if o.incr {
        match processed {
            0 => ctx.out.null(),
            _ => ctx.out.double(last),
        }
    } else {
        let n = if o.ch { added + updated } else { added };
        ctx.out.integer(n as i64);
    }
    Ok(())
}

fn zrem(ctx: &mut Ctx) -> Result<()> {
    let (key, members) = (ctx.arg(1), &ctx.args[2..]);
    let Some(zset) = write_zset(ctx, key)? else {
        ctx.out.integer(0);
        return Ok(());
    };
    let mut removed = 0;
    for m in members {
        removed += usize::from(zset.remove(m).is_some());
        if zset.is_empty() {
            break;
        }
    }
    if removed > 0 {
        removed_from(ctx, key, "zrem");
    }
    ctx.dirty(removed as u64);
    ctx.out.integer(removed as i64);
    Ok(())
}

// ---- Reads ----

fn zcard(ctx: &mut Ctx) -> Result<()> {
    let len = as_zset(ctx.lookup_read(ctx.arg(1)))?.map_or(0, ZSet::len);
    ctx.out.integer(len as i64);
    Ok(())
}

fn zscore(ctx: &mut Ctx) -> Result<()> {
    let (key, member) = (ctx.arg(1), ctx.arg(2));
    let (value, out) = ctx.read(key);
    match as_zset(value)?.and_then(|z| z.score(member)) {
        Some(score) => out.double(score),
        None => out.null(),
    }
    Ok(())
}

fn zmscore(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    let (value, out) = ctx.read(&argv[1]);
    let zset = as_zset(value)?;
    out.array(argv.len() - 2);
    for member in &argv[2..] {
        match zset.and_then(|z| z.score(member)) {
            Some(score) => out.double(score),
            None => out.null(),
        }
    }
    Ok(())
}

fn zrank(ctx: &mut Ctx) -> Result<()> {
    rank(ctx, false)
}

fn zrevrank(ctx: &mut Ctx) -> Result<()> {
    rank(ctx, true)
}

fn rank(ctx: &mut Ctx, rev: bool) -> Result<()> {
    let (key, member) = (ctx.arg(1), ctx.arg(2));
    let (value, out) = ctx.read(key);
    let Some(zset) = as_zset(value)? else {
        out.null();
        return Ok(());
    };
    match zset.rank(member) {
        Some(r) if rev => out.integer((zset.len() - 1 - r) as i64),
        Some(r) => out.integer(r as i64),
        None => out.null(),
    }
    Ok(())
}

fn zscan(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    let cursor = parse_cursor(&argv[2])?;
    let (value, out) = ctx.read(&argv[1]);
    let Some(zset) = as_zset(value)? else {
        empty_scan(out);
        return Ok(());
    };
    let (count, pattern) = scan_options(&argv[3..])?;
    let mut owned: Vec<Vec<u8>> = Vec::new();
    let next = zset.scan(cursor, count, |m, s| {
        owned.push(m.to_vec());
        owned.push(s.to_vec());
    });
    let entries: Vec<Entry<'_>> = owned.iter().map(|e| Entry::Str(e)).collect();
    scan_reply(out, next, &entries, 2, pattern);
    Ok(())
}

/// ZRANDMEMBER key [count [WITHSCORES]], with Redis's cases: a negative
/// count may repeat members; a count at least the size returns the whole
/// set in order; a smaller one distinct members in no particular order.
fn zrandmember(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    let mut rng = rand::rng();
    let Some(count_arg) = argv.get(2) else {
        let (value, out) = ctx.read(&argv[1]);
        match as_zset(value)?.and_then(|z| z.random(&mut rng)) {
            Some((member, _)) => out.bulk(&member),
            None => out.null(),
        }
        return Ok(());
    };
    let count = signed_count(count_arg)?;
    let withscores = match argv.get(3) {
        None => false,
        Some(w) if argv.len() == 4 && args::is(w, "withscores") => true,
        Some(_) => return Err(Error::Syntax),
    };
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(Error::err("value is out of range"));
    }
    let (value, out) = ctx.read(&argv[1]);
    let Some(zset) = as_zset(value)? else {
        out.array(0);
        return Ok(());
    };
    let scored = Scored::new(out, withscores);
    let size = zset.len();
    let n = count.unsigned_abs() as usize;
    if count == 0 {
        out.array(0);
    } else if count < 0 || n == 1 {
        check_chosen_reply(n as u64, MIN_PICK_BYTES * (1 + u64::from(withscores)))?;
        scored.header(out, n);
        for _ in 0..n {
            let (member, score) = zset.random(&mut rng).expect("not empty");
            scored.item(out, &member, score);
        }
    } else if n >= size {
        // Redis walks the set from its end here.
        scored.header(out, size);
        zset.range(0..size, true, |m, s| scored.item(out, m, s));
    } else {
        let mut ranks = rand::seq::index::sample(&mut rng, size, n).into_vec();
        ranks.sort_unstable();
        scored.header(out, n);
        let mut picked = ranks.into_iter().peekable();
        let mut rank = 0;
        zset.for_each(|m, s| {
            if picked.next_if_eq(&rank).is_some() {
                scored.item(out, m, s);
            }
            rank += 1;
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::*;

    #[test]
    fn writes_propagate_like_redis() {
        let mut t = TestEngine::new();
        t.run("ZADD z 1 a 2 b 3 c 4 d");
        t.run("ZADD z NX 9 a");
        t.run("ZINCRBY z 1 a");
        t.run("ZPOPMIN z");
        t.run("ZMPOP 1 z MAX COUNT 10");
        t.run("ZADD z 1 a");
        t.run("BZPOPMAX z 0");
        t.run("ZADD z 1 a 2 b");
        t.run("BZMPOP 0 1 z MIN COUNT 1");
        t.run("ZREM z nothere");
        t.run("ZUNIONSTORE out 1 nokey");
        assert_eq!(
            t.propagated(),
            [
                "ZADD z 1 a 2 b 3 c 4 d",
                "ZINCRBY z 1 a",
                "ZPOPMIN z",
                "ZPOPMAX z 3",
                "ZADD z 1 a",
                "ZPOPMAX z",
                "ZADD z 1 a 2 b",
                "ZPOPMIN z 1",
            ]
        );
    }

    #[test]
    fn blocking_pops_park_and_are_served_from_the_ready_key() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("BZPOPMIN a b 2"), "");
        let wait = t.eng.take_block().expect("parked");
        assert_eq!(wait.deadline, Some(NOW + 2000));
        t.run("ZADD b 1 x");
        t.run("ZADD a 1 y");
        t.propagated();
        let served = t.run_served("BZPOPMIN a b 2", "b");
        assert_eq!(served, "*3\r\n$1\r\nb\r\n$1\r\nx\r\n$1\r\n1\r\n");
        assert_eq!(t.propagated(), ["ZPOPMIN b"]);
        // A ready key now holding another type keeps the client waiting.
        t.run("SET b str");
        assert_eq!(t.run_served("BZMPOP 0 1 b MIN", "b"), "");
        assert!(t.eng.take_block().is_some());
        assert_eq!(t.run_unblockable("BZMPOP 0 1 nokey MIN"), "*-1\r\n");
        assert_eq!(t.run_unblockable("BZPOPMIN nokey 0"), "*-1\r\n");
    }

    #[test]
    fn mpop_marks_its_key_for_watch() {
        let mut t = TestEngine::new();
        t.run("ZADD z 1 a 2 b");
        t.eng.track_touched(true);
        t.run("ZMPOP 2 none z MIN");
        t.run("BZMPOP 0 1 z MIN");
        let keys: Vec<_> = t
            .eng
            .take_touched()
            .keys
            .into_iter()
            .map(|(_, k)| k)
            .collect();
        assert_eq!(keys, ["z", "z"]);
    }

    #[test]
    fn dirty_counts_members_changed() {
        let mut t = TestEngine::new();
        t.run("ZADD z 1 a 2 b 3 c");
        assert_eq!(t.eng.dirty(), 3);
        t.run("ZADD z CH 1 a 5 b 4 d");
        assert_eq!(t.eng.dirty(), 5);
        t.run("ZREMRANGEBYSCORE z 4 5");
        assert_eq!(t.eng.dirty(), 7);
        t.run("ZINTERSTORE z2 1 z");
        t.run("ZINTERSTORE z2 1 nokey");
        t.run("ZINTERSTORE z2 1 nokey");
        assert_eq!(t.eng.dirty(), 9);
    }

    #[test]
    fn stores_wake_waiters_only_for_new_keys() {
        let mut t = TestEngine::new();
        t.eng.track_ready(true);
        t.run("ZADD z 1 a");
        t.run("ZADD z 2 b");
        t.run("ZUNIONSTORE out 1 z");
        t.run("ZUNIONSTORE out 1 z");
        let ready = t.ready_keys();
        assert_eq!(ready, ["z", "out"]);
    }

    #[test]
    fn resp3_scores_are_doubles() {
        let mut t = TestEngine::new();
        t.proto = resp::Protocol::Resp3;
        t.run("ZADD z 1.5 a 2 b");
        assert_eq!(t.run("ZSCORE z a"), ",1.5\r\n");
        assert_eq!(
            t.run("ZRANGE z 0 0 WITHSCORES"),
            "*1\r\n*2\r\n$1\r\na\r\n,1.5\r\n"
        );
        assert_eq!(t.run("ZPOPMAX z 1"), "*1\r\n*2\r\n$1\r\nb\r\n,2\r\n");
        assert_eq!(t.run("ZPOPMAX z"), "*2\r\n$1\r\na\r\n,1.5\r\n");
    }
}
