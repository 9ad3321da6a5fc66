//! String commands that read and write whole values or byte ranges:
//! GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX APPEND
//! STRLEN GETRANGE SUBSTR SETRANGE. Counters live in `counters`, LCS in `lcs`,
//! bit commands in `bitops`.

use bytes::Bytes;

use super::flags::*;
use super::{args, cmd, CommandDef, Ctx, Group, Handler};
use crate::{notify, Error, Kind, Result, Value};

/// Largest string a client may create (`proto-max-bulk-len`'s default).
pub(super) const MAX_STRING: u64 = 512 * 1024 * 1024;

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    let doc =
        |d: CommandDef<Handler>, since, summary| d.keys(1, 1, 1).doc(Group::String, since, summary);
    vec![
        doc(
            cmd("get", 2, READONLY | FAST, get),
            "1.0.0",
            "Get the value of a key",
        ),
        doc(
            cmd("set", -3, WRITE | DENYOOM, set),
            "1.0.0",
            "Set the string value of a key",
        ),
        doc(
            cmd("setnx", 3, WRITE | DENYOOM | FAST, setnx),
            "1.0.0",
            "Set the value of a key, only if the key does not exist",
        ),
        doc(
            cmd("setex", 4, WRITE | DENYOOM, setex),
            "2.0.0",
            "Set the value and expiration of a key",
        ),
        doc(
            cmd("psetex", 4, WRITE | DENYOOM, psetex),
            "2.6.0",
            "Set the value and expiration in milliseconds of a key",
        ),
        doc(
            cmd("getset", 3, WRITE | DENYOOM | FAST, getset),
            "1.0.0",
            "Set the string value of a key and return its old value",
        ),
        doc(
            cmd("getdel", 2, WRITE | FAST, getdel),
            "6.2.0",
            "Get the value of a key and delete the key",
        ),
        doc(
            cmd("getex", -2, WRITE | FAST, getex),
            "6.2.0",
            "Get the value of a key and optionally set its expiration",
        ),
        doc(
            cmd("mget", -2, READONLY | FAST, mget),
            "1.0.0",
            "Get the values of all the given keys",
        )
        .keys(1, -1, 1),
        doc(
            cmd("mset", -3, WRITE | DENYOOM, mset),
            "1.0.1",
            "Set multiple keys to multiple values",
        )
        .keys(1, -1, 2),
        doc(
            cmd("msetnx", -3, WRITE | DENYOOM, msetnx),
            "1.0.1",
            "Set multiple keys to multiple values, only if none of the keys exist",
        )
        .keys(1, -1, 2),
        doc(
            cmd("append", 3, WRITE | DENYOOM | FAST, append),
            "2.0.0",
            "Append a value to a key",
        ),
        doc(
            cmd("strlen", 2, READONLY | FAST, strlen),
            "2.2.0",
            "Get the length of the value stored in a key",
        ),
        doc(
            cmd("getrange", 4, READONLY, getrange),
            "2.4.0",
            "Get a substring of the string stored at a key",
        ),
        doc(
            cmd("substr", 4, READONLY, getrange),
            "1.0.0",
            "Get a substring of the string stored at a key",
        ),
        doc(
            cmd("setrange", 4, WRITE | DENYOOM, setrange),
            "2.2.0",
            "Overwrite part of a string at key starting at the specified offset",
        ),
    ]
}

/// Which expiry option was given (SET and GETEX share the parser).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ExpireOpt {
    None,
    Ex,
    Px,
    ExAt,
    PxAt,
    KeepTtl,
    Persist,
}

/// The options of SET (`for_set`) or GETEX, parsed like Redis's
/// `parseExtendedStringArgumentsOrReply`.
#[derive(Debug)]
pub(super) struct ExtOpts<'a> {
    pub nx: bool,
    pub xx: bool,
    pub get: bool,
    pub expire: ExpireOpt,
    pub expire_arg: Option<&'a [u8]>,
}

impl<'a> ExtOpts<'a> {
    const NONE: ExtOpts<'static> = ExtOpts {
        nx: false,
        xx: false,
        get: false,
        expire: ExpireOpt::None,
        expire_arg: None,
    };

    /// Just a relative or absolute expiry time (SETEX, PSETEX).
    fn expire(kind: ExpireOpt, arg: &'a [u8]) -> Self {
        ExtOpts {
            expire: kind,
            expire_arg: Some(arg),
            ..ExtOpts::NONE
        }
    }
}

pub(super) fn parse_ext_opts<'a>(list: &'a [Bytes], for_set: bool) -> Result<ExtOpts<'a>> {
    let mut o = ExtOpts::NONE;
    let mut i = 0;
    while i < list.len() {
        let opt = &list[i][..];
        let next = list.get(i + 1).map(|b| &b[..]);
        let no_expire = matches!(o.expire, ExpireOpt::None);
        let timed =
            |o: &ExtOpts, same: ExpireOpt| matches!(o.expire, ExpireOpt::None) || o.expire == same;
        if for_set && args::is(opt, "nx") && !o.xx {
            o.nx = true;
        } else if for_set && args::is(opt, "xx") && !o.nx {
            o.xx = true;
        } else if for_set && args::is(opt, "get") {
            o.get = true;
        } else if for_set
            && args::is(opt, "keepttl")
            && (no_expire || o.expire == ExpireOpt::KeepTtl)
        {
            o.expire = ExpireOpt::KeepTtl;
        } else if !for_set
            && args::is(opt, "persist")
            && (no_expire || o.expire == ExpireOpt::Persist)
        {
            o.expire = ExpireOpt::Persist;
        } else if let (Some(kind), Some(value)) = (timed_kind(opt), next) {
            if !timed(&o, kind) {
                return Err(Error::Syntax);
            }
            o.expire = kind;
            o.expire_arg = Some(value);
            i += 1;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    Ok(o)
}

fn timed_kind(opt: &[u8]) -> Option<ExpireOpt> {
    [
        ("ex", ExpireOpt::Ex),
        ("px", ExpireOpt::Px),
        ("exat", ExpireOpt::ExAt),
        ("pxat", ExpireOpt::PxAt),
    ]
    .into_iter()
    .find(|(name, _)| args::is(opt, name))
    .map(|(_, kind)| kind)
}

/// The absolute expiry time in ms for an EX/PX/EXAT/PXAT option, with
/// Redis's validation (`ERR invalid expire time in '<cmd>' command`).
pub(super) fn expire_time_ms(ctx: &Ctx, kind: ExpireOpt, arg: &[u8]) -> Result<i64> {
    let invalid = || Error::InvalidExpire(ctx.name());
    let n = args::int(arg)?;
    let seconds = matches!(kind, ExpireOpt::Ex | ExpireOpt::ExAt);
    if n <= 0 || (seconds && n > i64::MAX / 1000) {
        return Err(invalid());
    }
    let mut ms = if seconds { n * 1000 } else { n };
    if matches!(kind, ExpireOpt::Ex | ExpireOpt::Px) {
        ms = ms.checked_add(ctx.now).ok_or_else(invalid)?;
    }
    Ok(ms)
}

/// The byte length of a string value; WRONGTYPE for other types.
pub(super) fn string_len(value: &Value) -> Result<usize> {
    let mut buf = itoa::Buffer::new();
    value
        .as_bytes(&mut buf)
        .map(<[u8]>::len)
        .ok_or(Error::WrongType)
}

/// Fails unless a string of `len + extra` bytes is allowed
/// (Redis's `checkStringLength`).
pub(super) fn check_length(len: usize, extra: usize) -> Result<()> {
    if len as u64 + extra as u64 > MAX_STRING {
        return Err(Error::StringTooLong);
    }
    Ok(())
}

/// Looks `key` up for reading (counting hits and misses) and reports
/// whether it holds a string; WRONGTYPE for other types.
fn read_string(ctx: &mut Ctx, key: &[u8]) -> Result<bool> {
    match ctx.lookup_read(key) {
        None => Ok(false),
        Some(v) if v.kind() == Kind::String => Ok(true),
        Some(_) => Err(Error::WrongType),
    }
}

/// Writes the value of `key`, known to exist and hold a string, as a bulk
/// string, without counting another lookup.
fn reply_value(ctx: &mut Ctx, key: &[u8]) {
    let mut buf = itoa::Buffer::new();
    let value = ctx.eng.dbs[*ctx.db]
        .get(key)
        .and_then(|v| v.as_bytes(&mut buf));
    ctx.out.bulk(value.expect("string checked by the caller"));
}

/// Writes the string value of `key` (or null); WRONGTYPE for other types.
pub(super) fn reply_string(ctx: &mut Ctx, key: &[u8]) -> Result<()> {
    if read_string(ctx, key)? {
        reply_value(ctx, key);
    } else {
        ctx.out.null();
    }
    Ok(())
}

fn get(ctx: &mut Ctx) -> Result<()> {
    reply_string(ctx, ctx.arg(1))
}

/// What SET-like commands answer: SET's `+OK` or nil, SETNX's 1 or 0.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetReply {
    OkOrNull,
    OneOrZero,
}

fn set(ctx: &mut Ctx) -> Result<()> {
    let opts = parse_ext_opts(&ctx.args[3..], true)?;
    set_generic(ctx, 1, 2, &opts, SetReply::OkOrNull)
}

fn setnx(ctx: &mut Ctx) -> Result<()> {
    let opts = ExtOpts {
        nx: true,
        ..ExtOpts::NONE
    };
    set_generic(ctx, 1, 2, &opts, SetReply::OneOrZero)
}

fn setex(ctx: &mut Ctx) -> Result<()> {
    let opts = ExtOpts::expire(ExpireOpt::Ex, ctx.arg(2));
    set_generic(ctx, 1, 3, &opts, SetReply::OkOrNull)
}

fn psetex(ctx: &mut Ctx) -> Result<()> {
    let opts = ExtOpts::expire(ExpireOpt::Px, ctx.arg(2));
    set_generic(ctx, 1, 3, &opts, SetReply::OkOrNull)
}

/// Redis's `setGenericCommand`: the key and value are the arguments at
/// `key_at` and `value_at`. A write with an expiry is propagated as
/// `SET key value PXAT <ms>`, one with GET without the GET.
fn set_generic(
    ctx: &mut Ctx,
    key_at: usize,
    value_at: usize,
    opts: &ExtOpts,
    reply: SetReply,
) -> Result<()> {
    let argv = ctx.args;
    let (key, value) = (&argv[key_at], &argv[value_at]);
    let expire_at = match opts.expire_arg {
        Some(arg) => Some(expire_time_ms(ctx, opts.expire, arg)?),
        None => None,
    };
    if opts.get {
        reply_string(ctx, key)?;
    }
    let found = ctx.exists(key);
    if (opts.nx && found) || (opts.xx && !found) {
        match (opts.get, reply) {
            (true, _) => {}
            (false, SetReply::OkOrNull) => ctx.out.null(),
            (false, SetReply::OneOrZero) => ctx.out.integer(0),
        }
        return Ok(());
    }
    let keep_ttl = opts.expire == ExpireOpt::KeepTtl;
    ctx.set_key(key, Value::string(value), keep_ttl);
    ctx.dirty(1);
    ctx.notify(notify::STRING, "set", key);
    if let Some(at) = expire_at {
        ctx.db().set_expire(key, at);
        ctx.notify(notify::GENERIC, "expire", key);
        ctx.propagate_as(vec![
            Bytes::from_static(b"SET"),
            key.clone(),
            value.clone(),
            Bytes::from_static(b"PXAT"),
            Bytes::from(at.to_string()),
        ]);
    } else if opts.get {
        let kept = argv
            .iter()
            .enumerate()
            .filter(|(i, a)| *i < 3 || !args::is(a, "get"));
        ctx.propagate_as(kept.map(|(_, a)| a.clone()).collect());
    }
    match (opts.get, reply) {
        (true, _) => {}
        (false, SetReply::OkOrNull) => ctx.out.ok(),
        (false, SetReply::OneOrZero) => ctx.out.integer(1),
    }
    Ok(())
}

fn getset(ctx: &mut Ctx) -> Result<()> {
    let (key, value) = (ctx.arg(1), ctx.arg(2));
    reply_string(ctx, key)?;
    ctx.set_key(key, Value::string(value), false);
    ctx.dirty(1);
    ctx.notify(notify::STRING, "set", key);
    let mut argv = ctx.args.to_vec();
    argv[0] = Bytes::from_static(b"SET");
    ctx.propagate_as(argv);
    Ok(())
}

fn getdel(ctx: &mut Ctx) -> Result<()> {
    let key = ctx.arg(1);
    if !read_string(ctx, key)? {
        ctx.out.null();
        return Ok(());
    }
    reply_value(ctx, key);
    ctx.delete(key);
    ctx.dirty(1);
    ctx.propagate_as(vec![Bytes::from_static(b"DEL"), ctx.args[1].clone()]);
    Ok(())
}

/// GETEX is never propagated as is: it becomes PEXPIREAT, DEL or PERSIST,
/// or nothing when it did not change the key.
fn getex(ctx: &mut Ctx) -> Result<()> {
    let key = ctx.arg(1);
    let opts = parse_ext_opts(&ctx.args[2..], false)?;
    if !read_string(ctx, key)? {
        ctx.out.null();
        return Ok(());
    }
    let expire_at = match opts.expire_arg {
        Some(arg) => Some(expire_time_ms(ctx, opts.expire, arg)?),
        None => None,
    };
    reply_value(ctx, key);
    let key_arg = ctx.args[1].clone();
    let absolute = matches!(opts.expire, ExpireOpt::ExAt | ExpireOpt::PxAt);
    match expire_at {
        Some(at) if absolute && at <= ctx.now && !ctx.eng.replica => {
            ctx.delete(key);
            ctx.propagate_as(vec![Bytes::from_static(b"DEL"), key_arg]);
        }
        Some(at) => {
            ctx.db().set_expire(key, at);
            ctx.notify(notify::GENERIC, "expire", key);
            ctx.propagate_as(vec![
                Bytes::from_static(b"PEXPIREAT"),
                key_arg,
                Bytes::from(at.to_string()),
            ]);
        }
        None if opts.expire == ExpireOpt::Persist && ctx.db().persist(key) => {
            ctx.notify(notify::GENERIC, "persist", key);
            ctx.propagate_as(vec![Bytes::from_static(b"PERSIST"), key_arg]);
        }
        None => return Ok(()),
    }
    ctx.dirty(1);
    Ok(())
}

fn mget(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    let keys = &argv[1..];
    ctx.out.array(keys.len());
    let mut buf = itoa::Buffer::new();
    for key in keys {
        // Other types read as nil here rather than failing the batch.
        match ctx.read(key) {
            (Some(v), out) => match v.as_bytes(&mut buf) {
                Some(bytes) => out.bulk(bytes),
                None => out.null(),
            },
            (None, out) => out.null(),
        }
    }
    Ok(())
}

fn mset(ctx: &mut Ctx) -> Result<()> {
    mset_generic(ctx, false)
}

fn msetnx(ctx: &mut Ctx) -> Result<()> {
    mset_generic(ctx, true)
}

/// MSET and MSETNX: `nx` sets nothing (and answers 0) if any key exists.
fn mset_generic(ctx: &mut Ctx, nx: bool) -> Result<()> {
    let argv = ctx.args;
    let pairs = &argv[1..];
    if !pairs.len().is_multiple_of(2) {
        return Err(Error::Arity(ctx.name()));
    }
    if nx && pairs.chunks(2).any(|pair| ctx.exists(&pair[0])) {
        ctx.out.integer(0);
        return Ok(());
    }
    for pair in pairs.chunks(2) {
        ctx.set_key(&pair[0], Value::string(&pair[1]), false);
        ctx.notify(notify::STRING, "set", &pair[0]);
    }
    ctx.dirty(pairs.len() as u64 / 2);
    if nx {
        ctx.out.integer(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

fn append(ctx: &mut Ctx) -> Result<()> {
    let (key, tail) = (ctx.arg(1), ctx.arg(2));
    let len = match ctx.lookup_write(key) {
        // A new key is encoded like SET's value; an appended one is raw.
        None => {
            ctx.set_key(key, Value::string(tail), false);
            tail.len()
        }
        Some(v) => {
            check_length(string_len(v)?, tail.len())?;
            let bytes = v.make_raw().ok_or(Error::WrongType)?;
            bytes.extend_from_slice(tail);
            bytes.len()
        }
    };
    ctx.dirty(1);
    ctx.notify(notify::STRING, "append", key);
    ctx.out.integer(len as i64);
    Ok(())
}

fn strlen(ctx: &mut Ctx) -> Result<()> {
    let len = match ctx.lookup_read(ctx.arg(1)) {
        Some(v) => string_len(v)?,
        None => 0,
    };
    ctx.out.integer(len as i64);
    Ok(())
}

/// GETRANGE and SUBSTR: inclusive byte range, negative offsets counting
/// from the end, clamped to the string.
fn getrange(ctx: &mut Ctx) -> Result<()> {
    let start = args::int(ctx.arg(2))?;
    let end = args::int(ctx.arg(3))?;
    let mut buf = itoa::Buffer::new();
    let (value, out) = ctx.read(ctx.arg(1));
    let Some(value) = value else {
        out.bulk(b"");
        return Ok(());
    };
    let bytes = value.as_bytes(&mut buf).ok_or(Error::WrongType)?;
    match byte_range(start, end, bytes.len()) {
        Some((from, to)) => out.bulk(&bytes[from..=to]),
        None => out.bulk(b""),
    }
    Ok(())
}

/// The inclusive range GETRANGE returns, `None` when empty.
fn byte_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let (start, end) = clamp_range(start, end, len as i64)?;
    Some((start as usize, end as usize))
}

/// `start..=end` over `len` bytes (or bits) as Redis's string commands
/// resolve it: negative indexes count from the end, then both are clamped
/// to the string. `None` when that leaves nothing.
pub(super) fn clamp_range(start: i64, end: i64, len: i64) -> Option<(i64, i64)> {
    let resolve = |i: i64| if i < 0 { (len + i).max(0) } else { i };
    let (start, end) = (resolve(start), resolve(end).min(len - 1));
    (start <= end).then_some((start, end))
}

fn setrange(ctx: &mut Ctx) -> Result<()> {
    let key = ctx.arg(1);
    let offset = args::int(ctx.arg(2))?;
    let patch = ctx.arg(3);
    let offset = usize::try_from(offset).map_err(|_| Error::err("offset is out of range"))?;
    let len = match ctx.lookup_write(key) {
        // Writing nothing creates nothing and changes nothing.
        None if patch.is_empty() => 0,
        None => {
            check_length(offset, patch.len())?;
            let mut bytes = vec![0; offset + patch.len()];
            bytes[offset..].copy_from_slice(patch);
            let len = bytes.len();
            ctx.set_key(key, Value::Raw(Box::new(bytes)), false);
            ctx.dirty(1);
            ctx.notify(notify::STRING, "setrange", key);
            len
        }
        Some(v) => {
            let len = string_len(v)?;
            if patch.is_empty() {
                ctx.out.integer(len as i64);
                return Ok(());
            }
            check_length(offset, patch.len())?;
            let bytes = v.make_raw().ok_or(Error::WrongType)?;
            let end = offset + patch.len();
            if bytes.len() < end {
                bytes.resize(end, 0);
            }
            bytes[offset..end].copy_from_slice(patch);
            let len = bytes.len();
            ctx.dirty(1);
            ctx.notify(notify::STRING, "setrange", key);
            len
        }
    };
    ctx.out.integer(len as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::*;

    #[test]
    fn set_family_replies_and_propagation() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("SETNX k v"), int(1));
        assert_eq!(t.run("SETNX k w"), int(0));
        assert_eq!(t.run("SETEX k 10 v2"), OK);
        assert_eq!(t.run("PTTL k"), int(10_000));
        assert_eq!(t.run("PSETEX k 1500 v3"), OK);
        assert_eq!(t.run("PTTL k"), int(1500));
        assert_eq!(
            t.propagated(),
            [
                "SETNX k v".to_string(),
                format!("SET k v2 PXAT {}", NOW + 10_000),
                format!("SET k v3 PXAT {}", NOW + 1500),
            ]
        );
        assert_eq!(
            t.run("SETEX k 0 v"),
            err("ERR invalid expire time in 'setex' command")
        );
        assert_eq!(
            t.run("PSETEX k -5 v"),
            err("ERR invalid expire time in 'psetex' command")
        );
        assert_eq!(
            t.run("SETEX k x v"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            t.run("SETEX k 9223372036854776 v"),
            err("ERR invalid expire time in 'setex' command")
        );
        assert!(t.propagated().is_empty());
    }

    #[test]
    fn set_options() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("SET k v XX"), NULL);
        assert_eq!(t.run("SET k v NX GET"), NULL);
        assert_eq!(t.run("SET k w NX GET"), bulk("v"));
        assert_eq!(t.run("SET k w GET get"), bulk("v"));
        assert_eq!(t.run("SET k x EX 10 KEEPTTL"), err("ERR syntax error"));
        assert_eq!(t.run("SET k x NX XX"), err("ERR syntax error"));
        assert_eq!(t.run("SET k x EX"), err("ERR syntax error"));
        assert_eq!(t.run("SET k x EXAT 1 PXAT 2"), err("ERR syntax error"));
        assert_eq!(t.run("SET k x EX 5 EX 6"), OK);
        assert_eq!(t.run("TTL k"), int(6));
        assert_eq!(t.run("SET k y KEEPTTL"), OK);
        assert_eq!(t.run("TTL k"), int(6));
        assert_eq!(
            t.propagated(),
            [
                "SET k v NX".to_string(),
                "SET k w".to_string(),
                format!("SET k x PXAT {}", NOW + 6000),
                "SET k y KEEPTTL".to_string(),
            ]
        );
    }

    #[test]
    fn getset_getdel_getex() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("GETSET k a"), NULL);
        assert_eq!(t.run("EXPIRE k 100"), int(1));
        assert_eq!(t.run("GETSET k b"), bulk("a"));
        assert_eq!(t.run("TTL k"), int(-1));
        assert_eq!(t.run("GETEX k"), bulk("b"));
        assert_eq!(t.run("GETEX k PERSIST"), bulk("b"));
        assert_eq!(t.run("GETEX k EX 100"), bulk("b"));
        assert_eq!(t.run("GETEX k PERSIST"), bulk("b"));
        assert_eq!(t.run("GETEX k PXAT 1"), bulk("b"));
        assert_eq!(t.run("EXISTS k"), int(0));
        assert_eq!(t.run("GETEX k EX 0"), NULL);
        t.run("SET k c");
        assert_eq!(
            t.run("GETEX k EX 0"),
            err("ERR invalid expire time in 'getex' command")
        );
        assert_eq!(t.run("GETEX k KEEPTTL"), err("ERR syntax error"));
        assert_eq!(t.run("GETEX k PERSIST EX 1"), err("ERR syntax error"));
        assert_eq!(t.run("GETDEL k"), bulk("c"));
        assert_eq!(t.run("GETDEL k"), NULL);
        assert_eq!(
            t.propagated(),
            [
                "SET k a".to_string(),
                format!("PEXPIREAT k {}", NOW + 100_000),
                "SET k b".to_string(),
                format!("PEXPIREAT k {}", NOW + 100_000),
                "PERSIST k".to_string(),
                "DEL k".to_string(),
                "SET k c".to_string(),
                "DEL k".to_string(),
            ]
        );
    }

    #[test]
    fn getex_on_a_replica_keeps_past_expiry() {
        let mut t = TestEngine::new();
        t.run("SET k v");
        t.eng.replica = true;
        assert_eq!(t.run("GETEX k PXAT 1"), bulk("v"));
        assert_eq!(t.eng.db(0).expire_at(b"k"), Some(1));
    }

    #[test]
    fn mget_mset_msetnx() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("MSET a 1 b 2 a 3"), OK);
        assert_eq!(
            t.run("MGET a b c"),
            format!("*3\r\n{}{}{NULL}", bulk("3"), bulk("2"))
        );
        assert_eq!(
            t.run("MSET a 1 b"),
            err("ERR wrong number of arguments for 'mset' command")
        );
        assert_eq!(t.run("MSETNX c 1 a 2"), int(0));
        assert_eq!(t.run("MSETNX c 1 d 2"), int(1));
        assert_eq!(
            t.run("MSETNX x"),
            err("ERR wrong number of arguments for 'msetnx' command")
        );
        assert_eq!(t.propagated(), ["MSET a 1 b 2 a 3", "MSETNX c 1 d 2"]);
        assert_eq!(t.eng.dirty(), 5);
    }

    #[test]
    fn append_strlen_and_encodings() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("APPEND k 123"), int(3));
        assert_eq!(t.run("OBJECT ENCODING k"), bulk("int"));
        assert_eq!(t.run("APPEND k 45"), int(5));
        assert_eq!(t.run("OBJECT ENCODING k"), bulk("raw"));
        assert_eq!(t.run("GET k"), bulk("12345"));
        assert_eq!(t.run("STRLEN k"), int(5));
        assert_eq!(t.run("STRLEN nope"), int(0));
        t.run("SET n 1");
        assert_eq!(t.run("APPEND n \"\""), int(1));
        assert_eq!(t.run("OBJECT ENCODING n"), bulk("raw"));
        assert_eq!(t.run("INCR n"), int(2));
        assert_eq!(t.run("STRLEN n"), int(1));
        assert_eq!(
            t.propagated(),
            [
                "APPEND k 123",
                "APPEND k 45",
                "SET n 1",
                "APPEND n ",
                "INCR n"
            ]
        );
    }

    #[test]
    fn getrange_like_redis() {
        let mut t = TestEngine::new();
        t.run("SET k Hello");
        for (range, want) in [
            ("0 -1", "Hello"),
            ("0 2", "Hel"),
            ("-3 -1", "llo"),
            ("-1 -3", ""),
            ("3 1", ""),
            ("-100 1", "He"),
            ("2 100", "llo"),
            ("5 10", ""),
            ("-9223372036854775808 9223372036854775807", "Hello"),
        ] {
            assert_eq!(t.run(&format!("GETRANGE k {range}")), bulk(want), "{range}");
        }
        t.run("SET n 12345");
        assert_eq!(t.run("SUBSTR n 1 2"), bulk("23"));
        assert_eq!(t.run("GETRANGE nope 0 -1"), bulk(""));
        assert_eq!(
            t.run("GETRANGE k a 1"),
            err("ERR value is not an integer or out of range")
        );
        t.run("SET e \"\"");
        assert_eq!(t.run("GETRANGE e 0 -1"), bulk(""));
    }

    #[test]
    fn setrange_like_redis() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("SETRANGE k 2 ab"), int(4));
        assert_eq!(t.run("GET k"), bulk("\0\0ab"));
        assert_eq!(t.run("OBJECT ENCODING k"), bulk("raw"));
        assert_eq!(t.run("SETRANGE k 1 XYZW"), int(5));
        assert_eq!(t.run("GET k"), bulk("\0XYZW"));
        assert_eq!(t.run("SETRANGE k 0 \"\""), int(5));
        assert_eq!(t.run("SETRANGE nope 5 \"\""), int(0));
        assert_eq!(t.run("EXISTS nope"), int(0));
        assert_eq!(t.run("SETRANGE k -1 x"), err("ERR offset is out of range"));
        assert_eq!(
            t.run("SETRANGE k 536870911 xy"),
            err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
        );
        assert_eq!(
            t.run("SETRANGE nope 536870912 x"),
            err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
        );
        t.run("SET n 12");
        assert_eq!(t.run("SETRANGE n 1 5"), int(2));
        assert_eq!(t.run("GET n"), bulk("15"));
        assert_eq!(
            t.propagated(),
            [
                "SETRANGE k 2 ab",
                "SETRANGE k 1 XYZW",
                "SET n 12",
                "SETRANGE n 1 5"
            ]
        );
    }

    #[test]
    fn lazy_expiry_on_access() {
        let mut t = TestEngine::new();
        t.run("SET k v PX 100");
        t.propagated();
        t.now += 101;
        assert_eq!(t.run("GET k"), NULL);
        assert_eq!(t.propagated(), ["DEL k"]);
        assert_eq!(t.eng.stats.keyspace_misses, 1);
    }
}
