//! The `cjson` library Redis loads (lua-cjson 2.1's API as Redis ships
//! it): `encode`, `decode` and `null`, with lua-cjson's observable
//! behaviour — numbers as `%.14g`, `/` escaped, an empty table as `{}`,
//! tables with only positive integer keys as arrays (unless excessively
//! sparse), and its error texts.

use mlua::{LightUserData, Lua, Table, Value};

/// lua-cjson's `null`: a NULL light userdata.
fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

const MAX_DEPTH: usize = 1000;

pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let cjson = lua.create_table()?;
    cjson.raw_set(
        "encode",
        lua.create_function(|lua, v: Value| {
            let mut out = Vec::new();
            encode(&v, &mut out, 0)?;
            lua.create_string(&out)
        })?,
    )?;
    cjson.raw_set(
        "decode",
        lua.create_function(|lua, text: mlua::String| {
            let bytes = text.as_bytes();
            let mut p = Parser {
                s: &bytes,
                i: 0,
                lua,
            };
            p.skip_ws();
            let v = p.value(0)?;
            p.skip_ws();
            if p.i < p.s.len() {
                return Err(p.error("the end", p.i));
            }
            Ok(v)
        })?,
    )?;
    cjson.raw_set("null", null())?;
    Ok(cjson)
}

fn err(msg: String) -> mlua::Error {
    mlua::Error::runtime(msg)
}

/// `%.14g`, lua-cjson's default number precision.
fn number(n: f64, out: &mut Vec<u8>) -> mlua::Result<()> {
    if !n.is_finite() {
        return Err(err("Cannot serialise number: must not be NaN or Inf".into()));
    }
    crate::lua_number_text(n, out);
    Ok(())
}

fn string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b'\x0c' => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

fn encode(v: &Value, out: &mut Vec<u8>, depth: usize) -> mlua::Result<()> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => number(*n, out)?,
        Value::Integer(n) => number(*n as f64, out)?,
        Value::String(s) => string(&s.as_bytes(), out),
        Value::Table(t) => table(t, out, depth + 1)?,
        other => {
            return Err(err(format!(
                "Cannot serialise {}: type not supported",
                other.type_name()
            )))
        }
    }
    Ok(())
}

/// lua-cjson's array test: every key a positive integer; the length is the
/// largest, unless the array is excessively sparse (an error).
fn array_len(t: &Table) -> mlua::Result<Option<usize>> {
    let (mut max, mut items) = (0usize, 0usize);
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, _) = pair?;
        let n = match k {
            Value::Number(n) if n >= 1.0 && n.fract() == 0.0 => n as usize,
            Value::Integer(n) if n >= 1 => n as usize,
            _ => return Ok(None),
        };
        max = max.max(n);
        items += 1;
    }
    if max > items * 2 && max > 10 {
        return Err(err(
            "Cannot serialise table: excessively sparse array".into()
        ));
    }
    Ok(Some(max))
}

fn table(t: &Table, out: &mut Vec<u8>, depth: usize) -> mlua::Result<()> {
    if depth > MAX_DEPTH {
        return Err(err(format!(
            "Cannot serialise, excessive nesting ({depth})"
        )));
    }
    match array_len(t)? {
        Some(len) if len > 0 => {
            out.push(b'[');
            for i in 1..=len {
                if i > 1 {
                    out.push(b',');
                }
                encode(&t.raw_get::<Value>(i)?, out, depth)?;
            }
            out.push(b']');
        }
        _ => {
            out.push(b'{');
            let mut first = true;
            for pair in t.clone().pairs::<Value, Value>() {
                let (k, v) = pair?;
                if !first {
                    out.push(b',');
                }
                first = false;
                match k {
                    Value::String(s) => string(&s.as_bytes(), out),
                    Value::Number(n) => {
                        out.push(b'"');
                        number(n, out)?;
                        out.push(b'"');
                    }
                    Value::Integer(n) => {
                        out.push(b'"');
                        number(n as f64, out)?;
                        out.push(b'"');
                    }
                    other => {
                        return Err(err(format!(
                            "Cannot serialise {}: table key must be a number or string",
                            other.type_name()
                        )))
                    }
                }
                out.push(b':');
                encode(&v, out, depth)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    lua: &'a Lua,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    /// lua-cjson's "Expected X but found Y at character N".
    fn error(&self, expected: &str, at: usize) -> mlua::Error {
        let found = match self.s.get(at) {
            None => "T_END",
            Some(b'{') => "T_OBJ_BEGIN",
            Some(b'}') => "T_OBJ_END",
            Some(b'[') => "T_ARR_BEGIN",
            Some(b']') => "T_ARR_END",
            Some(b',') => "T_COMMA",
            Some(b':') => "T_COLON",
            Some(b'"') => "T_STRING",
            Some(b'-' | b'0'..=b'9') => "T_NUMBER",
            Some(b't' | b'f')
                if self.s[at..].starts_with(b"true") || self.s[at..].starts_with(b"false") =>
            {
                "T_BOOLEAN"
            }
            Some(b'n') if self.s[at..].starts_with(b"null") => "T_NULL",
            _ => "invalid token",
        };
        err(format!(
            "Expected {expected} but found {found} at character {}",
            at + 1
        ))
    }

    fn value(&mut self, depth: usize) -> mlua::Result<Value> {
        if depth >= MAX_DEPTH {
            return Err(err(format!(
                "Found too many nested data structures ({}) at character {}",
                depth + 1,
                self.i + 1
            )));
        }
        let Some(&c) = self.s.get(self.i) else {
            return Err(self.error("value", self.i));
        };
        match c {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => Ok(Value::String(self.lua.create_string(self.string()?)?)),
            b't' if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                Ok(Value::Boolean(true))
            }
            b'f' if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                Ok(Value::Boolean(false))
            }
            b'n' if self.s[self.i..].starts_with(b"null") => {
                self.i += 4;
                Ok(null())
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(self.error("value", self.i)),
        }
    }

    fn number(&mut self) -> mlua::Result<Value> {
        let start = self.i;
        while self.i < self.s.len()
            && matches!(
                self.s[self.i],
                b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
            )
        {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
        text.parse::<f64>()
            .map(Value::Number)
            .map_err(|_| self.error("value", start))
    }

    fn string(&mut self) -> mlua::Result<Vec<u8>> {
        let start = self.i;
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err(self.error("value", start));
            };
            self.i += 1;
            match c {
                b'"' => return Ok(out),
                b'\\' => {
                    let Some(&e) = self.s.get(self.i) else {
                        return Err(self.error("value", start));
                    };
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let cp = self.hex4().ok_or_else(|| self.error("value", start))?;
                            let cp = if (0xd800..0xdc00).contains(&cp)
                                && self.s.get(self.i..self.i + 2) == Some(b"\\u")
                            {
                                self.i += 2;
                                let lo = self.hex4().ok_or_else(|| self.error("value", start))?;
                                0x10000 + ((cp - 0xd800) << 10) + (lo.wrapping_sub(0xdc00) & 0x3ff)
                            } else {
                                cp
                            };
                            let ch =
                                char::from_u32(cp).ok_or_else(|| self.error("value", start))?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(self.error("value", start)),
                    }
                }
                _ => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.s.get(self.i..self.i + 4)?;
        let v = u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()?;
        self.i += 4;
        Some(v)
    }

    fn array(&mut self, depth: usize) -> mlua::Result<Value> {
        self.i += 1;
        let t = self.lua.create_table()?;
        self.skip_ws();
        if self.s.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(Value::Table(t));
        }
        for n in 1.. {
            self.skip_ws();
            t.raw_set(n, self.value(depth + 1)?)?;
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    break;
                }
                _ => return Err(self.error("comma or array end", self.i)),
            }
        }
        Ok(Value::Table(t))
    }

    fn object(&mut self, depth: usize) -> mlua::Result<Value> {
        self.i += 1;
        let t = self.lua.create_table()?;
        self.skip_ws();
        if self.s.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(Value::Table(t));
        }
        loop {
            self.skip_ws();
            if self.s.get(self.i) != Some(&b'"') {
                return Err(self.error("object key string", self.i));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.s.get(self.i) != Some(&b':') {
                return Err(self.error("colon", self.i));
            }
            self.i += 1;
            self.skip_ws();
            let v = self.value(depth + 1)?;
            t.raw_set(self.lua.create_string(&key)?, v)?;
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    break;
                }
                _ => return Err(self.error("comma or object end", self.i)),
            }
        }
        Ok(Value::Table(t))
    }
}
