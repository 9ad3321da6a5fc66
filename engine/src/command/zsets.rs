//! Sorted set commands.

use super::{CommandDef, Handler};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    Vec::new()
}
