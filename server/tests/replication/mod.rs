//! Helpers for the replication tests: server nodes of either kind with their
//! own data directory, INFO parsing and replication-state polling, dataset
//! comparison and write loads, a link-cutting TCP proxy, and a socket option
//! probe.

pub mod dataset;
pub mod node;
pub mod proxy;
pub mod sockopt;
pub mod topology;
pub mod workload;
