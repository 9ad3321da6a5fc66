//! Connection commands: PING, AUTH, HELLO, QUIT, RESET.

use engine::command::args;
use engine::command::flags::*;
use engine::command::{CommandDef, Group};
use engine::{Error, Result};
use resp::Protocol;

use super::session::ReplyMode;
use super::{cmd, Call, ServerHandler};

pub(super) fn commands() -> Vec<CommandDef<ServerHandler>> {
    let doc =
        |d: CommandDef<ServerHandler>, since, summary| d.doc(Group::Connection, since, summary);
    vec![
        doc(
            cmd("ping", -1, FAST | STALE | SUBSCRIBED_OK, ping),
            "1.0.0",
            "Returns the server's liveliness response.",
        ),
        doc(
            cmd(
                "auth",
                -2,
                NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
                auth,
            ),
            "1.0.0",
            "Authenticates the connection.",
        ),
        doc(
            cmd(
                "hello",
                -1,
                NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
                hello,
            ),
            "6.0.0",
            "Handshakes with the Redis server.",
        ),
        doc(
            cmd(
                "quit",
                -1,
                ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | TX_CONTROL,
                quit,
            ),
            "1.0.0",
            "Closes the connection.",
        ),
        doc(
            cmd(
                "reset",
                1,
                NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY | TX_CONTROL,
                reset,
            ),
            "6.2.0",
            "Resets the connection.",
        ),
    ]
}

/// Quitting or resetting ends a transaction too, and works in subscribed
/// mode.
const TX_CONTROL: u32 = NO_QUEUE | ENDS_MULTI | SUBSCRIBED_OK;

/// PING; a RESP2 client in subscribed mode gets it in the message format.
fn ping(call: &mut Call) -> Result<()> {
    if call.args.len() > 2 {
        return Err(Error::Arity("ping".into()));
    }
    let arg = call.args.get(1).cloned();
    if call.session.subscribed() && call.session.proto == Protocol::Resp2 {
        let mut w = call.w();
        w.array(2);
        w.bulk(b"pong");
        w.bulk(arg.as_deref().unwrap_or_default());
        return Ok(());
    }
    match arg {
        Some(a) => call.w().bulk(&a),
        None => call.w().simple(b"PONG"),
    }
    Ok(())
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// Checks credentials of the only user, `default`, against `requirepass`.
fn check_password(call: &Call, user: &[u8], password: &[u8]) -> bool {
    let cfg = call.srv.config().read();
    user == b"default"
        && match &cfg.settings().requirepass {
            None => true,
            Some(p) => same_secret(p.as_bytes(), password),
        }
}

/// Compares a secret in time that does not depend on where the bytes
/// differ (Redis's `time_independent_strcmp`), so response times do not
/// leak a password byte by byte.
fn same_secret(secret: &[u8], given: &[u8]) -> bool {
    let len = secret.len().max(given.len());
    let byte = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let diff = (0..len).fold(u8::from(secret.len() != given.len()), |d, i| {
        d | (byte(secret, i) ^ byte(given, i))
    });
    std::hint::black_box(diff) == 0
}

fn auth(call: &mut Call) -> Result<()> {
    let (user, password): (&[u8], &[u8]) = match call.args.len() {
        2 => {
            if call.srv.settings().requirepass.is_none() {
                return Err(Error::err("AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"));
            }
            (b"default", &call.args[1])
        }
        3 => (&call.args[1], &call.args[2]),
        _ => return Err(Error::Syntax),
    };
    if !check_password(call, user, password) {
        return Err(Error::Other(WRONGPASS.into()));
    }
    call.session.authenticated = true;
    call.w().ok();
    Ok(())
}

fn hello(call: &mut Call) -> Result<()> {
    let mut next = 1;
    let mut proto = None;
    if call.args.len() >= 2 {
        let ver = args::int(call.arg(1))
            .map_err(|_| Error::err("Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&ver) {
            return Err(Error::Other("NOPROTO unsupported protocol version".into()));
        }
        proto = Some(if ver == 2 {
            Protocol::Resp2
        } else {
            Protocol::Resp3
        });
        next = 2;
    }
    let (mut creds, mut name) = (None, None);
    let mut j = next;
    while j < call.args.len() {
        let more = call.args.len() - 1 - j;
        let opt = call.arg(j);
        if args::is(opt, "auth") && more >= 2 {
            creds = Some((call.args[j + 1].clone(), call.args[j + 2].clone()));
            j += 3;
        } else if args::is(opt, "setname") && more >= 1 {
            name = Some(call.args[j + 1].clone());
            j += 2;
        } else {
            return Err(Error::Other(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    if let Some((user, password)) = creds {
        if !check_password(call, &user, &password) {
            return Err(Error::Other(WRONGPASS.into()));
        }
        call.session.authenticated = true;
    }
    if !call.session.authenticated {
        return Err(Error::Other("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time".into()));
    }
    if let Some(name) = name {
        super::client::set_name(call, &name)?;
    }
    if let Some(p) = proto {
        call.session.proto = p;
    }
    let id = call.session.id() as i64;
    let proto_num = if call.session.proto == Protocol::Resp3 {
        3
    } else {
        2
    };
    let mut w = call.w();
    w.map(7);
    w.bulk(b"server");
    w.bulk(b"redis");
    w.bulk(b"version");
    w.bulk(crate::REDIS_VERSION.as_bytes());
    w.bulk(b"proto");
    w.integer(proto_num);
    w.bulk(b"id");
    w.integer(id);
    w.bulk(b"mode");
    w.bulk(b"standalone");
    w.bulk(b"role");
    w.bulk(b"master");
    w.bulk(b"modules");
    w.array(0);
    Ok(())
}

fn quit(call: &mut Call) -> Result<()> {
    call.w().ok();
    call.session.close_after_reply = true;
    Ok(())
}

fn reset(call: &mut Call) -> Result<()> {
    let s = &mut *call.session;
    s.db = 0;
    s.proto = Protocol::Resp2;
    s.reply_mode = ReplyMode::On;
    s.authenticated = call.srv.settings().requirepass.is_none();
    {
        let mut info = s.handle.info.lock();
        info.name.clear();
        info.no_evict = false;
        info.monitor = false;
    }
    if std::mem::take(&mut s.monitoring) {
        call.srv.monitors().remove(s.handle.id);
    }
    s.multi = None;
    call.srv.pubsub().unsubscribe_all(&mut s.subs, s.handle.id);
    super::multi::unwatch_all(call);
    call.w().simple(b"RESET");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_compare_whole() {
        use super::same_secret;
        assert!(same_secret(b"pass", b"pass"));
        assert!(same_secret(b"", b""));
        assert!(!same_secret(b"pass", b"pasS"));
        assert!(!same_secret(b"pass", b"pass\0"));
        assert!(!same_secret(b"pass", b"pas"));
        assert!(!same_secret(b"", b"x"));
    }
}
