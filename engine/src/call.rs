//! Running commands the way a client sends them, for a program that embeds
//! the engine: find the command, check its arity with Redis's error texts,
//! run it, and hand back the reply as a typed [`Frame`].

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use resp::{Frame, Protocol};

use crate::command::{table, CommandDef};
use crate::{Engine, Error, ExecOptions, Handler};

/// Looks a command (or a container's subcommand) up by the arguments a
/// client sent, case-insensitively.
pub fn find_command<A: AsRef<[u8]>>(args: &[A]) -> Result<&'static CommandDef<Handler>, Error> {
    let name = args.first().map(AsRef::as_ref).unwrap_or_default();
    let top = table()
        .iter()
        .find(|d| d.name.as_bytes().eq_ignore_ascii_case(name))
        .ok_or_else(|| Error::err_bytes(&[b"unknown command '", name, b"'"]))?;
    let def = match (top.subcommands.is_empty(), args.get(1)) {
        (false, Some(sub)) => top.subcommand(sub.as_ref()).ok_or_else(|| {
            let try_help = format!("'. Try {} HELP.", top.name.to_uppercase());
            Error::err_bytes(&[b"unknown subcommand '", sub.as_ref(), try_help.as_bytes()])
        })?,
        _ => top,
    };
    if !def.arity_ok(args.len()) {
        let name = match def.subcommands.is_empty() && !std::ptr::eq(def, top) {
            true => format!("{}|{}", top.name, def.name),
            false => def.name.to_string(),
        };
        return Err(Error::Arity(name));
    }
    Ok(def)
}

impl Engine {
    /// Runs one command on database `*db` (SELECT changes it) at the current
    /// time, as a client would send it, and returns the reply as RESP3
    /// decodes it. Blocking commands answer at once as they do inside
    /// MULTI. Writes are recorded for replication only if recording is on.
    ///
    /// ```
    /// use engine::Engine;
    /// use resp::Frame;
    ///
    /// let mut store = Engine::new(16);
    /// let mut db = 0;
    /// assert_eq!(store.call(&mut db, &["SET", "k", "v"]), Frame::simple("OK"));
    /// assert_eq!(store.call(&mut db, &["GET", "k"]), Frame::bulk("v"));
    /// ```
    pub fn call<A: AsRef<[u8]>>(&mut self, db: &mut usize, args: &[A]) -> Frame {
        let def = match find_command(args) {
            Ok(def) => def,
            Err(e) => return Frame::Error(Bytes::from(e.to_bytes())),
        };
        let args: Vec<Bytes> = args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_ref()))
            .collect();
        let mut out = BytesMut::new();
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let opts = ExecOptions {
            may_block: false,
            ..ExecOptions::default()
        };
        self.execute_with(def, db, &args, &mut out, Protocol::Resp3, now_ms, opts);
        resp::decode(&mut out)
            .ok()
            .flatten()
            .unwrap_or_else(|| Frame::error("ERR no reply"))
    }
}
