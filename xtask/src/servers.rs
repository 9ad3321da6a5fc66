//! What the benchmarks need beyond redust-testkit's servers: connections
//! and probes that report errors instead of panicking, and polling that
//! fails with a message.

use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use testkit::{Client, Reply};

pub use testkit::{Kind, Server, TempDir};

/// Bounds every request the harness itself makes (a bulk load batch included).
pub const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// Connections and INFO probes of a benchmarked server.
pub trait Probe {
    /// A connection with [`IO_TIMEOUT`].
    fn connect(&self) -> Result<Client>;
    /// INFO `section` as text.
    fn info(&self, section: &str) -> Result<String>;
    /// DBSIZE, or `None` while the server refuses it (e.g. -LOADING).
    fn dbsize(&self) -> Result<Option<i64>>;
}

impl Probe for Server {
    fn connect(&self) -> Result<Client> {
        Client::connect_timeout(self.port(), IO_TIMEOUT)
            .with_context(|| format!("connecting to {} on port {}", self.name(), self.port()))
    }

    fn info(&self, section: &str) -> Result<String> {
        match self.connect()?.call(&["INFO", section])? {
            Reply::Bulk(Some(text)) => Ok(String::from_utf8_lossy(&text).into_owned()),
            other => bail!("{}: INFO {section} replied {other:?}", self.name()),
        }
    }

    fn dbsize(&self) -> Result<Option<i64>> {
        Ok(self.connect()?.call(&["DBSIZE"])?.integer())
    }
}

/// Calls `condition` until it holds, failing after `timeout` or as soon as
/// `condition` fails.
pub fn poll_until(timeout: Duration, condition: impl FnMut() -> Result<bool>) -> Result<()> {
    if !testkit::poll_until(timeout, condition)? {
        bail!("condition not met within {timeout:?}");
    }
    Ok(())
}

/// The value of `field` in INFO output (`name:value` lines).
pub fn info_field<'a>(info: &'a str, field: &str) -> Option<&'a str> {
    info.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name == field).then(|| value.trim())
    })
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
}
