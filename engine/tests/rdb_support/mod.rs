//! Shared by the RDB tests: a redis-server on a free port, a minimal RESP
//! client, a dataset with every type and encoding, and comparisons.
#![allow(dead_code)]

pub use engine::rdb::legacy;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use engine::rdb::{Entry, Object};

pub const REDIS_SERVER: &str = "/usr/bin/redis-server";
pub const REDIS_CHECK_RDB: &str = "/usr/bin/redis-check-rdb";

/// False (with a notice) when Debian's redis-server is not installed.
pub fn have_redis() -> bool {
    let ok = Path::new(REDIS_SERVER).exists();
    if !ok {
        eprintln!("NOTICE: {REDIS_SERVER} not found; skipping the comparison with Redis");
    }
    ok
}

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let dir =
            std::env::temp_dir().join(format!("redust-rdb-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A redis-server child process, killed on drop.
pub struct Redis {
    child: Child,
    pub port: u16,
}

impl Redis {
    /// Starts redis-server with `dir`/`dbfilename` (loading that file if it
    /// exists) and waits until it answers PING with PONG (not LOADING).
    pub fn start(dir: &Path, dbfilename: &str, extra: &[&str]) -> Redis {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut args: Vec<String> = [
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--dir",
            dir.to_str().unwrap(),
            "--dbfilename",
            dbfilename,
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            "redis.log",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        let child = Command::new(REDIS_SERVER)
            .args(&args)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut redis = Redis { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(mut c) = redis.try_connect() {
                if c.cmd(&["PING"]) == Reply::Simple("PONG".into()) {
                    return redis;
                }
            }
            if let Ok(Some(status)) = redis.child.try_wait() {
                let log = std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default();
                panic!("redis-server exited with {status}; log:\n{log}");
            }
            assert!(Instant::now() < deadline, "redis-server did not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn try_connect(&self) -> std::io::Result<Conn> {
        let s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(60)))?;
        Ok(Conn {
            r: BufReader::new(s.try_clone()?),
            w: s,
        })
    }

    pub fn connect(&self) -> Conn {
        self.try_connect().unwrap()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    pub fn bulk(self) -> Vec<u8> {
        match self {
            Reply::Bulk(Some(b)) => b,
            r => panic!("expected a bulk string, got {r:?}"),
        }
    }
    pub fn int(self) -> i64 {
        match self {
            Reply::Int(i) => i,
            r => panic!("expected an integer, got {r:?}"),
        }
    }
    pub fn simple(self) -> String {
        match self {
            Reply::Simple(s) => s,
            Reply::Bulk(Some(b)) => String::from_utf8(b).unwrap(),
            r => panic!("expected a status, got {r:?}"),
        }
    }
    pub fn array(self) -> Vec<Reply> {
        match self {
            Reply::Array(Some(a)) => a,
            r => panic!("expected an array, got {r:?}"),
        }
    }
    pub fn bulks(self) -> Vec<Bytes> {
        self.array()
            .into_iter()
            .map(|r| Bytes::from(r.bulk()))
            .collect()
    }
}

pub struct Conn {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Conn {
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Reply {
        self.send(args);
        self.reply()
    }

    pub fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            let a = a.as_ref();
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.w.write_all(&out).unwrap();
    }

    pub fn reply(&mut self) -> Reply {
        let mut line = Vec::new();
        self.r.read_until(b'\n', &mut line).unwrap();
        assert!(line.ends_with(b"\r\n"), "bad reply line {line:?}");
        let text = String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned();
        match line[0] {
            b'+' => Reply::Simple(text),
            b'-' => Reply::Error(text),
            b':' => Reply::Int(text.parse().unwrap()),
            b'$' => {
                let n: i64 = text.parse().unwrap();
                if n < 0 {
                    return Reply::Bulk(None);
                }
                let mut b = vec![0; n as usize + 2];
                self.r.read_exact(&mut b).unwrap();
                b.truncate(n as usize);
                Reply::Bulk(Some(b))
            }
            b'*' => {
                let n: i64 = text.parse().unwrap();
                if n < 0 {
                    return Reply::Array(None);
                }
                Reply::Array(Some((0..n).map(|_| self.reply()).collect()))
            }
            _ => panic!("bad reply {line:?}"),
        }
    }

    pub fn ok<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        let r = self.cmd(args);
        assert!(matches!(r, Reply::Simple(_) | Reply::Int(_)), "{r:?}");
    }

    /// Reads key `key` of the selected database back as an [`Object`].
    pub fn read_object(&mut self, key: &[u8]) -> Object {
        let kind = self.cmd(&[b"TYPE".as_slice(), key]).simple();
        match kind.as_str() {
            "string" => Object::String(self.cmd(&[b"GET".as_slice(), key]).bulk().into()),
            "list" => Object::List(self.cmd(&[b"LRANGE".as_slice(), key, b"0", b"-1"]).bulks()),
            "set" => Object::Set(self.cmd(&[b"SMEMBERS".as_slice(), key]).bulks()),
            "hash" => {
                let flat = self.cmd(&[b"HGETALL".as_slice(), key]).bulks();
                Object::Hash(
                    flat.chunks(2)
                        .map(|p| (p[0].clone(), p[1].clone()))
                        .collect(),
                )
            }
            "zset" => {
                let flat = self
                    .cmd(&[b"ZRANGE".as_slice(), key, b"0", b"-1", b"WITHSCORES"])
                    .bulks();
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
        }
        if let Some(t) = e.expire_ms {
            assert_eq!(
                self.cmd(&[b"PEXPIREAT".as_slice(), &k, t.to_string().as_bytes()]),
                Reply::Int(1)
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
    }
}
