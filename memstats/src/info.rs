//! The `# Memory` section of INFO, byte for byte as Redis 7.0.15 prints it.

use std::fmt::{self, Display, Write};

use crate::{allocator_name, bytes_to_human, MemoryOverhead, Snapshot};

/// What only the server knows about its memory, in bytes unless noted.
/// Field names follow the INFO fields they feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoInputs {
    /// Allocated bytes once the server finished starting up.
    pub used_memory_startup: u64,
    /// Peak of used memory, from [`crate::Peak::observe`].
    pub peak: u64,
    /// The `maxmemory` setting (0 = no limit).
    pub maxmemory: u64,
    /// The `maxmemory-policy` setting, e.g. `"noeviction"` (the default).
    pub maxmemory_policy: String,
    /// Keyspace tables: per-key entries, bucket arrays and expire tables of
    /// every db (Redis's `overhead.hashtable.main` + `.expires`).
    pub dataset_overhead: u64,
    /// Replication backlog.
    pub mem_replication_backlog: u64,
    /// Output buffers held only for replicas (beyond the backlog).
    pub mem_clients_slaves: u64,
    /// Query and output buffers of normal, pubsub and master clients.
    pub mem_clients_normal: u64,
    /// Cluster bus links (0 without cluster mode).
    pub mem_cluster_links: u64,
    /// All replication buffers: backlog plus replica output.
    pub mem_total_replication_buffers: u64,
    /// AOF buffer not yet written (0 when AOF is off).
    pub mem_aof_buffer: u64,
    /// Scripting engine memory for EVAL (`used_memory_vm_eval`, also printed
    /// as the deprecated `used_memory_lua`); not part of used memory.
    pub used_memory_vm_eval: u64,
    /// EVAL script cache overhead (part of used memory).
    pub used_memory_scripts_eval: u64,
    pub number_of_cached_scripts: u64,
    pub number_of_functions: u64,
    pub number_of_libraries: u64,
    /// Scripting engine memory for functions; not part of used memory.
    pub used_memory_vm_functions: u64,
    /// Function library overhead (part of used memory).
    pub used_memory_functions: u64,
    /// `active_defrag_running`: the defragger's CPU effort while it runs.
    pub active_defrag_running: u32,
    /// Objects queued for freeing in the background.
    pub lazyfree_pending_objects: u64,
    /// Objects freed in the background since the last CONFIG RESETSTAT.
    pub lazyfreed_objects: u64,
}

impl Default for InfoInputs {
    fn default() -> Self {
        InfoInputs {
            used_memory_startup: 0,
            peak: 0,
            maxmemory: 0,
            maxmemory_policy: "noeviction".to_owned(),
            dataset_overhead: 0,
            mem_replication_backlog: 0,
            mem_clients_slaves: 0,
            mem_clients_normal: 0,
            mem_cluster_links: 0,
            mem_total_replication_buffers: 0,
            mem_aof_buffer: 0,
            used_memory_vm_eval: 0,
            used_memory_scripts_eval: 0,
            number_of_cached_scripts: 0,
            number_of_functions: 0,
            number_of_libraries: 0,
            used_memory_vm_functions: 0,
            used_memory_functions: 0,
            active_defrag_running: 0,
            lazyfree_pending_objects: 0,
            lazyfreed_objects: 0,
        }
    }
}

impl InfoInputs {
    /// `used_memory_overhead`: what Redis's `getMemoryOverheadData` sums.
    pub fn overhead_total(&self) -> u64 {
        [
            self.used_memory_startup,
            self.mem_replication_backlog,
            self.mem_clients_slaves,
            self.mem_clients_normal,
            self.mem_cluster_links,
            self.mem_aof_buffer,
            self.used_memory_scripts_eval,
            self.used_memory_functions,
            self.dataset_overhead,
        ]
        .iter()
        .fold(0u64, |sum, &n| sum.saturating_add(n))
    }

    /// `mem_not_counted_for_evict`: memory that maxmemory eviction ignores
    /// because freeing keys would not shrink it. As in Redis's
    /// `freeMemoryGetNotCountedMemory`: replication buffers beyond the backlog
    /// (held for replicas) and the AOF buffer.
    pub fn not_counted_for_evict(&self) -> u64 {
        self.mem_clients_slaves.saturating_add(self.mem_aof_buffer)
    }
}

/// A ratio printed with C's `"%.2f"`, including its spelling of NaN and
/// infinity (what Redis shows when a denominator is zero).
struct CFloat(f32);

impl Display for CFloat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        let sign = if v.is_sign_negative() { "-" } else { "" };
        if v.is_nan() {
            write!(f, "{sign}nan")
        } else if v.is_infinite() {
            write!(f, "{sign}inf")
        } else {
            write!(f, "{:.2}", f64::from(v))
        }
    }
}

/// A percentage printed with `"%.2f%%"`.
struct CPercent(f32);

impl Display for CPercent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", CFloat(self.0))
    }
}

/// Builds the `# Memory` INFO section: `"# Memory\r\n"` then one
/// `name:value\r\n` line per field, in Redis 7.0.15's order and formats.
/// `used_memory` is [`Snapshot::used_memory`]; the derived figures come from
/// [`MemoryOverhead::compute`]. The peak shown is never below current usage.
pub fn info_memory(inputs: &InfoInputs, snap: &Snapshot) -> String {
    let mh = MemoryOverhead::compute(inputs, snap);
    let used = mh.total_allocated;
    let vm_total = inputs
        .used_memory_vm_eval
        .saturating_add(inputs.used_memory_vm_functions);
    let scripts = inputs
        .used_memory_scripts_eval
        .saturating_add(inputs.used_memory_functions);

    let mut out = String::with_capacity(2048);
    out.push_str("# Memory\r\n");
    let mut field = |name: &str, value: &dyn Display| {
        // Writing into a String cannot fail.
        let _ = write!(out, "{name}:{value}\r\n");
    };
    let human = bytes_to_human;
    field("used_memory", &used);
    field("used_memory_human", &human(used));
    field("used_memory_rss", &snap.rss);
    field("used_memory_rss_human", &human(snap.rss));
    field("used_memory_peak", &mh.peak_allocated);
    field("used_memory_peak_human", &human(mh.peak_allocated));
    field("used_memory_peak_perc", &CPercent(mh.peak_perc));
    field("used_memory_overhead", &mh.overhead_total);
    field("used_memory_startup", &mh.startup_allocated);
    field("used_memory_dataset", &mh.dataset);
    field("used_memory_dataset_perc", &CPercent(mh.dataset_perc));
    field("allocator_allocated", &snap.allocated);
    field("allocator_active", &snap.active);
    field("allocator_resident", &snap.resident);
    field("total_system_memory", &snap.total_system_memory);
    field(
        "total_system_memory_human",
        &human(snap.total_system_memory),
    );
    field("used_memory_lua", &inputs.used_memory_vm_eval);
    field("used_memory_vm_eval", &inputs.used_memory_vm_eval);
    field("used_memory_lua_human", &human(inputs.used_memory_vm_eval));
    field("used_memory_scripts_eval", &inputs.used_memory_scripts_eval);
    field("number_of_cached_scripts", &inputs.number_of_cached_scripts);
    field("number_of_functions", &inputs.number_of_functions);
    field("number_of_libraries", &inputs.number_of_libraries);
    field("used_memory_vm_functions", &inputs.used_memory_vm_functions);
    field("used_memory_vm_total", &vm_total);
    field("used_memory_vm_total_human", &human(vm_total));
    field("used_memory_functions", &inputs.used_memory_functions);
    field("used_memory_scripts", &scripts);
    field("used_memory_scripts_human", &human(scripts));
    field("maxmemory", &inputs.maxmemory);
    field("maxmemory_human", &human(inputs.maxmemory));
    field("maxmemory_policy", &inputs.maxmemory_policy);
    field("allocator_frag_ratio", &CFloat(mh.allocator_frag));
    // Redis prints this one difference unsigned (%zu).
    field("allocator_frag_bytes", &(mh.allocator_frag_bytes as u64));
    field("allocator_rss_ratio", &CFloat(mh.allocator_rss));
    field("allocator_rss_bytes", &mh.allocator_rss_bytes);
    field("rss_overhead_ratio", &CFloat(mh.rss_extra));
    field("rss_overhead_bytes", &mh.rss_extra_bytes);
    field("mem_fragmentation_ratio", &CFloat(mh.total_frag));
    field("mem_fragmentation_bytes", &mh.total_frag_bytes);
    field("mem_not_counted_for_evict", &inputs.not_counted_for_evict());
    field("mem_replication_backlog", &inputs.mem_replication_backlog);
    field(
        "mem_total_replication_buffers",
        &inputs.mem_total_replication_buffers,
    );
    field("mem_clients_slaves", &inputs.mem_clients_slaves);
    field("mem_clients_normal", &inputs.mem_clients_normal);
    field("mem_cluster_links", &inputs.mem_cluster_links);
    field("mem_aof_buffer", &inputs.mem_aof_buffer);
    field("mem_allocator", &allocator_name());
    field("active_defrag_running", &inputs.active_defrag_running);
    field("lazyfree_pending_objects", &inputs.lazyfree_pending_objects);
    field("lazyfreed_objects", &inputs.lazyfreed_objects);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_float_formatting() {
        assert_eq!(CFloat(1.0625).to_string(), "1.06");
        assert_eq!(CFloat(13.834_9).to_string(), "13.83");
        assert_eq!(CFloat(-0.5).to_string(), "-0.50");
        assert_eq!(CFloat(f32::INFINITY).to_string(), "inf");
        assert_eq!(CFloat(-f32::NAN).to_string(), "-nan");
        assert_eq!(CPercent(99.68).to_string(), "99.68%");
    }

    #[test]
    fn not_counted_for_evict_is_replica_buffers_and_aof() {
        let inputs = InfoInputs {
            mem_replication_backlog: 1 << 20,
            mem_clients_slaves: 3000,
            mem_aof_buffer: 40,
            ..InfoInputs::default()
        };
        assert_eq!(inputs.not_counted_for_evict(), 3040);
    }
}
