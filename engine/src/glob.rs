//! Redis's glob matcher (`stringmatchlen` in util.c): KEYS, SCAN MATCH,
//! CONFIG GET, PSUBSCRIBE, SORT patterns.
//!
//! Supports `*`, `?`, `[abc]`, `[^abc]`, `[a-z]` and `\` escapes. Kept
//! byte-for-byte compatible with Redis, quirks included: an unterminated
//! `[` class matches like a terminated one, and an escaped character inside
//! a class is always compared case-sensitively.
//!
//! Written by hand because glob crates (`glob`, `globset`, `wildmatch`)
//! implement shell or gitignore semantics, not these quirks, and patterns
//! come from clients as arbitrary bytes, not UTF-8 paths.

/// Whether `string` matches the glob `pattern`.
pub fn matches(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, string, nocase, &mut skip_longer)
}

fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

fn match_impl(mut p: &[u8], mut s: &[u8], nocase: bool, skip_longer: &mut bool) -> bool {
    while !p.is_empty() && !s.is_empty() {
        match p[0] {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                while !s.is_empty() {
                    if match_impl(&p[1..], s, nocase, skip_longer) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s = &s[1..];
                }
                // Nothing after this star matched anywhere in the rest of the
                // string, so earlier stars cannot help either.
                *skip_longer = true;
                return false;
            }
            b'?' => {
                p = &p[1..];
                s = &s[1..];
            }
            b'[' => {
                p = &p[1..];
                let negate = p.first() == Some(&b'^');
                if negate {
                    p = &p[1..];
                }
                let mut matched = false;
                loop {
                    if p.len() >= 2 && p[0] == b'\\' {
                        p = &p[1..];
                        if p[0] == s[0] {
                            matched = true;
                        }
                    } else if p.is_empty() {
                        // Unterminated class: the pattern end acts as `]`.
                        break;
                    } else if p[0] == b']' {
                        break;
                    } else if p.len() >= 3 && p[1] == b'-' {
                        let (mut lo, mut hi) = (p[0], p[2]);
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        let c = fold(s[0], nocase);
                        if c >= fold(lo, nocase) && c <= fold(hi, nocase) {
                            matched = true;
                        }
                        p = &p[2..];
                    } else if fold(p[0], nocase) == fold(s[0], nocase) {
                        matched = true;
                    }
                    p = &p[1..];
                }
                if !p.is_empty() {
                    p = &p[1..]; // the closing `]`
                }
                if matched == negate {
                    return false;
                }
                s = &s[1..];
            }
            c => {
                let c = if c == b'\\' && p.len() >= 2 {
                    p = &p[1..];
                    p[0]
                } else {
                    c
                };
                if fold(c, nocase) != fold(s[0], nocase) {
                    return false;
                }
                p = &p[1..];
                s = &s[1..];
            }
        }
        if s.is_empty() {
            return p.iter().all(|&c| c == b'*');
        }
    }
    p.is_empty() && s.is_empty()
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

#[cfg(test)]
mod redis_quirks {
    use super::matches;

    fn m(p: &str, s: &str) -> bool {
        matches(p.as_bytes(), s.as_bytes(), true)
    }

    #[test]
    fn stars_and_questions() {
        assert!(m("*", "port"));
        assert!(m("*ort", "port"));
        assert!(m("p*t", "port"));
        assert!(m("p**t", "port"));
        assert!(m("p?rt", "port"));
        assert!(!m("p?rt", "prt"));
        assert!(m("port*", "port"));
        assert!(!m("*x*", "port"));
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(!m("a", ""));
    }

    #[test]
    fn classes() {
        assert!(m("[pq]ort", "port"));
        assert!(!m("[^p]ort", "port"));
        assert!(m("[^q]ort", "port"));
        assert!(m("[a-z]ort", "port"));
        assert!(m("[z-a]ort", "port"));
        assert!(m("[A-Z]ORT", "port"));
        assert!(m("[\\p]ort", "port"));
        assert!(!m("[\\P]ort", "port"));
        assert!(m("por[t", "port"));
        assert!(m("maxmemory-[cp]*", "maxmemory-policy"));
    }

    #[test]
    fn escapes_and_case() {
        assert!(m("\\port", "port"));
        assert!(m("PORT", "port"));
        assert!(!matches(b"PORT", b"port", false));
        assert!(m("a\\*", "a*"));
        assert!(!m("a\\*", "ab"));
    }
}
