//! The one test harness of the workspace, used by the server, cli and engine
//! tests and by xtask's benchmarks.
//!
//! It owns:
//! - [`Server`]: Redust or redis-server on a leased loopback [`Port`]
//!   (distinct across test threads and processes), started with a builder
//!   (arguments, redis.conf lines, a directory, where its log goes, when it
//!   counts as ready), killed on drop, restartable on the same port and
//!   directory; [`redust_bin`] finds the binary under test.
//! - [`Client`]: a blocking RESP client with timeouts, typed ([`Reply`]) or
//!   raw replies, pipelining and raw bytes for protocol tests.
//! - [`poll_until`], [`wait_until`], [`eventually`]: waiting for another
//!   process by polling under a deadline, never by sleeping.
//! - [`redis_available`] / [`tool_available`]: the SKIP notice that lets a
//!   machine without redis-tools pass.
//! - [`TempDir`] and [`Capture`]: scratch directories and child output.
//! - [`fuzz`]: the differential fuzzer's seeded command generator and the
//!   runner comparing Redust with redis-server, shared by the CI test and
//!   `cargo xtask fuzz`.
//!
//! It does not own what a test suite checks: the differential script
//! format, datasets, replication topologies and CLI runs stay with the
//! tests that use them. It does not depend on any workspace crate, so the
//! code under test never judges itself.

mod client;
mod fs;
pub mod fuzz;
mod port;
pub mod reply;
mod server;
mod wait;

pub use client::Client;
pub use fs::{Capture, TempDir};
pub use port::Port;
pub use reply::{escape, Reply};
pub use server::{
    redis_available, redust_bin, tool_available, workspace_bin, Builder, Error, Kind, Ready,
    Server, REDIS_SERVER,
};
pub use wait::{eventually, eventually_within, poll_until, wait_until, DEADLINE, POLL_INTERVAL};
