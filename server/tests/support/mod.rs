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
