//! The Redis data model, independent of any network or runtime.
//!
//! This crate owns the keyspace ([`Engine`]: 16 numbered databases of
//! [`Value`]s with expiry), the command table ([`command::CommandDef`]) and
//! the implementations of data commands. It executes one parsed command at a
//! time, synchronously, writing the reply with a [`resp::Writer`] and
//! recording what a replica must apply ([`Engine::take_propagated`]) and
//! the keyspace events subscribers may want ([`Engine::take_notifications`]).
//!
//! It also reads and writes Redis's RDB format ([`rdb`], [`persist`]), and
//! [`fuzzing`] holds what the RDB and RESTORE fuzzers check, since both
//! take untrusted bytes.
//!
//! It does not own connections, configuration files, authentication or
//! replication links: a server wires those around it.

pub mod access;
mod call;
pub mod command;
mod db;
mod digest;
mod engine;
mod error;
pub mod evict;
pub mod fuzzing;
pub mod geo;
pub mod glob;
pub mod memory;
pub mod notify;
pub mod persist;
pub mod rdb;
pub mod snapshot;
mod str;
pub(crate) mod strtod;
pub mod table;
pub mod types;
mod value;

pub use call::find_command;

// The README's examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use command::{CommandDef, Ctx, Handler};
pub use db::Db;
pub use engine::{BlockOn, Engine, ExecOptions, Propagated, Replaced, Stats, Touched};
pub use error::{Error, Result};
pub use evict::{EvictOutcome, EvictionConfig, Policy};
pub use notify::Notification;
pub use snapshot::Snapshot;
pub use str::Str;
pub use value::{Kind, Value};
