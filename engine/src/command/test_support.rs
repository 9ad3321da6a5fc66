//! A tiny harness for command unit tests: runs command lines through
//! [`Engine::execute`] the way a server dispatches them (table lookup,
//! container subcommands, arity) and returns the raw RESP2 reply.

use bytes::{Bytes, BytesMut};
use resp::Protocol;

use super::{full_name, table, CommandDef, Ctx, Handler};
use crate::{Engine, Error};

/// A fixed "now" so expiry times in replies and propagation are exact.
pub const NOW: i64 = 1_700_000_000_000;

pub struct TestEngine {
    pub eng: Engine,
    pub db: usize,
    pub now: i64,
    pub proto: Protocol,
}

impl TestEngine {
    /// Names of the keys signalled ready since the last call.
    pub fn ready_keys(&mut self) -> Vec<bytes::Bytes> {
        self.eng
            .take_ready_keys()
            .into_iter()
            .map(|(_, k)| k)
            .collect()
    }

    /// 16 databases, recording propagation, clock at [`NOW`].
    pub fn new() -> Self {
        let mut eng = Engine::new(16);
        eng.set_recording(true);
        TestEngine {
            eng,
            db: 0,
            now: NOW,
            proto: Protocol::Resp2,
        }
    }

    /// Runs a command line (see [`split`]) and returns the reply as text.
    pub fn run(&mut self, line: &str) -> String {
        let args = split(line);
        String::from_utf8_lossy(&self.exec(&args)).into_owned()
    }

    /// `SET key value` with a binary value.
    pub fn set_bytes(&mut self, key: &str, value: &[u8]) {
        let args = [
            Bytes::from("SET"),
            Bytes::copy_from_slice(key.as_bytes()),
            Bytes::copy_from_slice(value),
        ];
        assert_eq!(self.exec(&args), b"+OK\r\n");
    }

    /// The binary value `GET key` replies (the body of its bulk string).
    pub fn get_bytes(&mut self, key: &str) -> Vec<u8> {
        let reply = self.exec(&[Bytes::from("GET"), Bytes::copy_from_slice(key.as_bytes())]);
        let start = reply.iter().position(|&b| b == b'\n').expect("header") + 1;
        reply[start..reply.len() - 2].to_vec()
    }

    /// Runs a command given as separate arguments and returns the raw reply.
    pub fn exec(&mut self, args: &[Bytes]) -> Vec<u8> {
        let mut out = BytesMut::new();
        let name = &args[0];
        let top = table()
            .iter()
            .find(|d| d.name.as_bytes().eq_ignore_ascii_case(name))
            .unwrap_or_else(|| panic!("unknown command {name:?}"));
        let (parent, def) = match (top.handler, args.get(1)) {
            (None, Some(sub)) => match top.subcommand(sub) {
                Some(def) => (Some(top), def),
                None => {
                    return format!(
                        "-ERR unknown subcommand '{}'. Try {} HELP.\r\n",
                        String::from_utf8_lossy(sub),
                        top.name.to_uppercase()
                    )
                    .into_bytes()
                }
            },
            _ => (None, top),
        };
        if !def.arity_ok(args.len()) {
            let err = Error::Arity(full_name(parent, def));
            return format!("-{err}\r\n").into_bytes();
        }
        self.eng
            .execute(def, &mut self.db, args, &mut out, self.proto, self.now);
        out.to_vec()
    }

    /// Runs a parked blocking command again because `key` became ready,
    /// as a server does (see [`Engine::execute_served`]).
    pub fn run_served(&mut self, line: &str, key: &str) -> String {
        let args = split(line);
        let mut out = BytesMut::new();
        let key = Bytes::copy_from_slice(key.as_bytes());
        let def = top_level(&args[0]);
        self.eng.execute_served(
            def,
            &mut self.db,
            &args,
            key,
            &mut out,
            self.proto,
            self.now,
        );
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Runs a command where it may not block, as inside MULTI.
    pub fn run_unblockable(&mut self, line: &str) -> String {
        let args = split(line);
        let mut out = BytesMut::new();
        let handler = top_level(&args[0]).handler.expect("a command");
        let writer = resp::Writer::new(&mut out, self.proto);
        let mut ctx =
            Ctx::new(&mut self.eng, &mut self.db, &args, writer, self.now).without_blocking();
        if let Err(e) = handler(&mut ctx) {
            ctx.out.error(&e.to_string());
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The writes propagated since the last call, each as `db: ARGS...`
    /// (or just `ARGS...` in database 0).
    pub fn propagated(&mut self) -> Vec<String> {
        self.eng
            .take_propagated()
            .into_iter()
            .map(|p| {
                let args: Vec<_> = p.args.iter().map(|a| String::from_utf8_lossy(a)).collect();
                let line = args.join(" ");
                if p.db == 0 {
                    line
                } else {
                    format!("{}: {line}", p.db)
                }
            })
            .collect()
    }
}

/// The table entry of a top-level command.
fn top_level(name: &[u8]) -> &'static CommandDef<Handler> {
    table()
        .iter()
        .find(|d| d.name.as_bytes().eq_ignore_ascii_case(name))
        .unwrap_or_else(|| panic!("unknown command {name:?}"))
}

/// Splits a command line on spaces; `"..."` quotes an argument that is
/// empty or holds spaces.
pub fn split(line: &str) -> Vec<Bytes> {
    let mut args = Vec::new();
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        let (arg, tail) = match rest.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').expect("closing quote");
                (&quoted[..end], &quoted[end + 1..])
            }
            None => rest.split_at(rest.find(' ').unwrap_or(rest.len())),
        };
        args.push(Bytes::copy_from_slice(arg.as_bytes()));
        rest = tail.trim_start();
    }
    args
}

/// The RESP2 text of a bulk string reply.
pub fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

/// The RESP2 text of an integer reply.
pub fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

/// The RESP2 text of an error reply.
pub fn err(text: &str) -> String {
    format!("-{text}\r\n")
}

pub const OK: &str = "+OK\r\n";
pub const NULL: &str = "$-1\r\n";
