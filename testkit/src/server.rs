//! Server processes under test: Redust (or whatever `REDUST_TEST_BIN`
//! names) and Debian's redis-server, each on a leased loopback port, killed
//! on drop, restartable on the same port, directory and arguments.

use std::fs::File;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::Duration;

use crate::fs::{Capture, TempDir};
use crate::port::Port;
use crate::reply::Reply;
use crate::wait::{poll_until, DEADLINE};
use crate::Client;

/// The reference server.
pub const REDIS_SERVER: &str = "/usr/bin/redis-server";

/// Bounds one readiness probe, so a server that accepts but never answers
/// is probed again rather than waited on forever.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// Start attempts when the leased port turns out to be taken.
const ATTEMPTS: usize = 5;
/// Lines of log shown in errors and after a failed test.
const TAIL: usize = 60;

/// True when `tool` exists; otherwise prints the skip notice the tests use,
/// so a machine without it still passes.
pub fn tool_available(tool: &str) -> bool {
    let path = Path::new(tool);
    if path.exists() {
        return true;
    }
    let name = path
        .file_name()
        .map_or(tool.into(), |n| n.to_string_lossy());
    eprintln!("SKIP: {name} not installed");
    false
}

/// True when the reference redis-server is installed; prints the skip
/// notice otherwise.
pub fn redis_available() -> bool {
    tool_available(REDIS_SERVER)
}

/// The Redust binary under test: `REDUST_TEST_BIN` if set (pointing it at
/// redis-server is how the tests themselves are validated), else this
/// workspace's `redust-server` built next to the running executable.
pub fn redust_bin() -> PathBuf {
    std::env::var_os("REDUST_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_bin("redust-server"))
}

/// A binary of this workspace in the running executable's target profile
/// directory (`target/<profile>/`, or `$CARGO_TARGET_DIR/<profile>/`):
/// test executables run from its `deps/`, xtask from the directory itself.
/// `cargo test` builds a package's binaries before its integration tests;
/// `cargo test --workspace` builds them all.
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the running executable's path");
    let mut dir = exe.parent().expect("executable in a directory");
    if dir
        .file_name()
        .is_some_and(|d| d == "deps" || d == "examples")
    {
        dir = dir.parent().expect("deps in a profile directory");
    }
    dir.join(name)
}

/// Which implementation a server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Redust,
    Redis,
}

impl Kind {
    /// Both kinds, Redust first: the column order of every comparison.
    pub const BOTH: [Kind; 2] = [Kind::Redust, Kind::Redis];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Redust => "Redust",
            Kind::Redis => "Redis",
        }
    }

    /// [`redust_bin`] or [`REDIS_SERVER`].
    pub fn bin(self) -> PathBuf {
        match self {
            Kind::Redust => redust_bin(),
            Kind::Redis => PathBuf::from(REDIS_SERVER),
        }
    }

    /// False (after printing the skip notice) when redis-server is missing;
    /// Redust is always expected to be built.
    pub fn available(self) -> bool {
        match self {
            Kind::Redust => true,
            Kind::Redis => redis_available(),
        }
    }
}

/// When a freshly started server counts as up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ready {
    /// It answers PING with any complete reply (-NOAUTH with requirepass,
    /// -LOADING while it loads a dump).
    Reply,
    /// It answers PING with +PONG: accepting commands, dump loaded.
    Pong,
    /// Its log contains this text. No connection is made, so two servers
    /// started alike stay alike (a probe would use up a client id).
    Logged(&'static str),
}

/// Why a server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot run {bin}: {source}{hint}", bin = .bin.display())]
    Spawn {
        bin: PathBuf,
        source: io::Error,
        hint: &'static str,
    },
    #[error("{name} {args:?} exited with {status} before it was ready; {log}")]
    Exited {
        name: String,
        args: Vec<String>,
        status: ExitStatus,
        log: String,
    },
    #[error("{name} {args:?} was not ready on port {port} within {timeout:?} (last probe: {last}); {log}")]
    NotReady {
        name: String,
        args: Vec<String>,
        port: u16,
        timeout: Duration,
        last: String,
        log: String,
    },
    #[error("port {0} is taken")]
    PortTaken(u16),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// How to start a server; see [`Server::builder`] and [`Builder::new`].
/// Every server gets `--port <leased> --bind 127.0.0.1 --save "" --appendonly
/// no --dir <dir>` (after the config file, before the builder's arguments,
/// which therefore win).
pub struct Builder {
    bin: PathBuf,
    name: String,
    args: Vec<String>,
    config: Option<String>,
    dir: Option<PathBuf>,
    owned_dir: Option<TempDir>,
    log_dir: Option<PathBuf>,
    ready: Ready,
    timeout: Duration,
    launcher: Vec<String>,
}

impl Builder {
    /// A server running `bin`, named after its file name.
    pub fn new(bin: impl Into<PathBuf>) -> Builder {
        let bin = bin.into();
        Builder {
            name: bin
                .file_name()
                .map_or_else(|| bin.to_string_lossy(), |n| n.to_string_lossy())
                .into_owned(),
            bin,
            args: Vec::new(),
            config: None,
            dir: None,
            owned_dir: None,
            log_dir: None,
            ready: Ready::Reply,
            timeout: DEADLINE,
            launcher: Vec::new(),
        }
    }

    /// The name in messages (default: the binary's file name).
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = name.into();
        self
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Builder {
        self.args.push(arg.into());
        self
    }

    /// Redis-style `--option value` arguments.
    pub fn args<S: AsRef<str>>(mut self, args: impl IntoIterator<Item = S>) -> Builder {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// redis.conf lines, written to a file that is the first argument (the
    /// only place redis-server accepts one).
    pub fn config(mut self, text: impl Into<String>) -> Builder {
        self.config = Some(text.into());
        self
    }

    /// `--dir`, also the process's working directory; the caller keeps it.
    /// Without one the server gets a scratch directory of its own, so no
    /// test sees another's files (a dump.rdb from a disk-based full sync
    /// would otherwise be loaded by the next server started there).
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.dir = Some(dir.into());
        self
    }

    /// Like [`Builder::dir`] with a scratch directory the server owns and
    /// removes once its process is gone.
    pub fn temp_dir(mut self, dir: TempDir) -> Builder {
        self.dir = Some(dir.path().to_path_buf());
        self.owned_dir = Some(dir);
        self
    }

    /// Writes stdout and stderr to `<dir>/<name>-<port>.log` instead of
    /// keeping them in memory.
    pub fn log_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.log_dir = Some(dir.into());
        self
    }

    /// When the server counts as up (default [`Ready::Reply`]).
    pub fn ready(mut self, ready: Ready) -> Builder {
        self.ready = ready;
        self
    }

    /// How long start-up may take (default [`DEADLINE`]).
    pub fn start_timeout(mut self, timeout: Duration) -> Builder {
        self.timeout = timeout;
        self
    }

    /// A program and arguments that run the server, e.g. `taskset -c 0`.
    pub fn launcher<S: AsRef<str>>(mut self, prefix: impl IntoIterator<Item = S>) -> Builder {
        self.launcher = prefix.into_iter().map(|a| a.as_ref().to_owned()).collect();
        self
    }

    /// Starts the server and waits until it is ready; panics (with its log)
    /// if it is not.
    #[track_caller]
    pub fn start(self) -> Server {
        self.try_start().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts the server and waits until it is ready. A leased port that
    /// turns out to be taken (by something outside this crate) is retried
    /// with another.
    pub fn try_start(self) -> Result<Server, Error> {
        let mut server = Server::spawn(self.setup()?, Port::lease()?)?;
        for attempt in 1.. {
            match server.wait_ready() {
                Err(Error::PortTaken(_)) if attempt < ATTEMPTS => {
                    server.port = Port::lease()?;
                    server.relaunch()?;
                }
                result => return result.map(|()| server),
            }
        }
        unreachable!("the last attempt returns")
    }

    /// Starts the process without waiting for it to be ready, e.g. for a
    /// server that must refuse to start ([`Server::wait_exit`]).
    #[track_caller]
    pub fn spawn(self) -> Server {
        self.setup()
            .and_then(|setup| Server::spawn(setup, Port::lease()?))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn setup(mut self) -> Result<Setup, Error> {
        if self.dir.is_none() {
            let dir = TempDir::create_in(&std::env::temp_dir(), &self.name)?;
            self = self.temp_dir(dir);
        }
        let dir = self.dir.expect("a directory");
        let config_file = match self.config {
            None => None,
            Some(text) => {
                let path = dir.join("redust-test.conf");
                std::fs::write(&path, text)?;
                Some(path)
            }
        };
        Ok(Setup {
            bin: self.bin,
            name: self.name,
            args: self.args,
            config_file,
            dir,
            _owned_dir: self.owned_dir,
            log_dir: self.log_dir,
            ready: self.ready,
            timeout: self.timeout,
            launcher: self.launcher,
        })
    }
}

/// What every (re)start of one server uses.
struct Setup {
    bin: PathBuf,
    name: String,
    args: Vec<String>,
    config_file: Option<PathBuf>,
    dir: PathBuf,
    /// Removed after the process (declared after it in [`Server`]).
    _owned_dir: Option<TempDir>,
    log_dir: Option<PathBuf>,
    ready: Ready,
    timeout: Duration,
    launcher: Vec<String>,
}

enum Log {
    Memory(Capture),
    File(PathBuf),
}

/// A running (or stopped) server process; killed when dropped. After a
/// failed test (a panic) its log's tail is printed.
pub struct Server {
    child: Child,
    status: Option<ExitStatus>,
    log: Log,
    port: Port,
    /// Last: an owned directory goes only once the process is dead.
    setup: Setup,
}

impl Server {
    /// Starts the binary under test (see [`redust_bin`]) with
    /// redis-server-style arguments.
    #[track_caller]
    pub fn redust(args: &[&str]) -> Server {
        Server::builder(Kind::Redust).args(args).start()
    }

    /// Starts the reference redis-server with the same arguments.
    #[track_caller]
    pub fn redis(args: &[&str]) -> Server {
        Server::builder(Kind::Redis).args(args).start()
    }

    pub fn builder(kind: Kind) -> Builder {
        Builder::new(kind.bin())
    }

    fn spawn(setup: Setup, port: Port) -> Result<Server, Error> {
        let (child, log) = launch(&setup, port.number())?;
        Ok(Server {
            child,
            status: None,
            log,
            port,
            setup,
        })
    }

    pub fn port(&self) -> u16 {
        self.port.number()
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port()))
    }

    /// The server's `--dir` (and working directory).
    pub fn dir(&self) -> &Path {
        &self.setup.dir
    }

    /// The name in messages: the binary's file name unless the builder
    /// said otherwise.
    pub fn name(&self) -> &str {
        &self.setup.name
    }

    pub fn bin(&self) -> &Path {
        &self.setup.bin
    }

    /// The builder's arguments (without the ones every server gets).
    pub fn args(&self) -> &[String] {
        &self.setup.args
    }

    /// The current (or last) process's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A new connection; panics with the server's log on failure.
    #[track_caller]
    pub fn client(&self) -> Client {
        self.try_client()
            .unwrap_or_else(|e| panic!("connect to {}: {e}\n{}", self.name(), self.log()))
    }

    pub fn try_client(&self) -> io::Result<Client> {
        Client::connect(self.port())
    }

    /// Everything the current (or last) process printed so far.
    pub fn log(&self) -> String {
        match &self.log {
            Log::Memory(capture) => capture.text(),
            Log::File(path) => std::fs::read_to_string(path).unwrap_or_default(),
        }
    }

    /// Waits up to `within` for the process's output to end (it exited and
    /// nothing else holds its pipes), then returns the log.
    pub fn finish_log(&self, within: Duration) -> String {
        if let Log::Memory(capture) = &self.log {
            let _ = poll_until(within, || Ok::<_, ()>(capture.is_closed()));
        }
        self.log()
    }

    /// The log's last lines, saying where the full log is.
    fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(TAIL)..].join("\n");
        match &self.log {
            Log::File(path) => format!("log {}:\n{tail}", path.display()),
            Log::Memory(_) => format!("log:\n{tail}"),
        }
    }

    /// How the process ended, or `None` while it runs.
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Fails (with the log's tail) if the process has exited.
    pub fn check_alive(&mut self) -> Result<(), Error> {
        match self.exit_status() {
            None => Ok(()),
            Some(status) => Err(Error::Exited {
                name: self.setup.name.clone(),
                args: self.setup.args.clone(),
                status,
                log: self.log_tail(),
            }),
        }
    }

    /// Panics (with the log) if the process has exited.
    #[track_caller]
    pub fn assert_alive(&mut self) {
        if let Err(e) = self.check_alive() {
            panic!("{e}");
        }
    }

    /// kill(2) with `signal` (e.g. `libc::SIGTERM`), not waiting for anything.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child's pid has no memory effects.
        let rc = unsafe { libc::kill(self.pid() as libc::pid_t, signal) };
        assert_eq!(rc, 0, "kill({}, {signal})", self.pid());
    }

    /// kill -9 and reap the process; its directory stays as it was.
    pub fn kill(&mut self) {
        if self.exit_status().is_none() {
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
        }
    }

    /// Waits up to `within` for the process to exit by itself (after
    /// SHUTDOWN or a signal) and returns how it ended; panics with the log
    /// if it is still running.
    #[track_caller]
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let exited = poll_until(within, || Ok::<_, ()>(self.exit_status().is_some()));
        if exited != Ok(true) {
            panic!(
                "{} still running after {within:?}; {}",
                self.name(),
                self.log_tail()
            );
        }
        self.status.expect("exited")
    }

    /// Starts the same binary again (killing it first if it runs) on the
    /// same port, directory and arguments, with a fresh log; panics if it
    /// does not become ready.
    #[track_caller]
    pub fn restart(&mut self) {
        if let Err(e) = self.try_restart() {
            panic!("restarting {}: {e}", self.name());
        }
    }

    pub fn try_restart(&mut self) -> Result<(), Error> {
        self.relaunch()?;
        self.wait_ready()
    }

    /// Kills the process if it runs and spawns it again on `port`.
    fn relaunch(&mut self) -> Result<(), Error> {
        self.kill();
        let (child, log) = launch(&self.setup, self.port())?;
        self.child = child;
        self.status = None;
        self.log = log;
        Ok(())
    }

    /// Polls until the server is ready per its [`Ready`], failing early if
    /// the process exits.
    fn wait_ready(&mut self) -> Result<(), Error> {
        let port = self.port();
        let mut last = String::from("none");
        let ready = poll_until(self.setup.timeout, || {
            if let Some(status) = self.exit_status() {
                // A process that just failed has no children holding its
                // pipes: its whole output arrives at once.
                self.finish_log(Duration::from_secs(2));
                if self
                    .log()
                    .to_ascii_lowercase()
                    .contains("address already in use")
                {
                    return Err(Error::PortTaken(port));
                }
                return Err(Error::Exited {
                    name: self.setup.name.clone(),
                    args: self.setup.args.clone(),
                    status,
                    log: self.log_tail(),
                });
            }
            let probe = |c: io::Result<Client>| c.and_then(|mut c| c.call(&["PING"]));
            Ok(match self.setup.ready {
                Ready::Logged(text) => self.log().contains(text),
                Ready::Reply => probe(Client::connect_timeout(port, PROBE_TIMEOUT)).is_ok(),
                Ready::Pong => {
                    let reply = probe(Client::connect_timeout(port, PROBE_TIMEOUT));
                    let pong = matches!(&reply, Ok(Reply::Simple(s)) if s == "PONG");
                    last = format!("{reply:?}");
                    pong
                }
            })
        })?;
        if ready {
            return Ok(());
        }
        Err(Error::NotReady {
            name: self.setup.name.clone(),
            args: self.setup.args.clone(),
            port,
            timeout: self.setup.timeout,
            last,
            log: self.log_tail(),
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if thread::panicking() {
            eprintln!(
                "---- {} on port {}: {} ----",
                self.name(),
                self.port(),
                self.log_tail()
            );
        }
    }
}

/// Spawns the process on `port` with its output going to a fresh log.
fn launch(setup: &Setup, port: u16) -> Result<(Child, Log), Error> {
    let port_arg = port.to_string();
    let mut args: Vec<String> = Vec::new();
    if let Some(config) = &setup.config_file {
        args.push(config.to_string_lossy().into_owned());
    }
    args.extend(["--port", &port_arg, "--bind", "127.0.0.1"].map(String::from));
    args.extend(["--save", "", "--appendonly", "no", "--dir"].map(String::from));
    args.push(setup.dir.to_string_lossy().into_owned());
    args.extend(setup.args.iter().cloned());

    let mut command = match setup.launcher.split_first() {
        Some((program, prefix)) => {
            let mut command = Command::new(program);
            command.args(prefix).arg(&setup.bin);
            command
        }
        None => Command::new(&setup.bin),
    };
    // Whatever a server writes relative to its cwd lands in its dir.
    command
        .args(&args)
        .current_dir(&setup.dir)
        .stdin(Stdio::null());
    let log_file = match &setup.log_dir {
        Some(log_dir) => {
            std::fs::create_dir_all(log_dir)?;
            let name = setup.name.to_lowercase().replace(' ', "-");
            let path = log_dir.join(format!("{name}-{port}.log"));
            let out = File::create(&path)?;
            command.stdout(out.try_clone()?).stderr(out);
            Some(path)
        }
        None => {
            command.stdout(Stdio::piped()).stderr(Stdio::piped());
            None
        }
    };
    let mut child = command.spawn().map_err(|source| Error::Spawn {
        hint: match (source.kind(), setup.bin == redust_bin()) {
            (io::ErrorKind::NotFound, true) => {
                " (build it with `cargo build -p server`, or set REDUST_TEST_BIN)"
            }
            _ => "",
        },
        bin: setup.bin.clone(),
        source,
    })?;
    let log = match log_file {
        Some(path) => Log::File(path),
        None => {
            let capture = Capture::new();
            capture.read_from(child.stdout.take().expect("piped stdout"));
            capture.read_from(child.stderr.take().expect("piped stderr"));
            Log::Memory(capture)
        }
    };
    Ok((child, log))
}
