//! `cargo xtask bench`: build redust-server, run every scenario, print the
//! report and optionally record it in docs/benchmarks.md.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context as _, Result};

use crate::args::BenchOptions;
use crate::report::{self, Section};
use crate::scenario::{self, Binaries, Context};
use crate::{cargo, docs};

pub fn run(root: &Path, options: &BenchOptions, raw_args: &[String]) -> Result<()> {
    let scenarios = scenario::selected(options.scenarios.as_deref())?;
    let log_dir = target_dir(root).join("xtask");
    // Logs are named by port; drop the previous run's so the directory only
    // ever shows the run that just failed.
    let _ = fs::remove_dir_all(&log_dir);
    fs::create_dir_all(&log_dir)?;
    let binaries = Binaries {
        redust: match &options.redust {
            Some(path) => path.clone(),
            None => build_redust(root, &log_dir)?,
        },
        redis: options.redis.clone(),
    };
    for binary in [&binaries.redust, &binaries.redis] {
        if !binary.is_file() {
            bail!("server binary {} not found", binary.display());
        }
    }
    let ctx = Context {
        options,
        binaries: &binaries,
        log_dir: &log_dir,
    };

    let mut sections: Vec<Section> = Vec::new();
    for scenario in scenarios {
        let start = Instant::now();
        eprintln!("== {} ==", scenario.name());
        let section = scenario.run(&ctx).with_context(|| {
            format!(
                "{} scenario (server logs in {})",
                scenario.name(),
                log_dir.display()
            )
        })?;
        eprintln!(
            "== {} took {:.0}s ==",
            scenario.name(),
            start.elapsed().as_secs_f64()
        );
        sections.push(section);
    }

    let mut results = report::render(&sections);
    if options.redust.is_some() {
        results.push_str(&format!(
            "\nNote: \"Redust\" here is {}, not this workspace's redust-server.\n",
            binaries.redust.display()
        ));
    }
    println!("{results}");

    if options.write_docs {
        let info =
            docs::RunInfo::collect(root, options.redust.as_deref(), &binaries.redis, raw_args);
        let path = root.join("docs/benchmarks.md");
        docs::write_results(&path, &info, &results)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Builds redust-server and copies it aside: others rebuilding the
/// workspace during a long run must not swap the binary between scenarios.
pub(crate) fn build_redust(root: &Path, log_dir: &Path) -> Result<PathBuf> {
    cargo::run(root, &["build", "--release", "-p", "server"])?;
    let built = target_dir(root).join("release/redust-server");
    let copy = log_dir.join("redust-server");
    fs::copy(&built, &copy).with_context(|| format!("copying {}", built.display()))?;
    Ok(copy)
}

pub(crate) fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), |dir| root.join(dir))
}
