//! Scratch directories and captured process output.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// A fresh directory, removed on drop unless the thread is panicking (a
/// failed test leaves its files behind for a look, and says where).
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// A new directory under the system's temporary directory; panics if it
    /// cannot be created.
    pub fn new(label: &str) -> TempDir {
        let parent = std::env::temp_dir();
        TempDir::create_in(&parent, label)
            .unwrap_or_else(|e| panic!("creating a directory in {}: {e}", parent.display()))
    }

    /// A new directory under `parent` (created if missing).
    pub fn create_in(parent: &Path, label: &str) -> io::Result<TempDir> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let label: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = parent.join(format!("redust-{label}-{}-{n}", std::process::id()));
        // Left by an earlier process that had the same id.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)?;
        Ok(TempDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!("kept {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// What a child process writes to one or more pipes, read into memory on
/// background threads so the pipes never fill up.
#[derive(Clone, Default)]
pub struct Capture {
    bytes: Arc<Mutex<Vec<u8>>>,
    /// Pipes not at end-of-file yet.
    open: Arc<AtomicUsize>,
}

impl Capture {
    pub fn new() -> Capture {
        Capture::default()
    }

    /// Appends everything read from `pipe`, until its end, to this capture.
    pub fn read_from(&self, mut pipe: impl Read + Send + 'static) {
        let capture = self.clone();
        capture.open.fetch_add(1, Ordering::SeqCst);
        thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                capture.bytes.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
            capture.open.fetch_sub(1, Ordering::SeqCst);
        });
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.bytes.lock().unwrap().clone()
    }

    /// Everything captured so far, as (lossy) text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes.lock().unwrap()).into_owned()
    }

    /// True once every pipe reached its end: nothing more will arrive.
    pub fn is_closed(&self) -> bool {
        self.open.load(Ordering::SeqCst) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_dir_is_removed_on_drop() {
        let dir = TempDir::new("testkit/self test");
        let path = dir.path().to_path_buf();
        assert!(path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("redust-testkit-self-test-"));
        std::fs::write(path.join("dump.rdb"), b"x").unwrap();
        drop(dir);
        assert!(!path.exists());
    }

    #[test]
    fn capture_collects_every_pipe_to_its_end() {
        let capture = Capture::new();
        capture.read_from(&b"one "[..]);
        capture.read_from(&b"two"[..]);
        crate::wait_until(crate::DEADLINE, "pipes to close", || capture.is_closed());
        let text = capture.text();
        assert!(text == "one two" || text == "twoone ", "{text}");
    }
}
