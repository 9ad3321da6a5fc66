//! Starting, probing and stopping server processes (Redust or Redis) on free
//! loopback ports.

use std::fs::{self, File};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};

use crate::client::{Client, Reply};

const READY_TIMEOUT: Duration = Duration::from_secs(15);
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// Bounds every request the harness itself makes (a bulk load batch included).
pub const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// A running server; killed when dropped so a failed run leaves no strays.
pub struct Server {
    pub label: String,
    pub port: u16,
    child: Child,
    log: PathBuf,
}

impl Server {
    /// Starts `binary` without persistence on a free loopback port and waits
    /// until it answers PING.
    pub fn start(label: &str, binary: &Path, log_dir: &Path) -> Result<Server> {
        let port = free_port()?;
        fs::create_dir_all(log_dir)?;
        let log = log_dir.join(format!("{}-{port}.log", label.to_lowercase()));
        let out = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let child = Command::new(binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("starting {label} ({})", binary.display()))?;
        let mut server = Server {
            label: label.to_owned(),
            port,
            child,
            log,
        };
        server.wait_ready()?;
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn client(&self) -> Result<Client> {
        Client::connect(self.port, IO_TIMEOUT)
            .with_context(|| format!("connecting to {} on port {}", self.label, self.port))
    }

    /// Polls PING until +PONG, failing early if the process exits.
    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited during startup ({status}); log {}:\n{}",
                    self.label,
                    self.log.display(),
                    log_tail(&self.log)
                );
            }
            let pong = Client::connect(self.port, POLL_INTERVAL * 10)
                .map_err(anyhow::Error::from)
                .and_then(|mut c| c.call(&[b"PING"]));
            if matches!(pong, Ok(Reply::Simple(ref s)) if s == "PONG") {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "{} did not answer PING on port {} within {READY_TIMEOUT:?} (last: {pong:?})",
                    self.label,
                    self.port
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

/// Asks the kernel for a free port. The listener is closed before the server
/// binds it, a small race that only matters if something else grabs it first.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

fn log_tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
