//! The crate's errors: loading the configuration ([`ConfigError`]) and
//! CONFIG SET ([`SetError`]). Their `Display` is the text Redis prints or
//! replies.

use crate::{usage, REDIS_VERSION};

/// Why the configuration could not be loaded or rewritten, or a command
/// line asking for something other than running the server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `-v` / `--version`: print the version line, exit 0.
    #[error("version requested")]
    Version,
    /// `-h` / `--help`: print [`usage`] to stderr, exit 1.
    #[error("{}", usage())]
    Help,
    /// Redis's "FATAL CONFIG FILE ERROR" banner: print to stderr, exit 1.
    /// `line` is the 1-based line number and the trimmed line text, absent
    /// for checks made after the last line.
    #[error("{}", fatal_banner(.line.as_ref(), .reason))]
    Fatal {
        line: Option<(usize, String)>,
        reason: String,
    },
    /// The config file can't be read. Redis logs this as a warning, exits 1.
    #[error("Fatal error, can't open config file '{path}': {reason}")]
    Open { path: String, reason: String },
    /// `loadmodule` or a module directive: Redust has no modules. Logged as
    /// a warning, exit 1.
    #[error("{0}")]
    Module(String),
    /// CONFIG REWRITE on a server started without a config file. Reply
    /// `-ERR <Display>`.
    #[error("The server is running without a config file")]
    NoConfigFile,
    /// CONFIG REWRITE failed; the text is the reason (strerror). Reply
    /// `-ERR <Display>`.
    #[error("Rewriting config file: {0}")]
    Rewrite(String),
}

impl ConfigError {
    /// The process exit status Redis uses for this outcome.
    pub fn exit_code(&self) -> i32 {
        match self {
            ConfigError::Version => 0,
            _ => 1,
        }
    }
}

fn fatal_banner(line: Option<&(usize, String)>, reason: &str) -> String {
    let mut out = format!("\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n");
    if let Some((number, text)) = line {
        out.push_str(&format!(
            "Reading the configuration file, at line {number}\n>>> '{text}'\n"
        ));
    }
    out.push_str(reason);
    out
}

/// Why CONFIG SET refused a request. `Display` is the whole error reply
/// without the leading `-`, error code included ([`SetError::code`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetError {
    /// A directive that can't change while the dataset loads.
    #[error("LOADING Redis is loading the dataset in memory")]
    Loading,
    /// No such directive (the name as given).
    #[error("ERR Unknown option or number of arguments for CONFIG SET - '{0}'")]
    Unknown(String),
    /// The directive (named as given, or canonically for a bad value)
    /// refused the request.
    #[error("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")]
    Failed { name: String, reason: String },
}

impl SetError {
    /// The Redis error code the reply starts with.
    pub fn code(&self) -> &'static str {
        match self {
            SetError::Loading => "LOADING",
            _ => "ERR",
        }
    }
}
