//! Interactive mode. On a terminal: a prompt, line editing and history
//! (rustyline, `~/.redustcli_history`). With stdin not a terminal, lines are
//! read as commands without a prompt, as redis-cli (linenoise) does.

use std::io::{self, BufRead, IsTerminal};
use std::path::PathBuf;
use std::time::Instant;

use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

use crate::connection::Address;
use crate::format::Output;
use crate::interrupt;
use crate::session::{atoi, emit, Session};
use crate::split::split_args;

const HISTORY_FILE: &str = ".redustcli_history";
const HISTORY_ENV: &str = "REDUSTCLI_HISTFILE";

/// Where typed lines come from.
enum Lines {
    Terminal {
        editor: Box<DefaultEditor>,
        history: Option<PathBuf>,
    },
    Piped(io::StdinLock<'static>),
}

impl Lines {
    fn open() -> anyhow::Result<Lines> {
        if !io::stdin().is_terminal() {
            return Ok(Lines::Piped(io::stdin().lock()));
        }
        let mut editor = Box::new(DefaultEditor::new()?);
        let history = history_path();
        if let Some(path) = &history {
            // A missing file is the normal first run.
            let _ = editor.load_history(path);
        }
        Ok(Lines::Terminal { editor, history })
    }

    /// The next line, `None` at end of input (Ctrl-D, Ctrl-C, EOF).
    fn next(&mut self, prompt: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match self {
            Lines::Terminal { editor, .. } => match editor.readline(prompt) {
                Ok(line) => Ok(Some(line.into_bytes())),
                Err(ReadlineError::Eof | ReadlineError::Interrupted) => Ok(None),
                Err(e) => Err(e.into()),
            },
            Lines::Piped(stdin) => {
                let mut line = Vec::new();
                if stdin.read_until(b'\n', &mut line)? == 0 {
                    return Ok(None);
                }
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                Ok(Some(line))
            }
        }
    }

    fn remember(&mut self, line: &[u8]) {
        if let Lines::Terminal { editor, history } = self {
            let _ = editor.add_history_entry(String::from_utf8_lossy(line));
            if let Some(path) = history {
                let _ = editor.save_history(path);
            }
        }
    }

    fn clear_screen(&mut self) {
        match self {
            Lines::Terminal { editor, .. } => {
                let _ = editor.clear_screen();
            }
            Lines::Piped(_) => emit(b"\x1b[H\x1b[2J"),
        }
    }
}

/// `$REDUSTCLI_HISTFILE` (`/dev/null` turns history files off), else
/// `~/.redustcli_history`.
fn history_path() -> Option<PathBuf> {
    match std::env::var_os(HISTORY_ENV) {
        Some(path) if path == "/dev/null" => None,
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => std::env::var_os("HOME")
            .filter(|home| !home.is_empty())
            .map(|home| PathBuf::from(home).join(HISTORY_FILE)),
    }
}

/// Runs the read-eval-print loop until `quit`, `exit` or end of input.
pub fn run(mut session: Session) -> anyhow::Result<()> {
    session.set_interactive();
    interrupt::install();
    // A failed first connection is reported; each command retries it.
    let _ = session.connect(false, false);
    let mut lines = Lines::open()?;
    while let Some(line) = lines.next(&session.prompt())? {
        if line.is_empty() {
            continue;
        }
        let Some(args) = split_args(&line) else {
            emit(b"Invalid argument(s)\n");
            lines.remember(&line);
            continue;
        };
        if args.is_empty() {
            continue;
        }
        // "3 INCR n" runs INCR three times.
        let (repeat, args) = match repeat_prefix(&args) {
            Some(Some(n)) => (n, &args[1..]),
            Some(None) => {
                emit(b"Invalid redis-cli repeat command option value.\n");
                continue;
            }
            None => (1, &args[..]),
        };
        if !is_sensitive(args) {
            lines.remember(&line);
        }
        let name = args[0].to_ascii_lowercase();
        match name.as_slice() {
            b"quit" | b"exit" => break,
            [b':', ..] => set_preference(args),
            b"restart" => emit(b"Use 'restart' only in Lua debugging mode.\n"),
            b"connect" if args.len() == 3 => {
                let host = String::from_utf8_lossy(&args[1]).into_owned();
                let port = atoi(&args[2]) as u16;
                session.set_address(Address::Tcp { host, port });
                let _ = session.connect(true, false);
            }
            b"clear" if args.len() == 1 => lines.clear_screen(),
            _ => {
                let start = Instant::now();
                let _ = session.issue(args, repeat);
                let elapsed = start.elapsed().as_secs_f64();
                if elapsed >= 0.5 && session.output() == Output::Human {
                    emit(format!("({elapsed:.2}s)\n").as_bytes());
                }
            }
        }
    }
    Ok(())
}

/// A leading number followed by a command is a repeat count: `Some(Some(n))`
/// for a valid count, `Some(None)` for zero, negative or out of range
/// (parsed like C's `strtol`, so an empty first argument counts as 0).
fn repeat_prefix(args: &[Vec<u8>]) -> Option<Option<i64>> {
    if args.len() < 2 {
        return None;
    }
    let text = std::str::from_utf8(&args[0]).ok()?;
    let trimmed = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if !text.is_empty() && (digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit())) {
        return None;
    }
    Some(trimmed.parse::<i64>().ok().filter(|&n| n > 0))
}

/// Commands kept out of the history because they carry secrets.
fn is_sensitive(args: &[Vec<u8>]) -> bool {
    let is = |i: usize, name: &str| {
        args.get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(name.as_bytes()))
    };
    let argc = args.len();
    if is(0, "auth") {
        return true;
    }
    if is(0, "acl") && is(1, "setuser") {
        return true;
    }
    if argc > 2
        && is(0, "config")
        && is(1, "set")
        && (is(2, "masterauth") || is(2, "masteruser") || is(2, "requirepass"))
    {
        return true;
    }
    // HELLO [protover [AUTH username password] [SETNAME clientname]]
    if argc > 4 && is(0, "hello") {
        let mut j = 2;
        while j < argc {
            let more = argc - 1 - j;
            if is(j, "auth") && more >= 2 {
                return true;
            } else if is(j, "setname") && more > 0 {
                j += 2;
            } else {
                return false;
            }
        }
        return false;
    }
    // MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH password]
    // [AUTH2 username password] [KEYS key ...]
    if argc > 7 && is(0, "migrate") {
        for j in 6..argc {
            let more = argc - 1 - j;
            if (is(j, "auth") && more > 0) || (is(j, "auth2") && more >= 2) {
                return true;
            }
            if is(j, "keys") && more > 0 {
                return false;
            }
        }
    }
    false
}

/// `:set hints` / `:set nohints` are accepted (redust-cli shows no hints).
fn set_preference(args: &[Vec<u8>]) {
    let text = |a: &[u8]| String::from_utf8_lossy(a).into_owned();
    if args[0].eq_ignore_ascii_case(b":set") && args.len() >= 2 {
        if !args[1].eq_ignore_ascii_case(b"hints") && !args[1].eq_ignore_ascii_case(b"nohints") {
            emit(format!("unknown redis-cli preference '{}'\n", text(&args[1])).as_bytes());
        }
    } else {
        emit(format!("unknown redis-cli internal command '{}'\n", text(&args[0])).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<Vec<u8>> {
        s.split(' ').map(|a| a.as_bytes().to_vec()).collect()
    }

    #[test]
    fn repeat_prefix_like_strtol() {
        assert_eq!(repeat_prefix(&args("3 incr n")), Some(Some(3)));
        assert_eq!(repeat_prefix(&args("+2 ping")), Some(Some(2)));
        assert_eq!(repeat_prefix(&args("0 ping")), Some(None));
        assert_eq!(repeat_prefix(&args("-1 ping")), Some(None));
        assert_eq!(
            repeat_prefix(&args("99999999999999999999 ping")),
            Some(None)
        );
        assert_eq!(repeat_prefix(&args("3")), None);
        assert_eq!(repeat_prefix(&args("3x ping")), None);
        assert_eq!(repeat_prefix(&args("get 3")), None);
        assert_eq!(repeat_prefix(&[vec![], b"ping".to_vec()]), Some(None));
    }

    #[test]
    fn secrets_stay_out_of_history() {
        assert!(is_sensitive(&args("AUTH pw")));
        assert!(is_sensitive(&args("acl SETUSER u on >pw")));
        assert!(is_sensitive(&args("config set requirepass x")));
        assert!(is_sensitive(&args("hello 3 SETNAME n AUTH u p")));
        assert!(is_sensitive(&args("migrate h 1 k 0 100 COPY AUTH pw")));
        assert!(!is_sensitive(&args("migrate h 1 \"\" 0 100 KEYS auth x")));
        assert!(!is_sensitive(&args("hello 3 setname n")));
        assert!(!is_sensitive(&args("config get requirepass")));
        assert!(!is_sensitive(&args("set auth x")));
    }
}
