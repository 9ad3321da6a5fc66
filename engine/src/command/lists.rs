//! List commands, blocking pops included (see [`super::blocking`]).

use bytes::Bytes;
use resp::Writer;

use super::blocking::{self, park};
use super::elements::write_entry;
use super::flags::*;
use super::{args, cmd, CommandDef, Ctx, Group, Handler};
use crate::types::list::{End, List};
use crate::types::Entry;
use crate::{notify, Error, Result, Str, Value};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    let doc = |d: CommandDef<Handler>, since, summary| d.doc(Group::List, since, summary);
    let one = |d: CommandDef<Handler>| d.keys(1, 1, 1);
    let two = |d: CommandDef<Handler>| d.keys(1, 2, 1);
    let blocking = WRITE | BLOCKING;
    vec![
        doc(two(cmd("blmove", 6, blocking | DENYOOM | NOSCRIPT, blmove)), "6.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available"),
        doc(cmd("blmpop", -5, blocking, blmpop).numkeys(2), "7.0.0", "Pop elements from a list, or block until one is available"),
        doc(cmd("blpop", -3, blocking | NOSCRIPT, blpop).keys(1, -2, 1), "2.0.0", "Remove and get the first element in a list, or block until one is available"),
        doc(cmd("brpop", -3, blocking | NOSCRIPT, brpop).keys(1, -2, 1), "2.0.0", "Remove and get the last element in a list, or block until one is available"),
        doc(two(cmd("brpoplpush", 4, blocking | DENYOOM | NOSCRIPT, brpoplpush)), "2.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available"),
        doc(one(cmd("lindex", 3, READONLY, lindex)), "1.0.0", "Get an element from a list by its index"),
        doc(one(cmd("linsert", 5, WRITE | DENYOOM, linsert)), "2.2.0", "Insert an element before or after another element in a list"),
        doc(one(cmd("llen", 2, READONLY | FAST, llen)), "1.0.0", "Get the length of a list"),
        doc(two(cmd("lmove", 5, WRITE | DENYOOM, lmove)), "6.2.0", "Pop an element from a list, push it to another list and return it"),
        doc(cmd("lmpop", -4, WRITE, lmpop).numkeys(1), "7.0.0", "Pop elements from a list"),
        doc(one(cmd("lpop", -2, WRITE | FAST, lpop)), "1.0.0", "Remove and get the first elements in a list"),
        doc(one(cmd("lpos", -3, READONLY, lpos)), "6.0.6", "Return the index of matching elements on a list"),
        doc(one(cmd("lpush", -3, WRITE | DENYOOM | FAST, lpush)), "1.0.0", "Prepend one or multiple elements to a list"),
        doc(one(cmd("lpushx", -3, WRITE | DENYOOM | FAST, lpushx)), "2.2.0", "Prepend an element to a list, only if the list exists"),
        doc(one(cmd("lrange", 4, READONLY, lrange)), "1.0.0", "Get a range of elements from a list"),
        doc(one(cmd("lrem", 4, WRITE, lrem)), "1.0.0", "Remove elements from a list"),
        doc(one(cmd("lset", 4, WRITE | DENYOOM, lset)), "1.0.0", "Set the value of an element in a list by its index"),
        doc(one(cmd("ltrim", 4, WRITE, ltrim)), "1.0.0", "Trim a list to the specified range"),
        doc(one(cmd("rpop", -2, WRITE | FAST, rpop)), "1.0.0", "Remove and get the last elements in a list"),
        doc(two(cmd("rpoplpush", 3, WRITE | DENYOOM, rpoplpush)), "1.2.0", "Remove the last element in a list, prepend it to another list and return it"),
        doc(one(cmd("rpush", -3, WRITE | DENYOOM | FAST, rpush)), "1.0.0", "Append one or multiple elements to a list"),
        doc(one(cmd("rpushx", -3, WRITE | DENYOOM | FAST, rpushx)), "2.2.0", "Append an element to a list, only if the list exists"),
    ]
}

/// A looked-up value as a list; WRONGTYPE for other types.
fn as_list(value: Option<&Value>) -> Result<Option<&List>> {
    match value {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(Error::WrongType),
    }
}

/// The list under `key` for writing; WRONGTYPE for other types.
fn write_list<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut List>> {
    match ctx.lookup_write(key) {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(Error::WrongType),
    }
}

/// Stores a new list under `key` and wakes clients waiting for it (Redis
/// signals blocked clients when a list key is created).
fn create_list(ctx: &mut Ctx, key: &[u8], list: List) {
    ctx.set_key(key, Value::List(list), false);
    ctx.signal_ready(key);
}

/// Notifies `event` on `key`, then deletes the key (notifying `del`) if
/// its list became empty.
fn changed(ctx: &mut Ctx, key: &[u8], event: &'static str) {
    ctx.notify(notify::LIST, event, key);
    if matches!(ctx.db().get(key), Some(Value::List(l)) if l.is_empty()) {
        ctx.delete(key);
    }
}

/// The push event for `end`.
fn push_event(end: End) -> &'static str {
    match end {
        End::Left => "lpush",
        End::Right => "rpush",
    }
}

/// The pop event for `end`.
fn pop_event(end: End) -> &'static str {
    match end {
        End::Left => "lpop",
        End::Right => "rpop",
    }
}

/// Parses `LEFT` / `RIGHT`.
fn end_arg(arg: &[u8]) -> Result<End> {
    End::parse(arg).ok_or(Error::Syntax)
}

/// `list-max-listpack-size`, the fill of list nodes.
fn fill(ctx: &Ctx) -> i64 {
    ctx.eng.limits.list_max_listpack_size
}

fn write_bulks(out: &mut Writer, items: &[Str]) {
    out.array(items.len());
    items.iter().for_each(|s| out.bulk(s));
}

fn write_entries<'a>(out: &mut Writer, n: usize, items: impl Iterator<Item = Entry<'a>>) {
    out.array(n);
    items.for_each(|e| write_entry(out, e));
}

// ---- Pushes ----

fn lpush(ctx: &mut Ctx) -> Result<()> {
    push(ctx, End::Left, false)
}

fn rpush(ctx: &mut Ctx) -> Result<()> {
    push(ctx, End::Right, false)
}

fn lpushx(ctx: &mut Ctx) -> Result<()> {
    push(ctx, End::Left, true)
}

fn rpushx(ctx: &mut Ctx) -> Result<()> {
    push(ctx, End::Right, true)
}

/// LPUSH RPUSH LPUSHX RPUSHX; `existing`: only push onto an existing list.
fn push(ctx: &mut Ctx, end: End, existing: bool) -> Result<()> {
    let (key, values) = (ctx.arg(1), &ctx.args[2..]);
    let fill = fill(ctx);
    let len = match write_list(ctx, key)? {
        Some(list) => {
            values.iter().for_each(|v| list.push(end, v, fill));
            list.len()
        }
        None if existing => {
            ctx.out.integer(0);
            return Ok(());
        }
        None => {
            let mut list = List::new();
            values.iter().for_each(|v| list.push(end, v, fill));
            let len = list.len();
            create_list(ctx, key, list);
            len
        }
    };
    ctx.dirty(values.len() as u64);
    ctx.notify(notify::LIST, push_event(end), key);
    ctx.out.integer(len as i64);
    Ok(())
}

// ---- Pops ----

fn lpop(ctx: &mut Ctx) -> Result<()> {
    pop(ctx, End::Left)
}

fn rpop(ctx: &mut Ctx) -> Result<()> {
    pop(ctx, End::Right)
}

/// Pops up to `count` elements from `end` of the list under `key` (which
/// must be a non-empty list), deleting the key when it empties (Redis's
/// `listElementsRemoved`).
fn pop_n(ctx: &mut Ctx, key: &[u8], end: End, count: usize) -> Vec<Str> {
    let popped = take_n(ctx, key, end, count);
    changed(ctx, key, pop_event(end));
    popped
}

/// [`pop_n`] without the notifications and the deletion.
fn take_n(ctx: &mut Ctx, key: &[u8], end: End, count: usize) -> Vec<Str> {
    let Some(Value::List(list)) = ctx.db().get_mut(key) else {
        return Vec::new();
    };
    let popped: Vec<Str> = (0..count).map_while(|_| list.pop(end)).collect();
    ctx.dirty(popped.len() as u64);
    popped
}

/// LPOP / RPOP key [count].
fn pop(ctx: &mut Ctx, end: End) -> Result<()> {
    if ctx.args.len() > 3 {
        return Err(Error::Arity(ctx.name()));
    }
    let count = match ctx.args.get(2) {
        Some(arg) => Some(
            args::int_in(arg, 0, i64::MAX, "value is out of range, must be positive")? as usize,
        ),
        None => None,
    };
    let key = ctx.arg(1);
    if write_list(ctx, key)?.is_none() {
        match count {
            Some(_) => ctx.out.null_array(),
            None => ctx.out.null(),
        }
        return Ok(());
    }
    match count {
        Some(0) => ctx.out.array(0),
        Some(n) => {
            let popped = pop_n(ctx, key, end, n);
            write_bulks(&mut ctx.out, &popped);
        }
        None => {
            let popped = pop_n(ctx, key, end, 1);
            ctx.out.bulk(&popped[0]);
        }
    }
    Ok(())
}

/// Parses `numkeys key... where [COUNT n]` starting at `args[0]` (numkeys)
/// like Redis's `lmpopGenericCommand`/`zmpopGenericCommand`: `where_of`
/// reads the direction word.
pub(super) fn parse_mpop<W>(
    args: &[Bytes],
    where_of: impl Fn(&[u8]) -> Option<W>,
) -> Result<(&[Bytes], W, usize)> {
    let numkeys = args::int_in(&args[0], 1, i64::MAX, "numkeys should be greater than 0")?;
    let where_idx = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(1))
        .filter(|&i| i < args.len())
        .ok_or(Error::Syntax)?;
    let end = where_of(&args[where_idx]).ok_or(Error::Syntax)?;
    let mut count = None;
    let mut rest = &args[where_idx + 1..];
    while let [opt, tail @ ..] = rest {
        match tail {
            [n, tail @ ..] if count.is_none() && args::is(opt, "count") => {
                count = Some(args::int_in(
                    n,
                    1,
                    i64::MAX,
                    "count should be greater than 0",
                )?);
                rest = tail;
            }
            _ => return Err(Error::Syntax),
        }
    }
    Ok((&args[1..where_idx], end, count.unwrap_or(1) as usize))
}

/// Pops from the first non-empty list among `keys` and replies
/// `[key, [elements]]`; propagated as `LPOP|RPOP key count`. Returns false
/// (writing nothing) when every key is missing.
fn mpop_from(ctx: &mut Ctx, keys: &[Bytes], end: End, count: usize, serving: bool) -> Result<bool> {
    for key in keys {
        match write_list(ctx, key) {
            Ok(Some(list)) if !list.is_empty() => {}
            Ok(_) => continue,
            Err(_) if serving => continue,
            Err(e) => return Err(e),
        }
        let popped = pop_n(ctx, key, end, count);
        ctx.touch(key);
        ctx.out.array(2);
        ctx.out.bulk(key);
        write_bulks(&mut ctx.out, &popped);
        let name = match end {
            End::Left => "LPOP",
            End::Right => "RPOP",
        };
        let count = Bytes::from(popped.len().to_string());
        ctx.propagate_as(vec![
            Bytes::from_static(name.as_bytes()),
            key.clone(),
            count,
        ]);
        return Ok(true);
    }
    Ok(false)
}

fn lmpop(ctx: &mut Ctx) -> Result<()> {
    let args = ctx.args;
    let (keys, end, count) = parse_mpop(&args[1..], End::parse)?;
    if !mpop_from(ctx, keys, end, count, false)? {
        ctx.out.null_array();
    }
    Ok(())
}

fn blmpop(ctx: &mut Ctx) -> Result<()> {
    let args = ctx.args;
    let (keys, end, count) = parse_mpop(&args[2..], End::parse)?;
    let deadline = blocking::deadline(ctx, ctx.arg(1))?;
    let tried = blocking::keys_to_try(ctx, keys);
    if !mpop_from(ctx, tried, end, count, ctx.serving().is_some())? {
        park(ctx, keys, deadline, |w| w.null_array());
    }
    Ok(())
}

fn blpop(ctx: &mut Ctx) -> Result<()> {
    bpop(ctx, End::Left)
}

fn brpop(ctx: &mut Ctx) -> Result<()> {
    bpop(ctx, End::Right)
}

/// BLPOP / BRPOP key [key ...] timeout: replies `[key, element]`.
fn bpop(ctx: &mut Ctx, end: End) -> Result<()> {
    let args = ctx.args;
    let keys = &args[1..args.len() - 1];
    let deadline = blocking::deadline(ctx, &args[args.len() - 1])?;
    let tried = blocking::keys_to_try(ctx, keys);
    let serving = ctx.serving().is_some();
    for key in tried {
        match write_list(ctx, key) {
            Ok(Some(list)) if !list.is_empty() => {}
            Ok(_) => continue,
            Err(_) if serving => continue,
            Err(e) => return Err(e),
        }
        let popped = pop_n(ctx, key, end, 1);
        ctx.out.array(2);
        ctx.out.bulk(key);
        ctx.out.bulk(&popped[0]);
        let name = match end {
            End::Left => "LPOP",
            End::Right => "RPOP",
        };
        ctx.propagate_as(vec![Bytes::from_static(name.as_bytes()), key.clone()]);
        return Ok(());
    }
    park(ctx, keys, deadline, |w| w.null_array());
    Ok(())
}

// ---- Moves ----

fn lmove(ctx: &mut Ctx) -> Result<()> {
    let from = end_arg(ctx.arg(3))?;
    let to = end_arg(ctx.arg(4))?;
    move_element(ctx, from, to)
}

fn rpoplpush(ctx: &mut Ctx) -> Result<()> {
    move_element(ctx, End::Right, End::Left)
}

fn blmove(ctx: &mut Ctx) -> Result<()> {
    let from = end_arg(ctx.arg(3))?;
    let to = end_arg(ctx.arg(4))?;
    let deadline = blocking::deadline(ctx, ctx.arg(5))?;
    bmove(ctx, from, to, deadline)
}

fn brpoplpush(ctx: &mut Ctx) -> Result<()> {
    let deadline = blocking::deadline(ctx, ctx.arg(3))?;
    bmove(ctx, End::Right, End::Left, deadline)
}

/// BLMOVE / BRPOPLPUSH once the arguments are parsed.
fn bmove(ctx: &mut Ctx, from: End, to: End, deadline: Option<i64>) -> Result<()> {
    let src = ctx.arg(1);
    let serving = ctx.serving().is_some();
    match write_list(ctx, src) {
        Ok(Some(_)) => {}
        Err(e) if !serving => return Err(e),
        _ => {
            let args = ctx.args;
            park(ctx, &args[1..2], deadline, |w| w.null());
            return Ok(());
        }
    }
    move_element(ctx, from, to)?;
    let args = ctx.args;
    let mut rewritten = vec![
        Bytes::from_static(b"LMOVE"),
        args[1].clone(),
        args[2].clone(),
    ];
    if args::is(&args[0], "brpoplpush") {
        rewritten[0] = Bytes::from_static(b"RPOPLPUSH");
    } else if serving {
        // Redis names the ends itself when it serves a parked client.
        rewritten.extend([from, to].map(|e| Bytes::from_static(e.name().as_bytes())));
    } else {
        rewritten.extend_from_slice(&args[3..5]);
    }
    ctx.propagate_as(rewritten);
    Ok(())
}

/// LMOVE source destination from to: pops from `from` of the source and
/// pushes onto `to` of the destination, replying the element.
fn move_element(ctx: &mut Ctx, from: End, to: End) -> Result<()> {
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    let fill = fill(ctx);
    if write_list(ctx, src)?.is_none() {
        ctx.out.null();
        return Ok(());
    }
    if src == dst {
        let list = write_list(ctx, src)?.expect("checked above");
        let value = list.pop(from).expect("lists are never empty");
        list.push(to, &value, fill);
        ctx.dirty(1);
        ctx.notify(notify::LIST, push_event(to), dst);
        ctx.notify(notify::LIST, pop_event(from), src);
        ctx.out.bulk(&value);
        return Ok(());
    }
    let dst_exists = write_list(ctx, dst)?.is_some();
    let value = take_n(ctx, src, from, 1)
        .pop()
        .expect("lists are never empty");
    if dst_exists {
        write_list(ctx, dst)?
            .expect("checked above")
            .push(to, &value, fill);
    } else {
        let mut list = List::new();
        list.push(to, &value, fill);
        create_list(ctx, dst, list);
    }
    // Like Redis: the push is announced before the pop.
    ctx.notify(notify::LIST, push_event(to), dst);
    changed(ctx, src, pop_event(from));
    ctx.out.bulk(&value);
    Ok(())
}

// ---- Reads ----

fn llen(ctx: &mut Ctx) -> Result<()> {
    let len = as_list(ctx.lookup_read(ctx.arg(1)))?.map_or(0, List::len);
    ctx.out.integer(len as i64);
    Ok(())
}

fn lindex(ctx: &mut Ctx) -> Result<()> {
    let (key, index) = (ctx.arg(1), ctx.arg(2));
    let (value, out) = ctx.read(key);
    let Some(list) = as_list(value)? else {
        out.null();
        return Ok(());
    };
    let index = args::int(index)?;
    let len = list.len() as i64;
    let index = if index < 0 { len + index } else { index };
    match usize::try_from(index).ok().and_then(|i| list.get(i)) {
        Some(element) => write_entry(out, element),
        None => out.null(),
    }
    Ok(())
}

fn lrange(ctx: &mut Ctx) -> Result<()> {
    let start = args::int(ctx.arg(2))?;
    let end = args::int(ctx.arg(3))?;
    let key = ctx.arg(1);
    let (value, out) = ctx.read(key);
    let Some(list) = as_list(value)? else {
        out.array(0);
        return Ok(());
    };
    match args::index_range(start, end, list.len()) {
        Some(range) => write_entries(out, range.len(), list.range(range)),
        None => out.array(0),
    }
    Ok(())
}

/// Options of LPOS.
struct LposOpts {
    rank: i64,
    /// `None`: reply a single index; `Some(0)`: all matches.
    count: Option<usize>,
    maxlen: usize,
}

impl LposOpts {
    fn parse(list: &[Bytes]) -> Result<LposOpts> {
        let mut o = LposOpts {
            rank: 1,
            count: None,
            maxlen: 0,
        };
        let mut rest = list;
        while let [opt, tail @ ..] = rest {
            let [value, tail @ ..] = tail else {
                return Err(Error::Syntax);
            };
            if args::is(opt, "rank") {
                o.rank = args::int(value)?;
                if o.rank == 0 {
                    return Err(Error::err(
                        "RANK can't be zero: use 1 to start from the first match, 2 from the \
                         second ... or use negative to start from the end of the list",
                    ));
                }
            } else if args::is(opt, "count") {
                o.count =
                    Some(args::int_in(value, 0, i64::MAX, "COUNT can't be negative")? as usize);
            } else if args::is(opt, "maxlen") {
                o.maxlen = args::int_in(value, 0, i64::MAX, "MAXLEN can't be negative")? as usize;
            } else {
                return Err(Error::Syntax);
            }
            rest = tail;
        }
        Ok(o)
    }
}

fn lpos(ctx: &mut Ctx) -> Result<()> {
    let o = LposOpts::parse(&ctx.args[3..])?;
    let (key, element) = (ctx.arg(1), ctx.arg(2));
    let (value, out) = ctx.read(key);
    let Some(list) = as_list(value)? else {
        match o.count {
            Some(_) => out.array(0),
            None => out.null(),
        }
        return Ok(());
    };
    let len = list.len();
    let scan = if o.maxlen == 0 {
        len
    } else {
        o.maxlen.min(len)
    };
    let skip = usize::try_from(o.rank.unsigned_abs() - 1).unwrap_or(usize::MAX);
    let wanted = match o.count {
        None => 1,
        Some(0) => usize::MAX,
        Some(n) => n,
    };
    // Redis negates the rank in a C long: i64::MIN stays negative, so every
    // match counts from the first one, and COUNT's stop test overflows.
    let (skip, wanted) = match (o.rank, o.count) {
        (i64::MIN, None) => (0, 1),
        (i64::MIN, Some(_)) => (0, usize::MAX),
        _ => (skip, wanted),
    };
    let matches: Vec<i64> = if o.rank > 0 {
        let found = list.iter().take(scan).enumerate();
        found
            .filter(|(_, e)| e.eq_bytes(element))
            .map(|(i, _)| i as i64)
            .skip(skip)
            .take(wanted)
            .collect()
    } else {
        let found = list.iter().rev().take(scan).enumerate();
        found
            .filter(|(_, e)| e.eq_bytes(element))
            .map(|(i, _)| (len - 1 - i) as i64)
            .skip(skip)
            .take(wanted)
            .collect()
    };
    match o.count {
        Some(_) => {
            out.array(matches.len());
            matches.iter().for_each(|&i| out.integer(i));
        }
        None => match matches.first() {
            Some(&i) => out.integer(i),
            None => out.null(),
        },
    }
    Ok(())
}

// ---- Edits ----

fn lset(ctx: &mut Ctx) -> Result<()> {
    let (key, value) = (ctx.arg(1), ctx.arg(3));
    let index = ctx.arg(2);
    let fill = fill(ctx);
    let list = write_list(ctx, key)?.ok_or(Error::NoSuchKey)?;
    let index = args::int(index)?;
    let len = list.len() as i64;
    let index = if index < 0 { len + index } else { index };
    let replaced = usize::try_from(index).is_ok_and(|i| list.set(i, value, fill));
    if !replaced {
        return Err(Error::err("index out of range"));
    }
    ctx.dirty(1);
    ctx.notify(notify::LIST, "lset", key);
    ctx.out.ok();
    Ok(())
}

fn linsert(ctx: &mut Ctx) -> Result<()> {
    let after = if args::is(ctx.arg(2), "after") {
        true
    } else if args::is(ctx.arg(2), "before") {
        false
    } else {
        return Err(Error::Syntax);
    };
    let (key, pivot, value) = (ctx.arg(1), ctx.arg(3), ctx.arg(4));
    let fill = fill(ctx);
    let Some(list) = write_list(ctx, key)? else {
        ctx.out.integer(0);
        return Ok(());
    };
    let Some(at) = list.position(pivot) else {
        ctx.out.integer(-1);
        return Ok(());
    };
    list.insert(at + usize::from(after), value, fill);
    let len = list.len();
    ctx.dirty(1);
    ctx.notify(notify::LIST, "linsert", key);
    ctx.out.integer(len as i64);
    Ok(())
}

fn lrem(ctx: &mut Ctx) -> Result<()> {
    let count = args::int(ctx.arg(2))?;
    let (key, element) = (ctx.arg(1), ctx.arg(3));
    let Some(list) = write_list(ctx, key)? else {
        ctx.out.integer(0);
        return Ok(());
    };
    let from = if count < 0 { End::Right } else { End::Left };
    let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let removed = list.remove_matching(element, limit, from);
    if removed > 0 {
        changed(ctx, key, "lrem");
    }
    ctx.dirty(removed as u64);
    ctx.out.integer(removed as i64);
    Ok(())
}

fn ltrim(ctx: &mut Ctx) -> Result<()> {
    let start = args::int(ctx.arg(2))?;
    let end = args::int(ctx.arg(3))?;
    let key = ctx.arg(1);
    let Some(list) = write_list(ctx, key)? else {
        ctx.out.ok();
        return Ok(());
    };
    let len = list.len();
    let keep = args::index_range(start, end, len).unwrap_or(0..0);
    list.remove_range(keep.end..len);
    list.remove_range(0..keep.start);
    changed(ctx, key, "ltrim");
    ctx.dirty((len - keep.len()) as u64);
    ctx.out.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::*;
    use crate::BlockOn;

    #[test]
    fn pushes_and_pops_propagate_as_sent() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("RPUSH l a b c"), int(3));
        assert_eq!(t.run("LPUSHX nokey a"), int(0));
        assert_eq!(t.run("LPOP l"), bulk("a"));
        assert_eq!(t.run("RPOP l 5"), "*2\r\n$1\r\nc\r\n$1\r\nb\r\n");
        assert_eq!(t.run("LPOP l"), NULL);
        assert_eq!(t.propagated(), ["RPUSH l a b c", "LPOP l", "RPOP l 5"]);
        assert_eq!(t.eng.dirty(), 6);
    }

    #[test]
    fn only_key_creation_wakes_blocked_clients() {
        let mut t = TestEngine::new();
        t.eng.track_ready(true);
        t.run("RPUSH l a");
        t.run("RPUSH l b");
        t.run("LMOVE l other LEFT LEFT");
        t.run("LMOVE l other LEFT LEFT");
        let ready = t.ready_keys();
        assert_eq!(ready, ["l", "other"]);
    }

    #[test]
    fn blocking_pops_with_data_propagate_the_plain_form() {
        let mut t = TestEngine::new();
        t.run("RPUSH a 1 2 3");
        assert_eq!(t.run("BLPOP none a 0"), "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
        assert_eq!(
            t.run("BLMPOP 0 1 a RIGHT COUNT 10"),
            "*2\r\n$1\r\na\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
        );
        t.run("RPUSH a 1");
        assert_eq!(t.run("BLMOVE a b left RIGHT 0"), bulk("1"));
        t.run("RPUSH a 1");
        t.run("BRPOPLPUSH a b 0");
        t.run("RPUSH a 1");
        t.run("LMPOP 1 a LEFT COUNT 3");
        assert_eq!(
            t.propagated(),
            [
                "RPUSH a 1 2 3",
                "LPOP a",
                "RPOP a 2",
                "RPUSH a 1",
                "LMOVE a b left RIGHT",
                "RPUSH a 1",
                "RPOPLPUSH a b",
                "RPUSH a 1",
                "LPOP a 1",
            ]
        );
        assert!(t.eng.take_block().is_none());
    }

    #[test]
    fn blocking_pops_without_data_park() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("BLPOP a b 1.5"), "");
        let wait = t.eng.take_block().expect("parked");
        let keys: Vec<_> = wait.keys.iter().map(|k| &k[..]).collect();
        assert_eq!(
            (wait.db, keys, wait.deadline),
            (0, vec![&b"a"[..], b"b"], Some(NOW + 1500))
        );
        assert_eq!(t.run("BLMOVE a b LEFT LEFT 0"), "");
        assert_eq!(
            t.eng.take_block(),
            Some(BlockOn {
                db: 0,
                keys: vec!["a".into()],
                deadline: None,
                args: None,
                fails_when_gone: false
            })
        );
        assert!(t.propagated().is_empty());
        assert_eq!(t.eng.dirty(), 0);
    }

    #[test]
    fn a_served_client_pops_from_the_ready_key() {
        let mut t = TestEngine::new();
        t.run("BLPOP a b 0");
        t.eng.take_block();
        t.run("RPUSH b x");
        t.run("RPUSH a y");
        t.propagated();
        assert_eq!(
            t.run_served("BLPOP a b 0", "b"),
            "*2\r\n$1\r\nb\r\n$1\r\nx\r\n"
        );
        assert_eq!(t.propagated(), ["LPOP b"]);
        // The ready key was emptied again by someone else: park again.
        assert_eq!(t.run_served("BLPOP c b 0", "b"), "");
        assert!(t.eng.take_block().is_some());
        // Another type under the ready key does not serve a list pop either.
        t.run("SET b str");
        assert_eq!(t.run_served("BLPOP b 0", "b"), "");
        assert!(t.eng.take_block().is_some());
        t.run("RPUSH src v");
        t.propagated();
        assert_eq!(
            t.run_served("BLMOVE src dst RIGHT LEFT 0", "src"),
            bulk("v")
        );
        assert_eq!(t.propagated(), ["LMOVE src dst right left"]);
    }

    #[test]
    fn without_blocking_the_timeout_reply_is_immediate() {
        let mut t = TestEngine::new();
        assert_eq!(t.run_unblockable("BLPOP a 0"), "*-1\r\n");
        assert_eq!(t.run_unblockable("BLMPOP 0 1 a LEFT"), "*-1\r\n");
        assert_eq!(t.run_unblockable("BLMOVE a b LEFT LEFT 0"), NULL);
        assert_eq!(t.run_unblockable("BRPOPLPUSH a b 0"), NULL);
        assert!(t.eng.take_block().is_none());
        let mut out = bytes::BytesMut::new();
        crate::command::blocking::blocked_timeout_reply(&mut resp::Writer::new(
            &mut out,
            resp::Protocol::Resp3,
        ));
        assert_eq!(&out[..], b"_\r\n");
    }

    #[test]
    fn mpop_marks_its_key_for_watch() {
        let mut t = TestEngine::new();
        t.run("RPUSH l a");
        t.eng.track_touched(true);
        t.run("LMPOP 2 none l LEFT");
        let keys: Vec<_> = t
            .eng
            .take_touched()
            .keys
            .into_iter()
            .map(|(_, k)| k)
            .collect();
        assert_eq!(keys, ["l"]);
    }

    #[test]
    fn dirty_counts_elements_changed() {
        let mut t = TestEngine::new();
        t.run("RPUSH l a b a c a");
        assert_eq!(t.eng.dirty(), 5);
        t.run("LREM l 0 a");
        assert_eq!(t.eng.dirty(), 8);
        t.run("LTRIM l 0 0");
        assert_eq!(t.eng.dirty(), 9);
        t.run("LINSERT l BEFORE nothere x");
        t.run("LTRIM l 0 -1");
        assert_eq!(t.eng.dirty(), 9);
        assert_eq!(
            t.propagated(),
            ["RPUSH l a b a c a", "LREM l 0 a", "LTRIM l 0 0"]
        );
    }
}
