//! Replication state as INFO shows it: waiting for links and offsets, and
//! the sync counters of INFO stats.

use super::node::{Info, Node};
use testkit::eventually;

/// `sync_full`, `sync_partial_ok` and `sync_partial_err` from INFO stats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncStats {
    pub full: i64,
    pub partial_ok: i64,
    pub partial_err: i64,
}

impl SyncStats {
    pub fn of(node: &Node) -> SyncStats {
        let stats = node.info("stats");
        SyncStats {
            full: stats.int("sync_full"),
            partial_ok: stats.int("sync_partial_ok"),
            partial_err: stats.int("sync_partial_err"),
        }
    }
}

/// The replica's view of its link, or what is wrong with it.
fn link_up(replica: &Info, master_port: u16) -> Result<(), String> {
    let port = master_port.to_string();
    match (
        replica.get("role"),
        replica.get("master_host"),
        replica.get("master_port"),
        replica.get("master_link_status"),
    ) {
        (Some("slave"), Some("127.0.0.1"), Some(p), Some("up")) if p == port => Ok(()),
        _ => Err(replica.to_string()),
    }
}

/// Waits until `replica` reports its link to the server on `master_port`
/// (a master, or a proxy in front of one) as up.
pub fn wait_link_up(replica: &Node, master_port: u16) {
    eventually(
        format!("{} link up to port {master_port}", replica.label()),
        || link_up(&replica.info("replication"), master_port),
    );
}

/// Waits until every replica (direct or chained under `master`) has its
/// link up and the same replication offset as `master`, and the offsets
/// stay put for one more look (writes have settled).
pub fn wait_in_sync(master: &Node, replicas: &[&Node]) -> i64 {
    let what = format!(
        "{} in sync with {}",
        replicas
            .iter()
            .map(|r| r.label())
            .collect::<Vec<_>>()
            .join(", "),
        master.label()
    );
    eventually(what, || {
        let offset = master.info("replication").int("master_repl_offset");
        let mut states = Vec::new();
        for replica in replicas {
            let info = replica.info("replication");
            let up = info.get("master_link_status") == Some("up");
            let theirs = info.get("master_repl_offset").unwrap_or("?");
            states.push(format!("{}: up={up} offset={theirs}", replica.label()));
            if !up || theirs != offset.to_string() {
                return Err(format!("master offset {offset}; {}", states.join("; ")));
            }
        }
        let again = master.info("replication").int("master_repl_offset");
        if again == offset {
            Ok(offset)
        } else {
            Err(format!("master offset moved {offset} -> {again}"))
        }
    })
}

/// Asserts the INFO replication of both sides: `master` (a master, or a
/// replica relaying to sub-replicas) lists exactly
/// `replicas` (by listening port) as online with acknowledged offsets equal
/// to its own, and each replica shows role slave with its link up.
pub fn assert_attached(master: &Node, replicas: &[&Node]) {
    for replica in replicas {
        let info = replica.info("replication");
        if let Err(state) = link_up(&info, master.port()) {
            panic!(
                "{} not linked to {}:\n{state}",
                replica.label(),
                master.label()
            );
        }
    }
    // Acknowledged offsets arrive with REPLCONF ACK, once a second.
    eventually(
        format!("{} lists its replicas online", master.label()),
        || {
            let info = master.info("replication");
            let offset = info.str("master_repl_offset");
            let listed = info.replicas();
            let mut want: Vec<String> = replicas.iter().map(|r| r.port().to_string()).collect();
            let mut seen: Vec<String> = listed
                .iter()
                .filter(|r| {
                    r.get("ip").map(String::as_str) == Some("127.0.0.1")
                        && r.get("state").map(String::as_str) == Some("online")
                        && r.get("offset").map(String::as_str) == Some(offset)
                        && r.contains_key("lag")
                })
                .filter_map(|r| r.get("port").cloned())
                .collect();
            want.sort();
            seen.sort();
            let count_ok = info.get("connected_slaves") == Some(&replicas.len().to_string());
            if count_ok && want == seen {
                Ok(())
            } else {
                Err(info.to_string())
            }
        },
    );
}
