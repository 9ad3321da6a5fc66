//! Redis 7.0-compatible server configuration.
//!
//! This crate owns:
//! - the directive table (`table.rs`): one declaration per directive giving
//!   its name, alias, flags, type with default and bounds, the [`Settings`]
//!   field it fills and the [`Apply`] hook CONFIG SET must run;
//! - the typed [`Settings`], one field per directive, which is the storage
//!   every other operation reads and writes through the table;
//! - parsing of redis.conf files (with `include`), stdin and the
//!   `redis-server [file] [--name value ...] [-]` command line;
//! - CONFIG GET / SET / REWRITE ([`Config::get`], [`Config::set_with`],
//!   [`Config::rewrite`]), with Redis's error texts and file layout.
//!
//! Every standard directive of Redis 7.0 is accepted with its default,
//! aliases and error texts, whether or not Redust acts on it;
//! [`Config::not_in_effect`] lists the ones set to no avail.
//!
//! It does not own the running server: it performs no process-wide side
//! effect except opening the log file to check it (as Redis does). The
//! server applies `dir`, `bind`, `port`, ... at start-up, and after CONFIG
//! SET runs the [`Apply`] hooks that [`Changes`] names. It knows nothing
//! of sockets, tokio or the keyspace; from the engine it borrows only the
//! eviction policy type, keyspace notification classes and glob matching.

#[macro_use]
mod directive;
mod config;
mod error;
mod load;
mod parse;
mod rewrite;
mod settings;
mod special;
mod table;
mod value;

#[cfg(test)]
mod tests;

pub use config::{Changes, Config, RenameCommand, SetContext};
pub use directive::{Apply, ConfigEnum};
/// Keyspace notification classes (`notify-keyspace-events` letters); the
/// engine owns their parsing and printing.
pub use engine::notify;
/// `maxmemory-policy`: the engine's eviction policy type, shared.
pub use engine::Policy as MaxmemoryPolicy;
pub use error::{ConfigError, SetError};
pub use settings::shutdown;
pub use settings::{
    AclPubsubDefault, AppendFsync, ClientOutputBufferLimits, ClusterEndpointType, LogLevel,
    ObufLimit, OomScoreAdj, PropagationErrorBehavior, ProtectedAction, ReplDisklessLoad,
    SanitizeDumpPayload, SavePoint, Settings, Supervised, SyslogFacility, TlsAuthClients,
};
/// Redis's `memtoull` (DEBUG QUICKLIST-PACKED-THRESHOLD parses sizes too).
pub use value::memtoull;

/// The Redis version whose behaviour (and error banner) we reproduce.
pub const REDIS_VERSION: &str = "7.0.15";

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
