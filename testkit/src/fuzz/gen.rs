//! The command generator: one builder per command name, drawing keys,
//! members and edge-case arguments from [`super::pools`], each command
//! paired with the [`Check`] its reply needs.

use std::collections::BTreeSet;

use super::check::Check;
use super::pools::*;
use super::rng::Rng;

/// One generated command and how its replies are compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub args: Vec<Vec<u8>>,
    pub check: Check,
}

impl Step {
    /// The command's name, upper-cased (with OBJECT's subcommand).
    pub fn name(&self) -> String {
        let mut name = String::from_utf8_lossy(&self.args[0]).to_uppercase();
        if name == "OBJECT" || name == "PUBSUB" {
            if let Some(sub) = self.args.get(1) {
                name = format!("{name} {}", String::from_utf8_lossy(sub).to_uppercase());
            }
        }
        name
    }
}

/// Anything an argument can be made from.
pub trait Arg {
    fn arg(self) -> Vec<u8>;
}

impl Arg for &str {
    fn arg(self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}

impl Arg for &[u8] {
    fn arg(self) -> Vec<u8> {
        self.to_vec()
    }
}

impl Arg for String {
    fn arg(self) -> Vec<u8> {
        self.into_bytes()
    }
}

impl Arg for Vec<u8> {
    fn arg(self) -> Vec<u8> {
        self
    }
}

impl Arg for i64 {
    fn arg(self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

macro_rules! args {
    ($($a:expr),* $(,)?) => { vec![$(Arg::arg($a)),*] };
}

/// Relative weights: everything 10 unless listed (what resets the keyspace
/// or the connection is rarer).
const WEIGHTS: &[(&str, usize)] = &[
    ("flushall", 1),
    ("flushdb", 1),
    ("swapdb", 2),
    ("select", 3),
    ("reset", 1),
    ("hello", 2),
    ("multi", 4),
    ("exec", 2),
    ("discard", 1),
    ("watch", 3),
    ("unwatch", 2),
    ("move", 4),
    ("echo", 2),
    ("ping", 2),
    ("publish", 2),
    ("pubsub", 2),
    ("dbsize", 3),
    ("keys", 4),
    ("randomkey", 4),
    ("restore", 6),
    ("dump", 8),
];

/// Every command the generator can build. The ones a server does not know
/// are dropped (see [`Generator::new`]); commands whose replies cannot be
/// compared at all (TIME, INFO, CLIENT, CONFIG, MEMORY, DEBUG, the
/// subscribed modes, replication, persistence, WAIT) are not here.
pub const GENERATED: &[&str] = &[
    // strings
    "append",
    "decr",
    "decrby",
    "get",
    "getdel",
    "getex",
    "getrange",
    "getset",
    "incr",
    "incrby",
    "incrbyfloat",
    "lcs",
    "mget",
    "mset",
    "msetnx",
    "psetex",
    "set",
    "setex",
    "setnx",
    "setrange",
    "strlen",
    "substr",
    // keys and databases
    "copy",
    "del",
    "dump",
    "exists",
    "expire",
    "expireat",
    "expiretime",
    "keys",
    "move",
    "object",
    "persist",
    "pexpire",
    "pexpireat",
    "pexpiretime",
    "pttl",
    "randomkey",
    "rename",
    "renamenx",
    "restore",
    "scan",
    "sort",
    "sort_ro",
    "touch",
    "ttl",
    "type",
    "unlink",
    "dbsize",
    "select",
    "swapdb",
    "flushdb",
    "flushall",
    // lists
    "blmove",
    "blmpop",
    "blpop",
    "brpop",
    "brpoplpush",
    "lindex",
    "linsert",
    "llen",
    "lmove",
    "lmpop",
    "lpop",
    "lpos",
    "lpush",
    "lpushx",
    "lrange",
    "lrem",
    "lset",
    "ltrim",
    "rpop",
    "rpoplpush",
    "rpush",
    "rpushx",
    // hashes
    "hdel",
    "hexists",
    "hget",
    "hgetall",
    "hincrby",
    "hincrbyfloat",
    "hkeys",
    "hlen",
    "hmget",
    "hmset",
    "hrandfield",
    "hscan",
    "hset",
    "hsetnx",
    "hstrlen",
    "hvals",
    // sets
    "sadd",
    "scard",
    "sdiff",
    "sdiffstore",
    "sinter",
    "sintercard",
    "sinterstore",
    "sismember",
    "smembers",
    "smismember",
    "smove",
    "spop",
    "srandmember",
    "srem",
    "sscan",
    "sunion",
    "sunionstore",
    // sorted sets
    "bzmpop",
    "bzpopmax",
    "bzpopmin",
    "zadd",
    "zcard",
    "zcount",
    "zdiff",
    "zdiffstore",
    "zincrby",
    "zinter",
    "zintercard",
    "zinterstore",
    "zlexcount",
    "zmpop",
    "zmscore",
    "zpopmax",
    "zpopmin",
    "zrandmember",
    "zrange",
    "zrangebylex",
    "zrangebyscore",
    "zrangestore",
    "zrank",
    "zrem",
    "zremrangebylex",
    "zremrangebyrank",
    "zremrangebyscore",
    "zrevrange",
    "zrevrangebylex",
    "zrevrangebyscore",
    "zrevrank",
    "zscan",
    "zscore",
    "zunion",
    "zunionstore",
    // connection and transactions
    "echo",
    "ping",
    "hello",
    "reset",
    "multi",
    "exec",
    "discard",
    "watch",
    "unwatch",
    "publish",
    "pubsub",
];

/// Commands never mutated to a wrong arity: the blocking ones (a junk
/// argument could become a 0 timeout) and those whose effect on the
/// connection the generator tracks.
const NO_MUTATION: &[&str] = &[
    "blmove",
    "blmpop",
    "blpop",
    "brpop",
    "brpoplpush",
    "bzmpop",
    "bzpopmax",
    "bzpopmin",
    "multi",
    "exec",
    "discard",
    "reset",
    "hello",
    "watch",
    "unwatch",
];

/// Queued commands after which a transaction is ended.
const MAX_QUEUED: usize = 8;

/// Which key family a key is drawn from.
#[derive(Debug, Clone, Copy)]
enum Family {
    String,
    List,
    Hash,
    Set,
    Zset,
    Any,
}

/// A seeded stream of [`Step`]s over the commands both servers know.
pub struct Generator {
    rng: Rng,
    /// (name, cumulative weight).
    table: Vec<(&'static str, usize)>,
    total: usize,
    in_multi: bool,
    queued: usize,
    /// Keys are WATCHed (from WATCH to EXEC, DISCARD, UNWATCH or RESET).
    watching: bool,
}

/// Not generated while keys are watched: a known difference. Redis 7.0's
/// FLUSHALL, FLUSHDB and SWAPDB disturb only the watchers of keys that
/// existed; Redust's disturb every watcher of the database.
const NOT_WHILE_WATCHING: &[&str] = &["flushall", "flushdb", "swapdb"];

impl Generator {
    /// A generator for `seed` over the [`GENERATED`] commands found in
    /// `known` (lower-case names, e.g. the intersection of both servers'
    /// COMMAND LIST).
    pub fn new(seed: u64, known: &BTreeSet<String>) -> Generator {
        let mut table = Vec::new();
        let mut total = 0;
        for name in GENERATED.iter().filter(|n| known.contains(**n)) {
            total += WEIGHTS
                .iter()
                .find(|(n, _)| n == name)
                .map_or(10, |(_, w)| *w);
            table.push((*name, total));
        }
        assert!(total > 0, "no command known to both servers");
        Generator {
            rng: Rng::new(seed),
            table,
            total,
            in_multi: false,
            queued: 0,
            watching: false,
        }
    }

    /// The command names this generator draws from.
    pub fn names(&self) -> Vec<&'static str> {
        self.table.iter().map(|(n, _)| *n).collect()
    }

    /// Whether the last step left the connection in a transaction.
    pub fn in_multi(&self) -> bool {
        self.in_multi
    }

    /// The next command.
    pub fn next_step(&mut self) -> Step {
        if self.in_multi && self.queued >= MAX_QUEUED {
            return self.track("exec", Step::exact(args!["EXEC"]));
        }
        loop {
            let at = self.rng.below(self.total);
            let name = self.table.iter().find(|(_, w)| at < *w).expect("weights").0;
            if self.watching && NOT_WHILE_WATCHING.contains(&name) {
                continue;
            }
            let mut step = self.build(name);
            // Inside MULTI the replies come back in EXEC's array, where
            // only exact comparisons work.
            if self.in_multi && !step.check.is_exact() {
                continue;
            }
            if !NO_MUTATION.contains(&name)
                && matches!(
                    step.check,
                    Check::Exact | Check::Sorted | Check::Pairs | Check::Shape
                )
                && self.rng.chance(4)
            {
                self.mutate_arity(&mut step);
            }
            return self.track(name, step);
        }
    }

    fn track(&mut self, name: &str, step: Step) -> Step {
        match name {
            // A nested MULTI is refused, and counts as queued.
            "multi" if !self.in_multi => self.in_multi = true,
            // EXEC and DISCARD outside MULTI are refused, keeping the watch.
            "exec" | "discard" if self.in_multi => {
                self.in_multi = false;
                self.watching = false;
                self.queued = 0;
            }
            "reset" => {
                self.in_multi = false;
                self.watching = false;
                self.queued = 0;
            }
            // WATCH inside MULTI is refused.
            "watch" if !self.in_multi => self.watching = true,
            "unwatch" if !self.in_multi => self.watching = false,
            _ if self.in_multi => self.queued += 1,
            _ => {}
        }
        step
    }

    /// Drops the last argument or appends a junk one.
    fn mutate_arity(&mut self, step: &mut Step) {
        if step.args.len() > 1 && self.rng.chance(50) {
            step.args.pop();
        } else {
            let junk = self.rng.pick(JUNK).arg();
            step.args.push(junk);
        }
    }

    // ---- argument pools ----

    fn key(&mut self, family: Family) -> Vec<u8> {
        let own: &[&str] = match family {
            Family::String => STRING_KEYS,
            Family::List => LIST_KEYS,
            Family::Hash => HASH_KEYS,
            Family::Set => SET_KEYS,
            Family::Zset => ZSET_KEYS,
            Family::Any => &[],
        };
        let roll = self.rng.below(100);
        if roll < 4 {
            return self.rng.pick(ODD_KEYS).to_vec();
        }
        if roll < 75 && !own.is_empty() {
            return self.rng.pick(own).arg();
        }
        let all = [STRING_KEYS, LIST_KEYS, HASH_KEYS, SET_KEYS, ZSET_KEYS];
        let family = *self.rng.pick(&all);
        self.rng.pick(family).arg()
    }

    fn keys(&mut self, family: Family, max: usize) -> Vec<Vec<u8>> {
        let n = 1 + self.rng.below(max);
        (0..n).map(|_| self.key(family)).collect()
    }

    /// A member, field or value: mostly from the small universe, sometimes
    /// a number, sometimes long (crossing the encodings' size limits).
    fn member(&mut self) -> Vec<u8> {
        match self.rng.below(100) {
            0..=74 => self.rng.pick(MEMBERS).to_vec(),
            75..=89 => self.rng.range(-1000, 1000).arg(),
            90..=94 => self.rng.pick(EDGE_INTS).arg(),
            _ => self.long_value(),
        }
    }

    fn long_value(&mut self) -> Vec<u8> {
        let len = *self
            .rng
            .pick(&[20, 21, 43, 44, 45, 63, 64, 65, 100, 1000, 5000]);
        let byte = b'a' + self.rng.below(3) as u8;
        vec![byte; len]
    }

    fn members(&mut self, max: usize) -> Vec<Vec<u8>> {
        let n = match self.rng.below(100) {
            0 => 130,
            1 => 600,
            _ => 1 + self.rng.below(max),
        };
        if n > 100 && self.rng.chance(50) {
            // Many distinct integers: intset and listpack limits.
            let base = self.rng.range(-100, 100);
            return (0..n as i64).map(|i| (base + i).arg()).collect();
        }
        (0..n).map(|_| self.member()).collect()
    }

    /// A count or index: small mostly, extreme or malformed sometimes.
    fn int(&mut self) -> Vec<u8> {
        if self.rng.chance(80) {
            self.rng.range(-5, 12).arg()
        } else {
            self.rng.pick(EDGE_INTS).arg()
        }
    }

    /// A count that, negative, asks for that many replies: bounded, since a
    /// huge one would make both servers reply with billions of elements.
    fn random_count(&mut self) -> Vec<u8> {
        match self.rng.below(10) {
            0 => self
                .rng
                .pick(&[
                    "-9223372036854775808",
                    "9223372036854775807",
                    "abc",
                    "",
                    "1.5",
                ])
                .arg(),
            1..=3 => self.rng.range(-30, -1).arg(),
            _ => self.rng.range(0, 30).arg(),
        }
    }

    fn float(&mut self) -> Vec<u8> {
        match self.rng.below(10) {
            0..=5 => self.rng.pick(EDGE_FLOATS).arg(),
            6..=7 => self.rng.range(-100, 100).arg(),
            _ => format!("{}.{}", self.rng.range(-100, 100), self.rng.range(0, 99)).arg(),
        }
    }

    fn score(&mut self) -> Vec<u8> {
        if self.rng.chance(60) {
            self.rng.range(-3, 10).arg()
        } else {
            self.float()
        }
    }

    fn score_bound(&mut self) -> Vec<u8> {
        if self.rng.chance(30) {
            self.rng.range(-2, 5).arg()
        } else {
            self.rng.pick(SCORE_BOUNDS).arg()
        }
    }

    fn lex_bound(&mut self) -> Vec<u8> {
        self.rng.pick(LEX_BOUNDS).arg()
    }

    fn timeout(&mut self) -> Vec<u8> {
        self.rng.pick(TIMEOUTS).arg()
    }

    fn seconds(&mut self) -> Vec<u8> {
        self.rng.pick(EXPIRE_SECONDS).arg()
    }

    fn millis(&mut self) -> Vec<u8> {
        let s = self.rng.pick(EXPIRE_SECONDS);
        match s.parse::<i64>() {
            Ok(n) if (1..1_000_000_000_000).contains(&n) => (n * 1000).arg(),
            _ => s.arg(),
        }
    }

    fn at_seconds(&mut self) -> Vec<u8> {
        self.rng.pick(EXPIRE_AT_SECONDS).arg()
    }

    fn at_millis(&mut self) -> Vec<u8> {
        let s = self.rng.pick(EXPIRE_AT_SECONDS);
        match s.parse::<i64>() {
            Ok(n) if (1..100_000_000_000).contains(&n) => (n * 1000).arg(),
            _ => s.arg(),
        }
    }

    fn db(&mut self) -> Vec<u8> {
        match self.rng.below(10) {
            0..=7 => self.rng.range(0, 1).arg(),
            8 => self.rng.range(2, 16).arg(),
            _ => self.rng.pick(EDGE_INTS).arg(),
        }
    }

    fn side(&mut self) -> Vec<u8> {
        self.rng
            .pick(&["LEFT", "RIGHT", "left", "right", "UP"])
            .arg()
    }

    fn min_max(&mut self) -> Vec<u8> {
        self.rng.pick(&["MIN", "MAX", "min", "max", "MID"]).arg()
    }

    /// `numkeys key...` with, sometimes, a numkeys that does not match.
    fn numkeys(&mut self, family: Family, out: &mut Vec<Vec<u8>>) {
        let keys = self.keys(family, 3);
        if self.rng.chance(8) {
            out.push(self.rng.pick(EDGE_INTS).arg());
        } else {
            out.push((keys.len() as i64).arg());
        }
        out.extend(keys);
    }

    /// Appends `words` (built only then) with probability `percent`.
    fn maybe(
        &mut self,
        percent: u64,
        out: &mut Vec<Vec<u8>>,
        words: impl FnOnce(&mut Generator) -> Vec<Vec<u8>>,
    ) {
        if self.rng.chance(percent) {
            let words = words(self);
            out.extend(words);
        }
    }

    // ---- the builders ----

    fn build(&mut self, name: &'static str) -> Step {
        use Family::*;
        let exact = Step::exact;
        match name {
            "append" => exact(args!["APPEND", self.key(String), self.member()]),
            "decr" | "incr" => exact(args![name, self.key(String)]),
            "decrby" | "incrby" => exact(args![name, self.key(String), self.int()]),
            "incrbyfloat" => exact(args!["INCRBYFLOAT", self.key(String), self.float()]),
            "get" | "getdel" | "strlen" => exact(args![name, self.key(String)]),
            "getex" => {
                let mut a = args!["GETEX", self.key(String)];
                self.expiry_options(&mut a, true);
                exact(a)
            }
            "getrange" | "substr" => exact(args![name, self.key(String), self.int(), self.int()]),
            "getset" | "setnx" => exact(args![name, self.key(String), self.member()]),
            "lcs" => {
                let mut a = args!["LCS", self.key(String), self.key(String)];
                for _ in 0..self.rng.below(3) {
                    match self.rng.below(5) {
                        0 => a.push("LEN".arg()),
                        1 => a.push("IDX".arg()),
                        2 => a.extend(args!["MINMATCHLEN", self.int()]),
                        3 => a.push("WITHMATCHLEN".arg()),
                        _ => a.push(self.rng.pick(JUNK).arg()),
                    }
                }
                exact(a)
            }
            "mget" => {
                let mut a = args!["MGET"];
                a.extend(self.keys(Any, 4));
                exact(a)
            }
            "mset" | "msetnx" => {
                let mut a = args![name];
                for _ in 0..1 + self.rng.below(3) {
                    a.push(self.key(String));
                    a.push(self.member());
                }
                exact(a)
            }
            "psetex" => exact(args![
                "PSETEX",
                self.key(String),
                self.millis(),
                self.member()
            ]),
            "setex" => exact(args![
                "SETEX",
                self.key(String),
                self.seconds(),
                self.member()
            ]),
            "set" => {
                let mut a = args!["SET", self.key(String), self.member()];
                for _ in 0..self.rng.below(3) {
                    match self.rng.below(4) {
                        0 => a.push(self.rng.pick(&["NX", "XX", "nx", "xx"]).arg()),
                        1 => a.push("GET".arg()),
                        2 => a.push("KEEPTTL".arg()),
                        _ => self.expiry_options(&mut a, false),
                    }
                }
                exact(a)
            }
            "setrange" => {
                let offset = match self.rng.below(10) {
                    0 => self
                        .rng
                        .pick(&["-1", "536870912", "9223372036854775807", "abc", ""])
                        .arg(),
                    1 => self.rng.range(100, 5000).arg(),
                    _ => self.rng.range(0, 30).arg(),
                };
                exact(args!["SETRANGE", self.key(String), offset, self.member()])
            }

            "copy" => {
                let mut a = args!["COPY", self.key(Any), self.key(Any)];
                self.maybe(30, &mut a, |g| args!["DB", g.db()]);
                self.maybe(40, &mut a, |_| args!["REPLACE"]);
                exact(a)
            }
            "del" | "exists" | "touch" | "unlink" => {
                let mut a = args![name];
                a.extend(self.keys(Any, 3));
                exact(a)
            }
            "dump" => {
                let (src, dst) = (self.key(Any), self.key(Any));
                Step {
                    args: args!["DUMP", src.clone()],
                    check: Check::CrossRestore { src, dst },
                }
            }
            "restore" => {
                let payload = match self.rng.below(4) {
                    0 => b"".to_vec(),
                    1 => b"\x00\x01a\x0a\x00junkjunk".to_vec(),
                    2 => b"\x00\x01a\x0a\x00\xb4\xb9\xa5\xc8\x32\xb6\x69\x7a".to_vec(),
                    _ => self.member(),
                };
                let ttl = match self.rng.below(4) {
                    0 => self.rng.pick(EDGE_INTS).arg(),
                    _ => "0".arg(),
                };
                let mut a = args!["RESTORE", self.key(Any), ttl, payload];
                self.maybe(40, &mut a, |_| args!["REPLACE"]);
                self.maybe(15, &mut a, |_| args!["ABSTTL"]);
                self.maybe(15, &mut a, |g| args!["IDLETIME", g.int()]);
                self.maybe(15, &mut a, |g| args!["FREQ", g.int()]);
                exact(a)
            }
            "expire" | "pexpire" | "expireat" | "pexpireat" => {
                let when = match name {
                    "expire" => self.seconds(),
                    "pexpire" => self.millis(),
                    "expireat" => self.at_seconds(),
                    _ => self.at_millis(),
                };
                let mut a = args![name, self.key(Any), when];
                if self.rng.chance(30) {
                    a.push(self.rng.pick(&["NX", "XX", "GT", "LT", "nx", "BAD"]).arg());
                }
                self.maybe(5, &mut a, |_| args!["XX"]);
                exact(a)
            }
            "ttl" | "expiretime" => Step {
                args: args![name, self.key(Any)],
                check: Check::Near(1),
            },
            "pttl" | "pexpiretime" => Step {
                args: args![name, self.key(Any)],
                check: Check::Near(1000),
            },
            "persist" | "type" => exact(args![name, self.key(Any)]),
            "keys" => {
                let pattern = self
                    .rng
                    .pick(&[
                        "*", "s*", "?1", "[a-z]1", "*_*", "h[^1]", "\\*", "[", "w_?", "",
                    ])
                    .arg();
                Step {
                    args: args!["KEYS", pattern],
                    check: Check::Sorted,
                }
            }
            "move" => exact(args!["MOVE", self.key(Any), self.db()]),
            "object" => {
                let sub = *self.rng.pick(&[
                    "ENCODING", "ENCODING", "ENCODING", "REFCOUNT", "IDLETIME", "FREQ", "HELP",
                    "NOPE",
                ]);
                // REFCOUNT by shape only, a known difference: Redis's COPY
                // duplicates a shared integer (refcount 1), Redust's copy
                // stays shared (2147483647).
                let check = if sub == "IDLETIME" || sub == "REFCOUNT" {
                    Check::Shape
                } else {
                    Check::Exact
                };
                let args = if sub == "HELP" {
                    args!["OBJECT", sub]
                } else {
                    args!["OBJECT", sub, self.key(Any)]
                };
                Step { args, check }
            }
            "randomkey" => Step {
                args: args!["RANDOMKEY"],
                check: Check::Random {
                    universe: args!["KEYS", "*"],
                    resync: None,
                },
            },
            "rename" | "renamenx" => exact(args![name, self.key(Any), self.key(Any)]),
            "scan" => {
                if self.rng.chance(10) {
                    // Only cursors Redis refuses: "" and "-1" (strtoul
                    // takes both) start real iterations.
                    let cursor = self.rng.pick(&["abc", " 1", "1x", "18446744073709551616"]);
                    return exact(args!["SCAN", *cursor]);
                }
                let mut a = args!["SCAN", "0"];
                self.scan_options(&mut a, true);
                Step {
                    args: a,
                    check: Check::Scan {
                        cursor: 1,
                        pairs: false,
                    },
                }
            }
            "sort" | "sort_ro" => self.sort(name),
            "dbsize" => exact(args!["DBSIZE"]),
            "select" => exact(args!["SELECT", self.db()]),
            "swapdb" => exact(args!["SWAPDB", self.db(), self.db()]),
            "flushdb" | "flushall" => {
                let mut a = args![name];
                if self.rng.chance(30) {
                    a.push(self.rng.pick(&["ASYNC", "SYNC", "async", "NOW"]).arg());
                }
                exact(a)
            }

            "blpop" | "brpop" => {
                let mut a = args![name];
                a.extend(self.keys(List, 2));
                a.push(self.timeout());
                exact(a)
            }
            "blmove" => exact(args![
                "BLMOVE",
                self.key(List),
                self.key(List),
                self.side(),
                self.side(),
                self.timeout()
            ]),
            "brpoplpush" => exact(args![
                "BRPOPLPUSH",
                self.key(List),
                self.key(List),
                self.timeout()
            ]),
            "blmpop" | "lmpop" => {
                let mut a = args![name];
                if name == "blmpop" {
                    a.push(self.timeout());
                }
                self.numkeys(List, &mut a);
                a.push(self.side());
                self.maybe(40, &mut a, |g| args!["COUNT", g.int()]);
                exact(a)
            }
            "lindex" => exact(args!["LINDEX", self.key(List), self.int()]),
            "linsert" => {
                let where_ = self.rng.pick(&["BEFORE", "AFTER", "after", "MIDDLE"]).arg();
                exact(args![
                    "LINSERT",
                    self.key(List),
                    where_,
                    self.member(),
                    self.member()
                ])
            }
            "llen" => exact(args!["LLEN", self.key(List)]),
            "lmove" => exact(args![
                "LMOVE",
                self.key(List),
                self.key(List),
                self.side(),
                self.side()
            ]),
            "lpop" | "rpop" => {
                let mut a = args![name, self.key(List)];
                if self.rng.chance(40) {
                    a.push(self.int());
                }
                exact(a)
            }
            "lpos" => {
                let mut a = args!["LPOS", self.key(List), self.member()];
                self.maybe(30, &mut a, |g| args!["RANK", g.int()]);
                self.maybe(30, &mut a, |g| args!["COUNT", g.int()]);
                self.maybe(30, &mut a, |g| args!["MAXLEN", g.int()]);
                exact(a)
            }
            "lpush" | "rpush" | "lpushx" | "rpushx" => {
                let mut a = args![name, self.key(List)];
                a.extend(self.members(4));
                exact(a)
            }
            "lrange" => exact(args!["LRANGE", self.key(List), self.int(), self.int()]),
            "lrem" => exact(args!["LREM", self.key(List), self.int(), self.member()]),
            "lset" => exact(args!["LSET", self.key(List), self.int(), self.member()]),
            "ltrim" => exact(args!["LTRIM", self.key(List), self.int(), self.int()]),
            "rpoplpush" => exact(args!["RPOPLPUSH", self.key(List), self.key(List)]),

            "hdel" => {
                let mut a = args!["HDEL", self.key(Hash)];
                for _ in 0..1 + self.rng.below(3) {
                    a.push(self.member());
                }
                exact(a)
            }
            "hexists" | "hget" | "hstrlen" => exact(args![name, self.key(Hash), self.field()]),
            "hgetall" => Step {
                args: args!["HGETALL", self.key(Hash)],
                check: Check::Pairs,
            },
            "hkeys" | "hvals" => Step {
                args: args![name, self.key(Hash)],
                check: Check::Sorted,
            },
            "hincrby" => exact(args!["HINCRBY", self.key(Hash), self.field(), self.int()]),
            "hincrbyfloat" => exact(args![
                "HINCRBYFLOAT",
                self.key(Hash),
                self.field(),
                self.float()
            ]),
            "hlen" => exact(args!["HLEN", self.key(Hash)]),
            "hmget" => {
                let mut a = args!["HMGET", self.key(Hash)];
                for _ in 0..1 + self.rng.below(3) {
                    a.push(self.field());
                }
                exact(a)
            }
            "hmset" | "hset" => {
                let mut a = args![name, self.key(Hash)];
                let n = match self.rng.below(60) {
                    0 => 130,
                    _ => 1 + self.rng.below(3),
                };
                for i in 0..n {
                    if n > 100 {
                        a.push(format!("f{i}").arg());
                    } else {
                        a.push(self.field());
                    }
                    a.push(self.member());
                }
                exact(a)
            }
            "hsetnx" => exact(args!["HSETNX", self.key(Hash), self.field(), self.member()]),
            "hrandfield" => {
                let key = self.key(Hash);
                let mut a = args!["HRANDFIELD", key.clone()];
                if self.rng.chance(70) {
                    a.push(self.random_count());
                    self.maybe(50, &mut a, |_| args!["WITHVALUES"]);
                }
                Step {
                    args: a,
                    check: Check::Random {
                        universe: args!["HGETALL", key],
                        resync: None,
                    },
                }
            }
            "hscan" | "sscan" | "zscan" => {
                let family = match name {
                    "hscan" => Hash,
                    "sscan" => Set,
                    _ => Zset,
                };
                let mut a = args![name, self.key(family), "0"];
                self.scan_options(&mut a, false);
                Step {
                    args: a,
                    check: Check::Scan {
                        cursor: 2,
                        pairs: name != "sscan",
                    },
                }
            }

            "sadd" | "srem" => {
                let mut a = args![name, self.key(Set)];
                a.extend(self.members(4));
                exact(a)
            }
            "scard" => exact(args!["SCARD", self.key(Set)]),
            "sdiff" | "sinter" | "sunion" => {
                let mut a = args![name];
                a.extend(self.keys(Set, 3));
                Step {
                    args: a,
                    check: Check::Sorted,
                }
            }
            "smembers" => Step {
                args: args!["SMEMBERS", self.key(Set)],
                check: Check::Sorted,
            },
            "sdiffstore" | "sinterstore" | "sunionstore" => {
                let mut a = args![name, self.key(Set)];
                a.extend(self.keys(Set, 3));
                exact(a)
            }
            "sintercard" | "zintercard" => {
                let family = if name == "sintercard" { Set } else { Zset };
                let mut a = args![name];
                self.numkeys(family, &mut a);
                self.maybe(40, &mut a, |g| args!["LIMIT", g.int()]);
                exact(a)
            }
            "sismember" => exact(args!["SISMEMBER", self.key(Set), self.member()]),
            "smismember" => {
                let mut a = args!["SMISMEMBER", self.key(Set)];
                a.extend(self.members(3));
                exact(a)
            }
            "smove" => exact(args!["SMOVE", self.key(Set), self.key(Set), self.member()]),
            "spop" | "srandmember" => {
                let key = self.key(Set);
                let mut a = args![name, key.clone()];
                if self.rng.chance(70) {
                    a.push(if name == "spop" {
                        self.int()
                    } else {
                        self.random_count()
                    });
                }
                let resync = (name == "spop").then(|| args!["DEL", key.clone()]);
                Step {
                    args: a,
                    check: Check::Random {
                        universe: args!["SMEMBERS", key],
                        resync,
                    },
                }
            }

            "bzpopmax" | "bzpopmin" => {
                let mut a = args![name];
                a.extend(self.keys(Zset, 2));
                a.push(self.timeout());
                exact(a)
            }
            "bzmpop" | "zmpop" => {
                let mut a = args![name];
                if name == "bzmpop" {
                    a.push(self.timeout());
                }
                self.numkeys(Zset, &mut a);
                a.push(self.min_max());
                self.maybe(40, &mut a, |g| args!["COUNT", g.int()]);
                exact(a)
            }
            "zadd" => {
                let mut a = args!["ZADD", self.key(Zset)];
                for _ in 0..self.rng.below(3) {
                    a.push(self.rng.pick(&["NX", "XX", "GT", "LT", "CH", "INCR"]).arg());
                }
                let n = match self.rng.below(60) {
                    0 => 130,
                    _ => 1 + self.rng.below(3),
                };
                for i in 0..n {
                    a.push(self.score());
                    if n > 100 {
                        a.push(format!("m{i}").arg());
                    } else {
                        a.push(self.member());
                    }
                }
                exact(a)
            }
            "zcard" => exact(args!["ZCARD", self.key(Zset)]),
            "zcount" | "zremrangebyscore" => exact(args![
                name,
                self.key(Zset),
                self.score_bound(),
                self.score_bound()
            ]),
            "zlexcount" | "zremrangebylex" => {
                let key = self.key(Zset);
                let a = args![name, key.clone(), self.lex_bound(), self.lex_bound()];
                let resync = (name == "zremrangebylex").then(|| key.clone());
                Step::lex(a, key, resync)
            }
            "zremrangebyrank" => exact(args![name, self.key(Zset), self.int(), self.int()]),
            "zdiff" | "zinter" | "zunion" => {
                let mut a = args![name];
                self.numkeys(Zset, &mut a);
                self.zstore_options(&mut a, name != "zdiff");
                self.maybe(40, &mut a, |_| args!["WITHSCORES"]);
                exact(a)
            }
            "zdiffstore" | "zinterstore" | "zunionstore" => {
                let mut a = args![name, self.key(Zset)];
                self.numkeys(Zset, &mut a);
                self.zstore_options(&mut a, name != "zdiffstore");
                exact(a)
            }
            "zincrby" => exact(args![
                "ZINCRBY",
                self.key(Zset),
                self.score(),
                self.member()
            ]),
            "zmscore" => {
                let mut a = args!["ZMSCORE", self.key(Zset)];
                a.extend(self.members(3));
                exact(a)
            }
            "zpopmax" | "zpopmin" => {
                let mut a = args![name, self.key(Zset)];
                if self.rng.chance(50) {
                    a.push(self.int());
                }
                exact(a)
            }
            "zrandmember" => {
                let key = self.key(Zset);
                let mut a = args!["ZRANDMEMBER", key.clone()];
                if self.rng.chance(70) {
                    a.push(self.random_count());
                    self.maybe(50, &mut a, |_| args!["WITHSCORES"]);
                }
                Step {
                    args: a,
                    check: Check::Random {
                        universe: args!["ZRANGE", key, "0", "-1", "WITHSCORES"],
                        resync: None,
                    },
                }
            }
            "zrange" | "zrangestore" => {
                let mut a = args![name];
                let dst = (name == "zrangestore").then(|| self.key(Zset));
                a.extend(dst.clone());
                let src = self.key(Zset);
                a.push(src.clone());
                let by = self.rng.below(3);
                match by {
                    0 => a.extend(args![self.int(), self.int()]),
                    1 => a.extend(args![self.score_bound(), self.score_bound(), "BYSCORE"]),
                    _ => a.extend(args![self.lex_bound(), self.lex_bound(), "BYLEX"]),
                }
                self.maybe(30, &mut a, |_| args!["REV"]);
                self.maybe(25, &mut a, |g| args!["LIMIT", g.int(), g.int()]);
                if name == "zrange" {
                    self.maybe(40, &mut a, |_| args!["WITHSCORES"]);
                }
                if by == 2 {
                    return Step::lex(a, src, dst);
                }
                exact(a)
            }
            "zrangebyscore" | "zrevrangebyscore" => {
                let mut a = args![name, self.key(Zset), self.score_bound(), self.score_bound()];
                self.maybe(40, &mut a, |_| args!["WITHSCORES"]);
                self.maybe(25, &mut a, |g| args!["LIMIT", g.int(), g.int()]);
                exact(a)
            }
            "zrangebylex" | "zrevrangebylex" => {
                let key = self.key(Zset);
                let mut a = args![name, key.clone(), self.lex_bound(), self.lex_bound()];
                self.maybe(25, &mut a, |g| args!["LIMIT", g.int(), g.int()]);
                Step::lex(a, key, None)
            }
            "zrevrange" => {
                let mut a = args![name, self.key(Zset), self.int(), self.int()];
                self.maybe(40, &mut a, |_| args!["WITHSCORES"]);
                exact(a)
            }
            "zrank" | "zrevrank" | "zscore" => exact(args![name, self.key(Zset), self.member()]),
            "zrem" => {
                let mut a = args!["ZREM", self.key(Zset)];
                a.extend(self.members(3));
                exact(a)
            }

            "echo" => exact(args!["ECHO", self.member()]),
            "ping" => {
                let mut a = args!["PING"];
                if self.rng.chance(50) {
                    a.push(self.member());
                }
                exact(a)
            }
            "hello" => {
                let version = self.rng.pick(&["2", "3", "3", "4", "1", "abc"]).arg();
                Step {
                    args: args!["HELLO", version],
                    check: Check::Shape,
                }
            }
            "reset" => exact(args!["RESET"]),
            "multi" | "exec" | "discard" | "unwatch" => exact(args![name]),
            "watch" => {
                let mut a = args!["WATCH"];
                a.extend(self.keys(Any, 2));
                exact(a)
            }
            "publish" => exact(args!["PUBLISH", self.member(), self.member()]),
            "pubsub" => {
                let a = match self.rng.below(4) {
                    0 => args!["PUBSUB", "CHANNELS"],
                    1 => args!["PUBSUB", "NUMSUB", self.member()],
                    2 => args!["PUBSUB", "NUMPAT"],
                    _ => args!["PUBSUB", "CHANNELS", "*"],
                };
                exact(a)
            }
            other => unreachable!("no builder for {other}"),
        }
    }

    fn field(&mut self) -> Vec<u8> {
        if self.rng.chance(15) {
            return "f".arg();
        }
        self.member()
    }

    /// EX/PX/EXAT/PXAT (and, for GETEX, PERSIST).
    fn expiry_options(&mut self, a: &mut Vec<Vec<u8>>, getex: bool) {
        match self.rng.below(if getex { 6 } else { 4 }) {
            0 => a.extend(args!["EX", self.seconds()]),
            1 => a.extend(args!["PX", self.millis()]),
            2 => a.extend(args!["EXAT", self.at_seconds()]),
            3 => a.extend(args!["PXAT", self.at_millis()]),
            4 => a.push("PERSIST".arg()),
            _ => {}
        }
    }

    fn scan_options(&mut self, a: &mut Vec<Vec<u8>>, with_type: bool) {
        if self.rng.chance(40) {
            let pattern = self.rng.pick(&["*", "s*", "a*", "*1*", "?", "[ab]*", "f*"]);
            a.extend(args!["MATCH", *pattern]);
        }
        if self.rng.chance(40) {
            let count = self
                .rng
                .pick(&["1", "2", "5", "10", "100", "0", "-1", "abc"]);
            a.extend(args!["COUNT", *count]);
        }
        if with_type && self.rng.chance(30) {
            let kind = self
                .rng
                .pick(&["string", "list", "hash", "set", "zset", "nope"]);
            a.extend(args!["TYPE", *kind]);
        }
    }

    fn zstore_options(&mut self, a: &mut Vec<Vec<u8>>, weights: bool) {
        if weights && self.rng.chance(30) {
            a.push("WEIGHTS".arg());
            for _ in 0..1 + self.rng.below(3) {
                a.push(self.score());
            }
        }
        if weights && self.rng.chance(30) {
            a.push("AGGREGATE".arg());
            a.push(self.rng.pick(&["SUM", "MIN", "MAX", "max", "AVG"]).arg());
        }
    }

    fn sort(&mut self, name: &'static str) -> Step {
        let family = *self.rng.pick(&[Family::List, Family::Set, Family::Zset]);
        let mut a = args![name, self.key(family)];
        let by = if self.rng.chance(40) {
            let by = *self
                .rng
                .pick(&["w_*", "wh_*->f", "nosort", "nokey", "w_*->f", "*"]);
            a.extend(args!["BY", by]);
            Some(by)
        } else {
            None
        };
        let limit = self.rng.chance(25);
        if limit {
            a.extend(args!["LIMIT", self.int(), self.int()]);
        }
        for _ in 0..self.rng.below(3) {
            let get = *self.rng.pick(&["#", "w_*", "wh_*->f", "nokey_*", "*"]);
            a.extend(args!["GET", get]);
        }
        self.maybe(30, &mut a, |g| args![*g.rng.pick(&["ASC", "DESC"])]);
        let alpha = self.rng.chance(40);
        if alpha {
            a.push("ALPHA".arg());
        }
        // ALPHA by weights leaves ties (missing weights) in their input
        // order, a set's table order: never stored, compared sorted.
        let ties = alpha && by.is_some_and(|b| b.contains('*'));
        let store = name == "sort" && !ties && self.rng.chance(20);
        if store {
            a.extend(args!["STORE", self.key(Family::List)]);
        }
        // Without a '*' in BY nothing is sorted: a set comes out in its
        // table's order (unless stored, which sorts it).
        let unsorted = ties || (by.is_some_and(|b| !b.contains('*')) && !store);
        let check = match (unsorted, limit) {
            (false, _) => Check::Exact,
            (true, false) => Check::Sorted,
            (true, true) => Check::Shape,
        };
        Step { args: a, check }
    }
}

impl Step {
    pub fn exact(args: Vec<Vec<u8>>) -> Step {
        Step {
            args,
            check: Check::Exact,
        }
    }

    /// A lex-range command on `key`; `changed` is the key it writes.
    fn lex(args: Vec<Vec<u8>>, key: Vec<u8>, changed: Option<Vec<u8>>) -> Step {
        Step {
            args,
            check: Check::Lex {
                key,
                resync: changed.map(|k| vec![b"DEL".to_vec(), k]),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> BTreeSet<String> {
        GENERATED.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn seeded_and_bounded_to_known_commands() {
        let steps = |seed| {
            let mut g = Generator::new(seed, &all());
            (0..2000).map(|_| g.next_step()).collect::<Vec<_>>()
        };
        assert_eq!(steps(3), steps(3));
        assert_ne!(steps(3), steps(4));
        let known: BTreeSet<String> = ["get", "set"].map(String::from).into();
        let mut g = Generator::new(1, &known);
        assert!((0..200).all(|_| {
            let step = g.next_step();
            let name = String::from_utf8_lossy(&step.args[0]).to_lowercase();
            name == "get" || name == "set"
        }));
    }

    #[test]
    fn transactions_hold_only_exact_checks_and_end() {
        let mut g = Generator::new(9, &all());
        let mut queued = 0;
        for _ in 0..20_000 {
            let was_in_multi = g.in_multi();
            let step = g.next_step();
            if was_in_multi {
                assert!(step.check.is_exact(), "{:?} queued", step.args);
                queued += 1;
                assert!(queued <= MAX_QUEUED + 1);
            } else {
                queued = 0;
            }
        }
    }
}
