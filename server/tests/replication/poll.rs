//! Waiting for a condition with a deadline instead of sleeping.

use std::fmt::Display;
use std::thread;
use std::time::{Duration, Instant};

/// Generous: debug builds on a shared two-core machine, several servers per
/// test, full syncs through fork (Redis) or threads (Redust).
pub const DEADLINE: Duration = Duration::from_secs(30);
const INTERVAL: Duration = Duration::from_millis(20);

/// Polls `probe` until it returns `Ok`; panics after [`DEADLINE`] with
/// `what` and the last state the probe reported.
pub fn eventually<T>(what: impl Display, probe: impl FnMut() -> Result<T, String>) -> T {
    eventually_within(DEADLINE, what, probe)
}

pub fn eventually_within<T>(
    deadline: Duration,
    what: impl Display,
    mut probe: impl FnMut() -> Result<T, String>,
) -> T {
    let end = Instant::now() + deadline;
    loop {
        match probe() {
            Ok(value) => return value,
            Err(state) if Instant::now() > end => {
                panic!("timed out after {deadline:?} waiting for {what}; last state: {state}")
            }
            Err(_) => thread::sleep(INTERVAL),
        }
    }
}
