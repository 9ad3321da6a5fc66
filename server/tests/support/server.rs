//! Server processes under test: Redust (or whatever `REDUST_TEST_BIN` names)
//! and Debian's redis-server, each on its own free loopback port.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::Client;

pub const REDIS_SERVER: &str = "/usr/bin/redis-server";

/// How long a server may take to start answering: debug builds on a shared,
/// busy machine can be slow.
const START_DEADLINE: Duration = Duration::from_secs(30);
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// True when the reference redis-server is installed; prints the skip notice
/// otherwise.
pub fn redis_available() -> bool {
    super::tool_available(REDIS_SERVER)
}

/// The binary under test. `REDUST_TEST_BIN=/usr/bin/redis-server` points the
/// whole suite at real Redis, which is how the harness itself is validated.
pub fn redust_bin() -> PathBuf {
    std::env::var_os("REDUST_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_redust-server")))
}

/// A running server, killed when dropped. Its stdout and stderr are kept so
/// failures can show what the server said.
pub struct Server {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<u8>>>,
    name: String,
}

enum StartError {
    PortTaken,
    Failed(String),
}

impl Server {
    /// Starts the binary under test with redis-server style arguments.
    pub fn redust(extra_args: &[&str]) -> Server {
        Server::start(&redust_bin(), extra_args)
    }

    /// Starts the reference redis-server with the same arguments.
    pub fn redis(extra_args: &[&str]) -> Server {
        Server::start(Path::new(REDIS_SERVER), extra_args)
    }

    /// Starts `bin` on a free port and returns once it answers PING.
    pub fn start(bin: &Path, extra_args: &[&str]) -> Server {
        Server::start_with_config(bin, None, extra_args)
    }

    /// Like [`Server::start`], reading `config_file` first (redis-server
    /// only accepts it as the first argument; options after it override it).
    pub fn start_with_config(
        bin: &Path,
        config_file: Option<&Path>,
        extra_args: &[&str],
    ) -> Server {
        // The port is free when we pick it but another process may take it
        // before the server binds; that race is retried with a new port.
        for _ in 0..5 {
            match Server::try_start(bin, free_port(), config_file, extra_args) {
                Ok(server) => return server,
                Err(StartError::PortTaken) => continue,
                Err(StartError::Failed(why)) => panic!("{why}"),
            }
        }
        panic!("{}: no free port after 5 attempts", bin.display());
    }

    /// Starts `bin` on a given port, e.g. to restart a killed server where
    /// its peers expect it. Panics if the port is taken.
    pub fn start_on(
        bin: &Path,
        port: u16,
        config_file: Option<&Path>,
        extra_args: &[&str],
    ) -> Server {
        match Server::try_start(bin, port, config_file, extra_args) {
            Ok(server) => server,
            Err(StartError::PortTaken) => panic!("{}: port {port} is taken", bin.display()),
            Err(StartError::Failed(why)) => panic!("{why}"),
        }
    }

    fn try_start(
        bin: &Path,
        port: u16,
        config_file: Option<&Path>,
        extra_args: &[&str],
    ) -> Result<Server, StartError> {
        let port_arg = port.to_string();
        let config_arg = config_file.map(|path| path.to_string_lossy().into_owned());
        let mut args: Vec<&str> = config_arg.iter().map(String::as_str).collect();
        args.extend(["--port", &port_arg, "--bind", "127.0.0.1"]);
        args.extend(["--save", "", "--appendonly", "no"]);
        args.extend(extra_args);
        let mut child = Command::new(bin)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| StartError::Failed(format!("cannot run {}: {e}", bin.display())))?;
        let log = Arc::new(Mutex::new(Vec::new()));
        capture(child.stdout.take(), &log);
        capture(child.stderr.take(), &log);
        let mut server = Server {
            child,
            port,
            log,
            name: bin.file_name().unwrap().to_string_lossy().into_owned(),
        };
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                let log = server.log();
                if log.to_ascii_lowercase().contains("address already in use") {
                    return Err(StartError::PortTaken);
                }
                return Err(StartError::Failed(format!(
                    "{} {args:?} exited with {status} before answering PING; log:\n{log}",
                    bin.display()
                )));
            }
            // Any complete reply counts: with requirepass set PING gets NOAUTH.
            if let Ok(mut client) = Client::connect(port) {
                if client.call(&["PING"]).is_ok() {
                    return Ok(server);
                }
            }
            if Instant::now() > deadline {
                return Err(StartError::Failed(format!(
                    "{} {args:?} did not answer PING within {START_DEADLINE:?}; log:\n{}",
                    bin.display(),
                    server.log()
                )));
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id, e.g. to inspect its sockets under /proc.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Short name of the binary, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A new connection to this server; panics with the server log on failure.
    pub fn client(&self) -> Client {
        Client::connect(self.port)
            .unwrap_or_else(|e| panic!("connect to {}: {e}\n{}", self.name, self.log()))
    }

    /// Everything the server printed so far.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&self.log.lock().unwrap()).into_owned()
    }

    /// Panics (with the log) if the process has exited.
    pub fn assert_alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited with {status}; log:\n{}", self.name, self.log());
        }
    }

    /// Waits up to `within` for the process to exit by itself (after
    /// SHUTDOWN or a signal) and returns how it ended; panics with the log
    /// if it is still running.
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                panic!(
                    "{} still running after {within:?}; log:\n{}",
                    self.name,
                    self.log()
                );
            }
            thread::sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().unwrap().port()
}

/// Copies a child's output into `log` on a thread, so the pipe never fills.
fn capture(pipe: Option<impl Read + Send + 'static>, log: &Arc<Mutex<Vec<u8>>>) {
    let (Some(mut pipe), log) = (pipe, Arc::clone(log)) else {
        return;
    };
    thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut chunk) {
            log.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
}
