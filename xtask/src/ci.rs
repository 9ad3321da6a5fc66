//! `cargo xtask ci`: the checks CI (`.ci/run`) runs, in the same order, so a
//! green local run means a green CI run.

use std::path::Path;

use anyhow::Result;

use crate::cargo;

const STEPS: [&[&str]; 5] = [
    &["fmt", "--all", "--", "--check"],
    &[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
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
