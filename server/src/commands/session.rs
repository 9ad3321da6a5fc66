//! Per-connection state that commands read and change.

use std::sync::Arc;

use resp::Protocol;

use super::multi::Transaction;
use super::Resolved;
use crate::state::blocking::Waiter;
use crate::state::clients::Handle;
use crate::state::pubsub::Subscriptions;
use crate::state::repl::{Peer, WaitFor};
use crate::state::watch::Watch;

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
    /// The command's output is push messages (subscription confirmations),
    /// which CLIENT REPLY OFF or SKIP does not silence (Redis's
    /// `CLIENT_PUSHING`). Reset once the output is handled.
    pub pushing: bool,
    /// The last command, for CLIENT LIST.
    pub last_cmd: Option<Resolved>,
    /// Commands queued since MULTI.
    pub multi: Option<Transaction>,
    /// EXEC is running the queued commands.
    pub in_exec: bool,
    /// Keys under WATCH and whether one of them was touched since.
    pub watch: Watch,
    /// The command this client is blocked in (BLPOP and friends).
    pub blocked: Option<Arc<Waiter>>,
    /// In MONITOR mode: sent every command the server runs.
    pub monitoring: bool,
    /// A script (EVAL, FCALL) is running the commands: MONITOR shows them
    /// as `[db lua]`.
    pub in_script: bool,
    /// Channels and patterns subscribed to.
    pub subs: Subscriptions,
    /// What this connection is for replication: a normal client, one of
    /// our replicas, or our master's link.
    pub repl: Peer,
    /// WAIT in progress: the connection answers when enough replicas ack.
    pub wait: Option<WaitFor>,
    /// Unix ms when the current batch started: the time commands see
    /// (one clock read per batch instead of per command).
    pub now: i64,
    /// When the last command ended (or the batch started): the next
    /// command's start, so timing a command takes one clock read.
    pub tick: std::time::Instant,
    /// Commands run in the current batch, whether they failed and how long
    /// they took, counted when the batch ends ([`super::settle_stats`]).
    pub ran: Vec<(
        crate::state::counters::CommandKey,
        bool,
        std::time::Duration,
    )>,
}

impl Session {
    pub fn new(handle: Arc<Handle>, authenticated: bool) -> Session {
        let watch = Watch::new(handle.info.lock().dirty_cas.clone());
        Session {
            handle,
            db: 0,
            proto: Protocol::Resp2,
            authenticated,
            close_after_reply: false,
            reply_mode: ReplyMode::On,
            pushing: false,
            last_cmd: None,
            multi: None,
            in_exec: false,
            watch,
            blocked: None,
            monitoring: false,
            in_script: false,
            subs: Subscriptions::default(),
            repl: Peer::default(),
            wait: None,
            now: crate::time::unix_ms(),
            tick: std::time::Instant::now(),
            ran: Vec::new(),
        }
    }

    pub fn id(&self) -> u64 {
        self.handle.id
    }

    /// Whether the client is in subscribed mode.
    pub fn subscribed(&self) -> bool {
        !self.subs.is_empty()
    }
}
