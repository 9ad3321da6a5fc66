//! Starting a server that must refuse its dump: it has to exit by itself,
//! with a failure status, instead of serving.

use std::path::Path;
use std::process::ExitStatus;
use std::time::Duration;

use crate::support::{Kind, Server};

const DEADLINE: Duration = Duration::from_secs(30);

/// Runs the server under test on `dir` with `args` and returns its exit
/// status and output; panics if it is still running after the deadline
/// (it loaded the file and started serving).
pub fn start_on(dir: &Path, args: &[&str]) -> (ExitStatus, String) {
    let mut server = Server::builder(Kind::Redust).dir(dir).args(args).spawn();
    let status = server.wait_exit(DEADLINE);
    // Exited: the pipes end once it has written everything.
    (status, server.finish_log(DEADLINE))
}
