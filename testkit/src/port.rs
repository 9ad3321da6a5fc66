//! Loopback ports for test servers, leased so that parallel test threads and
//! processes (other test binaries, other checkouts on the same machine)
//! never hand out the same port.
//!
//! Asking the kernel for port 0 and closing the socket is racy: the port
//! goes back to the ephemeral pool, where the next `bind(0)` or any outgoing
//! connection may take it before the server binds it. Leases instead come
//! from a fixed range below Linux's ephemeral ports (32768 and up), and each
//! is held as an exclusive `flock` on a file in a shared directory until the
//! [`Port`] is dropped; the lock goes away with the process, even on a crash.

use std::fs::{self, File};
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// Leased ports. A cluster bus (port + 10000) stays below the ephemeral
/// range too.
const FIRST: u16 = 15_000;
const END: u16 = 22_768;

/// A loopback port nobody else in any process using this crate gets until
/// this is dropped. Nothing listens on it when it is leased.
#[derive(Debug)]
pub struct Port {
    number: u16,
    /// `None` where the lock directory cannot be used (then only the bind
    /// check protects the port).
    _lock: Option<File>,
}

impl Port {
    /// Leases a free port.
    pub fn lease() -> io::Result<Port> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        static START: OnceLock<u32> = OnceLock::new();
        let len = u32::from(END - FIRST);
        // Processes start at different places so they rarely contend.
        let start = *START.get_or_init(|| std::process::id().wrapping_mul(2_654_435_761) % len);
        let dir = lock_dir();
        for _ in 0..len {
            let offset = (start + NEXT.fetch_add(1, Ordering::Relaxed)) % len;
            let number = FIRST + offset as u16;
            let lock = match &dir {
                Some(dir) => match try_lock(&dir.join(format!("{number}.lock"))) {
                    Some(lock) => Some(lock),
                    None => continue,
                },
                None => None,
            };
            // Something outside this crate may listen there.
            if TcpListener::bind((Ipv4Addr::LOCALHOST, number)).is_ok() {
                return Ok(Port {
                    number,
                    _lock: lock,
                });
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("no free port in {FIRST}..{END}"),
        ))
    }

    pub fn number(&self) -> u16 {
        self.number
    }
}

/// The shared directory of lock files, `None` if it cannot be used.
fn lock_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::temp_dir().join("redust-testkit-ports");
    fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

/// The file, exclusively locked, or `None` if someone else holds it.
fn try_lock(path: &std::path::Path) -> Option<File> {
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .ok()?;
    // SAFETY: flock(2) on a descriptor we own; no memory is involved.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    (rc == 0).then_some(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_are_distinct_and_free_until_dropped() {
        let leases: Vec<Port> = (0..20).map(|_| Port::lease().unwrap()).collect();
        let mut numbers: Vec<u16> = leases.iter().map(Port::number).collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), leases.len());
        assert!(numbers.iter().all(|n| (FIRST..END).contains(n)));
        // Held: a second lock on the same file fails, even in this process.
        let dir = lock_dir().unwrap();
        assert!(try_lock(&dir.join(format!("{}.lock", numbers[0]))).is_none());
    }
}
