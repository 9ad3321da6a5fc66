//! CPU pinning: servers on one core, load generators on the others, so a
//! server under test never shares its core with the client measuring it and
//! runs of the same server land on the same core. Both kinds of server are
//! pinned alike, keeping the comparison fair. On with REDUST_BENCH_PIN=1
//! (where `taskset` and a second core exist): the servers are then
//! CPU-bound rather than sharing cores with the clients, which shows
//! per-command cost; replication scenarios then put all servers on one core.

use std::path::Path;
use std::process::Command;
use std::thread;

const TASKSET: &str = "/usr/bin/taskset";

fn enabled() -> bool {
    std::env::var_os("REDUST_BENCH_PIN").is_some()
        && Path::new(TASKSET).exists()
        && thread::available_parallelism().map_or(1, |n| n.get()) >= 2
}

/// `program` run on `cpus` (a taskset list such as "0" or "1-3") when
/// pinning is on; the plain program otherwise.
fn command(program: &Path, cpus: String) -> Command {
    if enabled() {
        let mut c = Command::new(TASKSET);
        c.arg("-c").arg(cpus).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// A server process: core 0.
pub fn server(program: &Path) -> Command {
    command(program, "0".into())
}

/// A load generator: every core but 0.
pub fn client(program: &Path) -> Command {
    let last = thread::available_parallelism().map_or(1, |n| n.get()) - 1;
    command(program, format!("1-{}", last.max(1)))
}

/// Whether runs are pinned (for the report).
pub fn describe() -> &'static str {
    if enabled() {
        "servers pinned to CPU 0, load generators to the other CPUs (taskset)"
    } else {
        "no CPU pinning"
    }
}
