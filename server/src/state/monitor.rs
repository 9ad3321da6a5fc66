//! The clients in MONITOR mode, and the line each executed command becomes
//! for them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;

use super::clients::{Handle, Mail};

/// Where a monitored command came from, as the line's bracket shows it.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// A client: its `ip:port`.
    Client(std::net::SocketAddr),
    /// A script (`[0 lua]`).
    Lua,
    /// A client on the unix socket at this path.
    Unix(&'a str),
}

#[derive(Default)]
pub struct Monitors {
    /// Read after every command: no lock while nobody monitors.
    any: AtomicBool,
    clients: Mutex<Vec<Arc<Handle>>>,
}

impl Monitors {
    #[inline]
    pub fn any(&self) -> bool {
        self.any.load(Ordering::Relaxed)
    }

    pub fn add(&self, client: Arc<Handle>) {
        let mut clients = self.clients.lock();
        if !clients.iter().any(|c| c.id == client.id) {
            clients.push(client);
        }
        self.any.store(true, Ordering::Relaxed);
    }

    pub fn remove(&self, id: u64) {
        let mut clients = self.clients.lock();
        clients.retain(|c| c.id != id);
        self.any.store(!clients.is_empty(), Ordering::Relaxed);
    }

    /// Sends every monitor the line for `args` run in `db`, stamped now.
    pub fn feed(&self, db: usize, source: Source, args: &[Bytes]) {
        let clients = self.clients.lock();
        if clients.is_empty() {
            return;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let line = Bytes::from(line(now, db, source, args));
        for c in clients.iter() {
            c.send(Mail::Push(line.clone()));
        }
    }
}

/// `+1700000000.123456 [0 127.0.0.1:1234] "set" "k" "v"\r\n`: Redis's
/// `replicationFeedMonitors` line, arguments quoted as `sdscatrepr` does.
pub fn line(now: std::time::Duration, db: usize, source: Source, args: &[Bytes]) -> Vec<u8> {
    let mut out = format!("+{}.{:06} ", now.as_secs(), now.subsec_micros()).into_bytes();
    let from = match source {
        Source::Client(addr) => format!("[{db} {addr}] "),
        Source::Lua => format!("[{db} lua] "),
        Source::Unix(path) => format!("[{db} unix:{path}] "),
    };
    out.extend_from_slice(from.as_bytes());
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        repr(&mut out, arg);
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Appends `s` quoted like Redis's `sdscatrepr`.
fn repr(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &c in s {
        match c {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(c),
            c => out.extend_from_slice(format!("\\x{c:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_redis_writes_them() {
        let t = std::time::Duration::new(1_700_000_000, 123_456_789);
        let addr = "127.0.0.1:1234".parse().unwrap();
        let args = [
            Bytes::from("set"),
            Bytes::from("k"),
            Bytes::from(&b"a\"\\\n\x01\xff"[..]),
        ];
        assert_eq!(
            line(t, 0, Source::Client(addr), &args),
            b"+1700000000.123456 [0 127.0.0.1:1234] \"set\" \"k\" \"a\\\"\\\\\\n\\x01\\xff\"\r\n"
        );
        assert_eq!(
            line(t, 3, Source::Lua, &args[..1]),
            b"+1700000000.123456 [3 lua] \"set\"\r\n"
        );
    }
}
