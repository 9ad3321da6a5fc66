//! Memory figures for a Redis-compatible server, the way Redis 7.0 reports them.
//!
//! This crate owns how memory is *measured* and *formatted*: the jemalloc
//! global allocator, allocator statistics (`stats.*`), process RSS and system
//! memory from `/proc`, the peak-memory tracker, Redis's `bytesToHuman`, the
//! derived ratios of `getMemoryOverheadData`, and the byte-exact `# Memory`
//! section of `INFO`. It also wraps the allocator actions behind
//! `MEMORY MALLOC-STATS` and `MEMORY PURGE`, and offers a used-memory
//! reading cheap enough for a per-command `maxmemory` check
//! ([`used_memory_recent`]).
//!
//! It does not own what memory is *used for*: the server supplies the
//! figures only it knows (startup memory, client and replication buffers,
//! keyspace overhead, maxmemory settings…) through [`InfoInputs`]. It does
//! not evict, parse commands or assemble the other INFO sections.
//!
//! # Using it from a binary
//!
//! ```
//! #[global_allocator]
//! static GLOBAL: memstats::Allocator = memstats::Allocator;
//!
//! static PEAK: memstats::Peak = memstats::Peak::new();
//!
//! fn main() {
//!     // From a cron task, and again when INFO is asked for.
//!     let snap = memstats::snapshot();
//!     let inputs = memstats::InfoInputs {
//!         peak: PEAK.observe(snap.used_memory()),
//!         ..Default::default()
//!     };
//!     let section = memstats::info_memory(&inputs, &snap);
//!     assert!(section.contains("mem_allocator:jemalloc-"));
//! }
//! ```
//!
//! # When jemalloc is not the global allocator
//!
//! Unit tests of other crates run with the system allocator. Whether jemalloc
//! is really the global allocator is detected once ([`jemalloc_is_global`]);
//! when it is not, the allocator fields of [`Snapshot`] are zero,
//! [`allocator_name`] is `"libc"` (what Redis prints when built without
//! jemalloc), [`malloc_stats`] returns Redis's "not supported" text and
//! [`purge`] does nothing. RSS and total system memory are still read. Nothing
//! here panics; a figure that cannot be read is zero.

mod gauge;
mod human;
mod info;
mod jemalloc;
mod overhead;
mod peak;
mod process;
mod snapshot;

pub use gauge::{refresh_used_memory, used_memory_recent};
pub use human::bytes_to_human;
pub use info::{info_memory, InfoInputs};
pub use jemalloc::{allocator_name, jemalloc_is_global, malloc_stats, purge, PurgeError};
pub use overhead::MemoryOverhead;
pub use peak::Peak;
pub use process::{process_rss, total_system_memory};
pub use snapshot::{snapshot, Snapshot};

/// The global allocator to install in a binary:
/// `#[global_allocator] static GLOBAL: memstats::Allocator = memstats::Allocator;`
pub use tikv_jemallocator::Jemalloc as Allocator;

// The README's examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
