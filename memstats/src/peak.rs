//! Peak of used memory (`used_memory_peak`).

use std::sync::atomic::{AtomicU64, Ordering};

/// The highest used-memory figure observed so far. Lock-free, so it can be a
/// `static` updated from a cron task and from INFO at the same time.
///
/// Like Redis's `stat_peak_memory` it is never reset (not even by
/// `CONFIG RESETSTAT`).
#[derive(Debug, Default)]
pub struct Peak(AtomicU64);

impl Peak {
    pub const fn new() -> Self {
        Peak(AtomicU64::new(0))
    }

    /// Records `used` and returns the peak including it.
    pub fn observe(&self, used: u64) -> u64 {
        self.0.fetch_max(used, Ordering::Relaxed).max(used)
    }

    /// The peak so far, without recording anything.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::Peak;

    #[test]
    fn keeps_the_maximum() {
        let peak = Peak::new();
        assert_eq!(peak.get(), 0);
        assert_eq!(peak.observe(10), 10);
        assert_eq!(peak.observe(7), 10);
        assert_eq!(peak.observe(12), 12);
        assert_eq!(peak.get(), 12);
    }
}
