//! Keyspace notifications, differential: the same script runs against
//! Redust and (when installed) real Redis while a subscriber listens on
//! `__keyspace@*__:*` and `__keyevent@*__:*`; both must publish the same
//! messages in the same order. A final PUBLISH on a marker channel tells the
//! subscriber it has everything.

mod support;

use std::time::Duration;

use support::reply::{self, Reply};
use support::{redis_available, Client, Server};
use testkit::wait_until;

/// How long a polled condition (a key expiring, a blocked client) may take.
const DEADLINE: Duration = Duration::from_secs(10);

/// One step of a script: a command line split on spaces, or one of
/// - `@block CMD...`: another client sends CMD, which must block; the next
///   command serves it (its reply is then read and dropped);
/// - `@until-gone KEY`: EXISTS KEY until it answers 0 (lazy expiry, unless
///   the active cycle was faster: the messages are the same);
/// - `@until-empty`: DBSIZE until 0, touching no key (active expiry, eviction);
/// - `@dump-restore SRC DST ARGS...`: RESTORE DST with DUMP SRC's payload.
const FULL_SCRIPT: &[&str] = &[
    // Strings.
    "SET s1 v",
    "SET s1 v2 XX",
    "SET s1 v3 NX",
    "SET s2 v EX 100",
    "SET s2 v3 KEEPTTL GET",
    "SET s3 v PX 100000 GET",
    "SETNX s1 x",
    "SETNX s4 x",
    "SETEX s5 100 v",
    "PSETEX s6 100000 v",
    "GETSET s1 g",
    "GETSET s7 g",
    "GETDEL s7",
    "GETDEL nosuch",
    "GETEX s1 EX 100",
    "GETEX s1 PERSIST",
    "GETEX s1 PERSIST",
    "GETEX s5 PXAT 1",
    "MSET m1 a m2 b m1 c",
    "MSETNX m1 a m3 b",
    "MSETNX m3 a m4 b",
    "APPEND ap x",
    "APPEND ap y",
    "SETRANGE sr 3 abc",
    "SETRANGE sr 0 z",
    "SETRANGE sr 1 ",
    "SETRANGE sr2 0 ",
    "INCR n",
    "DECR n",
    "INCRBY n 10",
    "DECRBY n 3",
    "INCRBYFLOAT n 1.5",
    "INCRBYFLOAT nf 2",
    "INCR s1",
    "GET nosuch",
    "MGET s1 nosuch",
    "STRLEN nosuch",
    // Keys.
    "DEL s1 nosuch m1 m2",
    "UNLINK m3 m4",
    "RENAME s2 r1",
    "RENAME r1 r1",
    "RENAMENX r1 s3",
    "RENAMENX r1 r2",
    "RENAME nosuch x",
    "SET r3 v",
    "RENAME r2 r3",
    "MOVE r3 1",
    "MOVE r3 1",
    "MOVE nosuch 1",
    "COPY s3 c1",
    "COPY s3 c1",
    "COPY s3 c1 REPLACE",
    "COPY s3 c1 DB 2",
    "COPY nosuch c2",
    "EXPIRE s3 100",
    "PEXPIRE s3 200000 GT",
    "EXPIRE s3 10 GT",
    "EXPIREAT s3 4000000000",
    "PEXPIREAT s3 4000000000000 NX",
    "EXPIRE nosuch 10",
    "PERSIST s3",
    "PERSIST s3",
    "PERSIST nosuch",
    "EXPIRE c1 -1",
    "PEXPIREAT s4 1",
    "TTL nosuch",
    "EXISTS nosuch s3",
    "TYPE nosuch",
    "TOUCH s3 nosuch",
    "OBJECT ENCODING nosuch",
    "@dump-restore s3 rs 0",
    "@dump-restore s3 rs 100000 REPLACE",
    "@dump-restore s3 rs 1 REPLACE ABSTTL",
    "DUMP nosuch",
    // Lists.
    "LPUSH l a b",
    "RPUSH l c",
    "LPUSHX nolist a",
    "RPUSHX l d",
    "LINSERT l BEFORE c x",
    "LINSERT l BEFORE nope x",
    "LSET l 0 z",
    "LPOP l",
    "RPOP l 2",
    "LPOP l 0",
    "LRANGE nolist 0 -1",
    "LREM l 0 nope",
    "RPUSH l2 a b a c",
    "LREM l2 0 a",
    "LTRIM l2 0 0",
    "LTRIM l2 5 10",
    "RPUSH l3 a b c",
    "LMOVE l3 l3 LEFT RIGHT",
    "LMOVE l3 l4 RIGHT LEFT",
    "RPOPLPUSH l3 l4",
    "RPOPLPUSH l3 l4",
    "LMOVE nolist l4 LEFT LEFT",
    "LMPOP 2 nolist l4 RIGHT COUNT 5",
    "RPUSH l5 a",
    "BLPOP nolist l5 1",
    "RPUSH l6 a b",
    "BRPOP l6 1",
    "BLMOVE l6 l7 LEFT RIGHT 1",
    "BRPOPLPUSH l7 l6 1",
    "BLMPOP 1 1 l6 LEFT COUNT 3",
    "LPOP l",
    "LPOP l",
    "SET str v",
    "LPUSH str x",
    // Blocking pops served by a later write.
    "@block BLPOP bl1 0",
    "LPUSH bl1 a",
    "@block BRPOP bl2 0",
    "RPUSH bl2 a b",
    "@block BLMOVE bl3 bl4 LEFT RIGHT 0",
    "RPUSH bl3 x",
    "@block BRPOPLPUSH bl5 bl6 0",
    "LPUSH bl5 x y",
    "@block BLMPOP 0 2 bl7 bl8 RIGHT COUNT 2",
    "RPUSH bl8 a b c",
    "@block BZPOPMIN bz1 0",
    "ZADD bz1 1 a",
    "@block BZPOPMAX bz2 0",
    "ZADD bz2 1 a 2 b",
    "@block BZMPOP 0 1 bz3 MIN COUNT 5",
    "ZADD bz3 1 a 2 b",
    // Hashes.
    "HSET h f v",
    "HSET h f v2 g w",
    "HMSET h i x",
    "HSETNX h f x",
    "HSETNX h2 f x",
    "HDEL h nope",
    "HDEL h f g",
    "HDEL h i nope",
    "HINCRBY h3 f 2",
    "HINCRBYFLOAT h3 f 1.5",
    "HINCRBY h3 f 1",
    "HGET nohash f",
    "HGETALL nohash",
    // Sets.
    "SADD set a b c",
    "SADD set a",
    "SREM set nope",
    "SREM set a",
    "SADD set2 b x",
    "SMOVE set set2 b",
    "SMOVE set set3 c",
    "SMOVE set set3 c",
    "SADD sp 1 2 3 4 5 6 7 8 9 10",
    "SPOP sp",
    "SPOP sp 0",
    "SPOP sp 2",
    "SPOP sp 6",
    "SPOP sp 5",
    "SADD sp1 a",
    "SPOP sp1",
    "SADD i1 1 2 3",
    "SADD i2 2 3 4",
    "SINTERSTORE is i1 i2",
    "SINTERSTORE is i1 nosuch",
    "SINTERSTORE is i1 nosuch",
    "SUNIONSTORE us i1 i2",
    "SDIFFSTORE ds i1 i2",
    "SDIFFSTORE ds i1 i1",
    "SUNIONSTORE us nosuch",
    "SINTER nosuch i1",
    "SMEMBERS nosuch",
    "SCARD nosuch",
    // Sorted sets.
    "ZADD z 1 a 2 b 3 c 4 d 5 e",
    "ZADD z 1 a",
    "ZADD z XX 9 nope",
    "ZADD z INCR 1 a",
    "ZINCRBY z 1 b",
    "ZINCRBY z2 1 b",
    "ZADD z NX 1 a",
    "ZADD z GT CH 0 a",
    "ZREM z nope",
    "ZREM z e",
    "ZREMRANGEBYRANK z 0 0",
    "ZREMRANGEBYSCORE z 100 200",
    "ZREMRANGEBYSCORE z 0 3",
    "ZADD zl 0 a 0 b 0 c",
    "ZREMRANGEBYLEX zl [a [b",
    "ZREMRANGEBYLEX zl - +",
    "ZADD zp 1 a 2 b 3 c",
    "ZPOPMIN zp",
    "ZPOPMAX zp 0",
    "ZPOPMAX zp 5",
    "ZADD zp 1 a",
    "ZMPOP 2 nosuch zp MAX",
    "ZADD za 1 a 2 b",
    "ZADD zb 2 b 3 c",
    "ZUNIONSTORE zu 2 za zb",
    "ZINTERSTORE zi 2 za zb",
    "ZINTERSTORE zi 2 za nosuch",
    "ZDIFFSTORE zd 2 za zb",
    "ZRANGESTORE zr za 0 0",
    "ZRANGESTORE zr nosuch 0 -1",
    "ZSCORE nosuch a",
    "ZRANGE nosuch 0 -1",
    // SORT.
    "RPUSH sl 3 1 2",
    "SORT sl STORE sorted",
    "SORT sl LIMIT 5 5 STORE sorted",
    "SORT nosuch STORE sorted2",
    "SET w_1 3",
    "SORT sl BY w_* GET # GET nosuch_*",
    // Transactions.
    "MULTI",
    "SET tx 1",
    "INCR tx",
    "LPUSH tx x",
    "DEL tx",
    "EXEC",
    // Other databases, and whole-database commands (no events in 7.0).
    "SELECT 3",
    "SET d3 v",
    "SWAPDB 3 4",
    "SELECT 4",
    "DEL d3",
    "SET d4 v",
    "FLUSHDB",
    "SELECT 0",
    // Expiry: lazy (on access) and active (by the cron).
    "SET lazy v PX 30",
    "@until-gone lazy",
    "SELECT 9",
    "SET active v PX 30",
    "@until-empty",
    "SELECT 0",
    "SCAN 0 COUNT 1000",
    // Eviction of the only key left.
    "FLUSHALL",
    "SET victim v",
    "CONFIG SET maxmemory-policy allkeys-lru",
    "CONFIG SET maxmemory 1",
    "@until-empty",
    "CONFIG SET maxmemory 0",
];

/// One message a subscriber got: channel and payload.
type Message = (String, String);

/// Runs `script` on `server` with `notify-keyspace-events` set to `flags`
/// (already at start-up when `flags` is `None`) and returns what the
/// subscriber received.
fn run(server: &Server, flags: Option<&str>, script: &[&str]) -> Vec<Message> {
    let mut main = server.client();
    if let Some(flags) = flags {
        assert_eq!(
            main.cmd(&["CONFIG", "SET", "notify-keyspace-events", flags]),
            "+OK\r\n"
        );
    }
    let mut sub = server.client();
    sub.call_raw(&["PSUBSCRIBE", "__keyspace@*__:*", "__keyevent@*__:*"])
        .unwrap();
    sub.read_raw().unwrap();
    sub.call_raw(&["SUBSCRIBE", "marker"]).unwrap();
    let mut blocked: Option<Client> = None;
    for line in script {
        let words: Vec<&str> = line.split(' ').collect();
        match words[0] {
            "@block" => {
                let mut other = server.client();
                other.send(&words[1..]).unwrap();
                main.wait_blocked(1);
                blocked = Some(other);
            }
            "@until-gone" => poll(&mut main, &["EXISTS", words[1]], ":0\r\n"),
            "@until-empty" => poll(&mut main, &["DBSIZE"], ":0\r\n"),
            "@dump-restore" => {
                let payload = main.call_raw(&["DUMP", words[1]]).unwrap();
                let Ok(Some((reply, _))) = reply::parse(&payload) else {
                    panic!("DUMP {}: {}", words[1], reply::escape(&payload));
                };
                let payload = reply.bulk().expect("a payload").to_vec();
                let mut args: Vec<&[u8]> = vec![b"RESTORE", words[2].as_bytes()];
                args.push(words[3].as_bytes());
                args.push(&payload);
                args.extend(words[4..].iter().map(|w| w.as_bytes()));
                main.call_raw(&args).unwrap();
            }
            _ => {
                main.call_raw(&words).unwrap();
                if let Some(mut served) = blocked.take() {
                    served.read_raw().unwrap();
                }
            }
        }
    }
    main.cmd(&["PUBLISH", "marker", "end"]);
    let mut received = Vec::new();
    loop {
        let raw = sub.read_raw().unwrap();
        let parsed = Reply::from_bytes(&raw);
        let Some(items) = parsed.as_ref().ok().and_then(Reply::items) else {
            panic!("not a message: {}", reply::escape(&raw));
        };
        let text = |i: usize| String::from_utf8_lossy(items[i].bulk().unwrap()).into_owned();
        match text(0).as_str() {
            "message" => return received,
            "pmessage" => received.push((text(2), text(3))),
            kind => panic!("unexpected {kind}: {}", reply::escape(&raw)),
        }
    }
}

/// Sends `args` until the reply is `want`.
fn poll(client: &mut Client, args: &[&str], want: &str) {
    let what = format!("{args:?} to answer {want:?}");
    wait_until(DEADLINE, what, || client.cmd(args) == want);
}

/// Runs the script on Redust and, when installed, on Redis, and compares.
/// Returns Redust's messages.
fn compare(start_args: &[&str], flags: Option<&str>, script: &[&str]) -> Vec<Message> {
    let redust = Server::redust(start_args);
    let ours = run(&redust, flags, script);
    if redis_available() {
        let redis = Server::redis(start_args);
        let theirs = run(&redis, flags, script);
        if let Some(i) = (0..ours.len().max(theirs.len())).find(|&i| ours.get(i) != theirs.get(i)) {
            let window = |v: &[Message]| {
                v[i.saturating_sub(4)..(i + 6).min(v.len())]
                    .iter()
                    .map(|(c, m)| format!("  {c} {m}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            panic!(
                "message {i} differs (redust {} messages, redis {}):\nredust:\n{}\nredis:\n{}",
                ours.len(),
                theirs.len(),
                window(&ours),
                window(&theirs)
            );
        }
    }
    ours
}

fn has(messages: &[Message], channel: &str, message: &str) -> bool {
    messages.iter().any(|(c, m)| c == channel && m == message)
}

#[test]
fn every_event_like_redis() {
    let got = compare(&[], Some("KEA"), FULL_SCRIPT);
    // The comparison alone would pass if nothing were published.
    for (channel, message) in [
        ("__keyspace@0__:s2", "set"),
        ("__keyevent@0__:expire", "s2"),
        ("__keyevent@0__:rename_from", "s2"),
        ("__keyevent@1__:move_to", "r3"),
        ("__keyevent@2__:copy_to", "c1"),
        ("__keyevent@0__:lpop", "bl1"),
        ("__keyevent@0__:sortstore", "sorted"),
        ("__keyevent@0__:expired", "lazy"),
        ("__keyevent@9__:expired", "active"),
        ("__keyevent@0__:evicted", "victim"),
    ] {
        assert!(has(&got, channel, message), "no {channel} {message}");
    }
    assert!(
        !got.iter().any(|(c, _)| c.ends_with(":new")),
        "n is not in A"
    );
}

#[test]
fn new_keys_and_misses_like_redis() {
    let got = compare(&[], Some("EAnm"), FULL_SCRIPT);
    assert!(has(&got, "__keyevent@0__:new", "s1"));
    assert!(has(&got, "__keyevent@0__:keymiss", "nosuch"));
    assert!(got.iter().all(|(c, _)| c.starts_with("__keyevent@")));
}

#[test]
fn narrower_classes_like_redis() {
    // Set at start-up: only expired events, only on the keyevent channel.
    let got = compare(&["--notify-keyspace-events", "Ex"], None, FULL_SCRIPT);
    assert!(!got.is_empty());
    assert!(got
        .iter()
        .all(|(c, _)| c.starts_with("__keyevent@") && c.ends_with(":expired")));
    // List events on the keyspace channel only.
    let got = compare(&[], Some("Kl"), FULL_SCRIPT);
    assert!(has(&got, "__keyspace@0__:l", "lpush"));
    assert!(got.iter().all(|(c, _)| c.starts_with("__keyspace@")));
    assert!(!got.iter().any(|(_, m)| m == "del"));
}

#[test]
fn classes_without_a_channel_publish_nothing() {
    let got = compare(&[], Some("A"), &["SET k v", "DEL k"]);
    assert_eq!(got, Vec::<Message>::new());
}

#[test]
fn flags_read_back_canonical() {
    let server = Server::redust(&["--notify-keyspace-events", "KEA"]);
    let mut c = server.client();
    let get = |c: &mut Client| c.cmd(&["CONFIG", "GET", "notify-keyspace-events"]);
    assert!(get(&mut c).ends_with("$3\r\nAKE\r\n"));
    c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "lxEg"]);
    assert!(get(&mut c).ends_with("$4\r\nglxE\r\n"));
    assert!(c
        .cmd(&["CONFIG", "SET", "notify-keyspace-events", "KQ"])
        .starts_with("-ERR"));
}
