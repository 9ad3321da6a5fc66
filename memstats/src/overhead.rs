//! The derived figures of Redis's `getMemoryOverheadData`, shared by INFO
//! memory and, later, MEMORY STATS and MEMORY DOCTOR.

use crate::{InfoInputs, Snapshot};

/// Overhead, dataset and fragmentation figures computed the way Redis 7.0
/// does. Ratios are `f32` because Redis computes them in `float`, which
/// decides the last printed digit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryOverhead {
    /// `used_memory`.
    pub total_allocated: u64,
    /// `used_memory_startup`.
    pub startup_allocated: u64,
    /// `used_memory_peak`: the tracked peak, raised to the current usage if
    /// that is higher (Redis does the same so INFO never shows peak < used).
    pub peak_allocated: u64,
    /// `used_memory_overhead`: startup memory plus every buffer and table the
    /// server reports in [`InfoInputs`].
    pub overhead_total: u64,
    /// `used_memory_dataset`: used minus overhead (zero rather than Redis's
    /// unsigned wrap-around if the overhead estimate exceeds usage).
    pub dataset: u64,
    /// `used_memory_dataset_perc`: dataset as a percentage of usage above
    /// startup.
    pub dataset_perc: f32,
    /// `used_memory_peak_perc`: used as a percentage of the peak.
    pub peak_perc: f32,
    /// `allocator_frag_ratio` = active / allocated.
    pub allocator_frag: f32,
    /// `allocator_frag_bytes` = active - allocated.
    pub allocator_frag_bytes: i64,
    /// `allocator_rss_ratio` = resident / active.
    pub allocator_rss: f32,
    /// `allocator_rss_bytes` = resident - active.
    pub allocator_rss_bytes: i64,
    /// `rss_overhead_ratio` = rss / resident.
    pub rss_extra: f32,
    /// `rss_overhead_bytes` = rss - resident.
    pub rss_extra_bytes: i64,
    /// `mem_fragmentation_ratio` = rss / used.
    pub total_frag: f32,
    /// `mem_fragmentation_bytes` = rss - used.
    pub total_frag_bytes: i64,
}

/// `(float)num / den` as Redis writes it: 0/0 is NaN and x/0 infinite, which
/// INFO prints as C does (see `info.rs`).
pub(crate) fn ratio(num: u64, den: u64) -> f32 {
    num as f32 / den as f32
}

/// `(float)num * 100 / den`, Redis's percentage in `float` arithmetic.
fn percent(num: u64, den: u64) -> f32 {
    num as f32 * 100.0 / den as f32
}

/// Signed difference of two byte counts, as Redis's `size_t` subtraction
/// printed with `%zd`.
fn diff(a: u64, b: u64) -> i64 {
    (a as i64).wrapping_sub(b as i64)
}

impl MemoryOverhead {
    pub fn compute(inputs: &InfoInputs, snap: &Snapshot) -> Self {
        let used = snap.used_memory();
        let startup = inputs.used_memory_startup;
        let peak = inputs.peak.max(used);
        let overhead_total = inputs.overhead_total();
        let dataset = used.saturating_sub(overhead_total);
        // Redis divides by 1 when usage has not grown past startup.
        let net_usage = if used > startup { used - startup } else { 1 };
        MemoryOverhead {
            total_allocated: used,
            startup_allocated: startup,
            peak_allocated: peak,
            overhead_total,
            dataset,
            dataset_perc: percent(dataset, net_usage),
            peak_perc: percent(used, peak),
            allocator_frag: ratio(snap.active, snap.allocated),
            allocator_frag_bytes: diff(snap.active, snap.allocated),
            allocator_rss: ratio(snap.resident, snap.active),
            allocator_rss_bytes: diff(snap.resident, snap.active),
            rss_extra: ratio(snap.rss, snap.resident),
            rss_extra_bytes: diff(snap.rss, snap.resident),
            total_frag: ratio(snap.rss, used),
            total_frag_bytes: diff(snap.rss, used),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap() -> Snapshot {
        Snapshot {
            allocated: 1_000_000,
            tcache: 0,
            active: 1_100_000,
            resident: 1_650_000,
            mapped: 2_000_000,
            retained: 0,
            metadata: 10_000,
            rss: 3_300_000,
            total_system_memory: 1 << 30,
        }
    }

    #[test]
    fn derives_like_redis() {
        let inputs = InfoInputs {
            used_memory_startup: 800_000,
            peak: 2_000_000,
            mem_clients_normal: 20_000,
            dataset_overhead: 30_000,
            ..InfoInputs::default()
        };
        let mh = MemoryOverhead::compute(&inputs, &snap());
        assert_eq!(mh.overhead_total, 850_000);
        assert_eq!(mh.dataset, 150_000);
        assert_eq!(mh.dataset_perc, 75.0);
        assert_eq!(mh.peak_perc, 50.0);
        assert_eq!(mh.allocator_frag, 1.1);
        assert_eq!(mh.allocator_frag_bytes, 100_000);
        assert_eq!(mh.allocator_rss, 1.5);
        assert_eq!(mh.rss_extra, 2.0);
        assert_eq!(mh.rss_extra_bytes, 1_650_000);
        assert_eq!(mh.total_frag, 3.3);
        assert_eq!(mh.total_frag_bytes, 2_300_000);
    }

    #[test]
    fn peak_never_below_used_and_no_wraparound() {
        let inputs = InfoInputs {
            used_memory_startup: 2_000_000,
            dataset_overhead: 5_000_000,
            ..InfoInputs::default()
        };
        let mh = MemoryOverhead::compute(&inputs, &snap());
        assert_eq!(mh.peak_allocated, 1_000_000);
        assert_eq!(mh.peak_perc, 100.0);
        assert_eq!(mh.dataset, 0);
        assert_eq!(mh.dataset_perc, 0.0);
    }

    #[test]
    fn empty_snapshot_gives_c_float_results() {
        let mh = MemoryOverhead::compute(&InfoInputs::default(), &Snapshot::default());
        assert!(mh.allocator_frag.is_nan());
        assert!(mh.peak_perc.is_nan());
        assert_eq!(mh.total_frag_bytes, 0);
    }
}
