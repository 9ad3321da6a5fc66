//! LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest
//! common subsequence of two strings, by the classic dynamic programming
//! table, answering like Redis 7.0 (same tie-breaking, same match ranges).

use super::flags::*;
use super::strings::MAX_STRING;
use super::{args, cmd, CommandDef, Ctx, Group, Handler};
use crate::{Error, Kind, Result};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    vec![cmd("lcs", -3, READONLY, lcs).keys(1, 2, 1).doc(
        Group::String,
        "7.0.0",
        "Find longest common substring",
    )]
}

struct Options {
    len: bool,
    idx: bool,
    min_match_len: u64,
    with_match_len: bool,
}

impl Options {
    fn parse(list: &[bytes::Bytes]) -> Result<Options> {
        let mut o = Options {
            len: false,
            idx: false,
            min_match_len: 0,
            with_match_len: false,
        };
        let mut rest = list;
        while let [opt, tail @ ..] = rest {
            rest = tail;
            if args::is(opt, "idx") {
                o.idx = true;
            } else if args::is(opt, "len") {
                o.len = true;
            } else if args::is(opt, "withmatchlen") {
                o.with_match_len = true;
            } else if let (true, [value, tail @ ..]) = (args::is(opt, "minmatchlen"), rest) {
                o.min_match_len = args::int(value)?.max(0) as u64;
                rest = tail;
            } else {
                return Err(Error::Syntax);
            }
        }
        if o.len && o.idx {
            return Err(Error::err(
                "If you want both the length and indexes, please just use IDX.",
            ));
        }
        Ok(o)
    }
}

/// The string at `key` (empty when missing), or None for another type.
fn string_or_empty(ctx: &mut Ctx, key: &[u8]) -> Option<Vec<u8>> {
    let mut buf = itoa::Buffer::new();
    match ctx.lookup_read(key) {
        None => Some(Vec::new()),
        Some(v) if v.kind() == Kind::String => v.as_bytes(&mut buf).map(<[u8]>::to_vec),
        Some(_) => None,
    }
}

/// A run of matching bytes: inclusive ranges in each string.
struct Match {
    a: (usize, usize),
    b: (usize, usize),
}

fn lcs(ctx: &mut Ctx) -> Result<()> {
    // Both keys are looked up (and type-checked) before the options.
    let a = string_or_empty(ctx, ctx.arg(1));
    let b = string_or_empty(ctx, ctx.arg(2));
    let (Some(a), Some(b)) = (a, b) else {
        return Err(Error::err("The specified keys must contain string values"));
    };
    let opts = Options::parse(&ctx.args[3..])?;
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
    if cells * 4 > MAX_STRING {
        return Err(Error::err(
            "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let table = Table::build(&a, &b);
    let (sequence, matches) = table.walk(&a, &b);
    let length = table.get(a.len(), b.len()) as i64;
    let out = &mut ctx.out;
    if opts.idx {
        let shown: Vec<_> = matches
            .iter()
            .filter(|m| (m.a.1 - m.a.0 + 1) as u64 >= opts.min_match_len)
            .collect();
        out.map(2);
        out.bulk(b"matches");
        out.array(shown.len());
        for m in shown {
            out.array(2 + usize::from(opts.with_match_len));
            for (start, end) in [m.a, m.b] {
                out.array(2);
                out.integer(start as i64);
                out.integer(end as i64);
            }
            if opts.with_match_len {
                out.integer((m.a.1 - m.a.0 + 1) as i64);
            }
        }
        out.bulk(b"len");
        out.integer(length);
    } else if opts.len {
        out.integer(length);
    } else {
        out.bulk(&sequence);
    }
    Ok(())
}

/// `LCS(i, j)`: the length of the LCS of `a[..i]` and `b[..j]`.
struct Table {
    width: usize,
    cells: Vec<u32>,
}

impl Table {
    fn build(a: &[u8], b: &[u8]) -> Table {
        let width = b.len() + 1;
        let mut cells = vec![0u32; (a.len() + 1) * width];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * width + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        Table { width, cells }
    }

    fn get(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    /// Walks back from the end like Redis: the common subsequence, and the
    /// runs of contiguous matches from last to first.
    fn walk(&self, a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<Match>) {
        let mut sequence = vec![0; self.get(a.len(), b.len()) as usize];
        let mut filled = sequence.len();
        let mut matches = Vec::new();
        let mut current: Option<Match> = None;
        let (mut i, mut j) = (a.len(), b.len());
        while i > 0 && j > 0 {
            let mut emit = false;
            if a[i - 1] == b[j - 1] {
                filled -= 1;
                sequence[filled] = a[i - 1];
                match &mut current {
                    None => {
                        current = Some(Match {
                            a: (i - 1, i - 1),
                            b: (j - 1, j - 1),
                        })
                    }
                    Some(m) if m.a.0 == i && m.b.0 == j => {
                        m.a.0 -= 1;
                        m.b.0 -= 1;
                    }
                    Some(_) => emit = true,
                }
                // A run touching the start of either string cannot grow.
                if current.as_ref().is_some_and(|m| m.a.0 == 0 || m.b.0 == 0) {
                    emit = true;
                }
                i -= 1;
                j -= 1;
            } else {
                if self.get(i - 1, j) > self.get(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                emit = current.is_some();
            }
            if emit {
                matches.extend(current.take());
            }
        }
        (sequence, matches)
    }
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::*;

    #[test]
    fn redis_examples() {
        let mut t = TestEngine::new();
        t.run("MSET key1 ohmytext key2 mynewtext");
        assert_eq!(t.run("LCS key1 key2"), bulk("mytext"));
        assert_eq!(t.run("LCS key1 key2 LEN"), int(6));
        assert_eq!(
            t.run("LCS key1 key2 IDX"),
            "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n\
             *2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"
        );
        assert_eq!(
            t.run("LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN"),
            "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n\
             $3\r\nlen\r\n:6\r\n"
        );
        assert_eq!(t.run("LCS key1 nope"), bulk(""));
        assert_eq!(
            t.run("LCS key1 key2 LEN IDX"),
            err("ERR If you want both the length and indexes, please just use IDX.")
        );
        assert_eq!(t.run("LCS key1 key2 MINMATCHLEN"), err("ERR syntax error"));
    }
}
