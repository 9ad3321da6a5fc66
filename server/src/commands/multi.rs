//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use engine::command::flags::*;
use engine::command::{CommandDef, Group};
use engine::{Engine, Error, ExecOptions, Result};
use parking_lot::Mutex;
use resp::Writer;

use super::{cmd, run, Call, Resolved, ServerHandler};
use crate::session::Session;
use crate::state::{unix_ms, Shared};

pub(super) fn commands() -> Vec<CommandDef<ServerHandler>> {
    const F: u32 = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY;
    let doc =
        |d: CommandDef<ServerHandler>, since, summary| d.doc(Group::Transactions, since, summary);
    vec![
        doc(
            cmd("multi", 1, F | NO_MULTI, multi),
            "1.2.0",
            "Starts a transaction.",
        ),
        doc(
            cmd("exec", 1, NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG, exec),
            "1.2.0",
            "Executes all commands in a transaction.",
        ),
        doc(
            cmd("discard", 1, F, discard),
            "2.0.0",
            "Discards a transaction.",
        ),
        doc(
            cmd("watch", -2, F | NO_MULTI, watch).keys(1, -1, 1),
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
    /// The flags of the queued commands together (EXEC is refused under
    /// OOM if one of them is `denyoom`).
    pub fn flags(&self) -> u32 {
        self.commands.iter().fold(0, |f, (c, _)| f | c.flags())
    }
}

/// A session's watched keys.
#[derive(Default)]
pub struct Watch {
    /// (db, key, was it already expired when watched)
    keys: Vec<(usize, Bytes, bool)>,
    /// Set by any client's write to a watched key.
    touched: Arc<AtomicBool>,
}

impl Watch {
    pub fn is_active(&self) -> bool {
        !self.keys.is_empty()
    }
}

/// A watched key: database and name.
type WatchedKey = (usize, Bytes);

/// Who watches which key, so a write can flag their transactions.
#[derive(Default)]
pub struct Watchers {
    map: Mutex<HashMap<WatchedKey, Vec<Arc<AtomicBool>>>>,
}

/// Commands that act at once even inside MULTI, as in Redis.
pub fn runs_inside_multi(name: &str) -> bool {
    matches!(
        name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
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

/// Flags the transactions of clients watching keys the last command touched.
pub fn invalidate_watchers(srv: &Shared, eng: &mut Engine) {
    let touched = eng.take_touched();
    if touched.is_empty() {
        return;
    }
    let map = srv.watchers.map.lock();
    for key in &touched.keys {
        for flag in map.get(key).into_iter().flatten() {
            flag.store(true, Ordering::SeqCst);
        }
    }
    for db in touched.dbs {
        for ((d, _), flags) in map.iter() {
            if *d == db {
                flags.iter().for_each(|f| f.store(true, Ordering::SeqCst));
            }
        }
    }
}

/// Forgets every key `session` watches.
pub fn unwatch_all(srv: &Shared, session: &mut Session, eng: &mut Engine) {
    let keys = std::mem::take(&mut session.watch.keys);
    if keys.is_empty() {
        return;
    }
    let mut map = srv.watchers.map.lock();
    for (db, key, _) in keys {
        if let Some(flags) = map.get_mut(&(db, key.clone())) {
            flags.retain(|f| !Arc::ptr_eq(f, &session.watch.touched));
            if flags.is_empty() {
                map.remove(&(db, key));
            }
        }
    }
    if map.is_empty() {
        eng.track_touched(false);
    }
    session.watch.touched = Arc::default();
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
    unwatch_all(call.srv, call.session, call.engine.get());
    call.w().ok();
    Ok(())
}

/// Whether a watched key changed or expired since WATCH.
fn watch_broken(call: &mut Call) -> bool {
    if call.session.watch.touched.load(Ordering::SeqCst) {
        return true;
    }
    let now = unix_ms();
    let eng = call.engine.get();
    call.session
        .watch
        .keys
        .iter()
        .any(|(db, key, expired_then)| !expired_then && eng.db(*db).is_expired(key, now))
}

fn exec(call: &mut Call) -> Result<()> {
    let Some(tx) = call.session.multi.take() else {
        return Err(Error::err("EXEC without MULTI"));
    };
    let broken = watch_broken(call);
    unwatch_all(call.srv, call.session, call.engine.get());
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
    let db = call.session.db;
    let now = unix_ms();
    let eng = call.engine.get();
    eng.track_touched(true);
    let mut map = call.srv.watchers.map.lock();
    for key in &call.args[1..] {
        let watch = &mut call.session.watch;
        if watch.keys.iter().any(|(d, k, _)| *d == db && k == key) {
            continue;
        }
        let expired = eng.db(db).is_expired(key, now);
        watch.keys.push((db, key.clone(), expired));
        map.entry((db, key.clone()))
            .or_default()
            .push(watch.touched.clone());
    }
    drop(map);
    call.w().ok();
    Ok(())
}

fn unwatch(call: &mut Call) -> Result<()> {
    unwatch_all(call.srv, call.session, call.engine.get());
    call.w().ok();
    Ok(())
}
