//! What the command path records for operators after each command (the
//! slow log, the latency monitor, MONITOR), and MONITOR itself.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use engine::command::args::is;
use engine::command::flags::*;
use engine::command::{CommandDef, Group};
use engine::{Error, Result};

use super::{cmd, Call, Resolved, ServerHandler, Session};
use crate::state::monitor::Source;
use crate::state::Shared;

pub(super) fn commands() -> Vec<CommandDef<ServerHandler>> {
    let mut all = super::slowlog::commands();
    all.extend(super::latency::commands());
    all.push(
        cmd("monitor", 1, ADMIN | NOSCRIPT | LOADING | STALE, monitor).doc(
            Group::Server,
            "1.0.0",
            "Listens for all requests received by the server in real-time.",
        ),
    );
    all
}

/// After a command ran for `took`: a latency sample if it reached the
/// monitor's threshold, a slow log entry if it reached the slow log's (a
/// blocked command is logged once served), and its line to monitors.
#[inline]
pub(super) fn record(
    srv: &Arc<Shared>,
    session: &Session,
    found: Resolved,
    args: &[Bytes],
    took: Duration,
) {
    let flags = found.flags();
    let micros = took.as_micros() as u64;
    let event = if flags & FAST != 0 {
        "fast-command"
    } else {
        "command"
    };
    srv.latency().add_if_needed(event, micros / 1000);
    if session.blocked.is_none() && flags & SKIP_SLOWLOG == 0 && srv.slowlog().is_slow(micros) {
        srv.slowlog()
            .push_if_slow(&session.handle, &redacted(found, args), micros);
    }
    // Administrative commands are too dangerous to show, as in Redis.
    if flags & (SKIP_MONITOR | ADMIN) == 0 && srv.monitors().any() {
        feed_monitors(srv, session, &redacted(found, args));
    }
}

/// Shows `args`, run by `session`, to the monitors.
pub(super) fn feed_monitors(srv: &Shared, session: &Session, args: &[Bytes]) {
    if srv.monitors().any() {
        let source = if session.in_script {
            Source::Lua
        } else {
            Source::Client(session.handle.info.lock().addr)
        };
        srv.monitors().feed(session.db, source, args);
    }
}

const REDACTED: Bytes = Bytes::from_static(b"(redacted)");

/// The arguments as the slow log and MONITOR show them: passwords and
/// sensitive configuration values replaced by `(redacted)`, where Redis's
/// commands call `redactClientCommandArgument`.
fn redacted(found: Resolved, args: &[Bytes]) -> Cow<'_, [Bytes]> {
    let mut hide = Vec::new();
    match (found.parent.map(|p| p.name()), found.entry.name()) {
        (None, "auth") if args.len() <= 3 => hide.extend(1..args.len()),
        (None, "hello") => {
            let mut j = 2;
            while j < args.len() {
                let more = args.len() - 1 - j;
                if is(&args[j], "auth") && more >= 2 {
                    hide.extend([j + 1, j + 2]);
                    j += 3;
                } else if is(&args[j], "setname") && more >= 1 {
                    j += 2;
                } else {
                    break;
                }
            }
        }
        (None, "migrate") => {
            let mut j = 6;
            while j < args.len() {
                let more = args.len() - 1 - j;
                if is(&args[j], "auth") && more >= 1 {
                    hide.push(j + 1);
                    j += 2;
                } else if is(&args[j], "auth2") && more >= 2 {
                    hide.extend([j + 1, j + 2]);
                    j += 3;
                } else {
                    j += 1;
                }
            }
        }
        (Some("config"), "set") => hide.extend(
            (2..args.len())
                .step_by(2)
                .filter(|&i| i + 1 < args.len() && crate::config::Config::is_sensitive(&args[i]))
                .map(|i| i + 1),
        ),
        (Some("acl"), "setuser") => hide.extend(2..args.len()),
        _ => {}
    }
    if hide.is_empty() {
        return Cow::Borrowed(args);
    }
    let mut out = args.to_vec();
    for i in hide {
        out[i] = REDACTED;
    }
    Cow::Owned(out)
}

/// MONITOR: from now on the client is sent every command others run.
fn monitor(call: &mut Call) -> Result<()> {
    // A client inside MULTI expects one reply per command (Redis's
    // CLIENT_DENY_BLOCKING).
    if call.session.in_exec {
        return Err(Error::err("MONITOR isn't allowed for DENY BLOCKING client"));
    }
    // A replica, or a client monitoring already: ignored, as Redis does.
    if call.session.repl.is_replica || call.session.monitoring {
        return Ok(());
    }
    call.session.monitoring = true;
    call.session.handle.info.lock().monitor = true;
    call.srv.monitors().add(call.session.handle.clone());
    call.w().simple(b"OK");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(args: &[&str]) -> Vec<String> {
        let args: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.to_string())).collect();
        let found = super::super::resolve(&args).expect("known command");
        redacted(found, &args)
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    }

    #[test]
    fn secrets_are_redacted_like_redis() {
        assert_eq!(shown(&["auth", "pw"]), ["auth", "(redacted)"]);
        assert_eq!(
            shown(&["AUTH", "u", "pw"]),
            ["AUTH", "(redacted)", "(redacted)"]
        );
        assert_eq!(
            shown(&["hello", "2", "setname", "n", "auth", "u", "p"]),
            [
                "hello",
                "2",
                "setname",
                "n",
                "auth",
                "(redacted)",
                "(redacted)"
            ]
        );
        assert_eq!(
            shown(&["config", "set", "masterauth", "x", "maxmemory", "1"]),
            [
                "config",
                "set",
                "masterauth",
                "(redacted)",
                "maxmemory",
                "1"
            ]
        );
        assert_eq!(shown(&["set", "k", "v"]), ["set", "k", "v"]);
    }
}
