//! String commands.

use bytes::Bytes;

use super::flags::*;
use super::{args, cmd, CommandDef, Ctx, Group, Handler};
use crate::{Error, Result, Value};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    let doc =
        |d: CommandDef<Handler>, since, summary| d.keys(1, 1, 1).doc(Group::String, since, summary);
    vec![
        doc(cmd("get", 2, READONLY | FAST, get), "1.0.0", "Returns the string value of a key."),
        doc(cmd("set", -3, WRITE | DENYOOM, set), "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist."),
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

pub(super) fn parse_ext_opts<'a>(list: &'a [Bytes], for_set: bool) -> Result<ExtOpts<'a>> {
    let mut o = ExtOpts {
        nx: false,
        xx: false,
        get: false,
        expire: ExpireOpt::None,
        expire_arg: None,
    };
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

/// Writes the string value of `key` (or null); WRONGTYPE for other types.
pub(super) fn reply_string(ctx: &mut Ctx, key: &[u8]) -> Result<()> {
    let mut buf = itoa::Buffer::new();
    match ctx.read(key) {
        (None, out) => out.null(),
        (Some(v), out) => out.bulk(v.as_bytes(&mut buf).ok_or(Error::WrongType)?),
    }
    Ok(())
}

fn get(ctx: &mut Ctx) -> Result<()> {
    reply_string(ctx, ctx.arg(1))
}

fn set(ctx: &mut Ctx) -> Result<()> {
    let key = ctx.arg(1);
    let opts = parse_ext_opts(&ctx.args[3..], true)?;
    let expire_at = match opts.expire_arg {
        Some(arg) => Some(expire_time_ms(ctx, opts.expire, arg)?),
        None => None,
    };
    if opts.get {
        reply_string(ctx, key)?;
    }
    let found = ctx.exists(key);
    if (opts.nx && found) || (opts.xx && !found) {
        if !opts.get {
            ctx.out.null();
        }
        return Ok(());
    }
    let value = Value::string(ctx.arg(2));
    let keep_ttl = opts.expire == ExpireOpt::KeepTtl;
    ctx.db().set(key, value, keep_ttl);
    ctx.dirty(1);
    if let Some(at) = expire_at {
        ctx.db().set_expire(key, at);
        let args = ctx.args;
        ctx.propagate_as(vec![
            Bytes::from_static(b"SET"),
            args[1].clone(),
            args[2].clone(),
            Bytes::from_static(b"PXAT"),
            Bytes::from(at.to_string()),
        ]);
    } else if opts.get {
        let kept = ctx
            .args
            .iter()
            .enumerate()
            .filter(|(i, a)| *i < 3 || !args::is(a, "get"));
        ctx.propagate_as(kept.map(|(_, a)| a.clone()).collect());
    }
    if !opts.get {
        ctx.out.ok();
    }
    Ok(())
}
