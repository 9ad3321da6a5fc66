//! Data to replicate: a preloaded dataset over several databases and a
//! deterministic mixed write load (strings, counters, floats, expiries,
//! deletes, transactions, and the collection types every node supports).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use super::dataset::pipeline;
use super::node::Node;
use crate::support::reply;
use crate::support::Client;
use testkit::eventually;

/// Collection types every node of a test supports; the others are left out
/// of preloads and loads (the string parts always run).
#[derive(Clone, Copy, Debug, Default)]
pub struct Families {
    pub lists: bool,
    pub hashes: bool,
    pub sets: bool,
    pub zsets: bool,
}

impl Families {
    pub fn common(nodes: &[&Node]) -> Families {
        let all = |commands: &[&str]| {
            commands
                .iter()
                .all(|c| nodes.iter().all(|node| supports(node, c)))
        };
        Families {
            lists: all(&["RPUSH", "LPOP", "LRANGE"]),
            hashes: all(&["HSET", "HDEL", "HGETALL"]),
            sets: all(&["SADD", "SREM", "SMEMBERS"]),
            zsets: all(&["ZADD", "ZINCRBY", "ZRANGE"]),
        }
    }
}

/// Whether `node` knows `command`: called without its arguments, a known
/// command fails the arity check and an unknown one says so. Nothing is
/// written, so this also works on read-only replicas.
pub fn supports(node: &Node, command: &str) -> bool {
    !node.cmd(&[command]).starts_with("-ERR unknown command")
}

type Command = Vec<String>;

fn command(args: &[&str]) -> Command {
    args.iter().map(|a| a.to_string()).collect()
}

/// Runs `commands` pipelined and panics on any error reply.
pub fn run(client: &mut Client, commands: &[Command]) {
    for batch in commands.chunks(1000) {
        let replies = pipeline(
            client,
            batch
                .iter()
                .map(|c| c.iter().map(|a| a.as_bytes()).collect()),
        );
        for (c, r) in batch.iter().zip(replies) {
            assert!(!r.starts_with(b"-"), "{c:?} -> {}", reply::escape(&r));
        }
    }
}

/// Preloads `count` keys over databases 0, 1, 5 and 15: mostly strings,
/// one key in 20 with a 10-minute TTL, and collections when supported.
pub fn preload(node: &Node, count: usize, families: Families) {
    let mut by_db: Vec<Vec<Command>> = vec![Vec::new(); 16];
    for i in 0..count {
        let db = [0, 0, 0, 1, 5, 15][i % 6];
        let n = i.to_string();
        let value = format!("value-{i}-{}", "x".repeat(i % 40));
        let cmd = match i % 10 {
            1 if families.lists => command(&["RPUSH", &format!("list:{i}"), "a", &n, "c"]),
            2 if families.hashes => {
                command(&["HSET", &format!("hash:{i}"), "f1", &n, "f2", &value])
            }
            3 if families.sets => command(&["SADD", &format!("set:{i}"), "a", &n, "z"]),
            4 if families.zsets => command(&[
                "ZADD",
                &format!("zset:{i}"),
                "1.5",
                "a",
                &n,
                "b",
                "-2.25",
                "c",
            ]),
            _ if i.is_multiple_of(20) => {
                command(&["SET", &format!("ttl:{i}"), &value, "EX", "600"])
            }
            _ => command(&["SET", &format!("key:{i}"), &value]),
        };
        by_db[db].push(cmd);
    }
    let mut client = node.client();
    for (db, commands) in by_db.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
        run(&mut client, &[command(&["SELECT", &db.to_string()])]);
        run(&mut client, commands);
    }
}

/// The commands of write round `n`: every round touches a few keys in one
/// of three databases; some rounds add expiries, deletes and transactions.
pub fn round(n: u64, families: Families) -> Vec<Command> {
    let key = |prefix: &str, modulo: u64| format!("{prefix}:{}", n % modulo);
    let s = n.to_string();
    let mut out = vec![
        command(&["SELECT", &(n % 3 * 2).to_string()]),
        command(&["SET", &key("w", 200), &format!("v{n}")]),
        command(&["INCR", "counter"]),
        command(&["APPEND", "log", &(n % 10).to_string()]),
        command(&["INCRBYFLOAT", "float", "0.5"]),
    ];
    if n.is_multiple_of(4) {
        out.push(command(&["EXPIRE", &key("w", 200), "600"]));
    }
    if n.is_multiple_of(5) {
        out.push(command(&["DEL", &format!("w:{}", (n + 100) % 200)]));
    }
    if n.is_multiple_of(7) {
        out.push(command(&["MULTI"]));
        out.push(command(&["SET", "tx:a", &s]));
        out.push(command(&["INCR", "tx:b"]));
        out.push(command(&["EXEC"]));
    }
    if families.lists {
        out.push(command(&["RPUSH", &key("q", 20), &s]));
        if n.is_multiple_of(3) {
            out.push(command(&["LPOP", &key("q", 20)]));
        }
    }
    if families.hashes {
        out.push(command(&[
            "HSET",
            &key("h", 30),
            &format!("f{}", n % 7),
            &s,
        ]));
    }
    if families.sets {
        out.push(command(&["SADD", &key("s", 30), &format!("m{}", n % 17)]));
        if n.is_multiple_of(9) {
            out.push(command(&[
                "SREM",
                &key("s", 30),
                &format!("m{}", (n + 3) % 17),
            ]));
        }
    }
    if families.zsets {
        let score = format!("{}", (n % 100) as f64 / 4.0);
        out.push(command(&[
            "ZADD",
            &key("z", 30),
            &score,
            &format!("m{}", n % 13),
        ]));
        out.push(command(&[
            "ZINCRBY",
            &key("z", 30),
            "0.25",
            &format!("m{}", n % 5),
        ]));
    }
    out
}

/// Runs rounds `range` on a fresh connection.
pub fn rounds(node: &Node, range: std::ops::Range<u64>, families: Families) {
    let mut client = node.client();
    let commands: Vec<Command> = range.flat_map(|n| round(n, families)).collect();
    run(&mut client, &commands);
}

/// A write load running on its own thread and connection until stopped.
pub struct Load {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl Load {
    pub fn start(node: &Node, families: Families) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let mut client = node.client();
        let thread = {
            let (stop, done) = (Arc::clone(&stop), Arc::clone(&done));
            thread::spawn(move || {
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    run(&mut client, &round(n, families));
                    done.store(n + 1, Ordering::Relaxed);
                }
            })
        };
        Load {
            stop,
            done,
            thread: Some(thread),
        }
    }

    pub fn rounds_done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Waits until `more` rounds beyond the current count are done.
    pub fn advance(&self, more: u64) {
        let target = self.rounds_done() + more;
        eventually(format!("write load to reach round {target}"), || {
            if self.thread.as_ref().is_some_and(JoinHandle::is_finished) {
                panic!("the write load stopped early (see its panic above)");
            }
            let done = self.rounds_done();
            (done >= target)
                .then_some(())
                .ok_or(format!("round {done}"))
        });
    }

    /// Stops the load and returns how many rounds ran; a failure inside the
    /// load fails the test here.
    pub fn stop(mut self) -> u64 {
        self.finish();
        self.rounds_done()
    }

    fn finish(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            if let Err(panic) = thread.join() {
                if !thread::panicking() {
                    std::panic::resume_unwind(panic);
                }
            }
        }
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.finish();
    }
}
