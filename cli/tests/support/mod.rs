//! Running redis-cli and redust-cli side by side against two identical
//! redis-servers (started by redust-testkit) that receive the same
//! commands, so their output can be compared byte for byte.

// Each test binary uses part of this module.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::thread;

use testkit::DEADLINE;
use testkit::{redis_available, tool_available, wait_until, Capture, Kind, Ready};

pub use testkit::{Port, Server};

pub const REDIS_CLI: &str = "/usr/bin/redis-cli";
pub const OURS: &str = env!("CARGO_BIN_EXE_redust-cli");

/// True when the reference tools are installed; otherwise prints a notice
/// so a machine without them still passes.
pub fn reference_available() -> bool {
    redis_available() && tool_available(REDIS_CLI)
}

/// A redis-server with `extra` options and DEBUG allowed.
pub fn start_server(extra: &[&str]) -> Server {
    Server::builder(Kind::Redis)
        .args(["--enable-debug-command", "yes"])
        .args(extra)
        // Watching the log rather than connecting keeps the servers of a
        // pair identical (a probe would use up a client id).
        .ready(Ready::Logged("Ready to accept connections"))
        .start()
}

/// What a client run printed.
#[derive(Debug, PartialEq, Eq)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: Option<i32>,
}

/// Runs `program` with `args`, feeding `stdin`, under a deadline.
pub fn run(program: &str, args: &[String], stdin: &[u8], env: &[(&str, &str)]) -> Run {
    let mut client = Interactive::spawn_with_env(program, args, env);
    let mut input = client.child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    // On a thread: the client may stop reading (or exit) before the end.
    let feeder = thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let run = client.finish();
    feeder.join().unwrap();
    run
}

/// A client process driven step by step through its stdin.
pub struct Interactive {
    child: Child,
    stdout: Capture,
    stderr: Capture,
}

impl Interactive {
    pub fn spawn(program: &str, args: &[String]) -> Interactive {
        Interactive::spawn_with_env(program, args, &[])
    }

    fn spawn_with_env(program: &str, args: &[String], env: &[(&str, &str)]) -> Interactive {
        let mut child = Command::new(program)
            .args(args)
            .envs(env.iter().copied())
            .env_remove("REDISCLI_AUTH")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
        let (stdout, stderr) = (Capture::new(), Capture::new());
        stdout.read_from(child.stdout.take().unwrap());
        stderr.read_from(child.stderr.take().unwrap());
        Interactive {
            child,
            stdout,
            stderr,
        }
    }

    pub fn send(&mut self, input: &[u8]) {
        self.child.stdin.as_mut().unwrap().write_all(input).unwrap();
    }

    /// Waits until stdout has printed `text` (in total so far).
    pub fn wait_for(&self, text: &str) {
        wait_until(DEADLINE, format!("{text:?} on stdout"), || {
            self.stdout.text().contains(text)
        });
    }

    /// Closes stdin and waits for the process to end.
    pub fn finish(mut self) -> Run {
        drop(self.child.stdin.take());
        let mut status = None;
        wait_until(DEADLINE, "the client to exit", || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        // The pipes reach end-of-file once the process is gone.
        let text = |capture: &Capture, what: &str| {
            wait_until(DEADLINE, what, || capture.is_closed());
            capture.text()
        };
        Run {
            stdout: text(&self.stdout, "stdout to close"),
            stderr: text(&self.stderr, "stderr to close"),
            code: status.and_then(|s| s.code()),
        }
    }
}

impl Drop for Interactive {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two identical servers: redis-cli talks to `reference`, redust-cli to
/// `ours`, always with the same commands, so both see the same data.
pub struct Pair {
    pub reference: Server,
    pub ours: Server,
}

impl Pair {
    pub fn start(extra: &[&str]) -> Pair {
        Pair {
            reference: start_server(extra),
            ours: start_server(extra),
        }
    }

    /// Runs both clients with `-p <port>` followed by `args`.
    pub fn check(&self, args: &[&str]) {
        self.check_with(|port| with_port(port, args), b"", &[]);
    }

    pub fn check_stdin(&self, args: &[&str], stdin: &[u8]) {
        self.check_with(|port| with_port(port, args), stdin, &[]);
    }

    /// Runs both clients with the arguments `args(port)` and compares what
    /// they print (the port number itself is masked).
    pub fn check_with(
        &self,
        args: impl Fn(u16) -> Vec<String>,
        stdin: &[u8],
        env: &[(&str, &str)],
    ) {
        self.check_programs(|cli, port| (cli.to_string(), args(port)), stdin, env);
    }

    /// Like [`Pair::check_with`] for a command line that wraps the client:
    /// `command(client_path, port)` gives the program and its arguments.
    pub fn check_programs(
        &self,
        command: impl Fn(&str, u16) -> (String, Vec<String>),
        stdin: &[u8],
        env: &[(&str, &str)],
    ) {
        let outputs = [(REDIS_CLI, &self.reference), (OURS, &self.ours)].map(|(cli, server)| {
            let port = server.port();
            let (program, args) = command(cli, port);
            mask(run(&program, &args, stdin, env), port)
        });
        let [expected, actual] = outputs;
        assert_eq!(actual, expected, "command {:?}", command("CLI", 0));
    }
}

pub fn with_port(port: u16, args: &[&str]) -> Vec<String> {
    let mut all = vec!["-p".to_string(), port.to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    all
}

fn mask(run: Run, port: u16) -> Run {
    let port = port.to_string();
    Run {
        stdout: run.stdout.replace(&port, "PORT"),
        stderr: run.stderr.replace(&port, "PORT"),
        code: run.code,
    }
}
