//! Under `ulimit -v` of 2 GB, every command of the command table (and every
//! subcommand), sent with the fuzzer's extreme arguments against keys of
//! every type, leaves the server up and serving: after each command a fresh
//! connection must get PONG. An allocation the limit refuses aborts the
//! process, so this also shows that no argument makes Redust try to
//! allocate what Redis would refuse (a count used as a capacity, an offset
//! past 512 MB, a range end taken literally).
//!
//! `REDUST_ULIMIT_SEED=<n>` replays one seed of the random argument lists.

use std::collections::BTreeMap;
use std::io;
use std::time::Duration;

use testkit::fuzz::{self, Arg, Rng};
use testkit::{Client, Kind, Reply, Server};

/// The address-space limit, in KiB as `ulimit -v` takes it.
const ULIMIT_KB: u64 = 2 * 1024 * 1024;
/// Random argument lists per command.
const ATTEMPTS: usize = 8;
/// How long a command's reply is waited for before moving on (blocking
/// commands with a 0 timeout never answer).
const REPLY_WAIT: Duration = Duration::from_millis(300);

/// Never sent: they stop the server or the test's own view of it.
const SKIPPED: &[&str] = &["shutdown", "debug", "monitor", "quit"];

/// Sent last: a replica's full sync snapshots the keyspace later, and a
/// debug build compressing a 512 MB string from the targeted lines takes
/// longer than the PING waits.
const LAST: &[&str] = &["sync", "psync"];

/// Random counts for these ask for that many elements in the reply
/// (SRANDMEMBER k -2147483649 makes Redis 7.0 itself reply with two billion
/// elements): only moderate negative counts are sent.
const REPLY_SIZED: &[&str] = &["srandmember", "hrandfield", "zrandmember"];

/// Extremes aimed at specific commands: the allocation-sized arguments.
const TARGETED: &[&[&str]] = &[
    &["SETRANGE", "s1", "536870911", "x"],
    &["SETRANGE", "s1", "536870912", "x"],
    &["SETRANGE", "s1", "9223372036854775807", "x"],
    &["SETRANGE", "missing", "536870911", ""],
    &[
        "GETRANGE",
        "s1",
        "-9223372036854775808",
        "9223372036854775807",
    ],
    &[
        "GETRANGE",
        "s1",
        "9223372036854775807",
        "-9223372036854775808",
    ],
    &["SUBSTR", "s1", "0", "9223372036854775807"],
    &["APPEND", "s1", "x"],
    &[
        "LRANGE",
        "l1",
        "-9223372036854775808",
        "9223372036854775807",
    ],
    &["LTRIM", "l1", "-9223372036854775808", "9223372036854775807"],
    &["LINDEX", "l1", "-9223372036854775808"],
    &["LSET", "l1", "9223372036854775807", "x"],
    &["LPOS", "l1", "a", "COUNT", "0", "MAXLEN", "0"],
    &["LPOS", "l1", "a", "RANK", "-9223372036854775808"],
    &[
        "LPOS",
        "l1",
        "a",
        "RANK",
        "-9223372036854775807",
        "COUNT",
        "9223372036854775807",
    ],
    &["LPOP", "l1", "9223372036854775807"],
    &["RPOP", "l1", "2147483648"],
    &["LMPOP", "1", "l1", "LEFT", "COUNT", "9223372036854775807"],
    &["LMPOP", "2147483647", "l1", "LEFT"],
    &["BLMPOP", "0.01", "9223372036854775807", "l1", "LEFT"],
    &["ZMPOP", "1", "z1", "MIN", "COUNT", "9223372036854775807"],
    &["ZPOPMIN", "z1", "9223372036854775807"],
    &["SPOP", "t1", "9223372036854775807"],
    &["SRANDMEMBER", "t1", "9223372036854775807"],
    &["HRANDFIELD", "h1", "9223372036854775807", "WITHVALUES"],
    &["ZRANDMEMBER", "z1", "9223372036854775807", "WITHSCORES"],
    &["SINTERCARD", "1", "t1", "LIMIT", "9223372036854775807"],
    &["ZINTERCARD", "1", "z1", "LIMIT", "9223372036854775807"],
    &[
        "ZRANGE",
        "z1",
        "-9223372036854775808",
        "9223372036854775807",
    ],
    &[
        "ZRANGE",
        "z1",
        "-inf",
        "+inf",
        "BYSCORE",
        "LIMIT",
        "0",
        "9223372036854775807",
    ],
    &[
        "ZRANGE",
        "z1",
        "-inf",
        "+inf",
        "BYSCORE",
        "LIMIT",
        "9223372036854775807",
        "-1",
    ],
    &[
        "ZRANGE",
        "z1",
        "-",
        "+",
        "BYLEX",
        "REV",
        "LIMIT",
        "-9223372036854775808",
        "9223372036854775807",
    ],
    &["ZRANGESTORE", "z2", "z1", "0", "9223372036854775807"],
    &[
        "ZREMRANGEBYRANK",
        "z1",
        "-9223372036854775808",
        "9223372036854775807",
    ],
    &["ZUNIONSTORE", "z2", "2147483647", "z1"],
    &["ZUNIONSTORE", "z2", "1", "z1", "WEIGHTS", "1e308"],
    &["ZINCRBY", "z1", "1e308", "a"],
    &["ZADD", "z1", "INCR", "1e308", "a"],
    &["INCRBYFLOAT", "n1", "1e308"],
    &["INCRBY", "n1", "9223372036854775807"],
    &["HINCRBYFLOAT", "h1", "f", "1e308"],
    &["SORT", "l1", "LIMIT", "0", "9223372036854775807"],
    &[
        "SORT",
        "l1",
        "LIMIT",
        "9223372036854775807",
        "9223372036854775807",
    ],
    &[
        "SORT",
        "l1",
        "LIMIT",
        "-9223372036854775808",
        "-1",
        "GET",
        "#",
        "GET",
        "s*",
    ],
    &["SCAN", "0", "COUNT", "9223372036854775807"],
    &["SCAN", "18446744073709551615", "COUNT", "2147483648"],
    &["HSCAN", "h1", "0", "COUNT", "9223372036854775807"],
    &["SSCAN", "t1", "0", "COUNT", "2147483647"],
    &["ZSCAN", "z1", "0", "COUNT", "4294967296"],
    &["EXPIRE", "s1", "9223372036854775807"],
    &["PEXPIRE", "s1", "9223372036854775807"],
    &["EXPIREAT", "s1", "-9223372036854775808"],
    &["SET", "s1", "v", "EX", "9223372036854775807"],
    &["SET", "s1", "v", "PXAT", "9223372036854775807"],
    &["GETEX", "s1", "EXAT", "9223372036854775807"],
    &["RESTORE", "r1", "9223372036854775807", "x"],
    &[
        "RESTORE",
        "r1",
        "0",
        "\x00\x7f\x7f\x7f\x7f\x0a\x00",
        "IDLETIME",
        "9223372036854775807",
    ],
    &["OBJECT", "FREQ", "s1"],
    &["SELECT", "2147483648"],
    &["SWAPDB", "0", "9223372036854775807"],
    &["MOVE", "s1", "-2147483649"],
    &["COPY", "s1", "s9", "DB", "2147483647"],
    &[
        "LCS",
        "s1",
        "s1",
        "MINMATCHLEN",
        "9223372036854775807",
        "IDX",
    ],
    &["BLPOP", "l9", "9223372036854775"],
    &["BLPOP", "l9", "9223372036854775807"],
    &["BZPOPMIN", "z9", "9223372036854775.5"],
    &["BLMOVE", "l9", "l8", "LEFT", "LEFT", "1e300"],
    &["CLIENT", "PAUSE", "9223372036854775807", "WRITE"],
    &["CLIENT", "NO-EVICT", "on"],
    &["WAIT", "2147483648", "9223372036854775807"],
    &["MEMORY", "USAGE", "l1", "SAMPLES", "9223372036854775807"],
    &["CONFIG", "SET", "maxmemory-samples", "2147483647"],
    &["REPLICAOF", "127.0.0.1", "1"],
    &["SLAVEOF", "127.0.0.1", "65536"],
    &["FLUSHALL", "ASYNC"],
];

/// One row of COMMAND: name (`container|sub` for subcommands), arity and
/// key positions.
#[derive(Debug, Clone)]
struct Row {
    name: String,
    arity: i64,
    first: i64,
    last: i64,
    step: i64,
}

fn rows(reply: &Reply, parent: Option<&str>, out: &mut Vec<Row>) {
    for entry in reply.items().unwrap_or_default() {
        let items = entry.expect_items();
        let name = items[0].expect_text().to_lowercase();
        let int = |i: usize| items.get(i).and_then(Reply::integer).unwrap_or(0);
        let row = Row {
            name: match parent {
                Some(p) if !name.contains('|') => format!("{p}|{name}"),
                _ => name.clone(),
            },
            arity: int(1),
            first: int(3),
            last: int(4),
            step: int(5),
        };
        if let Some(subs) = items.get(9) {
            rows(subs, Some(&name), out);
        }
        out.push(row);
    }
}

/// Keys of every type (and a few bytes long), for the key positions.
const KEYS: &[&str] = &["s1", "n1", "l1", "h1", "t1", "t2", "z1", "missing"];

fn populate(c: &mut Client) -> io::Result<()> {
    for cmd in [
        &["FLUSHALL"][..],
        &["SET", "s1", "abc"],
        &["SET", "n1", "10"],
        &["RPUSH", "l1", "a", "b", "c", "1", "2"],
        &["HSET", "h1", "f", "v", "g", "1"],
        &["SADD", "t1", "a", "b", "c"],
        &["SADD", "t2", "1", "2", "3"],
        &["ZADD", "z1", "1", "a", "2", "b", "3", "c"],
    ] {
        c.call(cmd)?;
    }
    Ok(())
}

/// An argument list for `row`: its name, keys at its key positions, and the
/// fuzzer's extremes elsewhere.
fn random_args(row: &Row, rng: &mut Rng) -> Vec<Vec<u8>> {
    let words: Vec<&str> = row.name.split('|').collect();
    let min = row.arity.unsigned_abs() as usize;
    let len = if row.arity < 0 {
        min + rng.below(5)
    } else {
        min
    };
    let mut args: Vec<Vec<u8>> = words.iter().map(|w| w.arg()).collect();
    let pools: [&[&str]; 7] = [
        fuzz::EDGE_INTS,
        fuzz::ERANGE_FLOATS,
        fuzz::EXTREME_INTS,
        fuzz::EDGE_FLOATS,
        fuzz::SCORE_BOUNDS,
        fuzz::LEX_BOUNDS,
        fuzz::JUNK,
    ];
    for i in args.len()..len.max(args.len()) {
        let is_key = row.first > 0
            && i as i64 >= row.first
            && (row.last < 0 || i as i64 <= row.last)
            && (i as i64 - row.first) % row.step.max(1) == 0;
        let arg = if is_key {
            rng.pick(KEYS).arg()
        } else if rng.chance(10) {
            vec![b'x'; 1 + rng.below(100_000)]
        } else {
            let pool = *rng.pick(&pools);
            rng.pick(pool).arg()
        };
        args.push(arg);
    }
    let command = row.name.as_str();
    if REPLY_SIZED.contains(&command) {
        for arg in args.iter_mut().skip(2) {
            let huge_negative = std::str::from_utf8(arg)
                .ok()
                .and_then(|a| a.parse::<i64>().ok())
                .is_some_and(|n| n < -100_000);
            if huge_negative {
                *arg = "-1000".arg();
            }
        }
    }
    if command == "client|pause" {
        // Pausing every client would hang the PING that checks the server.
        args.truncate(3);
        args.push("WRITE".arg());
    }
    args
}

/// Sends one command on a fresh connection, waiting a little for its
/// reply (a blocked command never answers).
fn send(server: &Server, args: &[Vec<u8>]) -> String {
    let mut c = match Client::connect_timeout(server.port(), REPLY_WAIT) {
        Ok(c) => c,
        Err(e) => return format!("connect: {e}"),
    };
    match c.call(args) {
        Ok(reply) => {
            let shown = testkit::escape(&reply.encode());
            shown.chars().take(80).collect()
        }
        Err(e) => format!("no reply: {e}"),
    }
}

/// The server answers PING on a new connection, and is ready for the next
/// command (unpaused, a master, keys in place).
fn still_serving(server: &mut Server) -> Result<(), String> {
    let mut c = Client::connect_timeout(server.port(), Duration::from_secs(30))
        .map_err(|e| format!("connect: {e}"))?;
    match c.call(&["PING"]) {
        Ok(Reply::Simple(s)) if s == "PONG" => {}
        other => return Err(format!("PING gave {other:?}")),
    }
    for cmd in [&["CLIENT", "UNPAUSE"][..], &["REPLICAOF", "NO", "ONE"]] {
        c.call(cmd).map_err(|e| format!("{cmd:?}: {e}"))?;
    }
    c.call(&["CONFIG", "SET", "maxmemory", "0"])
        .map_err(|e| format!("CONFIG SET: {e}"))?;
    populate(&mut c).map_err(|e| format!("populate: {e}"))?;
    server.check_alive().map_err(|e| e.to_string())
}

#[test]
fn every_command_with_extreme_arguments_leaves_the_server_serving() {
    let script = format!("ulimit -v {ULIMIT_KB} && exec \"$0\" \"$@\"");
    let mut server = Server::builder(Kind::Redust)
        .launcher(["sh", "-c", &script])
        .start();
    let limit = std::fs::read_to_string(format!("/proc/{}/limits", server.pid())).unwrap();
    assert!(
        limit
            .lines()
            .any(|l| l.starts_with("Max address space")
                && l.contains(&(ULIMIT_KB * 1024).to_string())),
        "the limit did not reach the server:\n{limit}"
    );
    let mut control = server.client();
    populate(&mut control).unwrap();
    let mut table = Vec::new();
    rows(&control.call(&["COMMAND"]).unwrap(), None, &mut table);
    let table: BTreeMap<String, Row> = table.into_iter().map(|r| (r.name.clone(), r)).collect();
    assert!(table.len() > 150, "COMMAND listed only {}", table.len());

    let seed = std::env::var("REDUST_ULIMIT_SEED")
        .ok()
        .map_or(0x5eed, |s| s.parse().expect("a number"));
    let mut rng = Rng::new(seed);
    let mut sent = 0;
    let mut check = |server: &mut Server, args: &[Vec<u8>]| {
        let reply = send(server, args);
        sent += 1;
        if let Err(e) = still_serving(server) {
            let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid()))
                .unwrap_or_default();
            let status: Vec<&str> = status
                .lines()
                .filter(|l| {
                    ["State", "VmSize", "VmRSS", "Threads"]
                        .iter()
                        .any(|f| l.starts_with(f))
                })
                .collect();
            panic!(
                "after `{}` (reply {reply}), seed {seed}: {e}\n{}\n{}",
                fuzz::show(args),
                status.join("\n"),
                server.log()
            );
        }
    };
    let rows: Vec<&Row> = table
        .values()
        .filter(|row| {
            let container = table
                .keys()
                .any(|k| k.starts_with(&format!("{}|", row.name)));
            !container && !SKIPPED.contains(&row.name.split('|').next().unwrap())
        })
        .collect();
    let (last, first): (Vec<&Row>, Vec<&Row>) = rows
        .into_iter()
        .partition(|row| LAST.contains(&row.name.as_str()));
    for row in &first {
        for _ in 0..ATTEMPTS {
            let args = random_args(row, &mut rng);
            check(&mut server, &args);
        }
    }
    for line in TARGETED {
        let args: Vec<Vec<u8>> = line.iter().map(|a| a.arg()).collect();
        check(&mut server, &args);
    }
    for row in &last {
        for _ in 0..ATTEMPTS {
            let args = random_args(row, &mut rng);
            check(&mut server, &args);
        }
    }
    let rss = fuzz::rss_bytes(server.pid()).unwrap_or(0);
    eprintln!(
        "ulimit: {sent} commands over {} table rows; Redust RSS {} MB",
        table.len(),
        rss >> 20
    );
}
