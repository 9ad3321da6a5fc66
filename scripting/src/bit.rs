//! The `bit` library Redis loads (LuaBitOp's API): 32-bit operations on
//! Lua numbers, with LuaBitOp's conversion (numbers wrap modulo 2^32 and
//! round to the nearest integer) and its results as signed 32-bit numbers.

use mlua::{Lua, MultiValue, Table, Value, Variadic};

/// LuaBitOp's `tobit`: adding 2^52 + 2^51 puts the integer part, rounded
/// to nearest, in the low 32 bits of the double's mantissa.
fn tobit(n: f64) -> i32 {
    (n + 6_755_399_441_055_744.0).to_bits() as u32 as i32
}

fn arg(args: &MultiValue, i: usize, name: &str) -> mlua::Result<i32> {
    match args.get(i) {
        Some(Value::Number(n)) => Ok(tobit(*n)),
        Some(Value::Integer(n)) => Ok(tobit(*n as f64)),
        Some(Value::String(s)) => s
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .map(tobit)
            .ok_or_else(|| bad_arg(i, name, "number expected, got string")),
        Some(v) => Err(bad_arg(
            i,
            name,
            &format!("number expected, got {}", v.type_name()),
        )),
        None => Err(bad_arg(i, name, "number expected, got no value")),
    }
}

fn bad_arg(i: usize, name: &str, why: &str) -> mlua::Error {
    mlua::Error::runtime(format!("bad argument #{} to '{name}' ({why})", i + 1))
}

type Unary = fn(i32) -> i32;
type Binary = fn(i32, i32) -> i32;
type Shift = fn(i32, u32) -> i32;

pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let bit = lua.create_table()?;
    let unary: [(&str, Unary); 3] = [
        ("tobit", |x| x),
        ("bnot", |x| !x),
        ("bswap", |x| x.swap_bytes()),
    ];
    for (name, f) in unary {
        bit.raw_set(
            name,
            lua.create_function(move |_, args: MultiValue| Ok(f64::from(f(arg(&args, 0, name)?))))?,
        )?;
    }
    let folds: [(&str, Binary); 3] = [
        ("band", |a, b| a & b),
        ("bor", |a, b| a | b),
        ("bxor", |a, b| a ^ b),
    ];
    for (name, f) in folds {
        bit.raw_set(
            name,
            lua.create_function(move |_, args: MultiValue| {
                let mut acc = arg(&args, 0, name)?;
                for i in 1..args.len() {
                    acc = f(acc, arg(&args, i, name)?);
                }
                Ok(f64::from(acc))
            })?,
        )?;
    }
    let shifts: [(&str, Shift); 5] = [
        ("lshift", |x, n| ((x as u32) << n) as i32),
        ("rshift", |x, n| ((x as u32) >> n) as i32),
        ("arshift", |x, n| x >> n),
        ("rol", |x, n| (x as u32).rotate_left(n) as i32),
        ("ror", |x, n| (x as u32).rotate_right(n) as i32),
    ];
    for (name, f) in shifts {
        bit.raw_set(
            name,
            lua.create_function(move |_, args: MultiValue| {
                let x = arg(&args, 0, name)?;
                let n = arg(&args, 1, name)? as u32 & 31;
                Ok(f64::from(f(x, n)))
            })?,
        )?;
    }
    bit.raw_set(
        "tohex",
        lua.create_function(|lua, args: Variadic<Value>| {
            let args: MultiValue = args.into_iter().collect();
            let x = arg(&args, 0, "tohex")?;
            let n = if args.len() > 1 {
                arg(&args, 1, "tohex")?
            } else {
                8
            };
            let (upper, n) = if n < 0 {
                (true, n.unsigned_abs())
            } else {
                (false, n as u32)
            };
            let n = n.min(8) as usize;
            let text = if upper {
                format!("{:08X}", x as u32)
            } else {
                format!("{:08x}", x as u32)
            };
            lua.create_string(&text[8 - n..])
        })?,
    )?;
    Ok(bit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_wrap_and_round() {
        assert_eq!(tobit(4294967295.0), -1);
        assert_eq!(tobit(2147483648.0), i32::MIN);
        assert_eq!(tobit(1.5), 2);
        assert_eq!(tobit(-1.0), -1);
    }
}
