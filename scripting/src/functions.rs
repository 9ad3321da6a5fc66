//! Function libraries (FUNCTION LOAD, FCALL): code that starts with
//! `#!lua name=<library>` and registers its functions with
//! `redis.register_function` while it loads, as Redis 7.0's Lua engine.

use std::cell::RefCell;
use std::collections::HashMap;

use bytes::Bytes;
use mlua::{Function, MultiValue, Table, Value};
use resp::Frame;

use crate::{raise_error, Error, Host, ScriptFlags, Scripting};

/// A loaded library.
pub struct Library {
    pub name: String,
    pub code: Bytes,
    /// Its functions' names, in registration order.
    pub functions: Vec<String>,
}

/// A registered function.
pub struct FunctionEntry {
    pub library: String,
    pub description: Option<String>,
    pub flags: ScriptFlags,
    func: Function,
}

/// What `FUNCTION LOAD` needs from the library's first line.
fn library_name(code: &[u8]) -> Result<String, Error> {
    let line_end = code.iter().position(|&b| b == b'\n').unwrap_or(code.len());
    let Some(line) = code[..line_end].strip_prefix(b"#!") else {
        return Err(Error::Function("Missing library metadata".into()));
    };
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split_ascii_whitespace();
    match parts.next() {
        Some(engine) if engine.eq_ignore_ascii_case("lua") => {}
        Some(engine) => return Err(Error::Function(format!("Engine '{engine}' not found"))),
        None => return Err(Error::Function("Invalid library metadata".into())),
    }
    let mut name = None;
    for part in parts {
        match part.strip_prefix("name=") {
            Some(_) if name.is_some() => {
                return Err(Error::Function(
                    "Invalid metadata value, name argument was given multiple times".into(),
                ))
            }
            Some(n) => name = Some(n.to_string()),
            None => {
                return Err(Error::Function(format!(
                    "Invalid metadata value given: {part}"
                )))
            }
        }
    }
    let name = name.ok_or_else(|| Error::Function("Library name was not given".into()))?;
    if !valid_name(&name) {
        return Err(Error::Function("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long".into()));
    }
    Ok(name)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A function being registered while its library loads.
struct Registered {
    name: String,
    description: Option<String>,
    flags: ScriptFlags,
    func: Function,
}

fn function_flags(t: &Table) -> mlua::Result<ScriptFlags> {
    let mut flags = ScriptFlags::default();
    for v in t.clone().sequence_values::<Value>() {
        let name = match v? {
            Value::String(s) => s.to_string_lossy(),
            _ => return Err(raise_error(b"unknown flag given")),
        };
        if !flags.set(&name) {
            return Err(raise_error(b"unknown flag given"));
        }
    }
    Ok(flags)
}

/// `redis.register_function(name, callback)` or its named-arguments form.
fn registration(args: MultiValue) -> mlua::Result<Registered> {
    match args.len() {
        1 => {
            let Some(Value::Table(t)) = args.front() else {
                return Err(raise_error(b"calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."));
            };
            let (mut name, mut callback, mut description, mut flags) =
                (None, None, None, ScriptFlags::default());
            for pair in t.clone().pairs::<Value, Value>() {
                let (k, v) = pair?;
                let Value::String(k) = k else {
                    return Err(raise_error(
                        b"named argument key given to redis.register_function is not a string",
                    ));
                };
                match (k.to_string_lossy().as_str(), v) {
                    ("function_name", Value::String(s)) => name = Some(s.to_string_lossy()),
                    ("function_name", _) => return Err(raise_error(b"function_name argument given to redis.register_function must be a string")),
                    ("description", Value::String(s)) => description = Some(s.to_string_lossy()),
                    ("description", _) => return Err(raise_error(b"description argument given to redis.register_function must be a string")),
                    ("callback", Value::Function(f)) => callback = Some(f),
                    ("callback", _) => return Err(raise_error(b"callback argument given to redis.register_function must be a function")),
                    ("flags", Value::Table(f)) => flags = function_flags(&f)?,
                    ("flags", _) => return Err(raise_error(b"flags argument to redis.register_function must be a table representing function flags")),
                    _ => return Err(raise_error(b"unknown argument given to redis.register_function")),
                }
            }
            let name = name.ok_or_else(|| {
                raise_error(b"redis.register_function must get a function name argument")
            })?;
            let func = callback.ok_or_else(|| {
                raise_error(b"redis.register_function must get a callback argument")
            })?;
            Ok(Registered {
                name,
                description,
                flags,
                func,
            })
        }
        2 => {
            let Some(Value::String(name)) = args.front() else {
                return Err(raise_error(
                    b"first argument to redis.register_function must be a string",
                ));
            };
            let Some(Value::Function(func)) = args.get(1) else {
                return Err(raise_error(
                    b"second argument to redis.register_function must be a function",
                ));
            };
            Ok(Registered {
                name: name.to_string_lossy(),
                description: None,
                flags: ScriptFlags::default(),
                func: func.clone(),
            })
        }
        _ => Err(raise_error(
            b"wrong number of arguments to redis.register_function",
        )),
    }
}

impl Scripting {
    /// FUNCTION LOAD \[REPLACE\]: runs the library's code, which registers its
    /// functions; answers the library's name.
    pub fn load_library(&mut self, code: &[u8], replace: bool) -> Result<String, Error> {
        let name = library_name(code)?;
        if !replace && self.libraries.contains_key(&name.to_ascii_lowercase()) {
            return Err(Error::Function(format!("Library '{name}' already exists")));
        }
        // The metadata line is skipped but its line feed kept, so line
        // numbers hold.
        let body = &code[code.iter().position(|&b| b == b'\n').unwrap_or(code.len())..];
        let chunk = self
            .compile(body, "@user_function")
            .map_err(|m| Error::Function(format!("Error compiling function: {m}")))?;
        let registered = RefCell::new(Vec::<Registered>::new());
        let ran: MultiValue = self.lua.scope(|scope| {
            self.redis.raw_set(
                "register_function",
                scope.create_function(|_, args: MultiValue| {
                    let r = registration(args)?;
                    if !valid_name(&r.name) {
                        return Err(raise_error(b"Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"));
                    }
                    let mut all = registered.borrow_mut();
                    if all.iter().any(|f| f.name == r.name) {
                        return Err(raise_error(b"Function already exists in the library"));
                    }
                    all.push(r);
                    Ok(())
                })?,
            )?;
            self.run.call((chunk, self.lua.create_table()?, self.lua.create_table()?))
        })?;
        self.redis
            .raw_set("register_function", self.register_outside.clone())?;
        let mut ran = ran.into_iter();
        if !matches!(ran.next(), Some(Value::Boolean(true))) {
            let err = ran.next().unwrap_or(Value::Nil);
            let msg = match &err {
                Value::Table(t) => t.raw_get::<String>("err").unwrap_or_default(),
                other => other.to_string().unwrap_or_default(),
            };
            return Err(Error::Function(format!(
                "Error registering functions: {msg}"
            )));
        }
        let registered = registered.into_inner();
        if registered.is_empty() {
            return Err(Error::Function("No functions registered".into()));
        }
        for f in &registered {
            if let Some(other) = self.function(&f.name) {
                if !other.library.eq_ignore_ascii_case(&name) {
                    return Err(Error::Function(format!(
                        "Function {} already exists",
                        f.name
                    )));
                }
            }
        }
        self.delete_library(&name);
        let mut library = Library {
            name: name.clone(),
            code: Bytes::copy_from_slice(code),
            functions: Vec::new(),
        };
        for f in registered {
            library.functions.push(f.name.clone());
            self.functions.insert(
                f.name.to_ascii_lowercase(),
                FunctionEntry {
                    library: name.clone(),
                    description: f.description,
                    flags: f.flags,
                    func: f.func,
                },
            );
        }
        self.libraries.insert(name.to_ascii_lowercase(), library);
        Ok(name)
    }

    /// FUNCTION FLUSH: a fresh function state.
    pub fn flush_functions(&mut self) -> Result<(), Error> {
        *self = Scripting::for_functions(self.status.clone())?;
        Ok(())
    }

    /// FUNCTION DELETE: whether the library existed.
    pub fn delete_library(&mut self, name: &str) -> bool {
        let Some(lib) = self.libraries.remove(&name.to_ascii_lowercase()) else {
            return false;
        };
        for f in lib.functions {
            self.functions.remove(&f.to_ascii_lowercase());
        }
        true
    }

    /// A function by name (names are case-insensitive, as in Redis).
    pub fn function(&self, name: &str) -> Option<&FunctionEntry> {
        self.functions.get(&name.to_ascii_lowercase())
    }

    /// The loaded libraries, by lower-case name.
    pub fn libraries(&self) -> &HashMap<String, Library> {
        &self.libraries
    }

    pub fn function_count(&self) -> usize {
        self.functions.len()
    }

    /// FCALL: runs a registered function with its KEYS and ARGV tables.
    pub fn call_function(
        &mut self,
        name: &str,
        keys: &[Bytes],
        argv: &[Bytes],
        host: &mut dyn Host,
    ) -> Frame {
        let Some(f) = self.function(name) else {
            return Frame::Error(Bytes::from_static(b"ERR Function not found"));
        };
        let func = f.func.clone();
        self.run_callable(&func, name, keys, argv, host, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_errors() {
        let e = |c: &[u8]| library_name(c).unwrap_err().to_string();
        assert_eq!(e(b"return 1"), "Missing library metadata");
        assert_eq!(e(b"#!lua\n"), "Library name was not given");
        assert_eq!(e(b"#!js name=x\n"), "Engine 'js' not found");
        assert_eq!(
            e(b"#!lua foo=bar\n"),
            "Invalid metadata value given: foo=bar"
        );
        assert_eq!(library_name(b"#!lua name=mylib\nx").unwrap(), "mylib");
    }
}
