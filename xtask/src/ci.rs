//! `cargo xtask ci`: the checks CI (`.ci/run`) runs, in the same order, so a
//! green local run means a green CI run.

use std::path::Path;

use anyhow::Result;

use crate::cargo;

const STEPS: [&[&str]; 6] = [
    &["fmt", "--all", "--", "--check"],
    &[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ],
    // The dry run below builds the packaged crates as registry crates of
    // the same version in this target dir, and cargo never rechecks a
    // registry crate's sources: artifacts of an earlier run would be reused
    // though the code changed. CI's fresh clone has none; a local run
    // removes them.
    &[
        "clean",
        "-p",
        "redust-protocol",
        "-p",
        "redust-engine",
        "-p",
        "redust-config",
        "-p",
        "redust-memstats",
        "-p",
        "redust-replication",
        "-p",
        "redust-scripting",
    ],
    // The library crates package and build as published (no upload).
    &["publish", "--workspace", "--dry-run"],
    // Their documentation builds without warnings (RUSTDOCFLAGS is set).
    &[
        "doc",
        "--workspace",
        "--no-deps",
        "--exclude",
        "server",
        "--exclude",
        "cli",
        "--exclude",
        "xtask",
    ],
    &["test", "--workspace"],
];

pub fn run(root: &Path) -> Result<()> {
    // Rustdoc warnings fail the doc step, as in CI.
    std::env::set_var("RUSTDOCFLAGS", "-D warnings");
    for step in STEPS {
        cargo::run(root, step)?;
    }
    eprintln!("ci: all checks passed");
    Ok(())
}
