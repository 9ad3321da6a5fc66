//! Server-wide counters INFO stats shows that are not the engine's.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

/// Counters shown by INFO stats that are not the engine's.
#[derive(Default)]
pub struct Counters {
    pub connections_received: AtomicU64,
    pub commands_processed: AtomicU64,
    pub net_input_bytes: AtomicU64,
    pub net_output_bytes: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub unexpected_error_replies: AtomicU64,
    pub total_error_replies: AtomicU64,
    /// Error replies by code, for INFO errorstats.
    errorstats: Mutex<BTreeMap<String, u64>>,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Counts an error reply; `text` is the reply after its `-`.
    pub fn count_error(&self, text: &[u8]) {
        let code = text
            .split(|&b| b == b' ' || b == b'\r')
            .next()
            .unwrap_or_default();
        Counters::add(&self.total_error_replies, 1);
        let code = String::from_utf8_lossy(code).into_owned();
        *self.errorstats.lock().entry(code).or_default() += 1;
    }

    /// Error replies by code (INFO errorstats).
    pub fn errorstats(&self) -> BTreeMap<String, u64> {
        self.errorstats.lock().clone()
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&self) {
        for c in [
            &self.connections_received,
            &self.commands_processed,
            &self.net_input_bytes,
            &self.net_output_bytes,
            &self.rejected_connections,
            &self.unexpected_error_replies,
            &self.total_error_replies,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        self.errorstats.lock().clear();
    }
}
