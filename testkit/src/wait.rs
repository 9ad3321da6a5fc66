//! Waiting for a condition by polling it under a deadline: the only way
//! tests wait for something another process does (never a bare sleep).

use std::fmt::Display;
use std::thread;
use std::time::{Duration, Instant};

/// Generous default deadline: debug builds on a shared two-core machine,
/// several servers per test, full syncs through fork or threads.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Pause between two checks: short next to what tests wait for (start-up,
/// a sync, an RDB load), long enough not to load the machine.
pub const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Calls `condition` every [`POLL_INTERVAL`] until it returns `Ok(true)`
/// (then `Ok(true)`) or `timeout` has passed (then `Ok(false)`); an error
/// ends the wait at once. The condition always runs at least once.
pub fn poll_until<E>(
    timeout: Duration,
    mut condition: impl FnMut() -> Result<bool, E>,
) -> Result<bool, E> {
    let deadline = Instant::now() + timeout;
    loop {
        if condition()? {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        thread::sleep(POLL_INTERVAL);
    }
}

/// Polls `condition` until it holds; panics after `timeout`, naming `what`.
#[track_caller]
pub fn wait_until(timeout: Duration, what: impl Display, mut condition: impl FnMut() -> bool) {
    let held = poll_until(timeout, || Ok::<_, ()>(condition()));
    if held != Ok(true) {
        panic!("timed out after {timeout:?} waiting for {what}");
    }
}

/// Polls `probe` until it returns `Ok`, and returns that value; panics after
/// [`DEADLINE`] with `what` and the last state the probe reported.
#[track_caller]
pub fn eventually<T>(what: impl Display, probe: impl FnMut() -> Result<T, String>) -> T {
    eventually_within(DEADLINE, what, probe)
}

/// [`eventually`] with another deadline.
#[track_caller]
pub fn eventually_within<T>(
    timeout: Duration,
    what: impl Display,
    mut probe: impl FnMut() -> Result<T, String>,
) -> T {
    let mut value = None;
    let mut state = String::new();
    let done = poll_until(timeout, || {
        match probe() {
            Ok(v) => value = Some(v),
            Err(s) => state = s,
        }
        Ok::<_, ()>(value.is_some())
    });
    match (done, value) {
        (Ok(true), Some(value)) => value,
        _ => panic!("timed out after {timeout:?} waiting for {what}; last state: {state}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_until_the_condition_holds() {
        let mut calls = 0;
        assert_eq!(
            poll_until(DEADLINE, || {
                calls += 1;
                Ok::<_, ()>(calls == 3)
            }),
            Ok(true)
        );
        assert_eq!(calls, 3);
        let mut n = 0;
        let three = eventually("three", || {
            n += 1;
            if n == 3 {
                Ok(n)
            } else {
                Err(format!("{n}"))
            }
        });
        assert_eq!(three, 3);
    }

    #[test]
    fn gives_up_after_the_timeout_or_an_error() {
        assert_eq!(poll_until(Duration::ZERO, || Ok::<_, ()>(false)), Ok(false));
        assert_eq!(poll_until(DEADLINE, || Err::<bool, _>("bad")), Err("bad"));
    }

    #[test]
    #[should_panic(expected = "waiting for never; last state: still 1")]
    fn eventually_reports_the_last_state() {
        let mut n = 0;
        eventually_within(Duration::from_millis(30), "never", || -> Result<(), _> {
            n = 1;
            Err(format!("still {n}"))
        });
    }
}
