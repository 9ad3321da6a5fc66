//! `instantaneous_ops_per_sec` and friends: sampled every 100 ms over the
//! last 16 samples, like Redis's `trackInstantaneousMetric`.

use parking_lot::Mutex;

const SAMPLES: usize = 16;

#[derive(Default)]
struct Track {
    last_time_ms: i64,
    last_value: u64,
    samples: [f64; SAMPLES],
    idx: usize,
}

impl Track {
    fn sample(&mut self, now_ms: i64, value: u64) {
        let dt = now_ms - self.last_time_ms;
        if self.last_time_ms > 0 && dt > 0 {
            let delta = value.saturating_sub(self.last_value) as f64;
            self.samples[self.idx] = delta * 1000.0 / dt as f64;
            self.idx = (self.idx + 1) % SAMPLES;
        }
        self.last_time_ms = now_ms;
        self.last_value = value;
    }

    fn mean(&self) -> f64 {
        self.samples.iter().sum::<f64>() / SAMPLES as f64
    }
}

/// Commands, input bytes and output bytes per second.
#[derive(Default)]
pub struct OpsSampler {
    tracks: Mutex<[Track; 3]>,
}

impl OpsSampler {
    pub fn sample(&self, now_ms: i64, commands: u64, input: u64, output: u64) {
        let mut t = self.tracks.lock();
        t[0].sample(now_ms, commands);
        t[1].sample(now_ms, input);
        t[2].sample(now_ms, output);
    }

    /// (ops/sec, input bytes/sec, output bytes/sec)
    pub fn rates(&self) -> (f64, f64, f64) {
        let t = self.tracks.lock();
        (t[0].mean(), t[1].mean(), t[2].mean())
    }
}
