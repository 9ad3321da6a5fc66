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

/// What runs a program on `cpus` (a taskset list such as "0" or "1-3")
/// when pinning is on: nothing otherwise.
fn launcher(cpus: String) -> Vec<String> {
    if enabled() {
        vec![TASKSET.into(), "-c".into(), cpus]
    } else {
        Vec::new()
    }
}

/// What runs a server process: core 0.
pub fn server() -> Vec<String> {
    launcher("0".into())
}

/// A load generator: every core but 0.
pub fn client(program: &Path) -> Command {
    let last = thread::available_parallelism().map_or(1, |n| n.get()) - 1;
    match launcher(format!("1-{}", last.max(1))).split_first() {
        Some((taskset, args)) => {
            let mut command = Command::new(taskset);
            command.args(args).arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// Whether runs are pinned (for the report).
pub fn describe() -> &'static str {
    if enabled() {
        "servers pinned to CPU 0, load generators to the other CPUs (taskset)"
    } else {
        "no CPU pinning"
    }
}
