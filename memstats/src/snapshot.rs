//! One consistent reading of allocator and process memory.

use crate::{jemalloc, process};

/// Memory figures sampled at one moment, all in bytes.
///
/// The allocator fields are jemalloc's `stats.*` and are zero when jemalloc
/// is not the global allocator (see the crate docs).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// `stats.allocated`: bytes in live allocations, counting freed blocks
    /// kept in thread caches (INFO's `allocator_allocated`).
    pub allocated: u64,
    /// Bytes of freed blocks kept in thread caches
    /// (`stats.arenas.<all>.tcache_bytes`).
    pub tcache: u64,
    /// `stats.active`: bytes in active pages (allocated plus page slack).
    pub active: u64,
    /// `stats.resident`: bytes in pages jemalloc holds resident.
    pub resident: u64,
    /// `stats.mapped`: bytes in extents mapped by jemalloc.
    pub mapped: u64,
    /// `stats.retained`: bytes retained (virtual, not returned to the OS).
    pub retained: u64,
    /// `stats.metadata`: jemalloc's own bookkeeping.
    pub metadata: u64,
    /// Resident set size of the whole process.
    pub rss: u64,
    /// Physical memory of the machine.
    pub total_system_memory: u64,
}

impl Snapshot {
    /// `used_memory` as this crate defines it: what the program holds,
    /// i.e. allocated minus the thread caches. Redis counts its own
    /// `zmalloc` calls, which is the same thing; jemalloc's `allocated`
    /// alone moves by hundreds of KB as thread caches fill and drain.
    pub fn used_memory(&self) -> u64 {
        self.allocated.saturating_sub(self.tcache)
    }
}

/// Advances jemalloc's epoch and reads its counters, the process RSS and the
/// machine's memory. Costs a few syscalls and file reads: call it from a cron
/// task or for INFO / MEMORY, not per command.
pub fn snapshot() -> Snapshot {
    let stats = jemalloc::read_stats();
    Snapshot {
        allocated: stats.allocated,
        tcache: stats.tcache,
        active: stats.active,
        resident: stats.resident,
        mapped: stats.mapped,
        retained: stats.retained,
        metadata: stats.metadata,
        rss: process::process_rss(),
        total_system_memory: process::total_system_memory(),
    }
}
