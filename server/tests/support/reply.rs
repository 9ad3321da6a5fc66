//! Just enough RESP2/RESP3 reply parsing for tests: find where one reply
//! ends, split aggregates into their elements, and print replies readably.
//! Deliberately independent of the `resp` crate so that the crate under test
//! is not also the judge.

/// One reply as a tree of raw byte slices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<'a> {
    /// A simple, bulk-like or null reply, including its type byte and CRLFs.
    Atom(&'a [u8]),
    /// An array, set, push, map or attribute: its header line and elements
    /// (a map's keys and values alternate).
    Aggregate {
        header: &'a [u8],
        items: Vec<Reply<'a>>,
    },
}

/// Result of looking at a buffer that may hold a partial reply.
pub type Parsed<'a> = Result<Option<(Reply<'a>, usize)>, String>;

/// Parses the reply at the start of `buf`: `Ok(None)` when more bytes are
/// needed, otherwise the reply and the number of bytes it spans.
pub fn parse(buf: &[u8]) -> Parsed<'_> {
    let Some(line_end) = buf.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    let header = &buf[..line_end + 2];
    let text = &buf[1..line_end];
    match buf[0] {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => {
            Ok(Some((Reply::Atom(header), header.len())))
        }
        b'$' | b'!' | b'=' => {
            let len = number(text)?;
            if len < 0 {
                return Ok(Some((Reply::Atom(header), header.len())));
            }
            let end = header.len() + len as usize + 2;
            if buf.len() < end {
                return Ok(None);
            }
            if &buf[end - 2..end] != b"\r\n" {
                return Err(format!(
                    "bulk not followed by CRLF: {}",
                    escape(&buf[..end])
                ));
            }
            Ok(Some((Reply::Atom(&buf[..end]), end)))
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let count = number(text)?;
            if count < 0 {
                return Ok(Some((Reply::Atom(header), header.len())));
            }
            let mut count = count as usize;
            match buf[0] {
                b'%' => count *= 2,
                // Attributes precede the reply they annotate.
                b'|' => count = count * 2 + 1,
                _ => {}
            }
            let mut items = Vec::with_capacity(count);
            let mut at = header.len();
            for _ in 0..count {
                let Some((item, len)) = parse(&buf[at..])? else {
                    return Ok(None);
                };
                items.push(item);
                at += len;
            }
            Ok(Some((Reply::Aggregate { header, items }, at)))
        }
        other => Err(format!("unknown reply type byte {:?}", other as char)),
    }
}

fn number(text: &[u8]) -> Result<i64, String> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| format!("bad length {:?}", escape(text)))
}

impl Reply<'_> {
    /// The reply's bytes with every aggregate's elements sorted, so replies
    /// that differ only in element order compare equal.
    pub fn sorted(&self) -> Vec<u8> {
        match self {
            Reply::Atom(raw) => raw.to_vec(),
            Reply::Aggregate { header, items } => {
                let mut items: Vec<Vec<u8>> = items.iter().map(Reply::sorted).collect();
                items.sort();
                let mut out = header.to_vec();
                items.iter().for_each(|item| out.extend_from_slice(item));
                out
            }
        }
    }

    /// The reply's type structure without its contents: type bytes, null
    /// markers and aggregate sizes.
    pub fn shape(&self) -> String {
        match self {
            Reply::Atom(raw) if raw.starts_with(b"$-1") || raw.starts_with(b"*-1") => {
                String::from_utf8_lossy(&raw[..3]).into_owned()
            }
            Reply::Atom(raw) => (raw[0] as char).to_string(),
            Reply::Aggregate { header, items } => {
                let inner: Vec<String> = items.iter().map(Reply::shape).collect();
                format!("{}[{}]", header[0] as char, inner.join(","))
            }
        }
    }

    /// The payload of a bulk string reply.
    pub fn bulk(&self) -> Option<&[u8]> {
        match self {
            Reply::Atom(raw @ [b'$', ..]) if !raw.starts_with(b"$-1") => {
                let start = raw.iter().position(|&b| b == b'\n')? + 1;
                Some(&raw[start..raw.len() - 2])
            }
            _ => None,
        }
    }

    /// The value of an integer reply.
    pub fn integer(&self) -> Option<i64> {
        match self {
            Reply::Atom([b':', rest @ ..]) => number(&rest[..rest.len() - 2]).ok(),
            _ => None,
        }
    }
}

/// Printable form of raw bytes, in redis-cli's quoting, cut at `MAX_SHOWN`.
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
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    if bytes.len() > MAX_SHOWN {
        out.push_str(&format!("... ({} bytes)", bytes.len()));
    }
    format!("\"{out}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_reply_ends() {
        assert_eq!(parse(b"+OK\r\nrest").unwrap().unwrap().1, 5);
        assert_eq!(parse(b"$3\r\na\r\n\r\n").unwrap().unwrap().1, 9);
        assert_eq!(parse(b"$3\r\na\r").unwrap(), None);
        assert_eq!(parse(b"*2\r\n:1\r\n$-1\r\nx").unwrap().unwrap().1, 13);
        assert_eq!(parse(b"%1\r\n+a\r\n:1\r\n").unwrap().unwrap().1, 12);
        assert!(parse(b"?\r\n").is_err());
    }

    #[test]
    fn sorts_and_shapes() {
        let (a, _) = parse(b"*2\r\n$1\r\nb\r\n$1\r\na\r\n").unwrap().unwrap();
        let (b, _) = parse(b"*2\r\n$1\r\na\r\n$1\r\nb\r\n").unwrap().unwrap();
        assert_eq!(a.sorted(), b.sorted());
        assert_eq!(a.shape(), "*[$,$]");
        assert_eq!(parse(b":-7\r\n").unwrap().unwrap().0.integer(), Some(-7));
        assert_eq!(
            parse(b"$2\r\n\r\n\r\n").unwrap().unwrap().0.bulk(),
            Some(&b"\r\n"[..])
        );
    }
}
