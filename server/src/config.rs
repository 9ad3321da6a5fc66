//! Server configuration: the `redust-config` crate (directive table,
//! redis.conf and command-line parsing, CONFIG GET/SET/REWRITE, typed
//! [`Settings`]), re-exported so the server names it `crate::config`.

pub use redust_config::*;
