//! Shared by the RDB tests: a redis-server on a directory (started by
//! redust-testkit), a connection that reads keys back as [`Object`]s and
//! stores them, a dataset with every type and encoding, and comparisons.
#![allow(dead_code, unused_imports)]

pub use engine::rdb::legacy;

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use engine::rdb::{Entry, Object};
use testkit::{Client, Kind, Ready, Server};

pub use testkit::{redis_available, Reply, TempDir};

pub const REDIS_CHECK_RDB: &str = "/usr/bin/redis-check-rdb";

/// A redis-server child process, killed on drop.
pub struct Redis(Server);

impl Redis {
    /// Starts redis-server with `dir`/`dbfilename` (loading that file if it
    /// exists) and waits until it answers PING with PONG (not LOADING).
    pub fn start(dir: &Path, dbfilename: &str, extra: &[&str]) -> Redis {
        let server = Server::builder(Kind::Redis)
            .dir(dir)
            .args(["--dbfilename", dbfilename])
            .args(extra)
            .ready(Ready::Pong)
            .start();
        Redis(server)
    }

    pub fn connect(&self) -> Conn {
        Conn(Client::connect_timeout(self.0.port(), Duration::from_secs(60)).unwrap())
    }
}

/// A connection whose calls panic on I/O errors.
pub struct Conn(Client);

impl Conn {
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Reply {
        self.0.call(args).unwrap()
    }

    pub fn ok<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        let r = self.cmd(args);
        assert!(matches!(r, Reply::Simple(_) | Reply::Integer(_)), "{r:?}");
    }

    /// Reads key `key` of the selected database back as an [`Object`].
    pub fn read_object(&mut self, key: &[u8]) -> Object {
        let kind = self.cmd(&[b"TYPE".as_slice(), key]).expect_text();
        let mut bulks = |args: &[&[u8]]| -> Vec<Bytes> {
            let reply = self.cmd(args);
            let items = reply.expect_items();
            items
                .iter()
                .map(|r| Bytes::copy_from_slice(r.expect_bulk()))
                .collect()
        };
        match kind.as_str() {
            "string" => Object::String(Bytes::copy_from_slice(
                self.cmd(&[b"GET".as_slice(), key]).expect_bulk(),
            )),
            "list" => Object::List(bulks(&[b"LRANGE", key, b"0", b"-1"])),
            "set" => Object::Set(bulks(&[b"SMEMBERS", key])),
            "hash" => {
                let flat = bulks(&[b"HGETALL", key]);
                Object::Hash(
                    flat.chunks(2)
                        .map(|p| (p[0].clone(), p[1].clone()))
                        .collect(),
                )
            }
            "zset" => {
                let flat = bulks(&[b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"]);
                Object::ZSet(
                    flat.chunks(2)
                        .map(|p| {
                            (
                                p[0].clone(),
                                std::str::from_utf8(&p[1]).unwrap().parse().unwrap(),
                            )
                        })
                        .collect(),
                )
            }
            other => panic!("unexpected type {other} for {key:?}"),
        }
    }

    /// Stores `e` in the selected database with commands.
    pub fn store(&mut self, e: &Entry) {
        let k = e.key.clone();
        let chunks = |items: Vec<Bytes>, cmd: &str, conn: &mut Conn| {
            for c in items.chunks(500) {
                let mut args = vec![Bytes::from(cmd.to_string()), k.clone()];
                args.extend(c.iter().cloned());
                conn.ok(&args);
            }
        };
        match &e.object {
            Object::String(v) => self.ok(&[b"SET".as_slice(), &k, v]),
            Object::List(items) => chunks(items.clone(), "RPUSH", self),
            Object::Set(items) => chunks(items.clone(), "SADD", self),
            Object::Hash(pairs) => chunks(
                pairs
                    .iter()
                    .flat_map(|(f, v)| [f.clone(), v.clone()])
                    .collect(),
                "HSET",
                self,
            ),
            Object::ZSet(items) => chunks(
                items
                    .iter()
                    .flat_map(|(m, s)| [Bytes::from(score_arg(*s)), m.clone()])
                    .collect(),
                "ZADD",
                self,
            ),
            Object::Stream(_) => panic!("the generated datasets hold no streams"),
        }
        if let Some(t) = e.expire_ms {
            assert_eq!(
                self.cmd(&[b"PEXPIREAT".as_slice(), &k, t.to_string().as_bytes()]),
                Reply::Integer(1)
            );
        }
    }
}

fn score_arg(s: f64) -> String {
    if s.is_infinite() {
        if s > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        format!("{s:?}")
    }
}

/// A value with order-insensitive collections sorted, for comparisons.
pub fn normalize(o: &Object) -> Object {
    match o {
        Object::Set(v) => {
            let mut v = v.clone();
            v.sort();
            Object::Set(v)
        }
        Object::Hash(v) => {
            let mut v = v.clone();
            v.sort();
            Object::Hash(v)
        }
        Object::ZSet(v) => {
            let mut v = v.clone();
            v.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap().then_with(|| a.0.cmp(&b.0)));
            Object::ZSet(v)
        }
        o => o.clone(),
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A small deterministic generator.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn bytes(&mut self, n: usize) -> Bytes {
        (0..n)
            .map(|_| self.next() as u8)
            .collect::<Vec<u8>>()
            .into()
    }
}

fn b(s: impl AsRef<[u8]>) -> Bytes {
    Bytes::copy_from_slice(s.as_ref())
}

fn entry(db: u32, key: impl AsRef<[u8]>, object: Object) -> Entry {
    Entry {
        db,
        key: b(key),
        object,
        expire_ms: None,
        lru_idle: None,
        lfu_freq: None,
    }
}

/// Every type in each of its encodings (under default limits), binary keys
/// and values, compressible and incompressible strings, expiring keys, all
/// 16 databases. Ordered by database.
pub fn dataset() -> Vec<Entry> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let hour = now_ms() + 3_600_000;
    let mut v = vec![
        entry(0, "str:small", Object::String(b("hello"))),
        entry(0, "str:int", Object::String(b("12345"))),
        entry(0, "str:i8", Object::String(b("-7"))),
        entry(0, "str:i32", Object::String(b("-2000000000"))),
        entry(0, "str:i64", Object::String(b("12345678901"))),
        entry(0, "str:min", Object::String(b("-9223372036854775808"))),
        entry(0, "str:leading-zero", Object::String(b("007"))),
        entry(0, "str:empty", Object::String(b(""))),
        entry(0, "str:embstr-max", Object::String(b("x".repeat(44)))),
        entry(0, "str:raw", Object::String(b("y".repeat(45)))),
        entry(
            0,
            b"bin\0key\r\n\xff",
            Object::String(b(b"\0\r\n\xff\xfe\0")),
        ),
        entry(
            0,
            "str:compressible",
            Object::String(b("abc".repeat(10_000))),
        ),
        entry(0, "str:noise", Object::String(rng.bytes(10_000))),
        entry(
            0,
            "str:big",
            Object::String(b("0123456789".repeat(100_000))),
        ),
        Entry {
            expire_ms: Some(hour),
            ..entry(0, "str:expiring", Object::String(b("soon")))
        },
        entry(0, "12345", Object::String(b("integer key"))),
        entry(
            0,
            "list:small",
            Object::List(
                ["a", "b", "1", "2", "-3", "hello world", ""]
                    .map(b)
                    .to_vec(),
            ),
        ),
        entry(
            0,
            "list:big",
            Object::List(
                (0..3000u64)
                    .map(|i| match i % 4 {
                        0 => b(i.to_string()),
                        1 => b(format!("element-{i}")),
                        2 => b("z".repeat((i % 300) as usize)),
                        _ => b((i as i64 * -100_003).to_string()),
                    })
                    .collect(),
            ),
        ),
        entry(
            0,
            "list:bigitems",
            Object::List((0..6).map(|i| b(format!("{i}").repeat(5000))).collect()),
        ),
        entry(
            0,
            b"list:\0bin",
            Object::List(vec![b(b"\r\n\0"), rng.bytes(100), rng.bytes(70_000)]),
        ),
        entry(
            0,
            "set:intset16",
            Object::Set(["1", "2", "3", "-100", "300"].map(b).to_vec()),
        ),
        entry(
            0,
            "set:intset32",
            Object::Set(["1", "70000", "-70000"].map(b).to_vec()),
        ),
        entry(
            0,
            "set:intset64",
            Object::Set(["-5000000000", "5", "9223372036854775807"].map(b).to_vec()),
        ),
        entry(
            0,
            "set:strings",
            Object::Set(["a", "b", "c", "007", "1"].map(b).to_vec()),
        ),
        entry(
            0,
            "set:bigints",
            Object::Set((0..600).map(|i| b((i * 7).to_string())).collect()),
        ),
        entry(
            0,
            "set:big",
            Object::Set((0..1000).map(|i| b(format!("member:{i}"))).collect()),
        ),
        entry(
            0,
            "hash:small",
            Object::Hash(vec![
                (b("name"), b("redust")),
                (b("n"), b("42")),
                (b("neg"), b("-100000")),
                (b("100"), b("int field")),
                (b("empty"), b("")),
                (b("big"), b("9223372036854775807")),
            ]),
        ),
        entry(
            0,
            "hash:longvalue",
            Object::Hash(vec![(b("f"), b("v".repeat(65))), (b("g"), b("w"))]),
        ),
        entry(
            0,
            "hash:longfield",
            Object::Hash(vec![(b("f".repeat(65)), b("v"))]),
        ),
        entry(
            0,
            "hash:mid",
            Object::Hash(
                (0..300)
                    .map(|i| (b(format!("f{i}")), b(format!("v{i}"))))
                    .collect(),
            ),
        ),
        entry(
            0,
            "hash:big",
            Object::Hash(
                (0..600)
                    .map(|i| (b(format!("field:{i}")), b(i.to_string())))
                    .collect(),
            ),
        ),
        entry(
            0,
            "zset:small",
            Object::ZSet(vec![
                (b("a"), 1.0),
                (b("b"), 1.5),
                (b("c"), -2.25),
                (b("d"), f64::INFINITY),
                (b("e"), f64::NEG_INFINITY),
                (b("f"), 0.1),
                (b("g"), 1e20),
                (b("h"), 1.0),
                (b("100"), 3e-7),
                (b("i"), -4_611_686_018_427_387_904.0),
            ]),
        ),
        entry(
            0,
            "zset:longmember",
            Object::ZSet(vec![(b("m".repeat(65)), 1.0), (b("n"), 2.5)]),
        ),
        entry(
            0,
            "zset:big",
            Object::ZSet(
                (0..200)
                    .map(|i| (b(format!("m{i}")), (i as f64) / 3.0))
                    .collect(),
            ),
        ),
    ];
    for db in 1..16u32 {
        v.push(entry(
            db,
            format!("db{db}:str"),
            Object::String(b(format!("value in {db}"))),
        ));
        v.push(entry(
            db,
            format!("db{db}:list"),
            Object::List(vec![b("x"), b(db.to_string())]),
        ));
        v.push(Entry {
            expire_ms: Some(hour + db as i64),
            ..entry(
                db,
                format!("db{db}:hash"),
                Object::Hash(vec![(b("db"), b(db.to_string()))]),
            )
        });
    }
    v
}

/// The encoding Redis 7.0 reports (`OBJECT ENCODING`) for `o` under default
/// limits.
pub fn expected_encoding(o: &Object) -> &'static str {
    let is_int = |s: &[u8]| {
        std::str::from_utf8(s)
            .ok()
            .and_then(|t| t.parse::<i64>().ok())
            .is_some_and(|i| i.to_string().as_bytes() == s)
    };
    match o {
        Object::String(s) if s.len() <= 20 && is_int(s) => "int",
        Object::String(s) if s.len() <= 44 => "embstr",
        Object::String(_) => "raw",
        Object::List(_) => "quicklist",
        Object::Set(v) if v.len() <= 512 && v.iter().all(|m| is_int(m)) => "intset",
        Object::Set(_) => "hashtable",
        Object::Hash(v)
            if v.len() <= 512 && v.iter().all(|(f, x)| f.len() <= 64 && x.len() <= 64) =>
        {
            "listpack"
        }
        Object::Hash(_) => "hashtable",
        Object::ZSet(v) if v.len() <= 128 && v.iter().all(|(m, _)| m.len() <= 64) => "listpack",
        Object::ZSet(_) => "skiplist",
        Object::Stream(_) => "stream",
    }
}
