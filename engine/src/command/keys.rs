//! Generic key commands: DEL UNLINK EXISTS TYPE TOUCH RANDOMKEY KEYS RENAME
//! RENAMENX MOVE COPY. Expiry commands live in `expire`, SCAN in `scan`,
//! OBJECT in `object`.

use rand::Rng;

use super::flags::*;
use super::{args, cmd, CommandDef, Ctx, Group, Handler};
use crate::{glob, notify, Error, Result, Value};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    let doc = |d: CommandDef<Handler>, since, summary| d.doc(Group::Generic, since, summary);
    vec![
        doc(
            cmd("del", -2, WRITE | TOUCHES_ITSELF, del).keys(1, -1, 1),
            "1.0.0",
            "Delete a key",
        ),
        doc(
            cmd("unlink", -2, WRITE | FAST | TOUCHES_ITSELF, del).keys(1, -1, 1),
            "4.0.0",
            "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
        ),
        doc(
            cmd("exists", -2, READONLY | FAST, exists).keys(1, -1, 1),
            "1.0.0",
            "Determine if a key exists",
        ),
        doc(
            cmd("type", 2, READONLY | FAST, type_).keys(1, 1, 1),
            "1.0.0",
            "Determine the type stored at key",
        ),
        doc(
            cmd("touch", -2, READONLY | FAST, touch).keys(1, -1, 1),
            "3.2.1",
            "Alters the last access time of a key(s). Returns the number of existing keys specified.",
        ),
        doc(
            cmd("randomkey", 1, READONLY, randomkey),
            "1.0.0",
            "Return a random key from the keyspace",
        ),
        doc(
            cmd("keys", 2, READONLY, keys),
            "1.0.0",
            "Find all keys matching the given pattern",
        ),
        doc(
            cmd("rename", 3, WRITE, rename).keys(1, 2, 1),
            "1.0.0",
            "Rename a key",
        ),
        doc(
            cmd("renamenx", 3, WRITE | FAST, renamenx).keys(1, 2, 1),
            "1.0.0",
            "Rename a key, only if the new key does not exist",
        ),
        doc(
            cmd("move", 3, WRITE | FAST, move_).keys(1, 1, 1),
            "1.0.0",
            "Move a key to another database",
        ),
        doc(
            cmd("copy", -3, WRITE | DENYOOM | TOUCHES_ITSELF, copy).keys(1, 2, 1),
            "6.2.0",
            "Copy a key",
        ),
    ]
}

/// DEL and UNLINK (freeing is synchronous either way).
fn del(ctx: &mut Ctx) -> Result<()> {
    let (db, now, argv) = (*ctx.db, ctx.now, ctx.args);
    let mut removed = 0;
    for key in &argv[1..] {
        // An expired key is deleted (and counted) as such first. A replica
        // hides expired keys but must still drop them on its master's DEL.
        ctx.eng.expire_if_needed(db, key, now);
        // Only the keys deleted are changed for WATCH, as in Redis.
        if ctx.delete(key) {
            ctx.touch(key);
            removed += 1;
        }
    }
    ctx.dirty(removed);
    ctx.out.integer(removed as i64);
    Ok(())
}

/// EXISTS: how many of the keys exist (repeats count again). Not an
/// access for LRU/LFU.
fn exists(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    let found = argv[1..].iter().filter(|k| ctx.peek(k).is_some()).count();
    ctx.out.integer(found as i64);
    Ok(())
}

/// TOUCH: like EXISTS, but each key found counts as accessed.
fn touch(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    let found = argv[1..]
        .iter()
        .filter(|k| ctx.lookup_read(k).is_some())
        .count();
    ctx.out.integer(found as i64);
    Ok(())
}

fn type_(ctx: &mut Ctx) -> Result<()> {
    let name = ctx.peek(ctx.arg(1)).map_or("none", |v| v.kind().name());
    ctx.out.simple(name.as_bytes());
    Ok(())
}

fn randomkey(ctx: &mut Ctx) -> Result<()> {
    let (db, now) = (*ctx.db, ctx.now);
    let all_volatile = ctx.db().len() == ctx.db().volatile_len();
    let mut tries = 100;
    let mut rng = rand::rng();
    loop {
        let len = ctx.db().len();
        if len == 0 {
            ctx.out.null();
            return Ok(());
        }
        let key = ctx
            .db()
            .key_at(rng.random_range(0..len))
            .expect("in range")
            .clone();
        if ctx.db().expire_at(&key).is_some() {
            // A replica does not delete expired keys: if they may all be
            // expired, answer one after some tries rather than spin forever.
            if all_volatile && ctx.eng.replica {
                tries -= 1;
                if tries == 0 {
                    ctx.out.bulk(&key);
                    return Ok(());
                }
            }
            if ctx.eng.expire_if_needed(db, &key, now) {
                continue;
            }
        }
        ctx.out.bulk(&key);
        return Ok(());
    }
}

fn keys(ctx: &mut Ctx) -> Result<()> {
    let pattern = ctx.arg(1);
    let all = pattern == b"*";
    let db = &ctx.eng.dbs[*ctx.db];
    // Expired keys are skipped, not deleted, like Redis's `keyIsExpired`.
    let found: Vec<_> = db
        .iter()
        .map(|(k, _)| k)
        .filter(|k| (all || glob::matches(pattern, k, false)) && !db.is_expired(k, ctx.now))
        .collect();
    ctx.out.array(found.len());
    for key in found {
        ctx.out.bulk(key);
    }
    Ok(())
}

fn rename(ctx: &mut Ctx) -> Result<()> {
    rename_generic(ctx, false)
}

fn renamenx(ctx: &mut Ctx) -> Result<()> {
    rename_generic(ctx, true)
}

/// RENAME and RENAMENX: the value keeps its expiry time; `nx` refuses to
/// overwrite (answering 0 instead of OK).
fn rename_generic(ctx: &mut Ctx, nx: bool) -> Result<()> {
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    if !ctx.exists(src) {
        return Err(Error::NoSuchKey);
    }
    let done = |ctx: &mut Ctx, ok: bool| match (nx, ok) {
        (false, _) => ctx.out.ok(),
        (true, ok) => ctx.out.integer(i64::from(ok)),
    };
    if src == dst {
        done(ctx, false);
        return Ok(());
    }
    let db = *ctx.db;
    if key_exists(ctx, db, dst) {
        if nx {
            done(ctx, false);
            return Ok(());
        }
        ctx.db().remove(dst);
    }
    let expire = ctx.db().expire_at(src);
    let value = ctx.db().remove(src).expect("checked above");
    if matches!(value, Value::Stream(_)) {
        // XREADGROUP waiters on the old name fail.
        ctx.signal_ready(src);
    }
    put(ctx, db, dst, value, expire);
    ctx.notify(notify::GENERIC, "rename_from", src);
    ctx.notify(notify::GENERIC, "rename_to", dst);
    ctx.dirty(1);
    done(ctx, true);
    Ok(())
}

fn move_(ctx: &mut Ctx) -> Result<()> {
    let key = ctx.arg(1);
    let (src, dst) = (*ctx.db, db_arg(ctx, ctx.arg(2))?);
    if src == dst {
        return Err(same_object());
    }
    if !ctx.exists(key) || key_exists(ctx, dst, key) {
        ctx.out.integer(0);
        return Ok(());
    }
    let expire = ctx.db().expire_at(key);
    let value = ctx.db().remove(key).expect("checked above");
    put(ctx, dst, key, value, expire);
    ctx.eng.notify(notify::GENERIC, "move_from", src, key);
    ctx.eng.notify(notify::GENERIC, "move_to", dst, key);
    ctx.dirty(1);
    ctx.out.integer(1);
    Ok(())
}

/// COPY source destination [DB destination-db] [REPLACE]
fn copy(ctx: &mut Ctx) -> Result<()> {
    let (src_key, dst_key) = (ctx.arg(1), ctx.arg(2));
    let (src, mut dst) = (*ctx.db, *ctx.db);
    let mut replace = false;
    let mut opts = ctx.args[3..].iter();
    while let Some(opt) = opts.next() {
        if args::is(opt, "replace") {
            replace = true;
        } else if let (true, Some(index)) = (args::is(opt, "db"), opts.clone().next()) {
            dst = db_arg(ctx, index)?;
            opts.next();
        } else {
            return Err(Error::Syntax);
        }
    }
    if src == dst && src_key == dst_key {
        return Err(same_object());
    }
    let Some(value) = ctx.lookup_read(src_key).cloned() else {
        ctx.out.integer(0);
        return Ok(());
    };
    if key_exists(ctx, dst, dst_key) {
        if !replace {
            ctx.out.integer(0);
            return Ok(());
        }
        ctx.eng.db_mut(dst).remove(dst_key);
    }
    let expire = ctx.db().expire_at(src_key);
    put(ctx, dst, dst_key, value, expire);
    // The source is only read: WATCHers of it are not disturbed.
    ctx.eng
        .touch_key(dst, &bytes::Bytes::copy_from_slice(dst_key));
    ctx.eng.notify(notify::GENERIC, "copy_to", dst, dst_key);
    ctx.dirty(1);
    ctx.out.integer(1);
    Ok(())
}

fn same_object() -> Error {
    Error::err("source and destination objects are the same")
}

/// A database number argument, checked like Redis's `getIntFromObject`
/// followed by `selectDb`.
fn db_arg(ctx: &Ctx, arg: &[u8]) -> Result<usize> {
    let n = i32::try_from(args::int(arg)?).map_err(|_| {
        Error::err("value is out of range, value must between -2147483648 and 2147483647")
    })?;
    usize::try_from(n)
        .ok()
        .filter(|&n| n < ctx.eng.databases())
        .ok_or(Error::DbIndex)
}

/// Whether `key` exists in database `db`, after lazy expiry (a write
/// lookup: no hit/miss counting).
fn key_exists(ctx: &mut Ctx, db: usize, key: &[u8]) -> bool {
    !ctx.eng.expire_if_needed(db, key, ctx.now) && ctx.eng.db(db).contains(key)
}

/// Stores `value` under `key` in `db` with an optional expiry time.
fn put(ctx: &mut Ctx, db: usize, key: &[u8], value: Value, expire: Option<i64>) {
    // A list or sorted set arriving under a key may serve blocked clients,
    // as Redis's dbAdd signals.
    let wakes = matches!(value, Value::List(_) | Value::ZSet(_) | Value::Stream(_));
    ctx.eng.set_key(db, key, value, false);
    if let Some(at) = expire {
        ctx.eng.db_mut(db).set_expire(key, at);
    }
    if wakes {
        ctx.eng.signal_ready_in(db, key);
    }
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::*;

    #[test]
    fn del_unlink_exists_touch_type() {
        let mut t = TestEngine::new();
        t.run("MSET a 1 b 2 c 3");
        assert_eq!(t.run("EXISTS a a nope"), int(2));
        assert_eq!(t.run("TOUCH a b nope"), int(2));
        assert_eq!(t.run("TYPE a"), "+string\r\n");
        assert_eq!(t.run("TYPE nope"), "+none\r\n");
        assert_eq!(t.run("DEL a a nope"), int(1));
        assert_eq!(t.run("UNLINK b c"), int(2));
        assert_eq!(t.run("DEL nope"), int(0));
        assert_eq!(
            t.propagated(),
            ["MSET a 1 b 2 c 3", "DEL a a nope", "UNLINK b c"]
        );
        assert_eq!(t.eng.stats.keyspace_hits, 5);
        assert_eq!(t.eng.stats.keyspace_misses, 3);
    }

    /// Redis does not count a lazy expiry as a change (`server.dirty`), so
    /// DEL of an expired key propagates only the expiry's own DEL.
    #[test]
    fn del_of_an_expired_key_propagates_once() {
        let mut t = TestEngine::new();
        t.run("SET a 1 PX 10");
        t.propagated();
        t.now += 11;
        assert_eq!(t.run("DEL a"), int(0));
        assert_eq!(t.propagated(), ["DEL a"]);
    }

    #[test]
    fn del_of_an_expired_key() {
        let mut t = TestEngine::new();
        t.run("SET a 1 PX 10");
        t.propagated();
        t.now += 11;
        assert_eq!(t.run("DEL a"), int(0));
        assert_eq!(t.eng.stats.expired_keys, 1);
        // A replica hides the key but removes it when its master says so.
        t.run("SET a 1 PX 10");
        t.eng.replica = true;
        t.now += 11;
        assert_eq!(t.run("EXISTS a"), int(0));
        assert_eq!(t.run("DEL a"), int(1));
        assert_eq!(t.eng.db(0).len(), 0);
    }

    #[test]
    fn randomkey_skips_expired_keys() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("RANDOMKEY"), NULL);
        t.run("SET a 1 PX 10");
        t.run("SET b 2");
        t.now += 11;
        for _ in 0..10 {
            assert_eq!(t.run("RANDOMKEY"), bulk("b"));
        }
        t.eng.replica = true;
        t.run("SET c 1 PX 10");
        t.run("DEL b");
        t.now += 10;
        // All keys expired on a replica: Redis gives up and answers one.
        assert_eq!(t.run("RANDOMKEY"), bulk("c"));
    }

    #[test]
    fn keys_matches_and_hides_expired() {
        let mut t = TestEngine::new();
        t.run("MSET one 1 two 2 three 3");
        t.run("SET gone 1 PX 5");
        t.now += 6;
        let mut found = t.run("KEYS t*");
        assert!(
            found == "*2\r\n$3\r\ntwo\r\n$5\r\nthree\r\n"
                || found == "*2\r\n$5\r\nthree\r\n$3\r\ntwo\r\n"
        );
        found = t.run("KEYS *");
        assert!(found.starts_with("*3\r\n"));
        assert_eq!(t.run("KEYS g*"), "*0\r\n");
        assert_eq!(t.eng.db(0).len(), 4);
    }

    #[test]
    fn rename_and_renamenx() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("RENAME nope x"), err("ERR no such key"));
        assert_eq!(t.run("RENAMENX nope nope"), err("ERR no such key"));
        t.run("SET a 1 EX 100");
        t.run("SET b 2");
        assert_eq!(t.run("RENAME a a"), OK);
        assert_eq!(t.run("RENAMENX a a"), int(0));
        assert_eq!(t.run("RENAMENX a b"), int(0));
        assert_eq!(t.run("RENAME a b"), OK);
        assert_eq!(t.run("TTL b"), int(100));
        assert_eq!(t.run("EXISTS a"), int(0));
        assert_eq!(t.run("RENAMENX b c"), int(1));
        assert_eq!(t.run("GET c"), bulk("1"));
        let p = t.propagated();
        assert_eq!(p[2..], ["RENAME a b", "RENAMENX b c"]);
    }

    #[test]
    fn move_between_databases() {
        let mut t = TestEngine::new();
        t.run("SET k v PX 5000");
        assert_eq!(
            t.run("MOVE k 0"),
            err("ERR source and destination objects are the same")
        );
        assert_eq!(t.run("MOVE k 16"), err("ERR DB index is out of range"));
        assert_eq!(t.run("MOVE k -1"), err("ERR DB index is out of range"));
        assert_eq!(
            t.run("MOVE k 4294967296"),
            err("ERR value is out of range, value must between -2147483648 and 2147483647")
        );
        assert_eq!(
            t.run("MOVE k x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(t.run("MOVE nope 1"), int(0));
        assert_eq!(t.run("MOVE k 1"), int(1));
        assert_eq!(t.run("EXISTS k"), int(0));
        t.run("SET k other");
        assert_eq!(t.run("MOVE k 1"), int(0));
        t.db = 1;
        assert_eq!(t.run("PTTL k"), int(5000));
        assert_eq!(t.run("GET k"), bulk("v"));
        let p = t.propagated();
        assert_eq!(p[1..], ["MOVE k 1", "SET k other"]);
    }

    #[test]
    fn copy_with_options() {
        let mut t = TestEngine::new();
        t.run("SET a 10 EX 100");
        assert_eq!(
            t.run("COPY a a"),
            err("ERR source and destination objects are the same")
        );
        assert_eq!(t.run("COPY a b DB"), err("ERR syntax error"));
        assert_eq!(t.run("COPY a b FOO"), err("ERR syntax error"));
        assert_eq!(
            t.run("COPY nope b DB 99"),
            err("ERR DB index is out of range")
        );
        assert_eq!(t.run("COPY nope b"), int(0));
        assert_eq!(t.run("COPY a b"), int(1));
        assert_eq!(t.run("COPY a b"), int(0));
        t.run("SET a 11");
        assert_eq!(t.run("COPY a b REPLACE"), int(1));
        assert_eq!(t.run("GET b"), bulk("11"));
        assert_eq!(t.run("TTL b"), int(-1));
        assert_eq!(t.run("COPY a a DB 2 REPLACE"), int(1));
        assert_eq!(t.run("COPY a b REPLACE REPLACE DB 1 DB 0"), int(1));
        t.db = 2;
        assert_eq!(t.run("GET a"), bulk("11"));
        let p = t.propagated();
        assert_eq!(p[1..3], ["COPY a b", "SET a 11"]);
    }
}
