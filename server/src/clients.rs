//! The registry of connected clients, for CLIENT LIST / KILL / INFO and the
//! clients section of INFO.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use tokio::sync::{mpsc, Notify};

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
            i.obuf,
            16384 + i.qbuf + i.obuf,
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
}
