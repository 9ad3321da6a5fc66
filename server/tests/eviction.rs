//! maxmemory and eviction against the real server: each policy evicts the
//! keys it should, noeviction answers -OOM, INFO counts evictions, and a
//! replica receives the evictions as DELs.
//!
//! Each test starts the server with `--maxmemory` and a policy, loads its
//! keys, then lowers `maxmemory` with CONFIG SET to a little above what is
//! used, so the figures do not depend on the server's baseline memory.

mod support;
#[path = "replication/tempdir.rs"]
mod tempdir;

use std::collections::HashSet;
use std::thread;
use std::time::{Duration, Instant};

use support::{Client, Server};
use tempdir::TempDir;

const OOM: &str = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
/// Each value is 1000 bytes: with its key about 1.1 KB of memory.
const VALUE_LEN: usize = 1000;

fn start(policy: &str) -> Server {
    Server::redust(&["--maxmemory", "1gb", "--maxmemory-policy", policy])
}

fn info_field(c: &mut Client, name: &str) -> u64 {
    let info = c.cmd(&["INFO", "everything"]);
    let prefix = format!("{name}:");
    info.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name} in INFO"))
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number"))
}

/// Sends the commands pipelined and returns the replies in order.
fn pipeline(c: &mut Client, commands: &[Vec<Vec<u8>>]) -> Vec<String> {
    let mut replies = Vec::new();
    // In batches, so query buffers stay small next to the data.
    for batch in commands.chunks(50) {
        for args in batch {
            c.send(args).unwrap();
        }
        for _ in batch {
            replies.push(String::from_utf8_lossy(&c.read_reply().unwrap()).into_owned());
        }
    }
    replies
}

fn set(key: &str, extra: &[&str]) -> Vec<Vec<u8>> {
    let mut args = vec![
        b"SET".to_vec(),
        key.as_bytes().to_vec(),
        vec![b'v'; VALUE_LEN],
    ];
    args.extend(extra.iter().map(|a| a.as_bytes().to_vec()));
    args
}

/// Writes `n` keys `prefix:0..n` and checks every write succeeded.
fn fill(c: &mut Client, prefix: &str, n: usize, extra: &[&str]) {
    let commands: Vec<_> = (0..n)
        .map(|i| set(&format!("{prefix}:{i}"), extra))
        .collect();
    for reply in pipeline(c, &commands) {
        assert_eq!(reply, "+OK\r\n");
    }
}

/// The keys of `prefix:0..n` still present.
fn present(c: &mut Client, prefix: &str, n: usize) -> HashSet<usize> {
    let commands: Vec<_> = (0..n)
        .map(|i| vec![b"EXISTS".to_vec(), format!("{prefix}:{i}").into_bytes()])
        .collect();
    pipeline(c, &commands)
        .iter()
        .enumerate()
        .filter(|(_, r)| *r == ":1\r\n")
        .map(|(i, _)| i)
        .collect()
}

/// Lowers maxmemory to `headroom` bytes above what is used now.
fn limit_to_used_plus(c: &mut Client, headroom: i64) -> u64 {
    let used = info_field(c, "used_memory");
    let limit = (used as i64 + headroom) as u64;
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory", &limit.to_string()]),
        "+OK\r\n"
    );
    limit
}

/// Polls `probe` until it returns `Some`, for at most 20 s.
fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn noeviction_refuses_denyoom_commands() {
    let server = start("noeviction");
    let mut c = server.client();
    fill(&mut c, "k", 100, &[]);
    limit_to_used_plus(&mut c, 50_000);
    let commands: Vec<_> = (0..200).map(|i| set(&format!("new:{i}"), &[])).collect();
    let replies = pipeline(&mut c, &commands);
    let written = replies.iter().filter(|r| *r == "+OK\r\n").count();
    assert!(
        replies.iter().all(|r| r == "+OK\r\n" || r == OOM),
        "{replies:?}"
    );
    // Up to about 45 fit in the headroom (less where query buffers count).
    assert!(written < 100, "{written} writes fit");
    assert_eq!(c.cmd(&["SET", "more", &"x".repeat(2000)]), OOM);
    // Reads and deletes still run; deleting makes room again.
    assert!(c.cmd(&["GET", "k:0"]).starts_with("$1000\r\n"));
    assert_eq!(c.cmd(&["APPEND", "k:0", "x"]), OOM);
    let doomed: Vec<String> = (1..=30).map(|i| format!("k:{i}")).collect();
    let mut del = vec!["DEL"];
    del.extend(doomed.iter().map(String::as_str));
    assert_eq!(c.cmd(&del), ":30\r\n");
    assert_eq!(c.cmd(&["SET", "small", "1"]), "+OK\r\n");
    assert_eq!(info_field(&mut c, "evicted_keys"), 0);
    assert_eq!(present(&mut c, "k", 100).len(), 70);
    assert_eq!(present(&mut c, "new", 200).len(), written);
}

#[test]
fn allkeys_lru_evicts_the_least_recently_used() {
    let server = start("allkeys-lru");
    let mut c = server.client();
    // "old" keys were last used an hour ago, "hot" ones now.
    fill(&mut c, "tmp", 1, &[]);
    let dump = c.call(&["DUMP", "tmp:0"]).unwrap();
    let payload = bulk(&dump);
    let restores: Vec<_> = (0..300)
        .map(|i| {
            let key = format!("old:{i}").into_bytes();
            let args: [&[u8]; 6] = [b"RESTORE", &key, b"0", payload, b"IDLETIME", b"3600"];
            args.iter().map(|a| a.to_vec()).collect()
        })
        .collect();
    assert!(pipeline(&mut c, &restores).iter().all(|r| r == "+OK\r\n"));
    assert!(c.cmd(&["OBJECT", "IDLETIME", "old:7"]).starts_with(":36"));
    limit_to_used_plus(&mut c, 150_000);
    // About 180 KB written past the headroom: some 160 keys must go, and
    // the idle ones are the candidates.
    fill(&mut c, "new", 300, &[]);
    // No more evictions while counting.
    c.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
    let old = present(&mut c, "old", 300).len();
    let new = present(&mut c, "new", 300).len();
    let tmp = present(&mut c, "tmp", 1).len();
    let evicted = info_field(&mut c, "evicted_keys") as usize;
    assert_eq!((300 - old) + (300 - new) + (1 - tmp), evicted);
    // Buffers make the exact amount vary; the choice of keys must not.
    assert!(evicted >= 20, "evicted {evicted}");
    assert!(
        300 - new <= evicted / 10,
        "{} of {evicted} evicted keys were recently written",
        300 - new
    );
}

/// The payload of a bulk reply.
fn bulk(reply: &[u8]) -> &[u8] {
    let start = reply.iter().position(|&b| b == b'\n').unwrap() + 1;
    &reply[start..reply.len() - 2]
}

#[test]
fn allkeys_lfu_evicts_the_least_frequently_used() {
    let server = start("allkeys-lfu");
    let mut c = server.client();
    fill(&mut c, "hot", 100, &[]);
    let reads: Vec<_> = (0..20)
        .flat_map(|_| (0..100).map(|i| vec![b"GET".to_vec(), format!("hot:{i}").into_bytes()]))
        .collect();
    pipeline(&mut c, &reads);
    let freq = c.cmd(&["OBJECT", "FREQ", "hot:3"]);
    assert!(freq != ":5\r\n" && freq.starts_with(':'), "{freq}");
    fill(&mut c, "cold", 200, &[]);
    limit_to_used_plus(&mut c, 100_000);
    fill(&mut c, "new", 200, &[]);
    let hot = present(&mut c, "hot", 100).len();
    assert!(info_field(&mut c, "evicted_keys") >= 20);
    assert!(hot >= 95, "only {hot} of 100 frequently used keys survived");
}

/// Volatile policies take only keys with a TTL; once none is left, writes
/// get -OOM.
fn volatile_only(policy: &str) {
    let server = start(policy);
    let mut c = server.client();
    fill(&mut c, "persistent", 200, &[]);
    fill(&mut c, "volatile", 200, &["EX", "10000"]);
    limit_to_used_plus(&mut c, -50_000);
    let volatile = eventually("evictions", || {
        let n = present(&mut c, "volatile", 200).len();
        (n < 200).then_some(n)
    });
    assert!(volatile > 0, "{policy}: no volatile keys left");
    assert_eq!(present(&mut c, "persistent", 200).len(), 200, "{policy}");
    // Room for only persistent keys: the volatile ones all go, then OOM.
    let commands: Vec<_> = (0..400).map(|i| set(&format!("p2:{i}"), &[])).collect();
    let replies = pipeline(&mut c, &commands);
    assert!(replies.iter().any(|r| r == OOM), "{policy}: never OOM");
    assert_eq!(present(&mut c, "volatile", 200).len(), 0, "{policy}");
    assert_eq!(present(&mut c, "persistent", 200).len(), 200, "{policy}");
}

#[test]
fn volatile_lru_only_evicts_keys_with_ttl() {
    volatile_only("volatile-lru");
}

#[test]
fn volatile_lfu_only_evicts_keys_with_ttl() {
    volatile_only("volatile-lfu");
}

#[test]
fn volatile_random_only_evicts_keys_with_ttl() {
    volatile_only("volatile-random");
}

#[test]
fn volatile_ttl_evicts_the_soonest_to_expire() {
    let server = start("volatile-ttl");
    let mut c = server.client();
    // Key i expires after 10000 + 10 * i seconds.
    let commands: Vec<_> = (0..300)
        .map(|i| set(&format!("t:{i}"), &["EX", &(10_000 + 10 * i).to_string()]))
        .collect();
    pipeline(&mut c, &commands);
    limit_to_used_plus(&mut c, -150_000);
    let left = eventually("evictions", || {
        let left = present(&mut c, "t", 300);
        (left.len() < 300).then_some(left)
    });
    let gone: Vec<usize> = (0..300).filter(|i| !left.contains(i)).collect();
    let mean = |v: &mut dyn Iterator<Item = usize>| {
        let v: Vec<usize> = v.collect();
        v.iter().sum::<usize>() as f64 / v.len() as f64
    };
    let (mean_gone, mean_left) = (
        mean(&mut gone.iter().copied()),
        mean(&mut left.iter().copied()),
    );
    assert!(
        mean_gone + 50.0 < mean_left,
        "evicted keys' TTLs should be the shortest: {mean_gone} vs {mean_left}"
    );
}

#[test]
fn allkeys_random_evicts_any_key() {
    let server = start("allkeys-random");
    let mut c = server.client();
    fill(&mut c, "persistent", 200, &[]);
    fill(&mut c, "volatile", 200, &["EX", "10000"]);
    limit_to_used_plus(&mut c, -200_000);
    eventually("evictions", || {
        (info_field(&mut c, "evicted_keys") > 100).then_some(())
    });
    let persistent = present(&mut c, "persistent", 200).len();
    let volatile = present(&mut c, "volatile", 200).len();
    assert!(
        persistent < 200 && volatile < 200,
        "{persistent} {volatile}"
    );
    // Nothing is ever refused while there is a key to evict.
    fill(&mut c, "new", 300, &[]);
}

#[test]
fn evictions_reach_replicas_as_dels() {
    let master = start("allkeys-random");
    // The replica stores the synced dataset in its dir: not in the tests'
    // working directory, where every later server would load it.
    let dir = TempDir::new("evicting-master");
    let replica = Server::redust(&[
        "--replicaof",
        "127.0.0.1",
        &master.port().to_string(),
        "--dir",
        dir.path().to_str().unwrap(),
    ]);
    let mut m = master.client();
    let mut r = replica.client();
    eventually("replica link up", || {
        r.cmd(&["INFO", "replication"])
            .contains("master_link_status:up")
            .then_some(())
    });
    fill(&mut m, "k", 300, &[]);
    limit_to_used_plus(&mut m, -100_000);
    eventually("evictions", || {
        (info_field(&mut m, "evicted_keys") > 0).then_some(())
    });
    eventually("the replica to apply the DELs", || {
        let master_keys = present(&mut m, "k", 300);
        (master_keys.len() < 300 && present(&mut r, "k", 300) == master_keys).then_some(())
    });
    // The replica ignores maxmemory itself (replica-ignore-maxmemory yes).
    assert_eq!(info_field(&mut r, "evicted_keys"), 0);
}

#[test]
fn transactions_under_oom() {
    let server = start("noeviction");
    let mut c = server.client();
    let mut other = server.client();
    fill(&mut c, "k", 50, &[]);
    // Queued while there is room.
    assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.cmd(&["SET", "a", "1"]), "+QUEUED\r\n");
    limit_to_used_plus(&mut other, -10_000);
    // EXEC of a transaction with a denyoom command is aborted.
    assert_eq!(
        c.cmd(&["EXEC"]),
        "-EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.\r\n"
    );
    assert_eq!(c.cmd(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
    // Under OOM even queueing a read is refused, which fails the EXEC.
    assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.cmd(&["GET", "k:1"]), OOM);
    assert_eq!(
        c.cmd(&["EXEC"]),
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    // Outside a transaction reads still run.
    assert!(c.cmd(&["GET", "k:1"]).starts_with("$1000\r\n"));
    assert_eq!(c.cmd(&["EXISTS", "a"]), ":0\r\n");
}
