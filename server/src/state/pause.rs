//! CLIENT PAUSE: the server-wide pause and the clients it holds back.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::time::unix_ms;

/// What CLIENT PAUSE holds back; ordered from least to most restrictive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PauseMode {
    Off = 0,
    /// Commands that may write or replicate.
    Write = 1,
    All = 2,
}

impl PauseMode {
    fn from_u8(v: u8) -> PauseMode {
        match v {
            0 => PauseMode::Off,
            1 => PauseMode::Write,
            _ => PauseMode::All,
        }
    }

    /// Whether a command (`write`: it may write or replicate) must wait.
    pub fn holds(self, write: bool) -> bool {
        self == PauseMode::All || (self == PauseMode::Write && write)
    }
}

/// The server-wide client pause (Redis's `pauseClients`, for the one
/// purpose CLIENT PAUSE has): a mode and its end. Connections postpone the
/// commands it holds and wait on [`Pause::lifted`]; active expiry and
/// eviction stand still while any pause is on.
#[derive(Default)]
pub struct Pause {
    /// The mode in force: the hot path's one relaxed load.
    mode: AtomicU8,
    /// Unix ms after which the pause is over; written with `mode` under
    /// this lock.
    end: Mutex<i64>,
    /// Woken when the pause is lifted or changes.
    changed: tokio::sync::Notify,
    /// Clients with a command held back (INFO counts them as blocked).
    held: AtomicUsize,
}

impl Pause {
    /// Whether a pause may be on (it may also have just run out): cheap,
    /// for the hot path to skip everything else.
    pub fn maybe_on(&self) -> bool {
        self.mode.load(Ordering::Relaxed) != PauseMode::Off as u8
    }

    /// CLIENT PAUSE: a pause already on keeps its mode and end when they
    /// are more restrictive or later (so `PAUSE 0 ALL` during a WRITE pause
    /// makes it ALL until its end, as in Redis).
    pub fn start(&self, mode: PauseMode, end: i64, now: i64) {
        let mut cur_end = self.end.lock();
        let cur = PauseMode::from_u8(self.mode.load(Ordering::Relaxed));
        let (mode, end) = match cur {
            PauseMode::Off => (mode, end),
            _ => (cur.max(mode), (*cur_end).max(end)),
        };
        let mode = if end < now { PauseMode::Off } else { mode };
        *cur_end = end;
        self.mode.store(mode as u8, Ordering::Relaxed);
        drop(cur_end);
        self.changed.notify_waiters();
    }

    /// CLIENT UNPAUSE.
    pub fn stop(&self) {
        let _end = self.end.lock();
        self.mode.store(PauseMode::Off as u8, Ordering::Relaxed);
        self.changed.notify_waiters();
    }

    /// The mode in force at `now`, ending a pause whose time is up
    /// (Redis's `checkClientPauseTimeoutAndReturnIfPaused`).
    pub fn mode(&self, now: i64) -> PauseMode {
        if !self.maybe_on() {
            return PauseMode::Off;
        }
        let end = self.end.lock();
        let mode = PauseMode::from_u8(self.mode.load(Ordering::Relaxed));
        if mode != PauseMode::Off && *end < now {
            self.mode.store(PauseMode::Off as u8, Ordering::Relaxed);
            drop(end);
            self.changed.notify_waiters();
            return PauseMode::Off;
        }
        mode
    }

    /// A client's command is held back (`true`) or no longer (`false`).
    pub fn hold(&self, held: bool) {
        if held {
            self.held.fetch_add(1, Ordering::Relaxed);
        } else {
            self.held.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Clients whose command a pause holds back.
    pub fn held_clients(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// Whether any pause is on now: the dataset then stays as it is.
    pub fn is_on(&self, now: i64) -> bool {
        self.mode(now) != PauseMode::Off
    }

    /// Resolves once a command (`write`: it may write or replicate) is no
    /// longer held: on UNPAUSE, or when the pause's time is up.
    pub async fn lifted(&self, write: bool) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before the check, so a change in between wakes it.
            changed.as_mut().enable();
            let now = unix_ms();
            if !self.mode(now).holds(write) {
                return;
            }
            let left = (*self.end.lock() - now).max(0) as u64 + 1;
            tokio::select! {
                _ = changed => {}
                _ = tokio::time::sleep(std::time::Duration::from_millis(left)) => {}
            }
        }
    }
}
