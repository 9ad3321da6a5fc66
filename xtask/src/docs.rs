//! Recording a bench run in docs/benchmarks.md: the report plus what is
//! needed to judge and reproduce it (date, machine, command, versions).

use std::fs;
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result};

/// The generated part of the file lives between these markers; everything
/// outside them is hand-written and kept as is.
const BEGIN: &str = "<!-- BEGIN cargo xtask bench results -->";
const END: &str = "<!-- END cargo xtask bench results -->";

/// Where and how a run happened, printed above its tables.
pub struct RunInfo {
    pub date: String,
    pub command: String,
    pub cpus: usize,
    pub cpu_model: String,
    pub memory: String,
    pub kernel: String,
    pub redis_version: String,
    /// Which Redust was measured: a commit of this workspace or a binary.
    pub redust: String,
}

impl RunInfo {
    /// `redust` is the `--redust` binary, if one was given instead of a build.
    pub fn collect(root: &Path, redust: Option<&Path>, redis: &Path, args: &[String]) -> RunInfo {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        RunInfo {
            date: utc_date(SystemTime::now()),
            command: format!("cargo xtask {}", shell_words(args)),
            cpus: thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model: cpu_model(&cpuinfo).unwrap_or("unknown CPU").to_owned(),
            memory: mem_total(&meminfo).unwrap_or_else(|| "unknown".to_owned()),
            kernel: stdout_of(Command::new("uname").args(["-sr"]))
                .unwrap_or_else(|| "unknown kernel".to_owned()),
            redis_version: stdout_of(Command::new(redis).arg("--version"))
                .map(|v| redis_version(&v))
                .unwrap_or_else(|| "unknown".to_owned()),
            redust: match redust {
                Some(binary) => format!("Redust binary {}", binary.display()),
                // "-dirty" when the working tree (the build measured) differs.
                None => format!(
                    "Redust at commit {}",
                    stdout_of(
                        Command::new("git")
                            .current_dir(root)
                            .args(["describe", "--always", "--dirty"])
                    )
                    .unwrap_or_else(|| "unknown".to_owned())
                ),
            },
        }
    }

    pub fn to_markdown(&self) -> String {
        format!(
            "Run on {}: {} CPU(s), {}, {} RAM, {}; redis-server {}; {}; {}.\n\n\
             ```\n{}\n```\n",
            self.date,
            self.cpus,
            self.cpu_model,
            self.memory,
            self.kernel,
            self.redis_version,
            self.redust,
            crate::pin::describe(),
            self.command
        )
    }
}

/// Puts `results` between the markers in `path`, replacing an earlier run or
/// appending when there is none (creating the file if needed).
pub fn write_results(path: &Path, info: &RunInfo, results: &str) -> Result<()> {
    let existing = fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n".to_owned());
    let section = format!("## Results\n\n{}\n{results}", info.to_markdown());
    let updated = replace_section(&existing, &section);
    fs::write(path, updated).with_context(|| format!("writing {}", path.display()))
}

fn replace_section(existing: &str, section: &str) -> String {
    let block = format!("{BEGIN}\n{}\n{END}", section.trim_end());
    match (existing.find(BEGIN), existing.find(END)) {
        (Some(start), Some(end)) if start < end => {
            format!(
                "{}{block}{}",
                &existing[..start],
                &existing[end + END.len()..]
            )
        }
        _ => format!("{}\n\n{block}\n", existing.trim_end()),
    }
}

/// The first "model name\t: ..." line of /proc/cpuinfo.
fn cpu_model(cpuinfo: &str) -> Option<&str> {
    cpuinfo.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name.trim() == "model name").then(|| value.trim())
    })
}

/// MemTotal of /proc/meminfo in GiB.
fn mem_total(meminfo: &str) -> Option<String> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(format!("{:.0} GiB", kib / (1024.0 * 1024.0)))
}

/// "7.0.15" out of `redis-server --version`.
fn redis_version(output: &str) -> String {
    output
        .split_whitespace()
        .find_map(|w| w.strip_prefix("v="))
        .unwrap_or(output.trim())
        .to_owned()
}

fn stdout_of(command: &mut Command) -> Option<String> {
    let output = command.output().ok().filter(|o| o.status.success())?;
    Some(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Arguments re-joined for copy-paste, quoting the few that need it.
fn shell_words(args: &[String]) -> String {
    let quoted: Vec<String> = args
        .iter()
        .map(|a| {
            let plain = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_=,./:".contains(c));
            if plain {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect();
    quoted.join(" ")
}

/// YYYY-MM-DD (UTC) without a date crate: days since the epoch to a civil
/// date, using Howard Hinnant's algorithm.
fn utc_date(now: SystemTime) -> String {
    let days = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates() {
        let at = |secs| utc_date(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01");
        assert_eq!(at(951_782_400), "2000-02-29");
        assert_eq!(at(1_767_225_599), "2025-12-31");
    }

    #[test]
    fn appends_then_replaces_the_generated_section() {
        let doc = "# Benchmarks\n\nHow to read this.\n";
        let first = replace_section(doc, "run 1\n");
        assert_eq!(
            first,
            format!("{}\n\n{BEGIN}\nrun 1\n{END}\n", doc.trim_end())
        );
        let edited = format!("{first}\nTrailing notes.\n");
        let second = replace_section(&edited, "run 2");
        assert_eq!(
            second,
            format!(
                "# Benchmarks\n\nHow to read this.\n\n{BEGIN}\nrun 2\n{END}\n\nTrailing notes.\n"
            )
        );
    }

    #[test]
    fn version_and_command_line() {
        assert_eq!(
            redis_version("Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64"),
            "7.0.15"
        );
        let args = ["bench", "--only", "set,get", "--redust", "/a b"].map(String::from);
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n";
        assert_eq!(cpu_model(cpuinfo), Some("AMD EPYC 7B13"));
        let meminfo = "MemTotal:       24684092 kB\nMemFree: 1 kB\n";
        assert_eq!(mem_total(meminfo).as_deref(), Some("24 GiB"));
        assert_eq!(shell_words(&args), "bench --only set,get --redust '/a b'");
    }
}
