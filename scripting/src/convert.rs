//! Redis 7.0's conversions between replies and Lua values, both ways
//! (`redisProtocolToLuaType_*` and `luaReplyToRedisReply`).

use bytes::Bytes;
use mlua::{Lua, Table, Value};
use resp::{Frame, Protocol};

/// An error as `luaPushErrorBuff` builds it: `{err = "CODE message"}`.
/// A `-CODE message` text keeps its code; text without a leading `-`
/// gets `ERR`; trailing CR/LF are trimmed.
pub fn error_table(lua: &Lua, text: &[u8]) -> mlua::Result<Table> {
    let (code, msg): (&[u8], &[u8]) = match text.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|&b| b == b' ') {
            Some(sp) => (&rest[..sp], &rest[sp + 1..]),
            None => (b"ERR", rest),
        },
        None => (b"ERR", text),
    };
    let end = msg
        .iter()
        .rposition(|&b| b != b'\r' && b != b'\n')
        .map_or(0, |i| i + 1);
    let start = msg[..end]
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(end);
    let mut full = Vec::with_capacity(code.len() + 1 + end - start);
    full.extend_from_slice(code);
    full.push(b' ');
    full.extend_from_slice(&msg[start..end]);
    let t = lua.create_table_with_capacity(0, 2)?;
    t.raw_set("err", lua.create_string(&full)?)?;
    Ok(t)
}

/// A command's reply as the script sees it. `proto` is the protocol the
/// reply was written in: a RESP2 null bulk is `false`, a RESP3 null `nil`.
pub fn reply_to_lua(lua: &Lua, frame: &Frame, proto: Protocol) -> mlua::Result<Value> {
    let single = |key: &str, v: Value| -> mlua::Result<Value> {
        let t = lua.create_table_with_capacity(0, 1)?;
        t.raw_set(key, v)?;
        Ok(Value::Table(t))
    };
    Ok(match frame {
        Frame::Integer(n) => Value::Number(*n as f64),
        Frame::Bulk(b) => Value::String(lua.create_string(b)?),
        Frame::Simple(s) => single("ok", Value::String(lua.create_string(s)?))?,
        Frame::Error(e) => {
            let t = error_table(lua, &[b"-", &e[..]].concat())?;
            // The error was counted when the command failed.
            t.raw_set("ignore_error_stats_update", true)?;
            Value::Table(t)
        }
        Frame::Null if proto == Protocol::Resp3 => Value::Nil,
        Frame::Null | Frame::NullArray => Value::Boolean(false),
        Frame::Array(items) | Frame::Push(items) => {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.iter().enumerate() {
                t.raw_set(i + 1, reply_to_lua(lua, item, proto)?)?;
            }
            Value::Table(t)
        }
        Frame::Map(pairs) => {
            let t = lua.create_table_with_capacity(0, pairs.len())?;
            for (k, v) in pairs {
                t.raw_set(reply_to_lua(lua, k, proto)?, reply_to_lua(lua, v, proto)?)?;
            }
            single("map", Value::Table(t))?
        }
        Frame::Set(items) => {
            let t = lua.create_table_with_capacity(0, items.len())?;
            for item in items {
                t.raw_set(reply_to_lua(lua, item, proto)?, true)?;
            }
            single("set", Value::Table(t))?
        }
        Frame::Boolean(b) => Value::Boolean(*b),
        Frame::Double(d) => single("double", Value::Number(*d))?,
        Frame::BigNumber(n) => single("big_number", Value::String(lua.create_string(n)?))?,
        Frame::Verbatim { format, text } => {
            let t = lua.create_table_with_capacity(0, 2)?;
            t.raw_set("string", lua.create_string(text)?)?;
            t.raw_set("format", lua.create_string(format)?)?;
            single("verbatim_string", Value::Table(t))?
        }
        // Attributes are not shown to scripts, only the reply they annotate.
        Frame::Attribute { frame, .. } => reply_to_lua(lua, frame, proto)?,
        _ => Value::Nil,
    })
}

/// A script's return value as a reply. `proto` is the script's protocol
/// (`redis.setresp`): it decides what a boolean becomes.
pub fn lua_to_reply(value: &Value, proto: Protocol) -> Frame {
    lua_to_reply_depth(value, proto, 0)
}

/// Deeper nesting than Lua's own stack would allow in Redis answers
/// "reached lua stack limit" there; here it stops the recursion.
const MAX_DEPTH: usize = 1000;

fn lua_to_reply_depth(value: &Value, proto: Protocol, depth: usize) -> Frame {
    if depth > MAX_DEPTH {
        return Frame::Error(Bytes::from_static(b"ERR reached lua stack limit"));
    }
    match value {
        Value::String(s) => Frame::Bulk(Bytes::copy_from_slice(&s.as_bytes())),
        Value::Boolean(b) if proto == Protocol::Resp3 => Frame::Boolean(*b),
        Value::Boolean(true) => Frame::Integer(1),
        Value::Boolean(false) => Frame::Null,
        Value::Integer(n) => Frame::Integer(*n),
        Value::Number(n) => Frame::Integer(*n as i64),
        Value::Table(t) => table_to_reply(t, proto, depth),
        _ => Frame::Null,
    }
}

fn table_to_reply(t: &Table, proto: Protocol, depth: usize) -> Frame {
    let field = |name: &str| t.raw_get::<Value>(name).unwrap_or(Value::Nil);
    if let Value::String(e) = field("err") {
        return Frame::Error(Bytes::copy_from_slice(&e.as_bytes()));
    }
    if let Value::String(s) = field("ok") {
        return Frame::Simple(no_newlines(&s.as_bytes()));
    }
    if let Value::Number(d) = field("double") {
        return Frame::Double(d);
    }
    if let Value::Integer(d) = field("double") {
        return Frame::Double(d as f64);
    }
    if let Value::String(n) = field("big_number") {
        return Frame::BigNumber(no_newlines(&n.as_bytes()));
    }
    if let Value::Table(v) = field("verbatim_string") {
        let format = v.raw_get::<Value>("format").unwrap_or(Value::Nil);
        let text = v.raw_get::<Value>("string").unwrap_or(Value::Nil);
        if let (Value::String(f), Value::String(s)) = (format, text) {
            let mut format = [b' '; 3];
            for (d, s) in format.iter_mut().zip(f.as_bytes().iter()) {
                *d = *s;
            }
            return Frame::Verbatim {
                format,
                text: Bytes::copy_from_slice(&s.as_bytes()),
            };
        }
    }
    if let Value::Table(m) = field("map") {
        let pairs = m
            .pairs::<Value, Value>()
            .filter_map(|p| p.ok())
            .map(|(k, v)| {
                (
                    lua_to_reply_depth(&k, proto, depth + 1),
                    lua_to_reply_depth(&v, proto, depth + 1),
                )
            })
            .collect();
        return Frame::Map(pairs);
    }
    if let Value::Table(s) = field("set") {
        let items = s
            .pairs::<Value, Value>()
            .filter_map(|p| p.ok())
            .map(|(k, _)| lua_to_reply_depth(&k, proto, depth + 1))
            .collect();
        return Frame::Set(items);
    }
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(lua_to_reply_depth(&v, proto, depth + 1)),
        }
    }
    Frame::Array(items)
}

/// Status and big number replies cannot hold CR or LF: Redis maps them to spaces.
fn no_newlines(s: &[u8]) -> Bytes {
    s.iter()
        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect::<Vec<u8>>()
        .into()
}

/// A number as a command argument: C's `%.17g` (Lua's own `%.14g` would
/// lose precision), as [`resp::format_double`] writes it; a NaN with its
/// sign bit set (Lua's `0/0`) is printf's `-nan`.
pub fn number_arg(n: f64) -> Bytes {
    let mut text = Vec::with_capacity(24);
    if n.is_nan() && n.is_sign_negative() {
        text.push(b'-');
    }
    resp::format_double(n, &mut text);
    text.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_arguments() {
        assert_eq!(number_arg(3.0), "3");
        assert_eq!(number_arg(0.1), "0.10000000000000001");
        assert_eq!(number_arg(-1e300), "-1.0000000000000001e+300");
        assert_eq!(number_arg(f64::NAN), "nan");
        assert_eq!(number_arg(-f64::NAN), "-nan");
        assert_eq!(number_arg(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn error_tables() {
        let lua = Lua::new();
        let text = |t: Table| t.get::<String>("err").unwrap();
        assert_eq!(
            text(error_table(&lua, b"-WRONGTYPE bad\r\n").unwrap()),
            "WRONGTYPE bad"
        );
        assert_eq!(text(error_table(&lua, b"-NOCODE").unwrap()), "ERR NOCODE");
        assert_eq!(
            text(error_table(&lua, b"plain words").unwrap()),
            "ERR plain words"
        );
    }

    #[test]
    fn replies_round_trip() {
        let lua = Lua::new();
        let frame = Frame::Array(vec![
            Frame::Integer(7),
            Frame::Bulk("x".into()),
            Frame::Null,
            Frame::Simple("OK".into()),
        ]);
        let v = reply_to_lua(&lua, &frame, Protocol::Resp2).unwrap();
        // The null bulk became `false`, which ends nothing but converts to a null.
        assert_eq!(lua_to_reply(&v, Protocol::Resp2), frame);
        assert_eq!(
            lua_to_reply(&Value::Number(3.99), Protocol::Resp2),
            Frame::Integer(3)
        );
        assert_eq!(
            lua_to_reply(&Value::Boolean(true), Protocol::Resp2),
            Frame::Integer(1)
        );
        assert_eq!(
            lua_to_reply(&Value::Boolean(false), Protocol::Resp3),
            Frame::Boolean(false)
        );
    }
}
