//! Development tasks for the Redust workspace, run as `cargo xtask <task>`
//! (see `args::USAGE`).

mod args;
mod bench;
mod benchmark;
mod bitgeo;
mod cargo;
mod ci;
mod dataset;
mod datatypes;
mod docs;
mod eviction;
mod fuzz;
mod hyperloglog;
mod memory;
mod pin;
mod rdb;
mod replication;
mod report;
mod scenario;
mod servers;
mod snapshot;
mod transactions;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use args::Task;

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = args::parse(&raw).and_then(|task| match task {
        Task::Ci => ci::run(&root),
        Task::Bench(options) => bench::run(&root, &options, &raw),
        Task::Fuzz(options) => fuzz::run(&root, &options),
        Task::Help => {
            println!("{}", args::USAGE);
            Ok(())
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask lives one level below it.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}
