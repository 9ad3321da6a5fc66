//! The registry of connected clients, for CLIENT LIST / KILL / INFO and the
//! clients section of INFO.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use tokio::sync::{mpsc, Notify};

use crate::config::ObufLimit;
use crate::log::log;

/// What a connection is to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Normal,
    /// A replica fed by us.
    Replica,
    /// Our master's link.
    Master,
    PubSub,
}

/// The parts of a client's state other connections may look at.
#[derive(Clone)]
pub struct Info {
    pub addr: SocketAddr,
    pub laddr: SocketAddr,
    pub fd: i32,
    pub name: String,
    pub db: usize,
    pub resp: u8,
    pub last_cmd: Option<crate::commands::Resolved>,
    /// Unix ms of the last request (for CLIENT LIST idle).
    pub last_interaction: i64,
    pub qbuf: usize,
    pub obuf: usize,
    pub multi: i64,
    pub kind: Kind,
    pub no_evict: bool,
    pub user: String,
}

/// One registered client.
pub struct Handle {
    pub id: u64,
    pub created: Instant,
    pub info: Mutex<Info>,
    killed: AtomicBool,
    kill: Notify,
    /// Out-of-band deliveries to this connection (see [`Mail`]).
    mailbox: mpsc::UnboundedSender<Mail>,
    /// Bytes sent to the mailbox and not yet written to the socket: the
    /// output buffer that `client-output-buffer-limit` bounds.
    pending: AtomicUsize,
    /// Unix second the output buffer was first seen over its soft limit in
    /// the current stretch; 0 when it is under.
    soft_limit_since: AtomicI64,
}

/// Where an output buffer limit check happens, which Redis logs differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitCheck {
    /// As a reply is queued: the client is closed asynchronously.
    Append,
    /// From the cron.
    Cron,
}

/// Something another task hands to a connection.
#[derive(Debug)]
pub enum Mail {
    /// RESP bytes to write as they are (pub/sub messages).
    Push(bytes::Bytes),
    /// The reply of this client's blocked command, served by another client.
    Served(bytes::Bytes),
    /// Turn TCP_NODELAY on or off (repl-disable-tcp-nodelay on replicas).
    NoDelay(bool),
    /// Close the connection (CLIENT KILL, shutdown, output buffer limits).
    Kill,
}

impl Handle {
    /// Delivers mail; false if the connection is gone.
    pub fn send(&self, mail: Mail) -> bool {
        let len = match &mail {
            Mail::Push(b) | Mail::Served(b) => b.len(),
            Mail::NoDelay(_) | Mail::Kill => 0,
        };
        self.pending.fetch_add(len, Ordering::Relaxed);
        self.mailbox.send(mail).is_ok()
    }

    /// Bytes delivered but not yet written.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    /// Called by the connection once it wrote `n` bytes of mail.
    pub fn written(&self, n: usize) {
        self.pending.fetch_sub(n, Ordering::Relaxed);
    }

    /// Asks the connection to close (CLIENT KILL, shutdown).
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        // The connection's loop watches its mailbox anyway: waking it there
        // spares it a second wait source per iteration.
        let _ = self.mailbox.send(Mail::Kill);
        self.kill.notify_one();
    }

    /// Redis's `checkClientOutputBufferLimits`: whether `used` output bytes
    /// break `limit` now. The soft limit must be exceeded continuously for
    /// more than `soft_seconds` whole seconds: the first check over it
    /// starts the clock and any check under it stops it.
    fn over_output_limit(&self, used: u64, limit: &ObufLimit, now_secs: i64) -> bool {
        let hard = limit.hard > 0 && used >= limit.hard;
        if limit.soft == 0 || used < limit.soft {
            self.soft_limit_since.store(0, Ordering::Relaxed);
            return hard;
        }
        let since = self.soft_limit_since.load(Ordering::Relaxed);
        if since == 0 {
            self.soft_limit_since.store(now_secs, Ordering::Relaxed);
            return hard;
        }
        hard || now_secs - since > limit.soft_seconds as i64
    }

    /// Closes the client when `used` output bytes break `limit`, logging it
    /// like Redis; true if it did (or it was closing already).
    pub fn close_if_over_limit(&self, used: u64, limit: &ObufLimit, check: LimitCheck) -> bool {
        if self.is_killed() {
            return true;
        }
        if !self.over_output_limit(used, limit, crate::state::unix_ms() / 1000) {
            return false;
        }
        let client = self.describe(None);
        match check {
            LimitCheck::Append => log!(
                Warning,
                "Client {client} scheduled to be closed ASAP for overcoming of output buffer limits."
            ),
            LimitCheck::Cron => log!(
                Warning,
                "Client {client} closed for overcoming of output buffer limits."
            ),
        }
        self.kill();
        true
    }

    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    /// Resolves once [`Handle::kill`] was called.
    pub async fn killed(&self) {
        while !self.is_killed() {
            self.kill.notified().await;
        }
    }

    /// One line of CLIENT LIST, in Redis 7.0's field order.
    pub fn describe(&self, current_cmd: Option<&str>) -> String {
        let i = self.info.lock();
        let flags = match i.kind {
            Kind::Replica => "S",
            Kind::Master => "M",
            Kind::PubSub => "P",
            Kind::Normal => "N",
        };
        let flags = if i.no_evict {
            format!("{flags}e").replace("Ne", "e")
        } else {
            flags.to_string()
        };
        let now = Instant::now();
        // Mail (pub/sub messages, served replies) not yet written is output
        // buffer too, and what the output buffer limits look at.
        let omem = i.obuf.max(self.pending());
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub=0 psub=0 ssub=0 multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem={} tot-mem={} events=r cmd={} user={} redir=-1 resp={}",
            self.id,
            i.addr,
            i.laddr,
            i.fd,
            i.name,
            now.duration_since(self.created).as_secs(),
            (crate::state::unix_ms() - i.last_interaction).max(0) / 1000,
            flags,
            i.db,
            i.multi,
            i.qbuf,
            16384usize.saturating_sub(i.qbuf),
            omem,
            16384 + i.qbuf + omem,
            current_cmd.map_or_else(|| i.last_cmd.map_or("NULL".into(), |c| c.full_name()), String::from),
            i.user,
            i.resp,
        )
    }
}

/// All connected clients by id.
#[derive(Default)]
pub struct Clients {
    next_id: AtomicU64,
    map: Mutex<BTreeMap<u64, Arc<Handle>>>,
}

impl Clients {
    /// Registers a client; the receiver gets its [`Mail`].
    pub fn register(&self, info: Info) -> (Arc<Handle>, mpsc::UnboundedReceiver<Mail>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = Arc::new(Handle {
            id,
            created: Instant::now(),
            info: Mutex::new(info),
            killed: AtomicBool::new(false),
            kill: Notify::new(),
            mailbox: tx,
            pending: AtomicUsize::new(0),
            soft_limit_since: AtomicI64::new(0),
        });
        self.map.lock().insert(id, handle.clone());
        (handle, rx)
    }

    pub fn unregister(&self, id: u64) {
        self.map.lock().remove(&id);
    }

    pub fn len(&self) -> usize {
        self.map.lock().len()
    }

    pub fn all(&self) -> Vec<Arc<Handle>> {
        self.map.lock().values().cloned().collect()
    }

    /// The cron side of the pubsub output buffer limit (Redis checks in
    /// `clientsCron` too): a subscriber that stays over the soft limit is
    /// closed even when no new message arrives to trigger the check.
    pub fn enforce_pubsub_limit(&self, limit: &ObufLimit) {
        if limit.hard == 0 && limit.soft == 0 {
            return;
        }
        for h in self.all() {
            if h.info.lock().kind == Kind::PubSub {
                h.close_if_over_limit(h.pending() as u64, limit, LimitCheck::Cron);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle() -> Arc<Handle> {
        let addr: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let (handle, _mail) = Clients::default().register(Info {
            addr,
            laddr: addr,
            fd: -1,
            name: String::new(),
            db: 0,
            resp: 2,
            last_cmd: None,
            last_interaction: 0,
            qbuf: 0,
            obuf: 0,
            multi: -1,
            kind: Kind::PubSub,
            no_evict: false,
            user: "default".into(),
        });
        handle
    }

    const SOFT: ObufLimit = ObufLimit {
        hard: 0,
        soft: 100,
        soft_seconds: 2,
    };

    #[test]
    fn soft_limit_needs_more_than_soft_seconds_over_it() {
        let h = handle();
        assert!(!h.over_output_limit(100, &SOFT, 1000), "first sighting");
        assert!(!h.over_output_limit(500, &SOFT, 1002));
        assert!(h.over_output_limit(100, &SOFT, 1003));
    }

    #[test]
    fn dropping_under_the_soft_limit_restarts_the_clock() {
        let h = handle();
        assert!(!h.over_output_limit(150, &SOFT, 1000));
        assert!(!h.over_output_limit(99, &SOFT, 1002));
        assert!(!h.over_output_limit(150, &SOFT, 1003));
        assert!(!h.over_output_limit(150, &SOFT, 1005));
        assert!(h.over_output_limit(150, &SOFT, 1006));
    }

    #[test]
    fn zero_soft_seconds_closes_from_the_next_second_on() {
        let now_only = ObufLimit {
            soft_seconds: 0,
            ..SOFT
        };
        let h = handle();
        assert!(!h.over_output_limit(100, &now_only, 1000));
        assert!(!h.over_output_limit(100, &now_only, 1000));
        assert!(h.over_output_limit(100, &now_only, 1001));
    }

    #[test]
    fn hard_limit_closes_at_once_and_zero_disables() {
        let h = handle();
        let hard = ObufLimit {
            hard: 100,
            ..ObufLimit::default()
        };
        assert!(!h.over_output_limit(99, &hard, 1000));
        assert!(h.over_output_limit(100, &hard, 1000));
        assert!(!h.over_output_limit(u64::MAX, &ObufLimit::default(), 1000));
    }
}
