//! What other threads may know about the running script without waiting
//! for it: since when it runs, whether it wrote, and a kill request
//! (Redis's `curr_run_ctx` as SCRIPT KILL and the BUSY check read it).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// Shared between the thread running scripts and every client.
#[derive(Debug)]
pub struct RunStatus {
    origin: Instant,
    /// Microseconds after `origin` the running script started, plus one;
    /// 0 when no script runs.
    started: AtomicU64,
    wrote: AtomicBool,
    kill: AtomicBool,
    /// The run is a function (FCALL), not EVAL: their BUSY texts differ.
    function: AtomicBool,
}

/// Why SCRIPT KILL could not stop the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillRefused {
    /// No script runs.
    NotBusy,
    /// It already wrote: stopping it would leave half its effects.
    Unkillable,
}

impl Default for RunStatus {
    fn default() -> Self {
        RunStatus {
            origin: Instant::now(),
            started: AtomicU64::new(0),
            wrote: AtomicBool::new(false),
            kill: AtomicBool::new(false),
            function: AtomicBool::new(false),
        }
    }
}

impl RunStatus {
    pub(crate) fn begin(&self, function: bool) {
        self.wrote.store(false, Ordering::Relaxed);
        self.kill.store(false, Ordering::Relaxed);
        self.function.store(function, Ordering::Relaxed);
        let now = self.origin.elapsed().as_micros() as u64 + 1;
        self.started.store(now, Ordering::Release);
    }

    pub(crate) fn end(&self) {
        self.started.store(0, Ordering::Release);
        self.kill.store(false, Ordering::Relaxed);
    }

    /// How long the current script has run, if one runs.
    pub fn running_for_ms(&self) -> Option<u64> {
        let started = self.started.load(Ordering::Acquire);
        (started != 0)
            .then(|| (self.origin.elapsed().as_micros() as u64 + 1).saturating_sub(started) / 1000)
    }

    /// Whether the running script is a function (FCALL) rather than EVAL.
    pub fn is_function(&self) -> bool {
        self.function.load(Ordering::Relaxed)
    }

    /// The script ran a write command: it can no longer be killed.
    pub fn note_write(&self) {
        self.wrote.store(true, Ordering::Relaxed);
    }

    /// Whether the running script ran a write command.
    pub fn wrote(&self) -> bool {
        self.wrote.load(Ordering::Relaxed)
    }

    /// SCRIPT KILL: asks the running script to stop at its next check.
    pub fn kill(&self) -> Result<(), KillRefused> {
        if self.started.load(Ordering::Acquire) == 0 {
            return Err(KillRefused::NotBusy);
        }
        if self.wrote() {
            return Err(KillRefused::Unkillable);
        }
        self.kill.store(true, Ordering::Release);
        Ok(())
    }

    pub(crate) fn kill_requested(&self) -> bool {
        self.kill.load(Ordering::Acquire)
    }
}
