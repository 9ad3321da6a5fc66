//! Loading configuration text: the config file, stdin and the command-line
//! options (appended as extra lines), `include` files, and Redis's checks
//! after the last line.

use std::io::Read;
use std::path::{Path, PathBuf};

use engine::glob;

use crate::config::{Config, RenameCommand};
use crate::directive::MULTI_ARG;
use crate::error::ConfigError;
use crate::parse::{invocation, split_args, trim_line, Invocation};
use crate::special::io_reason;
use crate::table::{lookup, TABLE};

/// Accepted and ignored (argument count included), like Redis 7.0.
const DEPRECATED: &[&str] = &[
    "list-max-ziplist-entries",
    "list-max-ziplist-value",
    "lua-replicate-commands",
];

/// `include` loops would otherwise recurse forever (Redis crashes).
const MAX_INCLUDE_DEPTH: usize = 64;

pub(crate) fn from_args(
    args: &[String],
    cwd: &Path,
    stdin: &mut dyn Read,
) -> Result<Config, ConfigError> {
    let plan = match invocation(args) {
        Invocation::Version => return Err(ConfigError::Version),
        Invocation::Help => return Err(ConfigError::Help),
        Invocation::Run(plan) => plan,
    };
    let mut loader = Loader {
        cfg: Config::with_default_dir(cwd.to_string_lossy().into_owned()),
        save_loaded: false,
        modules: Vec::new(),
        module_configs: false,
        depth: 0,
    };
    let Some(options) = plan.options else {
        // No arguments at all: Redis does not even run the loader.
        return Ok(loader.cfg);
    };
    let mut text = Vec::new();
    if let Some(file) = &plan.file {
        let path = absolute_path(file, cwd);
        text = read_sources(&path.to_string_lossy())?;
        loader.cfg.config_file = Some(path);
    }
    if plan.stdin {
        // A read error just ends the input, like fgets() returning NULL.
        let _ = stdin.read_to_end(&mut text);
    }
    text.push(b'\n');
    text.extend_from_slice(options.as_bytes());
    loader.load_text(&text)?;

    if let Some(path) = loader.modules.first() {
        return Err(ConfigError::Module(format!(
            "Module {path} failed to load: Redust does not support modules"
        )));
    }
    if loader.module_configs {
        return Err(ConfigError::Module(
            "Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting"
                .into(),
        ));
    }
    Ok(loader.cfg)
}

/// Redis's `getAbsolutePath`: join with the cwd, folding leading `../`.
fn absolute_path(file: &str, cwd: &Path) -> PathBuf {
    let file = file.trim_matches([' ', '\r', '\n', '\t']);
    if file.starts_with('/') {
        return PathBuf::from(file);
    }
    let mut base = cwd.to_path_buf();
    let mut rel = file;
    while let Some(rest) = rel.strip_prefix("../") {
        rel = rest;
        base.pop();
    }
    base.join(rel)
}

/// The content of a file, or of every file a wildcard pattern matches
/// (wildcards in the last path component only), concatenated.
fn read_sources(pattern: &str) -> Result<Vec<u8>, ConfigError> {
    let open_err = |path: &str, e: std::io::Error| ConfigError::Open {
        path: path.to_owned(),
        reason: io_reason(&e).into_owned(),
    };
    if !pattern.contains(['*', '?', '[']) {
        return std::fs::read(pattern).map_err(|e| open_err(pattern, e));
    }
    let path = Path::new(pattern);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_pattern = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut matches: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // Like glob(3), wildcards don't match a leading dot.
            (!name.starts_with('.') || file_pattern.starts_with('.'))
                && glob::matches(file_pattern.as_bytes(), name.as_bytes(), false)
        })
        .map(|entry| dir.join(entry.file_name()))
        .collect();
    matches.sort();
    let mut text = Vec::new();
    for m in matches {
        let shown = m.to_string_lossy().into_owned();
        text.extend(std::fs::read(&m).map_err(|e| open_err(&shown, e))?);
    }
    Ok(text)
}

/// A directive failed: either a reason to report against its line, or an
/// error from an included file, reported as is.
enum LineError {
    Reason(String),
    Include(ConfigError),
}

struct Loader {
    cfg: Config,
    /// A `save` line was seen: later ones add to it.
    save_loaded: bool,
    modules: Vec<String>,
    module_configs: bool,
    depth: usize,
}

impl Loader {
    /// Apply config text, line by line; line numbers restart for each
    /// included file, as in Redis.
    fn load_text(&mut self, text: &[u8]) -> Result<(), ConfigError> {
        for (i, raw) in text.split(|&c| c == b'\n').enumerate() {
            let line = trim_line(raw);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let fatal = |reason: String| ConfigError::Fatal {
                line: Some((i + 1, String::from_utf8_lossy(line).into_owned())),
                reason,
            };
            let argv = split_args(line)
                .ok_or_else(|| fatal("Unbalanced quotes in configuration line".into()))?;
            let argv: Vec<String> = argv
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            if argv.is_empty() {
                continue;
            }
            self.directive(&argv).map_err(|e| match e {
                LineError::Reason(reason) => fatal(reason),
                LineError::Include(e) => e,
            })?;
        }
        self.final_checks()
    }

    fn directive(&mut self, argv: &[String]) -> Result<(), LineError> {
        let name = argv[0].to_ascii_lowercase();
        if let Some((i, _)) = lookup(name.as_bytes()) {
            return self.standard(i, argv).map_err(LineError::Reason);
        }
        let argc = argv.len();
        if DEPRECATED.contains(&name.as_str()) && argc == 2 {
            return Ok(());
        }
        match name.as_str() {
            "include" if argc == 2 => self.include(&argv[1]),
            "rename-command" if argc == 3 => {
                self.cfg.renames.push(RenameCommand {
                    from: argv[1].clone(),
                    to: argv[2].clone(),
                });
                Ok(())
            }
            "user" if argc >= 2 => {
                self.cfg.users.push(argv[1..].to_vec());
                Ok(())
            }
            "loadmodule" if argc >= 2 => {
                self.modules.push(argv[1].clone());
                Ok(())
            }
            n if n.contains('.') => {
                if argc < 2 {
                    return Err(LineError::Reason(
                        "Module config specified without value".into(),
                    ));
                }
                self.module_configs = true;
                Ok(())
            }
            // A bare `sentinel` line is ignored; sentinel mode is not supported.
            "sentinel" if argc == 1 => Ok(()),
            "sentinel" => Err(LineError::Reason(
                "sentinel directive while not in sentinel mode".into(),
            )),
            _ => Err(LineError::Reason(
                "Bad directive or wrong number of arguments".into(),
            )),
        }
    }

    fn standard(&mut self, i: usize, argv: &[String]) -> Result<(), String> {
        let d = &TABLE[i];
        let multi = d.has(MULTI_ARG);
        if !multi && argv.len() != 2 {
            return Err("wrong number of arguments".into());
        }
        // One non-empty argument of a multi-argument directive is split
        // again, so `--save "900 1 300 10"` works (but `--save ""` stays).
        let resplit;
        let args: &[String] = if multi && argv.len() == 2 && !argv[1].is_empty() {
            resplit = split_args(argv[1].as_bytes())
                .unwrap_or_default()
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>();
            &resplit
        } else {
            &argv[1..]
        };
        let save_append = d.is_save() && self.save_loaded;
        d.set(&mut self.cfg.settings, args, save_append)
            .map_err(|e| e.into_owned())?;
        if d.is_save() {
            self.save_loaded = true;
        }
        self.cfg.explicit[i] = true;
        Ok(())
    }

    /// Errors inside the included file are reported against that file.
    fn include(&mut self, file: &str) -> Result<(), LineError> {
        if self.depth >= MAX_INCLUDE_DEPTH {
            return Err(LineError::Reason("Too many nested includes".into()));
        }
        // Relative to `dir`: Redis has already changed directory there.
        let path = Path::new(&self.cfg.settings.dir).join(file);
        let text = read_sources(&path.to_string_lossy()).map_err(LineError::Include)?;
        self.depth += 1;
        let result = self.load_text(&text);
        self.depth -= 1;
        result.map_err(LineError::Include)
    }

    /// Checks Redis makes after the last line of each loaded text.
    fn final_checks(&self) -> Result<(), ConfigError> {
        let s = &self.cfg.settings;
        let fatal = |reason: String| ConfigError::Fatal { line: None, reason };
        if !s.logfile.is_empty() {
            // Fail now rather than lose the logs later.
            let path = Path::new(&s.dir).join(&s.logfile);
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .map_err(|e| fatal(format!("Can't open the log file: {}", io_reason(&e))))?;
        }
        if s.cluster_enabled && s.replicaof.is_some() {
            return Err(fatal(
                "replicaof directive not allowed in cluster mode".into(),
            ));
        }
        Ok(())
    }
}
