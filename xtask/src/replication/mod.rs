//! The replication scenarios, each comparing a Redust master with Redust
//! replicas against a Redis master with Redis replicas:
//! - [`FullSync`]: time for a new replica to fully sync 1M keys;
//! - [`Writes`]: SET throughput on a master with 0 and with 2 replicas;
//! - [`Lag`]: how far a replica trails its master under a SET load.

mod full_sync;
mod lag;
mod writes;

use std::time::Duration;

use anyhow::{bail, Context as _, Result};

use crate::servers::{self, info_field, Probe as _, Server};

pub use full_sync::FullSync;
pub use lag::Lag;
pub use writes::Writes;

const SYNC_TIMEOUT: Duration = Duration::from_secs(300);

/// Masters start a full sync as soon as a replica asks, instead of waiting
/// the default 5 s for more replicas to share the RDB.
fn master_args() -> Vec<String> {
    ["--repl-diskless-sync-delay", "0"]
        .map(String::from)
        .to_vec()
}

/// The arguments that make a server a replica of `master`.
fn replica_of(master: &Server) -> Vec<String> {
    ["--replicaof", "127.0.0.1", &master.port().to_string()]
        .map(String::from)
        .to_vec()
}

/// Waits until `replica` reports its master link up and holds `keys` keys.
/// INFO or DBSIZE failing (e.g. -LOADING) just means not yet.
fn wait_synced(replica: &mut Server, keys: u64) -> Result<()> {
    servers::poll_until(SYNC_TIMEOUT, || {
        replica.check_alive()?;
        let Ok(info) = replica.info("replication") else {
            return Ok(false);
        };
        if info_field(&info, "master_link_status") != Some("up") {
            return Ok(false);
        }
        Ok(replica.dbsize().ok().flatten() == Some(keys as i64))
    })
    .with_context(|| format!("{} replica syncing {keys} keys", replica.name()))
}

/// Waits until every replica has applied all the master has written.
fn wait_caught_up(master: &Server, replicas: &[Server]) -> Result<()> {
    servers::poll_until(SYNC_TIMEOUT, || {
        let target = offset(master, "master_repl_offset")?;
        for replica in replicas {
            let info = replica.info("replication")?;
            if info_field(&info, "master_link_status") != Some("up") {
                bail!("{} replica lost its master link", replica.name());
            }
            if parse_field(&info, "slave_repl_offset")? < target {
                return Ok(false);
            }
        }
        Ok(true)
    })
    .with_context(|| format!("{} replicas catching up", master.name()))
}

/// A numeric field of `server`'s INFO replication.
fn offset(server: &Server, field: &str) -> Result<i64> {
    let info = server.info("replication")?;
    parse_field(&info, field).with_context(|| format!("{}: INFO replication", server.name()))
}

fn parse_field(info: &str, field: &str) -> Result<i64> {
    let value = info_field(info, field).with_context(|| format!("no {field}"))?;
    value
        .parse()
        .with_context(|| format!("{field}:{value} is not an integer"))
}
