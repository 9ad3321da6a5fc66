//! Per-connection state that commands read and change.

use std::sync::Arc;

use resp::Protocol;

use crate::clients::Handle;

/// CLIENT REPLY mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Set by CLIENT REPLY SKIP: the command after it is not answered.
    SkipNext,
    /// The reply of the current command is dropped.
    Skip,
}

pub struct Session {
    pub handle: Arc<Handle>,
    pub db: usize,
    pub proto: Protocol,
    /// Redis decides this once, at connect time (and on AUTH/HELLO/RESET):
    /// setting `requirepass` later does not log out connected clients.
    pub authenticated: bool,
    pub close_after_reply: bool,
    pub reply_mode: ReplyMode,
    /// Full name of the last command (`client|list`), for CLIENT LIST.
    pub last_cmd: String,
    /// Error replies sent, for INFO errorstats.
    pub errors: u64,
}

impl Session {
    pub fn new(handle: Arc<Handle>, authenticated: bool) -> Session {
        Session {
            handle,
            db: 0,
            proto: Protocol::Resp2,
            authenticated,
            close_after_reply: false,
            reply_mode: ReplyMode::On,
            last_cmd: String::new(),
            errors: 0,
        }
    }

    pub fn id(&self) -> u64 {
        self.handle.id
    }

    pub fn auth_required(&self, _srv: &crate::state::Shared) -> bool {
        !self.authenticated
    }
}
