//! Set commands, as Redis 7.0's `t_set.c` answers them.

use bytes::Bytes;
use rand::Rng;

use super::elements::{
    check_chosen_reply, empty_scan, non_negative, parse_cursor, scan_options, scan_reply,
    signed_count, write_entry, MIN_PICK_BYTES,
};
use super::flags::*;
use super::{args, cmd, CommandDef, Ctx, Group, Handler};
use crate::types::{Entry, Set};
use crate::{notify, Error, Result, Value};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    let doc = |d: CommandDef<Handler>, since, summary| d.doc(Group::Set, since, summary);
    let one = |name, arity, flags, handler| cmd(name, arity, flags, handler).keys(1, 1, 1);
    let all = |name, arity, flags, handler| cmd(name, arity, flags, handler).keys(1, -1, 1);
    vec![
        doc(
            one("sadd", -3, WRITE | DENYOOM | FAST, sadd),
            "1.0.0",
            "Add one or more members to a set",
        ),
        doc(
            one("srem", -3, WRITE | FAST, srem),
            "1.0.0",
            "Remove one or more members from a set",
        ),
        doc(
            one("sismember", 3, READONLY | FAST, sismember),
            "1.0.0",
            "Determine if a given value is a member of a set",
        ),
        doc(
            one("smismember", -3, READONLY | FAST, smismember),
            "6.2.0",
            "Returns the membership associated with the given elements for a set",
        ),
        doc(
            one("scard", 2, READONLY | FAST, scard),
            "1.0.0",
            "Get the number of members in a set",
        ),
        doc(
            one("smembers", 2, READONLY, smembers),
            "1.0.0",
            "Get all the members in a set",
        ),
        doc(
            one("spop", -2, WRITE | FAST, spop),
            "1.0.0",
            "Remove and return one or multiple random members from a set",
        ),
        doc(
            one("srandmember", -2, READONLY, srandmember),
            "1.0.0",
            "Get one or multiple random members from a set",
        ),
        doc(
            cmd("smove", 4, WRITE | FAST, smove).keys(1, 2, 1),
            "1.0.0",
            "Move a member from one set to another",
        ),
        doc(
            all("sinter", -2, READONLY, sinter),
            "1.0.0",
            "Intersect multiple sets",
        ),
        // Keys follow a count: no fixed key range (Redis reports movablekeys).
        doc(
            cmd("sintercard", -3, READONLY, sintercard).numkeys(1),
            "7.0.0",
            "Intersect multiple sets and return the cardinality of the result",
        ),
        doc(
            all(
                "sinterstore",
                -3,
                WRITE | DENYOOM | TOUCHES_ITSELF,
                sinterstore,
            ),
            "1.0.0",
            "Intersect multiple sets and store the resulting set in a key",
        ),
        doc(
            all("sunion", -2, READONLY, sunion),
            "1.0.0",
            "Add multiple sets",
        ),
        doc(
            all(
                "sunionstore",
                -3,
                WRITE | DENYOOM | TOUCHES_ITSELF,
                sunionstore,
            ),
            "1.0.0",
            "Add multiple sets and store the resulting set in a key",
        ),
        doc(
            all("sdiff", -2, READONLY, sdiff),
            "1.0.0",
            "Subtract multiple sets",
        ),
        doc(
            all(
                "sdiffstore",
                -3,
                WRITE | DENYOOM | TOUCHES_ITSELF,
                sdiffstore,
            ),
            "1.0.0",
            "Subtract multiple sets and store the resulting set in a key",
        ),
        doc(
            one("sscan", -3, READONLY, sscan),
            "2.8.0",
            "Incrementally iterate Set elements",
        ),
    ]
}

/// The set in a looked-up value; WRONGTYPE for other types.
fn as_set(value: Option<&Value>) -> Result<Option<&Set>> {
    match value {
        None => Ok(None),
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(Error::WrongType),
    }
}

/// The set at `key` for writing; WRONGTYPE for other types.
fn set_mut<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut Set>> {
    match ctx.lookup_write(key) {
        None => Ok(None),
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(Error::WrongType),
    }
}

/// Stores a new set at `key`, in the encoding suited to its first member,
/// and returns it (the caller adds that member).
fn create<'c>(ctx: &'c mut Ctx, key: &[u8], first: &[u8]) -> &'c mut Set {
    ctx.set_key(key, Value::Set(Set::for_member(first)), false);
    match ctx.db().get_mut(key) {
        Some(Value::Set(s)) => s,
        _ => unreachable!("set just stored"),
    }
}

fn bytes_of(e: Entry<'_>) -> Bytes {
    Bytes::from(e.to_vec())
}

fn sadd(ctx: &mut Ctx) -> Result<()> {
    let (key, argv) = (ctx.arg(1), ctx.args);
    let limits = ctx.eng.limits;
    let set = match set_mut(ctx, key)? {
        Some(s) => s,
        None => create(ctx, key, &argv[2]),
    };
    let added = argv[2..].iter().filter(|m| set.insert(m, &limits)).count();
    if added > 0 {
        ctx.notify(notify::SET, "sadd", key);
    }
    ctx.dirty(added as u64);
    ctx.out.integer(added as i64);
    Ok(())
}

fn srem(ctx: &mut Ctx) -> Result<()> {
    let (key, argv) = (ctx.arg(1), ctx.args);
    let Some(set) = set_mut(ctx, key)? else {
        ctx.out.integer(0);
        return Ok(());
    };
    let mut removed = 0;
    let mut emptied = false;
    for member in &argv[2..] {
        if set.remove(member) {
            removed += 1;
            if set.is_empty() {
                emptied = true;
                break;
            }
        }
    }
    if removed > 0 {
        ctx.notify(notify::SET, "srem", key);
    }
    if emptied {
        ctx.delete(key);
    }
    ctx.dirty(removed);
    ctx.out.integer(removed as i64);
    Ok(())
}

fn sismember(ctx: &mut Ctx) -> Result<()> {
    let member = ctx.arg(2);
    let (value, out) = ctx.read(ctx.arg(1));
    out.integer(as_set(value)?.is_some_and(|s| s.contains(member)).into());
    Ok(())
}

fn smismember(ctx: &mut Ctx) -> Result<()> {
    let members = &ctx.args[2..];
    let (value, out) = ctx.read(ctx.arg(1));
    let set = as_set(value)?;
    out.array(members.len());
    for m in members {
        out.integer(set.is_some_and(|s| s.contains(m)).into());
    }
    Ok(())
}

fn scard(ctx: &mut Ctx) -> Result<()> {
    let (value, out) = ctx.read(ctx.arg(1));
    out.integer(as_set(value)?.map_or(0, Set::len) as i64);
    Ok(())
}

/// Redis 7.0 runs SMEMBERS as a one-key SINTER.
fn smembers(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    inter(ctx, &argv[1..2], Inter::Reply)
}

fn smove(ctx: &mut Ctx) -> Result<()> {
    let (src, dst, member) = (ctx.arg(1), ctx.arg(2), ctx.arg(3));
    let src_kind = ctx.lookup_write(src).map(|v| v.kind());
    let dst_kind = ctx.lookup_write(dst).map(|v| v.kind());
    let Some(src_kind) = src_kind else {
        ctx.out.integer(0);
        return Ok(());
    };
    if src_kind != crate::Kind::Set || dst_kind.is_some_and(|k| k != crate::Kind::Set) {
        return Err(Error::WrongType);
    }
    let limits = ctx.eng.limits;
    let set = set_mut(ctx, src)?.expect("checked above");
    if src == dst {
        let found = set.contains(member);
        ctx.out.integer(found.into());
        return Ok(());
    }
    if !set.remove(member) {
        ctx.out.integer(0);
        return Ok(());
    }
    let emptied = set.is_empty();
    ctx.notify(notify::SET, "srem", src);
    if emptied {
        ctx.delete(src);
    }
    ctx.dirty(1);
    let dst_set = match set_mut(ctx, dst)? {
        Some(s) => s,
        None => create(ctx, dst, member),
    };
    if dst_set.insert(member, &limits) {
        ctx.dirty(1);
        ctx.notify(notify::SET, "sadd", dst);
    }
    ctx.out.integer(1);
    Ok(())
}

fn spop(ctx: &mut Ctx) -> Result<()> {
    match ctx.args.len() {
        3 => return spop_count(ctx),
        n if n > 3 => return Err(Error::Syntax),
        _ => {}
    }
    let key = ctx.arg(1);
    let Some(set) = set_mut(ctx, key)? else {
        ctx.out.null();
        return Ok(());
    };
    let i = rand::rng().random_range(0..set.len());
    let member = bytes_of(set.member_at(i));
    set.remove_at(i);
    let emptied = set.is_empty();
    ctx.notify(notify::SET, "spop", key);
    if emptied {
        ctx.delete(key);
    }
    ctx.dirty(1);
    ctx.out.bulk(&member);
    ctx.propagate_as(vec![
        Bytes::from_static(b"SREM"),
        ctx.args[1].clone(),
        member,
    ]);
    Ok(())
}

/// SPOP with a count. The whole set: reply with it and delete the key
/// (propagated as DEL). A few members: pop them at random. Most of them:
/// keep a random rest in a new set and reply with the old one. Either way
/// each popped member is propagated as an SREM, like Redis 7.0.
fn spop_count(ctx: &mut Ctx) -> Result<()> {
    let (key, argv) = (ctx.arg(1), ctx.args);
    let count = non_negative(&argv[2], "value is out of range, must be positive")?;
    let limits = ctx.eng.limits;
    let Some(set) = set_mut(ctx, key)? else {
        ctx.out.set(0);
        return Ok(());
    };
    if count == 0 {
        ctx.out.set(0);
        return Ok(());
    }
    let size = set.len();
    let mut rng = rand::rng();
    let srem = |member: Bytes| vec![Bytes::from_static(b"SREM"), argv[1].clone(), member];
    let popped: Vec<Bytes> = if count >= size {
        let all: Vec<Bytes> = set.iter().map(bytes_of).collect();
        ctx.notify(notify::SET, "spop", key);
        ctx.delete(key);
        ctx.dirty(1);
        ctx.out.set(all.len());
        all.iter().for_each(|m| ctx.out.bulk(m));
        ctx.propagate_as(vec![Bytes::from_static(b"DEL"), argv[1].clone()]);
        return Ok(());
    } else if (size - count) * 5 > count {
        (0..count)
            .map(|_| {
                let i = rng.random_range(0..set.len());
                let member = bytes_of(set.member_at(i));
                set.remove_at(i);
                member
            })
            .collect()
    } else {
        let mut kept: Option<Set> = None;
        for _ in 0..size - count {
            let i = rng.random_range(0..set.len());
            let member = set.member_at(i).to_vec();
            kept.get_or_insert_with(|| Set::for_member(&member))
                .insert(&member, &limits);
            set.remove_at(i);
        }
        let popped = set.iter().map(bytes_of).collect();
        let kept = kept.expect("at least one member is kept");
        ctx.db().set(key, Value::Set(kept), true);
        popped
    };
    ctx.notify(notify::SET, "spop", key);
    ctx.dirty(1);
    ctx.out.set(popped.len());
    popped.iter().for_each(|m| ctx.out.bulk(m));
    ctx.propagate_all_as(popped.into_iter().map(srem).collect());
    Ok(())
}

fn srandmember(ctx: &mut Ctx) -> Result<()> {
    match ctx.args.len() {
        3 => return srandmember_count(ctx),
        n if n > 3 => return Err(Error::Syntax),
        _ => {}
    }
    let (value, out) = ctx.read(ctx.arg(1));
    match as_set(value)? {
        None => out.null(),
        Some(s) => write_entry(out, s.member_at(rand::rng().random_range(0..s.len()))),
    }
    Ok(())
}

/// SRANDMEMBER with a count: distinct members for a positive count (the
/// whole set, in order, when it asks for as many), members that may repeat
/// for a negative one.
fn srandmember_count(ctx: &mut Ctx) -> Result<()> {
    let count = signed_count(ctx.arg(2))?;
    let (value, out) = ctx.read(ctx.arg(1));
    let Some(set) = as_set(value)? else {
        out.array(0);
        return Ok(());
    };
    let size = set.len();
    let n = count.unsigned_abs().min(usize::MAX as u64) as usize;
    let mut rng = rand::rng();
    if count < 0 {
        check_chosen_reply(n as u64, MIN_PICK_BYTES)?;
        out.array(n);
        for _ in 0..n {
            write_entry(out, set.member_at(rng.random_range(0..size)));
        }
    } else if n >= size {
        out.array(size);
        set.iter().for_each(|m| write_entry(out, m));
    } else {
        out.array(n);
        for i in rand::seq::index::sample(&mut rng, size, n) {
            write_entry(out, set.member_at(i));
        }
    }
    Ok(())
}

/// Looks up source keys in order like Redis's set algebra does: counted
/// reads, missing keys as empty sets, WRONGTYPE at the first other type.
/// Returns which keys exist.
fn lookup_sets(ctx: &mut Ctx, keys: &[Bytes]) -> Result<Vec<bool>> {
    keys.iter()
        .map(|k| Ok(as_set(ctx.lookup_read(k))?.is_some()))
        .collect()
}

/// The sets found by [`lookup_sets`], borrowed from the selected database.
fn gather<'d>(db: &'d crate::Db, keys: &[Bytes], found: &[bool]) -> Vec<Option<&'d Set>> {
    keys.iter()
        .zip(found)
        .map(|(k, &f)| match db.get(k) {
            Some(Value::Set(s)) if f => Some(s),
            _ => None,
        })
        .collect()
}

/// What SINTER-like commands do with the intersection.
enum Inter<'a> {
    Reply,
    /// SINTERCARD: count up to a limit (0 for none).
    Card(usize),
    Store(&'a [u8]),
}

/// Intersects the sets at `keys`, walking the smallest and probing the
/// others (Redis's `sinterGenericCommand`).
fn inter(ctx: &mut Ctx, keys: &[Bytes], mode: Inter<'_>) -> Result<()> {
    let found = lookup_sets(ctx, keys)?;
    let limits = ctx.eng.limits;
    let db = ctx.eng.db(*ctx.db);
    let mut sets: Vec<&Set> = gather(db, keys, &found).into_iter().flatten().collect();
    let mut members: Vec<Entry<'_>> = Vec::new();
    if sets.len() == keys.len() {
        sets.sort_by_key(|s| s.len());
        let limit = match mode {
            Inter::Card(limit) if limit > 0 => limit,
            _ => usize::MAX,
        };
        for e in sets[0].iter() {
            if sets[1..]
                .iter()
                .all(|s| std::ptr::eq(*s, sets[0]) || s.contains_entry(e))
            {
                members.push(e);
                if members.len() >= limit {
                    break;
                }
            }
        }
    }
    match mode {
        Inter::Reply => {
            ctx.out.set(members.len());
            members
                .into_iter()
                .for_each(|e| write_entry(&mut ctx.out, e));
        }
        Inter::Card(_) => ctx.out.integer(members.len() as i64),
        Inter::Store(dst) => {
            let mut result = Set::new();
            members.into_iter().for_each(|e| {
                result.insert_entry(e, &limits);
            });
            store(ctx, dst, result, "sinterstore");
        }
    }
    Ok(())
}

/// Stores a SINTERSTORE/SUNIONSTORE/SDIFFSTORE result (replacing any value
/// and TTL) notifying `event`, or deletes `dst` when it is empty; replies
/// with its size.
fn store(ctx: &mut Ctx, dst: &[u8], result: Set, event: &'static str) {
    // Only `dst` changes for WATCH (the rows say TOUCHES_ITSELF): the
    // source sets are read.
    let len = result.len();
    if len > 0 {
        ctx.set_key(dst, Value::Set(result), false);
        ctx.notify(notify::SET, event, dst);
        ctx.touch(dst);
        ctx.dirty(1);
    } else if ctx.delete(dst) {
        ctx.touch(dst);
        ctx.dirty(1);
    }
    ctx.out.integer(len as i64);
}

fn sinter(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    inter(ctx, &argv[1..], Inter::Reply)
}

fn sinterstore(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    inter(ctx, &argv[2..], Inter::Store(&argv[1]))
}

fn sintercard(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    let numkeys = args::int(&argv[1])
        .ok()
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n > 0)
        .ok_or_else(|| Error::err("numkeys should be greater than 0"))?;
    if numkeys > argv.len() - 2 {
        return Err(Error::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    let mut limit = 0;
    let mut rest = &argv[2 + numkeys..];
    while !rest.is_empty() {
        match rest {
            [opt, value, tail @ ..] if args::is(opt, "limit") => {
                limit = non_negative(value, "LIMIT can't be negative")?;
                rest = tail;
            }
            _ => return Err(Error::Syntax),
        }
    }
    inter(ctx, &argv[2..2 + numkeys], Inter::Card(limit))
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Diff,
}

/// SUNION and SDIFF, and their STORE forms with `dst` (Redis's
/// `sunionDiffGenericCommand`). The result is built as a new set, starting
/// as an intset, so its encoding and order are those Redis gives it.
fn union_diff(ctx: &mut Ctx, keys: &[Bytes], dst: Option<&[u8]>, op: Op) -> Result<()> {
    let found = lookup_sets(ctx, keys)?;
    let limits = ctx.eng.limits;
    let db = ctx.eng.db(*ctx.db);
    let mut sets = gather(db, keys, &found);
    let mut result = Set::new();
    match (op, sets[0]) {
        (Op::Union, _) => {
            for e in sets.iter().flatten().flat_map(|s| s.iter()) {
                result.insert_entry(e, &limits);
            }
        }
        (Op::Diff, None) => {}
        // The first key again: everything is subtracted.
        (Op::Diff, Some(_)) if keys[1..].contains(&keys[0]) => {}
        (Op::Diff, Some(first)) => {
            let others = sets[1..].iter().flatten();
            let subtract_work: usize = others.clone().map(|s| s.len()).sum();
            let probe_work = first.len() * (1 + others.count()) / 2;
            if probe_work <= subtract_work + first.len() {
                // Walk the first set, probing the others, biggest first.
                sets[1..].sort_by_key(|s| std::cmp::Reverse(s.map_or(0, Set::len)));
                for e in first.iter() {
                    if !sets[1..].iter().flatten().any(|s| s.contains_entry(e)) {
                        result.insert_entry(e, &limits);
                    }
                }
            } else {
                // Copy the first set and remove the members of the others.
                first.iter().for_each(|e| {
                    result.insert_entry(e, &limits);
                });
                for e in sets[1..].iter().flatten().flat_map(|s| s.iter()) {
                    if result.is_empty() {
                        break;
                    }
                    result.remove(e.bytes(&mut itoa::Buffer::new()));
                }
            }
        }
    }
    let event = match op {
        Op::Union => "sunionstore",
        Op::Diff => "sdiffstore",
    };
    match dst {
        Some(dst) => store(ctx, dst, result, event),
        None => {
            ctx.out.set(result.len());
            result.iter().for_each(|e| write_entry(&mut ctx.out, e));
        }
    }
    Ok(())
}

fn sunion(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    union_diff(ctx, &argv[1..], None, Op::Union)
}

fn sunionstore(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    union_diff(ctx, &argv[2..], Some(&argv[1]), Op::Union)
}

fn sdiff(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    union_diff(ctx, &argv[1..], None, Op::Diff)
}

fn sdiffstore(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    union_diff(ctx, &argv[2..], Some(&argv[1]), Op::Diff)
}

fn sscan(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    let cursor = parse_cursor(&argv[2])?;
    let (value, out) = ctx.read(&argv[1]);
    let Some(set) = as_set(value)? else {
        empty_scan(out);
        return Ok(());
    };
    let (count, pattern) = scan_options(&argv[3..])?;
    let mut elements = Vec::new();
    let next = set.scan(cursor, count, |m| elements.push(m));
    scan_reply(out, next, &elements, 1, pattern);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::*;

    #[test]
    fn spop_is_propagated_as_srem_or_del() {
        let mut t = TestEngine::new();
        t.run("SADD s 7");
        t.propagated();
        assert_eq!(t.run("SPOP s"), bulk("7"));
        assert_eq!(t.propagated(), ["SREM s 7"]);
        assert_eq!(t.run("EXISTS s"), int(0));

        t.run("SADD s 1 2 3");
        t.propagated();
        assert_eq!(t.run("SPOP s 5"), "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
        assert_eq!(t.propagated(), ["DEL s"]);

        // Few members: popped at random; most members: the rest is kept.
        for count in [2, 9] {
            t.run("SADD s 1 2 3 4 5 6 7 8 9 10");
            t.propagated();
            let dirty = t.eng.dirty();
            t.run(&format!("SPOP s {count}"));
            assert_eq!(t.eng.dirty(), dirty + 1);
            let mut prop = t.propagated();
            assert_eq!(prop.remove(0), "MULTI");
            assert_eq!(prop.pop().unwrap(), "EXEC");
            assert_eq!(prop.len(), count);
            assert!(prop.iter().all(|p| p.starts_with("SREM s ")));
            assert_eq!(t.run("SCARD s"), int(10 - count as i64));
            assert_eq!(t.run("OBJECT ENCODING s"), bulk("intset"));
            t.run("DEL s");
            t.propagated();
        }
        assert_eq!(t.run("SPOP nokey 3"), "*0\r\n");
        assert_eq!(t.propagated(), Vec::<String>::new());
    }

    #[test]
    fn spop_in_a_transaction_is_wrapped_once() {
        let mut t = TestEngine::new();
        t.run("SADD s 1 2 3 4 5 6 7 8 9 10");
        t.propagated();
        let from = t.eng.propagated_len();
        t.run("SPOP s 2");
        t.run("SADD s 100");
        t.eng.wrap_propagated(from);
        let prop = t.propagated();
        assert_eq!(prop.len(), 5, "{prop:?}");
        assert_eq!((prop[0].as_str(), prop[4].as_str()), ("MULTI", "EXEC"));
        assert!(prop[1].starts_with("SREM s ") && prop[2].starts_with("SREM s "));
        assert_eq!(prop[3], "SADD s 100");
    }

    #[test]
    fn a_transaction_of_one_write_is_not_wrapped() {
        let mut t = TestEngine::new();
        let from = t.eng.propagated_len();
        t.run("SADD s 1");
        t.run("SCARD s");
        t.eng.wrap_propagated(from);
        assert_eq!(t.propagated(), ["SADD s 1"]);
    }

    #[test]
    fn spop_keeps_the_ttl() {
        let mut t = TestEngine::new();
        t.run("SADD s a b c d e f");
        t.run("EXPIRE s 100");
        t.run("SPOP s 5");
        assert_eq!(t.run("SCARD s"), int(1));
        assert_eq!(t.run("TTL s"), int(100));
    }

    #[test]
    fn store_commands_replace_or_delete_the_destination() {
        let mut t = TestEngine::new();
        t.run("SADD a 1 2 3");
        t.run("SADD b 2 3 4");
        t.run("SET d x");
        t.run("EXPIRE d 100");
        t.propagated();
        assert_eq!(t.run("SINTERSTORE d a b"), int(2));
        assert_eq!(t.run("TTL d"), int(-1));
        assert_eq!(t.run("SDIFFSTORE d a a"), int(0));
        assert_eq!(t.run("EXISTS d"), int(0));
        // Nothing to delete: no change, nothing propagated.
        assert_eq!(t.run("SUNIONSTORE d nokey"), int(0));
        assert_eq!(t.propagated(), ["SINTERSTORE d a b", "SDIFFSTORE d a a"]);
    }

    #[test]
    fn smove_counts_both_sides() {
        let mut t = TestEngine::new();
        t.run("SADD a 1");
        t.run("SADD b 1");
        let dirty = t.eng.dirty();
        assert_eq!(t.run("SMOVE a b 1"), int(1));
        assert_eq!(t.eng.dirty(), dirty + 1, "already in the destination");
        assert_eq!(t.run("EXISTS a"), int(0));
        assert_eq!(t.run("SMOVE b c 1"), int(1));
        assert_eq!(t.eng.dirty(), dirty + 3);
        assert_eq!(
            t.propagated(),
            ["SADD a 1", "SADD b 1", "SMOVE a b 1", "SMOVE b c 1"]
        );
    }

    #[test]
    fn random_picks_have_the_asked_shape() {
        let mut t = TestEngine::new();
        t.run("SADD s a b c d e");
        let distinct = t.run("SRANDMEMBER s 4");
        let members: std::collections::HashSet<_> = distinct
            .split("\r\n")
            .skip(2)
            .step_by(2)
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(members.len(), 4);
        assert!(t.run("SRANDMEMBER s -20").starts_with("*20\r\n"));
        assert_eq!(t.run("SCARD s"), int(5));
    }

    #[test]
    fn sscan_of_a_hashtable_visits_everything() {
        let mut t = TestEngine::new();
        for i in 0..60 {
            t.run(&format!("SADD s m{i}"));
        }
        let mut cursor = "0".to_string();
        let mut seen = std::collections::HashSet::new();
        loop {
            let reply = t.run(&format!("SSCAN s {cursor} COUNT 9 MATCH m*"));
            let lines: Vec<&str> = reply.split("\r\n").collect();
            cursor = lines[2].to_string();
            let n: usize = lines[3][1..].parse().unwrap();
            seen.extend((0..n).map(|i| lines[5 + 2 * i].to_string()));
            t.run(&format!("SREM s m{}", seen.len() + 100));
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 60);
    }

    #[test]
    fn intset_limit_comes_from_the_engine() {
        let mut t = TestEngine::new();
        t.eng.limits.set_max_intset_entries = 3;
        t.run("SADD s 1 2 3");
        assert_eq!(t.run("OBJECT ENCODING s"), bulk("intset"));
        t.run("SADD s 4");
        assert_eq!(t.run("OBJECT ENCODING s"), bulk("hashtable"));
        t.run("SUNIONSTORE d s");
        assert_eq!(t.run("OBJECT ENCODING d"), bulk("hashtable"));
        t.run("SINTERSTORE d s s");
        assert_eq!(t.run("SCARD d"), int(4));
    }
}
