//! PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST: HyperLogLogs kept in
//! string values (see [`crate::types::hll`] for the representation), with
//! Redis 7.0's replies, notifications and propagation.

use bytes::Bytes;

use super::flags::*;
use super::{args, cmd, CommandDef, Ctx, Group, Handler};
use crate::types::hll::{self, Encoding, Registers};
use crate::{notify, Error, Kind, Result, Value};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    const G: Group = Group::HyperLogLog;
    vec![
        cmd("pfadd", -2, WRITE | DENYOOM | FAST, pfadd)
            .keys(1, 1, 1)
            .doc(G, "2.8.9", "Adds the specified elements to the specified HyperLogLog."),
        // Writes the cached estimate back, so it may replicate.
        cmd("pfcount", -2, READONLY | MAY_REPLICATE | TOUCHES_ITSELF, pfcount)
            .keys(1, -1, 1)
            .doc(
                G,
                "2.8.9",
                "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
            ),
        // Only the destination changes: sources stay unflagged for WATCH.
        cmd("pfmerge", -2, WRITE | DENYOOM | TOUCHES_ITSELF, pfmerge)
            .keys(1, -1, 1)
            .doc(G, "2.8.9", "Merge N different HyperLogLogs into a single one."),
        // A re-encoding propagates but does not flag WATCHers, as in Redis.
        cmd("pfdebug", 3, WRITE | DENYOOM | ADMIN | TOUCHES_ITSELF, pfdebug)
            .keys(2, 2, 1)
            .doc(G, "2.8.9", "Internal commands for debugging HyperLogLog values"),
        cmd("pfselftest", 1, ADMIN, pfselftest).doc(
            G,
            "2.8.9",
            "An internal command for testing HyperLogLog values",
        ),
    ]
}

/// A string that is not an HLL (Redis checks this after the type).
fn not_hll() -> Error {
    Error::Other("WRONGTYPE Key is not a valid HyperLogLog string value.".into())
}

/// Opcodes that do not add up (Redis's `invalid_hll_err`).
fn corrupt(_: crate::types::Corrupt) -> Error {
    Error::Other("INVALIDOBJ Corrupted HLL object detected".into())
}

/// The HLL bytes of `value`: WRONGTYPE for another type, or a string
/// without a valid HLL header (an `int`-encoded one included, as in Redis).
fn hll_bytes(value: &Value) -> Result<&[u8]> {
    if value.kind() != Kind::String {
        return Err(Error::WrongType);
    }
    match value {
        Value::Str(s) if hll::encoding(s).is_some() => Ok(s),
        Value::Raw(v) if hll::encoding(v).is_some() => Ok(v),
        _ => Err(not_hll()),
    }
}

/// The HLL in `value` for in-place changes, made `raw` first as Redis's
/// `dbUnshareStringValue` does.
fn hll_mut(value: &mut Value) -> Result<&mut Vec<u8>> {
    hll_bytes(value)?;
    value.make_raw().ok_or(Error::WrongType)
}

fn sparse_max_bytes(ctx: &Ctx) -> usize {
    ctx.eng.limits.hll_sparse_max_bytes
}

/// The HLL at `key` for writing, created empty if missing. Returns whether
/// it was created.
fn hll_for_write<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<(&'c mut Vec<u8>, bool)> {
    let created = ctx.lookup_write(key).is_none();
    if created {
        ctx.set_key(key, Value::Raw(Box::new(hll::new_sparse())), false);
    }
    let value = ctx.db().get_mut(key).ok_or(Error::NoSuchKey)?;
    Ok((hll_mut(value)?, created))
}

fn pfadd(ctx: &mut Ctx) -> Result<()> {
    let (key, elements) = (ctx.arg(1), &ctx.args[2..]);
    let max = sparse_max_bytes(ctx);
    let (hll, created) = hll_for_write(ctx, key)?;
    let mut updated = u64::from(created);
    for element in elements {
        // A corrupt HLL fails here, keeping the registers already raised
        // but making no change count, as in Redis.
        if hll::add(hll, element, max).map_err(corrupt)? {
            updated += 1;
        }
    }
    if updated > 0 {
        hll::invalidate_cache(hll);
        ctx.dirty(updated);
        ctx.notify(notify::STRING, "pfadd", key);
    }
    ctx.out.integer(i64::from(updated > 0));
    Ok(())
}

fn pfcount(ctx: &mut Ctx) -> Result<()> {
    let keys = &ctx.args[1..];
    if keys.len() > 1 {
        let (union, _) = union_of(ctx, keys)?;
        ctx.out.integer(union.count() as i64);
        return Ok(());
    }
    let key = ctx.arg(1);
    match ctx.lookup_read(key) {
        None => {
            ctx.out.integer(0);
            return Ok(());
        }
        Some(value) => hll_bytes(value)?,
    };
    let value = ctx.db().get_mut(key).ok_or(Error::NoSuchKey)?;
    let hll = hll_mut(value)?;
    let card = match hll::cached_count(hll) {
        Some(card) => card,
        None => {
            let card = hll::count(hll).map_err(corrupt)?;
            hll::set_cached_count(hll, card);
            // The cache is part of the string: WATCH and replicas see it.
            ctx.touch(key);
            ctx.dirty(1);
            card
        }
    };
    ctx.out.integer(card as i64);
    Ok(())
}

/// The register-wise maximum of the HLLs at `keys` (missing ones count as
/// empty), and whether any of them is dense.
fn union_of(ctx: &mut Ctx, keys: &[Bytes]) -> Result<(Registers, bool)> {
    let mut union = Registers::default();
    let mut any_dense = false;
    for key in keys {
        if let Some(value) = ctx.lookup_read(key) {
            let hll = hll_bytes(value)?;
            any_dense |= hll::encoding(hll) == Some(Encoding::Dense);
            union.merge(hll).map_err(corrupt)?;
        }
    }
    Ok((union, any_dense))
}

fn pfmerge(ctx: &mut Ctx) -> Result<()> {
    let keys = &ctx.args[1..];
    let (union, use_dense) = union_of(ctx, keys)?;
    let dest = ctx.arg(1);
    let max = sparse_max_bytes(ctx);
    let (hll, _) = hll_for_write(ctx, dest)?;
    // A dense source makes the destination dense at once.
    if use_dense {
        hll::to_dense(hll).map_err(corrupt)?;
    }
    for (index, &count) in union.0.iter().enumerate() {
        if count != 0 {
            // Redis ignores a failure here: the sources were checked.
            let _ = hll::set_register(hll, index, count, max);
        }
    }
    hll::invalidate_cache(hll);
    ctx.touch(dest);
    ctx.dirty(1);
    // A merge is a mass add, so Redis names it `pfadd`.
    ctx.notify(notify::STRING, "pfadd", dest);
    ctx.out.ok();
    Ok(())
}

fn pfdebug(ctx: &mut Ctx) -> Result<()> {
    let (sub, key) = (ctx.arg(1), ctx.arg(2));
    let value = ctx
        .lookup_write(key)
        .ok_or_else(|| Error::err("The specified key does not exist"))?;
    let hll = hll_mut(value)?;
    let sparse = hll::encoding(hll) == Some(Encoding::Sparse);
    if args::is(sub, "getreg") {
        if sparse {
            hll::to_dense(hll).map_err(corrupt)?;
        }
        let registers: Vec<u8> = hll::dense_registers(hll).collect();
        if sparse {
            // The encoding changed: propagate it.
            ctx.dirty(1);
        }
        ctx.out.array(registers.len());
        for r in registers {
            ctx.out.integer(i64::from(r));
        }
    } else if args::is(sub, "decode") {
        if !sparse {
            return Err(Error::err("HLL encoding is not sparse"));
        }
        let text = hll::decode(hll);
        ctx.out.bulk(text.as_bytes());
    } else if args::is(sub, "encoding") {
        let name = if sparse {
            Encoding::Sparse
        } else {
            Encoding::Dense
        }
        .name();
        ctx.out.simple(name.as_bytes());
    } else if args::is(sub, "todense") {
        if sparse {
            hll::to_dense(hll).map_err(corrupt)?;
            ctx.dirty(1);
        }
        ctx.out.integer(i64::from(sparse));
    } else {
        return Err(Error::err_bytes(&[
            b"Unknown PFDEBUG subcommand '",
            sub,
            b"'",
        ]));
    }
    Ok(())
}

fn pfselftest(ctx: &mut Ctx) -> Result<()> {
    hll::self_test(sparse_max_bytes(ctx)).map_err(Error::err)?;
    ctx.out.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{bulk, err, int, TestEngine};
    use super::*;

    const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
    const CORRUPT: &str = "INVALIDOBJ Corrupted HLL object detected";

    #[test]
    fn add_count_and_cache() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("PFADD h a b c"), int(1));
        assert_eq!(t.run("PFADD h a b c"), int(0));
        assert_eq!(t.run("PFADD h"), int(0));
        assert_eq!(t.run("PFADD new"), int(1));
        assert_eq!(t.run("PFCOUNT h"), int(3));
        assert_eq!(t.run("PFCOUNT nokey"), int(0));
        assert_eq!(t.run("PFCOUNT h"), int(3));
        assert_eq!(t.run("OBJECT ENCODING h"), bulk("raw"));
        assert_eq!(
            t.propagated(),
            ["PFADD h a b c", "PFADD new", "PFCOUNT h"],
            "only the PFCOUNT that refreshed the cache replicates"
        );
        let bytes = t.get_bytes("h");
        assert_eq!(&bytes[..5], b"HYLL\x01");
        assert_eq!(hll::cached_count(&bytes), Some(3));
    }

    #[test]
    fn notifies_pfadd_for_adds_and_merges() {
        let mut t = TestEngine::new();
        t.eng
            .set_notify_flags(crate::notify::parse_flags(b"KEAn").unwrap());
        t.run("PFADD h a");
        t.run("PFADD h a");
        t.run("PFCOUNT h");
        t.run("PFMERGE m h");
        let events: Vec<String> = t
            .eng
            .take_notifications()
            .iter()
            .map(|n| format!("{}:{}", n.event, String::from_utf8_lossy(&n.key)))
            .collect();
        assert_eq!(events, ["new:h", "pfadd:h", "new:m", "pfadd:m"]);
    }

    #[test]
    fn union_merge_and_encodings() {
        let mut t = TestEngine::new();
        t.run("PFADD a 1 2 3 4");
        t.run("PFADD b 3 4 5 6");
        assert_eq!(t.run("PFCOUNT a b nokey"), int(6));
        assert_eq!(t.run("PFMERGE d a b"), "+OK\r\n");
        assert_eq!(t.run("PFCOUNT d"), int(6));
        assert_eq!(t.run("PFDEBUG ENCODING d"), "+sparse\r\n");
        assert_eq!(t.run("PFDEBUG TODENSE a"), int(1));
        assert_eq!(t.run("PFDEBUG TODENSE a"), int(0));
        assert_eq!(t.run("PFDEBUG ENCODING a"), "+dense\r\n");
        assert_eq!(
            t.run("PFDEBUG DECODE a"),
            err("ERR HLL encoding is not sparse")
        );
        assert_eq!(t.run("PFMERGE e b a"), "+OK\r\n");
        assert_eq!(t.run("PFDEBUG ENCODING e"), "+dense\r\n");
        assert_eq!(t.run("PFCOUNT e"), int(6));
        assert_eq!(t.run("PFMERGE empty"), "+OK\r\n");
        assert_eq!(t.run("PFDEBUG DECODE empty"), bulk("Z:16384"));
    }

    #[test]
    fn sparse_turns_dense_at_the_limit() {
        let mut t = TestEngine::new();
        t.eng.limits.hll_sparse_max_bytes = 60;
        let mut i = 0;
        while t.run("PFDEBUG ENCODING h") != "+dense\r\n" {
            t.run(&format!("PFADD h e{i}"));
            let len = t.get_bytes("h").len();
            assert!(len <= 60 || len == hll::DENSE_SIZE, "{len} bytes");
            i += 1;
        }
        assert_eq!(t.get_bytes("h").len(), hll::DENSE_SIZE);
    }

    #[test]
    fn debug_replies() {
        let mut t = TestEngine::new();
        assert_eq!(
            t.run("PFDEBUG GETREG nokey"),
            err("ERR The specified key does not exist")
        );
        t.run("PFADD h x");
        assert_eq!(
            t.run("PFDEBUG nosuch h"),
            err("ERR Unknown PFDEBUG subcommand 'nosuch'")
        );
        let regs = t.run("PFDEBUG GETREG h");
        assert!(regs.starts_with("*16384\r\n"));
        assert_eq!(t.run("PFDEBUG ENCODING h"), "+dense\r\n");
    }

    #[test]
    fn wrong_types_and_corruption() {
        let mut t = TestEngine::new();
        t.run("LPUSH l x");
        t.run("SET s hello");
        t.run("SET n 12345678901234567890");
        t.run("SET i 1");
        let wrongtype = err("WRONGTYPE Operation against a key holding the wrong kind of value");
        assert_eq!(t.run("PFADD l a"), wrongtype);
        assert_eq!(t.run("PFCOUNT l"), wrongtype);
        for cmd in [
            "PFADD s a",
            "PFCOUNT s",
            "PFCOUNT s s",
            "PFMERGE s",
            "PFADD i a",
        ] {
            assert_eq!(t.run(cmd), err(NOT_HLL), "{cmd}");
        }
        let mut broken = hll::new_sparse();
        broken[hll::HEADER_SIZE + 1] = 0;
        broken[15] |= 0x80;
        t.set_bytes("bad", &broken);
        assert_eq!(t.run("PFCOUNT bad"), err(CORRUPT));
        assert_eq!(t.run("PFCOUNT bad bad"), err(CORRUPT));
        assert_eq!(t.run("PFMERGE d bad"), err(CORRUPT));
        assert_eq!(t.run("PFDEBUG TODENSE bad"), err(CORRUPT));
        let mut dense_wrong_len = hll::new_sparse();
        dense_wrong_len[4] = 0;
        t.set_bytes("short", &dense_wrong_len);
        assert_eq!(t.run("PFCOUNT short"), err(NOT_HLL));
    }

    /// Random and mutated HLL strings through every command: errors, never
    /// a panic.
    #[test]
    fn fuzz_commands_on_corrupt_values() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(12);
        let mut t = TestEngine::new();
        t.eng.limits.hll_sparse_max_bytes = 200;
        for round in 0..1500 {
            t.run("DEL a b");
            t.run("PFADD a");
            for i in 0..rng.random_range(0..60) {
                t.run(&format!("PFADD a {round}-{i}"));
            }
            if round % 4 == 0 {
                t.run("PFDEBUG TODENSE a");
            }
            let mut bytes = t.get_bytes("a");
            match round % 3 {
                0 => {
                    for _ in 0..rng.random_range(1..5) {
                        let at = rng.random_range(4..bytes.len());
                        bytes[at] = rng.random();
                    }
                }
                1 => {
                    let keep = rng.random_range(0..=bytes.len());
                    bytes.truncate(keep);
                    bytes.extend((0..rng.random_range(0..8)).map(|_| rng.random::<u8>()));
                }
                _ => {
                    bytes.truncate(hll::HEADER_SIZE);
                    bytes.extend((0..rng.random_range(0..64)).map(|_| rng.random::<u8>()));
                }
            }
            t.set_bytes("b", &bytes);
            for cmd in [
                "PFCOUNT b",
                "PFADD b x y z w",
                "PFCOUNT b a",
                "PFMERGE c b a",
                "PFMERGE b a",
                "PFDEBUG DECODE b",
                "PFDEBUG GETREG b",
                "PFCOUNT b",
            ] {
                let reply = t.run(cmd);
                assert!(!reply.is_empty(), "{cmd}");
            }
        }
    }
}
