//! SLOWLOG GET/LEN/RESET/HELP.

use engine::command::args;
use engine::command::flags::*;
use engine::command::{CommandDef, Group};
use engine::Result;

use super::{Call, ServerHandler};

pub(super) fn commands() -> Vec<CommandDef<ServerHandler>> {
    const F: u32 = ADMIN | LOADING | STALE;
    static SUBS: &[CommandDef<ServerHandler>] = &[
        sub("get", -2, F, get, "Returns the slow log's entries."),
        sub(
            "len",
            2,
            F,
            len,
            "Returns the number of entries in the slow log.",
        ),
        sub(
            "reset",
            2,
            F,
            reset,
            "Clears all entries from the slow log.",
        ),
        sub(
            "help",
            2,
            LOADING | STALE,
            help,
            "Show helpful text about the different subcommands",
        ),
    ];
    vec![CommandDef::container("slowlog", -2, SUBS).doc(
        Group::Server,
        "2.2.12",
        "A container for slow log commands.",
    )]
}

const fn sub(
    name: &'static str,
    arity: i32,
    flags: u32,
    h: ServerHandler,
    summary: &'static str,
) -> CommandDef<ServerHandler> {
    CommandDef::new(name, arity, flags, h).doc(Group::Server, "2.2.12", summary)
}

/// SLOWLOG GET [count]: the newest `count` entries (10 by default, -1 for
/// all), each `[id, time, duration, args, peer, name]`.
fn get(call: &mut Call) -> Result<()> {
    if call.args.len() > 3 {
        return Err(super::subcommand_syntax(call));
    }
    let count = match call.args.get(2) {
        None => 10,
        Some(a) => {
            let n = args::int_in(
                a,
                -1,
                i64::MAX,
                "count should be greater than or equal to -1",
            )?;
            usize::try_from(n).unwrap_or(usize::MAX)
        }
    };
    let entries = call.srv.slowlog().newest(count);
    let mut w = call.w();
    w.array(entries.len());
    for e in entries {
        w.array(6);
        w.integer(e.id as i64);
        w.integer(e.time as i64);
        w.integer(e.micros as i64);
        w.array(e.args.len());
        for a in &e.args {
            w.bulk(a);
        }
        w.bulk(e.peer.as_bytes());
        w.bulk(e.client_name.as_bytes());
    }
    Ok(())
}

fn len(call: &mut Call) -> Result<()> {
    let n = call.srv.slowlog().len();
    call.w().integer(n as i64);
    Ok(())
}

fn reset(call: &mut Call) -> Result<()> {
    call.srv.slowlog().reset();
    call.w().simple(b"OK");
    Ok(())
}

fn help(call: &mut Call) -> Result<()> {
    super::write_help(
        call,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
    Ok(())
}
