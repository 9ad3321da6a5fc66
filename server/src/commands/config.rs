//! CONFIG GET / SET / RESETSTAT / REWRITE.

use engine::command::flags::*;
use engine::command::{CommandDef, Group};
use engine::{Error, Result};

use super::{Call, ServerHandler};
use crate::config::{ConfigError, SetContext};

pub(super) fn commands() -> Vec<CommandDef<ServerHandler>> {
    const F: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
    static SUBS: &[CommandDef<ServerHandler>] = &[
        sub(
            "get",
            -3,
            F,
            get,
            "Returns the effective values of configuration parameters.",
        ),
        sub(
            "set",
            -4,
            F | MAY_REPLICATE,
            set,
            "Sets configuration parameters in-flight.",
        ),
        sub(
            "resetstat",
            2,
            F,
            resetstat,
            "Resets the server's statistics.",
        ),
        sub(
            "rewrite",
            2,
            F,
            rewrite,
            "Persists the effective configuration to file.",
        ),
        sub(
            "help",
            2,
            LOADING | STALE,
            help,
            "Returns helpful text about the different subcommands.",
        ),
    ];
    vec![CommandDef::container("config", -2, SUBS).doc(
        Group::Server,
        "2.0.0",
        "A container for server configuration commands.",
    )]
}

const fn sub(
    name: &'static str,
    arity: i32,
    flags: u32,
    h: ServerHandler,
    summary: &'static str,
) -> CommandDef<ServerHandler> {
    CommandDef::new(name, arity, flags, h).doc(Group::Server, "2.0.0", summary)
}

fn get(call: &mut Call) -> Result<()> {
    let patterns: Vec<&[u8]> = call.args[2..].iter().map(|a| &a[..]).collect();
    let pairs = call.srv.config().read().get(&patterns);
    let mut w = call.w();
    w.map(pairs.len());
    for (name, value) in pairs {
        w.bulk(name.as_bytes());
        w.bulk(value.as_bytes());
    }
    Ok(())
}

fn set(call: &mut Call) -> Result<()> {
    if !call.args.len().is_multiple_of(2) {
        return Err(Error::Syntax);
    }
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = call.args[2..]
        .chunks(2)
        .map(|p| (p[0].to_vec(), p[1].to_vec()))
        .collect();
    let local = crate::state::clients::is_local(call.session.handle.info.lock().addr.ip());
    let ctx = SetContext {
        local_client: local,
        loading: false,
    };
    let changed = call
        .srv
        .config()
        .write()
        .set_with(&pairs, ctx)
        .map_err(|e| Error::Other(e.to_string()))?;
    crate::apply::config_changed(call.srv, call.engine.get(), &changed);
    call.w().ok();
    Ok(())
}

fn resetstat(call: &mut Call) -> Result<()> {
    let eng = call.engine.get();
    eng.stats = engine::Stats::default();
    call.srv.counters().reset();
    call.w().ok();
    Ok(())
}

fn rewrite(call: &mut Call) -> Result<()> {
    match call.srv.config().read().rewrite() {
        Ok(()) => {}
        Err(e @ ConfigError::NoConfigFile) => return Err(Error::err(e)),
        Err(e) => return Err(Error::err(e)),
    }
    crate::log::log!(Notice, "CONFIG REWRITE executed with success.");
    call.w().ok();
    Ok(())
}

fn help(call: &mut Call) -> Result<()> {
    super::write_help(
        call,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
    Ok(())
}
