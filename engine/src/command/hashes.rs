//! Hash commands, as Redis 7.0's `t_hash.c` answers them.

use bytes::Bytes;
use rand::Rng;
use resp::{Protocol, Writer};

use super::elements::{
    check_chosen_reply, empty_scan, parse_cursor, scan_options, scan_reply, signed_count,
    write_entry, MIN_PICK_BYTES,
};
use super::flags::*;
use super::long_double::LongDouble;
use super::{args, cmd, CommandDef, Ctx, Group, Handler};
use crate::types::{Entry, Hash};
use crate::{notify, Error, Result, Value};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    let doc =
        |d: CommandDef<Handler>, since, summary| d.keys(1, 1, 1).doc(Group::Hash, since, summary);
    vec![
        doc(
            cmd("hset", -4, WRITE | DENYOOM | FAST, hset),
            "2.0.0",
            "Set the string value of a hash field",
        ),
        doc(
            cmd("hsetnx", 4, WRITE | DENYOOM | FAST, hsetnx),
            "2.0.0",
            "Set the value of a hash field, only if the field does not exist",
        ),
        doc(
            cmd("hget", 3, READONLY | FAST, hget),
            "2.0.0",
            "Get the value of a hash field",
        ),
        doc(
            cmd("hmget", -3, READONLY | FAST, hmget),
            "2.0.0",
            "Get the values of all the given hash fields",
        ),
        doc(
            cmd("hmset", -4, WRITE | DENYOOM | FAST, hmset),
            "2.0.0",
            "Set multiple hash fields to multiple values",
        ),
        doc(
            cmd("hdel", -3, WRITE | FAST, hdel),
            "2.0.0",
            "Delete one or more hash fields",
        ),
        doc(
            cmd("hlen", 2, READONLY | FAST, hlen),
            "2.0.0",
            "Get the number of fields in a hash",
        ),
        doc(
            cmd("hstrlen", 3, READONLY | FAST, hstrlen),
            "3.2.0",
            "Get the length of the value of a hash field",
        ),
        doc(
            cmd("hexists", 3, READONLY | FAST, hexists),
            "2.0.0",
            "Determine if a hash field exists",
        ),
        doc(
            cmd("hkeys", 2, READONLY, hkeys),
            "2.0.0",
            "Get all the fields in a hash",
        ),
        doc(
            cmd("hvals", 2, READONLY, hvals),
            "2.0.0",
            "Get all the values in a hash",
        ),
        doc(
            cmd("hgetall", 2, READONLY, hgetall),
            "2.0.0",
            "Get all the fields and values in a hash",
        ),
        doc(
            cmd("hincrby", 4, WRITE | DENYOOM | FAST, hincrby),
            "2.0.0",
            "Increment the integer value of a hash field by the given number",
        ),
        doc(
            cmd("hincrbyfloat", 4, WRITE | DENYOOM | FAST, hincrbyfloat),
            "2.6.0",
            "Increment the float value of a hash field by the given amount",
        ),
        doc(
            cmd("hrandfield", -2, READONLY, hrandfield),
            "6.2.0",
            "Get one or multiple random fields from a hash",
        ),
        doc(
            cmd("hscan", -3, READONLY, hscan),
            "2.8.0",
            "Incrementally iterate hash fields and associated values",
        ),
    ]
}

/// The hash in a looked-up value; WRONGTYPE for other types.
fn as_hash(value: Option<&Value>) -> Result<Option<&Hash>> {
    match value {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(Error::WrongType),
    }
}

/// The hash at `key` for writing; WRONGTYPE for other types.
fn hash_mut<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut Hash>> {
    match ctx.lookup_write(key) {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(Error::WrongType),
    }
}

/// Stores an empty hash at `key` and returns it (Redis's
/// `hashTypeLookupWriteOrCreate` when the key is missing). Callers make sure
/// it does not stay empty.
fn create<'c>(ctx: &'c mut Ctx, key: &[u8]) -> &'c mut Hash {
    ctx.set_key(key, Value::Hash(Hash::default()), false);
    match ctx.db().get_mut(key) {
        Some(Value::Hash(h)) => h,
        _ => unreachable!("hash just stored"),
    }
}

/// HSET and HMSET: sets every pair; returns how many fields are new.
fn set_pairs(ctx: &mut Ctx) -> Result<i64> {
    let argv = ctx.args;
    if argv.len() % 2 == 1 {
        return Err(Error::Arity(ctx.name()));
    }
    let limits = ctx.eng.limits;
    let key = &argv[1];
    let hash = match hash_mut(ctx, key)? {
        Some(h) => h,
        None => create(ctx, key),
    };
    let created = argv[2..]
        .chunks(2)
        .filter(|pair| hash.set(&pair[0], &pair[1], &limits))
        .count();
    ctx.dirty((argv.len() as u64 - 2) / 2);
    ctx.notify(notify::HASH, "hset", key);
    Ok(created as i64)
}

fn hset(ctx: &mut Ctx) -> Result<()> {
    let created = set_pairs(ctx)?;
    ctx.out.integer(created);
    Ok(())
}

fn hmset(ctx: &mut Ctx) -> Result<()> {
    set_pairs(ctx)?;
    ctx.out.ok();
    Ok(())
}

fn hsetnx(ctx: &mut Ctx) -> Result<()> {
    let (key, field, value) = (ctx.arg(1), ctx.arg(2), ctx.arg(3));
    let limits = ctx.eng.limits;
    let hash = match hash_mut(ctx, key)? {
        Some(h) => h,
        None => create(ctx, key),
    };
    if hash.contains(field) {
        ctx.out.integer(0);
        return Ok(());
    }
    hash.set(field, value, &limits);
    ctx.dirty(1);
    ctx.notify(notify::HASH, "hset", key);
    ctx.out.integer(1);
    Ok(())
}

fn hget(ctx: &mut Ctx) -> Result<()> {
    let field = ctx.arg(2);
    let (value, out) = ctx.read(ctx.arg(1));
    match as_hash(value)?.and_then(|h| h.get(field)) {
        Some(e) => write_entry(out, e),
        None => out.null(),
    }
    Ok(())
}

fn hmget(ctx: &mut Ctx) -> Result<()> {
    let fields = &ctx.args[2..];
    let (value, out) = ctx.read(ctx.arg(1));
    let hash = as_hash(value)?;
    out.array(fields.len());
    for field in fields {
        match hash.and_then(|h| h.get(field)) {
            Some(e) => write_entry(out, e),
            None => out.null(),
        }
    }
    Ok(())
}

fn hdel(ctx: &mut Ctx) -> Result<()> {
    let (key, argv) = (ctx.arg(1), ctx.args);
    let Some(hash) = hash_mut(ctx, key)? else {
        ctx.out.integer(0);
        return Ok(());
    };
    let mut deleted = 0;
    let mut emptied = false;
    for field in &argv[2..] {
        if hash.remove(field) {
            deleted += 1;
            if hash.is_empty() {
                emptied = true;
                break;
            }
        }
    }
    if deleted > 0 {
        ctx.notify(notify::HASH, "hdel", key);
    }
    if emptied {
        ctx.delete(key);
    }
    ctx.dirty(deleted);
    ctx.out.integer(deleted as i64);
    Ok(())
}

fn hlen(ctx: &mut Ctx) -> Result<()> {
    let (value, out) = ctx.read(ctx.arg(1));
    out.integer(as_hash(value)?.map_or(0, Hash::len) as i64);
    Ok(())
}

fn hstrlen(ctx: &mut Ctx) -> Result<()> {
    let field = ctx.arg(2);
    let (value, out) = ctx.read(ctx.arg(1));
    let len = as_hash(value)?
        .and_then(|h| h.get(field))
        .map_or(0, |e| e.str_len());
    out.integer(len as i64);
    Ok(())
}

fn hexists(ctx: &mut Ctx) -> Result<()> {
    let field = ctx.arg(2);
    let (value, out) = ctx.read(ctx.arg(1));
    out.integer(as_hash(value)?.is_some_and(|h| h.contains(field)).into());
    Ok(())
}

/// HKEYS, HVALS and HGETALL (a map of all pairs).
fn get_all(ctx: &mut Ctx, keys: bool, values: bool) -> Result<()> {
    let (value, out) = ctx.read(ctx.arg(1));
    let hash = as_hash(value)?;
    let len = hash.map_or(0, Hash::len);
    if keys && values {
        out.map(len);
    } else {
        out.array(len);
    }
    for (f, v) in hash.into_iter().flat_map(Hash::iter) {
        if keys {
            write_entry(out, f);
        }
        if values {
            write_entry(out, v);
        }
    }
    Ok(())
}

fn hkeys(ctx: &mut Ctx) -> Result<()> {
    get_all(ctx, true, false)
}

fn hvals(ctx: &mut Ctx) -> Result<()> {
    get_all(ctx, false, true)
}

fn hgetall(ctx: &mut Ctx) -> Result<()> {
    get_all(ctx, true, true)
}

fn hincrby(ctx: &mut Ctx) -> Result<()> {
    let by = args::int(ctx.arg(3))?;
    let (key, field) = (ctx.arg(1), ctx.arg(2));
    let limits = ctx.eng.limits;
    let hash = match hash_mut(ctx, key)? {
        Some(h) => h,
        None => create(ctx, key),
    };
    let current = match hash.get(field) {
        None => 0,
        Some(e) => e
            .as_i64()
            .ok_or_else(|| Error::err("hash value is not an integer"))?,
    };
    let sum = current.checked_add(by).ok_or(Error::Overflow)?;
    hash.set(field, itoa::Buffer::new().format(sum).as_bytes(), &limits);
    ctx.dirty(1);
    ctx.notify(notify::HASH, "hincrby", key);
    ctx.out.integer(sum);
    Ok(())
}

/// Adds in `long double` like Redis (see `long_double`) and propagates the
/// result as HSET, so replicas never redo the float arithmetic.
fn hincrbyfloat(ctx: &mut Ctx) -> Result<()> {
    let by = LongDouble::parse(ctx.arg(3)).ok_or(Error::NotFloat)?;
    if !by.is_finite() {
        return Err(Error::err("value is NaN or Infinity"));
    }
    let (key, field) = (ctx.arg(1), ctx.arg(2));
    let limits = ctx.eng.limits;
    let hash = match hash_mut(ctx, key)? {
        Some(h) => h,
        None => create(ctx, key),
    };
    let current = match hash.get(field) {
        None => LongDouble::ZERO,
        Some(e) => LongDouble::parse(e.bytes(&mut itoa::Buffer::new()))
            .ok_or_else(|| Error::err("hash value is not a float"))?,
    };
    let sum = current.add(by);
    if !sum.is_finite() {
        return Err(Error::err("increment would produce NaN or Infinity"));
    }
    let text = Bytes::from(sum.to_human());
    hash.set(field, &text, &limits);
    ctx.dirty(1);
    ctx.notify(notify::HASH, "hincrbyfloat", key);
    ctx.out.bulk(&text);
    let argv = ctx.args;
    ctx.propagate_as(vec![
        Bytes::from_static(b"HSET"),
        argv[1].clone(),
        argv[2].clone(),
        text,
    ]);
    Ok(())
}

fn hrandfield(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    if argv.len() >= 3 {
        let count = signed_count(&argv[2])?;
        let with_values = match &argv[3..] {
            [] => false,
            [opt] if args::is(opt, "withvalues") => true,
            _ => return Err(Error::Syntax),
        };
        if with_values && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
            return Err(Error::err("value is out of range"));
        }
        return hrandfield_count(ctx, count, with_values);
    }
    let (value, out) = ctx.read(&argv[1]);
    match as_hash(value)? {
        None => out.null(),
        Some(h) => write_entry(out, h.pair_at(rand::rng().random_range(0..h.len())).0),
    }
    Ok(())
}

/// HRANDFIELD with a count: distinct fields for a positive count (the
/// whole hash, in order, when it asks for as many), fields that may repeat
/// for a negative one. WITHVALUES pairs are arrays of two in RESP3.
fn hrandfield_count(ctx: &mut Ctx, count: i64, with_values: bool) -> Result<()> {
    let (value, out) = ctx.read(ctx.arg(1));
    let Some(hash) = as_hash(value)? else {
        out.array(0);
        return Ok(());
    };
    let size = hash.len();
    let n = count.unsigned_abs().min(usize::MAX as u64) as usize;
    let pairs_as_arrays = with_values && out.protocol() == Protocol::Resp3;
    let write = |out: &mut Writer,
                 picks: usize,
                 pairs: &mut dyn Iterator<Item = (Entry<'_>, Entry<'_>)>| {
        out.array(if with_values && !pairs_as_arrays {
            picks * 2
        } else {
            picks
        });
        for (f, v) in pairs {
            if pairs_as_arrays {
                out.array(2);
            }
            write_entry(out, f);
            if with_values {
                write_entry(out, v);
            }
        }
    };
    if count == 0 {
        write(out, 0, &mut std::iter::empty());
        return Ok(());
    }
    if count > 0 && n >= size {
        write(out, size, &mut hash.iter());
        return Ok(());
    }
    if count < 0 {
        let pick_bytes = MIN_PICK_BYTES * (1 + u64::from(with_values));
        check_chosen_reply(n as u64, pick_bytes)?;
    }
    // A listpack is walked once instead of once per pick.
    let listed: Option<Vec<_>> = matches!(hash, Hash::Listpack(_)).then(|| hash.iter().collect());
    let pair = |i: usize| listed.as_ref().map_or_else(|| hash.pair_at(i), |l| l[i]);
    let mut rng = rand::rng();
    if count < 0 {
        // Written as drawn: repeated picks are never gathered first.
        let mut picks = (0..n).map(|_| pair(rng.random_range(0..size)));
        write(out, n, &mut picks);
    } else {
        let ranks = rand::seq::index::sample(&mut rng, size, n);
        write(out, n, &mut ranks.into_iter().map(pair));
    }
    Ok(())
}

fn hscan(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    let cursor = parse_cursor(&argv[2])?;
    let (value, out) = ctx.read(&argv[1]);
    let Some(hash) = as_hash(value)? else {
        empty_scan(out);
        return Ok(());
    };
    let (count, pattern) = scan_options(&argv[3..])?;
    let mut elements = Vec::new();
    let next = hash.scan(cursor, count, |f, v| elements.extend([f, v]));
    scan_reply(out, next, &elements, 2, pattern);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::*;

    #[test]
    fn writes_are_propagated_like_redis() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("HSET h a 1 b 2"), int(2));
        assert_eq!(t.run("HSETNX h a 9"), int(0));
        assert_eq!(t.run("HSETNX h c 3"), int(1));
        assert_eq!(t.run("HDEL h nosuch"), int(0));
        assert_eq!(t.run("HINCRBY h a 5"), int(6));
        assert_eq!(t.run("HINCRBYFLOAT h f 0.1"), bulk("0.1"));
        assert_eq!(t.run("HINCRBYFLOAT h f 0.2"), bulk("0.3"));
        assert_eq!(
            t.run("HINCRBY h b x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            t.propagated(),
            [
                "HSET h a 1 b 2",
                "HSETNX h c 3",
                "HINCRBY h a 5",
                "HSET h f 0.1",
                "HSET h f 0.3"
            ]
        );
        let dirty = t.eng.dirty();
        t.run("HMSET h a 1 a 2");
        assert_eq!(t.eng.dirty(), dirty + 2, "one change per pair, like Redis");
    }

    #[test]
    fn last_field_deletes_the_key() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2");
        assert_eq!(t.run("HDEL h a b a"), int(2));
        assert_eq!(t.run("EXISTS h"), int(0));
        assert_eq!(
            t.run("HINCRBYFLOAT h f x"),
            err("ERR value is not a valid float")
        );
        assert_eq!(t.run("EXISTS h"), int(0));
    }

    #[test]
    fn limits_come_from_the_engine() {
        let mut t = TestEngine::new();
        t.eng.limits.hash_max_listpack_entries = 2;
        t.eng.limits.hash_max_listpack_value = 3;
        t.run("HSET h a 1 b 2");
        assert_eq!(t.run("OBJECT ENCODING h"), bulk("listpack"));
        t.run("HSET h c 3");
        assert_eq!(t.run("OBJECT ENCODING h"), bulk("hashtable"));
        t.run("HSET v a 123");
        assert_eq!(t.run("OBJECT ENCODING v"), bulk("listpack"));
        t.run("HINCRBY v a 1000");
        assert_eq!(t.run("OBJECT ENCODING v"), bulk("hashtable"));
        assert_eq!(t.run("HGET v a"), bulk("1123"));
    }

    #[test]
    fn hscan_of_a_hashtable_visits_everything() {
        let mut t = TestEngine::new();
        t.eng.limits.hash_max_listpack_entries = 4;
        for i in 0..50 {
            t.run(&format!("HSET h f{i} v{i}"));
        }
        let mut cursor = "0".to_string();
        let mut fields = std::collections::HashSet::new();
        loop {
            let reply = t.run(&format!("HSCAN h {cursor} COUNT 7"));
            let lines: Vec<&str> = reply.split("\r\n").collect();
            cursor = lines[2].to_string();
            let n: usize = lines[3][1..].parse().unwrap();
            assert_eq!(n % 2, 0);
            fields.extend((0..n).step_by(2).map(|i| lines[5 + 2 * i].to_string()));
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(fields.len(), 50);
    }

    #[test]
    fn expired_hashes_are_gone() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        t.run("PEXPIRE h 10");
        t.now += 11;
        assert_eq!(t.run("HGET h a"), NULL);
        assert_eq!(t.run("HSETNX h a 2"), int(1));
        assert_eq!(t.run("TTL h"), int(-1));
    }
}
