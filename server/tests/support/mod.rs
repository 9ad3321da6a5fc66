//! What the server's integration tests share beyond redust-testkit (which
//! starts the servers, talks RESP and waits): the differential script format
//! and small data generators.

// Each test binary compiles this module and uses only part of it.
#![allow(dead_code, unused_imports)]

pub mod script;

pub use testkit::{
    escape, redis_available, redust_bin, reply, tool_available, Client, Kind, Reply, Server,
    TempDir, REDIS_SERVER,
};

/// A command made of a fixed head and generated arguments.
pub fn with_args(head: &[&str], tail: impl IntoIterator<Item = String>) -> Vec<Vec<u8>> {
    let mut args: Vec<Vec<u8>> = head.iter().map(|a| a.as_bytes().to_vec()).collect();
    args.extend(tail.into_iter().map(String::into_bytes));
    args
}

/// Pseudo-random bytes that LZF cannot shrink.
pub fn noise(len: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
