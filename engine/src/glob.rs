//! Glob-style matching as Redis's `stringmatchlen` does it (KEYS, SCAN MATCH,
//! CONFIG GET, PSUBSCRIBE): `*`, `?`, `[abc]`, `[^a-z]`, `\x`.

/// Whether `string` matches `pattern`.
pub fn matches(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    // Bound the backtracking like Redis 7 does, so a hostile pattern such as
    // "a*a*a*a*...b" cannot take exponential time.
    let mut budget = 1_000_000u32;
    match_from(pattern, string, nocase, &mut budget)
}

fn eq(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

fn match_from(mut p: &[u8], mut s: &[u8], nocase: bool, budget: &mut u32) -> bool {
    while let Some(&c) = p.first() {
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        match c {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                for i in 0..=s.len() {
                    if match_from(&p[1..], &s[i..], nocase, budget) {
                        return true;
                    }
                    if *budget == 0 {
                        return false;
                    }
                }
                return false;
            }
            b'?' => {
                if s.is_empty() {
                    return false;
                }
                s = &s[1..];
            }
            b'[' => {
                let Some(&ch) = s.first() else { return false };
                let (matched, rest) = match_class(&p[1..], ch, nocase);
                if !matched {
                    return false;
                }
                p = rest;
                s = &s[1..];
                continue;
            }
            b'\\' if p.len() >= 2 => {
                p = &p[1..];
                if s.first().is_none_or(|&ch| !eq(p[0], ch, nocase)) {
                    return false;
                }
                s = &s[1..];
            }
            _ => {
                if s.first().is_none_or(|&ch| !eq(c, ch, nocase)) {
                    return false;
                }
                s = &s[1..];
            }
        }
        p = &p[1..];
    }
    s.is_empty()
}

/// Matches `ch` against a class body (after `[`); returns the verdict and the
/// pattern after the closing `]`.
fn match_class(mut p: &[u8], ch: u8, nocase: bool) -> (bool, &[u8]) {
    let negate = p.first() == Some(&b'^');
    if negate {
        p = &p[1..];
    }
    let mut matched = false;
    loop {
        match p {
            [] => break,
            [b']', rest @ ..] => {
                p = rest;
                break;
            }
            [b'\\', c, rest @ ..] => {
                matched |= eq(*c, ch, nocase);
                p = rest;
            }
            [a, b'-', b, rest @ ..] if *b != b']' => {
                let (mut lo, mut hi) = (*a, *b);
                if lo > hi {
                    std::mem::swap(&mut lo, &mut hi);
                }
                let c = if nocase { ch.to_ascii_lowercase() } else { ch };
                let (lo, hi) = if nocase {
                    (lo.to_ascii_lowercase(), hi.to_ascii_lowercase())
                } else {
                    (lo, hi)
                };
                matched |= (lo..=hi).contains(&c);
                p = rest;
            }
            [c, rest @ ..] => {
                matched |= eq(*c, ch, nocase);
                p = rest;
            }
        }
    }
    (matched != negate, p)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs() {
        assert!(matches(b"*", b"anything", false));
        assert!(matches(b"h?llo", b"hello", false));
        assert!(matches(b"h*llo", b"heeeello", false));
        assert!(matches(b"h[ae]llo", b"hallo", false));
        assert!(!matches(b"h[^e]llo", b"hello", false));
        assert!(matches(b"h[a-b]llo", b"hbllo", false));
        assert!(matches(b"h\\*llo", b"h*llo", false));
        assert!(!matches(b"h\\*llo", b"hello", false));
        assert!(matches(b"MAX*", b"maxmemory", true));
        assert!(!matches(b"a", b"ab", false));
        assert!(!matches(b"a*a*a*a*a*a*a*a*a*a*a*a*b", &[b'a'; 60], false));
    }
}
