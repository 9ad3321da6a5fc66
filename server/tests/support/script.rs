//! The differential script format.
//!
//! One command per line in redis-cli quoting (double quotes with `\xHH`,
//! `\n`, `\r`, `\t`, `\"`, `\\` escapes; single quotes with `\'`). Blank lines
//! and lines starting with `#` are ignored. A line may start with directives:
//!
//! * `@sort`: compare with every aggregate's elements sorted (KEYS, SCAN).
//! * `@type`: compare only the reply's shape (types, nulls, sizes).
//! * `@skip`: send to both servers, do not compare.
//! * `@range A B`: both replies are integers within `[A, B]`.
//! * `@repeat N`: the line's last argument is repeated N times (large values).

use testkit::reply::{self, Reply};

/// How the two replies to one line are compared.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    Exact,
    Sorted,
    Shape,
    Skip,
    Range(i64, i64),
}

#[derive(Debug, Clone)]
pub struct Line {
    /// 1-based line number in the script file.
    pub number: usize,
    pub text: String,
    pub check: Check,
    pub args: Vec<Vec<u8>>,
}

/// Parses a whole script; errors name the offending line.
pub fn parse(script: &str) -> Result<Vec<Line>, String> {
    let mut lines = Vec::new();
    for (index, text) in script.lines().enumerate() {
        let number = index + 1;
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (check, args) =
            parse_line(trimmed).map_err(|e| format!("line {number}: {e}: {text}"))?;
        lines.push(Line {
            number,
            text: trimmed.to_string(),
            check,
            args,
        });
    }
    Ok(lines)
}

fn parse_line(text: &str) -> Result<(Check, Vec<Vec<u8>>), String> {
    let mut words = split_args(text)?.into_iter().peekable();
    let mut check = Check::Exact;
    let mut repeat = None;
    while let Some(word) = words.next_if(|w| w.starts_with(b"@")) {
        match &word[..] {
            b"@sort" => check = Check::Sorted,
            b"@type" => check = Check::Shape,
            b"@skip" => check = Check::Skip,
            b"@range" => check = Check::Range(number(&mut words)?, number(&mut words)?),
            b"@repeat" => repeat = Some(number(&mut words)? as usize),
            _ => return Err(format!("unknown directive {}", reply::escape(&word))),
        }
    }
    let mut args: Vec<Vec<u8>> = words.collect();
    if args.is_empty() {
        return Err("no command".into());
    }
    if let Some(n) = repeat {
        let last = args.last_mut().unwrap();
        *last = last.repeat(n);
    }
    Ok((check, args))
}

fn number(words: &mut impl Iterator<Item = Vec<u8>>) -> Result<i64, String> {
    let word = words.next().ok_or("directive needs a number")?;
    String::from_utf8_lossy(&word)
        .parse()
        .map_err(|_| format!("not a number: {}", reply::escape(&word)))
}

/// Splits a line into arguments the way redis-cli does.
pub fn split_args(line: &str) -> Result<Vec<Vec<u8>>, String> {
    let bytes = line.as_bytes();
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == bytes.len() {
            return Ok(args);
        }
        let mut arg = Vec::new();
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            match bytes[i] {
                b'"' => i = double_quoted(bytes, i + 1, &mut arg)?,
                b'\'' => i = single_quoted(bytes, i + 1, &mut arg)?,
                b => {
                    arg.push(b);
                    i += 1;
                }
            }
        }
        args.push(arg);
    }
}

/// Reads a double-quoted section starting after its quote; returns the index
/// after the closing quote, which must end the argument.
fn double_quoted(bytes: &[u8], mut i: usize, arg: &mut Vec<u8>) -> Result<usize, String> {
    loop {
        match bytes.get(i) {
            None => return Err("unbalanced quotes".into()),
            Some(b'"') => return closing_quote(bytes, i + 1),
            Some(b'\\') if bytes.get(i + 1) == Some(&b'x') => {
                let hex = bytes
                    .get(i + 2..i + 4)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        arg.push(byte);
                        i += 4;
                    }
                    // redis-cli keeps a malformed \x escape as a plain 'x'.
                    None => {
                        arg.push(b'x');
                        i += 2;
                    }
                }
            }
            Some(b'\\') => {
                let escaped = *bytes.get(i + 1).ok_or("unbalanced quotes")?;
                arg.push(match escaped {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 8,
                    b'a' => 7,
                    other => other,
                });
                i += 2;
            }
            Some(&b) => {
                arg.push(b);
                i += 1;
            }
        }
    }
}

fn single_quoted(bytes: &[u8], mut i: usize, arg: &mut Vec<u8>) -> Result<usize, String> {
    loop {
        match bytes.get(i) {
            None => return Err("unbalanced quotes".into()),
            Some(b'\\') if bytes.get(i + 1) == Some(&b'\'') => {
                arg.push(b'\'');
                i += 2;
            }
            Some(b'\'') => return closing_quote(bytes, i + 1),
            Some(&b) => {
                arg.push(b);
                i += 1;
            }
        }
    }
}

fn closing_quote(bytes: &[u8], after: usize) -> Result<usize, String> {
    match bytes.get(after) {
        None => Ok(after),
        Some(b) if b.is_ascii_whitespace() => Ok(after),
        Some(_) => Err("closing quote must be followed by a space".into()),
    }
}

impl Check {
    /// Compares two raw replies; the error says why they differ.
    pub fn compare(&self, left: &[u8], right: &[u8]) -> Result<(), String> {
        if *self == Check::Skip || (*self == Check::Exact && left == right) {
            return Ok(());
        }
        let parse = |raw| match reply::parse(raw) {
            Ok(Some((reply, _))) => Ok(reply),
            other => Err(format!(
                "unparsable reply {}: {other:?}",
                reply::escape(raw)
            )),
        };
        let (l, r): (Reply, Reply) = (parse(left)?, parse(right)?);
        match self {
            Check::Exact => Err("replies differ".into()),
            Check::Skip => Ok(()),
            Check::Sorted if l.sorted() == r.sorted() => Ok(()),
            Check::Sorted => Err("replies differ even when sorted".into()),
            Check::Shape if l.shape() == r.shape() => Ok(()),
            Check::Shape => Err(format!("shapes differ: {} vs {}", l.shape(), r.shape())),
            Check::Range(lo, hi) => match (l.integer(), r.integer()) {
                (Some(a), Some(b)) if (lo..=hi).contains(&&a) && (lo..=hi).contains(&&b) => Ok(()),
                _ => Err(format!("not both integers within [{lo}, {hi}]")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Vec<u8>> {
        split_args(line).unwrap()
    }

    #[test]
    fn splits_like_redis_cli() {
        assert_eq!(
            words(r#"SET "a\x00\r\n" 'it\'s' """#),
            [&b"SET"[..], b"a\0\r\n", b"it's", b""]
        );
        assert_eq!(words(r#"a"b c" 'd'"#), [&b"ab c"[..], b"d"]);
        assert!(split_args(r#"ECHO "a"b"#).is_err());
    }

    #[test]
    fn reads_directives() {
        let lines = parse("# c\n\n@range 0 10 TTL k\n@repeat 3 SET k ab\n").unwrap();
        assert_eq!(lines[0].check, Check::Range(0, 10));
        assert_eq!(lines[0].number, 3);
        assert_eq!(lines[1].args[2], b"ababab");
        assert!(parse("@nope GET k").is_err());
    }
}
