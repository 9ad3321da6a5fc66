//! Connection-independent server commands that act on whole databases:
//! ECHO, SELECT, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB. (PING is the server's:
//! its reply depends on the connection's subscribed mode.)

use super::flags::*;
use super::{args, cmd, CommandDef, Ctx, Group, Handler};
use crate::{Error, Result};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    vec![
        cmd("echo", 2, FAST, echo).doc(Group::Connection, "1.0.0", "Returns the given string."),
        cmd("select", 2, LOADING | STALE | FAST, select).doc(
            Group::Connection,
            "1.0.0",
            "Changes the selected database.",
        ),
        cmd("dbsize", 1, READONLY | FAST, dbsize).doc(
            Group::Server,
            "1.0.0",
            "Returns the number of keys in the database.",
        ),
        cmd("flushdb", -1, WRITE, flushdb).doc(
            Group::Server,
            "1.0.0",
            "Removes all keys from the current database.",
        ),
        cmd("flushall", -1, WRITE, flushall).doc(
            Group::Server,
            "1.0.0",
            "Removes all keys from all databases.",
        ),
        cmd("swapdb", 3, WRITE | FAST, swapdb).doc(
            Group::Server,
            "4.0.0",
            "Swaps two Redis databases.",
        ),
    ]
}

fn echo(ctx: &mut Ctx) -> Result<()> {
    ctx.out.bulk(ctx.args[1].as_ref());
    Ok(())
}

/// A database index argument, or `err` when it is not an integer.
fn db_index(ctx: &Ctx, arg: &[u8], err: Error) -> Result<usize> {
    // Redis reads an `int`: beyond 32 bits is the caller's error too.
    let n = args::int(arg)
        .ok()
        .filter(|n| i32::try_from(*n).is_ok())
        .ok_or(err)?;
    usize::try_from(n)
        .ok()
        .filter(|&n| n < ctx.eng.databases())
        .ok_or(Error::DbIndex)
}

fn select(ctx: &mut Ctx) -> Result<()> {
    let n = args::int(ctx.arg(1))?;
    if i32::try_from(n).is_err() {
        return Err(Error::err(
            "value is out of range, value must between -2147483648 and 2147483647",
        ));
    }
    *ctx.db = db_index(ctx, ctx.arg(1), Error::NotInteger)?;
    ctx.out.ok();
    Ok(())
}

fn dbsize(ctx: &mut Ctx) -> Result<()> {
    let n = ctx.db().len() as i64;
    ctx.out.integer(n);
    Ok(())
}

/// Parses the optional ASYNC / SYNC flag of FLUSHDB and FLUSHALL. Freeing is
/// synchronous either way for now; both are accepted as Redis does.
fn flush_mode(ctx: &Ctx) -> Result<()> {
    if !args::flush_mode_ok(&ctx.args[1..]) {
        return Err(Error::Syntax);
    }
    Ok(())
}

fn flushdb(ctx: &mut Ctx) -> Result<()> {
    flush_mode(ctx)?;
    let removed = ctx.db().len() as u64;
    let db = *ctx.db;
    ctx.eng.flushing_db(db);
    ctx.db().clear();
    // XREADGROUP waiters on flushed streams fail (Redis's
    // `scanDatabaseForDeletedStreams`).
    ctx.eng.signal_db_ready(db);
    // Propagated even when the database was already empty, like Redis.
    ctx.dirty(removed.max(1));
    ctx.out.ok();
    Ok(())
}

fn flushall(ctx: &mut Ctx) -> Result<()> {
    flush_mode(ctx)?;
    ctx.eng.flush_all();
    for db in 0..ctx.eng.dbs.len() {
        ctx.eng.signal_db_ready(db);
    }
    ctx.out.ok();
    Ok(())
}

fn swapdb(ctx: &mut Ctx) -> Result<()> {
    let a = db_index(ctx, ctx.arg(1), Error::err("invalid first DB index"))?;
    let b = db_index(ctx, ctx.arg(2), Error::err("invalid second DB index"))?;
    let now = ctx.now;
    ctx.eng.swapping_dbs(a, b, now);
    ctx.eng.dbs.swap(a, b);
    // Clients stay in their database: those waiting on a key the swap
    // brought in must be served, as after a push.
    ctx.eng.signal_db_ready(a);
    ctx.eng.signal_db_ready(b);
    ctx.dirty(1);
    ctx.out.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::*;

    #[test]
    fn swapdb_marks_both_databases_ready_while_clients_block() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("SWAPDB 0 1"), OK);
        assert!(t.eng.take_ready_dbs().is_empty(), "nobody blocked");
        t.eng.track_ready(true);
        t.run("SWAPDB 2 0");
        t.run("SWAPDB 0 2");
        assert_eq!(t.eng.take_ready_dbs(), [2, 0]);
        t.run("SWAPDB 3 4");
        t.eng.track_ready(false);
        assert!(t.eng.take_ready_dbs().is_empty());
    }
}
