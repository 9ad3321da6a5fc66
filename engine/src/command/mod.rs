//! The command table and the context commands run in.
//!
//! Each command is one [`CommandDef`]: name, arity, flags, key positions and
//! a handler. The same definition drives dispatch, arity errors, `COMMAND`
//! output, write propagation and read-only checks. A server adds its own
//! commands with the same type and a different handler signature.

pub mod args;
mod bitops;
pub mod blocking;
mod counters;
mod dump;
mod elements;
mod expire;
pub mod flags;
mod geo;
mod hashes;
mod hyperloglog;
mod keys;
mod keyspace;
mod lcs;
mod lists;
mod long_double;
mod object;
mod scan;
mod sets;
mod sort;
mod streams;
mod strings;
#[cfg(test)]
pub(crate) mod test_support;
mod zsets;

use bytes::Bytes;
use resp::Writer;

use crate::{notify, Db, Engine, Error, Result, Value};

/// A command implementation.
pub type Handler = fn(&mut Ctx) -> Result<()>;

/// Documentation group, as `COMMAND DOCS` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Generic,
    String,
    Connection,
    Server,
    Keyspace,
    List,
    Set,
    SortedSet,
    Hash,
    Bitmap,
    Geo,
    HyperLogLog,
    Stream,
    PubSub,
    Transactions,
    Scripting,
    Cluster,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Generic | Group::Keyspace => "generic",
            Group::String => "string",
            Group::Connection => "connection",
            Group::Server => "server",
            Group::List => "list",
            Group::Set => "set",
            Group::SortedSet => "sorted-set",
            Group::Hash => "hash",
            Group::Bitmap => "bitmap",
            Group::Geo => "geo",
            Group::HyperLogLog => "hyperloglog",
            Group::Stream => "stream",
            Group::PubSub => "pubsub",
            Group::Transactions => "transactions",
            Group::Scripting => "scripting",
            Group::Cluster => "cluster",
        }
    }
}

/// One entry of a command table. `H` is the handler type of whoever
/// executes it (the engine's [`Handler`], or a server's own).
#[derive(Debug)]
pub struct CommandDef<H: 'static> {
    /// Lower-case name; for a subcommand, just its own part (`encoding`).
    pub name: &'static str,
    /// Redis convention: `n` means exactly n arguments including the name,
    /// `-n` at least n.
    pub arity: i32,
    pub flags: u32,
    /// First key, last key (negative counts from the end) and step.
    pub keys: (i32, i32, i32),
    /// For commands whose keys follow a count (ZUNION's `numkeys`): the
    /// count's position; Redis's `keynum` key spec. These keys are only
    /// read: writes touch the range above.
    pub numkeys: Option<usize>,
    pub group: Group,
    pub since: &'static str,
    pub summary: &'static str,
    /// `None` for a container whose subcommands do the work.
    pub handler: Option<H>,
    pub subcommands: &'static [CommandDef<H>],
}

impl<H> CommandDef<H> {
    pub const fn new(name: &'static str, arity: i32, flags: u32, handler: H) -> Self {
        CommandDef {
            name,
            arity,
            flags,
            keys: (0, 0, 0),
            numkeys: None,
            group: Group::Generic,
            since: "1.0.0",
            summary: "",
            handler: Some(handler),
            subcommands: &[],
        }
    }

    /// A container command (OBJECT, CLIENT, ...) dispatching on its first argument.
    pub const fn container(name: &'static str, arity: i32, subs: &'static [CommandDef<H>]) -> Self {
        CommandDef {
            name,
            arity,
            flags: 0,
            keys: (0, 0, 0),
            numkeys: None,
            group: Group::Generic,
            since: "1.0.0",
            summary: "",
            handler: None,
            subcommands: subs,
        }
    }

    pub const fn keys(mut self, first: i32, last: i32, step: i32) -> Self {
        self.keys = (first, last, step);
        self
    }

    /// Keys follow a count at position `index`.
    pub const fn numkeys(mut self, index: usize) -> Self {
        self.numkeys = Some(index);
        self
    }

    pub const fn doc(mut self, group: Group, since: &'static str, summary: &'static str) -> Self {
        self.group = group;
        self.since = since;
        self.summary = summary;
        self
    }

    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// Whether `argc` arguments (name included) satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = i64::from(self.arity);
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    pub fn subcommand(&self, name: &[u8]) -> Option<&CommandDef<H>> {
        self.subcommands
            .iter()
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
    }

    /// Positions of every key in `args` (COMMAND GETKEYS): the range, then
    /// those counted by `numkeys`. `None` if the count is not a
    /// non-negative integer or counts more arguments than there are.
    pub fn all_key_positions(&self, args: &[Bytes]) -> Option<Vec<usize>> {
        let mut keys: Vec<usize> = self.key_positions(args.len()).collect();
        if let Some(at) = self.numkeys {
            let n = usize::try_from(args::int(args.get(at)?).ok()?).ok()?;
            if at + n >= args.len() {
                return None;
            }
            keys.extend(at + 1..=at + n);
        }
        Some(keys)
    }

    /// Positions of the key arguments in `args`.
    pub fn key_positions(&self, argc: usize) -> impl Iterator<Item = usize> {
        let (first, last, step) = self.keys;
        let last = if last < 0 { argc as i32 + last } else { last };
        let step = step.max(1) as usize;
        let range = if first <= 0 || last < first {
            0..0
        } else {
            first as usize..(last as usize + 1).min(argc)
        };
        range.step_by(step)
    }
}

/// The full name Redis uses in errors and COMMAND output: `get`, `object|encoding`.
pub fn full_name<H>(parent: Option<&CommandDef<H>>, def: &CommandDef<H>) -> String {
    match parent {
        Some(p) => format!("{}|{}", p.name, def.name),
        None => def.name.to_string(),
    }
}

/// Everything a command sees while it runs.
pub struct Ctx<'a> {
    pub eng: &'a mut Engine,
    /// The session's selected database.
    pub db: &'a mut usize,
    pub args: &'a [Bytes],
    pub out: Writer<'a>,
    /// Unix time in milliseconds, fixed for the whole command.
    pub now: i64,
    rewrite: Option<Vec<Vec<Bytes>>>,
    may_block: bool,
}

impl<'a> Ctx<'a> {
    pub fn new(
        eng: &'a mut Engine,
        db: &'a mut usize,
        args: &'a [Bytes],
        out: Writer<'a>,
        now: i64,
    ) -> Self {
        Ctx {
            eng,
            db,
            args,
            out,
            now,
            rewrite: None,
            may_block: true,
        }
    }

    /// Forbids blocking (MULTI, timeouts): see [`Ctx::may_block`].
    pub fn without_blocking(mut self) -> Self {
        self.may_block = false;
        self
    }

    /// The selected database.
    pub fn db(&mut self) -> &mut Db {
        &mut self.eng.dbs[*self.db]
    }

    /// Marks `n` changes to the dataset; a write command that made changes
    /// is propagated to replicas.
    pub fn dirty(&mut self, n: u64) {
        self.eng.dirty += n;
    }

    /// Propagates `args` instead of the command as received (e.g. relative
    /// expiry times rewritten as absolute ones).
    pub fn propagate_as(&mut self, args: Vec<Bytes>) {
        self.rewrite = Some(vec![args]);
    }

    /// Propagates several commands instead of the one received, as one
    /// unit (e.g. SPOP with a count as one SREM per popped member).
    pub fn propagate_all_as(&mut self, commands: Vec<Vec<Bytes>>) {
        self.rewrite = Some(commands);
    }

    pub(crate) fn take_rewrite(&mut self) -> Option<Vec<Vec<Bytes>>> {
        self.rewrite.take()
    }

    /// Asks the server to park this client until one of `keys` gets data
    /// or `deadline` (Unix ms) passes. The command writes no reply then; it
    /// is run again when a key is ready. Only call when [`Ctx::may_block`].
    pub fn block(&mut self, keys: Vec<Bytes>, deadline: Option<i64>) {
        self.eng.blocked = Some(crate::engine::BlockOn {
            db: *self.db,
            keys,
            deadline,
            args: None,
            fails_when_gone: false,
        });
    }

    /// Like [`Ctx::block`], re-running the command with `args` instead of
    /// the ones received (XREAD's `$` made the concrete ID it meant).
    pub fn block_with_args(&mut self, keys: Vec<Bytes>, deadline: Option<i64>, args: Vec<Bytes>) {
        self.block(keys, deadline);
        if let Some(b) = self.eng.blocked.as_mut() {
            b.args = Some(args);
        }
    }

    /// Whether the command comes from our master (Redis's `mustObeyClient`).
    pub fn from_master(&self) -> bool {
        self.eng.for_master
    }

    /// Whether a blocking command may block (not inside MULTI, and not when
    /// re-run after its timeout); if not, it answers as if it timed out.
    pub fn may_block(&self) -> bool {
        self.may_block
    }

    /// The key this command is re-run for, when the server serves a parked
    /// client (see [`Engine::execute_served`]).
    pub fn serving(&self) -> Option<&Bytes> {
        self.eng.serving.as_ref()
    }

    /// Marks `key` as changed for WATCH when the command table cannot tell
    /// (a key after a count, as in LMPOP); keys at the command's key
    /// positions are marked already.
    pub fn touch(&mut self, key: &[u8]) {
        let db = *self.db;
        self.eng.touch_key(db, &Bytes::copy_from_slice(key));
    }

    /// Marks `key` as having received data that blocked clients may want
    /// (Redis's `signalKeyAsReady`).
    pub fn signal_ready(&mut self, key: &[u8]) {
        let db = *self.db;
        self.eng.signal_ready_in(db, key);
    }

    /// Records a keyspace event on `key` of the selected database (see
    /// [`Engine::notify`]).
    pub fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        let db = *self.db;
        self.eng.notify(class, event, db, key);
    }

    /// Stores `value` under `key` like Redis's `setKey` (see
    /// [`Engine::set_key`]). Returns the previous value.
    pub fn set_key(&mut self, key: &[u8], value: Value, keep_ttl: bool) -> Option<Value> {
        let db = *self.db;
        self.eng.set_key(db, key, value, keep_ttl)
    }

    /// Deletes `key`, notifying `del` if it was there. Returns whether it was.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        let removed = self.db().remove(key);
        if matches!(removed, Some(Value::Stream(_))) {
            // XREADGROUP waiters fail when their stream goes away.
            self.signal_ready(key);
        }
        if removed.is_some() {
            self.notify(notify::GENERIC, "del", key);
        }
        removed.is_some()
    }

    /// Whether `key` exists, after lazy expiry.
    pub fn exists(&mut self, key: &[u8]) -> bool {
        !self.eng.expire_if_needed(*self.db, key, self.now) && self.db().contains(key)
    }

    /// Looks a key up for reading, counting keyspace hits and misses.
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&Value> {
        self.read(key).0
    }

    /// Like [`Ctx::lookup_read`], also handing out the reply writer so a
    /// value can be written without copying it first.
    pub fn read(&mut self, key: &[u8]) -> (Option<&Value>, &mut Writer<'a>) {
        let found = self.count_lookup(key, true);
        let value = if found {
            self.eng.dbs[*self.db].get_touched(key)
        } else {
            None
        };
        (value, &mut self.out)
    }

    /// Looks a key up for reading without counting as an access for
    /// LRU/LFU (Redis's `LOOKUP_NOTOUCH`: EXISTS, TYPE, OBJECT), still
    /// counting keyspace hits and misses.
    pub fn peek(&mut self, key: &[u8]) -> Option<&Value> {
        self.peek_with(key, true)
    }

    /// [`Ctx::peek`] without a `keymiss` notification (Redis's
    /// `LOOKUP_NONOTIFY`, for OBJECT).
    pub fn peek_quiet(&mut self, key: &[u8]) -> Option<&Value> {
        self.peek_with(key, false)
    }

    fn peek_with(&mut self, key: &[u8], notify_miss: bool) -> Option<&Value> {
        if self.count_lookup(key, notify_miss) {
            self.eng.dbs[*self.db].get(key)
        } else {
            None
        }
    }

    /// Whether `key` exists, counted as a keyspace hit or miss; a miss is
    /// notified as `keymiss` if `notify_miss`.
    fn count_lookup(&mut self, key: &[u8], notify_miss: bool) -> bool {
        let found = self.exists(key);
        if found {
            self.eng.stats.keyspace_hits += 1;
        } else {
            self.eng.stats.keyspace_misses += 1;
            if notify_miss {
                self.notify(notify::KEY_MISS, "keymiss", key);
            }
        }
        found
    }

    /// Looks a key up for writing.
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<&mut Value> {
        if self.eng.expire_if_needed_for_write(*self.db, key, self.now) {
            return None;
        }
        self.eng.dbs[*self.db].get_mut(key)
    }

    pub fn arg(&self, i: usize) -> &'a [u8] {
        &self.args[i]
    }

    /// The command's name as the client sent it, lower-cased.
    pub fn name(&self) -> String {
        String::from_utf8_lossy(&self.args[0]).to_lowercase()
    }

    pub fn syntax_error<T>(&self) -> Result<T> {
        Err(Error::Syntax)
    }

    /// Redis's `addReplyHelp`: a header naming the command as sent, the
    /// `lines`, then HELP itself.
    pub fn reply_help(&mut self, lines: &[&str]) {
        let name = String::from_utf8_lossy(self.arg(0)).to_uppercase();
        self.out.array(lines.len() + 3);
        self.out.simple(
            format!("{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:").as_bytes(),
        );
        for line in lines {
            self.out.simple(line.as_bytes());
        }
        self.out.simple(b"HELP");
        self.out.simple(b"    Prints this help.");
    }

    /// Redis's `addReplySubcommandSyntaxError`: a container's subcommand
    /// given arguments it does not take (the subcommand echoed as sent, at
    /// most 128 bytes).
    pub fn subcommand_syntax(&self) -> Error {
        let sub = self.arg(1);
        Error::err_bytes(&[
            b"unknown subcommand or wrong number of arguments for '",
            &sub[..sub.len().min(128)],
            b"'. Try ",
            &self.arg(0).to_ascii_uppercase(),
            b" HELP.",
        ])
    }
}

/// The engine's command table.
pub fn table() -> &'static [CommandDef<Handler>] {
    static TABLE: std::sync::OnceLock<Vec<CommandDef<Handler>>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut all = Vec::new();
        all.extend(keyspace::commands());
        all.extend(strings::commands());
        all.extend(bitops::commands());
        all.extend(counters::commands());
        all.extend(lcs::commands());
        all.extend(keys::commands());
        all.extend(hashes::commands());
        all.extend(sets::commands());
        all.extend(lists::commands());
        all.extend(zsets::commands());
        all.extend(geo::commands());
        all.extend(expire::commands());
        all.extend(scan::commands());
        all.extend(object::commands());
        all.extend(dump::commands());
        all.extend(sort::commands());
        all.extend(hyperloglog::commands());
        all.extend(streams::commands());
        all
    })
}

/// An engine command definition (the handler coerced to [`Handler`]).
pub(crate) fn cmd(
    name: &'static str,
    arity: i32,
    flags: u32,
    handler: Handler,
) -> CommandDef<Handler> {
    CommandDef::new(name, arity, flags, handler)
}
