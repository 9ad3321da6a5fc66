//! Running cargo itself, the same toolchain that runs xtask.

use std::env;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context as _, Result};

/// Runs `cargo <args>` in the workspace root with inherited output.
pub fn run(root: &Path, args: &[&str]) -> Result<()> {
    // `cargo run` sets CARGO to the cargo binary that launched us.
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("$ cargo {}", args.join(" "));
    let status = Command::new(cargo)
        .args(args)
        .current_dir(root)
        .status()
        .context("running cargo")?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}
