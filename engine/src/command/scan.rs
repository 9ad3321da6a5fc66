//! SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
//!
//! Cursor values follow [`Db::scan`](crate::Db::scan), not Redis's reversed
//! bit order; what holds is the guarantee: every key present for the whole
//! iteration is returned, and 0 starts and ends it.

use super::flags::*;
use super::{args, cmd, CommandDef, Ctx, Group, Handler};
use crate::{glob, Error, Result};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    vec![cmd("scan", -2, READONLY, scan).doc(
        Group::Generic,
        "2.8.0",
        "Incrementally iterate the keys space",
    )]
}

/// The options after the cursor.
struct Options<'a> {
    count: usize,
    pattern: Option<&'a [u8]>,
    kind: Option<&'a [u8]>,
}

impl<'a> Options<'a> {
    fn parse(list: &'a [bytes::Bytes]) -> Result<Options<'a>> {
        let mut o = Options {
            count: 10,
            pattern: None,
            kind: None,
        };
        let mut rest = list;
        while let [opt, value, tail @ ..] = rest {
            if args::is(opt, "count") {
                let n = args::int(value)?;
                o.count = usize::try_from(n)
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or(Error::Syntax)?;
            } else if args::is(opt, "match") {
                // "*" matches everything: no need to test each key.
                o.pattern = (&value[..] != b"*").then_some(&value[..]);
            } else if args::is(opt, "type") {
                o.kind = Some(&value[..]);
            } else {
                return Err(Error::Syntax);
            }
            rest = tail;
        }
        if rest.is_empty() {
            Ok(o)
        } else {
            Err(Error::Syntax)
        }
    }
}

/// Parses a cursor like Redis's `strtoul`-based check: decimal, optional
/// sign (a negative cursor wraps), no leading space, no overflow; an empty
/// argument is cursor 0.
pub(super) fn parse_cursor(arg: &[u8]) -> Result<u64> {
    let invalid = || Error::err("invalid cursor");
    let (neg, digits) = match arg {
        [] => return Ok(0),
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, arg),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let n = digits.iter().try_fold(0u64, |n, d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    });
    let n = n.ok_or_else(invalid)?;
    Ok(if neg { n.wrapping_neg() } else { n })
}

fn scan(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    let cursor = parse_cursor(&argv[1])?;
    let opts = Options::parse(&argv[2..])?;
    let (db, now) = (*ctx.db, ctx.now);
    let mut keys = Vec::with_capacity(opts.count.min(1024));
    let next = ctx
        .eng
        .db(db)
        .scan(cursor, opts.count, |k, _| keys.push(k.clone()));
    // Filters in Redis's order: pattern, then type (a counted lookup that
    // may expire the key), then expiry.
    keys.retain(|key| {
        if opts.pattern.is_some_and(|p| !glob::matches(p, key, false)) {
            return false;
        }
        if let Some(kind) = opts.kind {
            let name = ctx.lookup_read(key).map_or("none", |v| v.kind().name());
            if !kind.eq_ignore_ascii_case(name.as_bytes()) {
                return false;
            }
        }
        !ctx.eng.expire_if_needed(db, key, now)
    });
    ctx.out.array(2);
    ctx.out.bulk_integer(next as i64);
    ctx.out.array(keys.len());
    for key in keys {
        ctx.out.bulk(&key);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::parse_cursor;
    use crate::command::test_support::*;

    /// Runs a whole SCAN iteration with `opts`, returning the keys seen.
    fn scan_all(t: &mut TestEngine, opts: &str) -> Vec<String> {
        let mut cursor = "0".to_string();
        let mut seen = Vec::new();
        loop {
            let reply = t.run(&format!("SCAN {cursor} {opts}"));
            let lines: Vec<&str> = reply.split("\r\n").collect();
            assert_eq!(lines[0], "*2");
            cursor = lines[2].to_string();
            let n: usize = lines[3][1..].parse().unwrap();
            seen.extend((0..n).map(|i| lines[5 + 2 * i].to_string()));
            if cursor == "0" {
                return seen;
            }
        }
    }

    #[test]
    fn full_iteration_with_filters() {
        let mut t = TestEngine::new();
        for i in 0..100 {
            t.run(&format!("SET key:{i} {i}"));
        }
        let all: HashSet<_> = scan_all(&mut t, "COUNT 7").into_iter().collect();
        assert_eq!(all.len(), 100);
        let ones = scan_all(&mut t, "MATCH key:1? COUNT 3");
        assert_eq!(ones.len(), 10);
        assert_eq!(scan_all(&mut t, "TYPE STRING").len(), 100);
        assert_eq!(scan_all(&mut t, "TYPE list").len(), 0);
    }

    #[test]
    fn expired_keys_are_dropped() {
        let mut t = TestEngine::new();
        t.run("SET a 1");
        t.run("SET b 1 PX 5");
        t.propagated();
        t.now += 6;
        assert_eq!(scan_all(&mut t, "MATCH *"), ["a"]);
        assert_eq!(t.propagated(), ["DEL b"]);
    }

    #[test]
    fn option_errors() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("SCAN 0 COUNT 0"), err("ERR syntax error"));
        assert_eq!(
            t.run("SCAN 0 COUNT x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(t.run("SCAN 0 COUNT"), err("ERR syntax error"));
        assert_eq!(t.run("SCAN 0 FOO bar"), err("ERR syntax error"));
        assert_eq!(t.run("SCAN x"), err("ERR invalid cursor"));
        assert_eq!(t.run("SCAN 0"), "*2\r\n$1\r\n0\r\n*0\r\n");
    }

    #[test]
    fn a_cursor_never_issued_ends_the_scan() {
        let mut t = TestEngine::new();
        t.run("MSET a 1 b 2 c 3");
        for cursor in ["9223372036854775807", "18446744073709551615", "-1"] {
            let reply = t.run(&format!("SCAN {cursor}"));
            assert_eq!(reply, "*2\r\n$1\r\n0\r\n*0\r\n", "SCAN {cursor}");
        }
    }

    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_cursor(b"").unwrap(), 0);
        assert_eq!(parse_cursor(b"-1").unwrap(), u64::MAX);
        assert_eq!(parse_cursor(b"+5").unwrap(), 5);
        assert_eq!(parse_cursor(b"18446744073709551615").unwrap(), u64::MAX);
        for bad in [
            &b"+"[..],
            b"-",
            b" 1",
            b"1 ",
            b"0x1",
            b"18446744073709551616",
        ] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }
}
