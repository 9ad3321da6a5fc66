//! The one command table (the engine's commands plus the server's own) and
//! the checks every command goes through before it runs.

mod client;
mod command;
mod config;
mod connection;
mod info;
mod memory;
pub(crate) mod multi;
pub(crate) mod pubsub;
mod server;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use bytes::{Bytes, BytesMut};
use engine::command::{flags, CommandDef};
use engine::{Engine, Error, ExecOptions, Handler, Result};
use parking_lot::{Mutex, MutexGuard};
use resp::Writer;

use crate::session::Session;
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

    fn arity_ok(self, argc: usize) -> bool {
        with_def!(self, d => d.arity_ok(argc))
    }

    fn is_container(self) -> bool {
        with_def!(self, d => !d.subcommands.is_empty())
    }

    fn subcommand(self, name: &[u8]) -> Option<Entry> {
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
        all.extend(crate::replication::commands());
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
        match self.parent {
            Some(p) => format!("{}|{}", p.name(), self.entry.name()),
            None => self.entry.name().to_string(),
        }
    }

    pub fn flags(&self) -> u32 {
        self.entry.flags()
    }
}

/// Runs one request: lookup, arity, authentication, MULTI queueing, then
/// the command.
pub fn dispatch(
    srv: &Arc<Shared>,
    session: &mut Session,
    engine: &mut EngineLock,
    args: &[Bytes],
    out: &mut BytesMut,
) {
    let mark = out.len();
    match check(srv, session, engine, args) {
        Err(e) => {
            Writer::new(out, session.proto).error_bytes(&e);
            // A rejected command inside MULTI makes EXEC fail.
            if let Some(tx) = &mut session.multi {
                tx.failed = true;
            }
        }
        Ok(found) if session.multi.is_some() && !multi::runs_inside_multi(found.entry.name()) => {
            multi::queue(session, found, args, out);
        }
        Ok(found)
            if session.subscribed()
                && session.proto == resp::Protocol::Resp2
                && found.entry.name() == "ping" =>
        {
            // In RESP2 subscribed mode PING answers in the message format.
            let mut w = Writer::new(out, session.proto);
            w.array(2);
            w.bulk(b"pong");
            w.bulk(args.get(1).map_or(&b""[..], |a| &a[..]));
        }
        Ok(found)
            if session.subscribed()
                && session.proto == resp::Protocol::Resp2
                && !pubsub::allowed_when_subscribed(found.entry.name()) =>
        {
            let msg = format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                found.full_name()
            );
            Writer::new(out, session.proto).error(&msg);
        }
        Ok(found) => match refuse(srv, session, found) {
            Some(e) => Writer::new(out, session.proto).error(e),
            None => run(
                srv,
                session,
                engine,
                found,
                args,
                out,
                ExecOptions::default(),
            ),
        },
    }
    if out.get(mark) == Some(&b'-') {
        srv.count_error(&out[mark + 1..]);
    }
    if engine.is_locked() {
        let eng = engine.get();
        srv.blocking.serve_ready(eng);
        multi::invalidate_watchers(srv, eng);
        // The client's own events go before its reply, as in Redis.
        let mut own = pubsub::Own::new(session.id());
        pubsub::publish_keyspace_events(srv, eng, Some(&mut own));
        if !own.pushes.is_empty() {
            let reply = out.split_off(mark);
            own.pushes.iter().for_each(|p| out.extend_from_slice(p));
            out.unsplit(reply);
        }
    }
}

const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// Why a command may not run now, for the state the server is in.
fn refuse(srv: &Shared, session: &Session, found: Resolved) -> Option<&'static str> {
    let bits = found.flags();
    let write = bits & flags::WRITE != 0;
    if session.repl.is_master {
        return None;
    }
    if srv.repl.is_replica() {
        if write && srv.config.read().settings().replica_read_only {
            return Some("READONLY You can't write against a read only replica.");
        }
        if !srv.repl.link_up()
            && bits & flags::STALE == 0
            && !srv.config.read().settings().replica_serve_stale_data
        {
            return Some(
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            );
        }
    }
    if (write || bits & flags::DENYOOM != 0) && crate::persistence::writes_refused(srv) {
        return Some(MISCONF);
    }
    if write && !srv.repl.is_replica() && srv.repl.too_few_replicas() {
        return Some("NOREPLICAS Not enough good replicas to write.");
    }
    None
}

/// The checks made before a command runs or is queued.
fn check(
    srv: &Shared,
    session: &mut Session,
    engine: &mut EngineLock,
    args: &[Bytes],
) -> Result<Resolved, Vec<u8>> {
    let found = match session.last_cmd {
        // Pipelines repeat commands: reuse the last lookup when it matches.
        Some(last)
            if !Table::get().renamed
                && last.parent.is_none()
                && last.entry.name().as_bytes().eq_ignore_ascii_case(&args[0])
                && !last.entry.is_container() =>
        {
            if !last.entry.arity_ok(args.len()) {
                return Err(Error::Arity(last.full_name()).to_string().into_bytes());
            }
            last
        }
        _ => resolve(args)?,
    };
    if !session.authenticated && found.entry.flags() & flags::NO_AUTH == 0 {
        return Err(b"NOAUTH Authentication required.".to_vec());
    }
    if let Some(oom) = crate::maxmemory::refuse(srv, session, engine, found) {
        return Err(oom.as_bytes().to_vec());
    }
    Ok(found)
}

/// Runs a resolved command now.
pub(crate) fn run(
    srv: &Arc<Shared>,
    session: &mut Session,
    engine: &mut EngineLock,
    found: Resolved,
    args: &[Bytes],
    out: &mut BytesMut,
    opts: ExecOptions,
) {
    session.last_cmd = Some(found);
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
                let waiter = crate::blocking::Waiter::new(
                    session.handle.clone(),
                    def,
                    args.to_vec(),
                    block.db,
                    session.proto,
                    block.keys,
                    block.deadline,
                );
                srv.blocking.park(waiter.clone());
                eng.track_ready(true);
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
                call.w().error(&e.to_string());
            }
        }
    }
}

/// Finds the command (or subcommand) and checks its arity, with Redis's
/// error texts.
pub fn resolve(args: &[Bytes]) -> Result<Resolved, Vec<u8>> {
    let Some(top) = Table::get().lookup(&args[0]) else {
        return Err(unknown_command(args));
    };
    let found = if top.is_container() && args.len() >= 2 {
        let sub = top.subcommand(&args[1]).ok_or_else(|| {
            let mut e = b"ERR unknown subcommand '".to_vec();
            e.extend_from_slice(c_str(&args[1], 128));
            e.extend_from_slice(format!("'. Try {} HELP.", top.name().to_uppercase()).as_bytes());
            e
        })?;
        Resolved {
            entry: sub,
            parent: Some(top),
        }
    } else {
        Resolved {
            entry: top,
            parent: None,
        }
    };
    if !found.entry.arity_ok(args.len()) {
        return Err(Error::Arity(found.full_name()).to_string().into_bytes());
    }
    Ok(found)
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
