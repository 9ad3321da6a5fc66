//! Clients blocked by BLPOP and friends, served in FIFO order when a key
//! they wait on receives data (Redis's `serveClientsBlockedOnKeys`).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use engine::command::CommandDef;
use engine::{Engine, Handler};
use parking_lot::Mutex;
use resp::{Protocol, Writer};

use crate::state::clients::{Handle, Mail};
use crate::state::counters::{Counters, Outcome};
use crate::state::slowlog::SlowLog;
use crate::time::unix_ms;

/// A parked command.
pub struct Waiter {
    pub client: Arc<Handle>,
    pub def: &'static CommandDef<Handler>,
    pub args: Vec<Bytes>,
    pub db: usize,
    pub proto: Protocol,
    pub keys: Vec<Bytes>,
    /// Unix ms of the timeout, if any.
    pub deadline: Option<i64>,
    /// Re-run even when the key is gone (XREADGROUP then fails).
    pub fails_when_gone: bool,
    /// Set exactly once: by whoever serves it, times it out or drops it.
    done: AtomicBool,
}

impl Waiter {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        client: Arc<Handle>,
        def: &'static CommandDef<Handler>,
        args: Vec<Bytes>,
        db: usize,
        proto: Protocol,
        keys: Vec<Bytes>,
        deadline: Option<i64>,
        fails_when_gone: bool,
    ) -> Arc<Waiter> {
        Arc::new(Waiter {
            client,
            def,
            args,
            db,
            proto,
            keys,
            deadline,
            fails_when_gone,
            done: AtomicBool::new(false),
        })
    }

    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::SeqCst)
    }

    /// Claims the waiter; false if someone else already did. Both claimants
    /// (a server of the key, the timeout) hold the engine lock.
    pub fn claim(&self) -> bool {
        !self.done.swap(true, Ordering::SeqCst)
    }
}

type Queue = VecDeque<Arc<Waiter>>;

/// Waiters by (db, key).
#[derive(Default)]
pub struct Blocking {
    by_key: Mutex<HashMap<(usize, Bytes), Queue>>,
}

impl Blocking {
    pub fn park(&self, waiter: Arc<Waiter>) {
        let mut map = self.by_key.lock();
        for key in &waiter.keys {
            map.entry((waiter.db, key.clone()))
                .or_default()
                .push_back(waiter.clone());
        }
    }

    /// Removes a waiter from every queue it is in; stops the engine's
    /// ready-key tracking when nobody waits any more.
    pub fn remove(&self, waiter: &Arc<Waiter>, eng: &mut Engine) {
        let mut map = self.by_key.lock();
        for key in &waiter.keys {
            let slot = (waiter.db, key.clone());
            if let Some(q) = map.get_mut(&slot) {
                q.retain(|w| !Arc::ptr_eq(w, waiter));
                if q.is_empty() {
                    map.remove(&slot);
                }
            }
        }
        if map.is_empty() {
            eng.track_ready(false);
        }
    }

    /// Ends every parked command with `reply` (an error): the server turned
    /// replica, and its data now follows its master (Redis's
    /// `disconnectAllBlockedClients`).
    pub fn unblock_all(&self, eng: &mut Engine, reply: &[u8]) {
        let waiters: Vec<Arc<Waiter>> = self.by_key.lock().values().flatten().cloned().collect();
        for w in waiters {
            if w.claim() {
                self.remove(&w, eng);
                w.client
                    .send(Mail::Served(bytes::Bytes::copy_from_slice(reply)));
            }
        }
    }

    /// CLIENT UNBLOCK: answers the client `id` blocked here with its
    /// timeout reply, or an UNBLOCKED error. False if it is not blocked.
    pub fn unblock(&self, id: u64, error: bool, eng: &mut Engine, counters: &Counters) -> bool {
        let found = self
            .by_key
            .lock()
            .values()
            .flatten()
            .find(|w| w.client.id == id)
            .cloned();
        let Some(w) = found.filter(|w| w.claim()) else {
            return false;
        };
        self.remove(&w, eng);
        let mut out = BytesMut::new();
        let mut reply = Writer::new(&mut out, w.proto);
        if error {
            reply.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
        } else {
            engine::command::blocking::blocked_timeout_reply(&mut reply);
        }
        if error {
            // Counted in errorstats like any error reply.
            counters.count_error(&out[1..]);
        }
        let outcome = Outcome::Done { failed: error };
        counters.count_command((w.def.name, None), outcome, Duration::ZERO);
        w.client.send(Mail::Served(out.freeze()));
        true
    }

    pub fn len(&self) -> usize {
        let map = self.by_key.lock();
        let mut ids: Vec<u64> = map.values().flatten().map(|w| w.client.id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }

    /// Serves waiters of keys that received data, oldest first, until no
    /// key is ready. Called with the engine lock held, right after the
    /// command that pushed, so the order of writes is Redis's.
    pub fn serve_ready(&self, eng: &mut Engine, counters: &Counters, slowlog: &SlowLog) {
        loop {
            for db in eng.take_ready_dbs() {
                self.signal_waited_keys(eng, db);
            }
            let ready = eng.take_ready_keys();
            if ready.is_empty() {
                return;
            }
            for (db, key) in ready {
                self.serve_key(eng, db, key, counters, slowlog);
            }
        }
    }

    /// After SWAPDB: every key waited on in `db` is ready (Redis's
    /// `scanDatabaseForReadyKeys`, and `scanDatabaseForDeletedStreams`
    /// for XREADGROUP waiters whose stream is gone: their re-run fails).
    fn signal_waited_keys(&self, eng: &mut Engine, db: usize) {
        let waited: Vec<Bytes> = self
            .by_key
            .lock()
            .keys()
            .filter(|(d, _)| *d == db)
            .map(|(_, key)| key.clone())
            .collect();
        for key in waited {
            eng.signal_ready_in(db, &key);
        }
    }

    fn serve_key(
        &self,
        eng: &mut Engine,
        db: usize,
        key: Bytes,
        counters: &Counters,
        slowlog: &SlowLog,
    ) {
        let waiters: Vec<Arc<Waiter>> = match self.by_key.lock().get(&(db, key.clone())) {
            Some(q) => q.iter().cloned().collect(),
            None => return,
        };
        // A re-run that finds nothing parks again, so with the key gone
        // only the waiters that then fail (XREADGROUP) are re-run.
        for w in waiters {
            if w.is_done() || (!w.fails_when_gone && !eng.db(db).contains(&key)) {
                continue;
            }
            let mut out = BytesMut::new();
            let mut wdb = w.db;
            let started = Instant::now();
            eng.execute_served(
                w.def,
                &mut wdb,
                &w.args,
                key.clone(),
                &mut out,
                w.proto,
                unix_ms(),
            );
            if eng.take_block().is_some() {
                // Still nothing for it (e.g. the key holds another type).
                continue;
            }
            if w.claim() {
                self.remove(&w, eng);
                let failed = out.first() == Some(&b'-');
                if failed {
                    // A waiter failing on its re-run (XREADGROUP's
                    // stream or group gone) counts in INFO errorstats.
                    counters.count_error(&out[1..]);
                }
                let took = started.elapsed();
                counters.count_command((w.def.name, None), Outcome::Done { failed }, took);
                // Logged once served, with the arguments it blocked with.
                slowlog.push_if_slow(&w.client, &w.args, took.as_micros() as u64);
                w.client.send(Mail::Served(out.freeze()));
            }
        }
    }
}
