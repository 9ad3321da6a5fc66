//! Replies as a test sees them: a typed RESP2/RESP3 value that encodes back
//! to the bytes it was parsed from, so a test can compare exact wire bytes,
//! element-order-insensitive forms ([`Reply::sorted`]) or only the type
//! structure ([`Reply::shape`]).
//!
//! Deliberately independent of the `resp` crate: the crate under test must
//! not also be the judge (a decoder bug would hide on both sides).

use std::fmt::Write as _;

/// One reply. Aggregates keep their elements in wire order; a map's (and an
/// attribute's) keys and values alternate.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+text`
    Simple(String),
    /// `-CODE message`
    Error(String),
    /// `:n`
    Integer(i64),
    /// `$n` payload, or `$-1`.
    Bulk(Option<Vec<u8>>),
    /// `*n` elements, or `*-1`.
    Array(Option<Vec<Reply>>),
    /// RESP3 `_`.
    Null,
    /// RESP3 `,` as sent (`1.5`, `inf`, `nan`...), so it re-encodes exactly.
    Double(String),
    /// RESP3 `#t` / `#f`.
    Boolean(bool),
    /// RESP3 `(` digits as sent.
    BigNumber(String),
    /// RESP3 `!n` payload.
    BlobError(Vec<u8>),
    /// RESP3 `=n` payload: a three-letter format and the text.
    Verbatim { format: String, text: Vec<u8> },
    /// RESP3 `%n`: keys and values alternate.
    Map(Vec<Reply>),
    /// RESP3 `~n`.
    Set(Vec<Reply>),
    /// RESP3 `>n`.
    Push(Vec<Reply>),
    /// RESP3 `|n`: the attribute's keys and values alternate; then the reply
    /// it annotates.
    Attribute {
        attributes: Vec<Reply>,
        reply: Box<Reply>,
    },
}

/// Bytes that are not a RESP reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(String);

/// Parses the reply at the start of `buf`: `Ok(None)` while it is
/// incomplete, otherwise the reply and the number of bytes it spans.
pub fn parse(buf: &[u8]) -> Result<Option<(Reply, usize)>, ParseError> {
    let Some(line_end) = buf.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    if line_end == 0 {
        return Err(ParseError("empty reply line".into()));
    }
    let used = line_end + 2;
    let line = &buf[1..line_end];
    let text = || String::from_utf8_lossy(line).into_owned();
    let reply = match buf[0] {
        b'+' => Reply::Simple(text()),
        b'-' => Reply::Error(text()),
        b':' => Reply::Integer(number(line)?),
        b'_' => Reply::Null,
        b',' => Reply::Double(text()),
        b'(' => Reply::BigNumber(text()),
        b'#' => match line {
            b"t" => Reply::Boolean(true),
            b"f" => Reply::Boolean(false),
            _ => return Err(ParseError(format!("bad boolean {}", escape(line)))),
        },
        b'$' | b'!' | b'=' => {
            let len = number(line)?;
            if len == -1 && buf[0] == b'$' {
                return Ok(Some((Reply::Bulk(None), used)));
            }
            let len = usize::try_from(len)
                .map_err(|_| ParseError(format!("bad length {}", escape(line))))?;
            let end = used + len + 2;
            if buf.len() < end {
                return Ok(None);
            }
            if &buf[end - 2..end] != b"\r\n" {
                return Err(ParseError(format!(
                    "bulk not followed by CRLF: {}",
                    escape(&buf[..end])
                )));
            }
            let payload = buf[used..end - 2].to_vec();
            let reply = match buf[0] {
                b'$' => Reply::Bulk(Some(payload)),
                b'!' => Reply::BlobError(payload),
                _ => match payload.get(3) {
                    Some(b':') => Reply::Verbatim {
                        format: String::from_utf8_lossy(&payload[..3]).into_owned(),
                        text: payload[4..].to_vec(),
                    },
                    _ => return Err(ParseError(format!("bad verbatim {}", escape(&payload)))),
                },
            };
            return Ok(Some((reply, end)));
        }
        kind @ (b'*' | b'~' | b'>' | b'%' | b'|') => {
            let count = number(line)?;
            if count == -1 && kind == b'*' {
                return Ok(Some((Reply::Array(None), used)));
            }
            let count = usize::try_from(count)
                .map_err(|_| ParseError(format!("bad length {}", escape(line))))?;
            let count = match kind {
                b'%' => count * 2,
                b'|' => count * 2 + 1,
                _ => count,
            };
            let mut items = Vec::with_capacity(count.min(1024));
            let mut at = used;
            for _ in 0..count {
                let Some((item, len)) = parse(&buf[at..])? else {
                    return Ok(None);
                };
                items.push(item);
                at += len;
            }
            let reply = match kind {
                b'*' => Reply::Array(Some(items)),
                b'~' => Reply::Set(items),
                b'>' => Reply::Push(items),
                b'%' => Reply::Map(items),
                _ => {
                    let reply = Box::new(items.pop().expect("an annotated reply"));
                    Reply::Attribute {
                        attributes: items,
                        reply,
                    }
                }
            };
            return Ok(Some((reply, at)));
        }
        other => {
            return Err(ParseError(format!(
                "unknown reply type byte {:?}",
                other as char
            )))
        }
    };
    Ok(Some((reply, used)))
}

fn number(text: &[u8]) -> Result<i64, ParseError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| ParseError(format!("bad number {}", escape(text))))
}

impl Reply {
    /// The reply at the start of `raw`, which must be complete.
    pub fn from_bytes(raw: &[u8]) -> Result<Reply, ParseError> {
        match parse(raw)? {
            Some((reply, _)) => Ok(reply),
            None => Err(ParseError(format!("incomplete reply {}", escape(raw)))),
        }
    }

    /// The reply's wire form (exactly what was parsed, for anything a
    /// server sends; simple strings and errors are kept as UTF-8 text).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out, false);
        out
    }

    /// The wire form with every aggregate's elements sorted (by their own
    /// sorted wire form), so replies differing only in order compare equal.
    pub fn sorted(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out, true);
        out
    }

    fn encode_into(&self, out: &mut Vec<u8>, sort: bool) {
        let line = |out: &mut Vec<u8>, kind: char, text: &str| {
            out.extend_from_slice(format!("{kind}{text}\r\n").as_bytes());
        };
        let blob = |out: &mut Vec<u8>, kind: char, parts: &[&[u8]]| {
            let len: usize = parts.iter().map(|p| p.len()).sum();
            line(out, kind, &len.to_string());
            parts.iter().for_each(|p| out.extend_from_slice(p));
            out.extend_from_slice(b"\r\n");
        };
        if let Some((kind, items)) = self.aggregate() {
            let count = match kind {
                '%' => items.len() / 2,
                '|' => (items.len() - 1) / 2,
                _ => items.len(),
            };
            line(out, kind, &count.to_string());
            let mut encoded: Vec<Vec<u8>> = items
                .iter()
                .map(|item| {
                    let mut bytes = Vec::new();
                    item.encode_into(&mut bytes, sort);
                    bytes
                })
                .collect();
            if sort {
                encoded.sort();
            }
            encoded.iter().for_each(|e| out.extend_from_slice(e));
            return;
        }
        match self {
            Reply::Simple(s) => line(out, '+', s),
            Reply::Error(s) => line(out, '-', s),
            Reply::Integer(n) => line(out, ':', &n.to_string()),
            Reply::Bulk(None) => line(out, '$', "-1"),
            Reply::Bulk(Some(b)) => blob(out, '$', &[b]),
            Reply::Array(None) => line(out, '*', "-1"),
            Reply::Null => line(out, '_', ""),
            Reply::Double(s) => line(out, ',', s),
            Reply::Boolean(b) => line(out, '#', if *b { "t" } else { "f" }),
            Reply::BigNumber(s) => line(out, '(', s),
            Reply::BlobError(b) => blob(out, '!', &[b]),
            Reply::Verbatim { format, text } => {
                blob(out, '=', &[format.as_bytes(), b":", text]);
            }
            Reply::Array(Some(_))
            | Reply::Map(_)
            | Reply::Set(_)
            | Reply::Push(_)
            | Reply::Attribute { .. } => unreachable!("aggregates are encoded above"),
        }
    }

    /// An aggregate's type byte and elements in wire order (an attribute's
    /// annotated reply last); `None` for anything else.
    fn aggregate(&self) -> Option<(char, Vec<&Reply>)> {
        Some(match self {
            Reply::Array(Some(items)) => ('*', items.iter().collect()),
            Reply::Map(items) => ('%', items.iter().collect()),
            Reply::Set(items) => ('~', items.iter().collect()),
            Reply::Push(items) => ('>', items.iter().collect()),
            Reply::Attribute { attributes, reply } => {
                ('|', attributes.iter().chain([&**reply]).collect())
            }
            _ => return None,
        })
    }

    /// The reply's type structure without its contents: type bytes, null
    /// markers and aggregate sizes, e.g. `*[$,:,$-1]`.
    pub fn shape(&self) -> String {
        if let Some((kind, items)) = self.aggregate() {
            let inner: Vec<String> = items.iter().map(|item| item.shape()).collect();
            return format!("{kind}[{}]", inner.join(","));
        }
        match self {
            Reply::Bulk(None) => "$-1".into(),
            Reply::Array(None) => "*-1".into(),
            other => (other.encode()[0] as char).to_string(),
        }
    }

    /// The payload of a (non-null) bulk string.
    pub fn bulk(&self) -> Option<&[u8]> {
        match self {
            Reply::Bulk(Some(b)) => Some(b),
            _ => None,
        }
    }

    /// The value of an integer reply.
    pub fn integer(&self) -> Option<i64> {
        match self {
            Reply::Integer(n) => Some(*n),
            _ => None,
        }
    }

    /// A simple string, bulk string or verbatim string as (lossy) text.
    pub fn text(&self) -> Option<String> {
        match self {
            Reply::Simple(s) => Some(s.clone()),
            Reply::Bulk(Some(b)) | Reply::Verbatim { text: b, .. } => {
                Some(String::from_utf8_lossy(b).into_owned())
            }
            _ => None,
        }
    }

    /// The message of an error reply (simple or blob).
    pub fn error(&self) -> Option<String> {
        match self {
            Reply::Error(s) => Some(s.clone()),
            Reply::BlobError(b) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => None,
        }
    }

    /// The elements of an array, set, push or map (keys and values
    /// alternating).
    pub fn items(&self) -> Option<&[Reply]> {
        match self {
            Reply::Array(Some(items)) | Reply::Map(items) | Reply::Set(items) => Some(items),
            Reply::Push(items) => Some(items),
            _ => None,
        }
    }

    /// [`Reply::bulk`], panicking with the reply when it is something else.
    #[track_caller]
    pub fn expect_bulk(&self) -> &[u8] {
        self.bulk()
            .unwrap_or_else(|| panic!("expected a bulk string, got {self:?}"))
    }

    /// [`Reply::integer`], panicking with the reply when it is something else.
    #[track_caller]
    pub fn expect_int(&self) -> i64 {
        self.integer()
            .unwrap_or_else(|| panic!("expected an integer, got {self:?}"))
    }

    /// [`Reply::text`], panicking with the reply when it is something else.
    #[track_caller]
    pub fn expect_text(&self) -> String {
        self.text()
            .unwrap_or_else(|| panic!("expected a string, got {self:?}"))
    }

    /// [`Reply::items`], panicking with the reply when it is something else.
    #[track_caller]
    pub fn expect_items(&self) -> &[Reply] {
        self.items()
            .unwrap_or_else(|| panic!("expected an aggregate, got {self:?}"))
    }
}

/// Printable form of raw bytes, in redis-cli's quoting, cut after 400 bytes.
pub fn escape(bytes: &[u8]) -> String {
    const MAX_SHOWN: usize = 400;
    let mut out = String::new();
    for &b in bytes.iter().take(MAX_SHOWN) {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b' '..=b'~' => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    if bytes.len() > MAX_SHOWN {
        let _ = write!(out, "... ({} bytes)", bytes.len());
    }
    format!("\"{out}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(bytes: &[u8]) -> Reply {
        let (reply, used) = parse(bytes).unwrap().unwrap();
        assert_eq!(used, bytes.len(), "{}", escape(bytes));
        reply
    }

    #[test]
    fn finds_reply_ends() {
        assert_eq!(parse(b"+OK\r\nrest").unwrap().unwrap().1, 5);
        assert_eq!(parse(b"$3\r\na\r\n\r\n").unwrap().unwrap().1, 9);
        assert_eq!(parse(b"*2\r\n:1\r\n$-1\r\nx").unwrap().unwrap().1, 13);
        assert_eq!(parse(b"%1\r\n+a\r\n:1\r\n").unwrap().unwrap().1, 12);
        assert!(parse(b"?\r\n").is_err());
        assert!(parse(b"\r\n").is_err());
        assert!(parse(b"$2\r\nabc\r\n").is_err());
    }

    #[test]
    fn every_proper_prefix_is_incomplete() {
        let input = b"*3\r\n$3\r\nabc\r\n:7\r\n%1\r\n=7\r\ntxt:a\r\n\r\n~1\r\n_\r\n";
        for cut in 0..input.len() {
            assert_eq!(parse(&input[..cut]).unwrap(), None, "cut at {cut}");
        }
        assert!(parse(input).unwrap().is_some());
    }

    #[test]
    fn encodes_back_to_the_same_bytes() {
        let all: &[&[u8]] = &[
            b"+OK\r\n",
            b"-ERR no\r\n",
            b":-7\r\n",
            b"$-1\r\n",
            b"$0\r\n\r\n",
            b"$4\r\na\r\nb\r\n",
            b"*-1\r\n",
            b"*0\r\n",
            b"_\r\n",
            b",1.5\r\n",
            b",-inf\r\n",
            b"#t\r\n",
            b"(12345678901234567890\r\n",
            b"!3\r\nERR\r\n",
            b"=8\r\ntxt:a\r\nb\r\n",
            b"%1\r\n+a\r\n*2\r\n:1\r\n$-1\r\n",
            b"~2\r\n:1\r\n:2\r\n",
            b">2\r\n$7\r\nmessage\r\n_\r\n",
            b"|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n",
        ];
        for bytes in all {
            assert_eq!(one(bytes).encode(), *bytes, "{}", escape(bytes));
        }
    }

    #[test]
    fn sorts_and_shapes() {
        let a = one(b"*2\r\n$1\r\nb\r\n$1\r\na\r\n");
        let b = one(b"*2\r\n$1\r\na\r\n$1\r\nb\r\n");
        assert_ne!(a, b);
        assert_eq!(a.sorted(), b.sorted());
        assert_eq!(a.shape(), "*[$,$]");
        assert_eq!(one(b"%1\r\n+a\r\n$-1\r\n").shape(), "%[+,$-1]");
        assert_eq!(one(b":-7\r\n").integer(), Some(-7));
        assert_eq!(one(b"$2\r\n\r\n\r\n").bulk(), Some(&b"\r\n"[..]));
        assert_eq!(one(b"=6\r\ntxt:hi\r\n").text().as_deref(), Some("hi"));
        assert_eq!(one(b"~1\r\n:1\r\n").items(), Some(&[Reply::Integer(1)][..]));
        assert_eq!(Reply::from_bytes(b":1\r\n:2\r\n"), Ok(Reply::Integer(1)));
        assert!(Reply::from_bytes(b"*2\r\n:1\r\n").is_err());
    }

    #[test]
    fn escapes_like_redis_cli() {
        assert_eq!(escape(b"a\"\\\r\n\x00"), r#""a\"\\\r\n\x00""#);
        assert!(escape(&[b'x'; 500]).ends_with("... (500 bytes)\""));
    }
}
