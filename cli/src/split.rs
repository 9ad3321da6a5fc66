//! Splitting a typed line into arguments the way redis-cli does (hiredis's
//! `sdssplitargs`): blanks separate arguments, "double quotes" understand
//! `\n \r \t \b \a \xHH` and `\<any>`, 'single quotes' only `\'`, and a
//! closing quote must be followed by a blank or the end of the line.

/// The arguments of `line`, or `None` for unbalanced quotes or a closing
/// quote glued to more text (redis-cli then says "Invalid argument(s)").
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < line.len() && is_c_space(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            return Some(args);
        }
        let (arg, next) = token(line, i)?;
        args.push(arg);
        i = next;
    }
}

/// Reads one argument starting at `i`; returns it and where to continue.
fn token(line: &[u8], mut i: usize) -> Option<(Vec<u8>, usize)> {
    let at = |j: usize| line.get(j).copied();
    let mut current = Vec::new();
    let mut quote: Option<u8> = None;
    loop {
        match quote {
            Some(b'"') => match at(i)? {
                b'\\'
                    if at(i + 1) == Some(b'x')
                        && at(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
                        && at(i + 3).is_some_and(|c| c.is_ascii_hexdigit()) =>
                {
                    current.push(hex(line[i + 2]) * 16 + hex(line[i + 3]));
                    i += 4;
                }
                b'\\' if at(i + 1).is_some() => {
                    current.push(match line[i + 1] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        c => c,
                    });
                    i += 2;
                }
                b'"' => return closing_quote(line, i).map(|next| (current, next)),
                c => {
                    current.push(c);
                    i += 1;
                }
            },
            Some(_) => match at(i)? {
                b'\\' if at(i + 1) == Some(b'\'') => {
                    current.push(b'\'');
                    i += 2;
                }
                b'\'' => return closing_quote(line, i).map(|next| (current, next)),
                c => {
                    current.push(c);
                    i += 1;
                }
            },
            None => match at(i) {
                None | Some(b' ' | b'\n' | b'\r' | b'\t' | 0) => {
                    return Some((current, (i + 1).min(line.len())))
                }
                Some(q @ (b'"' | b'\'')) => {
                    quote = Some(q);
                    i += 1;
                }
                Some(c) => {
                    current.push(c);
                    i += 1;
                }
            },
        }
    }
}

/// A closing quote at `i` must be followed by a blank or the end.
fn closing_quote(line: &[u8], i: usize) -> Option<usize> {
    match line.get(i + 1) {
        Some(&c) if !is_c_space(c) => None,
        _ => Some((i + 1).min(line.len())),
    }
}

/// C's `isspace` in the "C" locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex(c: u8) -> u8 {
    (c as char).to_digit(16).expect("checked hex digit") as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Option<Vec<String>> {
        split_args(s.as_bytes()).map(|v| {
            v.into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect()
        })
    }

    #[test]
    fn blanks_separate_arguments() {
        assert_eq!(split("  set  k\tv \r\n").unwrap(), ["set", "k", "v"]);
        assert_eq!(split("").unwrap(), Vec::<String>::new());
        assert_eq!(split("   ").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn double_quotes_understand_escapes() {
        assert_eq!(
            split(r#"set "a b" "x\n\"y\"\x41\q""#).unwrap(),
            ["set", "a b", "x\n\"y\"Aq"]
        );
        assert_eq!(split_args(br#""\x00\xff""#).unwrap(), vec![vec![0u8, 0xff]]);
        // An incomplete \x escape is taken literally (after the backslash).
        assert_eq!(split(r#""\x4""#).unwrap(), ["x4"]);
    }

    #[test]
    fn single_quotes_only_escape_quote() {
        assert_eq!(split(r#"'it\'s \n' x"#).unwrap(), ["it's \\n", "x"]);
    }

    #[test]
    fn quotes_join_with_preceding_text() {
        assert_eq!(split(r#"foo"bar baz""#).unwrap(), ["foobar baz"]);
        assert_eq!(split(r#""""#).unwrap(), [""]);
    }

    #[test]
    fn bad_quoting_is_rejected() {
        assert_eq!(split(r#"get "abc"#), None);
        assert_eq!(split("get 'abc"), None);
        assert_eq!(split(r#"get "a"b"#), None);
        assert_eq!(split("get 'a'b"), None);
    }
}
