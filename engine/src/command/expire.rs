//! Expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (with NX XX GT LT),
//! TTL PTTL EXPIRETIME PEXPIRETIME, PERSIST.

use bytes::Bytes;

use super::flags::*;
use super::{args, cmd, CommandDef, Ctx, Group, Handler};
use crate::{notify, Error, Result};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    let doc = |d: CommandDef<Handler>, since, summary| {
        d.keys(1, 1, 1).doc(Group::Generic, since, summary)
    };
    let set = WRITE | FAST;
    let get = READONLY | FAST;
    vec![
        doc(
            cmd("expire", -3, set, expire),
            "1.0.0",
            "Set a key's time to live in seconds",
        ),
        doc(
            cmd("pexpire", -3, set, pexpire),
            "2.6.0",
            "Set a key's time to live in milliseconds",
        ),
        doc(
            cmd("expireat", -3, set, expireat),
            "1.2.0",
            "Set the expiration for a key as a UNIX timestamp",
        ),
        doc(
            cmd("pexpireat", -3, set, pexpireat),
            "2.6.0",
            "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        ),
        doc(
            cmd("ttl", 2, get, ttl),
            "1.0.0",
            "Get the time to live for a key in seconds",
        ),
        doc(
            cmd("pttl", 2, get, pttl),
            "2.6.0",
            "Get the time to live for a key in milliseconds",
        ),
        doc(
            cmd("expiretime", 2, get, expiretime),
            "7.0.0",
            "Get the expiration Unix timestamp for a key",
        ),
        doc(
            cmd("pexpiretime", 2, get, pexpiretime),
            "7.0.0",
            "Get the expiration Unix timestamp for a key in milliseconds",
        ),
        doc(
            cmd("persist", 2, set, persist),
            "2.2.0",
            "Remove the expiration from a key",
        ),
    ]
}

/// How an expiry argument or answer is expressed.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Unit {
    /// Seconds rather than milliseconds.
    seconds: bool,
    /// A Unix time rather than a time to live.
    absolute: bool,
}

const EXPIRE: Unit = Unit {
    seconds: true,
    absolute: false,
};
const PEXPIRE: Unit = Unit {
    seconds: false,
    absolute: false,
};
const EXPIREAT: Unit = Unit {
    seconds: true,
    absolute: true,
};
const PEXPIREAT: Unit = Unit {
    seconds: false,
    absolute: true,
};

fn expire(ctx: &mut Ctx) -> Result<()> {
    expire_generic(ctx, EXPIRE)
}

fn pexpire(ctx: &mut Ctx) -> Result<()> {
    expire_generic(ctx, PEXPIRE)
}

fn expireat(ctx: &mut Ctx) -> Result<()> {
    expire_generic(ctx, EXPIREAT)
}

fn pexpireat(ctx: &mut Ctx) -> Result<()> {
    expire_generic(ctx, PEXPIREAT)
}

/// The NX / XX / GT / LT conditions of the EXPIRE family.
#[derive(Default)]
struct Conditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl Conditions {
    fn parse(list: &[Bytes]) -> Result<Conditions> {
        let mut c = Conditions::default();
        for opt in list {
            let flag = match opt.to_ascii_lowercase().as_slice() {
                b"nx" => &mut c.nx,
                b"xx" => &mut c.xx,
                b"gt" => &mut c.gt,
                b"lt" => &mut c.lt,
                _ => {
                    return Err(Error::err(format_args!(
                        "Unsupported option {}",
                        String::from_utf8_lossy(opt)
                    )))
                }
            };
            *flag = true;
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            return Err(Error::err(
                "NX and XX, GT or LT options at the same time are not compatible",
            ));
        }
        if c.gt && c.lt {
            return Err(Error::err(
                "GT and LT options at the same time are not compatible",
            ));
        }
        Ok(c)
    }

    /// Whether a key whose expiry time is `current` (None: persistent) may
    /// get `when`. A persistent key counts as an infinite time to live.
    fn allow(&self, current: Option<i64>, when: i64) -> bool {
        match current {
            None => !self.xx && !self.gt,
            Some(at) => !(self.nx || (self.gt && when <= at) || (self.lt && when >= at)),
        }
    }
}

/// Redis's `expireGenericCommand`. A time in the past deletes the key (on
/// a master) and is propagated as DEL; otherwise the command is propagated
/// as PEXPIREAT with the absolute time in ms, options kept.
fn expire_generic(ctx: &mut Ctx, unit: Unit) -> Result<()> {
    let key = ctx.arg(1);
    let conditions = Conditions::parse(&ctx.args[3..])?;
    let invalid = || Error::InvalidExpire(ctx.name());
    let mut when = args::int(ctx.arg(2))?;
    if unit.seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    if !unit.absolute {
        when = when.checked_add(ctx.now).ok_or_else(invalid)?;
    }
    if !ctx.exists(key) || !conditions.allow(ctx.db().expire_at(key), when) {
        ctx.out.integer(0);
        return Ok(());
    }
    let key_arg = ctx.args[1].clone();
    if when <= ctx.now && !ctx.eng.replica {
        ctx.delete(key);
        ctx.propagate_as(vec![Bytes::from_static(b"DEL"), key_arg]);
    } else {
        ctx.db().set_expire(key, when);
        ctx.notify(notify::GENERIC, "expire", key);
        if unit != PEXPIREAT {
            let mut argv = ctx.args.to_vec();
            argv[0] = Bytes::from_static(b"PEXPIREAT");
            argv[2] = Bytes::from(when.to_string());
            ctx.propagate_as(argv);
        }
    }
    ctx.dirty(1);
    ctx.out.integer(1);
    Ok(())
}

fn ttl(ctx: &mut Ctx) -> Result<()> {
    ttl_generic(ctx, EXPIRE)
}

fn pttl(ctx: &mut Ctx) -> Result<()> {
    ttl_generic(ctx, PEXPIRE)
}

fn expiretime(ctx: &mut Ctx) -> Result<()> {
    ttl_generic(ctx, EXPIREAT)
}

fn pexpiretime(ctx: &mut Ctx) -> Result<()> {
    ttl_generic(ctx, PEXPIREAT)
}

/// TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 without an
/// expiry time; seconds are rounded to the nearest.
fn ttl_generic(ctx: &mut Ctx, unit: Unit) -> Result<()> {
    let key = ctx.arg(1);
    if ctx.lookup_read(key).is_none() {
        ctx.out.integer(-2);
        return Ok(());
    }
    let Some(at) = ctx.db().expire_at(key) else {
        ctx.out.integer(-1);
        return Ok(());
    };
    // Wide arithmetic: times near i64::MAX still round like Redis's answers.
    let base = if unit.absolute { 0 } else { ctx.now };
    let ms = (i128::from(at) - i128::from(base)).max(0);
    let answer = if unit.seconds { (ms + 500) / 1000 } else { ms };
    ctx.out.integer(answer as i64);
    Ok(())
}

fn persist(ctx: &mut Ctx) -> Result<()> {
    let key = ctx.arg(1);
    let removed = ctx.exists(key) && ctx.db().persist(key);
    if removed {
        ctx.notify(notify::GENERIC, "persist", key);
        ctx.dirty(1);
    }
    ctx.out.integer(i64::from(removed));
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::*;

    #[test]
    fn expire_family_propagates_absolute_ms() {
        let mut t = TestEngine::new();
        t.run("SET k v");
        t.propagated();
        assert_eq!(t.run("EXPIRE k 100"), int(1));
        assert_eq!(t.run("PEXPIRE k 100500 GT"), int(1));
        assert_eq!(t.run("EXPIREAT k 1800000000"), int(1));
        assert_eq!(t.run("pexpireat k 1800000000001 gt"), int(1));
        assert_eq!(
            t.propagated(),
            [
                format!("PEXPIREAT k {}", NOW + 100_000),
                format!("PEXPIREAT k {} GT", NOW + 100_500),
                "PEXPIREAT k 1800000000000".to_string(),
                "pexpireat k 1800000000001 gt".to_string(),
            ]
        );
        assert_eq!(t.run("PEXPIRETIME k"), int(1_800_000_000_001));
        assert_eq!(t.run("EXPIRETIME k"), int(1_800_000_000));
        assert_eq!(t.run("EXPIRE nope 10"), int(0));
    }

    #[test]
    fn past_times_delete() {
        let mut t = TestEngine::new();
        t.run("SET k v");
        t.propagated();
        assert_eq!(t.run("EXPIRE k -1"), int(1));
        assert_eq!(t.run("EXISTS k"), int(0));
        t.run("SET k v");
        assert_eq!(t.run("EXPIREAT k 1"), int(1));
        assert_eq!(t.propagated(), ["DEL k", "SET k v", "DEL k"]);
        // A replica keeps the key with its past time, waiting for a DEL.
        t.eng.replica = true;
        t.run("SET k v");
        assert_eq!(t.run("PEXPIRE k 0"), int(1));
        assert_eq!(t.eng.db(0).expire_at(b"k"), Some(NOW));
    }

    #[test]
    fn conditions() {
        let mut t = TestEngine::new();
        t.run("SET k v");
        assert_eq!(t.run("EXPIRE k 100 XX"), int(0));
        assert_eq!(t.run("EXPIRE k 100 GT"), int(0));
        assert_eq!(t.run("EXPIRE k 100 LT"), int(1));
        assert_eq!(t.run("EXPIRE k 50 NX"), int(0));
        assert_eq!(t.run("EXPIRE k 200 LT"), int(0));
        assert_eq!(t.run("EXPIRE k 100 GT"), int(0));
        assert_eq!(t.run("EXPIRE k 101 GT"), int(1));
        assert_eq!(t.run("EXPIRE k 50 XX LT"), int(1));
        assert_eq!(t.run("TTL k"), int(50));
        assert_eq!(t.run("PERSIST k"), int(1));
        assert_eq!(t.run("EXPIRE k 50 NX"), int(1));
    }

    #[test]
    fn errors_in_redis_order() {
        let mut t = TestEngine::new();
        t.run("SET k v");
        assert_eq!(t.run("EXPIRE k abc foo"), err("ERR Unsupported option foo"));
        assert_eq!(
            t.run("EXPIRE k abc nx xx"),
            err("ERR NX and XX, GT or LT options at the same time are not compatible")
        );
        assert_eq!(
            t.run("EXPIRE k 1 nx gt"),
            err("ERR NX and XX, GT or LT options at the same time are not compatible")
        );
        assert_eq!(
            t.run("EXPIRE k 1 gt lt"),
            err("ERR GT and LT options at the same time are not compatible")
        );
        assert_eq!(
            t.run("EXPIRE k abc"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            t.run("EXPIRE k 9223372036854775807"),
            err("ERR invalid expire time in 'expire' command")
        );
        assert_eq!(
            t.run("PEXPIRE k 9223372036854775807"),
            err("ERR invalid expire time in 'pexpire' command")
        );
        assert_eq!(
            t.run("EXPIREAT k -9223372036854776"),
            err("ERR invalid expire time in 'expireat' command")
        );
        assert_eq!(t.run("PEXPIREAT k 9223372036854775807"), int(1));
        assert_eq!(t.run("EXPIRETIME k"), int(9_223_372_036_854_776));
        assert_eq!(t.run("EXPIREAT k -9223372036854775"), int(1));
        assert_eq!(t.run("EXISTS k"), int(0));
    }

    #[test]
    fn ttl_family() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("TTL k"), int(-2));
        assert_eq!(t.run("PEXPIRETIME k"), int(-2));
        t.run("SET k v");
        assert_eq!(t.run("TTL k"), int(-1));
        assert_eq!(t.run("EXPIRETIME k"), int(-1));
        t.run("PEXPIRE k 1499");
        assert_eq!(t.run("TTL k"), int(1));
        assert_eq!(t.run("PTTL k"), int(1499));
        t.run("PEXPIRE k 1500");
        assert_eq!(t.run("TTL k"), int(2));
        t.run(&format!("PEXPIREAT k {}", NOW + 1499));
        assert_eq!(t.run("EXPIRETIME k"), int((NOW + 1499 + 500) / 1000));
        t.eng.replica = true;
        t.now += 1500;
        assert_eq!(t.run("PTTL k"), int(-2));
    }

    #[test]
    fn persist() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("PERSIST k"), int(0));
        t.run("SET k v EX 10");
        assert_eq!(t.run("PERSIST k"), int(1));
        assert_eq!(t.run("PERSIST k"), int(0));
        assert_eq!(t.run("TTL k"), int(-1));
        let p = t.propagated();
        assert_eq!(p[1..], ["PERSIST k"]);
    }
}
