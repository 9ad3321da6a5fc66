//! The client side of a redis-cli session: connecting (with AUTH, SELECT
//! and HELLO 3), sending commands, printing their replies and tracking what
//! the prompt shows (db, MULTI). Mirrors redis-cli's `cliConnect`,
//! `issueCommandRepeat`, `cliSendCommand` and `cliReadReply`.

use std::io::{self, Write};
use std::thread;
use std::time::Duration;

use resp::Frame;

use crate::connection::{os_message, Address, Connection, LinkError};
use crate::format::{self, Output};
use crate::help;
use crate::interrupt;

/// What the command line decided about the session.
#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: Address,
    pub user: Option<Vec<u8>>,
    pub password: Option<Vec<u8>>,
    /// The db to SELECT after connecting (`-n`).
    pub db: i64,
    /// Send `HELLO 3` after connecting (`-3`).
    pub resp3: bool,
    pub output: Output,
    /// Between elements of an aggregate in raw output (`-d`).
    pub multibulk_delim: Vec<u8>,
    /// After each reply in raw output (`-D`).
    pub reply_delim: Vec<u8>,
    /// Print RESP3 pushes that arrive between replies.
    pub show_pushes: bool,
    /// Exit with status 1 when a reply is an error (`-e`).
    pub exit_on_error: bool,
    /// Pause between repetitions (`-i`).
    pub interval: Duration,
}

/// A command failed to run; what went wrong has been printed.
#[derive(Debug)]
pub struct Failed;

/// Commands whose (bulk) reply is text meant to be read as is.
fn prints_verbatim(args: &[Vec<u8>]) -> bool {
    let is = |i: usize, name: &str| {
        args.get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(name.as_bytes()))
    };
    let n = args.len();
    is(0, "info")
        || is(0, "lolwut")
        || (is(0, "debug")
            && (is(1, "htstats") || is(1, "htstats-key") || is(1, "client-eviction")))
        || (is(0, "memory") && (is(1, "malloc-stats") || is(1, "doctor")))
        || (n == 2 && is(0, "cluster") && (is(1, "nodes") || is(1, "info")))
        || (is(0, "client") && (is(1, "list") || is(1, "info")))
        || (n == 3 && is(0, "latency") && is(1, "graph"))
        || (n == 2 && is(0, "latency") && is(1, "doctor"))
        || (is(0, "proxy") && is(1, "info"))
}

/// Replies stream until interrupted after these commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Streaming {
    No,
    Monitor,
    PubSub,
}

pub struct Session {
    settings: Settings,
    conn: Option<Connection>,
    /// The db the connection is in, shown in the prompt.
    db: i64,
    /// The db to be in after (re)connecting.
    wanted_db: i64,
    in_multi: bool,
    db_before_multi: i64,
    interactive: bool,
    /// Set by SHUTDOWN: the server closing the link is then expected.
    shutdown: bool,
}

impl Session {
    pub fn new(settings: Settings) -> Session {
        Session {
            wanted_db: settings.db,
            settings,
            conn: None,
            db: 0,
            in_multi: false,
            db_before_multi: 0,
            interactive: false,
            shutdown: false,
        }
    }

    pub fn set_interactive(&mut self) {
        self.interactive = true;
    }

    pub fn output(&self) -> Output {
        self.settings.output
    }

    /// Points the session at another server (interactive `connect`).
    pub fn set_address(&mut self, addr: Address) {
        self.settings.addr = addr;
    }

    /// `127.0.0.1:6379[2](TX)> `, or `not connected> `.
    pub fn prompt(&self) -> String {
        match self.conn {
            Some(_) => prompt(&self.settings.addr, self.db, self.in_multi),
            None => "not connected> ".to_string(),
        }
    }

    /// Opens the connection if there is none (or always with `force`), then
    /// authenticates, selects the db and switches to RESP3 as asked.
    /// Errors are printed unless `quiet`.
    pub fn connect(&mut self, force: bool, quiet: bool) -> Result<(), Failed> {
        if self.conn.is_some() && !force {
            return Ok(());
        }
        // A new connection starts in db 0 outside any transaction.
        // (redis-cli 7.0 forgets this after losing the link, and then shows
        // a db it did not select again.)
        self.conn = None;
        self.db = 0;
        self.in_multi = false;
        match Connection::open(&self.settings.addr) {
            Ok(conn) => self.conn = Some(conn),
            Err(e) => {
                if !quiet {
                    let target = match &self.settings.addr {
                        Address::Tcp { host, port } => format!("{host}:{port}"),
                        Address::Unix(path) => path.display().to_string(),
                    };
                    eprintln!("Could not connect to Redis at {target}: {}", os_message(&e));
                }
                return Err(Failed);
            }
        }
        self.authenticate()?;
        self.select_wanted_db()?;
        if self.settings.resp3 {
            let reply = self.preamble(&[b"HELLO".to_vec(), b"3".to_vec()])?;
            if let Frame::Error(e) = reply {
                eprintln!("HELLO 3 failed: {}", String::from_utf8_lossy(&e));
                return Err(Failed);
            }
        }
        Ok(())
    }

    fn authenticate(&mut self) -> Result<(), Failed> {
        let Some(password) = self.settings.password.clone() else {
            return Ok(());
        };
        let mut args = vec![b"AUTH".to_vec()];
        args.extend(self.settings.user.clone());
        args.push(password);
        if let Frame::Error(e) = self.preamble(&args)? {
            eprintln!("AUTH failed: {}", String::from_utf8_lossy(&e));
            return Err(Failed);
        }
        Ok(())
    }

    fn select_wanted_db(&mut self) -> Result<(), Failed> {
        if self.wanted_db == self.db {
            return Ok(());
        }
        let db = self.wanted_db;
        match self.preamble(&[b"SELECT".to_vec(), db.to_string().into_bytes()])? {
            Frame::Error(e) => {
                eprintln!("SELECT {db} failed: {}", String::from_utf8_lossy(&e));
                Err(Failed)
            }
            _ => {
                self.db = db;
                Ok(())
            }
        }
    }

    /// A command of the connection preamble; losing the link drops it.
    fn preamble(&mut self, args: &[Vec<u8>]) -> Result<Frame, Failed> {
        let conn = self.conn.as_mut().ok_or(Failed)?;
        conn.call(args).map_err(|_| {
            eprintln!("\nI/O error");
            self.conn = None;
            Failed
        })
    }

    /// Runs a command `repeat` times (forever if negative), reconnecting
    /// first if the link was lost.
    pub fn issue(&mut self, args: &[Vec<u8>], repeat: i64) -> Result<(), Failed> {
        if args[0].eq_ignore_ascii_case(b"help") || args[0].eq_ignore_ascii_case(b"?") {
            emit(help::banner().as_bytes());
            return Ok(());
        }
        if self.conn.is_none() {
            self.connect(true, false)?;
        }
        self.send_command(args, repeat).map_err(|e| {
            eprintln!("Error: {e}");
            self.conn = None;
            Failed
        })
    }

    fn send_command(&mut self, args: &[Vec<u8>], mut repeat: i64) -> Result<(), LinkError> {
        let name = args[0].to_ascii_lowercase();
        let verbatim = prints_verbatim(args);
        let mut streaming = match name.as_slice() {
            b"monitor" => Streaming::Monitor,
            b"subscribe" | b"psubscribe" | b"ssubscribe" => Streaming::PubSub,
            _ => Streaming::No,
        };
        if name == b"shutdown" {
            self.shutdown = true;
        }
        // A negative count repeats forever.
        while repeat != 0 {
            if repeat > 0 {
                repeat -= 1;
            }
            let Some(conn) = self.conn.as_mut() else {
                return Ok(());
            };
            if let Err(e) = conn.send(args) {
                return Err(self.link_lost(e));
            }
            match streaming {
                Streaming::Monitor => {
                    self.stream_replies(verbatim, false);
                    return Ok(());
                }
                Streaming::PubSub => {
                    if self.settings.output != Output::Raw {
                        emit(b"Reading messages... (press Ctrl-C to quit)\n");
                    }
                    self.stream_replies(verbatim, true);
                    // Further repetitions read their replies as usual.
                    streaming = Streaming::No;
                    continue;
                }
                Streaming::No => {}
            }
            let Some(reply) = self.read_reply(verbatim, false)? else {
                return Ok(());
            };
            self.track_state(args, &reply);
            if !self.settings.interval.is_zero() {
                thread::sleep(self.settings.interval);
            }
        }
        Ok(())
    }

    /// Prints replies of MONITOR / SUBSCRIBE until an error reply or Ctrl-C.
    fn stream_replies(&mut self, verbatim: bool, pubsub: bool) {
        let _guard = self.conn.as_ref().map(|c| interrupt::streaming(c.raw_fd()));
        loop {
            match self.read_reply(verbatim, pubsub) {
                Ok(Some(Frame::Error(_)) | None) => return,
                Ok(Some(_)) => {}
                Err(e) => {
                    // redis-cli gives up on a broken stream even interactively.
                    eprintln!("Error: {e}");
                    std::process::exit(1);
                }
            }
        }
    }

    /// Reads and prints one reply. `Ok(None)`: there is none to print
    /// because the link ended as expected (SHUTDOWN, or Ctrl-C while
    /// streaming, after which the session has reconnected).
    fn read_reply(
        &mut self,
        verbatim: bool,
        pushes_are_replies: bool,
    ) -> Result<Option<Frame>, LinkError> {
        let reply = loop {
            let Some(conn) = self.conn.as_mut() else {
                return Ok(None);
            };
            match conn.read_frame() {
                Ok(push @ Frame::Push(_)) if !pushes_are_replies => {
                    if self.settings.show_pushes {
                        self.print_push(&push);
                    }
                }
                Ok(frame) => break frame,
                Err(e) => {
                    if interrupt::take_aborted() {
                        let _ = self.connect(true, false);
                        return Ok(None);
                    }
                    if self.shutdown {
                        self.conn = None;
                        return Ok(None);
                    }
                    return Err(self.link_lost(e));
                }
            }
        };
        if let Frame::Error(e) = &reply {
            if !self.interactive && self.settings.exit_on_error {
                let mut err = io::stderr().lock();
                let _ = err.write_all(e);
                let _ = err.write_all(b"\n");
                std::process::exit(1);
            }
        }
        let out = if verbatim {
            format::raw(&reply, &self.settings.multibulk_delim)
        } else {
            self.format(&reply)
        };
        emit(&out);
        Ok(Some(reply))
    }

    fn format(&self, frame: &Frame) -> Vec<u8> {
        match self.settings.output {
            Output::Human => format::human(frame),
            Output::Raw => {
                let mut out = format::raw(frame, &self.settings.multibulk_delim);
                out.extend_from_slice(&self.settings.reply_delim);
                out
            }
        }
    }

    fn print_push(&self, push: &Frame) {
        let summary = match self.settings.output {
            Output::Human => format::invalidate_summary(push),
            Output::Raw => None,
        };
        emit(&summary.unwrap_or_else(|| self.format(push)));
    }

    /// In interactive mode a lost link is handed back (to be reported, and
    /// the next command reconnects); otherwise redis-cli gives up here.
    fn link_lost(&self, e: LinkError) -> LinkError {
        if self.interactive && e.is_disconnect() {
            return e;
        }
        eprintln!("Error: {e}");
        std::process::exit(1);
    }

    /// Follows the commands that change what the prompt shows.
    fn track_state(&mut self, args: &[Vec<u8>], reply: &Frame) {
        let name = args[0].to_ascii_lowercase();
        let failed = matches!(reply, Frame::Error(_));
        match (name.as_slice(), args.len()) {
            (b"select", 2) if !failed => {
                self.db = atoi(&args[1]);
                self.wanted_db = self.db;
            }
            (b"auth", 2 | 3) => {
                // Now allowed to, go to the db asked for on the command line.
                let _ = self.select_wanted_db();
            }
            (b"multi", 1) if !failed => {
                self.in_multi = true;
                self.db_before_multi = self.db;
            }
            (b"exec", 1) if self.in_multi => {
                self.in_multi = false;
                if failed || matches!(reply, Frame::Null | Frame::NullArray) {
                    self.db = self.db_before_multi;
                    self.wanted_db = self.db;
                }
            }
            (b"discard", 1) if !failed => {
                self.in_multi = false;
                self.db = self.db_before_multi;
                self.wanted_db = self.db;
            }
            (b"reset", 1) if !failed => {
                self.in_multi = false;
                self.db = 0;
                self.wanted_db = 0;
                self.settings.resp3 = false;
            }
            _ => {}
        }
    }
}

/// The prompt of a connected session (redis-cli's `cliRefreshPrompt`).
fn prompt(addr: &Address, db: i64, in_multi: bool) -> String {
    let mut prompt = match addr {
        Address::Tcp { host, port } if host.contains(':') => format!("[{host}]:{port}"),
        Address::Tcp { host, port } => format!("{host}:{port}"),
        Address::Unix(path) => format!("redis {}", path.display()),
    };
    if db != 0 {
        prompt.push_str(&format!("[{db}]"));
    }
    if in_multi {
        prompt.push_str("(TX)");
    }
    prompt.push_str("> ");
    prompt
}

/// C's `atoi`: leading blanks, a sign, digits; anything else ends it.
pub fn atoi(s: &[u8]) -> i64 {
    let s = s.trim_ascii_start();
    let (negative, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .fold(0i64, |n, c| {
            n.wrapping_mul(10).wrapping_add(i64::from(c - b'0'))
        });
    if negative {
        -n
    } else {
        n
    }
}

/// Writes to stdout and flushes, so output interleaves with stderr and
/// reaches pipes promptly ("grep friendly", as redis-cli says).
pub fn emit(bytes: &[u8]) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(bytes);
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(host: &str) -> Address {
        Address::Tcp {
            host: host.into(),
            port: 6379,
        }
    }

    #[test]
    fn prompts() {
        assert_eq!(prompt(&tcp("127.0.0.1"), 0, false), "127.0.0.1:6379> ");
        assert_eq!(prompt(&tcp("127.0.0.1"), 2, false), "127.0.0.1:6379[2]> ");
        assert_eq!(
            prompt(&tcp("localhost"), 3, true),
            "localhost:6379[3](TX)> "
        );
        assert_eq!(prompt(&tcp("::1"), 0, true), "[::1]:6379(TX)> ");
        let unix = Address::Unix("/tmp/redis.sock".into());
        assert_eq!(prompt(&unix, 1, false), "redis /tmp/redis.sock[1]> ");
    }

    #[test]
    fn atoi_like_c() {
        assert_eq!(atoi(b"12"), 12);
        assert_eq!(atoi(b"  -7x"), -7);
        assert_eq!(atoi(b"+3"), 3);
        assert_eq!(atoi(b"abc"), 0);
        assert_eq!(atoi(b""), 0);
    }

    #[test]
    fn verbatim_commands() {
        let args = |s: &str| {
            s.split(' ')
                .map(|a| a.as_bytes().to_vec())
                .collect::<Vec<_>>()
        };
        assert!(prints_verbatim(&args("INFO")));
        assert!(prints_verbatim(&args("info memory")));
        assert!(prints_verbatim(&args("client list")));
        assert!(prints_verbatim(&args("MEMORY doctor")));
        assert!(prints_verbatim(&args("cluster nodes")));
        assert!(!prints_verbatim(&args("cluster nodes x")));
        assert!(!prints_verbatim(&args("get info")));
    }
}
