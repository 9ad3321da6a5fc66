//! Server administration: SHUTDOWN, TIME, LASTSAVE, DEBUG.

use engine::command::args;
use engine::command::flags::*;
use engine::command::{CommandDef, Group};
use engine::{Error, Result};

use super::{cmd, Call, ServerHandler};
use crate::config::ProtectedAction;
use crate::log::log;
use crate::state::clients::is_local;

pub(super) fn commands() -> Vec<CommandDef<ServerHandler>> {
    let doc = |d: CommandDef<ServerHandler>, since, summary| d.doc(Group::Server, since, summary);
    vec![
        doc(
            cmd(
                "shutdown",
                -1,
                ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | SENTINEL | ALLOW_BUSY,
                shutdown,
            ),
            "1.0.0",
            "Synchronously saves the database(s) to disk and shuts down the Redis server.",
        ),
        doc(
            cmd("save", 1, ADMIN | NOSCRIPT | NO_MULTI, save),
            "1.0.0",
            "Synchronously saves the database(s) to disk.",
        ),
        doc(
            cmd("bgsave", -1, ADMIN | NOSCRIPT, bgsave),
            "1.0.0",
            "Asynchronously saves the database(s) to disk.",
        ),
        doc(
            cmd("time", 1, LOADING | STALE | FAST, time),
            "2.6.0",
            "Returns the server time.",
        ),
        doc(
            cmd("lastsave", 1, LOADING | STALE | FAST, lastsave),
            "1.0.0",
            "Returns the Unix timestamp of the last successful save to disk.",
        ),
        doc(
            cmd("debug", -2, ADMIN | NOSCRIPT | LOADING | STALE, debug),
            "1.0.0",
            "A container for debugging commands.",
        ),
    ]
}

fn shutdown(call: &mut Call) -> Result<()> {
    for a in &call.args[1..] {
        let ok = ["nosave", "save", "now", "force", "abort"]
            .iter()
            .any(|o| args::is(a, o));
        if !ok {
            return Err(Error::Syntax);
        }
    }
    let has = |name: &str| call.args[1..].iter().any(|a| args::is(a, name));
    if has("abort") {
        return Err(Error::err("No shutdown in progress."));
    }
    if has("save") && has("nosave") {
        return Err(Error::Syntax);
    }
    let save = if has("nosave") {
        Some(false)
    } else if has("save") {
        Some(true)
    } else {
        None
    };
    let force = has("force");
    if let Some(busy) = super::scripting::busy_shutdown(call.srv, save == Some(false)) {
        return busy;
    }
    log!(Warning, "User requested shutdown...");
    if let Err(e) = crate::shutdown_save(call.srv, call.engine.get(), save) {
        log!(Warning, "{e}");
        if !force {
            log!(Warning, "Errors trying to SHUTDOWN. Check logs.");
            return Err(Error::err("Errors trying to SHUTDOWN. Check logs."));
        }
    }
    log!(Warning, "Redust is now ready to exit, bye bye...");
    call.srv.request_shutdown();
    // Like Redis, a successful SHUTDOWN sends no reply: the connection closes.
    call.session.close_after_reply = true;
    Ok(())
}

/// SAVE and BGSAVE while a BGSAVE runs.
fn refuse_during_bgsave(call: &Call) -> Result<()> {
    let running = call
        .srv
        .persistence()
        .status
        .lock()
        .bgsave_started
        .is_some();
    if running {
        return Err(Error::err("Background save already in progress"));
    }
    Ok(())
}

fn save(call: &mut Call) -> Result<()> {
    refuse_during_bgsave(call)?;
    // Redis answers a failed SAVE with a bare "ERR"; the log has the cause.
    crate::persistence::save(call.srv, call.engine.get())
        .map_err(|_| Error::Other("ERR".into()))?;
    call.w().ok();
    Ok(())
}

fn bgsave(call: &mut Call) -> Result<()> {
    // SCHEDULE waits only for other kinds of child (AOF rewrites), which
    // Redust does not have: like Redis, a running BGSAVE refuses it too.
    match call.args.len() {
        1 => {}
        2 if args::is(call.arg(1), "schedule") => {}
        _ => return Err(Error::Syntax),
    }
    refuse_during_bgsave(call)?;
    if call.session.in_exec {
        // A snapshot now would hold half the transaction: like Redis, the
        // cron starts it once EXEC is over.
        crate::persistence::schedule_bgsave(call.srv);
        call.w().simple(b"Background saving scheduled");
        return Ok(());
    }
    crate::persistence::bgsave(call.srv, call.engine.get()).map_err(Error::err)?;
    call.w().simple(b"Background saving started");
    Ok(())
}

fn time(call: &mut Call) -> Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut w = call.w();
    w.array(2);
    w.bulk_integer(now.as_secs() as i64);
    w.bulk_integer(i64::from(now.subsec_micros()));
    Ok(())
}

fn lastsave(call: &mut Call) -> Result<()> {
    let t = call.srv.persistence().status.lock().last_save as i64;
    call.w().integer(t);
    Ok(())
}

/// `enable-debug-command`: no (Redis 7's default), local, or yes.
fn debug_allowed(call: &Call) -> bool {
    let setting = call.srv.config().read().settings().enable_debug_command;
    match setting {
        ProtectedAction::Yes => true,
        ProtectedAction::Local => is_local(call.session.handle.info.lock().addr.ip()),
        ProtectedAction::No => false,
    }
}

/// DEBUG SLEEP's time as Redis computes it: `strtod` of the argument (so
/// junk is 0), in whole microseconds as a C `long long`. What C cannot
/// convert (infinities, NaN, 2^63 µs and more) or what is negative makes
/// `nanosleep` fail at once in Redis: no sleep at all.
fn sleep_time(arg: &[u8]) -> Option<std::time::Duration> {
    // C stops reading at a NUL byte.
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    let text = std::ffi::CString::new(&arg[..end]).unwrap_or_default();
    // SAFETY: `text` is NUL-terminated and outlives the call; the end
    // pointer may be null.
    let secs = unsafe { libc::strtod(text.as_ptr(), std::ptr::null_mut()) };
    let micros = secs * 1e6;
    (micros.is_finite() && (0.0..9.2e18).contains(&micros))
        .then(|| std::time::Duration::from_micros(micros as u64))
}

fn debug(call: &mut Call) -> Result<()> {
    if !debug_allowed(call) {
        return Err(Error::err("DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."));
    }
    let sub = String::from_utf8_lossy(call.arg(1)).to_lowercase();
    let argc = call.args.len();
    let (db, now) = (call.session.db, crate::time::unix_ms());
    match (sub.as_str(), argc) {
        ("sleep", 3) => {
            // Redis sleeps its one thread: the whole server stands still.
            // Holding the engine stops every command, the cron, and the
            // replication work that waits its turn on it.
            let _busy = call.engine.get();
            if let Some(d) = sleep_time(call.arg(2)) {
                std::thread::sleep(d);
            }
            // Redis reads the clock for every command; the batch's clock
            // (see `Session::now`) must not hide the time slept from the
            // commands after this one.
            call.session.now = crate::time::unix_ms();
        }
        ("digest", 2) => {
            let digest = call.engine.get().digest();
            call.w().simple(digest.as_bytes());
            return Ok(());
        }
        ("digest-value", _) => {
            let keys = call.args[2..].to_vec();
            let digests: Vec<String> = keys
                .iter()
                .map(|k| call.engine.get().digest_value(db, k))
                .collect();
            let mut w = call.w();
            w.array(digests.len());
            digests.iter().for_each(|d| w.simple(d.as_bytes()));
            return Ok(());
        }
        ("reload", _) => reload(call)?,
        // Exercises the panic policy (crate::crash): a report, then abort.
        ("panic", _) => panic!(
            "DEBUG PANIC called at Unix time {}",
            crate::time::unix_secs()
        ),
        ("object", 3) => {
            let key = call.arg(2).to_vec();
            let line = call
                .engine
                .get()
                .debug_object(db, &key)
                .ok_or(Error::NoSuchKey)?;
            call.w().simple(line.as_bytes());
            return Ok(());
        }
        ("htstats-key", 3) => {
            let key = call.arg(2).to_vec();
            let text = call.engine.get().debug_htstats_key(db, &key, now)?;
            call.w().verbatim(b"txt", text.as_bytes());
            return Ok(());
        }
        ("listpack" | "quicklist", 3 | 4) if sub == "quicklist" || argc == 3 => {
            let key = call.arg(2).to_vec();
            let eng = call.engine.get();
            if eng.expire_if_needed(db, &key, now) || eng.db(db).get(&key).is_none() {
                return Err(Error::NoSuchKey);
            }
            let encoding = eng.db(db).get(&key).map_or("", |v| v.encoding());
            // Redis prints the structure on its standard output.
            let (wanted, reply) = match sub.as_str() {
                "listpack" => ("listpack", "Listpack structure printed on stdout"),
                _ => ("quicklist", "Quicklist structure printed on stdout"),
            };
            if encoding != wanted {
                return Err(Error::err(format!("Not a {wanted} encoded object.")));
            }
            call.w().simple(reply.as_bytes());
            return Ok(());
        }
        ("protocol", 3) => return protocol(call),
        ("set-active-expire", 3) => {
            call.engine.get().active_expire = atoi(call.arg(2)) != 0;
        }
        ("quicklist-packed-threshold", 3) => {
            // 0 restores the default; Redis refuses 4 GB less 1 MB and more.
            let size = crate::config::memtoull(&String::from_utf8_lossy(call.arg(2)));
            if size.is_none_or(|n| n > (1 << 32) - (1 << 20)) {
                return Err(Error::err(
                    "argument must be a memory value bigger than 1 and smaller than 4gb",
                ));
            }
        }
        // Settings of parts Redust does not have (or does not tune): the
        // answers only.
        ("set-skip-checksum-validation" | "aof-flush-sleep" | "pause-cron", 3)
        | ("set-disable-deny-scripts", 3)
        | ("jmap", _) => {}
        ("replybuffer", 4) => {
            let ok = args::is(call.arg(2), "peak-reset-time") || args::is(call.arg(2), "resizing");
            if !ok {
                return Err(Error::err(format!(
                    "unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
                    String::from_utf8_lossy(call.arg(1))
                )));
            }
            if args::is(call.arg(2), "peak-reset-time")
                && !args::is(call.arg(3), "never")
                && !args::is(call.arg(3), "reset")
            {
                args::int(call.arg(3))?;
            }
        }
        ("stringmatch-test", 2) => {
            call.w()
                .simple(b"Apparently Redis did not crash: test passed");
            return Ok(());
        }
        ("error", 3) => {
            let text: Vec<u8> = call
                .arg(2)
                .iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                .collect();
            call.w().error_bytes(&text);
            return Ok(());
        }
        _ => {
            return Err(Error::err(format!(
                "unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
                String::from_utf8_lossy(call.arg(1))
            )))
        }
    }
    call.w().ok();
    Ok(())
}

/// C's `atoi`: optional blanks and sign, then digits; junk is 0.
fn atoi(arg: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(arg);
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| {
            n.wrapping_mul(10).wrapping_add(i64::from(d - b'0'))
        });
    if neg {
        -n
    } else {
        n
    }
}

/// DEBUG PROTOCOL <type>: one reply of each RESP type, as Redis sends them.
fn protocol(call: &mut Call) -> Result<()> {
    let name = String::from_utf8_lossy(call.arg(2)).to_lowercase();
    let resp3 = call.session.proto == resp::Protocol::Resp3;
    let mut w = call.w();
    match name.as_str() {
        "string" => w.bulk(b"Hello World"),
        "integer" => w.integer(12345),
        // Redis's own approximation, not PI.
        #[allow(clippy::approx_constant)]
        "double" => w.double(3.141),
        "bignum" => w.big_number(b"1234567999999999999999999999999999999"),
        "null" => w.null(),
        "array" | "set" => {
            if name == "set" {
                w.set(3)
            } else {
                w.array(3)
            }
            (0..3).for_each(|j| w.integer(j));
        }
        "map" => {
            w.map(3);
            for j in 0..3 {
                w.integer(j);
                w.boolean(j == 1);
            }
        }
        "attrib" => {
            if resp3 {
                w.raw(b"|1\r\n");
                w.bulk(b"key-popularity");
                w.array(2);
                w.bulk(b"key:123");
                w.integer(90);
            }
            w.bulk(b"Some real reply following the attribute");
        }
        "push" => {
            if !resp3 {
                return Err(Error::err("RESP2 is not supported by this command"));
            }
            w.push(2);
            w.bulk(b"server-cpu-usage");
            w.integer(42);
            w.bulk(b"Some real reply following the push reply");
        }
        "true" => w.boolean(true),
        "false" => w.boolean(false),
        "verbatim" => w.verbatim(b"txt", b"This is a verbatim\nstring"),
        _ => {
            return Err(Error::err(
                "Wrong protocol type name. Please use one of the following: \
                 string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
            ))
        }
    }
    Ok(())
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty, load back.
fn reload(call: &mut Call) -> Result<()> {
    let opts: Vec<String> = call.args[2..]
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_lowercase())
        .collect();
    if opts
        .iter()
        .any(|o| !matches!(o.as_str(), "merge" | "noflush" | "nosave"))
    {
        return Err(Error::err(
            "DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
        ));
    }
    let has = |o: &str| opts.iter().any(|x| x == o);
    let eng = call.engine.get();
    if !has("nosave") {
        crate::persistence::save(call.srv, eng).map_err(|_| Error::Other("ERR".into()))?;
    }
    crate::persistence::reload(call.srv, eng, !has("noflush"), has("merge"))
        .map_err(|e| Error::err(format!("Error trying to load the RDB dump: {e}")))?;
    log!(Notice, "DB reloaded by DEBUG RELOAD");
    Ok(())
}
