//! Starting a server that must refuse its dump: it has to exit by itself,
//! with a failure status, instead of serving.

use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::support::server::redust_bin;

const DEADLINE: Duration = Duration::from_secs(30);

/// Runs the server under test on `dir` with `args` and returns its exit
/// status and output; panics if it is still running after the deadline
/// (it loaded the file and started serving).
pub fn start_on(dir: &Path, args: &[&str]) -> (ExitStatus, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
        .to_string();
    let dir = dir.to_string_lossy();
    let mut child = Command::new(redust_bin())
        .args(["--port", &port, "--bind", "127.0.0.1", "--dir", &dir])
        .args(["--save", "", "--appendonly", "no"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the server");
    let end = Instant::now() + DEADLINE;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > end {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the server started on a bad dump; log:\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Exited: the pipes hold everything it wrote.
    let out = child.wait_with_output().unwrap();
    let log = [out.stdout, out.stderr].concat();
    (out.status, String::from_utf8_lossy(&log).into_owned())
}
