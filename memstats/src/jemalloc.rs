//! The bundled jemalloc: is it in use, its name, its statistics and purge.

use std::hint::black_box;
use std::ptr;
use std::sync::OnceLock;

use tikv_jemalloc_ctl::stats_print::{self, Options};
use tikv_jemalloc_ctl::{epoch, epoch_mib, raw, stats, thread, version};

/// jemalloc's `MALLCTL_ARENAS_ALL`: the arena index meaning "every arena".
const ARENAS_ALL: u32 = 4096;

/// What Redis's MEMORY MALLOC-STATS answers when not built with jemalloc.
const STATS_NOT_SUPPORTED: &str = "Stats not supported for the current allocator";

/// MEMORY PURGE failed; the message is Redis's error text.
#[derive(Debug, thiserror::Error)]
#[error("Error purging dirty pages")]
pub struct PurgeError {
    /// The errno jemalloc's `mallctl` returned.
    pub code: i32,
}

/// Whether [`crate::Allocator`] is this process's global allocator.
///
/// jemalloc is linked in either way (with prefixed symbols), so its statistics
/// can always be read; they only describe the process when it serves the
/// global allocator. Detected once: an allocation through the global
/// allocator must show up in jemalloc's per-thread allocation counter.
pub fn jemalloc_is_global() -> bool {
    static GLOBAL: OnceLock<bool> = OnceLock::new();
    *GLOBAL.get_or_init(|| {
        const PROBE: usize = 64 * 1024;
        let Ok(counter) = thread::allocatedp::read() else {
            return false;
        };
        let before = counter.get();
        let probe = black_box(Vec::<u8>::with_capacity(PROBE));
        let after = counter.get();
        drop(probe);
        after.wrapping_sub(before) >= PROBE as u64
    })
}

/// The `mem_allocator` INFO field: `"jemalloc-5.3.0"` (the version without
/// jemalloc's git suffix, as Redis prints it) or `"libc"` when jemalloc is not
/// the global allocator.
pub fn allocator_name() -> String {
    if !jemalloc_is_global() {
        return "libc".to_owned();
    }
    match version::read() {
        Ok(v) => format!("jemalloc-{}", v.split('-').next().unwrap_or(v)),
        Err(_) => "jemalloc".to_owned(),
    }
}

/// jemalloc's `stats.*` counters, refreshed by advancing the epoch.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct AllocatorStats {
    pub allocated: u64,
    pub active: u64,
    pub resident: u64,
    pub mapped: u64,
    pub retained: u64,
    pub metadata: u64,
    /// `stats.arenas.<all>.tcache_bytes`: freed blocks parked in thread
    /// caches, which `allocated` still counts.
    pub tcache: u64,
}

/// `stats.arenas.<all>.tcache_bytes`.
const TCACHE_BYTES: &[u8] = b"stats.arenas.4096.tcache_bytes\0";

/// Reads the allocator counters; all zero when jemalloc is not the global
/// allocator (they would describe an idle jemalloc, not this process).
pub(crate) fn read_stats() -> AllocatorStats {
    if !jemalloc_is_global() || epoch::advance().is_err() {
        return AllocatorStats::default();
    }
    let read = |r: tikv_jemalloc_ctl::Result<usize>| r.map_or(0, |v| v as u64);
    AllocatorStats {
        allocated: read(stats::allocated::read()),
        active: read(stats::active::read()),
        resident: read(stats::resident::read()),
        mapped: read(stats::mapped::read()),
        retained: read(stats::retained::read()),
        metadata: read(stats::metadata::read()),
        // SAFETY: the name is NUL-terminated and the value a `size_t`.
        tcache: read(unsafe { raw::read::<usize>(TCACHE_BYTES) }),
    }
}

/// Used memory alone (`stats.allocated` minus thread caches, see
/// [`crate::Snapshot::used_memory`]), through MIBs looked up once (no name
/// parsing): the refresh of [`crate::used_memory_recent`].
pub(crate) fn read_used() -> u64 {
    type Mibs = (epoch_mib, stats::allocated_mib, [usize; 4]);
    static MIBS: OnceLock<Option<Mibs>> = OnceLock::new();
    if !jemalloc_is_global() {
        return 0;
    }
    let mibs = MIBS.get_or_init(|| {
        let mut tcache = [0; 4];
        raw::name_to_mib(TCACHE_BYTES, &mut tcache).ok()?;
        Some((epoch::mib().ok()?, stats::allocated::mib().ok()?, tcache))
    });
    let Some((e, a, t)) = mibs else { return 0 };
    if e.advance().is_err() {
        return 0;
    }
    let allocated = a.read().map_or(0, |v| v as u64);
    // SAFETY: the MIB names a `size_t` statistic.
    let tcache = unsafe { raw::read_mib::<usize>(t) }.map_or(0, |v| v as u64);
    allocated.saturating_sub(tcache)
}

/// jemalloc's `malloc_stats_print` report with default options, the body of
/// MEMORY MALLOC-STATS.
pub fn malloc_stats() -> String {
    if !jemalloc_is_global() {
        return STATS_NOT_SUPPORTED.to_owned();
    }
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = stats_print::stats_print(&mut out, Options::default());
    String::from_utf8_lossy(&out).into_owned()
}

/// Returns unused dirty pages of every arena to the OS (`arena.<all>.purge`),
/// the action of MEMORY PURGE. A no-op when jemalloc is not the global
/// allocator, as in Redis built without jemalloc.
pub fn purge() -> Result<(), PurgeError> {
    if !jemalloc_is_global() {
        return Ok(());
    }
    let name = format!("arena.{ARENAS_ALL}.purge\0");
    // SAFETY: the name is NUL-terminated; purge neither reads nor writes a
    // value, so every pointer is null and the length zero, as it requires.
    let code = unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr().cast(),
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            0,
        )
    };
    match code {
        0 => Ok(()),
        code => Err(PurgeError { code }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Unit tests run on the system allocator: everything degrades quietly.
    #[test]
    fn without_jemalloc_as_global() {
        assert!(!jemalloc_is_global());
        assert_eq!(allocator_name(), "libc");
        assert_eq!(malloc_stats(), STATS_NOT_SUPPORTED);
        assert!(purge().is_ok());
        assert_eq!(read_stats().allocated, 0);
    }
}
