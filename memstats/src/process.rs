//! Process and machine figures read from the OS.

use std::fs;

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(n).unwrap_or(0)
}

/// Resident set size of this process in bytes (`used_memory_rss`): resident
/// pages from `/proc/self/statm` times the page size, as Redis computes it
/// from `/proc/self/stat`. Zero if it cannot be read.
pub fn process_rss() -> u64 {
    let Ok(statm) = fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    statm
        .split_ascii_whitespace()
        .nth(1)
        .and_then(|pages| pages.parse::<u64>().ok())
        .map_or(0, |pages| pages.saturating_mul(page_size()))
}

/// Physical memory of the machine in bytes (`total_system_memory`). Redis on
/// Linux uses `sysconf(_SC_PHYS_PAGES) * page size`; `/proc/meminfo`'s
/// `MemTotal` is the fallback. Zero if neither is available.
pub fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    match u64::try_from(pages) {
        Ok(pages) if pages > 0 => pages.saturating_mul(page_size()),
        _ => meminfo_total().unwrap_or(0),
    }
}

fn meminfo_total() -> Option<u64> {
    let meminfo = fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line
        .trim_start_matches("MemTotal:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_linux_figures() {
        assert!(process_rss() > 0);
        let total = total_system_memory();
        assert!(total > 0);
        // sysconf and MemTotal describe the same memory.
        assert_eq!(Some(total), meminfo_total());
    }
}
