//! The slow log (SLOWLOG): the last `slowlog-max-len` commands that took at
//! least `slowlog-log-slower-than` microseconds, newest first.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use bytes::Bytes;
use parking_lot::Mutex;

use super::clients::Handle;

/// At most this many arguments are kept; the last one kept says how many
/// were left out (Redis's `SLOWLOG_ENTRY_MAX_ARGC`).
const MAX_ARGS: usize = 32;
/// Longer arguments are cut to this many bytes (`SLOWLOG_ENTRY_MAX_STRING`).
const MAX_STRING: usize = 128;

/// One logged command, as SLOWLOG GET shows it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: u64,
    /// Unix seconds when it was logged.
    pub time: u64,
    pub micros: u64,
    /// The arguments, trimmed as Redis trims them.
    pub args: Vec<Bytes>,
    /// `ip:port` of the client.
    pub peer: String,
    pub client_name: String,
}

#[derive(Default)]
struct Log {
    entries: VecDeque<Entry>,
    next_id: u64,
}

/// The log and its two settings, kept here as atomics: the threshold is
/// read after every command, where the config lock would cost more.
pub struct SlowLog {
    /// Microseconds; negative turns the log off.
    slower_than: AtomicI64,
    max_len: AtomicU64,
    log: Mutex<Log>,
}

impl Default for SlowLog {
    fn default() -> Self {
        SlowLog {
            slower_than: AtomicI64::new(10_000),
            max_len: AtomicU64::new(128),
            log: Mutex::default(),
        }
    }
}

impl SlowLog {
    /// Applies `slowlog-log-slower-than` and `slowlog-max-len`.
    pub fn configure(&self, slower_than: i64, max_len: u64) {
        self.slower_than.store(slower_than, Ordering::Relaxed);
        self.max_len.store(max_len, Ordering::Relaxed);
    }

    /// Whether a command that took `micros` is to be logged.
    #[inline]
    pub fn is_slow(&self, micros: u64) -> bool {
        let t = self.slower_than.load(Ordering::Relaxed);
        t >= 0 && micros >= t as u64
    }

    /// Logs a command (already known slow), dropping the oldest entries
    /// beyond `slowlog-max-len`.
    pub fn push(&self, args: &[Bytes], micros: u64, peer: String, client_name: String) {
        let mut log = self.log.lock();
        let entry = Entry {
            id: log.next_id,
            time: crate::time::unix_secs(),
            micros,
            args: trim_args(args),
            peer,
            client_name,
        };
        log.next_id += 1;
        log.entries.push_front(entry);
        let max = self.max_len.load(Ordering::Relaxed);
        log.entries
            .truncate(usize::try_from(max).unwrap_or(usize::MAX));
    }

    /// Logs a command `client` ran if it took long enough (a blocked
    /// command, once served or timed out).
    pub fn push_if_slow(&self, client: &Handle, args: &[Bytes], micros: u64) {
        if self.is_slow(micros) {
            let (peer, name) = {
                let info = client.info.lock();
                (info.addr.to_string(), info.name.clone())
            };
            self.push(args, micros, peer, name);
        }
    }

    /// The newest `count` entries.
    pub fn newest(&self, count: usize) -> Vec<Entry> {
        self.log
            .lock()
            .entries
            .iter()
            .take(count)
            .cloned()
            .collect()
    }

    pub fn len(&self) -> usize {
        self.log.lock().entries.len()
    }

    /// SLOWLOG RESET: the ids keep counting.
    pub fn reset(&self) {
        self.log.lock().entries.clear();
    }
}

/// Redis's trimming: at most 32 arguments, the 32nd replaced by
/// `... (N more arguments)`, and each cut to 128 bytes followed by
/// `... (N more bytes)`.
fn trim_args(args: &[Bytes]) -> Vec<Bytes> {
    let kept = args.len().min(MAX_ARGS);
    let mut out = Vec::with_capacity(kept);
    for (i, arg) in args.iter().take(kept).enumerate() {
        if kept < args.len() && i == kept - 1 {
            let more = args.len() - kept + 1;
            out.push(Bytes::from(format!("... ({more} more arguments)")));
        } else if arg.len() > MAX_STRING {
            let mut s = arg[..MAX_STRING].to_vec();
            s.extend_from_slice(format!("... ({} more bytes)", arg.len() - MAX_STRING).as_bytes());
            out.push(Bytes::from(s));
        } else {
            out.push(arg.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(n: usize) -> Vec<Bytes> {
        (0..n).map(|i| Bytes::from(i.to_string())).collect()
    }

    #[test]
    fn long_commands_are_trimmed_like_redis() {
        let t = trim_args(&args(34));
        assert_eq!(t.len(), 32);
        assert_eq!(t[30], "30");
        assert_eq!(t[31], "... (3 more arguments)");
        assert_eq!(trim_args(&args(32)), args(32));
        let long = Bytes::from(vec![b'A'; 130]);
        let t = trim_args(&[long]);
        assert_eq!(&t[0][..128], &[b'A'; 128][..]);
        assert_eq!(&t[0][128..], b"... (2 more bytes)");
    }

    #[test]
    fn newest_first_bounded_by_max_len() {
        let log = SlowLog::default();
        log.configure(0, 2);
        assert!(log.is_slow(0));
        for _ in 0..3 {
            log.push(&args(1), 5, "1.2.3.4:5".into(), String::new());
        }
        let e = log.newest(10);
        assert_eq!((e.len(), e[0].id, e[1].id), (2, 2, 1));
        log.reset();
        assert_eq!(log.len(), 0);
        log.configure(-1, 2);
        assert!(!log.is_slow(u64::MAX));
    }
}
