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
    random_hex(40)
}

/// `len` random lower-case hex digits, like Redis's `getRandomHexChars`:
/// replication ids, run ids, the EOF mark of a diskless full sync. From
/// the operating system-seeded CSPRNG of `rand`, so ids do not repeat
/// across restarts or processes.
pub fn random_hex(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).expect("hex digit"))
        .collect()
}

/// The all-zero id Redis shows when there is no previous id.
pub const NO_REPLID: &str = "0000000000000000000000000000000000000000";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_hex_and_differ() {
        let (a, b) = (new_replid(), new_replid());
        assert_eq!(a.len(), 40);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
        assert_ne!(a, b);
        assert_eq!(random_hex(0), "");
        assert_eq!(random_hex(7).len(), 7);
    }
}

// The README's examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
