//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.

use bytes::{Bytes, BytesMut};
use engine::command::flags::*;
use engine::command::{CommandDef, Group};
use engine::{Error, ExecOptions, Result};
use resp::Writer;

use super::session::Session;
use super::{cmd, run, Call, Resolved, ServerHandler};
use crate::time::unix_ms;

pub(super) fn commands() -> Vec<CommandDef<ServerHandler>> {
    const F: u32 = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY;
    let doc =
        |d: CommandDef<ServerHandler>, since, summary| d.doc(Group::Transactions, since, summary);
    vec![
        doc(
            cmd("multi", 1, F | NO_MULTI | NO_QUEUE, multi),
            "1.2.0",
            "Starts a transaction.",
        ),
        doc(
            cmd(
                "exec",
                1,
                NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG | NO_QUEUE | ENDS_MULTI | QUEUE_FLAGS,
                exec,
            ),
            "1.2.0",
            "Executes all commands in a transaction.",
        ),
        doc(
            cmd("discard", 1, F | NO_QUEUE | ENDS_MULTI, discard),
            "2.0.0",
            "Discards a transaction.",
        ),
        doc(
            cmd("watch", -2, F | NO_MULTI | NO_QUEUE, watch).keys(1, -1, 1),
            "2.2.0",
            "Monitors changes to keys to determine the execution of a transaction.",
        ),
        doc(
            cmd("unwatch", 1, F, unwatch),
            "2.2.0",
            "Forgets about watched keys of a transaction.",
        ),
    ]
}

/// Commands queued after MULTI.
#[derive(Default)]
pub struct Transaction {
    commands: Vec<(Resolved, Vec<Bytes>)>,
    /// A command was rejected while queueing: EXEC answers EXECABORT.
    pub failed: bool,
}

impl Transaction {
    /// Number of queued commands (CLIENT LIST's `multi`).
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// The flags of the queued commands together (EXEC is refused under
    /// OOM if one of them is `denyoom`).
    pub fn flags(&self) -> u32 {
        self.commands.iter().fold(0, |f, (c, _)| f | c.flags())
    }
}

/// Queues a command (or rejects it with a no-multi error).
pub fn queue(session: &mut Session, found: Resolved, args: &[Bytes], out: &mut BytesMut) {
    let mut w = Writer::new(out, session.proto);
    let tx = session.multi.as_mut().expect("in MULTI");
    if found.flags() & NO_MULTI != 0 {
        tx.failed = true;
        w.error("ERR Command not allowed inside a transaction");
        return;
    }
    tx.commands.push((found, args.to_vec()));
    w.simple(b"QUEUED");
}

fn multi(call: &mut Call) -> Result<()> {
    if call.session.multi.is_some() {
        return Err(Error::err("MULTI calls can not be nested"));
    }
    call.session.multi = Some(Transaction::default());
    call.w().ok();
    Ok(())
}

fn discard(call: &mut Call) -> Result<()> {
    if call.session.multi.take().is_none() {
        return Err(Error::err("DISCARD without MULTI"));
    }
    unwatch_all(call);
    call.w().ok();
    Ok(())
}

fn exec(call: &mut Call) -> Result<()> {
    let Some(tx) = call.session.multi.take() else {
        return Err(Error::err("EXEC without MULTI"));
    };
    let broken = call.session.watch.broken(call.engine.get(), unix_ms());
    unwatch_all(call);
    if tx.failed {
        return Err(Error::Other(
            "EXECABORT Transaction discarded because of previous errors.".into(),
        ));
    }
    if broken {
        call.w().null_array();
        return Ok(());
    }
    call.w().array(tx.commands.len());
    let first_write = call.engine.get().propagated_len();
    let opts = ExecOptions {
        may_block: false,
        ..ExecOptions::default()
    };
    call.session.in_exec = true;
    for (found, args) in &tx.commands {
        run(
            call.srv,
            call.session,
            call.engine,
            *found,
            args,
            call.out,
            opts,
        );
    }
    call.session.in_exec = false;
    // Replicas apply the transaction as one unit.
    call.engine.get().wrap_propagated(first_write);
    Ok(())
}

fn watch(call: &mut Call) -> Result<()> {
    if call.session.multi.is_some() {
        return Err(Error::err("WATCH inside MULTI is not allowed"));
    }
    let (db, now) = (call.session.db, unix_ms());
    let eng = call.engine.get();
    call.srv
        .watchers()
        .watch(&mut call.session.watch, eng, db, &call.args[1..], now);
    call.w().ok();
    Ok(())
}

/// Forgets every key the calling client watches.
pub(crate) fn unwatch_all(call: &mut Call) {
    let eng = call.engine.get();
    call.srv
        .watchers()
        .unwatch_all(&mut call.session.watch, eng);
}

fn unwatch(call: &mut Call) -> Result<()> {
    unwatch_all(call);
    call.w().ok();
    Ok(())
}
