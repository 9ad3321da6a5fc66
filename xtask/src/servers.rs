//! Starting, probing and stopping server processes (Redust or Redis) on free
//! loopback ports, each with its own data directory.

use std::fs::{self, File};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};

use crate::client::{Client, Reply};

const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Fine enough that start-up and RDB load times are not quantised by it.
pub const POLL_INTERVAL: Duration = Duration::from_millis(5);
/// Bounds every request the harness itself makes (a bulk load batch included).
pub const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// Bounds one readiness probe, so a server that accepts but hangs is retried.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Which server implementation a process runs.
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
}

/// A scratch directory for RDB files, removed when dropped.
pub struct DataDir {
    path: PathBuf,
}

impl DataDir {
    pub fn create(parent: &Path, name: &str) -> Result<DataDir> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = parent.join(format!("data-{name}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(DataDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// A running server; killed when dropped so a failed run leaves no strays.
pub struct Server {
    pub label: String,
    pub port: u16,
    child: Child,
    log: PathBuf,
    /// Declared after `child`: dropped (deleted) only once the process is dead.
    _data: Option<DataDir>,
}

/// How to start one server process.
pub struct Launch<'a> {
    pub kind: Kind,
    pub binary: &'a Path,
    pub log_dir: &'a Path,
    /// `--dir`; `None` gives the server a fresh directory of its own.
    pub dir: Option<&'a Path>,
    /// Extra `--option value` arguments after the defaults.
    pub args: &'a [String],
}

impl Launch<'_> {
    /// Starts the server without save points or AOF on a free loopback port,
    /// and waits until it answers PING (an RDB load at start-up included).
    pub fn start(&self) -> Result<Server> {
        let label = self.kind.label();
        let port = free_port()?;
        fs::create_dir_all(self.log_dir)?;
        let (dir, owned) = match self.dir {
            Some(dir) => (dir.to_path_buf(), None),
            None => {
                let data = DataDir::create(self.log_dir, &label.to_lowercase())?;
                (data.path().to_path_buf(), Some(data))
            }
        };
        let log = self
            .log_dir
            .join(format!("{}-{port}.log", label.to_lowercase()));
        let out = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let child = crate::pin::server(self.binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .args(self.args)
            // Whatever a server writes relative to its cwd lands in its dir.
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("starting {label} ({})", self.binary.display()))?;
        let mut server = Server {
            label: label.to_owned(),
            port,
            child,
            log,
            _data: owned,
        };
        server.wait_ready()?;
        Ok(server)
    }
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn client(&self) -> Result<Client> {
        Client::connect(self.port, IO_TIMEOUT)
            .with_context(|| format!("connecting to {} on port {}", self.label, self.port))
    }

    /// INFO `section` as text.
    pub fn info(&self, section: &str) -> Result<String> {
        match self.client()?.call_str(&["INFO", section])? {
            Reply::Bulk(Some(text)) => Ok(String::from_utf8_lossy(&text).into_owned()),
            other => bail!("{}: INFO {section} replied {other:?}", self.label),
        }
    }

    /// DBSIZE, or `None` while the server refuses it (e.g. -LOADING).
    pub fn dbsize(&self) -> Result<Option<i64>> {
        Ok(match self.client()?.call_str(&["DBSIZE"])? {
            Reply::Integer(n) => Some(n),
            _ => None,
        })
    }

    /// Fails with the log's tail if the process has exited.
    pub fn check_alive(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "{} exited ({status}); log {}:\n{}",
                self.label,
                self.log.display(),
                log_tail(&self.log)
            );
        }
        Ok(())
    }

    /// Polls PING until +PONG, failing early if the process exits.
    fn wait_ready(&mut self) -> Result<()> {
        let port = self.port;
        let mut last = None;
        let ready = poll_until(READY_TIMEOUT, || {
            self.check_alive()?;
            let pong = Client::connect(port, PROBE_TIMEOUT)
                .map_err(anyhow::Error::from)
                .and_then(|mut c| c.call_str(&["PING"]));
            let ready = matches!(pong, Ok(Reply::Simple(ref s)) if s == "PONG");
            last = Some(pong);
            Ok(ready)
        });
        ready.with_context(|| {
            format!(
                "{} did not answer PING on port {port} (last: {last:?})",
                self.label
            )
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Calls `condition` every [`POLL_INTERVAL`] until it holds, failing after
/// `timeout` or as soon as `condition` fails.
pub fn poll_until(timeout: Duration, mut condition: impl FnMut() -> Result<bool>) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if condition()? {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!("condition not met within {timeout:?}");
        }
        thread::sleep(POLL_INTERVAL);
    }
}

/// The value of `field` in INFO output (`name:value` lines).
pub fn info_field<'a>(info: &'a str, field: &str) -> Option<&'a str> {
    info.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name == field).then(|| value.trim())
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exact_info_field() {
        let info = "# Memory\r\nused_memory_human:1.11M\r\nused_memory:1164024\r\n";
        assert_eq!(info_field(info, "used_memory"), Some("1164024"));
        assert_eq!(info_field(info, "used_memory_rss"), None);
    }

    #[test]
    fn data_dir_is_removed_on_drop() {
        let parent = std::env::temp_dir();
        let dir = DataDir::create(&parent, "xtask-test").unwrap();
        let path = dir.path().to_path_buf();
        fs::write(path.join("dump.rdb"), b"x").unwrap();
        drop(dir);
        assert!(!path.exists());
    }
}
