//! Server configuration, compatible with Redis 7.0: redis.conf files, the
//! `--name value` command line, CONFIG GET / SET / REWRITE, and a typed
//! [`Settings`] view for the rest of the server.
//!
//! Every standard directive of Redis 7.0 is accepted with its default,
//! aliases and error texts, whether or not Redust acts on it;
//! [`Config::not_in_effect`] lists the ones set to no avail. This module
//! performs no process-wide side effects except opening the log file to
//! check it (as Redis does): the caller applies `dir` (chdir), `bind`,
//! `port`, etc. when loading succeeds or CONFIG SET reports a change.

mod load;
mod parse;
mod rewrite;
mod settings;
mod sha256;
mod special;
mod table;
mod value;

#[cfg(test)]
mod tests;

use engine::glob;
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

// Part of the module's API even where the server does not name them yet.
#[allow(unused_imports)]
pub use settings::{
    ClientOutputBufferLimits, LogLevel, MaxmemoryPolicy, ReplDisklessLoad, Settings,
};
#[allow(unused_imports)]
pub use special::notify;
pub use table::IMPLEMENTED;
#[allow(unused_imports)]
pub use value::ObufLimit;

use table::{
    lookup, Directive, Kind, Special, DENY_LOADING, HIDDEN, IMMUTABLE, MULTI_ARG, PROTECTED,
    SENSITIVE, TABLE,
};
use value::Value;

/// The Redis version whose behaviour (and error banner) we reproduce.
pub const REDIS_VERSION: &str = "7.0.15";

/// Why the configuration could not be loaded or rewritten, or a command
/// line asking for something other than running the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// `-v` / `--version`: print the version line, exit 0.
    Version,
    /// `-h` / `--help`: print [`usage`] to stderr, exit 1.
    Help,
    /// Redis's "FATAL CONFIG FILE ERROR" banner: print to stderr, exit 1.
    /// `line` is the 1-based line number and the trimmed line text, absent
    /// for checks made after the last line.
    Fatal {
        line: Option<(usize, String)>,
        reason: String,
    },
    /// The config file can't be read. Redis logs this as a warning, exits 1.
    Open { path: String, reason: String },
    /// `loadmodule` or a module directive: Redust has no modules. Logged as
    /// a warning, exit 1.
    Module(String),
    /// CONFIG REWRITE on a server started without a config file.
    NoConfigFile,
    /// CONFIG REWRITE failed; the text is the reason (strerror).
    Rewrite(String),
}

impl ConfigError {
    /// The process exit status Redis uses for this outcome.
    #[allow(dead_code)] // API for callers not written yet.
    pub fn exit_code(&self) -> i32 {
        match self {
            ConfigError::Version => 0,
            _ => 1,
        }
    }
}

impl fmt::Display for ConfigError {
    /// The text Redis prints, without a final newline. For the CONFIG
    /// REWRITE variants it is the error reply without the `ERR ` prefix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Version => f.write_str("version requested"),
            ConfigError::Help => f.write_str(&usage()),
            ConfigError::Fatal { line, reason } => {
                write!(
                    f,
                    "\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n"
                )?;
                if let Some((number, text)) = line {
                    write!(
                        f,
                        "Reading the configuration file, at line {number}\n>>> '{text}'\n"
                    )?;
                }
                f.write_str(reason)
            }
            ConfigError::Open { path, reason } => {
                write!(f, "Fatal error, can't open config file '{path}': {reason}")
            }
            ConfigError::Module(msg) => f.write_str(msg),
            ConfigError::NoConfigFile => f.write_str("The server is running without a config file"),
            ConfigError::Rewrite(reason) => write!(f, "Rewriting config file: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The `--help` text, naming our binary.
pub fn usage() -> String {
    let p = "./redust-server";
    format!(
        "Usage: {p} [/path/to/redis.conf] [options] [-]\n\
         \x20      {p} - (read config from stdin)\n\
         \x20      {p} -v or --version\n\
         \x20      {p} -h or --help\n\
         \n\
         Examples:\n\
         \x20      {p} (run the server with default conf)\n\
         \x20      echo 'maxmemory 128mb' | {p} -\n\
         \x20      {p} /etc/redis/6379.conf\n\
         \x20      {p} --port 7777\n\
         \x20      {p} --port 7777 --replicaof 127.0.0.1 8888\n\
         \x20      {p} /etc/myredis.conf --loglevel verbose -\n\
         \x20      {p} /etc/myredis.conf --loglevel verbose\n"
    )
}

/// Who issues a CONFIG SET, for the checks that depend on it.
#[derive(Clone, Copy, Debug, Default)]
pub struct SetContext {
    /// The client is connected over loopback or a unix socket (matters for
    /// `enable-protected-configs local`).
    pub local_client: bool,
    /// The dataset is loading (some directives can't change meanwhile).
    pub loading: bool,
}

/// A `rename-command` directive, for the command table to apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenameCommand {
    pub from: String,
    /// Empty: the command is removed.
    pub to: String,
}

/// The whole configuration: the value of every directive plus what the
/// config file said beyond directives.
#[derive(Clone, Debug)]
pub struct Config {
    /// One per [`TABLE`] entry.
    values: Vec<Value>,
    /// Set by the file, argv or CONFIG SET (for `not_in_effect`).
    explicit: Vec<bool>,
    /// The working directory at start-up: `dir`'s default.
    default_dir: String,
    /// Absolute path of the config file, if started with one.
    config_file: Option<PathBuf>,
    renames: Vec<RenameCommand>,
    /// Arguments of each `user` directive, for the ACL code.
    users: Vec<Vec<String>>,
    settings: Settings,
}

impl Default for Config {
    /// All defaults, `dir` being the current directory.
    fn default() -> Self {
        let cwd = std::env::current_dir()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        Config::with_default_dir(cwd)
    }
}

impl Config {
    fn with_default_dir(default_dir: String) -> Config {
        let values: Vec<Value> = TABLE
            .iter()
            .map(|d| Value::default_for(d, &default_dir))
            .collect();
        let settings = Settings::from_values(&values);
        Config {
            explicit: vec![false; values.len()],
            values,
            default_dir,
            config_file: None,
            renames: Vec::new(),
            users: Vec::new(),
            settings,
        }
    }

    /// Build the configuration from `redis-server`-style arguments
    /// (without the program name): an optional config file (first, not
    /// starting with `-`), `--name value...` options applied after the
    /// file, and `-` (first or last) to also read config from stdin.
    pub fn from_args(args: Vec<String>) -> Result<Config, ConfigError> {
        let cwd = std::env::current_dir().map_err(|e| ConfigError::Open {
            path: ".".into(),
            reason: special::io_reason(&e).into_owned(),
        })?;
        load::from_args(&args, &cwd, &mut std::io::stdin().lock())
    }

    /// Typed values for the running server.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Absolute path of the config file, if the server was started with one.
    pub fn config_file(&self) -> Option<&Path> {
        self.config_file.as_deref()
    }

    /// `rename-command` directives, in file order.
    #[allow(dead_code)] // API for callers not written yet.
    pub fn rename_commands(&self) -> &[RenameCommand] {
        &self.renames
    }

    /// Arguments of each `user` directive (user name first), in file order.
    #[allow(dead_code)] // API for callers not written yet.
    pub fn users(&self) -> &[Vec<String>] {
        &self.users
    }

    /// Whether CONFIG SET of this directive must be redacted from logs,
    /// SLOWLOG and MONITOR.
    #[allow(dead_code)] // API for callers not written yet.
    pub fn is_sensitive(name: &[u8]) -> bool {
        lookup(name).is_some_and(|(i, _)| TABLE[i].has(SENSITIVE))
    }

    /// CONFIG GET: name/value pairs for directives matching any pattern
    /// (Redis glob, case-insensitive), each name once. A pattern without
    /// `*?[` is an exact name and is echoed as given; hidden directives
    /// only answer to exact names.
    pub fn get(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for &pattern in patterns {
            if !pattern.iter().any(|c| matches!(c, b'*' | b'?' | b'[')) {
                if let Some((i, _)) = lookup(pattern) {
                    if seen.insert(pattern.to_ascii_lowercase()) {
                        out.push((
                            String::from_utf8_lossy(pattern).into_owned(),
                            self.format(i),
                        ));
                    }
                }
                continue;
            }
            for (i, d) in TABLE.iter().enumerate().filter(|(_, d)| !d.has(HIDDEN)) {
                for name in std::iter::once(d.name).chain(d.alias) {
                    if glob::matches(pattern, name.as_bytes(), true)
                        && seen.insert(name.as_bytes().to_vec())
                    {
                        out.push((name.to_owned(), self.format(i)));
                    }
                }
            }
        }
        out
    }

    /// CONFIG SET from a remote client while not loading; see [`Config::set_with`].
    #[allow(dead_code)] // API for callers not written yet.
    pub fn set(&mut self, pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<Vec<&'static str>, String> {
        self.set_with(pairs, SetContext::default())
    }

    /// CONFIG SET name value [name value ...], all or nothing. Returns the
    /// canonical names whose value changed, for the caller to apply (and
    /// to roll back with a clone of the old `Config` if applying fails).
    /// The error is the reply text without the leading `-`.
    pub fn set_with(
        &mut self,
        pairs: &[(Vec<u8>, Vec<u8>)],
        ctx: SetContext,
    ) -> Result<Vec<&'static str>, String> {
        let chosen = self.check_set_names(pairs, ctx)?;
        let mut values = self.values.clone();
        for &Chosen {
            index: i,
            alias,
            raw,
        } in &chosen
        {
            let d = &TABLE[i];
            let raw = String::from_utf8_lossy(raw).into_owned();
            let args: Vec<String> = if !d.has(MULTI_ARG) {
                vec![raw]
            } else if raw.is_empty() {
                Vec::new()
            } else {
                raw.split(' ').map(str::to_owned).collect()
            };
            let v = values[i].parse(d, &args, false).map_err(|e| {
                let name = if alias {
                    d.alias.unwrap_or(d.name)
                } else {
                    d.name
                };
                format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {e}")
            })?;
            values[i] = normalize(d, v);
        }
        let mut changed = Vec::new();
        for &Chosen { index: i, .. } in &chosen {
            self.explicit[i] = true;
            if values[i] != self.values[i] && !changed.contains(&TABLE[i].name) {
                changed.push(TABLE[i].name);
            }
        }
        self.values = values;
        self.settings = Settings::from_values(&self.values);
        Ok(changed)
    }

    /// Resolve the names of a CONFIG SET, with Redis's error precedence:
    /// loading, then the first unknown name, then the first other problem.
    fn check_set_names<'p>(
        &self,
        pairs: &'p [(Vec<u8>, Vec<u8>)],
        ctx: SetContext,
    ) -> Result<Vec<Chosen<'p>>, String> {
        let protected_allowed = match self.values[table::index("enable-protected-configs")] {
            Value::Enum(1) => true,
            Value::Enum(2) => ctx.local_client,
            _ => false,
        };
        let mut chosen: Vec<Chosen> = Vec::new();
        let mut unknown: Option<&[u8]> = None;
        let mut problem: Option<(&[u8], &str)> = None;
        let mut deny_loading = false;
        for (name, raw) in pairs {
            let failed = unknown.is_some() || problem.is_some() || deny_loading;
            let Some((i, alias)) = lookup(name) else {
                if !failed {
                    unknown = Some(name);
                }
                continue;
            };
            if failed {
                continue;
            }
            let d = &TABLE[i];
            if d.has(IMMUTABLE) {
                problem = Some((name, "can't set immutable config"));
            } else if d.has(PROTECTED) && !protected_allowed {
                problem = Some((name, "can't set protected config"));
            } else if ctx.loading && d.has(DENY_LOADING) {
                deny_loading = true;
            } else {
                // The alias and the name count as different parameters.
                if chosen.iter().any(|c| c.index == i && c.alias == alias) {
                    problem = Some((name, "duplicate parameter"));
                }
                chosen.push(Chosen {
                    index: i,
                    alias,
                    raw,
                });
            }
        }
        if deny_loading {
            Err("LOADING Redis is loading the dataset in memory".to_owned())
        } else if let Some(name) = unknown {
            Err(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                String::from_utf8_lossy(name)
            ))
        } else if let Some((name, why)) = problem {
            Err(format!(
                "ERR CONFIG SET failed (possibly related to argument '{}') - {why}",
                String::from_utf8_lossy(name)
            ))
        } else {
            Ok(chosen)
        }
    }

    /// CONFIG REWRITE: update the config file in place (atomically).
    /// Map [`ConfigError::NoConfigFile`] and [`ConfigError::Rewrite`] to
    /// `-ERR <Display>`.
    pub fn rewrite(&self) -> Result<(), ConfigError> {
        let path = self
            .config_file
            .as_deref()
            .ok_or(ConfigError::NoConfigFile)?;
        let io_err = |e: std::io::Error| ConfigError::Rewrite(special::io_reason(&e).into_owned());
        let old = rewrite::read_old(path).map_err(io_err)?;
        let defaults: Vec<Value> = TABLE
            .iter()
            .map(|d| Value::default_for(d, &self.default_dir))
            .collect();
        let extra = rewrite::Extra {
            defaults: &defaults,
            cluster_enabled: self.settings.cluster_enabled,
            users: self
                .value_of("aclfile")
                .as_str()
                .unwrap_or("")
                .is_empty()
                .then(|| self.user_lines()),
        };
        let content = rewrite::render(&old, &self.values, &extra);
        rewrite::write_atomically(path, &content).map_err(io_err)
    }

    /// `user` lines as Redis's ACL would describe them: the default user
    /// (password from `requirepass`) unless the file defined it, then the
    /// file's users as written, sorted by name.
    fn user_lines(&self) -> Vec<String> {
        let mut users: Vec<String> = self.users.iter().map(|u| u.join(" ")).collect();
        if !self.users.iter().any(|u| u[0] == "default") {
            let password = match &self.settings.requirepass {
                Some(p) => format!("#{}", sha256::hex_digest(p.as_bytes())),
                None => "nopass".to_owned(),
            };
            users.push(format!("default on {password} ~* &* +@all"));
        }
        users.sort_by(|a, b| a.split(' ').next().cmp(&b.split(' ').next()));
        users
    }

    /// Directives set explicitly (file, argv or CONFIG SET) to a value other
    /// than the default that Redust does not act on, for a start-up warning.
    pub fn not_in_effect(&self) -> Vec<String> {
        let mut out: Vec<String> = TABLE
            .iter()
            .enumerate()
            .filter(|&(i, d)| {
                self.explicit[i]
                    && !d.implemented()
                    && self.values[i] != Value::default_for(d, &self.default_dir)
            })
            .map(|(_, d)| d.name.to_owned())
            .collect();
        let file_only = [
            ("rename-command", !self.renames.is_empty()),
            ("user", !self.users.is_empty()),
        ];
        for (name, used) in file_only {
            if used && !IMPLEMENTED.contains(&name) {
                out.push(name.to_owned());
            }
        }
        out
    }

    fn value_of(&self, name: &str) -> &Value {
        &self.values[table::index(name)]
    }

    fn format(&self, i: usize) -> String {
        self.values[i].format(&TABLE[i])
    }
}

/// One directive of a CONFIG SET.
struct Chosen<'p> {
    index: usize,
    /// Named by its alias.
    alias: bool,
    raw: &'p [u8],
}

/// Adjustments Redis makes after setting a value.
fn normalize(d: &Directive, v: Value) -> Value {
    match (d.name, v) {
        // hz is a hint: out-of-range values are clamped, not refused.
        ("hz", Value::Num(hz)) => Value::Num(hz.clamp(1, 500)),
        (_, v) => v,
    }
}

/// Whether `d` is the `save` directive (its file lines accumulate).
fn is_save(d: &Directive) -> bool {
    matches!(d.kind, Kind::Special(Special::Save))
}
