//! Side effects of configuration changes made with CONFIG SET.

use std::sync::Arc;

use crate::config::LogLevel;
use crate::log::{self, Level};
use crate::state::Shared;

/// The log level for a `loglevel` setting (`None`: log nothing).
pub fn log_level(l: LogLevel) -> Option<Level> {
    match l {
        LogLevel::Debug => Some(Level::Debug),
        LogLevel::Verbose => Some(Level::Verbose),
        LogLevel::Notice => Some(Level::Notice),
        LogLevel::Warning => Some(Level::Warning),
        LogLevel::Nothing => None,
    }
}

/// Applies what the running server must do after `changed` directives took
/// new values.
pub fn config_changed(srv: &Arc<Shared>, changed: &[&str]) {
    for name in changed {
        if *name == "loglevel" {
            log::set_level(log_level(srv.config.read().settings().loglevel));
        }
    }
}
