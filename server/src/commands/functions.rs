//! FUNCTION LOAD / DELETE / FLUSH / LIST / KILL / HELP, FCALL and FCALL_RO:
//! function libraries in their own Lua state (the `scripting` crate), run
//! through the same checks and host as EVAL (`super::scripting`).

use bytes::Bytes;
use engine::command::flags::*;
use engine::command::{CommandDef, Group};
use engine::{Error, Result};
use resp::Writer;

use super::scripting::{busy_error, execute, numkeys};
use super::{cmd, write_help, Call, ServerHandler};

pub(super) fn commands() -> Vec<CommandDef<ServerHandler>> {
    const FCALL: u32 = NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | STALE;
    const FCALL_RO: u32 = NOSCRIPT | SKIP_MONITOR | STALE | READONLY;
    static SUBS: &[CommandDef<ServerHandler>] = &[
        sub(
            "delete",
            3,
            NOSCRIPT | WRITE,
            delete,
            "Deletes a library and its functions.",
        ),
        sub(
            "flush",
            -2,
            NOSCRIPT | WRITE,
            flush,
            "Deletes all libraries and functions.",
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
            "Terminates a function during execution.",
        ),
        sub(
            "list",
            -2,
            NOSCRIPT,
            list,
            "Returns information about all libraries.",
        ),
        sub(
            "load",
            -3,
            NOSCRIPT | WRITE | DENYOOM,
            load,
            "Creates a library.",
        ),
    ];
    let doc = |d: CommandDef<ServerHandler>, summary| {
        d.numkeys(2).doc(Group::Scripting, "7.0.0", summary)
    };
    vec![
        doc(cmd("fcall", -3, FCALL, fcall), "Invokes a function."),
        doc(
            cmd("fcall_ro", -3, FCALL_RO, fcall_ro),
            "Invokes a read-only function.",
        ),
        CommandDef::container("function", -2, SUBS).doc(
            Group::Scripting,
            "7.0.0",
            "A container for function commands",
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
    CommandDef::new(name, arity, flags, handler).doc(Group::Scripting, "7.0.0", summary)
}

fn fcall(call: &mut Call) -> Result<()> {
    fcall_generic(call, false)
}

fn fcall_ro(call: &mut Call) -> Result<()> {
    fcall_generic(call, true)
}

fn fcall_generic(call: &mut Call, ro: bool) -> Result<()> {
    let srv = call.srv;
    // Shown before the commands it runs, as EVAL.
    super::introspection::feed_monitors(srv, call.session, call.args);
    // Lock order: the engine, then the Lua state.
    call.engine.get();
    let mut lua = srv.scripts().functions();
    let name = String::from_utf8_lossy(call.arg(1)).into_owned();
    let Some(flags) = lua.function(&name).map(|f| f.flags) else {
        return Err(Error::err("Function not found"));
    };
    let numkeys = numkeys(call, Error::err("Bad number of keys provided"))?;
    execute(call, flags, ro, numkeys, |keys, argv, host| {
        lua.call_function(&name, keys, argv, host)
    })?;
    srv.scripts().note_functions(&lua);
    Ok(())
}

fn load(call: &mut Call) -> Result<()> {
    let mut replace = false;
    let mut rest = &call.args[2..];
    while rest.len() > 1 {
        if !rest[0].eq_ignore_ascii_case(b"replace") {
            return Err(Error::err_bytes(&[b"Unknown option given: ", &rest[0]]));
        }
        replace = true;
        rest = &rest[1..];
    }
    let Some(code) = rest.first() else {
        return Err(Error::err("Function code is missing"));
    };
    let srv = call.srv;
    let loaded = {
        let mut lua = srv.scripts().functions();
        let loaded = lua.load_library(code, replace);
        srv.scripts().note_functions(&lua);
        loaded
    };
    let name = loaded.map_err(Error::err)?;
    replicate(call);
    call.w().bulk(name.as_bytes());
    Ok(())
}

/// A FUNCTION write reaches replicas as it was given.
fn replicate(call: &mut Call) {
    let db = call.session.db;
    let args = call.args.to_vec();
    call.engine.get().propagate(db, args);
}

fn delete(call: &mut Call) -> Result<()> {
    let srv = call.srv;
    let name = String::from_utf8_lossy(call.arg(2)).into_owned();
    let deleted = {
        let mut lua = srv.scripts().functions();
        let deleted = lua.delete_library(&name);
        srv.scripts().note_functions(&lua);
        deleted
    };
    if !deleted {
        return Err(Error::err("Library not found"));
    }
    replicate(call);
    call.w().ok();
    Ok(())
}

fn flush(call: &mut Call) -> Result<()> {
    if !engine::command::args::flush_mode_ok(&call.args[2..]) {
        return Err(Error::err("FUNCTION FLUSH only supports SYNC|ASYNC option"));
    }
    let srv = call.srv;
    {
        let mut lua = srv.scripts().functions();
        lua.flush_functions().map_err(Error::err)?;
        srv.scripts().note_functions(&lua);
    }
    replicate(call);
    call.w().ok();
    Ok(())
}

fn kill(call: &mut Call) -> Result<()> {
    let status = call.srv.scripts().status();
    if status.running_for_ms().is_some() && !status.is_function() {
        return Err(Error::Other(busy_error(status).into()));
    }
    super::scripting::kill_running(call)
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
fn list(call: &mut Call) -> Result<()> {
    let (mut pattern, mut with_code) = (None::<Bytes>, false);
    let mut rest = call.args[2..].iter();
    while let Some(arg) = rest.next() {
        if arg.eq_ignore_ascii_case(b"withcode") {
            with_code = true;
        } else if arg.eq_ignore_ascii_case(b"libraryname") {
            let p = rest
                .next()
                .ok_or_else(|| Error::err("library name argument was not given"))?;
            pattern = Some(p.clone());
        } else {
            return Err(Error::err_bytes(&[b"Unknown argument ", arg]));
        }
    }
    let lua = call.srv.scripts().functions();
    let mut libs: Vec<_> = lua
        .libraries()
        .values()
        .filter(|l| {
            pattern
                .as_ref()
                .is_none_or(|p| engine::glob::matches(p, l.name.as_bytes(), false))
        })
        .collect();
    libs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut w = Writer::new(call.out, call.session.proto);
    w.array(libs.len());
    for lib in libs {
        w.map(if with_code { 4 } else { 3 });
        w.bulk(b"library_name");
        w.bulk(lib.name.as_bytes());
        w.bulk(b"engine");
        w.bulk(b"LUA");
        w.bulk(b"functions");
        w.array(lib.functions.len());
        for name in &lib.functions {
            let Some(f) = lua.function(name) else {
                continue;
            };
            w.map(3);
            w.bulk(b"name");
            w.bulk(name.as_bytes());
            w.bulk(b"description");
            match &f.description {
                Some(d) => w.bulk(d.as_bytes()),
                None => w.null(),
            }
            w.bulk(b"flags");
            w.set(f.flags.names().count());
            for n in f.flags.names() {
                w.bulk(n.as_bytes());
            }
        }
        if with_code {
            w.bulk(b"library_code");
            w.bulk(&lib.code);
        }
    }
    Ok(())
}

fn help(call: &mut Call) -> Result<()> {
    write_help(
        call,
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
    Ok(())
}
