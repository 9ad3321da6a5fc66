//! Ctrl-C in interactive mode, as redis-cli handles it: while MONITOR or
//! SUBSCRIBE stream replies, Ctrl-C cuts the connection (the session then
//! reconnects and returns to the prompt); at any other time it exits.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// The socket a streaming command is reading from, or -1.
static STREAMING_FD: AtomicI32 = AtomicI32::new(-1);
static ABORTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    // Only async-signal-safe calls here: atomics, shutdown(2), _exit(2).
    let fd = STREAMING_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        ABORTED.store(true, Ordering::SeqCst);
        // shutdown rather than close: the fd number stays owned by the
        // connection, and the blocked read returns end-of-file.
        unsafe { libc::shutdown(fd, libc::SHUT_RDWR) };
    } else {
        unsafe { libc::_exit(1) };
    }
}

/// Installs the handler (interactive mode only).
pub fn install() {
    let handler = on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t;
    unsafe { libc::signal(libc::SIGINT, handler) };
}

/// Marks `fd` as streaming until the guard is dropped.
pub fn streaming(fd: RawFd) -> StreamingGuard {
    STREAMING_FD.store(fd, Ordering::SeqCst);
    StreamingGuard
}

pub struct StreamingGuard;

impl Drop for StreamingGuard {
    fn drop(&mut self) {
        STREAMING_FD.store(-1, Ordering::SeqCst);
    }
}

/// Whether Ctrl-C cut a streaming command since the last call.
pub fn take_aborted() -> bool {
    ABORTED.swap(false, Ordering::SeqCst)
}

/// Restores the default action for SIGPIPE, which Rust ignores: like a C
/// tool, `redust-cli -r -1 ping | head -1` then ends when `head` does.
pub fn default_sigpipe() {
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
}
