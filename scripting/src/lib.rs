//! Redis-compatible Lua scripting: an embedded Lua 5.1 set up as Redis 7.0
//! sets it up (the sandbox, read-only globals, the `redis.*` API,
//! deterministic `math.random`), the conversions between replies and Lua
//! values, and the script cache by SHA1.
//!
//! It owns no keyspace and no clients: the commands a script calls go
//! through a [`Host`], which runs them as the calling client under the
//! server's current lock, with the server's checks, and answers their
//! replies. What may run at all (shebang flags against the server's state)
//! is the host's decision too.
//!
//! ```
//! use bytes::Bytes;
//! use resp::{Frame, Protocol};
//! use scripting::{Host, Scripting};
//!
//! /// A host that answers every command with its argument count.
//! struct Count;
//! impl Host for Count {
//!     fn call(&mut self, args: Vec<Bytes>, _proto: Protocol) -> Frame {
//!         Frame::Integer(args.len() as i64)
//!     }
//! }
//!
//! let mut lua = Scripting::new()?;
//! let sha = lua.load(b"return {redis.call('set', KEYS[1], ARGV[1]), 2.9}")?;
//! let reply = lua.run(&sha, &[Bytes::from("k")], &[Bytes::from("v")], &mut Count);
//! assert_eq!(reply, Frame::Array(vec![Frame::Integer(3), Frame::Integer(2)]));
//! # Ok::<(), scripting::Error>(())
//! ```

mod bit;
mod cjson;
mod convert;
mod functions;
mod rand48;
pub mod shebang;
mod status;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use mlua::{Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, VmState};
use resp::{Frame, Protocol};
use sha1::{Digest, Sha1};

pub use functions::{FunctionEntry, Library};
pub use shebang::ScriptFlags;

// The README's examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
pub use status::{KillRefused, RunStatus};

/// The Redis version scripts see as `redis.REDIS_VERSION`.
pub const REDIS_VERSION: &str = "7.0.15";
/// The same as `redis.REDIS_VERSION_NUM` (`0x00MMmmpp`).
pub const REDIS_VERSION_NUM: u32 = 0x0007_000f;

/// How often (in Lua instructions) a running script checks for SCRIPT KILL.
const CHECK_EVERY: u32 = 100_000;

/// What a script's `redis.*` calls reach: the server.
pub trait Host {
    /// Runs a command the script called, as the calling client, and answers
    /// its reply written in `proto`. A refusal is an error reply.
    fn call(&mut self, args: Vec<Bytes>, proto: Protocol) -> Frame;

    /// `redis.log(level, ...)`: level 0 (debug) to 3 (warning).
    fn log(&mut self, _level: u8, _message: &[u8]) {}

    /// `redis.acl_check_cmd`: whether the caller may run `args`, or `None`
    /// for an unknown command. Without ACLs every command is allowed.
    fn acl_check(&mut self, _args: &[Bytes]) -> Option<bool> {
        Some(true)
    }

    /// `redis.set_repl`: which of the AOF (1) and replicas (2) the script's
    /// next writes reach.
    fn set_repl(&mut self, _targets: u8) {}
}

/// Why a script could not be loaded, with Redis's texts.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Shebang(String),
    #[error("Error compiling script (new function): {0}")]
    Compile(String),
    /// A FUNCTION LOAD refusal, Redis's text as it is.
    #[error("{0}")]
    Function(String),
    #[error("Lua state error: {0}")]
    Lua(#[from] mlua::Error),
}

/// A cached script.
pub struct Script {
    pub body: Bytes,
    pub flags: ScriptFlags,
    func: Function,
}

/// One Lua state and its script cache (Redis's `lctx`).
pub struct Scripting {
    lua: Lua,
    /// The read-only globals scripts see.
    env: Table,
    run: Function,
    /// The real `redis` table (scripts see a read-only view).
    redis: Table,
    scripts: HashMap<String, Script>,
    scripts_mem: usize,
    status: Arc<RunStatus>,
    libraries: HashMap<String, Library>,
    functions: HashMap<String, FunctionEntry>,
    /// `redis.register_function` outside FUNCTION LOAD: an error.
    register_outside: Function,
}

// SAFETY: `Lua` (without mlua's `send` feature) is `!Send` because its
// handles share reference counts without atomics. Every handle to this
// state (`run`, `prim`, the cached functions, the hook) lives inside this
// struct and never leaves it, so moving the whole struct to another thread
// moves all of them together; `&mut self` methods keep access exclusive.
unsafe impl Send for Scripting {}

/// The SHA1 of a script body in lower-case hex, as SCRIPT LOAD answers it.
pub fn sha1_hex(body: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(40);
    for b in Sha1::digest(body) {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

impl Scripting {
    pub fn new() -> Result<Scripting, Error> {
        Scripting::with_status(Arc::new(RunStatus::default()))
    }

    /// A state reporting its runs to `status` (kept across SCRIPT FLUSH).
    pub fn with_status(status: Arc<RunStatus>) -> Result<Scripting, Error> {
        let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG;
        // `debug` is unsafe in mlua's terms: the prelude keeps it only as
        // the error handler's upvalue and removes it from the globals.
        // `catch_rust_panics(false)` keeps Lua's own pcall and xpcall.
        let lua = unsafe { Lua::unsafe_new_with(libs, LuaOptions::new().catch_rust_panics(false)) };
        lua.set_app_data(RefCell::new(rand48::Rand48::default()));
        let prim = primitives(&lua)?;
        lua.globals().raw_set("bit", bit::open(&lua)?)?;
        lua.globals().raw_set("cjson", cjson::open(&lua)?)?;
        let prelude = lua
            .load(include_str!("prelude.lua"))
            .set_name("@redust_prelude");
        let (env, run, redis): (Table, Function, Table) = prelude.call((lua.globals(), prim))?;
        // Outside a run the host's functions answer Redis's error.
        for (name, what) in [
            ("call", "redis.call/pcall"),
            ("pcall", "redis.call/pcall"),
            ("setresp", "redis.setresp"),
            ("set_repl", "redis.set_repl"),
            ("acl_check_cmd", "redis.acl_check_cmd"),
            ("log", "redis.log"),
        ] {
            let msg = format!("{what} can only be called inside a script invocation");
            redis.raw_set(
                name,
                lua.create_function(move |_, ()| Err::<(), _>(raise_error(msg.as_bytes())))?,
            )?;
        }
        let register_outside = lua.create_function(|_, ()| {
            Err::<(), _>(raise_error(
                b"redis.register_function can only be called on FUNCTION LOAD command",
            ))
        })?;
        install_kill_hook(&lua, status.clone(), false);
        Ok(Scripting {
            lua,
            env,
            run,
            redis,
            scripts: HashMap::new(),
            scripts_mem: 0,
            status,
            libraries: HashMap::new(),
            functions: HashMap::new(),
            register_outside,
        })
    }

    /// A state for function libraries (FUNCTION LOAD, FCALL): scripts see
    /// `redis.register_function`, usable only while a library loads.
    pub fn for_functions(status: Arc<RunStatus>) -> Result<Scripting, Error> {
        let lua = Scripting::with_status(status)?;
        lua.redis
            .raw_set("register_function", lua.register_outside.clone())?;
        Ok(lua)
    }

    /// The status other threads read (running since when, kill requests).
    pub fn status(&self) -> &Arc<RunStatus> {
        &self.status
    }

    /// Compiles and caches `body` (SCRIPT LOAD, and EVAL of a new script);
    /// answers its SHA1. A cached script is not compiled again.
    pub fn load(&mut self, body: &[u8]) -> Result<String, Error> {
        let sha = sha1_hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, shebang_len) = shebang::parse(body)?;
        let func = self
            .compile(&body[shebang_len..], "@user_script")
            .map_err(Error::Compile)?;
        self.scripts_mem += sha.len() + body.len();
        self.scripts.insert(
            sha.clone(),
            Script {
                body: Bytes::copy_from_slice(body),
                flags,
                func,
            },
        );
        Ok(sha)
    }

    /// Compiles a script's or library's `code` as chunk `name`, with the
    /// scripts' globals; else Lua's message.
    fn compile(&self, code: &[u8], name: &str) -> Result<Function, String> {
        self.lua
            .load(code)
            .set_name(name)
            .set_environment(self.env.clone())
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => message,
                other => other.to_string(),
            })
    }

    /// A cached script by its SHA1 (any case).
    pub fn get(&self, sha: &str) -> Option<&Script> {
        if sha.bytes().any(|b| b.is_ascii_uppercase()) {
            return self.scripts.get(&sha.to_ascii_lowercase());
        }
        self.scripts.get(sha)
    }

    pub fn exists(&self, sha: &str) -> bool {
        self.get(sha).is_some()
    }

    /// SCRIPT FLUSH: forgets every script and starts a fresh Lua state, so
    /// the memory scripts held is given back.
    pub fn flush(&mut self) -> Result<(), Error> {
        *self = Scripting::with_status(self.status.clone())?;
        Ok(())
    }

    /// Number of cached scripts.
    pub fn len(&self) -> usize {
        self.scripts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scripts.is_empty()
    }

    /// Bytes the Lua allocator holds (`used_memory_lua`).
    pub fn lua_memory(&self) -> usize {
        self.lua.used_memory()
    }

    /// Bytes the cache's bodies and names hold (`used_memory_scripts_eval`).
    pub fn scripts_memory(&self) -> usize {
        self.scripts_mem
    }

    /// Runs a cached script with its KEYS and ARGV; answers its reply (an
    /// error reply for an error, with Redis's `script: <sha>, on
    /// @user_script:<line>.` suffix). The caller checked that `sha` exists.
    pub fn run(&mut self, sha: &str, keys: &[Bytes], argv: &[Bytes], host: &mut dyn Host) -> Frame {
        let Some(script) = self.get(sha) else {
            return Frame::Error(Bytes::from_static(
                b"NOSCRIPT No matching script. Please use EVAL.",
            ));
        };
        let func = script.func.clone();
        let sha = sha.to_ascii_lowercase();
        self.run_callable(&func, &sha, keys, argv, host, false)
    }

    /// Runs a script (KEYS and ARGV as globals) or a function (as its two
    /// arguments), reporting the run to the status; answers its reply, or
    /// its error reply naming `name`.
    fn run_callable(
        &self,
        func: &Function,
        name: &str,
        keys: &[Bytes],
        argv: &[Bytes],
        host: &mut dyn Host,
        as_function: bool,
    ) -> Frame {
        self.status.begin(as_function);
        let reply = self
            .run_inner(func, name, keys, argv, host, as_function)
            .unwrap_or_else(|e| Frame::Error(format!("ERR Error running script: {e}").into()));
        // A killed script left the every-line hook on. Read before `end`,
        // which clears the request.
        let killed = self.status.kill_requested();
        self.status.end();
        if killed {
            install_kill_hook(&self.lua, self.status.clone(), false);
        }
        reply
    }

    fn run_inner(
        &self,
        func: &Function,
        sha: &str,
        keys: &[Bytes],
        argv: &[Bytes],
        host: &mut dyn Host,
        as_function: bool,
    ) -> mlua::Result<Frame> {
        let lua = &self.lua;
        let keys = string_array(lua, keys)?;
        let argv = string_array(lua, argv)?;
        let resp = Cell::new(Protocol::Resp2);
        let host = RefCell::new(host);
        let call = |lua: &Lua, args: MultiValue, raise: bool| {
            let proto = resp.get();
            let args = match command_args(&args) {
                Ok(args) => args,
                Err(msg) if raise => return Err(raise_error(msg.as_bytes())),
                Err(msg) => return Ok(Value::Table(convert::error_table(lua, msg.as_bytes())?)),
            };
            let reply = host.borrow_mut().call(args, proto);
            match reply {
                Frame::Error(e) if raise => Err(raise_error(&[b"-", &e[..]].concat())),
                reply => convert::reply_to_lua(lua, &reply, proto),
            }
        };
        let result: MultiValue = lua.scope(|scope| {
            let redis = &self.redis;
            redis.raw_set(
                "call",
                scope.create_function(|lua, args: MultiValue| call(lua, args, true))?,
            )?;
            redis.raw_set(
                "pcall",
                scope.create_function(|lua, args: MultiValue| call(lua, args, false))?,
            )?;
            redis.raw_set(
                "setresp",
                scope.create_function(|_, args: MultiValue| {
                    if args.len() != 1 {
                        return Err(raise_error(b"redis.setresp() requires one argument."));
                    }
                    match number(&args[0]).map(|n| n as i64) {
                        Some(2) => resp.set(Protocol::Resp2),
                        Some(3) => resp.set(Protocol::Resp3),
                        _ => return Err(raise_error(b"RESP version must be 2 or 3.")),
                    }
                    Ok(())
                })?,
            )?;
            redis.raw_set(
                "set_repl",
                scope.create_function(|_, args: MultiValue| {
                    if args.len() != 1 {
                        return Err(raise_error(b"redis.set_repl() requires two arguments."));
                    }
                    let flags = args.front().and_then(number).unwrap_or(0.0) as i64;
                    if flags & !3 != 0 {
                        return Err(raise_error(
                            b"Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                        ));
                    }
                    host.borrow_mut().set_repl(flags as u8);
                    Ok(())
                })?,
            )?;
            redis.raw_set(
                "log",
                scope.create_function(|_, args: MultiValue| {
                    if args.len() < 2 {
                        return Err(raise_error(b"redis.log() requires two arguments or more."));
                    }
                    let Some(level) = number(&args[0]) else {
                        return Err(raise_error(b"First argument must be a number (log level)."));
                    };
                    let level = level as i64;
                    if !(0..=3).contains(&level) {
                        return Err(raise_error(b"Invalid debug level."));
                    }
                    let mut message = Vec::new();
                    for (i, v) in args.iter().skip(1).enumerate() {
                        if let Some(s) = lua_string(v) {
                            if i != 0 {
                                message.push(b' ');
                            }
                            message.extend_from_slice(&s);
                        }
                    }
                    host.borrow_mut().log(level as u8, &message);
                    Ok(())
                })?,
            )?;
            redis.raw_set(
                "acl_check_cmd",
                scope.create_function(|_, args: MultiValue| {
                    let args = command_args(&args).map_err(|m| raise_error(m.as_bytes()))?;
                    host.borrow_mut()
                        .acl_check(&args)
                        .ok_or_else(|| raise_error(b"Invalid command passed to redis.acl_check_cmd()"))
                })?,
            )?;
            self.run.call((func, keys, argv, as_function))
        })?;
        let mut values = result.into_iter();
        let ok = matches!(values.next(), Some(Value::Boolean(true)));
        let value = values.next().unwrap_or(Value::Nil);
        if ok {
            return Ok(convert::lua_to_reply(&value, resp.get()));
        }
        Ok(error_reply(&value, sha))
    }
}

/// The reply for a script that raised `err` (a table the handler built).
fn error_reply(err: &Value, sha: &str) -> Frame {
    let Value::Table(t) = err else {
        let msg = lua_string(err).unwrap_or_else(|| b"execution failure".to_vec());
        let msg = &msg[..msg.len().min(100)];
        return Frame::Error(
            format!(
                "ERR Error running script {sha}, {}",
                String::from_utf8_lossy(msg)
            )
            .into(),
        );
    };
    let get = |k: &str| t.raw_get::<Value>(k).ok().as_ref().and_then(lua_string);
    let mut msg = get("err").unwrap_or_default();
    if let (Some(source), Some(line)) = (get("source"), get("line")) {
        msg.extend_from_slice(b" script: ");
        msg.extend_from_slice(sha.as_bytes());
        msg.extend_from_slice(b", on ");
        msg.extend_from_slice(&source);
        msg.push(b':');
        msg.extend_from_slice(&line);
        msg.push(b'.');
    }
    // An error reply is one line.
    for b in msg.iter_mut() {
        if *b == b'\r' || *b == b'\n' {
            *b = b' ';
        }
    }
    Frame::Error(msg.into())
}

/// An error a primitive raises: Redis's error text, turned back into an
/// error table by the prelude's `prim.as_error`.
#[derive(Debug)]
struct RedisError(Vec<u8>);

impl std::fmt::Display for RedisError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

impl std::error::Error for RedisError {}

/// Raises `text` (`-CODE msg`, or a message that gets `ERR`) from a primitive.
pub(crate) fn raise_error(text: &[u8]) -> mlua::Error {
    mlua::Error::external(RedisError(text.to_vec()))
}

/// The error table for a raised [`RedisError`], through mlua's wrapping.
fn as_error_table(lua: &Lua, v: &Value) -> mlua::Result<Value> {
    let Value::Error(e) = v else {
        return Ok(Value::Nil);
    };
    let mut e: &mlua::Error = e;
    while let mlua::Error::CallbackError { cause, .. } = e {
        e = cause;
    }
    if let mlua::Error::RuntimeError(msg) = e {
        // A library function's error (`luaL_error` in Redis's C libraries):
        // the handler prefixes the script position, as `luaL_where` does.
        let t = convert::error_table(lua, msg.as_bytes())?;
        t.raw_set("library_error", msg.as_str())?;
        return Ok(Value::Table(t));
    }
    Ok(match e.downcast_ref::<RedisError>() {
        Some(RedisError(text)) => Value::Table(convert::error_table(lua, text)?),
        None => Value::Nil,
    })
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::Integer(n) => Some(*n as f64),
        Value::String(s) => s.to_str().ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// A value Lua's `tolstring` accepts (a string or a number).
fn lua_string(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        // Lua 5.1 numbers are doubles; mlua hands integral ones over as
        // integers.
        Value::Number(n) => Some(number_text(*n)),
        Value::Integer(n) => Some(number_text(*n as f64)),
        _ => None,
    }
}

fn number_text(n: f64) -> Vec<u8> {
    let mut text = Vec::new();
    lua_number_text(n, &mut text);
    text
}

/// Lua 5.1's number text (`LUA_NUMBER_FMT`, C's `%.14g`), which `tostring`
/// and string coercion give and lua-cjson uses too.
pub(crate) fn lua_number_text(n: f64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 64];
    // SAFETY: snprintf writes at most `buf.len()` bytes, NUL included.
    let len = unsafe { libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), c"%.14g".as_ptr(), n) };
    out.extend_from_slice(&buf[..usize::try_from(len).unwrap_or(0).min(buf.len() - 1)]);
}

/// The arguments of `redis.call`: strings, and numbers as `%.17g`; else
/// Redis's error text.
fn command_args(args: &MultiValue) -> Result<Vec<Bytes>, &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    let mut out = Vec::with_capacity(args.len());
    for v in args.iter() {
        match v {
            Value::String(s) => out.push(Bytes::copy_from_slice(&s.as_bytes())),
            Value::Number(n) => out.push(convert::number_arg(*n)),
            Value::Integer(n) => out.push(Bytes::from(n.to_string())),
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(out)
}

fn string_array(lua: &Lua, items: &[Bytes]) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, item) in items.iter().enumerate() {
        t.raw_set(i + 1, lua.create_string(item)?)?;
    }
    Ok(t)
}

/// The primitives the prelude builds the API from. Those that reach the
/// host are set per run (they borrow it); these need nothing else.
fn primitives(lua: &Lua) -> mlua::Result<Table> {
    let prim = lua.create_table()?;
    prim.raw_set("version", REDIS_VERSION)?;
    prim.raw_set("version_num", REDIS_VERSION_NUM)?;
    prim.raw_set(
        "sha1hex",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(raise_error(b"wrong number of arguments"));
            }
            let text = lua_string(&args[0]).unwrap_or_default();
            lua.create_string(sha1_hex(&text))
        })?,
    )?;
    prim.raw_set(
        "error_table",
        lua.create_function(|lua, text: mlua::String| convert::error_table(lua, &text.as_bytes()))?,
    )?;
    prim.raw_set(
        "as_error",
        lua.create_function(|lua, v: Value| as_error_table(lua, &v))?,
    )?;
    prim.raw_set(
        "rand",
        lua.create_function(|lua, ()| {
            let rng = lua.app_data_ref::<RefCell<rand48::Rand48>>();
            Ok(rng.map_or(0.0, |r| r.borrow_mut().next_unit()))
        })?,
    )?;
    prim.raw_set(
        "seed",
        lua.create_function(|lua, seed: f64| {
            if let Some(r) = lua.app_data_ref::<RefCell<rand48::Rand48>>() {
                r.borrow_mut().seed(seed as i64 as i32);
            }
            Ok(())
        })?,
    )?;
    Ok(prim)
}

/// Checks for SCRIPT KILL every [`CHECK_EVERY`] instructions; once killed,
/// on every line, so a `pcall` in the script cannot swallow the kill.
fn install_kill_hook(lua: &Lua, status: Arc<RunStatus>, every_line: bool) {
    let triggers = if every_line {
        HookTriggers::EVERY_LINE
    } else {
        HookTriggers::new().every_nth_instruction(CHECK_EVERY)
    };
    lua.set_hook(triggers, move |lua, _| {
        if !status.kill_requested() {
            return Ok(VmState::Continue);
        }
        install_kill_hook(lua, status.clone(), true);
        Err(raise_error(b"Script killed by user with SCRIPT KILL..."))
    });
}
