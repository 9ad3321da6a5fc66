//! `cargo xtask ci`: the checks CI runs, in the same order, so a green local
//! run means a green CI run.

use std::path::Path;

use anyhow::Result;

use crate::cargo;

const STEPS: [&[&str]; 3] = [
    &["fmt", "--all", "--", "--check"],
    &[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ],
    &["test", "--workspace"],
];

pub fn run(root: &Path) -> Result<()> {
    for step in STEPS {
        cargo::run(root, step)?;
    }
    eprintln!("ci: all checks passed");
    Ok(())
}
