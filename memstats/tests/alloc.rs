//! With jemalloc as this test binary's global allocator, the figures follow
//! real allocations.

use std::hint::black_box;

#[global_allocator]
static GLOBAL: memstats::Allocator = memstats::Allocator;

const MB: u64 = 1 << 20;

/// Tolerance for whatever else the test harness allocates meanwhile.
const SLACK: u64 = 4 * MB;

/// Tests that measure growth take turns: they run on parallel threads of
/// one process, whose allocations they would otherwise see.
static MEASURING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn within(actual: i64, expected: i64) -> bool {
    actual.abs_diff(expected) <= SLACK
}

#[test]
fn jemalloc_is_detected() {
    assert!(memstats::jemalloc_is_global());
    let name = memstats::allocator_name();
    assert!(name.starts_with("jemalloc-"), "{name}");
    let version = name.trim_start_matches("jemalloc-");
    assert_eq!(version.split('.').count(), 3, "{name}");
    assert!(
        version.split('.').all(|n| n.parse::<u32>().is_ok()),
        "{name}"
    );
}

#[test]
fn allocation_moves_allocated() {
    let _turn = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let before = memstats::snapshot();
    // 1 MiB chunks: a jemalloc size class, so no rounding up (a single 50 MiB
    // block would be rounded to the 56 MiB class). Filled so it is resident.
    let block: Vec<Vec<u8>> = (0..50).map(|_| vec![1u8; MB as usize]).collect();
    let block = black_box(block);
    let during = memstats::snapshot();
    let grown = during.allocated as i64 - before.allocated as i64;
    assert!(within(grown, 50 * MB as i64), "grew by {grown}");
    assert!(during.active >= during.allocated);
    assert!(during.resident >= during.active);
    assert!(during.mapped >= during.resident);
    assert!(during.metadata > 0);
    assert!(during.rss >= 50 * MB);
    assert!(during.total_system_memory > during.rss);

    let peak = memstats::Peak::new();
    peak.observe(before.used_memory());
    let high = peak.observe(during.used_memory());
    drop(block);
    let after = memstats::snapshot();
    let shrunk = during.allocated as i64 - after.allocated as i64;
    assert!(within(shrunk, 50 * MB as i64), "shrank by {shrunk}");
    assert!(peak.observe(after.used_memory()) >= after.used_memory());
    assert_eq!(peak.get(), high);
}

#[test]
fn info_memory_reports_jemalloc() {
    let snap = memstats::snapshot();
    assert!(snap.rss > 0);
    let inputs = memstats::InfoInputs {
        peak: memstats::Peak::new().observe(snap.used_memory()),
        ..Default::default()
    };
    let info = memstats::info_memory(&inputs, &snap);
    assert!(info.starts_with("# Memory\r\n"));
    let allocator = format!("\r\nmem_allocator:{}\r\n", memstats::allocator_name());
    assert!(info.contains(&allocator), "{info}");
    assert!(!info.contains("nan") && !info.contains("inf"), "{info}");
}

#[test]
fn malloc_stats_and_purge() {
    let stats = memstats::malloc_stats();
    assert!(stats.contains("jemalloc statistics"), "{stats}");
    assert!(stats.contains("Allocated:"), "{stats}");
    memstats::purge().expect("purge");
}

/// Small blocks freed go to the thread cache, which `allocated` still
/// counts; used memory must not.
#[test]
fn used_memory_ignores_thread_caches() {
    let _turn = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let before = memstats::snapshot();
    let blocks: Vec<Vec<u8>> = (0..2000).map(|_| black_box(vec![1u8; 1000])).collect();
    let during = memstats::snapshot();
    drop(black_box(blocks));
    let after = memstats::snapshot();
    let grown = during.used_memory() as i64 - before.used_memory() as i64;
    assert!(within(grown, 2000 * 1024), "{grown}");
    let back = after.used_memory() as i64 - before.used_memory() as i64;
    assert!(within(back, 0), "{back}");
    assert!(after.allocated >= after.used_memory());
}

/// The cached reading sees the calling thread's allocations at once.
#[test]
fn recent_reading_follows_this_thread() {
    let _turn = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let hour = std::time::Duration::from_secs(3600);
    let base = memstats::refresh_used_memory();
    let block = black_box(vec![1u8; 8 * MB as usize]);
    let with_block = memstats::used_memory_recent(hour);
    assert!(
        within(with_block as i64 - base as i64, 8 * MB as i64),
        "{with_block} {base}"
    );
    drop(block);
    let without = memstats::used_memory_recent(hour);
    assert!(within(without as i64 - base as i64, 0), "{without} {base}");
}
