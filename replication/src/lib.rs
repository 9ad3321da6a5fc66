//! The Redis replication protocol, both sides, without a server around it.
//!
//! This crate owns what must match Redis byte for byte so that Redust and
//! Redis 7 servers replicate from each other:
//!
//! * [`Backlog`]: the ring of the last `repl-backlog-size` bytes of the
//!   replication stream, addressed by replication offsets.
//! * [`Master`]: replication ids (current and previous, PSYNC2), the master
//!   offset, encoding executed writes into the stream (with SELECT when the
//!   database changes) and deciding how to answer a replica's PSYNC.
//! * [`handshake`]: the replica side of the handshake (PING, AUTH,
//!   REPLCONF, PSYNC).
//! * [`payload`]: the replica reading the RDB payload that follows
//!   FULLRESYNC, chunk by chunk, up to its length or its EOF mark.
//!
//! It does not own sockets' lifecycles, the keyspace, client registries or
//! timers: the server drives those and calls in here.

mod backlog;
pub mod handshake;
mod master;
pub mod payload;
mod stream;

pub use backlog::Backlog;
pub use master::{Master, PsyncAnswer};
pub use stream::encode_command;

/// A 40-character replication id, like Redis's `changeReplicationId`.
pub fn new_replid() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..40)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).expect("hex digit"))
        .collect()
}

/// The all-zero id Redis shows when there is no previous id.
pub const NO_REPLID: &str = "0000000000000000000000000000000000000000";
