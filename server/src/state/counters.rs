//! Server-wide counters INFO stats shows that are not the engine's.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

/// Counters shown by INFO stats that are not the engine's.
pub struct Counters {
    pub connections_received: AtomicU64,
    pub commands_processed: AtomicU64,
    pub net_input_bytes: AtomicU64,
    pub net_output_bytes: AtomicU64,
    /// Bytes from our master / to our replicas, which the two above leave
    /// out (INFO total_net_repl_*_bytes).
    pub net_repl_input_bytes: AtomicU64,
    pub net_repl_output_bytes: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub unexpected_error_replies: AtomicU64,
    pub total_error_replies: AtomicU64,
    /// `latency-tracking`: whether commands' latency histograms are fed.
    latency_tracking: AtomicBool,
    /// Error replies by code, for INFO errorstats.
    errorstats: Mutex<BTreeMap<String, u64>>,
    /// Per command, for INFO commandstats and latencystats. Updated after
    /// every command: a fast hasher, as the keys are short static names.
    /// Keyed by the addresses of the (static) names, so a lookup hashes and
    /// compares two words, not strings.
    commands: Mutex<CommandStats>,
}

/// Statistics by the addresses of a command's (name, container's name).
type CommandStats = HashMap<(usize, usize), (CommandKey, CommandStat), foldhash::fast::FixedState>;

/// A command's name and, for a subcommand, its container's.
pub type CommandKey = (&'static str, Option<&'static str>);

/// What INFO commandstats and latencystats show of one command.
#[derive(Debug, Default, Clone)]
pub struct CommandStat {
    pub calls: u64,
    pub usec: u64,
    /// Refused before running (arity, OOM, READONLY...).
    pub rejected_calls: u64,
    /// Ran and answered an error.
    pub failed_calls: u64,
    pub latency: Histogram,
}

/// Command durations in nanoseconds, bucketed as Redis's HdrHistogram
/// with 2 significant figures: exact below 256, then 128 sub-buckets per
/// power of two. Redis records whole microseconds times 1000, as here.
#[derive(Debug, Default, Clone)]
pub struct Histogram {
    /// Count per bucket, by [`Histogram::index`]; grown to the highest
    /// bucket used (recording is an index and an add: it runs after every
    /// command).
    counts: Vec<u64>,
    total: u64,
}

impl Histogram {
    /// The width of the bucket holding `v`.
    fn unit(v: u64) -> u64 {
        let magnitude = 63 - v.max(1).leading_zeros();
        1 << magnitude.saturating_sub(7)
    }

    /// Bucket number of `v`: values below 256 each have one, then each
    /// power of two has 128.
    fn index(v: u64) -> usize {
        if v < 256 {
            return v as usize;
        }
        let magnitude = 63 - v.leading_zeros() as usize;
        256 + (magnitude - 8) * 128 + ((v >> (magnitude - 7)) & 127) as usize
    }

    /// The lowest value of bucket `i`.
    fn low(i: usize) -> u64 {
        if i < 256 {
            return i as u64;
        }
        let (magnitude, sub) = ((i - 256) / 128 + 8, (i - 256) % 128);
        (128 + sub as u64) << (magnitude - 7)
    }

    /// Records a duration, clamped as Redis clamps it (1 ns to 1 s).
    pub fn record(&mut self, nanos: u64) {
        let i = Histogram::index(nanos.clamp(1, 1_000_000_000));
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
        self.total += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// The highest value sharing `v`'s bucket.
    pub fn highest_equivalent(v: u64) -> u64 {
        let low = Histogram::low(Histogram::index(v));
        low + Histogram::unit(low) - 1
    }

    /// How many recorded values are at or below `v`'s bucket.
    pub fn count_at_most(&self, v: u64) -> u64 {
        let last = Histogram::index(v);
        self.counts.iter().take(last + 1).sum()
    }

    /// HdrHistogram's `hdr_value_at_percentile`: the highest value
    /// equivalent to the one at `percentile` (0 to 100).
    pub fn value_at(&self, percentile: f64) -> u64 {
        let wanted = ((percentile.min(100.0) / 100.0 * self.total as f64) + 0.5) as u64;
        let wanted = wanted.max(1);
        let mut seen = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= wanted {
                let low = Histogram::low(i);
                return low + Histogram::unit(low) - 1;
            }
        }
        0
    }
}

/// How one run of a command ended, for its statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done {
        failed: bool,
    },
    /// A blocked command's time ran out: a call, but no latency sample
    /// (as Redis 7.0 counts it).
    TimedOut,
    Rejected,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            connections_received: AtomicU64::default(),
            commands_processed: AtomicU64::default(),
            net_input_bytes: AtomicU64::default(),
            net_output_bytes: AtomicU64::default(),
            net_repl_input_bytes: AtomicU64::default(),
            net_repl_output_bytes: AtomicU64::default(),
            rejected_connections: AtomicU64::default(),
            unexpected_error_replies: AtomicU64::default(),
            total_error_replies: AtomicU64::default(),
            latency_tracking: AtomicBool::new(true),
            errorstats: Mutex::default(),
            commands: Mutex::default(),
        }
    }
}

impl Counters {
    /// Applies `latency-tracking`.
    pub fn set_latency_tracking(&self, on: bool) {
        self.latency_tracking.store(on, Ordering::Relaxed);
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Counts an error reply; `text` is the reply after its `-`.
    pub fn count_error(&self, text: &[u8]) {
        let code = text
            .split(|&b| b == b' ' || b == b'\r')
            .next()
            .unwrap_or_default();
        Counters::add(&self.total_error_replies, 1);
        let code = String::from_utf8_lossy(code).into_owned();
        *self.errorstats.lock().entry(code).or_default() += 1;
    }

    /// Error replies by code (INFO errorstats).
    pub fn errorstats(&self) -> BTreeMap<String, u64> {
        self.errorstats.lock().clone()
    }

    /// Counts commands that ran, whether each failed and how long it
    /// took: one lock for a whole batch.
    pub fn count_batch(&self, ran: &[(CommandKey, bool, Duration)]) {
        let tracking = self.latency_tracking.load(Ordering::Relaxed);
        let mut map = self.commands.lock();
        for &(cmd, failed, took) in ran {
            let stat = Counters::stat(&mut map, cmd);
            let usec = took.as_micros() as u64;
            stat.calls += 1;
            stat.usec += usec;
            stat.failed_calls += u64::from(failed);
            if tracking {
                stat.latency.record(usec * 1000);
            }
        }
    }

    fn stat(map: &mut CommandStats, cmd: CommandKey) -> &mut CommandStat {
        let addr = (
            cmd.0.as_ptr() as usize,
            cmd.1.map_or(0, |p| p.as_ptr() as usize),
        );
        &mut map
            .entry(addr)
            .or_insert_with(|| (cmd, CommandStat::default()))
            .1
    }

    /// Counts a run of `cmd` that took `took` (Redis's `call()` and
    /// `updateStatsOnUnblock`), or its refusal (`rejectCommand`).
    pub fn count_command(&self, cmd: CommandKey, outcome: Outcome, took: Duration) {
        let tracking = self.latency_tracking.load(Ordering::Relaxed);
        let mut map = self.commands.lock();
        let stat = Counters::stat(&mut map, cmd);
        match outcome {
            Outcome::Rejected => stat.rejected_calls += 1,
            Outcome::TimedOut => stat.calls += 1,
            Outcome::Done { failed } => {
                let usec = took.as_micros() as u64;
                stat.calls += 1;
                stat.usec += usec;
                stat.failed_calls += u64::from(failed);
                if tracking {
                    stat.latency.record(usec * 1000);
                }
            }
        }
    }

    /// Every command's statistics, by name (`parent|name` for a
    /// subcommand).
    pub fn command_stats(&self) -> BTreeMap<String, CommandStat> {
        self.commands
            .lock()
            .values()
            .map(|&((name, parent), ref stat)| {
                let name = match parent {
                    Some(p) => format!("{p}|{name}"),
                    None => name.to_string(),
                };
                (name, stat.clone())
            })
            .collect()
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&self) {
        self.commands.lock().clear();
        for c in [
            &self.connections_received,
            &self.commands_processed,
            &self.net_input_bytes,
            &self.net_output_bytes,
            &self.net_repl_input_bytes,
            &self.net_repl_output_bytes,
            &self.rejected_connections,
            &self.unexpected_error_replies,
            &self.total_error_replies,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        self.errorstats.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::Histogram;

    /// The figures Redis prints: 8 µs is reported as 8.031 (the top of
    /// its 32 ns wide bucket), values under 256 ns exactly.
    #[test]
    fn histogram_buckets_like_hdr() {
        let mut h = Histogram::default();
        assert!(h.is_empty());
        h.record(8000);
        assert_eq!(h.value_at(50.0), 8031);
        h.record(200);
        h.record(0);
        assert_eq!(h.value_at(0.0), 1);
        assert_eq!(h.value_at(50.0), 200);
        assert_eq!(h.value_at(100.0), 8031);
        h.record(158_000);
        assert_eq!(h.value_at(99.9), 158_719);
    }

    #[test]
    fn bucket_numbers_round_trip() {
        for v in [
            0,
            1,
            255,
            256,
            257,
            511,
            512,
            8000,
            158_000,
            1 << 40,
            u64::MAX / 3,
        ] {
            let low = Histogram::low(Histogram::index(v));
            assert!(low <= v && v < low + Histogram::unit(low), "{v}");
        }
    }
}
