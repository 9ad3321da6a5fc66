//! The one command table (the engine's commands plus the server's own) and
//! the checks every command goes through before it runs.

mod check;
mod client;
mod command;
mod config;
mod connection;
mod functions;
mod info;
mod introspection;
mod latency;
mod memory;
mod multi;
mod pubsub;
mod replication;
mod scripting;
mod server;
mod session;
mod slowlog;

pub use check::held_by_pause;
pub use session::{ReplyMode, Session};

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::state::blocking::Waiter;
use bytes::{Bytes, BytesMut};
use engine::command::{flags, CommandDef};
use engine::{Engine, Error, ExecOptions, Handler, Result};
use parking_lot::{Mutex, MutexGuard};
use resp::Writer;

use crate::state::clients::CommandName;
use crate::state::counters::{CommandKey, Outcome};
use crate::state::pubsub::Own;
use crate::state::Shared;

/// A server command: it sees the connection and shared state too.
pub type ServerHandler = fn(&mut Call) -> Result<()>;

/// A server command definition (the handler coerced to [`ServerHandler`]).
pub(crate) fn cmd(
    name: &'static str,
    arity: i32,
    flags: u32,
    handler: ServerHandler,
) -> CommandDef<ServerHandler> {
    CommandDef::new(name, arity, flags, handler)
}

/// An entry of the table: who executes it.
#[derive(Clone, Copy)]
pub enum Entry {
    Engine(&'static CommandDef<Handler>),
    Server(&'static CommandDef<ServerHandler>),
}

macro_rules! with_def {
    ($entry:expr, $def:ident => $body:expr) => {
        match $entry {
            Entry::Engine($def) => $body,
            Entry::Server($def) => $body,
        }
    };
}

pub(crate) use with_def;

impl Entry {
    pub fn name(self) -> &'static str {
        with_def!(self, d => d.name)
    }

    pub fn flags(self) -> u32 {
        with_def!(self, d => d.flags)
    }

    pub fn arity_ok(self, argc: usize) -> bool {
        with_def!(self, d => d.arity_ok(argc))
    }

    pub fn is_container(self) -> bool {
        with_def!(self, d => !d.subcommands.is_empty())
    }

    pub fn subcommand(self, name: &[u8]) -> Option<Entry> {
        match self {
            Entry::Engine(d) => d.subcommand(name).map(Entry::Engine),
            Entry::Server(d) => d.subcommand(name).map(Entry::Server),
        }
    }

    pub fn subcommands(self) -> Vec<Entry> {
        match self {
            Entry::Engine(d) => d.subcommands.iter().map(Entry::Engine).collect(),
            Entry::Server(d) => d.subcommands.iter().map(Entry::Server).collect(),
        }
    }
}

/// Lower-case name to entry.
pub struct Table {
    map: HashMap<Box<str>, Entry, foldhash::fast::FixedState>,
    /// Whether `rename-command` changed any name (lookups by a command's
    /// own name are then not to be trusted).
    pub renamed: bool,
}

static TABLE: OnceLock<Table> = OnceLock::new();

impl Table {
    /// Builds the table once, applying `rename-command` directives
    /// (`(from, to)`; an empty `to` removes the command). Errors like Redis
    /// when a command to rename does not exist.
    pub fn init(renames: &[(String, String)]) -> Result<(), String> {
        let table = Table::build(renames)?;
        let _ = TABLE.set(table);
        Ok(())
    }

    pub fn get() -> &'static Table {
        TABLE.get_or_init(|| Table::build(&[]).expect("no renames"))
    }

    fn build(renames: &[(String, String)]) -> Result<Table, String> {
        let mut map = HashMap::with_hasher(foldhash::fast::FixedState::default());
        for def in engine::command::table() {
            map.insert(def.name.into(), Entry::Engine(def));
        }
        for def in server_table() {
            let old = map.insert(def.name.into(), Entry::Server(def));
            assert!(old.is_none(), "command {} defined twice", def.name);
        }
        for (from, to) in renames {
            let entry = map
                .remove(from.to_lowercase().as_str())
                .ok_or_else(|| format!("No such command in rename-command: '{from}'"))?;
            if !to.is_empty() {
                map.insert(to.to_lowercase().into(), entry);
            }
        }
        Ok(Table {
            map,
            renamed: !renames.is_empty(),
        })
    }

    pub fn lookup(&self, name: &[u8]) -> Option<Entry> {
        let mut buf = [0u8; 32];
        let lower = buf.get_mut(..name.len())?;
        for (d, s) in lower.iter_mut().zip(name) {
            *d = s.to_ascii_lowercase();
        }
        self.map.get(std::str::from_utf8(lower).ok()?).copied()
    }

    pub fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        self.map.values().copied()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }
}

fn server_table() -> &'static [CommandDef<ServerHandler>] {
    static TABLE: OnceLock<Vec<CommandDef<ServerHandler>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut all = Vec::new();
        all.extend(connection::commands());
        all.extend(client::commands());
        all.extend(config::commands());
        all.extend(info::commands());
        all.extend(memory::commands());
        all.extend(command::commands());
        all.extend(server::commands());
        all.extend(multi::commands());
        all.extend(pubsub::commands());
        all.extend(replication::commands());
        all.extend(introspection::commands());
        all.extend(scripting::commands());
        all.extend(functions::commands());
        all
    })
}

/// The engine lock, taken on first use and held for the rest of a batch.
pub struct EngineLock<'a> {
    mutex: &'a Mutex<Engine>,
    guard: Option<MutexGuard<'a, Engine>>,
}

impl<'a> EngineLock<'a> {
    pub fn new(mutex: &'a Mutex<Engine>) -> Self {
        EngineLock { mutex, guard: None }
    }

    pub fn get(&mut self) -> &mut Engine {
        self.guard.get_or_insert_with(|| self.mutex.lock())
    }

    pub fn is_locked(&self) -> bool {
        self.guard.is_some()
    }

    /// Takes the engine if it comes free within `wait` (a client waiting
    /// for a running script, which then answers BUSY).
    pub fn lock_within(&mut self, wait: Duration) -> bool {
        if self.guard.is_none() {
            self.guard = self.mutex.try_lock_for(wait);
        }
        self.guard.is_some()
    }

    /// Lets go of the engine (before work that locks it by other means).
    pub fn release(&mut self) {
        self.guard = None;
    }
}

/// Everything a server command sees.
pub struct Call<'a, 'l> {
    pub srv: &'a Arc<Shared>,
    pub session: &'a mut Session,
    pub args: &'a [Bytes],
    pub out: &'a mut BytesMut,
    pub engine: &'a mut EngineLock<'l>,
}

impl Call<'_, '_> {
    /// A reply writer for this connection's protocol.
    pub fn w(&mut self) -> Writer<'_> {
        Writer::new(self.out, self.session.proto)
    }

    pub fn arg(&self, i: usize) -> &[u8] {
        &self.args[i]
    }
}

/// A command found for a request: the entry and, for a subcommand, its container.
#[derive(Clone, Copy)]
pub struct Resolved {
    pub entry: Entry,
    pub parent: Option<Entry>,
}

impl Resolved {
    /// `get`, or `object|encoding` for a subcommand.
    pub fn full_name(&self) -> String {
        self.command_name().to_string()
    }

    pub fn command_name(&self) -> CommandName {
        CommandName {
            name: self.entry.name(),
            parent: self.parent.map(Entry::name),
        }
    }

    pub fn flags(&self) -> u32 {
        self.entry.flags()
    }
}

/// Runs one request: the checks, then MULTI queueing or the command, then
/// the after-command step.
pub fn dispatch(
    srv: &Arc<Shared>,
    session: &mut Session,
    engine: &mut EngineLock,
    args: &[Bytes],
    out: &mut BytesMut,
) {
    let mark = out.len();
    match check::check(srv, session, engine, args) {
        Err(rejected) => reject(srv, session, engine, args, rejected, out),
        Ok(found) if session.multi.is_some() && found.flags() & flags::NO_QUEUE == 0 => {
            multi::queue(session, found, args, out);
        }
        Ok(found) => run(
            srv,
            session,
            engine,
            found,
            args,
            out,
            ExecOptions::default(),
        ),
    }
    if out.get(mark) == Some(&b'-') {
        srv.count_error(&out[mark + 1..]);
    }
    if engine.is_locked() {
        // The client's own events go before its reply, as in Redis.
        let mut own = Own::new(session.id());
        crate::after::after_command(srv, engine.get(), Some(&mut own));
        if !own.pushes.is_empty() {
            let reply = out.split_off(mark);
            own.pushes.iter().for_each(|p| out.extend_from_slice(p));
            out.unsplit(reply);
        }
    }
}

/// Answers a refused request, as Redis's `rejectCommand`: inside MULTI the
/// transaction is flagged to fail, and a refused EXEC aborts it.
fn reject(
    srv: &Shared,
    session: &mut Session,
    engine: &mut EngineLock,
    args: &[Bytes],
    rejected: check::Rejection,
    out: &mut BytesMut,
) {
    if let Some(key) = command_key(args) {
        srv.counters()
            .count_command(key, Outcome::Rejected, Duration::ZERO);
    }
    let mut w = Writer::new(out, session.proto);
    let aborts_exec = Table::get()
        .lookup(&args[0])
        .is_some_and(|e| e.flags() & flags::QUEUE_FLAGS != 0);
    if !aborts_exec {
        w.error_bytes(&rejected.error);
        if let Some(tx) = &mut session.multi {
            tx.failed = true;
        }
        return;
    }
    let mut reason = &rejected.error[..];
    if rejected.lookup {
        reason = reason.strip_prefix(b"ERR ").unwrap_or(reason);
    }
    introspection::feed_monitors(srv, session, args);
    let mut e = b"EXECABORT Transaction discarded because of: ".to_vec();
    e.extend_from_slice(reason);
    w.error_bytes(&e);
    session.multi = None;
    srv.watchers().unwatch_all(&mut session.watch, engine.get());
}

/// The command (or subcommand) `args` name, known even when a check
/// refuses it (for its rejected_calls).
fn command_key(args: &[Bytes]) -> Option<CommandKey> {
    let top = Table::get().lookup(&args[0])?;
    if top.is_container() {
        let sub = top.subcommand(args.get(1)?)?;
        return Some((sub.name(), Some(top.name())));
    }
    Some((top.name(), None))
}

/// Runs a resolved command now, times it, and records it for INFO
/// commandstats, the slow log, the latency monitor and MONITOR (a command
/// that blocks is counted once served).
pub(crate) fn run(
    srv: &Arc<Shared>,
    session: &mut Session,
    engine: &mut EngineLock,
    found: Resolved,
    args: &[Bytes],
    out: &mut BytesMut,
    opts: ExecOptions,
) {
    let mark = out.len();
    // One clock read per command: the previous one (or the batch's start)
    // is this command's start. Taken before running, so EXEC's time
    // includes its commands'.
    let start = session.tick;
    run_command(srv, session, engine, found, args, out, opts);
    let now = Instant::now();
    let took = now - start;
    session.tick = now;
    introspection::record(srv, session, found, args, took);
    if session.blocked.is_none() {
        let failed = out.get(mark) == Some(&b'-');
        if failed && session.in_exec {
            // In EXEC's array: `dispatch` sees only EXEC's own errors.
            srv.count_error(&out[mark + 1..]);
        }
        let key = (found.entry.name(), found.parent.map(Entry::name));
        session.ran.push((key, failed, took));
    }
}

/// Counts the commands of the batch that just ended for INFO commandstats
/// and latencystats (one lock per batch).
pub fn settle_stats(srv: &Shared, session: &mut Session) {
    if !session.ran.is_empty() {
        srv.counters().count_batch(&session.ran);
        session.ran.clear();
    }
}

fn run_command(
    srv: &Arc<Shared>,
    session: &mut Session,
    engine: &mut EngineLock,
    found: Resolved,
    args: &[Bytes],
    out: &mut BytesMut,
    opts: ExecOptions,
) {
    session.last_cmd = Some(found);
    let _running = crate::crash::Running::enter(
        session.id(),
        found.entry.name(),
        found.parent.map(Entry::name),
    );
    let opts = ExecOptions {
        from_master: session.repl.is_master,
        ..opts
    };
    match found.entry {
        Entry::Engine(def) => {
            let eng = engine.get();
            eng.execute_with(
                def,
                &mut session.db,
                args,
                out,
                session.proto,
                session.now,
                opts,
            );
            if let Some(block) = eng.take_block() {
                let waiter = Waiter::new(
                    session.handle.clone(),
                    def,
                    block.args.unwrap_or_else(|| args.to_vec()),
                    block.db,
                    session.proto,
                    block.keys,
                    block.deadline,
                    block.fails_when_gone,
                );
                srv.blocking().park(waiter.clone());
                eng.track_ready(true);
                // CLIENT LIST's `b` flag, visible at once to whoever sees
                // the client counted in blocked_clients.
                session.handle.info.lock().blocked = true;
                session.blocked = Some(waiter);
            }
        }
        Entry::Server(def) => {
            let Some(handler) = def.handler else { return };
            let mut call = Call {
                srv,
                session,
                args,
                out,
                engine,
            };
            if let Err(e) = handler(&mut call) {
                call.w().error_bytes(&e.to_bytes());
            }
        }
    }
}

/// Finds the command (or subcommand) and checks its arity, with Redis's
/// error texts.
pub fn resolve(args: &[Bytes]) -> Result<Resolved, Vec<u8>> {
    let found = find(args).map_err(|container| match container {
        None => unknown_command(args),
        Some(top) => {
            let mut e = b"ERR unknown subcommand '".to_vec();
            e.extend_from_slice(c_str(&args[1], 128));
            e.extend_from_slice(format!("'. Try {} HELP.", top.name().to_uppercase()).as_bytes());
            e
        }
    })?;
    if !found.entry.arity_ok(args.len()) {
        return Err(Error::Arity(found.full_name()).to_string().into_bytes());
    }
    Ok(found)
}

/// The command (or subcommand) `args` names, its arity unchecked. Not
/// found: `Err(Some(container))` for an unknown subcommand, `Err(None)`
/// for an unknown command.
pub(crate) fn find(args: &[Bytes]) -> Result<Resolved, Option<Entry>> {
    let top = Table::get().lookup(&args[0]).ok_or(None)?;
    if top.is_container() && args.len() >= 2 {
        let entry = top.subcommand(&args[1]).ok_or(Some(top))?;
        return Ok(Resolved {
            entry,
            parent: Some(top),
        });
    }
    Ok(Resolved {
        entry: top,
        parent: None,
    })
}

/// An argument as C's `%.*s` prints it: up to the first NUL, at most `max` bytes.
fn c_str(b: &[u8], max: usize) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len()).min(max);
    &b[..end]
}

/// `ERR unknown command 'foo', with args beginning with: 'a' 'b' `
fn unknown_command(args: &[Bytes]) -> Vec<u8> {
    let mut listed = Vec::new();
    for arg in &args[1..] {
        if listed.len() >= 128 {
            break;
        }
        let room = 128 - listed.len();
        listed.push(b'\'');
        listed.extend_from_slice(c_str(arg, room));
        listed.extend_from_slice(b"' ");
    }
    let mut e = b"ERR unknown command '".to_vec();
    e.extend_from_slice(c_str(&args[0], 128));
    e.extend_from_slice(b"', with args beginning with: ");
    e.extend_from_slice(&listed);
    e
}

/// The INFO text (default sections) for a crash report: the engine's
/// sections only when this thread can lock it.
pub fn info_for_crash_report(srv: &Shared) -> String {
    let eng = srv.engine().try_lock();
    let cx = info::Ctx {
        srv,
        eng: eng.as_deref(),
    };
    info::render(&cx, &[])
}

/// Redis's `addReplySubcommandSyntaxError`: a subcommand given arguments
/// its handler does not take.
pub(crate) fn subcommand_syntax(call: &Call) -> Error {
    Error::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        String::from_utf8_lossy(c_str(call.arg(1), 128)),
        String::from_utf8_lossy(call.arg(0)).to_uppercase()
    ))
}

/// Writes a `<CMD> HELP` reply in Redis's layout: an intro line, the given
/// lines, and the HELP entry itself.
pub(crate) fn write_help(call: &mut Call, command: &str, lines: &[&str]) {
    let mut w = call.w();
    w.array(lines.len() + 3);
    w.simple(
        format!("{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:").as_bytes(),
    );
    for line in lines {
        w.simple(line.as_bytes());
    }
    w.simple(b"HELP");
    w.simple(b"    Prints this help.");
}
