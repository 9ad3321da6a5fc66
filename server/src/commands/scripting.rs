//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT: the server's side of
//! scripting. The `scripting` crate runs the Lua; this module decides
//! whether a script may run (Redis's `scriptPrepareForRun`), runs each
//! command it calls as the calling client under the engine lock already
//! held (Redis's `scriptCall`, with its refusals), and wraps the script's
//! writes in MULTI/EXEC for replicas, as Redis 7 replicates effects.

use bytes::{Bytes, BytesMut};
use engine::command::flags::*;
use engine::command::{CommandDef, Group};
use engine::{Error, ExecOptions, Result};
use resp::{Frame, Protocol};
use scripting::{Host, KillRefused, ScriptFlags};

use super::{check, cmd, run, write_help, Call, Resolved, ServerHandler};
use crate::log::Level;

const NOSCRIPT_ERR: &str = "NOSCRIPT No matching script. Please use EVAL.";

pub(super) fn commands() -> Vec<CommandDef<ServerHandler>> {
    const EVAL: u32 = NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | STALE;
    const EVAL_RO: u32 = NOSCRIPT | SKIP_MONITOR | STALE | READONLY;
    let doc = |d: CommandDef<ServerHandler>, since, summary| {
        d.numkeys(2).doc(Group::Scripting, since, summary)
    };
    static SUBS: &[CommandDef<ServerHandler>] = &[
        sub(
            "exists",
            -3,
            NOSCRIPT,
            exists,
            "Checks the existence of scripts in the script cache.",
        ),
        sub(
            "flush",
            -2,
            NOSCRIPT | MAY_REPLICATE,
            flush,
            "Removes all scripts from the script cache.",
        ),
        sub(
            "help",
            2,
            LOADING | STALE,
            help,
            "Show helpful text about the different subcommands",
        ),
        sub(
            "kill",
            2,
            NOSCRIPT | ALLOW_BUSY,
            kill,
            "Terminates a server-side Lua script during execution.",
        ),
        sub(
            "load",
            3,
            NOSCRIPT | STALE,
            load,
            "Loads a server-side Lua script to the script cache.",
        ),
    ];
    vec![
        doc(
            cmd("eval", -3, EVAL, eval),
            "2.6.0",
            "Executes a server-side Lua script.",
        ),
        doc(
            cmd("evalsha", -3, EVAL, evalsha),
            "2.6.0",
            "Executes a server-side Lua script by SHA1 digest.",
        ),
        doc(
            cmd("eval_ro", -3, EVAL_RO, eval_ro),
            "7.0.0",
            "Executes a read-only server-side Lua script.",
        ),
        doc(
            cmd("evalsha_ro", -3, EVAL_RO, evalsha_ro),
            "7.0.0",
            "Executes a read-only server-side Lua script by SHA1 digest.",
        ),
        CommandDef::container("script", -2, SUBS).doc(
            Group::Scripting,
            "2.6.0",
            "A container for Lua scripts management commands",
        ),
    ]
}

const fn sub(
    name: &'static str,
    arity: i32,
    flags: u32,
    handler: ServerHandler,
    summary: &'static str,
) -> CommandDef<ServerHandler> {
    CommandDef::new(name, arity, flags, handler).doc(Group::Scripting, "2.6.0", summary)
}

fn eval(call: &mut Call) -> Result<()> {
    eval_generic(call, false, false)
}

fn evalsha(call: &mut Call) -> Result<()> {
    eval_generic(call, true, false)
}

fn eval_ro(call: &mut Call) -> Result<()> {
    eval_generic(call, false, true)
}

fn evalsha_ro(call: &mut Call) -> Result<()> {
    eval_generic(call, true, true)
}

/// Redis's `evalGenericCommand`: the key count, the script (cached, or
/// compiled now for EVAL), the checks of its flags, then the run.
fn eval_generic(call: &mut Call, by_sha: bool, ro: bool) -> Result<()> {
    // Shown before the commands it runs (the table's SKIP_MONITOR keeps it
    // from being shown again after them).
    super::introspection::feed_monitors(call.srv, call.session, call.args);
    let numkeys = numkeys(call, Error::NotInteger)?;
    let srv = call.srv;
    // Lock order: the engine, then the Lua state.
    call.engine.get();
    let mut lua = srv.scripts().lock();
    let sha = if by_sha {
        let sha = std::str::from_utf8(call.arg(1)).unwrap_or("");
        if sha.len() != 40 {
            return Err(Error::Other(NOSCRIPT_ERR.into()));
        }
        sha.to_ascii_lowercase()
    } else {
        let loaded = lua.load(call.arg(1));
        srv.scripts().note_memory(&lua);
        loaded.map_err(Error::err)?
    };
    let Some(flags) = lua.get(&sha).map(|s| s.flags) else {
        return Err(Error::Other(NOSCRIPT_ERR.into()));
    };
    execute(call, flags, ro, numkeys, |keys, argv, host| {
        lua.run(&sha, keys, argv, host)
    })?;
    srv.scripts().note_memory(&lua);
    Ok(())
}

/// The key count of EVAL and FCALL (argument 2), checked against the
/// arguments.
pub(super) fn numkeys(call: &Call, not_a_number: Error) -> Result<usize> {
    let numkeys = resp::parse_i64(call.arg(2)).ok_or(not_a_number)?;
    if numkeys > call.args.len() as i64 - 3 {
        return Err(Error::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(Error::err("Number of keys can't be negative"));
    }
    Ok(numkeys as usize)
}

/// Checks a script's or function's flags, runs it with the calling client
/// as its host, wraps its writes for replicas and writes its reply.
pub(super) fn execute(
    call: &mut Call,
    flags: ScriptFlags,
    ro: bool,
    numkeys: usize,
    run: impl FnOnce(&[Bytes], &[Bytes], &mut dyn Host) -> Frame,
) -> Result<()> {
    prepare(call, flags, ro)?;
    let srv = call.srv;
    let split = 3 + numkeys;
    let (keys, argv) = (&call.args[3..split], &call.args[split..]);
    let first_write = call.engine.get().propagated_len();
    // CLIENT LIST shows the script's command, not the last one it called;
    // a SELECT in the script is the script's own (Redis's Lua client).
    let (last_cmd, db) = (call.session.last_cmd, call.session.db);
    let mut host = ScriptHost {
        read_only: ro || (!flags.compat && flags.no_writes),
        allow_oom: !flags.compat && flags.allow_oom,
        oom: check::out_of_memory(srv, call.engine),
        replicate: true,
        call,
    };
    host.call.session.in_script = true;
    let reply = off_runtime(|| run(keys, argv, &mut host));
    let call = host.call;
    call.session.in_script = false;
    call.session.last_cmd = last_cmd;
    call.session.db = db;
    // Replicas apply the script's effects as one transaction.
    call.engine.get().wrap_propagated(first_write);
    call.w().frame(&reply);
    Ok(())
}

/// Runs a script so that, on a multi-threaded runtime, this worker's other
/// connections move to another thread meanwhile (they then get BUSY and may
/// send SCRIPT KILL). A single-threaded runtime (`io-threads 1`) has no
/// other thread: there a script holds the server until it ends.
fn off_runtime<R>(run: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(run),
        _ => run(),
    }
}

/// Redis's `scriptPrepareForRun`: what the shebang flags allow now.
fn prepare(call: &mut Call, flags: ScriptFlags, ro: bool) -> Result<()> {
    let srv = call.srv;
    let running_stale = check::stale_refused(srv);
    if flags.compat {
        if running_stale {
            return Err(Error::Other(check::MASTERDOWN.into()));
        }
        return Ok(());
    }
    if running_stale && !flags.allow_stale {
        return Err(Error::Other("MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set on the script.".into()));
    }
    let obey = call.session.repl.is_master;
    if !flags.no_writes {
        if check::read_only_replica(srv) && !obey {
            return Err(Error::Other(
                "READONLY Can not run script with write flag on readonly replica".into(),
            ));
        }
        if crate::persistence::writes_refused(srv) && !obey {
            return Err(Error::Other("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts.".into()));
        }
        if ro {
            return Err(Error::err(
                "Can not execute a script with write flag using *_ro command.",
            ));
        }
        if check::too_few_replicas(srv) {
            return Err(Error::Other(check::NOREPLICAS.into()));
        }
    }
    if !flags.allow_oom && !flags.no_writes && check::out_of_memory(srv, call.engine) {
        return Err(Error::Other("OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'".into()));
    }
    Ok(())
}

/// The calling client as the script's commands run: Redis's `scriptCall`.
struct ScriptHost<'c, 'a, 'l> {
    call: &'c mut Call<'a, 'l>,
    read_only: bool,
    allow_oom: bool,
    /// Memory was over `maxmemory` when the script started.
    oom: bool,
    /// `redis.set_repl`: whether writes reach replicas.
    replicate: bool,
}

impl ScriptHost<'_, '_, '_> {
    /// The command `args` names, with Redis's script errors.
    fn resolve(args: &[Bytes]) -> std::result::Result<Resolved, &'static str> {
        let found =
            super::find(args).map_err(|_| "ERR Unknown Redis command called from script")?;
        if !found.entry.arity_ok(args.len()) {
            return Err("ERR Wrong number of args calling Redis command from script");
        }
        Ok(found)
    }

    /// Why the script may not run this command now, if it may not.
    fn refusal(&mut self, found: Resolved) -> Option<&'static str> {
        let flags = found.flags();
        if flags & NOSCRIPT != 0 {
            return Some("ERR This Redis command is not allowed from script");
        }
        let srv = self.call.srv;
        let obey = self.call.session.repl.is_master;
        // The write refusals and OOM apply until the script first writes.
        let wrote = srv.scripts().status().wrote();
        if flags & STALE == 0 && check::stale_refused(srv) {
            return Some(check::MASTERDOWN);
        }
        if self.read_only && flags & (WRITE | MAY_REPLICATE) != 0 {
            return Some("ERR Write commands are not allowed from read-only scripts.");
        }
        if flags & WRITE != 0 && !wrote {
            if check::read_only_replica(srv) && !obey {
                return Some(check::READONLY);
            }
            if crate::persistence::writes_refused(srv) {
                return Some(check::MISCONF);
            }
            if check::too_few_replicas(srv) {
                return Some(check::NOREPLICAS);
            }
        }
        if !self.allow_oom && !obey && !wrote && self.oom && flags & DENYOOM != 0 {
            return Some(check::OOM);
        }
        None
    }
}

impl Host for ScriptHost<'_, '_, '_> {
    fn call(&mut self, args: Vec<Bytes>, proto: Protocol) -> Frame {
        let found = match Self::resolve(&args).and_then(|f| match self.refusal(f) {
            Some(e) => Err(e),
            None => Ok(f),
        }) {
            Ok(found) => found,
            Err(e) => {
                self.call.srv.count_error(e.as_bytes());
                return Frame::Error(Bytes::from_static(e.as_bytes()));
            }
        };
        if found.flags() & WRITE != 0 {
            self.call.srv.scripts().status().note_write();
        }
        let call = &mut *self.call;
        let saved_proto = std::mem::replace(&mut call.session.proto, proto);
        let before = call.engine.get().propagated_len();
        let mut out = BytesMut::new();
        // Blocking commands do not block in scripts (as in MULTI).
        let opts = ExecOptions {
            may_block: false,
            ..ExecOptions::default()
        };
        let was_in_exec = std::mem::replace(&mut call.session.in_exec, true);
        run(
            call.srv,
            call.session,
            call.engine,
            found,
            &args,
            &mut out,
            opts,
        );
        call.session.in_exec = was_in_exec;
        call.session.proto = saved_proto;
        if !self.replicate {
            call.engine.get().truncate_propagated(before);
        }
        match resp::decode(&mut out) {
            Ok(Some(frame)) => frame,
            _ => Frame::Null,
        }
    }

    fn log(&mut self, level: u8, message: &[u8]) {
        let level = match level {
            0 => Level::Debug,
            1 => Level::Verbose,
            2 => Level::Notice,
            _ => Level::Warning,
        };
        crate::log::write(level, format_args!("{}", String::from_utf8_lossy(message)));
    }

    fn acl_check(&mut self, args: &[Bytes]) -> Option<bool> {
        // Only looked up, as Redis's `lookupCommand`: no arity check.
        super::find(args).ok().map(|_| true)
    }

    fn set_repl(&mut self, targets: u8) {
        // Without an AOF only the replicas' bit matters.
        self.replicate = targets & 2 != 0;
    }
}

fn load(call: &mut Call) -> Result<()> {
    let srv = call.srv;
    let mut lua = srv.scripts().lock();
    let loaded = lua.load(call.arg(2));
    srv.scripts().note_memory(&lua);
    drop(lua);
    let sha = loaded.map_err(Error::err)?;
    call.w().bulk(sha.as_bytes());
    Ok(())
}

fn exists(call: &mut Call) -> Result<()> {
    let found: Vec<bool> = {
        let lua = call.srv.scripts().lock();
        call.args[2..]
            .iter()
            .map(|sha| std::str::from_utf8(sha).is_ok_and(|s| lua.exists(s)))
            .collect()
    };
    let mut w = call.w();
    w.array(found.len());
    for f in found {
        w.integer(i64::from(f));
    }
    Ok(())
}

fn flush(call: &mut Call) -> Result<()> {
    if !engine::command::args::flush_mode_ok(&call.args[2..]) {
        return Err(Error::err("SCRIPT FLUSH only support SYNC|ASYNC option"));
    }
    let srv = call.srv;
    let mut lua = srv.scripts().lock();
    lua.flush().map_err(Error::err)?;
    srv.scripts().note_memory(&lua);
    drop(lua);
    call.w().ok();
    Ok(())
}

fn kill(call: &mut Call) -> Result<()> {
    let status = call.srv.scripts().status();
    if status.running_for_ms().is_some() && status.is_function() {
        return Err(Error::Other(busy_error(status).into()));
    }
    kill_running(call)
}

/// SCRIPT KILL and FUNCTION KILL once the kind of run is checked.
pub(super) fn kill_running(call: &mut Call) -> Result<()> {
    let status = call.srv.scripts().status();
    match status.kill() {
        Ok(()) => {
            call.w().ok();
            Ok(())
        }
        Err(KillRefused::NotBusy) => Err(Error::Other(
            "NOTBUSY No scripts in execution right now.".into(),
        )),
        Err(KillRefused::Unkillable) => Err(Error::Other("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.".into())),
    }
}

fn help(call: &mut Call) -> Result<()> {
    write_help(
        call,
        "SCRIPT",
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
    Ok(())
}

/// The BUSY refusal for whatever runs now.
pub(super) fn busy_error(status: &scripting::RunStatus) -> &'static str {
    if status.is_function() {
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    } else {
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    }
}

/// SHUTDOWN while a script runs past `busy-reply-threshold`: only NOSAVE
/// is allowed, and it exits at once (the script holds the keyspace, and
/// nothing is saved anyway). `None` when no script is busy.
pub(super) fn busy_shutdown(srv: &crate::state::Shared, nosave: bool) -> Option<Result<()>> {
    let status = srv.scripts().status();
    let ran = status.running_for_ms()?;
    if ran < srv.settings().busy_reply_threshold {
        return None;
    }
    if !nosave {
        return Some(Err(Error::Other(busy_error(status).into())));
    }
    crate::log::write(
        Level::Warning,
        format_args!("User requested shutdown while a script runs: exiting without saving."),
    );
    std::process::exit(0);
}
