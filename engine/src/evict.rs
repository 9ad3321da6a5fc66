//! maxmemory eviction: Redis's policies, its eviction pool of the best
//! candidates seen across sampling rounds, and the eviction loop.
//!
//! The engine does not measure memory: the server reads the allocator,
//! decides how many bytes must go, and calls [`Engine::evict`]. Freed
//! memory is counted with [`crate::memory::key_usage`] for each evicted key.

use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::Rng;

use crate::access::Tracking;
use crate::memory::key_usage;
use crate::{Engine, Str};

/// `maxmemory-policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    #[default]
    NoEviction,
}

impl Policy {
    pub const ALL: [Policy; 8] = [
        Policy::VolatileLru,
        Policy::VolatileLfu,
        Policy::VolatileRandom,
        Policy::VolatileTtl,
        Policy::AllkeysLru,
        Policy::AllkeysLfu,
        Policy::AllkeysRandom,
        Policy::NoEviction,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Policy::VolatileLru => "volatile-lru",
            Policy::VolatileLfu => "volatile-lfu",
            Policy::VolatileRandom => "volatile-random",
            Policy::VolatileTtl => "volatile-ttl",
            Policy::AllkeysLru => "allkeys-lru",
            Policy::AllkeysLfu => "allkeys-lfu",
            Policy::AllkeysRandom => "allkeys-random",
            Policy::NoEviction => "noeviction",
        }
    }

    pub fn from_name(name: &str) -> Option<Policy> {
        Policy::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// Whether every key may go, or only keys with an expiry time.
    fn allkeys(self) -> bool {
        matches!(
            self,
            Policy::AllkeysLru | Policy::AllkeysLfu | Policy::AllkeysRandom
        )
    }

    /// What the keys' access metadata means under this policy.
    pub fn tracking(self) -> Tracking {
        match self {
            Policy::VolatileLfu | Policy::AllkeysLfu => Tracking::Lfu,
            _ => Tracking::Lru,
        }
    }
}

/// The eviction settings (`maxmemory-*` and `lfu-*` directives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvictionConfig {
    pub policy: Policy,
    /// `maxmemory-samples`: keys sampled per database per round.
    pub samples: usize,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    /// Whether `maxmemory` is set (with an LRU or LFU policy Redis stops
    /// sharing small integers, see [`EvictionConfig::shares_integers`]).
    pub maxmemory_set: bool,
}

impl EvictionConfig {
    /// Whether Redis would store small integers as its shared objects:
    /// not when each key needs its own access clock for eviction.
    pub fn shares_integers(&self) -> bool {
        !self.maxmemory_set
            || !matches!(
                self.policy,
                Policy::VolatileLru | Policy::VolatileLfu | Policy::AllkeysLru | Policy::AllkeysLfu
            )
    }
}

impl Default for EvictionConfig {
    fn default() -> Self {
        EvictionConfig {
            policy: Policy::NoEviction,
            samples: 5,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            maxmemory_set: false,
        }
    }
}

/// How an eviction run ended (Redis's `EVICT_OK`, `EVICT_RUNNING`,
/// `EVICT_FAIL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvictOutcome {
    /// Enough memory was freed.
    Ok,
    /// The time budget ran out first; call again.
    Running,
    /// Nothing (more) can be evicted: the policy forbids it or no key
    /// qualifies. Commands that grow memory must be refused.
    Fail,
}

/// `EVPOOL_SIZE`.
pub const POOL_SIZE: usize = 16;

#[derive(Debug, Clone)]
struct Candidate {
    /// Higher is a better candidate: idle ms (LRU), 255 - frequency (LFU),
    /// or the inverse of the expiry time (volatile-ttl).
    score: u64,
    db: usize,
    key: Str,
}

/// The best candidates seen so far, in ascending score. Kept across runs,
/// so each run starts from good candidates; entries may be stale (deleted
/// or touched since), and are checked when picked.
#[derive(Debug, Default, Clone)]
pub(crate) struct Pool {
    entries: Vec<Candidate>,
}

impl Pool {
    /// Offers a sampled key, as Redis's `evictionPoolPopulate` inserts it.
    fn offer(&mut self, score: u64, db: usize, key: &[u8]) {
        if let Some(i) = self
            .entries
            .iter()
            .position(|c| c.db == db && &*c.key == key)
        {
            // Sampled again: refresh its score rather than hold it twice.
            self.entries.remove(i);
        }
        let k = self.entries.iter().take_while(|c| c.score < score).count();
        let full = self.entries.len() == POOL_SIZE;
        if k == 0 && full {
            return;
        }
        let candidate = Candidate {
            score,
            db,
            key: Str::new(key),
        };
        if full {
            // Drop the worst candidate (the first) to make room below k.
            self.entries.remove(0);
            self.entries.insert(k - 1, candidate);
        } else {
            self.entries.insert(k, candidate);
        }
    }

    fn pop_best(&mut self) -> Option<Candidate> {
        self.entries.pop()
    }

    #[cfg(test)]
    fn keys(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|c| String::from_utf8_lossy(&c.key).into_owned())
            .collect()
    }
}

/// The eviction state an engine keeps.
#[derive(Debug, Default, Clone)]
pub(crate) struct Eviction {
    pub config: EvictionConfig,
    pool: Pool,
    /// Where the random policies look next, so every database gets its turn.
    next_db: usize,
}

/// Keys evicted per time check, as in Redis.
const CHECK_EVERY: u64 = 16;

impl Engine {
    /// Applies eviction settings. Switching between LRU and LFU changes the
    /// meaning of existing keys' metadata; like Redis, it takes a while for
    /// the figures to adjust.
    pub fn configure_eviction(&mut self, config: EvictionConfig) {
        self.eviction.config = config;
        for db in &mut self.dbs {
            let clock = db.clock_mut();
            clock.tracking = config.policy.tracking();
            clock.lfu_log_factor = config.lfu_log_factor;
            clock.lfu_decay_time = config.lfu_decay_time;
        }
    }

    pub fn eviction_config(&self) -> EvictionConfig {
        self.eviction.config
    }

    /// Evicts keys by the configured policy until an estimated `to_free`
    /// bytes are freed, or `budget` runs out. Each eviction is counted in
    /// `evicted_keys`, flags WATCHers, is notified as `evicted`
    /// and is propagated as a DEL.
    pub fn evict(&mut self, to_free: u64, now_ms: i64, budget: Duration) -> EvictOutcome {
        if self.eviction.config.policy == Policy::NoEviction {
            return EvictOutcome::Fail;
        }
        self.tick(now_ms);
        let start = Instant::now();
        let (mut freed, mut evicted) = (0u64, 0u64);
        while freed < to_free {
            let Some((db, key)) = self.pick_victim() else {
                return EvictOutcome::Fail;
            };
            let Some(value) = self.dbs[db].remove(&key) else {
                continue;
            };
            freed += key_usage(&key, &value, 5) as u64;
            drop(value);
            evicted += 1;
            self.stats.evicted_keys += 1;
            let key = Bytes::copy_from_slice(&key);
            self.touch_key(db, &key);
            self.notify(crate::notify::EVICTED, "evicted", db, &key);
            self.propagate(db, vec![Bytes::from_static(b"DEL"), key]);
            if evicted % CHECK_EVERY == 0 && start.elapsed() > budget {
                return EvictOutcome::Running;
            }
        }
        EvictOutcome::Ok
    }

    /// The next key to evict, or `None` if no key qualifies.
    fn pick_victim(&mut self) -> Option<(usize, Str)> {
        let policy = self.eviction.config.policy;
        if matches!(policy, Policy::AllkeysRandom | Policy::VolatileRandom) {
            return self.pick_random(policy.allkeys());
        }
        loop {
            let mut total = 0;
            for db in 0..self.dbs.len() {
                let size = self.candidates_len(db);
                if size > 0 {
                    self.populate(db, size);
                    total += size;
                }
            }
            if total == 0 {
                return None;
            }
            while let Some(c) = self.eviction.pool.pop_best() {
                let db = &self.dbs[c.db];
                let exists = if policy.allkeys() {
                    db.contains(&c.key)
                } else {
                    db.expire_at(&c.key).is_some()
                };
                if exists {
                    return Some((c.db, c.key));
                }
                // A ghost: deleted since it was pooled.
            }
        }
    }

    fn candidates_len(&self, db: usize) -> usize {
        if self.eviction.config.policy.allkeys() {
            self.dbs[db].len()
        } else {
            self.dbs[db].volatile_len()
        }
    }

    /// Samples up to `maxmemory-samples` keys of `db` into the pool.
    fn populate(&mut self, db: usize, size: usize) {
        let config = self.eviction.config;
        let samples = config.samples.max(1);
        let mut rng = rand::rng();
        let d = &self.dbs[db];
        let clock = d.clock();
        // Like Redis's dictGetSomeKeys: a run of neighbours from a random
        // start, which touches a few cache lines instead of one per sample.
        // Small tables are sampled whole.
        let start = if size <= samples {
            0
        } else {
            rng.random_range(0..size)
        };
        for i in 0..samples.min(size) {
            let pos = (start + i) % size;
            let (key, score) = if config.policy.allkeys() {
                let (key, _, access) = d.entry_at(pos).expect("in range");
                (key, score(config.policy, clock, access, 0))
            } else {
                let (key, at) = d.volatile_at(pos).expect("in range");
                let access = d.access(key).unwrap_or(0);
                (key, score(config.policy, clock, access, at))
            };
            self.eviction.pool.offer(score, db, key);
        }
    }

    /// Redis's random policies: a random key of the next database that has
    /// one.
    fn pick_random(&mut self, allkeys: bool) -> Option<(usize, Str)> {
        let n = self.dbs.len();
        let mut rng = rand::rng();
        for _ in 0..n {
            self.eviction.next_db = (self.eviction.next_db + 1) % n;
            let db = &self.dbs[self.eviction.next_db];
            let size = if allkeys { db.len() } else { db.volatile_len() };
            if size == 0 {
                continue;
            }
            let pos = rng.random_range(0..size);
            let key = if allkeys {
                db.key_at(pos)
            } else {
                db.volatile_at(pos).map(|(k, _)| k)
            };
            return Some((self.eviction.next_db, key.expect("in range").clone()));
        }
        None
    }
}

/// A key's eviction score: the higher, the sooner it goes.
fn score(policy: Policy, clock: &crate::access::Clock, access: u32, expire_at: i64) -> u64 {
    match policy {
        Policy::VolatileTtl => u64::MAX - expire_at as u64,
        Policy::VolatileLfu | Policy::AllkeysLfu => 255 - u64::from(clock.lfu_decayed(access)),
        _ => clock.idle_ms(access),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::test_support::TestEngine;

    #[test]
    fn pool_keeps_the_best_in_ascending_order() {
        let mut pool = Pool::default();
        for (i, score) in [50u64, 10, 70, 30].into_iter().enumerate() {
            pool.offer(score, 0, format!("k{i}").as_bytes());
        }
        assert_eq!(pool.keys(), ["k1", "k3", "k0", "k2"]);
        // Filling up, then a worse candidate than all is ignored, and a
        // better one pushes the worst out.
        for i in 4..16 {
            pool.offer(100 + i, 0, format!("k{i}").as_bytes());
        }
        assert_eq!(pool.entries.len(), POOL_SIZE);
        pool.offer(5, 0, b"low");
        assert!(!pool.keys().contains(&"low".to_string()));
        pool.offer(60, 0, b"mid");
        let keys = pool.keys();
        assert_eq!(&keys[..4], ["k3", "k0", "mid", "k2"]);
        assert_eq!(pool.pop_best().unwrap().score, 115);
        // A key sampled again is held once, with its new score.
        pool.offer(1000, 0, b"k3");
        assert_eq!(pool.keys().iter().filter(|k| *k == "k3").count(), 1);
        assert_eq!(pool.pop_best().unwrap().key, Str::new(b"k3"));
    }

    #[test]
    fn scores_per_policy() {
        let mut clock = crate::access::Clock::default();
        clock.set_time(100_000);
        let old = 10; // LRU clock of 10 s.
        assert_eq!(score(Policy::AllkeysLru, &clock, old, 0), 90_000);
        assert!(
            score(Policy::VolatileTtl, &clock, 0, 1000)
                > score(Policy::VolatileTtl, &clock, 0, 2000)
        );
        clock.tracking = Tracking::Lfu;
        let lfu = |minutes: u32, counter: u32| minutes << 8 | counter;
        let now = u32::from(clock.minutes);
        assert!(
            score(Policy::AllkeysLfu, &clock, lfu(now, 2), 0)
                > score(Policy::AllkeysLfu, &clock, lfu(now, 40), 0)
        );
    }

    fn engine(policy: Policy) -> TestEngine {
        let mut t = TestEngine::new();
        t.eng.configure_eviction(EvictionConfig {
            policy,
            samples: 10,
            ..EvictionConfig::default()
        });
        t
    }

    fn keys(t: &TestEngine) -> Vec<String> {
        let db = t.eng.db(0);
        let mut keys: Vec<String> = (0..db.len())
            .map(|i| String::from_utf8_lossy(db.key_at(i).unwrap()).into_owned())
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn lru_evicts_the_longest_idle() {
        let mut t = engine(Policy::AllkeysLru);
        for i in 0..8 {
            t.now = 1_000_000 + i * 10_000;
            t.run(&format!("SET k{i} v"));
        }
        // Touch the oldest, so k1 is now the longest idle.
        t.now = 2_000_000;
        t.run("GET k0");
        t.eng.take_propagated();
        assert_eq!(t.eng.evict(1, t.now, Duration::MAX), EvictOutcome::Ok);
        assert!(!t.eng.db(0).contains(b"k1"));
        assert_eq!(t.eng.stats.evicted_keys, 1);
        let dels = t.eng.take_propagated();
        assert_eq!(dels.len(), 1);
        assert_eq!(dels[0].args, [Bytes::from("DEL"), Bytes::from("k1")]);
        // Enough to free everything: all keys go, then it fails.
        assert_eq!(
            t.eng.evict(u64::MAX, t.now, Duration::MAX),
            EvictOutcome::Fail
        );
        assert_eq!(t.eng.total_keys(), 0);
    }

    #[test]
    fn lfu_evicts_the_least_used() {
        let mut t = engine(Policy::AllkeysLfu);
        t.run("MSET a 1 b 2 c 3");
        for _ in 0..50 {
            t.run("GET a");
            t.run("GET c");
        }
        assert_eq!(t.eng.evict(1, t.now, Duration::MAX), EvictOutcome::Ok);
        assert_eq!(keys(&t), ["a", "c"]);
    }

    #[test]
    fn volatile_policies_only_take_keys_with_ttl() {
        for policy in [
            Policy::VolatileLru,
            Policy::VolatileLfu,
            Policy::VolatileRandom,
            Policy::VolatileTtl,
        ] {
            let mut t = engine(policy);
            t.run("MSET p1 1 p2 2");
            t.run("SET v1 1 PX 500000");
            t.run("SET v2 1 PX 100000");
            if policy == Policy::VolatileTtl {
                assert_eq!(t.eng.evict(1, t.now, Duration::MAX), EvictOutcome::Ok);
                assert_eq!(keys(&t), ["p1", "p2", "v1"], "soonest expiry goes first");
            }
            assert_eq!(
                t.eng.evict(u64::MAX, t.now, Duration::MAX),
                EvictOutcome::Fail
            );
            assert_eq!(keys(&t), ["p1", "p2"], "{policy:?}");
        }
    }

    #[test]
    fn random_policies_visit_every_db_and_noeviction_fails() {
        let mut t = engine(Policy::AllkeysRandom);
        t.run("SET a 1");
        t.run("SELECT 5");
        t.run("SET b 1");
        assert_eq!(
            t.eng.evict(u64::MAX, t.now, Duration::MAX),
            EvictOutcome::Fail
        );
        assert_eq!(t.eng.total_keys(), 0);
        assert_eq!(t.eng.stats.evicted_keys, 2);
        let mut t = engine(Policy::NoEviction);
        t.run("SET a 1");
        assert_eq!(t.eng.evict(1, t.now, Duration::MAX), EvictOutcome::Fail);
        assert_eq!(t.eng.total_keys(), 1);
    }

    #[test]
    fn rdb_and_restore_keep_access_hints() {
        use crate::rdb::{AuxFields, WriteOptions};
        let mut t = engine(Policy::AllkeysLru);
        t.run("SET k v");
        t.now += 100_000;
        // Any command (or the cron) moves the clocks to the new time.
        t.run("EXISTS k");
        let rdb = t
            .eng
            .save_rdb(Vec::new(), &WriteOptions::default(), &AuxFields::default())
            .unwrap();
        let mut loaded = engine(Policy::AllkeysLru);
        loaded.now = t.now;
        loaded.eng.load_rdb(&rdb[..], t.now, false).unwrap();
        assert_eq!(loaded.run("OBJECT IDLETIME k"), ":100\r\n");
        // RESTORE IDLETIME under LRU; FREQ under LFU.
        let dump = t.exec(&[Bytes::from("DUMP"), Bytes::from("k")]);
        let payload = Bytes::copy_from_slice(
            &dump[dump.iter().position(|&b| b == b'\n').unwrap() + 1..dump.len() - 2],
        );
        let restore = |t: &mut TestEngine, key: &str, opt: &str, n: &str| {
            t.exec(&[
                Bytes::from("RESTORE"),
                Bytes::from(key.to_owned()),
                Bytes::from("0"),
                payload.clone(),
                Bytes::from(opt.to_owned()),
                Bytes::from(n.to_owned()),
            ])
        };
        restore(&mut t, "r", "IDLETIME", "3600");
        assert_eq!(t.run("OBJECT IDLETIME r"), ":3600\r\n");
        let mut lfu = engine(Policy::AllkeysLfu);
        restore(&mut lfu, "f", "FREQ", "77");
        assert_eq!(lfu.run("OBJECT FREQ f"), ":77\r\n");
    }

    #[test]
    fn frees_about_what_is_asked() {
        let mut t = engine(Policy::AllkeysRandom);
        for i in 0..100 {
            t.run(&format!("SET key:{i} {}", "x".repeat(100)));
        }
        // Each key is ~170 bytes: freeing 1000 takes about 6.
        assert_eq!(t.eng.evict(1000, t.now, Duration::MAX), EvictOutcome::Ok);
        let gone = 100 - t.eng.total_keys();
        assert!((5..=8).contains(&gone), "{gone}");
    }
}
