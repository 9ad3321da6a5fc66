//! A server process on a data directory of its own, which can be stopped in
//! every way a server stops (SHUTDOWN, a signal, kill -9) and started again
//! on the same files.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

use crate::poll::eventually;
use crate::support::server::{redust_bin, REDIS_SERVER};
use crate::support::{Client, Server};

/// A final save of a big dataset in a debug build can take a while.
const EXIT_DEADLINE: Duration = Duration::from_secs(60);

/// How a node is stopped.
pub enum Stop<'a> {
    /// `SHUTDOWN` with these arguments; the server closes the connection.
    Shutdown(&'a [&'a str]),
    /// kill(2) with this signal, e.g. `libc::SIGTERM`.
    Signal(i32),
}

pub struct Node {
    bin: PathBuf,
    dir: PathBuf,
    args: Vec<String>,
    server: Option<Server>,
    /// The last process that exited, kept for its log.
    exited: Option<Server>,
}

impl Node {
    /// The server under test, saving to and loading from `dir`.
    pub fn redust(dir: &Path, args: &[&str]) -> Node {
        Node::launch(redust_bin(), dir, args)
    }

    /// Debian's redis-server on `dir`.
    pub fn redis(dir: &Path, args: &[&str]) -> Node {
        Node::launch(PathBuf::from(REDIS_SERVER), dir, args)
    }

    fn launch(bin: PathBuf, dir: &Path, args: &[&str]) -> Node {
        let mut node = Node {
            bin,
            dir: dir.to_path_buf(),
            args: args.iter().map(|a| a.to_string()).collect(),
            server: None,
            exited: None,
        };
        node.start();
        node
    }

    /// The arguments every start uses: the directory, DEBUG allowed, then
    /// the node's own.
    pub fn command_line(&self) -> Vec<String> {
        let dir = self.dir.to_string_lossy().into_owned();
        let mut args: Vec<String> = ["--dir", &dir, "--enable-debug-command", "yes"]
            .map(String::from)
            .into();
        args.extend(self.args.iter().cloned());
        args
    }

    /// Starts the process (again) on the same directory and arguments.
    pub fn start(&mut self) {
        assert!(self.server.is_none(), "{} is already running", self.name());
        let args = self.command_line();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.server = Some(Server::start(&self.bin, &args));
    }

    fn server(&self) -> &Server {
        self.server.as_ref().expect("node is stopped")
    }

    pub fn name(&self) -> String {
        self.bin.file_name().unwrap().to_string_lossy().into_owned()
    }

    pub fn pid(&self) -> u32 {
        self.server().pid()
    }

    pub fn client(&self) -> Client {
        self.server().client()
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
        self.dir.join("dump.rdb")
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the running process, or else the last one, printed so far.
    pub fn log(&self) -> String {
        self.server
            .as_ref()
            .or(self.exited.as_ref())
            .map(Server::log)
            .unwrap_or_default()
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
                match client.read_reply() {
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
        self.signal(libc::SIGKILL);
        self.wait_exit();
    }

    /// kill(2) without waiting for anything.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child's pid has no memory effects.
        let rc = unsafe { libc::kill(self.pid() as libc::pid_t, signal) };
        assert_eq!(rc, 0, "kill({}, {signal})", self.pid());
    }

    fn wait_exit(&mut self) -> ExitStatus {
        let mut server = self.server.take().expect("node is stopped");
        let status = server.wait_exit(EXIT_DEADLINE);
        self.exited = Some(server);
        status
    }
}
