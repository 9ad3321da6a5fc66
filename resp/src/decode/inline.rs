//! Splitting an inline request line into arguments with the quoting rules
//! of Redis's `sdssplitargs`.

use bytes::Bytes;
use memchr::memchr;

/// Splits `line` (without its line end) into arguments; `None` for
/// unbalanced quotes or a closing quote followed by something other than a
/// space. Arguments without quotes share `line`'s memory.
///
/// Redis parses the line as a C string, so a NUL byte ends it.
pub fn split_args(line: &Bytes) -> Option<Vec<Bytes>> {
    let s = &line[..memchr(0, line).unwrap_or(line.len())];
    let mut args = Vec::new();
    let mut p = 0;
    loop {
        while s.get(p).is_some_and(|&c| is_space(c)) {
            p += 1;
        }
        if p == s.len() {
            return Some(args);
        }
        let start = p;
        while s
            .get(p)
            .is_some_and(|c| !matches!(c, b' ' | b'\n' | b'\r' | b'\t' | b'"' | b'\''))
        {
            p += 1;
        }
        match s.get(p) {
            Some(&quote @ (b'"' | b'\'')) => {
                // Text before the quote joins the quoted part: a"b c" is `ab c`.
                let mut arg = s[start..p].to_vec();
                p = if quote == b'"' {
                    double_quoted(s, p + 1, &mut arg)?
                } else {
                    single_quoted(s, p + 1, &mut arg)?
                };
                args.push(Bytes::from(arg));
            }
            _ => args.push(line.slice(start..p)),
        }
    }
}

/// C's `isspace` in the C locale.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// After a closing quote only a space or the end of the line may follow.
/// Returns the position after the quote.
fn close_quote(s: &[u8], quote: usize) -> Option<usize> {
    match s.get(quote + 1) {
        Some(&c) if !is_space(c) => None,
        _ => Some(quote + 1),
    }
}

/// The rest of a `"` argument starting at `p`, with `\n \r \t \b \a \xHH`
/// escapes (any other escaped byte stands for itself).
fn double_quoted(s: &[u8], mut p: usize, arg: &mut Vec<u8>) -> Option<usize> {
    loop {
        match *s.get(p)? {
            b'\\' => {
                if let (Some(b'x'), Some(hi), Some(lo)) = (
                    s.get(p + 1),
                    s.get(p + 2).and_then(|&c| hex(c)),
                    s.get(p + 3).and_then(|&c| hex(c)),
                ) {
                    arg.push(hi << 4 | lo);
                    p += 4;
                } else if let Some(&c) = s.get(p + 1) {
                    arg.push(match c {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => b'\x08',
                        b'a' => b'\x07',
                        other => other,
                    });
                    p += 2;
                } else {
                    // A backslash ending the line leaves the quote open.
                    return None;
                }
            }
            b'"' => return close_quote(s, p),
            c => {
                arg.push(c);
                p += 1;
            }
        }
    }
}

/// The rest of a `'` argument starting at `p`; only `\'` is an escape.
fn single_quoted(s: &[u8], mut p: usize, arg: &mut Vec<u8>) -> Option<usize> {
    loop {
        match *s.get(p)? {
            b'\\' if s.get(p + 1) == Some(&b'\'') => {
                arg.push(b'\'');
                p += 2;
            }
            b'\'' => return close_quote(s, p),
            c => {
                arg.push(c);
                p += 1;
            }
        }
    }
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &[u8]) -> Option<Vec<Vec<u8>>> {
        split_args(&Bytes::copy_from_slice(line))
            .map(|args| args.iter().map(|a| a.to_vec()).collect())
    }

    fn args(list: &[&[u8]]) -> Option<Vec<Vec<u8>>> {
        Some(list.iter().map(|a| a.to_vec()).collect())
    }

    #[test]
    fn plain_words() {
        assert_eq!(split(b""), args(&[]));
        assert_eq!(split(b" \t "), args(&[]));
        assert_eq!(split(b"SET k v"), args(&[b"SET", b"k", b"v"]));
        assert_eq!(split(b"  a\t\tb  "), args(&[b"a", b"b"]));
        // \v separates only at the start of a word (isspace vs the word loop).
        assert_eq!(split(b"\x0ba\x0bb"), args(&[b"a\x0bb"]));
        assert_eq!(split(b"a\0b c"), args(&[b"a"]));
    }

    #[test]
    fn double_quotes() {
        assert_eq!(split(br#"SET k "a b""#), args(&[b"SET", b"k", b"a b"]));
        assert_eq!(split(br#""""#), args(&[b""]));
        assert_eq!(
            split(br#""\n\r\t\b\a\\\"\q\x41\x4g""#),
            args(&[b"\n\r\t\x08\x07\\\"qAx4g"])
        );
        assert_eq!(split(br#"a"b c" d"#), args(&[b"ab c", b"d"]));
        assert_eq!(split(br#""\xff\x00""#), args(&[b"\xff\x00"]));
    }

    #[test]
    fn single_quotes() {
        assert_eq!(split(br"'a \n b'"), args(&[br"a \n b"]));
        assert_eq!(split(br"'it\'s'"), args(&[b"it's"]));
        assert_eq!(split(br"'a\b'"), args(&[br"a\b"]));
        // `\'` is a backslash then an escaped quote: the quote stays open.
        assert_eq!(split(br"'a\\'"), None);
    }

    #[test]
    fn unbalanced() {
        for bad in [
            &br#""abc"#[..],
            br"'abc",
            br#""a"b"#,
            br"'a'b",
            br#""abc\"#,
            br#"x "a\""#,
        ] {
            assert_eq!(split(bad), None, "{}", bad.escape_ascii());
        }
    }
}
