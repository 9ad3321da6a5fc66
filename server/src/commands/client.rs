//! CLIENT and its subcommands.

use engine::command::args;
use engine::command::flags::*;
use engine::command::{CommandDef, Group};
use engine::{Error, Result};

use super::{Call, ServerHandler};
use crate::commands::ReplyMode;
use crate::state::clients::{Handle, Kind};
use crate::state::pause::PauseMode;
use crate::time::unix_ms;

pub(super) fn commands() -> Vec<CommandDef<ServerHandler>> {
    const F: u32 = NOSCRIPT | LOADING | STALE;
    static SUBS: &[CommandDef<ServerHandler>] = &[
        sub("id", 2, F, id, "Returns the unique client ID of the connection."),
        sub("info", 2, F, info, "Returns information about the connection."),
        sub("list", -2, ADMIN | F, list, "Lists open connections."),
        sub("kill", -3, ADMIN | F, kill, "Terminates open connections."),
        sub("setname", 3, F, setname, "Sets the connection name."),
        sub("getname", 2, F, getname, "Returns the name of the connection."),
        sub("no-evict", 3, ADMIN | F, no_evict, "Sets the client eviction mode of the connection."),
        sub("reply", 3, F, reply, "Instructs the server whether to reply to commands."),
        sub("pause", -3, ADMIN | F, pause, "Suspends commands processing."),
        sub("unpause", 2, ADMIN | F, unpause, "Resumes processing of clients that were paused."),
        sub("unblock", -3, ADMIN | F, unblock, "Unblocks a client blocked by a blocking command from a different connection."),
        sub("getredir", 2, F, getredir, "Returns the client ID to which the connection's tracking notifications are redirected."),
        sub("help", 2, LOADING | STALE, help, "Returns helpful text about the different subcommands."),
    ];
    vec![CommandDef::container("client", -2, SUBS).doc(
        Group::Connection,
        "2.4.0",
        "A container for client connection commands.",
    )]
}

const fn sub(
    name: &'static str,
    arity: i32,
    flags: u32,
    h: ServerHandler,
    summary: &'static str,
) -> CommandDef<ServerHandler> {
    CommandDef::new(name, arity, flags, h).doc(Group::Connection, "2.4.0", summary)
}

fn id(call: &mut Call) -> Result<()> {
    let id = call.session.id() as i64;
    call.w().integer(id);
    Ok(())
}

fn info(call: &mut Call) -> Result<()> {
    let line = call.session.handle.describe(Some("client|info"));
    call.w().verbatim(b"txt", format!("{line}\n").as_bytes());
    Ok(())
}

/// Parses a CLIENT LIST / KILL TYPE argument.
fn parse_kind(arg: &[u8]) -> Result<Kind> {
    let t = String::from_utf8_lossy(arg).to_lowercase();
    // Redis quotes the type as given, up to a NUL (a C string).
    let given = &arg[..arg.iter().position(|&b| b == 0).unwrap_or(arg.len())];
    match t.as_str() {
        "normal" => Ok(Kind::Normal),
        "master" => Ok(Kind::Master),
        "replica" | "slave" => Ok(Kind::Replica),
        "pubsub" => Ok(Kind::PubSub),
        _ => Err(Error::err_bytes(&[b"Unknown client type '", given, b"'"])),
    }
}

fn list(call: &mut Call) -> Result<()> {
    let mut kind = None;
    let mut ids: Option<Vec<u64>> = None;
    match call.args.len() {
        2 => {}
        4 if args::is(call.arg(2), "type") => kind = Some(parse_kind(call.arg(3))?),
        n if n >= 4 && args::is(call.arg(2), "id") => {
            let mut v = Vec::new();
            for a in &call.args[3..] {
                // Any integer is an id to look up, as in Redis (none is < 1).
                let id = args::int(a).map_err(|_| Error::err("Invalid client ID"))?;
                v.push(id as u64);
            }
            ids = Some(v);
        }
        _ => return Err(Error::Syntax),
    }
    let me = call.session.id();
    let mut text = String::new();
    for h in call.srv.clients().all() {
        if kind.is_some_and(|k| h.info.lock().kind != k)
            || ids.as_ref().is_some_and(|v| !v.contains(&h.id))
        {
            continue;
        }
        let current = (h.id == me).then_some("client|list");
        text.push_str(&h.describe(current));
        text.push('\n');
    }
    call.w().verbatim(b"txt", text.as_bytes());
    Ok(())
}

/// CLIENT KILL filters (the new form).
#[derive(Default)]
struct Filter {
    id: Option<u64>,
    addr: Option<String>,
    laddr: Option<String>,
    kind: Option<Kind>,
    user: Option<String>,
    skipme: bool,
    maxage: Option<u64>,
}

impl Filter {
    fn matches(&self, h: &Handle, me: u64) -> bool {
        let i = h.info.lock();
        !(self.skipme && h.id == me)
            && self.id.is_none_or(|id| id == h.id)
            && self.addr.as_ref().is_none_or(|a| *a == i.addr.to_string())
            && self
                .laddr
                .as_ref()
                .is_none_or(|a| *a == i.laddr.to_string())
            && self.kind.is_none_or(|k| k == i.kind)
            && self.user.as_ref().is_none_or(|u| *u == i.user)
            && self
                .maxage
                .is_none_or(|m| h.created.elapsed().as_secs() >= m)
    }
}

fn kill(call: &mut Call) -> Result<()> {
    let me = call.session.id();
    if call.args.len() == 3 {
        // Old form: CLIENT KILL addr:port.
        let addr = String::from_utf8_lossy(call.arg(2)).into_owned();
        let victim = call
            .srv
            .clients()
            .all()
            .into_iter()
            .find(|h| h.info.lock().addr.to_string() == addr);
        let victim = victim.ok_or_else(|| Error::err("No such client"))?;
        finish_kill(call, &victim, me);
        call.w().ok();
        return Ok(());
    }
    let mut f = Filter {
        skipme: true,
        ..Filter::default()
    };
    let rest = &call.args[2..];
    if !rest.len().is_multiple_of(2) {
        return Err(Error::Syntax);
    }
    for pair in rest.chunks(2) {
        let (opt, val) = (&pair[0][..], &pair[1][..]);
        let text = String::from_utf8_lossy(val).into_owned();
        if args::is(opt, "id") {
            let id = args::int(val)
                .ok()
                .filter(|&i| i > 0)
                .ok_or_else(|| Error::err("client-id should be greater than 0"))?;
            f.id = Some(id as u64);
        } else if args::is(opt, "type") {
            f.kind = Some(parse_kind(val)?);
        } else if args::is(opt, "addr") {
            f.addr = Some(text);
        } else if args::is(opt, "laddr") {
            f.laddr = Some(text);
        } else if args::is(opt, "user") {
            // Redust has only Redis's default user (no ACL yet).
            if text != "default" {
                return Err(Error::err(format!("No such user '{text}'")));
            }
            f.user = Some(text);
        } else if args::is(opt, "skipme") {
            f.skipme = match text.to_lowercase().as_str() {
                "yes" => true,
                "no" => false,
                _ => return Err(Error::Syntax),
            };
        } else if args::is(opt, "maxage") {
            f.maxage = Some(args::int(val)?.max(0) as u64);
        } else {
            return Err(Error::Syntax);
        }
    }
    let mut killed = 0;
    for h in call.srv.clients().all() {
        if f.matches(&h, me) {
            finish_kill(call, &h, me);
            killed += 1;
        }
    }
    call.w().integer(killed);
    Ok(())
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: answers a client blocked on keys as
/// if its time was up, or with an UNBLOCKED error.
fn unblock(call: &mut Call) -> Result<()> {
    let id = args::int(call.arg(2))?;
    let error = match call.args.get(3) {
        None => false,
        Some(a) if args::is(a, "timeout") => false,
        Some(a) if args::is(a, "error") => true,
        Some(_) => {
            return Err(Error::err(
                "CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ))
        }
    };
    if call.args.len() > 4 {
        return Err(Error::Syntax);
    }
    let eng = call.engine.get();
    let (blocking, counters) = (call.srv.blocking(), call.srv.counters());
    let done = u64::try_from(id).is_ok_and(|id| blocking.unblock(id, error, eng, counters));
    call.w().integer(i64::from(done));
    Ok(())
}

/// Kills another client at once; this one closes after its reply.
fn finish_kill(call: &mut Call, victim: &Handle, me: u64) {
    if victim.id == me {
        call.session.close_after_reply = true;
    } else {
        victim.kill();
    }
}

/// Validates and sets the connection name (CLIENT SETNAME, HELLO SETNAME).
pub(super) fn set_name(call: &mut Call, name: &[u8]) -> Result<()> {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(Error::err(
            "Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    call.session.handle.info.lock().name = String::from_utf8_lossy(name).into_owned();
    Ok(())
}

fn setname(call: &mut Call) -> Result<()> {
    let name = call.args[2].clone();
    set_name(call, &name)?;
    call.w().ok();
    Ok(())
}

fn getname(call: &mut Call) -> Result<()> {
    let name = call.session.handle.info.lock().name.clone();
    let mut w = call.w();
    if name.is_empty() {
        w.null();
    } else {
        w.bulk(name.as_bytes());
    }
    Ok(())
}

fn no_evict(call: &mut Call) -> Result<()> {
    let on = match String::from_utf8_lossy(call.arg(2)).to_lowercase().as_str() {
        "on" => true,
        "off" => false,
        _ => return Err(Error::Syntax),
    };
    call.session.handle.info.lock().no_evict = on;
    call.w().ok();
    Ok(())
}

fn reply(call: &mut Call) -> Result<()> {
    let mode = match String::from_utf8_lossy(call.arg(2)).to_lowercase().as_str() {
        "on" => ReplyMode::On,
        "off" => ReplyMode::Off,
        "skip" => ReplyMode::SkipNext,
        _ => return Err(Error::Syntax),
    };
    call.session.reply_mode = mode;
    // Only ON answers; OFF and SKIP are silent, as in Redis.
    if mode == ReplyMode::On {
        call.w().ok();
    }
    Ok(())
}

/// CLIENT PAUSE timeout [WRITE|ALL]: the mode is checked before the
/// timeout, as in Redis.
fn pause(call: &mut Call) -> Result<()> {
    let mode = match call.args.len() {
        3 => PauseMode::All,
        4 => match String::from_utf8_lossy(call.arg(3)).to_lowercase().as_str() {
            "write" => PauseMode::Write,
            "all" => PauseMode::All,
            _ => return Err(Error::err("CLIENT PAUSE mode must be WRITE or ALL")),
        },
        _ => {
            // Redis's addReplySubcommandSyntaxError echoes the names given.
            let arg = |i: usize| String::from_utf8_lossy(&call.args[i]).into_owned();
            return Err(Error::err(format!(
                "unknown subcommand or wrong number of arguments for '{:.128}'. Try {} HELP.",
                arg(1),
                arg(0).to_uppercase()
            )));
        }
    };
    let timeout = args::int(call.arg(2))
        .map_err(|_| Error::err("timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(Error::err("timeout is negative"));
    }
    let now = unix_ms();
    // Redis's getTimeoutFromObjectOrReply: 0 stays 0 (already over); an
    // end past i64 wraps negative, so it is over too.
    let end = match timeout {
        0 => 0,
        t => now.wrapping_add(t),
    };
    call.srv.pause().start(mode, end, now);
    call.w().ok();
    Ok(())
}

fn unpause(call: &mut Call) -> Result<()> {
    call.srv.pause().stop();
    call.w().ok();
    Ok(())
}

fn getredir(call: &mut Call) -> Result<()> {
    call.w().integer(-1);
    Ok(())
}

fn help(call: &mut Call) -> Result<()> {
    super::write_help(
        call,
        "CLIENT",
        &[
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are: ID, TYPE, USER, ADDR, LADDR, SKIPME, MAXAGE.",
            "LIST [options ...]",
            "    Return information about client connections. Options: TYPE, ID.",
            "GETNAME",
            "    Return the name of the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
        ],
    );
    Ok(())
}
