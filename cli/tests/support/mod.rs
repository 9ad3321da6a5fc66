//! Test harness: real redis-server instances on free ports (killed on
//! drop), and running redis-cli and redust-cli side by side against two
//! servers that receive the same commands, so their output can be compared
//! byte for byte.

// Each test binary uses part of this module.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub const REDIS_SERVER: &str = "/usr/bin/redis-server";
pub const REDIS_CLI: &str = "/usr/bin/redis-cli";
pub const OURS: &str = env!("CARGO_BIN_EXE_redust-cli");

/// How long a server may take to start or a client to finish.
const DEADLINE: Duration = Duration::from_secs(20);
/// Pause between checks of a condition we are waiting for.
const POLL: Duration = Duration::from_millis(10);

/// True when the reference tools are installed; otherwise prints a notice
/// so a machine without them still passes.
pub fn reference_available() -> bool {
    for tool in [REDIS_SERVER, REDIS_CLI] {
        if !Path::new(tool).exists() {
            eprintln!("SKIP: {tool} not installed");
            return false;
        }
    }
    true
}

/// Polls `done` until it holds, panicking after the deadline.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        thread::sleep(POLL);
    }
}

pub struct Server {
    pub port: u16,
    child: Child,
    dir: PathBuf,
}

impl Server {
    /// Starts redis-server with `extra` options on a free port.
    pub fn start(extra: &[&str]) -> Server {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("redust-cli-test-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("redis.log");
        let child = Command::new(REDIS_SERVER)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--enable-debug-command", "yes"])
            .arg("--dir")
            .arg(&dir)
            .arg("--logfile")
            .arg(&log)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let server = Server { port, child, dir };
        // Watching the log rather than connecting keeps the servers of a
        // pair identical (a probe would use up a client id).
        wait_until("redis-server to start", || {
            std::fs::read_to_string(&log).is_ok_and(|l| l.contains("Ready to accept connections"))
        });
        server
    }

    /// Sends one command on a fresh connection and returns the raw reply's
    /// first line (enough for the simple replies the tests need).
    pub fn command(&self, args: &[&str]) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        stream.write_all(request.as_bytes()).unwrap();
        let mut reply = Vec::new();
        let mut byte = [0u8];
        while !reply.ends_with(b"\r\n") {
            stream.read_exact(&mut byte).unwrap();
            reply.push(byte[0]);
        }
        String::from_utf8_lossy(&reply).trim_end().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
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
    let mut child = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .env_remove("REDISCLI_AUTH")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let feeder = thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("{program} {args:?} did not finish");
        }
        thread::sleep(POLL);
    };
    feeder.join().unwrap();
    Run {
        stdout: String::from_utf8_lossy(&stdout.recv().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&stderr.recv().unwrap()).into_owned(),
        code: status.code(),
    }
}

/// A client process driven step by step through its stdin.
pub struct Interactive {
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Interactive {
    pub fn spawn(program: &str, args: &[String]) -> Interactive {
        let mut child = Command::new(program)
            .args(args)
            .env_remove("REDISCLI_AUTH")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
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
        wait_until(&format!("{text:?} on stdout"), || {
            String::from_utf8_lossy(&self.stdout.lock().unwrap()).contains(text)
        });
    }

    /// Closes stdin and waits for the process to end.
    pub fn finish(mut self) -> Run {
        drop(self.child.stdin.take());
        let mut status = None;
        wait_until("the client to exit", || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        // The pipes reach end-of-file once the process is gone.
        let text = |buf: &Arc<Mutex<Vec<u8>>>, what: &str| {
            wait_until(what, || Arc::strong_count(buf) == 1);
            String::from_utf8_lossy(&buf.lock().unwrap()).into_owned()
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

/// Appends everything read from a pipe to a shared buffer, on a thread
/// that lets go of the buffer at end-of-file.
fn collect(mut pipe: impl Read + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::clone(&buf);
    thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut chunk) {
            shared.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    buf
}

/// Reads a pipe to its end on a thread.
fn drain(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut data = Vec::new();
        let _ = pipe.read_to_end(&mut data);
        let _ = tx.send(data);
    });
    rx
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
            reference: Server::start(extra),
            ours: Server::start(extra),
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
        let outputs =
            [(REDIS_CLI, self.reference.port), (OURS, self.ours.port)].map(|(cli, port)| {
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
