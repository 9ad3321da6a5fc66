//! Shared harness for the server's integration tests: starting servers on
//! free ports, a minimal blocking RESP client, and the script format used by
//! the differential tests.

// Each test binary compiles this module and uses only part of it.
#![allow(dead_code, unused_imports)]

pub mod client;
pub mod reply;
pub mod script;
pub mod server;

pub use client::Client;
pub use server::{redis_available, Server};

/// Returns true when `tool` exists; otherwise prints the skip notice the
/// tests use so a fresh machine without redis-tools still passes.
pub fn tool_available(tool: &str) -> bool {
    let path = std::path::Path::new(tool);
    if path.exists() {
        return true;
    }
    let name = path
        .file_name()
        .map_or(tool.into(), |n| n.to_string_lossy());
    eprintln!("SKIP: {name} not installed");
    false
}

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
