//! A server process on a data directory of its own, which can be stopped in
//! every way a server stops (SHUTDOWN, a signal, kill -9) and started again
//! on the same files.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

use crate::support::{Client, Kind, Server};
use testkit::eventually;

/// A final save of a big dataset in a debug build can take a while.
const EXIT_DEADLINE: Duration = Duration::from_secs(60);

/// How a node is stopped.
pub enum Stop<'a> {
    /// `SHUTDOWN` with these arguments; the server closes the connection.
    Shutdown(&'a [&'a str]),
    /// kill(2) with this signal, e.g. `libc::SIGTERM`.
    Signal(i32),
}

/// A server on `dir` with DEBUG allowed; once stopped, its log stays
/// readable until it is started again (same port, directory, arguments).
pub struct Node {
    server: Server,
}

impl Node {
    /// The server under test, saving to and loading from `dir`.
    pub fn redust(dir: &Path, args: &[&str]) -> Node {
        Node::launch(Kind::Redust, dir, args)
    }

    /// Debian's redis-server on `dir`.
    pub fn redis(dir: &Path, args: &[&str]) -> Node {
        Node::launch(Kind::Redis, dir, args)
    }

    fn launch(kind: Kind, dir: &Path, args: &[&str]) -> Node {
        let server = Server::builder(kind)
            .dir(dir)
            .args(["--enable-debug-command", "yes"])
            .args(args)
            .start();
        Node { server }
    }

    /// Starts the process again on the same directory and arguments.
    pub fn start(&mut self) {
        let running = self.server.exit_status().is_none();
        assert!(!running, "{} is already running", self.name());
        self.server.restart();
    }

    #[allow(dead_code)] // Only some of the test crates sharing this harness.
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    pub fn name(&self) -> String {
        self.server.name().to_string()
    }

    pub fn client(&self) -> Client {
        self.server.client()
    }

    /// One command on a fresh connection, the reply as text.
    pub fn cmd(&self, args: &[&str]) -> String {
        self.client().cmd(args)
    }

    /// A field of INFO `section`; panics when absent.
    pub fn info(&self, section: &str, field: &str) -> String {
        let text = self.cmd(&["INFO", section]);
        text.lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .unwrap_or_else(|| panic!("INFO {section} has no {field}:\n{text}"))
            .to_string()
    }

    pub fn info_int(&self, field: &str) -> i64 {
        let value = self.info("persistence", field);
        value
            .parse()
            .unwrap_or_else(|_| panic!("{field}:{value} is not a number"))
    }

    /// Waits for a running BGSAVE to end and returns rdb_last_bgsave_status.
    pub fn wait_bgsave(&self) -> String {
        eventually("rdb_bgsave_in_progress:0", || {
            match self.info("persistence", "rdb_bgsave_in_progress").as_str() {
                "0" => Ok(()),
                other => Err(format!("rdb_bgsave_in_progress:{other}")),
            }
        });
        self.info("persistence", "rdb_last_bgsave_status")
    }

    /// BGSAVE and wait for it to succeed.
    pub fn bgsave(&self) {
        assert_eq!(self.cmd(&["BGSAVE"]), "+Background saving started\r\n");
        assert_eq!(self.wait_bgsave(), "ok", "BGSAVE failed:\n{}", self.log());
    }

    pub fn dump_path(&self) -> PathBuf {
        self.dir().join("dump.rdb")
    }

    pub fn dir(&self) -> &Path {
        self.server.dir()
    }

    /// What the running process, or else the last one, printed so far.
    pub fn log(&self) -> String {
        self.server.log()
    }

    /// Waits until the log has a line containing `text` (output of an
    /// exited process may still be in the pipe).
    pub fn wait_log(&self, text: &str) {
        eventually(format!("{text:?} in the log"), || {
            let log = self.log();
            log.contains(text).then_some(()).ok_or(log)
        });
    }

    /// Stops the process and waits for it to exit; returns how it ended.
    pub fn stop(&mut self, how: Stop) -> ExitStatus {
        match how {
            Stop::Shutdown(args) => {
                let mut client = self.client();
                let mut command = vec!["SHUTDOWN"];
                command.extend(args);
                client.send(&command).unwrap();
                // A successful SHUTDOWN never replies: the connection closes.
                match client.read_raw() {
                    Err(e) if e.kind() == ErrorKind::UnexpectedEof => {}
                    Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
                    reply => panic!(
                        "{command:?} answered {:?}; log:\n{}",
                        reply.map(|r| String::from_utf8_lossy(&r).into_owned()),
                        self.log()
                    ),
                }
            }
            Stop::Signal(signal) => self.signal(signal),
        }
        self.wait_exit()
    }

    /// kill -9, keeping the directory as the crash left it.
    pub fn kill(&mut self) {
        self.server.kill();
    }

    /// kill(2) without waiting for anything.
    pub fn signal(&self, signal: i32) {
        self.server.signal(signal);
    }

    fn wait_exit(&mut self) -> ExitStatus {
        self.server.wait_exit(EXIT_DEADLINE)
    }
}
