//! Numeric string commands: INCR DECR INCRBY DECRBY INCRBYFLOAT.

use bytes::Bytes;
use resp::parse_i64;

use super::flags::*;
use super::long_double::LongDouble;
use super::{args, cmd, CommandDef, Ctx, Group, Handler};
use crate::{notify, Error, Result, Str, Value};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    let doc =
        |d: CommandDef<Handler>, since, summary| d.keys(1, 1, 1).doc(Group::String, since, summary);
    let flags = WRITE | DENYOOM | FAST;
    vec![
        doc(
            cmd("incr", 2, flags, incr),
            "1.0.0",
            "Increment the integer value of a key by one",
        ),
        doc(
            cmd("decr", 2, flags, decr),
            "1.0.0",
            "Decrement the integer value of a key by one",
        ),
        doc(
            cmd("incrby", 3, flags, incrby),
            "1.0.0",
            "Increment the integer value of a key by the given amount",
        ),
        doc(
            cmd("decrby", 3, flags, decrby),
            "1.0.0",
            "Decrement the integer value of a key by the given number",
        ),
        doc(
            cmd("incrbyfloat", 3, flags, incrbyfloat),
            "2.6.0",
            "Increment the float value of a key by the given amount",
        ),
    ]
}

fn incr(ctx: &mut Ctx) -> Result<()> {
    add_integer(ctx, 1)
}

fn decr(ctx: &mut Ctx) -> Result<()> {
    add_integer(ctx, -1)
}

fn incrby(ctx: &mut Ctx) -> Result<()> {
    add_integer(ctx, args::int(ctx.arg(2))?)
}

fn decrby(ctx: &mut Ctx) -> Result<()> {
    let by = args::int(ctx.arg(2))?;
    // Negating i64::MIN would overflow before the value is even looked at.
    let by = by
        .checked_neg()
        .ok_or_else(|| Error::err("decrement would overflow"))?;
    add_integer(ctx, by)
}

/// Adds `delta` to the integer at the key (0 when missing), keeping its
/// expiry time; the result is stored `int`-encoded.
fn add_integer(ctx: &mut Ctx, delta: i64) -> Result<()> {
    let key = ctx.arg(1);
    let current = match ctx.lookup_write(key) {
        None => 0,
        Some(v) => integer_value(v)?,
    };
    let value = current.checked_add(delta).ok_or(Error::Overflow)?;
    ctx.set_key(key, Value::Int(value), true);
    ctx.dirty(1);
    ctx.notify(notify::STRING, "incrby", key);
    ctx.out.integer(value);
    Ok(())
}

/// The integer a string value holds (`ERR value is not an integer or out
/// of range` otherwise); WRONGTYPE for other types.
fn integer_value(value: &Value) -> Result<i64> {
    if let Value::Int(n) = value {
        return Ok(*n);
    }
    let mut buf = itoa::Buffer::new();
    let text = value.as_bytes(&mut buf).ok_or(Error::WrongType)?;
    parse_i64(text).ok_or(Error::NotInteger)
}

/// Adds in `long double` like Redis (see `long_double`), stores the result
/// as an `embstr`/`raw` string, and propagates `SET key result KEEPTTL` so
/// replicas never redo the float arithmetic.
fn incrbyfloat(ctx: &mut Ctx) -> Result<()> {
    let key = ctx.arg(1);
    let mut buf = itoa::Buffer::new();
    let current = match ctx.lookup_write(key) {
        None => LongDouble::ZERO,
        Some(v) => {
            let text = v.as_bytes(&mut buf).ok_or(Error::WrongType)?;
            LongDouble::parse(text).ok_or(Error::NotFloat)?
        }
    };
    let by = LongDouble::parse(ctx.arg(2)).ok_or(Error::NotFloat)?;
    let sum = current.add(by);
    if !sum.is_finite() {
        return Err(Error::err("increment would produce NaN or Infinity"));
    }
    let text = Bytes::from(sum.to_human());
    ctx.set_key(key, Value::Str(Str::new(&text)), true);
    ctx.dirty(1);
    ctx.notify(notify::STRING, "incrbyfloat", key);
    ctx.out.bulk(&text);
    ctx.propagate_as(vec![
        Bytes::from_static(b"SET"),
        ctx.args[1].clone(),
        text,
        Bytes::from_static(b"KEEPTTL"),
    ]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::*;

    #[test]
    fn integer_counters() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("INCR n"), int(1));
        assert_eq!(t.run("INCRBY n 10"), int(11));
        assert_eq!(t.run("DECR n"), int(10));
        assert_eq!(t.run("DECRBY n -5"), int(15));
        assert_eq!(t.run("OBJECT ENCODING n"), bulk("int"));
        assert_eq!(
            t.propagated(),
            ["INCR n", "INCRBY n 10", "DECR n", "DECRBY n -5"]
        );
        t.run("SET big 9223372036854775807");
        assert_eq!(
            t.run("INCR big"),
            err("ERR increment or decrement would overflow")
        );
        assert_eq!(
            t.run("DECRBY n -9223372036854775808"),
            err("ERR decrement would overflow")
        );
        t.run("SET min -9223372036854775807");
        assert_eq!(t.run("DECR min"), int(i64::MIN));
        assert_eq!(
            t.run("DECR min"),
            err("ERR increment or decrement would overflow")
        );
        for bad in ["\" 1\"", "1.5", "01", "abc", "\"\""] {
            t.run(&format!("SET s {bad}"));
            assert_eq!(
                t.run("INCR s"),
                err("ERR value is not an integer or out of range")
            );
        }
        assert_eq!(
            t.run("INCRBY n x"),
            err("ERR value is not an integer or out of range")
        );
    }

    #[test]
    fn counters_keep_the_ttl() {
        let mut t = TestEngine::new();
        t.run("SET n 5 EX 100");
        assert_eq!(t.run("INCR n"), int(6));
        assert_eq!(t.run("INCRBYFLOAT n 0.5"), bulk("6.5"));
        assert_eq!(t.run("TTL n"), int(100));
    }

    #[test]
    fn appended_digits_count() {
        let mut t = TestEngine::new();
        t.run("APPEND n 1");
        t.run("APPEND n 2");
        assert_eq!(t.run("INCR n"), int(13));
        assert_eq!(t.run("OBJECT ENCODING n"), bulk("int"));
    }

    #[test]
    fn incrbyfloat_like_redis() {
        let mut t = TestEngine::new();
        for want in ["0.1", "0.2", "0.3"] {
            assert_eq!(t.run("INCRBYFLOAT f 0.1"), bulk(want));
        }
        assert_eq!(t.run("OBJECT ENCODING f"), bulk("embstr"));
        t.run("SET i 3");
        assert_eq!(t.run("INCRBYFLOAT i 1"), bulk("4"));
        assert_eq!(t.run("OBJECT ENCODING i"), bulk("embstr"));
        assert_eq!(t.run("INCRBYFLOAT i 1.0e-20"), bulk("4"));
        assert_eq!(
            t.propagated()[..3],
            [
                "SET f 0.1 KEEPTTL",
                "SET f 0.2 KEEPTTL",
                "SET f 0.3 KEEPTTL"
            ]
        );
        t.run("SET s \"  11\"");
        t.run("SET big 1e4932");
        t.propagated();
        assert_eq!(
            t.run("INCRBYFLOAT i +inf"),
            err("ERR increment would produce NaN or Infinity")
        );
        assert_eq!(
            t.run("INCRBYFLOAT i \" 1\""),
            err("ERR value is not a valid float")
        );
        assert_eq!(
            t.run("INCRBYFLOAT s 1"),
            err("ERR value is not a valid float")
        );
        assert_eq!(
            t.run("INCRBYFLOAT big 1e4932"),
            err("ERR increment would produce NaN or Infinity")
        );
        assert!(t.propagated().is_empty());
    }

    #[test]
    fn incrbyfloat_never_answers_negative_zero() {
        let mut t = TestEngine::new();
        t.run("INCRBYFLOAT f 0.024390243902439025");
        assert_eq!(t.run("INCRBYFLOAT f -0.024390243902439025"), bulk("0"));
        assert_eq!(t.run("INCRBYFLOAT g -0"), bulk("0"));
    }
}
