//! Per-key access metadata for LRU and LFU eviction, as Redis keeps it in
//! the 24-bit `lru` field of every object.
//!
//! Under an LRU policy (and the non-LFU ones) the field is the LRU clock of
//! the last access: Unix seconds modulo 2^24. Under an LFU policy it holds
//! the minute of the last decrement (16 bits) and a logarithmic access
//! counter (8 bits) that grows ever more slowly and decays with idle time.

/// Which of the two meanings the metadata has (from `maxmemory-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tracking {
    #[default]
    Lru,
    Lfu,
}

/// Redis's `LRU_CLOCK_MAX`: the clock wraps after 2^24 seconds (194 days).
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// `LRU_CLOCK_RESOLUTION` in milliseconds.
pub const LRU_CLOCK_RESOLUTION: i64 = 1000;
/// Counter of a new key under LFU, so it survives a few sampling rounds.
pub const LFU_INIT_VAL: u8 = 5;

/// What touching a key needs: the policy's meaning, the current clocks and
/// the LFU tunables. Each database holds a copy the engine keeps current,
/// so writes through [`Db::get_mut`](crate::Db::get_mut) touch keys too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub tracking: Tracking,
    /// LRU clock: Unix seconds & [`LRU_CLOCK_MAX`].
    pub lru: u32,
    /// Unix minutes & 0xffff (the LFU decrement time).
    pub minutes: u16,
    /// `lfu-log-factor`.
    pub lfu_log_factor: u32,
    /// `lfu-decay-time`, in minutes (0: never decay).
    pub lfu_decay_time: u32,
    /// State of the random numbers LFU increments draw.
    rng: u64,
}

impl Default for Clock {
    fn default() -> Clock {
        Clock {
            tracking: Tracking::Lru,
            lru: 0,
            minutes: 0,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            rng: 0x9e37_79b9_7f4a_7c15,
        }
    }
}

impl Clock {
    /// Sets the clocks to `now_ms` (Unix milliseconds).
    pub fn set_time(&mut self, now_ms: i64) {
        let secs = now_ms.max(0) / LRU_CLOCK_RESOLUTION;
        self.lru = (secs as u64 & u64::from(LRU_CLOCK_MAX)) as u32;
        self.minutes = ((secs / 60) & 0xffff) as u16;
    }

    /// Metadata of a key created now.
    pub fn fresh(&self) -> u32 {
        match self.tracking {
            Tracking::Lru => self.lru,
            Tracking::Lfu => lfu_pack(self.minutes, LFU_INIT_VAL),
        }
    }

    /// Records an access (Redis's `lookupKey` without `LOOKUP_NOTOUCH`).
    pub fn touch(&mut self, meta: &mut u32) {
        *meta = match self.tracking {
            Tracking::Lru => self.lru,
            Tracking::Lfu => {
                let counter = self.lfu_decayed(*meta);
                let r = self.next_random();
                lfu_pack(self.minutes, lfu_log_incr(counter, self.lfu_log_factor, r))
            }
        };
    }

    /// Milliseconds since the last access, at the clock's resolution
    /// (Redis's `estimateObjectIdleTime`). Meaningful under LRU.
    pub fn idle_ms(&self, meta: u32) -> u64 {
        let then = meta & LRU_CLOCK_MAX;
        let ticks = if self.lru >= then {
            self.lru - then
        } else {
            self.lru + (LRU_CLOCK_MAX - then)
        };
        u64::from(ticks) * LRU_CLOCK_RESOLUTION as u64
    }

    /// The LFU counter after the decay due since its last decrement, without
    /// storing it (Redis's `LFUDecrAndReturn`). Meaningful under LFU.
    pub fn lfu_decayed(&self, meta: u32) -> u8 {
        let (ldt, counter) = lfu_unpack(meta);
        if self.lfu_decay_time == 0 {
            return counter;
        }
        let elapsed = if self.minutes >= ldt {
            u32::from(self.minutes - ldt)
        } else {
            65535 - u32::from(ldt) + u32::from(self.minutes)
        };
        let periods = elapsed / self.lfu_decay_time;
        counter.saturating_sub(periods.min(255) as u8)
    }

    /// Metadata for a key restored with a known idle time or frequency
    /// (RESTORE IDLETIME/FREQ, RDB loading); `None` if the hint does not
    /// apply to the current policy (Redis's `objectSetLRUOrLFU`).
    pub fn restored(&self, idle_secs: Option<u64>, freq: Option<u8>) -> Option<u32> {
        match (self.tracking, idle_secs, freq) {
            (Tracking::Lfu, _, Some(f)) => Some(lfu_pack(self.minutes, f)),
            (Tracking::Lru, Some(idle), _) => {
                let idle = (idle % (u64::from(LRU_CLOCK_MAX) + 1)) as u32;
                Some(if idle <= self.lru {
                    self.lru - idle
                } else {
                    self.lru + LRU_CLOCK_MAX - idle
                })
            }
            _ => None,
        }
    }

    /// xorshift64*: cheap, and good enough for a probabilistic counter.
    fn next_random(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        let bits = x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        bits as f64 / (1u64 << 53) as f64
    }
}

fn lfu_pack(minutes: u16, counter: u8) -> u32 {
    u32::from(minutes) << 8 | u32::from(counter)
}

fn lfu_unpack(meta: u32) -> (u16, u8) {
    (((meta >> 8) & 0xffff) as u16, (meta & 0xff) as u8)
}

/// Redis's `LFULogIncr`: increments with probability
/// `1 / ((counter - LFU_INIT_VAL) * factor + 1)`, so reaching 255 takes
/// about a million accesses with the default factor of 10. `r` is uniform
/// in `[0, 1)`.
pub fn lfu_log_incr(counter: u8, log_factor: u32, r: f64) -> u8 {
    if counter == 255 {
        return 255;
    }
    let base = f64::from(counter.saturating_sub(LFU_INIT_VAL));
    let p = 1.0 / (base * f64::from(log_factor) + 1.0);
    if r < p {
        counter + 1
    } else {
        counter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lfu_clock(minutes: u16, decay: u32) -> Clock {
        Clock {
            tracking: Tracking::Lfu,
            minutes,
            lfu_decay_time: decay,
            ..Clock::default()
        }
    }

    #[test]
    fn log_increment_probability() {
        // At or below the initial value every access counts.
        assert_eq!(lfu_log_incr(0, 10, 0.999), 1);
        assert_eq!(lfu_log_incr(LFU_INIT_VAL, 10, 0.999), 6);
        // Five above it, p = 1/51.
        assert_eq!(lfu_log_incr(10, 10, 1.0 / 52.0), 11);
        assert_eq!(lfu_log_incr(10, 10, 1.0 / 50.0), 10);
        assert_eq!(lfu_log_incr(255, 0, 0.0), 255);
        // Factor 0 makes it a plain counter.
        assert_eq!(lfu_log_incr(200, 0, 0.999), 201);
    }

    #[test]
    fn counter_grows_logarithmically() {
        let mut clock = lfu_clock(100, 1);
        let mut meta = clock.fresh();
        let mut after = Vec::new();
        for hits in 1..=100_000u32 {
            clock.touch(&mut meta);
            if [100, 1_000, 100_000].contains(&hits) {
                after.push(clock.lfu_decayed(meta));
            }
        }
        // Redis's table for factor 10: ~10 after 100 hits, ~18 after 1k,
        // ~142 after 100k (redis.conf). Reaching n above the initial value
        // takes ~5n^2 hits, with a spread of several counts at 100k.
        assert!((8..=14).contains(&after[0]), "{after:?}");
        assert!((15..=24).contains(&after[1]), "{after:?}");
        assert!((120..=175).contains(&after[2]), "{after:?}");
    }

    #[test]
    fn decay_per_period_and_wraparound() {
        let meta = lfu_pack(100, 20);
        assert_eq!(lfu_clock(100, 1).lfu_decayed(meta), 20);
        assert_eq!(lfu_clock(103, 1).lfu_decayed(meta), 17);
        assert_eq!(lfu_clock(110, 5).lfu_decayed(meta), 18);
        assert_eq!(lfu_clock(1000, 1).lfu_decayed(meta), 0);
        assert_eq!(lfu_clock(1000, 0).lfu_decayed(meta), 20);
        // The 16-bit minute clock wrapped once: 65535 - 65530 + 4 = 9.
        assert_eq!(lfu_clock(4, 1).lfu_decayed(lfu_pack(65530, 20)), 11);
        // A touch stores the decayed counter and the current minute.
        let mut clock = lfu_clock(110, 1);
        let mut m = meta;
        clock.touch(&mut m);
        assert_eq!(lfu_unpack(m).0, 110);
        assert!(lfu_unpack(m).1 >= 10);
    }

    #[test]
    fn lru_idle_time_wraps() {
        let mut clock = Clock::default();
        clock.set_time(1_000_000_500);
        let meta = clock.fresh();
        clock.set_time(1_000_060_999);
        assert_eq!(clock.idle_ms(meta), 60_000);
        // Accessed just before the 24-bit clock wrapped.
        clock.lru = 5;
        assert_eq!(clock.idle_ms(LRU_CLOCK_MAX - 10), 15_000);
        assert_eq!(clock.restored(Some(7), None), Some(LRU_CLOCK_MAX - 2));
        assert_eq!(clock.restored(None, Some(3)), None);
    }
}
