//! The checks a command goes through before it runs or is queued, in
//! Redis's `processCommand` order: lookup and arity, authentication,
//! memory, MISCONF, too few replicas, read-only replica, RESP2 subscribed
//! mode, stale link; and, apart, whether CLIENT PAUSE holds it. Each reads
//! the command's properties from its table row (flags), never its name.

use std::time::Duration;

use bytes::Bytes;
use engine::command::flags::*;
use engine::EvictOutcome;

use super::session::Session;
use super::{resolve, EngineLock, Resolved, Table};
use crate::state::pause::PauseMode;
use crate::state::Shared;
use crate::time::unix_ms;

// The refusals' texts, shared with the checks of a script's commands
// (`super::scripting`).
pub(super) const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
pub(super) const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";
pub(super) const NOREPLICAS: &str = "NOREPLICAS Not enough good replicas to write.";
pub(super) const READONLY: &str = "READONLY You can't write against a read only replica.";
pub(super) const MASTERDOWN: &str =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

/// Why a request was refused: Redis's error text, and whether it came from
/// the lookup itself (Redis builds those with `rejectCommandFormat`, which
/// EXEC's abort message quotes without the `ERR ` prefix).
pub struct Rejection {
    pub error: Vec<u8>,
    pub lookup: bool,
}

impl Rejection {
    fn state(error: &str) -> Rejection {
        Rejection {
            error: error.as_bytes().to_vec(),
            lookup: false,
        }
    }
}

/// The flags that decide the checks: a command's own, and for EXEC those of
/// the commands it queued too (Redis's `mstate.cmd_flags`).
pub fn effective_flags(session: &Session, found: Resolved) -> u32 {
    let own = found.flags();
    match &session.multi {
        Some(tx) if own & QUEUE_FLAGS != 0 => own | tx.flags(),
        _ => own,
    }
}

/// Every check made before a command runs or is queued.
pub fn check(
    srv: &Shared,
    session: &mut Session,
    engine: &mut EngineLock,
    args: &[Bytes],
) -> Result<Resolved, Rejection> {
    let found = lookup(session, args).map_err(|error| Rejection {
        error,
        lookup: true,
    })?;
    let own = found.flags();
    if !session.authenticated && own & NO_AUTH == 0 {
        return Err(Rejection::state("NOAUTH Authentication required."));
    }
    if let Some(busy) = wait_for_script(srv, engine, own) {
        return Err(Rejection::state(busy));
    }
    // Our master's stream is applied as it comes.
    if session.repl.is_master {
        return Ok(found);
    }
    let bits = effective_flags(session, found);
    let write = bits & WRITE != 0;
    if out_of_memory(srv, engine) {
        // Inside MULTI queueing itself takes memory: only what ends the
        // transaction passes.
        let in_multi = session.multi.is_some() && own & ENDS_MULTI == 0;
        if bits & DENYOOM != 0 || in_multi {
            return Err(Rejection::state(OOM));
        }
    }
    // PING too, so that a health check sees the failure (Redis compares
    // the command's function with `pingCommand`: no flag says it).
    let ping = found.parent.is_none() && found.entry.name() == "ping";
    if (write || ping || bits & DENYOOM != 0) && crate::persistence::writes_refused(srv) {
        return Err(Rejection::state(MISCONF));
    }
    if write && too_few_replicas(srv) {
        return Err(Rejection::state(NOREPLICAS));
    }
    if write && read_only_replica(srv) {
        return Err(Rejection::state(READONLY));
    }
    if session.subscribed() && session.proto == resp::Protocol::Resp2 && own & SUBSCRIBED_OK == 0 {
        return Err(Rejection {
            error: format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                found.full_name()
            )
            .into_bytes(),
            lookup: true,
        });
    }
    if bits & STALE == 0 && stale_refused(srv) {
        return Err(Rejection::state(MASTERDOWN));
    }
    Ok(found)
}

/// A replica whose link with its master is down and that does not serve
/// stale data (`replica-serve-stale-data no`).
pub(super) fn stale_refused(srv: &Shared) -> bool {
    let repl = srv.repl();
    repl.is_replica() && !repl.link_up() && !srv.settings().replica_serve_stale_data
}

/// A replica refusing its own clients' writes (`replica-read-only yes`).
pub(super) fn read_only_replica(srv: &Shared) -> bool {
    srv.repl().is_replica() && srv.settings().replica_read_only
}

/// A master with fewer good replicas than `min-replicas-to-write`.
pub(super) fn too_few_replicas(srv: &Shared) -> bool {
    let repl = srv.repl();
    !repl.is_replica() && repl.too_few_replicas()
}

/// Redis's BUSY refusal: while a script runs, a command waits for the
/// engine until the script has run `busy-reply-threshold`, then is refused
/// (unless it may run meanwhile, as SCRIPT KILL). Waiting with a deadline
/// keeps this thread from blocking for as long as the script runs.
fn wait_for_script(srv: &Shared, engine: &mut EngineLock, own: u32) -> Option<&'static str> {
    if own & ALLOW_BUSY != 0 || engine.is_locked() {
        return None;
    }
    let status = srv.scripts().status();
    let ran = status.running_for_ms()?;
    let left = srv.settings().busy_reply_threshold.saturating_sub(ran);
    if engine.lock_within(Duration::from_millis(left)) {
        return None;
    }
    Some(super::scripting::busy_error(status))
}

/// Finds the command, reusing the last lookup when a pipeline repeats it.
fn lookup(session: &Session, args: &[Bytes]) -> Result<Resolved, Vec<u8>> {
    match session.last_cmd {
        Some(last)
            if !Table::get().renamed
                && last.parent.is_none()
                && last.entry.name().as_bytes().eq_ignore_ascii_case(&args[0])
                && !last.entry.is_container() =>
        {
            if !last.entry.arity_ok(args.len()) {
                return Err(engine::Error::Arity(last.full_name())
                    .to_string()
                    .into_bytes());
            }
            Ok(last)
        }
        _ => resolve(args),
    }
}

/// Redis's `performEvictions` in `processCommand`: evicts first, for every
/// command, and says whether memory is still over `maxmemory`. Free (one
/// atomic load) without a `maxmemory`.
pub(super) fn out_of_memory(srv: &Shared, engine: &mut EngineLock) -> bool {
    if srv.maxmemory().maxmemory() == 0 {
        return false;
    }
    crate::eviction::perform_evictions(srv, engine.get()) == EvictOutcome::Fail
}

/// Whether CLIENT PAUSE holds this request back now, as Redis's
/// `processCommand` decides it: replicas never wait (the master link on a
/// replica does), and requests refused before the pause check (unknown
/// command, arity, NOAUTH, RESP2 subscribed context) are answered at once.
/// `Some(write)` when held, `write` saying whether it may write or
/// replicate.
pub fn held_by_pause(srv: &Shared, session: &Session, args: &[Bytes]) -> Option<bool> {
    let mode = srv.pause().mode(unix_ms());
    if mode == PauseMode::Off || session.repl.is_replica {
        return None;
    }
    let found = resolve(args).ok()?;
    let own = found.flags();
    if !session.authenticated && own & NO_AUTH == 0 {
        return None;
    }
    if session.subscribed() && session.proto == resp::Protocol::Resp2 && own & SUBSCRIBED_OK == 0 {
        return None;
    }
    let write = effective_flags(session, found) & (WRITE | MAY_REPLICATE) != 0;
    mode.holds(write).then_some(write)
}
