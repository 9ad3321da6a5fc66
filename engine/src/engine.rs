//! The keyspace as a whole: databases, counters, expiry and the record of
//! executed writes.

use std::collections::HashMap;

use bytes::Bytes;
use rand::Rng;
use resp::{Protocol, Writer};

use crate::command::{flags, CommandDef, Ctx, Handler};
use crate::notify::{self, Notification};
use crate::{Db, Value};

/// A write to be applied by replicas, in execution order.
#[derive(Debug, Clone, PartialEq)]
pub struct Propagated {
    /// Database the command ran against.
    pub db: usize,
    pub args: Vec<Bytes>,
}

/// A command asked to wait for data (BLPOP and friends on empty keys).
#[derive(Debug, Clone, PartialEq)]
pub struct BlockOn {
    pub db: usize,
    pub keys: Vec<Bytes>,
    /// Unix ms after which the client gets its timeout reply; `None` waits forever.
    pub deadline: Option<i64>,
    /// The arguments to re-run the command with, when not the received ones.
    pub args: Option<Vec<Bytes>>,
    /// Whether the command answers when a key it waits on is gone
    /// (XREADGROUP fails); the others would only park again, so a missing
    /// key need not re-run them.
    pub fails_when_gone: bool,
}

/// How a command is run (see [`Engine::execute_with`]).
#[derive(Debug, Clone, Copy)]
pub struct ExecOptions {
    /// Blocking commands may park the client (false inside MULTI).
    pub may_block: bool,
    /// The command comes from our master's replication stream.
    pub from_master: bool,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            may_block: true,
            from_master: false,
        }
    }
}

/// Keys changed since the last [`Engine::take_touched`], for WATCH.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Touched {
    /// Keys written, expired or evicted (Redis's `touchWatchedKey`).
    pub keys: Vec<(usize, Bytes)>,
    /// Watched keys a flush, SWAPDB or loaded dataset changed, with what
    /// Redis's `touchAllWatchedKeysInDb` decides on.
    pub replaced: Vec<Replaced>,
}

impl Touched {
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.replaced.is_empty()
    }
}

/// A watched key whose database was emptied (FLUSHDB, FLUSHALL, a dataset
/// loaded in its place) or swapped with another (SWAPDB).
#[derive(Debug, Clone, PartialEq)]
pub struct Replaced {
    pub db: usize,
    pub key: Bytes,
    /// The key was in the database that went away (expired or not).
    pub existed: bool,
    /// For SWAPDB, the key in the database that came in its place:
    /// `Some(expired)` if it is there.
    pub incoming: Option<bool>,
}

/// Counters shown by INFO stats.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub expired_keys: u64,
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: u64,
    pub evicted_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
}

/// All databases plus the bookkeeping shared by every command.
pub struct Engine {
    pub(crate) dbs: Vec<Db>,
    pub stats: Stats,
    /// Changes since start (Redis's `server.dirty`): drives propagation and
    /// `save` points.
    pub(crate) dirty: u64,
    propagated: Vec<Propagated>,
    record: bool,
    /// A replica leaves expired keys to its master's DELs and only hides
    /// them from readers.
    pub replica: bool,
    /// Whether the cron's active expiry runs (DEBUG SET-ACTIVE-EXPIRE);
    /// lazy expiry on access is unaffected.
    pub active_expire: bool,
    /// True while running a command received from our master: on a replica
    /// it sees keys whose time has passed, as the master still has them.
    pub(crate) for_master: bool,
    /// Whether to record touched keys for WATCH (see [`Engine::take_touched`]).
    track_touched: bool,
    touched: Touched,
    /// Keys some client WATCHes, with how many watch each: a flush or swap
    /// reports what became of them (see [`Replaced`]).
    watched: HashMap<(usize, Bytes), usize>,
    /// Set by a blocking command that found no data; taken by the server.
    pub(crate) blocked: Option<BlockOn>,
    /// Keys that received data blocked clients may be waiting for.
    pub(crate) ready: Vec<(usize, Bytes)>,
    /// Databases whose whole keyspace changed (SWAPDB): any key waited on
    /// there may now have data.
    ready_dbs: Vec<usize>,
    pub(crate) track_ready: bool,
    /// The ready key a parked command is being re-run for (see
    /// [`Engine::execute_served`]).
    pub(crate) serving: Option<Bytes>,
    /// Encoding thresholds of collections; the server sets them from config.
    pub limits: crate::types::Limits,
    /// `rdbcompression`: whether DUMP payloads LZF-compress long strings.
    pub rdb_compression: bool,
    /// maxmemory policy settings and the eviction pool.
    pub(crate) eviction: crate::evict::Eviction,
    /// The second the databases' access clocks were last set to.
    clock_secs: i64,
    /// `notify-keyspace-events` as set (see [`crate::notify`]).
    notify_flags: u32,
    /// The event classes recorded: 0 unless events go to some channel.
    notify_classes: u32,
    notifications: Vec<Notification>,
    /// Keys with a TTL written on a writable replica by its own clients
    /// (Redis's `slaveKeysWithExpire`): the master will never DEL them, so
    /// the replica's active expiry deletes them itself.
    replica_keys_with_expire: std::collections::HashSet<(usize, Bytes)>,
}

impl Engine {
    /// An engine with `databases` empty databases (Redis's default is 16).
    pub fn new(databases: usize) -> Engine {
        Engine {
            dbs: (0..databases.max(1)).map(|_| Db::default()).collect(),
            stats: Stats::default(),
            dirty: 0,
            propagated: Vec::new(),
            record: false,
            replica: false,
            active_expire: true,
            blocked: None,
            ready: Vec::new(),
            ready_dbs: Vec::new(),
            track_ready: false,
            for_master: false,
            track_touched: false,
            touched: Touched::default(),
            watched: HashMap::new(),
            serving: None,
            limits: crate::types::Limits::default(),
            rdb_compression: true,
            eviction: Default::default(),
            clock_secs: -1,
            notify_flags: 0,
            notify_classes: 0,
            notifications: Vec::new(),
            replica_keys_with_expire: Default::default(),
        }
    }

    /// Brings the access clocks of the databases to `now_ms` (they tick
    /// once a second, like Redis's LRU clock).
    pub(crate) fn tick(&mut self, now_ms: i64) {
        let secs = now_ms.div_euclid(1000);
        if secs != self.clock_secs {
            self.clock_secs = secs;
            for db in &mut self.dbs {
                db.clock_mut().set_time(now_ms);
            }
        }
    }

    pub fn databases(&self) -> usize {
        self.dbs.len()
    }

    pub fn db(&self, index: usize) -> &Db {
        &self.dbs[index]
    }

    pub fn db_mut(&mut self, index: usize) -> &mut Db {
        &mut self.dbs[index]
    }

    /// Changes made since start.
    pub fn dirty(&self) -> u64 {
        self.dirty
    }

    /// Turns recording of executed writes on or off. Off (the default) costs
    /// nothing; replication turns it on once it has a backlog or replicas.
    pub fn set_recording(&mut self, on: bool) {
        self.record = on;
        if !on {
            self.propagated.clear();
        }
    }

    /// Records a write for replicas (no-op unless recording).
    pub fn propagate(&mut self, db: usize, args: Vec<Bytes>) {
        if self.record {
            self.propagated.push(Propagated { db, args });
        }
    }

    /// Number of writes recorded and not yet taken.
    pub fn propagated_len(&self) -> usize {
        self.propagated.len()
    }

    /// Forgets the writes recorded since position `from` (a script's
    /// `redis.set_repl(redis.REPL_NONE)`: they reach no replica).
    pub fn truncate_propagated(&mut self, from: usize) {
        self.propagated.truncate(from);
    }

    /// Wraps the writes recorded since position `from` in MULTI ... EXEC,
    /// so replicas apply a transaction as one unit. Like Redis 7.0, a
    /// transaction that wrote once propagates that write alone.
    pub fn wrap_propagated(&mut self, from: usize) {
        // A command of the transaction that propagated itself as a unit
        // (see `propagate_unit`) must not nest a MULTI in this one.
        let is_bracket = |p: &Propagated| matches!(&p.args[..], [only] if &only[..] == b"MULTI" || &only[..] == b"EXEC");
        let mut position = 0;
        self.propagated.retain(|p| {
            position += 1;
            position <= from || !is_bracket(p)
        });
        if self.propagated.len() <= from + 1 {
            return;
        }
        let db = self.propagated[from].db;
        let multi = Propagated {
            db,
            args: vec![Bytes::from_static(b"MULTI")],
        };
        self.propagated.insert(from, multi);
        let db = self.propagated.last().map_or(db, |p| p.db);
        self.propagated.push(Propagated {
            db,
            args: vec![Bytes::from_static(b"EXEC")],
        });
    }

    /// Writes recorded since the last call, in execution order.
    pub fn take_propagated(&mut self) -> Vec<Propagated> {
        std::mem::take(&mut self.propagated)
    }

    /// The wait requested by the last command, if it must block.
    pub fn take_block(&mut self) -> Option<BlockOn> {
        self.blocked.take()
    }

    /// Starts or stops recording keys that received data (on while
    /// clients are blocked).
    pub fn track_ready(&mut self, on: bool) {
        self.track_ready = on;
        if !on {
            self.ready.clear();
            self.ready_dbs.clear();
        }
    }

    /// Marks `key` of `db` as having received data blocked clients may want.
    pub fn signal_ready_in(&mut self, db: usize, key: &[u8]) {
        if self.track_ready {
            self.ready.push((db, Bytes::copy_from_slice(key)));
        }
    }

    /// Keys that got data since the last call (for waking blocked clients).
    pub fn take_ready_keys(&mut self) -> Vec<(usize, Bytes)> {
        std::mem::take(&mut self.ready)
    }

    /// Marks every key of `db` as possibly ready: only the server knows which
    /// keys clients wait on, so it rescans those (Redis's
    /// `scanDatabaseForReadyKeys`).
    pub(crate) fn signal_db_ready(&mut self, db: usize) {
        if self.track_ready && !self.ready_dbs.contains(&db) {
            self.ready_dbs.push(db);
        }
    }

    /// Databases marked by `Engine::signal_db_ready` since the last call.
    pub fn take_ready_dbs(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.ready_dbs)
    }

    /// Sets `notify-keyspace-events` (bits of [`crate::notify`]).
    pub fn set_notify_flags(&mut self, flags: u32) {
        self.notify_flags = flags;
        self.notify_classes = notify::recorded_classes(flags);
        if self.notify_classes == 0 {
            self.notifications.clear();
        }
    }

    pub fn notify_flags(&self) -> u32 {
        self.notify_flags
    }

    /// Records that `event` of `class` happened to `key` in `db`, if that
    /// class is enabled (Redis's `notifyKeyspaceEvent`).
    #[inline]
    pub fn notify(&mut self, class: u32, event: &'static str, db: usize, key: &[u8]) {
        if self.notify_classes & class != 0 {
            self.notifications.push(Notification {
                class,
                event,
                db,
                key: Bytes::copy_from_slice(key),
            });
        }
    }

    /// Whether events wait to be taken.
    pub fn has_notifications(&self) -> bool {
        !self.notifications.is_empty()
    }

    /// Events recorded since the last call, in the order they happened.
    pub fn take_notifications(&mut self) -> Vec<Notification> {
        std::mem::take(&mut self.notifications)
    }

    /// Stores `value` under `key` in `db` like Redis's `setKey`: the
    /// expiry time is dropped unless `keep_ttl`, and a key this creates is
    /// announced as `new`. Returns the previous value.
    pub fn set_key(
        &mut self,
        db: usize,
        key: &[u8],
        value: Value,
        keep_ttl: bool,
    ) -> Option<Value> {
        let new_is_stream = matches!(value, Value::Stream(_));
        let old = self.dbs[db].set(key, value, keep_ttl);
        if old.is_none() {
            self.notify(notify::NEW, "new", db, key);
        }
        if matches!(old, Some(Value::Stream(_))) && !new_is_stream {
            self.signal_ready_in(db, key);
        }
        old
    }

    /// Runs one command whose arity was already checked, writing its reply
    /// to `out`. `db` is the session's selected database (SELECT changes it).
    pub fn execute(
        &mut self,
        def: &CommandDef<Handler>,
        db: &mut usize,
        args: &[Bytes],
        out: &mut bytes::BytesMut,
        proto: Protocol,
        now_ms: i64,
    ) {
        self.execute_with(def, db, args, out, proto, now_ms, ExecOptions::default());
    }

    /// [`Engine::execute`] with options. Returns whether the command
    /// changed the dataset.
    #[allow(clippy::too_many_arguments)]
    pub fn execute_with(
        &mut self,
        def: &CommandDef<Handler>,
        db: &mut usize,
        args: &[Bytes],
        out: &mut bytes::BytesMut,
        proto: Protocol,
        now_ms: i64,
        opts: ExecOptions,
    ) -> bool {
        let Some(handler) = def.handler else {
            return false;
        };
        self.tick(now_ms);
        let dirty_before = self.dirty;
        let start_db = *db;
        self.for_master = opts.from_master;
        let mut ctx = Ctx::new(self, db, args, Writer::new(out, proto), now_ms);
        if !opts.may_block {
            ctx = ctx.without_blocking();
        }
        if let Err(e) = handler(&mut ctx) {
            ctx.out.error_bytes(&e.to_bytes());
        }
        let rewritten = ctx.take_rewrite();
        self.for_master = false;
        let changed = self.dirty != dirty_before;
        // MAY_REPLICATE: a read that changed data (PFCOUNT's cached count).
        if changed && def.flags & (flags::WRITE | flags::MAY_REPLICATE) != 0 {
            if self.replica && !opts.from_master {
                self.remember_replica_keys_with_expire(def, start_db, args);
            }
            if self.track_touched && def.flags & flags::TOUCHES_ITSELF == 0 {
                for i in def.key_positions(args.len()) {
                    self.touched.keys.push((start_db, args[i].clone()));
                }
            }
            if self.record {
                match rewritten {
                    None => self.propagate(start_db, args.to_vec()),
                    Some(commands) => self.propagate_unit(start_db, commands),
                }
            }
        }
        changed
    }

    /// Starts or stops recording touched keys (on while clients WATCH).
    pub fn track_touched(&mut self, on: bool) {
        self.track_touched = on;
        if !on {
            self.touched = Touched::default();
        }
    }

    /// Keys written, expired or flushed since the last call.
    pub fn take_touched(&mut self) -> Touched {
        std::mem::take(&mut self.touched)
    }

    /// Records a key changed outside a command (eviction), for WATCH.
    pub(crate) fn touch_key(&mut self, db: usize, key: &Bytes) {
        if self.track_touched {
            self.touched.keys.push((db, key.clone()));
        }
    }

    /// Counts one more WATCH of `key` in `db`.
    pub fn watch_key(&mut self, db: usize, key: &Bytes) {
        *self.watched.entry((db, key.clone())).or_default() += 1;
    }

    /// Counts one WATCH of `key` in `db` less.
    pub fn unwatch_key(&mut self, db: usize, key: &Bytes) {
        let k = (db, key.clone());
        if let Some(n) = self.watched.get_mut(&k) {
            *n -= 1;
            if *n == 0 {
                self.watched.remove(&k);
            }
        }
    }

    /// Records, before `db` is emptied, which watched keys it holds.
    pub fn flushing_db(&mut self, db: usize) {
        if !self.track_touched {
            return;
        }
        for (d, key) in self.watched.keys() {
            if *d == db && self.dbs[db].contains(key) {
                self.touched.replaced.push(Replaced {
                    db,
                    key: key.clone(),
                    existed: true,
                    incoming: None,
                });
            }
        }
    }

    /// Records, before databases `a` and `b` are swapped, what happens to
    /// the keys watched in each: clients stay in their database, which
    /// gets the other one's keys.
    pub fn swapping_dbs(&mut self, a: usize, b: usize, now_ms: i64) {
        if !self.track_touched || a == b {
            return;
        }
        for (d, key) in self.watched.keys() {
            let (from, to) = match *d {
                d if d == a => (a, b),
                d if d == b => (b, a),
                _ => continue,
            };
            let existed = self.dbs[from].contains(key);
            let incoming = self.dbs[to]
                .contains(key)
                .then(|| self.dbs[to].is_expired(key, now_ms));
            if existed || incoming.is_some() {
                self.touched.replaced.push(Replaced {
                    db: from,
                    key: key.clone(),
                    existed,
                    incoming,
                });
            }
        }
    }

    /// Records the commands standing for one executed command. Like Redis
    /// 7.0, more than one are wrapped in MULTI/EXEC so replicas apply them
    /// atomically (inside a transaction [`Engine::wrap_propagated`] drops
    /// this inner pair).
    fn propagate_unit(&mut self, db: usize, commands: Vec<Vec<Bytes>>) {
        let wrap = commands.len() > 1;
        if wrap {
            self.propagate(db, vec![Bytes::from_static(b"MULTI")]);
        }
        for args in commands {
            self.propagate(db, args);
        }
        if wrap {
            self.propagate(db, vec![Bytes::from_static(b"EXEC")]);
        }
    }

    /// Re-runs a parked blocking command because `key` received data.
    ///
    /// Like Redis, the client is served from that key only, even if another
    /// of its keys got data too. If `key` cannot serve it (gone again, or
    /// now holding another type) the command parks again: [`take_block`]
    /// returns a wait, and the client should keep its place in the queue
    /// and its original deadline.
    ///
    /// [`take_block`]: Engine::take_block
    #[allow(clippy::too_many_arguments)]
    pub fn execute_served(
        &mut self,
        def: &CommandDef<Handler>,
        db: &mut usize,
        args: &[Bytes],
        key: Bytes,
        out: &mut bytes::BytesMut,
        proto: Protocol,
        now_ms: i64,
    ) {
        self.serving = Some(key);
        self.execute(def, db, args, out, proto, now_ms);
        self.serving = None;
    }

    /// Deletes `key` in `db` if its time has come, as a master does: counts
    /// it and propagates a DEL. Returns whether the key is logically expired
    /// (on a replica it stays in place but is hidden).
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8], now_ms: i64) -> bool {
        if !self.dbs[db].is_expired(key, now_ms) || (self.replica && self.for_master) {
            return false;
        }
        if !self.replica {
            self.delete_expired(db, key);
        }
        true
    }

    /// [`Engine::expire_if_needed`] for a key about to be written: a
    /// writable replica's own client deletes the expired key first, as
    /// Redis 7's `lookupKeyWrite` does, so the write starts afresh (no stale
    /// TTL). Our master's stream still sees the key as it is.
    pub fn expire_if_needed_for_write(&mut self, db: usize, key: &[u8], now_ms: i64) -> bool {
        if !self.dbs[db].is_expired(key, now_ms) || (self.replica && self.for_master) {
            return false;
        }
        self.delete_expired(db, key);
        true
    }

    fn delete_expired(&mut self, db: usize, key: &[u8]) {
        self.dbs[db].remove(key);
        self.stats.expired_keys += 1;
        self.notify(notify::EXPIRED, "expired", db, key);
        if self.track_touched {
            self.touched.keys.push((db, Bytes::copy_from_slice(key)));
        }
        // Not counted in `dirty`, like Redis: only the DEL is propagated.
        self.propagate(
            db,
            vec![Bytes::from_static(b"DEL"), Bytes::copy_from_slice(key)],
        );
    }

    /// Notes the keys a writable replica's own client gave a TTL.
    fn remember_replica_keys_with_expire(
        &mut self,
        def: &CommandDef<Handler>,
        db: usize,
        args: &[Bytes],
    ) {
        for i in def.key_positions(args.len()) {
            if self.dbs[db].expire_at(&args[i]).is_some() {
                self.replica_keys_with_expire.insert((db, args[i].clone()));
            }
        }
    }

    /// Forgets the writable replica's own keys with a TTL: its data is
    /// about to be replaced by a full sync.
    pub fn forget_replica_keys_with_expire(&mut self) {
        self.replica_keys_with_expire.clear();
    }

    /// A replica's active expiry (Redis's `expireSlaveKeys`): only the keys
    /// its own clients wrote with a TTL; the master DELs the others.
    fn expire_replica_keys(&mut self, now_ms: i64) -> usize {
        let mut deleted = 0;
        let keys: Vec<(usize, Bytes)> = self.replica_keys_with_expire.iter().cloned().collect();
        for (db, key) in keys {
            let keep = match self.dbs.get(db).and_then(|d| d.expire_at(&key)) {
                Some(at) if at < now_ms => {
                    self.delete_expired(db, &key);
                    deleted += 1;
                    false
                }
                Some(_) => true,
                None => false,
            };
            if !keep {
                self.replica_keys_with_expire.remove(&(db, key));
            }
        }
        deleted
    }

    /// One run of active expiry like Redis's `activeExpireCycle`: samples
    /// volatile keys in each database and deletes the expired ones, repeating
    /// while more than 10% of a sample was expired, until `budget` runs out.
    /// Returns the number of keys deleted.
    pub fn active_expire_cycle(&mut self, now_ms: i64, budget: std::time::Duration) -> usize {
        const SAMPLE: usize = 20;
        // The cron keeps the access clocks current between commands too.
        self.tick(now_ms);
        if !self.active_expire {
            return 0;
        }
        if self.replica {
            return self.expire_replica_keys(now_ms);
        }
        self.replica_keys_with_expire.clear();
        let start = std::time::Instant::now();
        let mut rng = rand::rng();
        let mut deleted = 0;
        let (mut sampled_total, mut expired_total) = (0usize, 0usize);
        for db in 0..self.dbs.len() {
            loop {
                let volatile = self.dbs[db].volatile_len();
                if volatile == 0 {
                    break;
                }
                let mut expired = 0;
                let sample = SAMPLE.min(volatile);
                for _ in 0..sample {
                    let len = self.dbs[db].volatile_len();
                    if len == 0 {
                        break;
                    }
                    let (key, at) = self.dbs[db]
                        .volatile_at(rng.random_range(0..len))
                        .map(|(k, t)| (k.clone(), t))
                        .expect("in range");
                    if at < now_ms {
                        self.delete_expired(db, &key);
                        expired += 1;
                    }
                }
                deleted += expired;
                sampled_total += sample;
                expired_total += expired;
                if start.elapsed() >= budget {
                    self.stats.expired_time_cap_reached_count += 1;
                    return deleted;
                }
                if expired * 10 <= sample {
                    break;
                }
            }
        }
        if sampled_total > 0 {
            let current = expired_total as f64 / sampled_total as f64;
            self.stats.expired_stale_perc = current * 0.05 + self.stats.expired_stale_perc * 0.95;
        }
        deleted
    }

    /// Number of keys in all databases.
    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }

    /// Empties every database.
    pub fn flush_all(&mut self) {
        let keys = self.total_keys() as u64;
        for db in 0..self.dbs.len() {
            self.flushing_db(db);
        }
        self.dbs.iter_mut().for_each(Db::clear);
        self.dirty += keys.max(1);
    }
}
