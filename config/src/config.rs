//! [`Config`]: the settings plus what the config file said beyond
//! directives, and the operations on them: CONFIG GET / SET / REWRITE and
//! the start-up warnings.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use engine::glob;
use sha2::{Digest, Sha256};

use crate::directive::{Apply, DENY_LOADING, HIDDEN, IMMUTABLE, MULTI_ARG, PROTECTED, SENSITIVE};
use crate::error::{ConfigError, SetError};
use crate::settings::{ProtectedAction, Settings};
use crate::special::io_reason;
use crate::table::{lookup, TABLE};
use crate::{load, rewrite};

/// Who issues a CONFIG SET, for the checks that depend on it.
#[derive(Clone, Copy, Debug, Default)]
pub struct SetContext {
    /// The client is connected over loopback or a unix socket (matters for
    /// `enable-protected-configs local`).
    pub local_client: bool,
    /// The dataset is loading (some directives can't change meanwhile).
    pub loading: bool,
}

/// What a successful CONFIG SET changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Canonical names of the directives whose value changed, in request
    /// order.
    pub names: Vec<&'static str>,
    /// The hooks of those directives, each once, in the same order: what
    /// the server must redo.
    pub apply: Vec<Apply>,
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
    /// The storage of every directive's value.
    pub(crate) settings: Settings,
    /// Per [`TABLE`] entry: set by the file, argv or CONFIG SET (for
    /// `not_in_effect`).
    pub(crate) explicit: Vec<bool>,
    /// The working directory at start-up: `dir`'s default.
    pub(crate) default_dir: String,
    /// Absolute path of the config file, if started with one.
    pub(crate) config_file: Option<PathBuf>,
    pub(crate) renames: Vec<RenameCommand>,
    /// Arguments of each `user` directive, for the ACL code.
    pub(crate) users: Vec<Vec<String>>,
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

/// One directive of a CONFIG SET.
struct Chosen<'p> {
    index: usize,
    /// Named by its alias.
    alias: bool,
    raw: &'p [u8],
}

impl Config {
    pub(crate) fn with_default_dir(default_dir: String) -> Config {
        Config {
            settings: Settings::defaults(&default_dir),
            explicit: vec![false; TABLE.len()],
            default_dir,
            config_file: None,
            renames: Vec::new(),
            users: Vec::new(),
        }
    }

    /// Build the configuration from `redis-server`-style arguments
    /// (without the program name): an optional config file (first, not
    /// starting with `-`), `--name value...` options applied after the
    /// file, and `-` (first or last) to also read config from stdin.
    pub fn from_args(args: Vec<String>) -> Result<Config, ConfigError> {
        let cwd = std::env::current_dir().map_err(|e| ConfigError::Open {
            path: ".".into(),
            reason: io_reason(&e).into_owned(),
        })?;
        load::from_args(&args, &cwd, &mut std::io::stdin().lock())
    }

    /// Every directive's value, typed.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// REPLICAOF / SLAVEOF at run time (`None`: NO ONE). Like Redis, CONFIG
    /// GET and CONFIG REWRITE show the server's current master, which only
    /// these commands change (the directive is immutable to CONFIG SET).
    pub fn set_replicaof(&mut self, master: Option<(String, u16)>) {
        self.settings.replicaof = master;
    }

    /// Absolute path of the config file, if the server was started with one.
    pub fn config_file(&self) -> Option<&Path> {
        self.config_file.as_deref()
    }

    /// `rename-command` directives, in file order.
    pub fn rename_commands(&self) -> &[RenameCommand] {
        &self.renames
    }

    /// Arguments of each `user` directive (user name first), in file order.
    pub fn users(&self) -> &[Vec<String>] {
        &self.users
    }

    /// Whether CONFIG SET of this directive must be redacted from logs,
    /// SLOWLOG and MONITOR.
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
                            TABLE[i].format(&self.settings),
                        ));
                    }
                }
                continue;
            }
            for d in TABLE.iter().filter(|d| !d.has(HIDDEN)) {
                for name in std::iter::once(d.name).chain(d.alias) {
                    if glob::matches(pattern, name.as_bytes(), true)
                        && seen.insert(name.as_bytes().to_vec())
                    {
                        out.push((name.to_owned(), d.format(&self.settings)));
                    }
                }
            }
        }
        out
    }

    /// CONFIG SET from a remote client while not loading; see [`Config::set_with`].
    pub fn set(&mut self, pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<Changes, SetError> {
        self.set_with(pairs, SetContext::default())
    }

    /// CONFIG SET name value [name value ...], all or nothing. Returns what
    /// changed, for the caller to apply (and to roll back with a clone of
    /// the old `Config` if applying fails).
    pub fn set_with(
        &mut self,
        pairs: &[(Vec<u8>, Vec<u8>)],
        ctx: SetContext,
    ) -> Result<Changes, SetError> {
        let chosen = self.check_set_names(pairs, ctx)?;
        let mut next = self.settings.clone();
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
            d.set(&mut next, &args, false)
                .map_err(|reason| SetError::Failed {
                    name: if alias {
                        d.alias.unwrap_or(d.name)
                    } else {
                        d.name
                    }
                    .to_owned(),
                    reason: reason.into_owned(),
                })?;
        }
        let mut changes = Changes::default();
        for &Chosen { index: i, .. } in &chosen {
            let d = &TABLE[i];
            self.explicit[i] = true;
            if !d.same(&next, &self.settings) && !changes.names.contains(&d.name) {
                changes.names.push(d.name);
                if let Some(apply) = d.apply.filter(|a| !changes.apply.contains(a)) {
                    changes.apply.push(apply);
                }
            }
        }
        // Redis rebuilds its TLS context only while TLS is in use, and
        // without certificates that fails.
        let tls_in_use = next.tls_port != 0 || next.tls_replication || next.tls_cluster;
        let tls_change = chosen.iter().map(|c| c.index).find(|&i| {
            TABLE[i].apply == Some(Apply::Tls) && changes.names.contains(&TABLE[i].name)
        });
        if let Some(i) = tls_change.filter(|_| tls_in_use) {
            return Err(SetError::Failed {
                name: TABLE[i].name.to_owned(),
                reason: "Unable to update TLS configuration. Check server logs.".to_owned(),
            });
        }
        self.settings = next;
        Ok(changes)
    }

    /// Resolve the names of a CONFIG SET, with Redis's error precedence:
    /// loading, then the first unknown name, then the first other problem.
    fn check_set_names<'p>(
        &self,
        pairs: &'p [(Vec<u8>, Vec<u8>)],
        ctx: SetContext,
    ) -> Result<Vec<Chosen<'p>>, SetError> {
        let protected_allowed = match self.settings.enable_protected_configs {
            ProtectedAction::Yes => true,
            ProtectedAction::Local => ctx.local_client,
            ProtectedAction::No => false,
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
        let lossy = |name: &[u8]| String::from_utf8_lossy(name).into_owned();
        if deny_loading {
            Err(SetError::Loading)
        } else if let Some(name) = unknown {
            Err(SetError::Unknown(lossy(name)))
        } else if let Some((name, why)) = problem {
            Err(SetError::Failed {
                name: lossy(name),
                reason: why.to_owned(),
            })
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
        let io_err = |e: std::io::Error| ConfigError::Rewrite(io_reason(&e).into_owned());
        let old = rewrite::read_old(path).map_err(io_err)?;
        let defaults = Settings::defaults(&self.default_dir);
        let users = self.settings.aclfile.is_empty().then(|| self.user_lines());
        let content = rewrite::render(&old, &self.settings, &defaults, users);
        rewrite::write_atomically(path, &content).map_err(io_err)
    }

    /// `user` lines as Redis's ACL would describe them: the default user
    /// (password from `requirepass`) unless the file defined it, then the
    /// file's users as written, sorted by name.
    fn user_lines(&self) -> Vec<String> {
        let mut users: Vec<String> = self.users.iter().map(|u| u.join(" ")).collect();
        if !self.users.iter().any(|u| u[0] == "default") {
            let password = match &self.settings.requirepass {
                Some(p) => format!("#{}", hex_sha256(p.as_bytes())),
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
        let defaults = Settings::defaults(&self.default_dir);
        let mut out: Vec<String> = TABLE
            .iter()
            .zip(&self.explicit)
            .filter(|&(d, &explicit)| {
                explicit && !d.in_effect && !d.same(&self.settings, &defaults)
            })
            .map(|(d, _)| d.name.to_owned())
            .collect();
        // `user` lines are kept for the ACL to come (`rename-command` is
        // applied by the server's command table).
        if !self.users.is_empty() {
            out.push("user".to_owned());
        }
        out
    }
}

/// Lowercase hex SHA-256, as Redis's ACL stores hashed passwords.
fn hex_sha256(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::hex_sha256;

    #[test]
    fn known_digests() {
        assert_eq!(
            hex_sha256(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // The hash redis-server 7.0 wrote for `requirepass secret`.
        assert_eq!(
            hex_sha256(b"secret"),
            "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
        );
    }
}
