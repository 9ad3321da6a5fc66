//! The latency monitor (LATENCY): per event class (`command`,
//! `fast-command`, `expire-cycle`, ...), the worst latency of each of the
//! last 160 seconds that had one at or above `latency-monitor-threshold`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

/// Samples kept per event (Redis's `LATENCY_TS_LEN`).
const SERIES_LEN: usize = 160;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sample {
    /// Unix seconds.
    pub time: u64,
    pub millis: u64,
}

/// One event's samples, oldest first, and its all-time high.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub samples: VecDeque<Sample>,
    pub max: u64,
}

/// What LATENCY DOCTOR says of one event (Redis's `latencyStats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub samples: u64,
    pub avg: u64,
    /// Mean absolute deviation from `avg`.
    pub mad: u64,
    /// Seconds from the oldest sample to now (at least 1).
    pub period: u64,
}

impl Series {
    fn add(&mut self, time: u64, millis: u64) {
        self.max = self.max.max(millis);
        // One sample per second: the worst of that second.
        if let Some(last) = self.samples.back_mut().filter(|s| s.time == time) {
            last.millis = last.millis.max(millis);
            return;
        }
        if self.samples.len() == SERIES_LEN {
            self.samples.pop_front();
        }
        self.samples.push_back(Sample { time, millis });
    }

    /// Redis's `analyzeLatencyForEvent`.
    pub fn stats(&self, now: u64) -> Stats {
        let n = self.samples.len() as u64;
        if n == 0 {
            return Stats {
                samples: 0,
                avg: 0,
                mad: 0,
                period: 0,
            };
        }
        let avg = self.samples.iter().map(|s| s.millis).sum::<u64>() / n;
        let mad = self
            .samples
            .iter()
            .map(|s| s.millis.abs_diff(avg))
            .sum::<u64>()
            / n;
        let oldest = self.samples.iter().map(|s| s.time).min().unwrap_or(now);
        Stats {
            samples: n,
            avg,
            mad,
            period: now.saturating_sub(oldest).max(1),
        }
    }
}

/// The events and the threshold (an atomic: read after every command).
#[derive(Default)]
pub struct Latency {
    threshold_ms: AtomicU64,
    events: Mutex<BTreeMap<String, Series>>,
}

impl Latency {
    /// Applies `latency-monitor-threshold` (0 turns the monitor off).
    pub fn configure(&self, threshold_ms: u64) {
        self.threshold_ms.store(threshold_ms, Ordering::Relaxed);
    }

    pub fn threshold(&self) -> u64 {
        self.threshold_ms.load(Ordering::Relaxed)
    }

    /// Redis's `latencyAddSampleIfNeeded`: records `millis` for `event`
    /// when the monitor is on and it reaches the threshold.
    #[inline]
    pub fn add_if_needed(&self, event: &str, millis: u64) {
        let t = self.threshold();
        if t > 0 && millis >= t {
            self.add(event, millis, crate::time::unix_secs());
        }
    }

    fn add(&self, event: &str, millis: u64, now: u64) {
        let mut events = self.events.lock();
        if let Some(s) = events.get_mut(event) {
            s.add(now, millis);
        } else {
            let mut s = Series::default();
            s.add(now, millis);
            events.insert(event.to_string(), s);
        }
    }

    /// Every event's series, by name.
    pub fn events(&self) -> BTreeMap<String, Series> {
        self.events.lock().clone()
    }

    pub fn event(&self, name: &[u8]) -> Option<Series> {
        let name = std::str::from_utf8(name).ok()?;
        self.events.lock().get(name).cloned()
    }

    /// LATENCY RESET: forgets the named events (case-insensitively), or
    /// all of them; returns how many were dropped.
    pub fn reset(&self, names: &[&[u8]]) -> usize {
        let mut events = self.events.lock();
        let before = events.len();
        if names.is_empty() {
            events.clear();
        } else {
            events.retain(|e, _| !names.iter().any(|n| e.as_bytes().eq_ignore_ascii_case(n)));
        }
        before - events.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_per_second_the_worst() {
        let l = Latency::default();
        l.add("command", 5, 100);
        l.add("command", 9, 100);
        l.add("command", 3, 100);
        l.add("command", 2, 101);
        let s = l.event(b"command").unwrap();
        let got: Vec<_> = s.samples.iter().map(|s| (s.time, s.millis)).collect();
        assert_eq!(got, [(100, 9), (101, 2)]);
        assert_eq!(s.max, 9);
        let st = s.stats(110);
        assert_eq!((st.samples, st.avg, st.mad, st.period), (2, 5, 3, 10));
    }

    #[test]
    fn threshold_and_reset() {
        let l = Latency::default();
        l.add_if_needed("command", 1000);
        assert!(l.events().is_empty());
        l.configure(10);
        l.add_if_needed("command", 9);
        l.add_if_needed("fast-command", 10);
        l.add_if_needed("command", 11);
        assert_eq!(l.events().len(), 2);
        assert_eq!(l.reset(&[b"COMMAND", b"nope"]), 1);
        assert_eq!(l.reset(&[]), 1);
    }

    #[test]
    fn keeps_the_last_160_seconds() {
        let mut s = Series::default();
        for t in 0..200 {
            s.add(t, 1);
        }
        assert_eq!(s.samples.len(), 160);
        assert_eq!(s.samples[0].time, 40);
    }
}
