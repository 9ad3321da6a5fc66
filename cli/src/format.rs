//! Rendering replies exactly like redis-cli 7.0: the "human" form used on a
//! terminal (`cliFormatReplyTTY`) and the raw form used when stdout is not a
//! terminal (`cliFormatReplyRaw`).

use resp::{Frame, Protocol};

/// How replies are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// `(integer) 1`, `"quoted"`, numbered arrays.
    Human,
    /// Bulk strings as they are, aggregates joined by a delimiter.
    Raw,
}

/// The human form of `frame`, ending with a newline.
pub fn human(frame: &Frame) -> Vec<u8> {
    let mut out = Vec::new();
    human_into(frame, b"", &mut out);
    out
}

/// The raw form of `frame`; elements of aggregates are separated by
/// `delim` (redis-cli's `-d`). No trailing delimiter is added.
pub fn raw(frame: &Frame, delim: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    raw_into(frame, delim, &mut out);
    out
}

/// RESP3 `invalidate` pushes (client tracking) get a one-line summary on a
/// terminal: `-> invalidate: 'k1', 'k2'`. `None` for any other frame.
pub fn invalidate_summary(frame: &Frame) -> Option<Vec<u8>> {
    let Frame::Push(items) = frame else {
        return None;
    };
    let [Frame::Bulk(kind), Frame::Array(keys)] = items.as_slice() else {
        return None;
    };
    if !kind.starts_with(b"invalidate") {
        return None;
    }
    let mut out = b"-> invalidate: ".to_vec();
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        out.push(b'\'');
        if let Frame::Bulk(k) | Frame::Simple(k) = key {
            out.extend_from_slice(k);
        }
        out.push(b'\'');
    }
    out.push(b'\n');
    Some(out)
}

/// Appends `s` quoted like hiredis's `sdscatrepr`.
pub fn quote_into(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', c]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(c),
            _ => out.extend_from_slice(format!("\\x{c:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

/// The text a RESP3 double carries on the wire (`%.17g` in Redis 7.0).
fn double_text(d: f64) -> Vec<u8> {
    let wire = Frame::Double(d).to_bytes(Protocol::Resp3);
    wire[1..wire.len() - 2].to_vec()
}

/// The entries of an aggregate frame.
enum Entries<'a> {
    List(&'a [Frame]),
    Map(&'a [(Frame, Frame)]),
}

/// An aggregate's entries, the character after its indexes (`1)`, `1~`,
/// `1#`) and what an empty one prints; `None` for scalars.
fn aggregate(frame: &Frame) -> Option<(Entries<'_>, u8, &'static str)> {
    match frame {
        Frame::Array(items) => Some((Entries::List(items), b')', "(empty array)")),
        Frame::Set(items) => Some((Entries::List(items), b'~', "(empty set)")),
        Frame::Push(items) => Some((Entries::List(items), b')', "(empty push)")),
        Frame::Map(pairs) => Some((Entries::Map(pairs), b'#', "(empty hash)")),
        _ => None,
    }
}

fn human_into(frame: &Frame, prefix: &[u8], out: &mut Vec<u8>) {
    match frame {
        Frame::Error(e) => {
            out.extend_from_slice(b"(error) ");
            out.extend_from_slice(e);
        }
        Frame::Simple(s) => out.extend_from_slice(s),
        Frame::Integer(n) => out.extend_from_slice(format!("(integer) {n}").as_bytes()),
        Frame::Double(d) => {
            out.extend_from_slice(b"(double) ");
            out.extend_from_slice(&double_text(*d));
        }
        Frame::BigNumber(n) => {
            out.extend_from_slice(b"(big number) ");
            out.extend_from_slice(n);
        }
        Frame::Bulk(b) => quote_into(b, out),
        Frame::Verbatim { text, .. } => out.extend_from_slice(text),
        Frame::Null | Frame::NullArray => out.extend_from_slice(b"(nil)"),
        Frame::Boolean(b) => out.extend_from_slice(if *b { b"(true)" } else { b"(false)" }),
        Frame::Attribute { frame, .. } => return human_into(frame, prefix, out),
        _ => return human_aggregate(frame, prefix, out),
    }
    out.push(b'\n');
}

fn human_aggregate(frame: &Frame, prefix: &[u8], out: &mut Vec<u8>) {
    // Frame is non-exhaustive; an unknown future variant prints nothing.
    let Some((entries, sep, empty)) = aggregate(frame) else {
        return;
    };
    let count = match entries {
        Entries::List(items) => items.len(),
        Entries::Map(pairs) => pairs.len(),
    };
    if count == 0 {
        out.extend_from_slice(empty.as_bytes());
        out.push(b'\n');
        return;
    }
    // Nested entries are indented by the width of the largest index plus 2.
    let width = count.to_string().len();
    let mut nested = prefix.to_vec();
    nested.resize(prefix.len() + width + 2, b' ');
    let index = |out: &mut Vec<u8>, i: usize| {
        // The first entry follows the index the parent already printed.
        if i > 0 {
            out.extend_from_slice(prefix);
        }
        out.extend_from_slice(format!("{:>width$}{} ", i + 1, sep as char).as_bytes());
    };
    match entries {
        Entries::List(items) => {
            for (i, item) in items.iter().enumerate() {
                index(out, i);
                human_into(item, &nested, out);
            }
        }
        Entries::Map(pairs) => {
            for (i, (key, value)) in pairs.iter().enumerate() {
                index(out, i);
                human_into(key, &nested, out);
                out.pop();
                out.extend_from_slice(b" => ");
                if is_multiline(value) {
                    out.push(b'\n');
                    out.extend_from_slice(&nested);
                }
                human_into(value, &nested, out);
            }
        }
    }
}

/// Whether the human form of `frame` takes more than one line
/// (`cliIsMultilineValueTTY`).
fn is_multiline(frame: &Frame) -> bool {
    match aggregate(frame) {
        Some((Entries::List(items), ..)) => match items {
            [] => false,
            [one] => is_multiline(one),
            _ => true,
        },
        Some((Entries::Map(pairs), ..)) => match pairs {
            [] => false,
            [(_, value)] => is_multiline(value),
            _ => true,
        },
        None => false,
    }
}

fn raw_into(frame: &Frame, delim: &[u8], out: &mut Vec<u8>) {
    match frame {
        Frame::Null | Frame::NullArray => {}
        Frame::Error(e) => {
            out.extend_from_slice(e);
            out.push(b'\n');
        }
        Frame::Simple(s) | Frame::Bulk(s) | Frame::BigNumber(s) => out.extend_from_slice(s),
        Frame::Verbatim { text, .. } => out.extend_from_slice(text),
        Frame::Boolean(b) => out.extend_from_slice(if *b { b"(true)" } else { b"(false)" }),
        Frame::Integer(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Frame::Double(d) => out.extend_from_slice(&double_text(*d)),
        Frame::Attribute { frame, .. } => raw_into(frame, delim, out),
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(delim);
                }
                raw_into(item, delim, out);
            }
        }
        Frame::Map(pairs) => {
            for (i, (key, value)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(delim);
                }
                raw_into(key, delim, out);
                out.push(b' ');
                raw_into(value, delim, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn bulk(s: &str) -> Frame {
        Frame::bulk(s)
    }

    fn text(out: Vec<u8>) -> String {
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn quoting_like_sdscatrepr() {
        let mut out = Vec::new();
        quote_into(b"a\"b\\\n\r\t\x07\x08\x00\x7f\xe9~ ", &mut out);
        assert_eq!(text(out), r#""a\"b\\\n\r\t\a\b\x00\x7f\xe9~ ""#);
    }

    #[test]
    fn scalars() {
        assert_eq!(text(human(&Frame::simple("OK"))), "OK\n");
        assert_eq!(text(human(&Frame::error("ERR no"))), "(error) ERR no\n");
        assert_eq!(text(human(&Frame::Integer(-3))), "(integer) -3\n");
        assert_eq!(text(human(&Frame::Null)), "(nil)\n");
        assert_eq!(text(human(&Frame::NullArray)), "(nil)\n");
        assert_eq!(text(human(&Frame::Double(1.5))), "(double) 1.5\n");
        assert_eq!(text(human(&Frame::Double(f64::INFINITY))), "(double) inf\n");
        assert_eq!(text(human(&Frame::Boolean(false))), "(false)\n");
        let big = Frame::BigNumber(Bytes::from_static(b"123456789012345678901234567890"));
        assert_eq!(
            text(human(&big)),
            "(big number) 123456789012345678901234567890\n"
        );
        assert_eq!(text(raw(&big, b"\n")), "123456789012345678901234567890");
        let verbatim = Frame::Verbatim {
            format: *b"txt",
            text: Bytes::from_static(b"two\nlines"),
        };
        assert_eq!(text(human(&verbatim)), "two\nlines\n");
        assert_eq!(text(raw(&verbatim, b"\n")), "two\nlines");
        assert_eq!(text(raw(&Frame::Null, b"\n")), "");
        assert_eq!(text(raw(&Frame::error("ERR x"), b"\n")), "ERR x\n");
        assert_eq!(text(raw(&Frame::Boolean(true), b"\n")), "(true)");
    }

    #[test]
    fn empty_aggregates() {
        assert_eq!(text(human(&Frame::Array(vec![]))), "(empty array)\n");
        assert_eq!(text(human(&Frame::Set(vec![]))), "(empty set)\n");
        assert_eq!(text(human(&Frame::Map(vec![]))), "(empty hash)\n");
        assert_eq!(text(human(&Frame::Push(vec![]))), "(empty push)\n");
    }

    #[test]
    fn indexes_are_right_aligned_and_nesting_indents() {
        let mut items: Vec<Frame> = (1..=10).map(Frame::Integer).collect();
        items[9] = Frame::Array(vec![bulk("a"), Frame::Array(vec![bulk("b"), bulk("c")])]);
        let out = text(human(&Frame::Array(items)));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], " 1) (integer) 1");
        assert_eq!(lines[8], " 9) (integer) 9");
        assert_eq!(lines[9], r#"10) 1) "a""#);
        assert_eq!(lines[10], r#"    2) 1) "b""#);
        assert_eq!(lines[11], r#"       2) "c""#);
    }

    #[test]
    fn maps_put_multiline_values_on_their_own_lines() {
        let map = Frame::Map(vec![
            (bulk("k"), bulk("v")),
            (bulk("one"), Frame::Array(vec![Frame::Integer(1)])),
            (bulk("list"), Frame::Set(vec![bulk("x"), bulk("y")])),
        ]);
        assert_eq!(
            text(human(&map)),
            "1# \"k\" => \"v\"\n\
             2# \"one\" => 1) (integer) 1\n\
             3# \"list\" => \n   1~ \"x\"\n   2~ \"y\"\n"
        );
        assert_eq!(text(raw(&map, b",")), "k v,one 1,list x,y");
    }

    #[test]
    fn attributes_are_skipped() {
        let frame = Frame::Attribute {
            attrs: vec![(bulk("ttl"), Frame::Integer(5))],
            frame: Box::new(bulk("value")),
        };
        assert_eq!(text(human(&frame)), "\"value\"\n");
        assert_eq!(text(raw(&frame, b"\n")), "value");
    }

    #[test]
    fn invalidate_pushes() {
        let push = Frame::Push(vec![
            bulk("invalidate"),
            Frame::Array(vec![bulk("a"), bulk("b")]),
        ]);
        assert_eq!(
            text(invalidate_summary(&push).unwrap()),
            "-> invalidate: 'a', 'b'\n"
        );
        let message = Frame::Push(vec![bulk("message"), bulk("ch"), bulk("hi")]);
        assert_eq!(invalidate_summary(&message), None);
    }
}
