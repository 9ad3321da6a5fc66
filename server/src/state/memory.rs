//! maxmemory as the hot path reads it, and the used-memory figures kept
//! between INFO calls.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// The maxmemory settings the hot path reads without locking the config.
#[derive(Default)]
pub struct Limits {
    /// `maxmemory` in bytes; 0 disables the whole mechanism.
    maxmemory: AtomicU64,
    /// `replica-ignore-maxmemory`: a replica mirrors its master instead.
    ignore_on_replica: AtomicBool,
    /// Time one eviction run may take (`maxmemory-eviction-tenacity`).
    budget_us: AtomicU64,
}

impl Limits {
    pub fn maxmemory(&self) -> u64 {
        self.maxmemory.load(Ordering::Relaxed)
    }

    pub fn ignore_on_replica(&self) -> bool {
        self.ignore_on_replica.load(Ordering::Relaxed)
    }

    pub fn budget(&self) -> Duration {
        Duration::from_micros(self.budget_us.load(Ordering::Relaxed))
    }

    pub fn set(&self, maxmemory: u64, ignore_on_replica: bool, budget_us: u64) {
        self.maxmemory.store(maxmemory, Ordering::Relaxed);
        self.ignore_on_replica
            .store(ignore_on_replica, Ordering::Relaxed);
        self.budget_us.store(budget_us, Ordering::Relaxed);
    }
}
