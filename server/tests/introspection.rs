//! SLOWLOG entries, MONITOR lines and LATENCY events after the same
//! commands on Redust and real Redis: the same content once times,
//! durations and client ports are masked.

mod support;

use std::time::{Duration, Instant};

use support::{redis_available, Client, Reply, Server};

/// A command's reply as text (simple, bulk or verbatim string, integer).
fn reply_text<A: AsRef<[u8]>>(c: &mut Client, args: &[A]) -> String {
    text(&c.call(args).unwrap())
}

fn text(r: &Reply) -> String {
    r.text()
        .or_else(|| r.integer().map(|n| n.to_string()))
        .unwrap_or_default()
}

/// What SLOWLOG GET -1 shows of each entry once its time, duration and
/// port are left out: arguments, client IP, client name; ids checked to
/// count down by one.
fn slowlog_entries(c: &mut Client) -> Vec<String> {
    let reply = c.call(&["SLOWLOG", "GET", "-1"]).unwrap();
    let entries = reply.expect_items();
    let ids: Vec<i64> = entries
        .iter()
        .map(|e| e.expect_items()[0].expect_int())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1] + 1), "ids {ids:?}");
    entries
        .iter()
        .map(|e| {
            let f = e.expect_items();
            assert!(f[2].expect_int() >= 0);
            let args: Vec<String> = f[3].expect_items().iter().map(text).collect();
            let peer = text(&f[4]);
            let ip = peer.rsplit_once(':').map_or("", |(ip, _)| ip).to_string();
            format!("{} | {ip} | {}", args.join(" "), text(&f[5]))
        })
        .collect()
}

/// Long commands trimmed, secrets redacted, EXEC left out for the
/// commands it ran.
fn slowlog_scenario(server: &Server) -> Vec<String> {
    let mut c = server.client();
    c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    c.cmd(&["CLIENT", "SETNAME", "logged"]);
    let mut sadd = vec!["SADD".to_string(), "s".into()];
    sadd.extend((0..40).map(|i| i.to_string()));
    c.call(&sadd).unwrap();
    c.cmd(&["SET", "big", &"x".repeat(300)]);
    c.cmd(&["AUTH", "nopass"]);
    c.cmd(&["AUTH", "user", "pass"]);
    c.cmd(&["HELLO", "2", "AUTH", "user", "pass"]);
    c.cmd(&[
        "CONFIG",
        "SET",
        "masterauth",
        "secret",
        "maxmemory-samples",
        "5",
    ]);
    c.cmd(&["MULTI"]);
    c.cmd(&["INCR", "n"]);
    c.cmd(&["EXEC"]);
    c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
    slowlog_entries(&mut c)
}

#[test]
fn slowlog_entries_like_redis() {
    let ours = slowlog_scenario(&Server::redust(&[]));
    let want_sadd = format!(
        "SADD s {} ... (11 more arguments) | 127.0.0.1 | logged",
        (0..29).map(|i| i.to_string()).collect::<Vec<_>>().join(" ")
    );
    assert!(ours.contains(&want_sadd), "{ours:#?}");
    assert!(ours.contains(&"AUTH (redacted) (redacted) | 127.0.0.1 | logged".to_string()));
    assert!(!ours.iter().any(|e| e.starts_with("EXEC")), "{ours:#?}");
    if redis_available() {
        assert_eq!(ours, slowlog_scenario(&Server::redis(&[])));
    }
}

/// A blocked command is logged once served, as it was sent, after the
/// command that served it.
fn slowlog_blocked_scenario(server: &Server) -> Vec<String> {
    let mut c = server.client();
    c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    let mut blocked = server.client();
    blocked.send(&["BLPOP", "list", "0"]).unwrap();
    c.wait_blocked(1);
    c.cmd(&["SLOWLOG", "RESET"]);
    c.cmd(&["LPUSH", "list", "x"]);
    blocked.read_reply().unwrap();
    c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
    slowlog_entries(&mut c)
}

#[test]
fn slowlog_logs_blocked_commands_when_served() {
    let ours = slowlog_blocked_scenario(&Server::redust(&[]));
    assert_eq!(ours[0], "BLPOP list 0 | 127.0.0.1 | ", "{ours:#?}");
    if redis_available() {
        assert_eq!(ours, slowlog_blocked_scenario(&Server::redis(&[])));
    }
}

/// A MONITOR line with its time and client port masked:
/// `+T [db 127.0.0.1:P] "args"...`.
fn masked(line: &str) -> String {
    let (stamp, rest) = line.split_once(' ').expect("a time");
    let (secs, micros) = stamp
        .trim_start_matches('+')
        .split_once('.')
        .expect("a dot");
    assert!(secs.parse::<u64>().is_ok() && micros.len() == 6, "{line}");
    let (source, args) = rest.split_once("] ").expect("a source");
    let source = match source.rsplit_once(':') {
        Some((head, _)) => format!("{head}:P"),
        None => source.to_string(),
    };
    format!("+T {source}] {args}")
}

fn monitor_scenario(server: &Server) -> (Vec<String>, bool) {
    let mut m = server.client();
    assert_eq!(reply_text(&mut m, &["MONITOR"]), "OK");
    let mut c = server.client();
    let listed = c.cmd(&["CLIENT", "LIST"]).contains("flags=O ");
    c.cmd(&["SET", "k", "a \"b\n\u{1}"]);
    c.cmd(&["AUTH", "not-real"]);
    c.cmd(&["HELLO", "2", "AUTH", "not-real", "not-a-password"]);
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["SET", "x", "y"]);
    c.cmd(&["EXEC"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["NOSUCH"]);
    c.cmd(&["EXEC"]);
    // Administrative commands are not shown.
    c.cmd(&["CONFIG", "GET", "maxmemory"]);
    c.cmd(&["CLIENT", "ID"]);
    // A script's commands come after the script, as `[db lua]`.
    c.cmd(&["EVAL", "redis.call('set', KEYS[1], ARGV[1])", "1", "s", "1"]);
    c.cmd(&["EVAL", "return 1", "x"]);
    let library = "#!lua name=lib\nredis.register_function('f', function() return redis.call('get', 's') end)";
    c.cmd(&["FUNCTION", "LOAD", "REPLACE", library]);
    c.cmd(&["FCALL", "f", "0"]);
    c.cmd(&["PING"]);
    let mut lines = Vec::new();
    loop {
        let line = m.read_reply().unwrap().expect_text();
        let done = line.ends_with("\"PING\"");
        lines.push(masked(&line));
        if done {
            break;
        }
    }
    (lines, listed)
}

#[test]
fn monitor_lines_like_redis() {
    let (ours, listed) = monitor_scenario(&Server::redust(&[]));
    assert!(listed, "CLIENT LIST shows the monitor with flags=O");
    assert_eq!(ours[0], r#"+T [0 127.0.0.1:P] "SET" "k" "a \"b\n\x01""#);
    assert_eq!(ours[1], r#"+T [0 127.0.0.1:P] "AUTH" "(redacted)""#);
    if redis_available() {
        assert_eq!((ours, listed), monitor_scenario(&Server::redis(&[])));
    }
}

#[test]
fn monitor_refused_inside_multi_and_undone_by_reset() {
    let run = |server: &Server| {
        let mut m = server.client();
        let mut replies = vec![m.cmd(&["MULTI"]), m.cmd(&["MONITOR"])];
        replies.push(format!("{:?}", m.call(&["EXEC"]).unwrap()));
        replies.push(m.cmd(&["MONITOR"]));
        replies.push(m.cmd(&["RESET"]));
        let mut c = server.client();
        c.cmd(&["SET", "k", "v"]);
        // After RESET the client is a normal one again: its next reply is
        // its own, not a monitor line.
        replies.push(m.cmd(&["PING"]));
        replies
    };
    let ours = run(&Server::redust(&[]));
    assert!(
        ours[2].contains("MONITOR isn't allowed for DENY BLOCKING client"),
        "{ours:?}"
    );
    if redis_available() {
        assert_eq!(ours, run(&Server::redis(&[])));
    }
}

/// Waits until `cond` holds, polling.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn latency_scenario(server: &Server) -> Vec<String> {
    let mut c = server.client();
    c.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "100"]);
    c.cmd(&["DEBUG", "SLEEP", "0.2"]);
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", "2"]);
    c.cmd(&["GET", "a"]);
    let mut out = Vec::new();
    let latest = c.call(&["LATENCY", "LATEST"]).unwrap();
    for e in latest.expect_items() {
        let f = e.expect_items();
        assert!(f[2].expect_int() >= 200 && f[3].expect_int() >= f[2].expect_int());
        out.push(format!("latest {}", text(&f[0])));
    }
    let history = c.call(&["LATENCY", "HISTORY", "command"]).unwrap();
    out.push(format!("history {}", history.expect_items().len()));
    let graph = reply_text(&mut c, &["LATENCY", "GRAPH", "command"]);
    out.push(
        graph
            .lines()
            .next()
            .unwrap_or("")
            .split(" - ")
            .next()
            .unwrap()
            .into(),
    );
    out.push(format!("graph lines {}", graph.lines().count()));
    let doctor = reply_text(&mut c, &["LATENCY", "DOCTOR"]);
    out.push(
        doctor
            .lines()
            .take(3)
            .map(|l| l.split(" (").next().unwrap())
            .collect(),
    );
    let histogram = c
        .call(&["LATENCY", "HISTOGRAM", "set", "get", "nosuch"])
        .unwrap();
    for pair in histogram.expect_items().chunks(2) {
        let stats = pair[1].expect_items();
        let buckets = stats[3].expect_items();
        let counts: Vec<i64> = buckets
            .iter()
            .skip(1)
            .step_by(2)
            .map(Reply::expect_int)
            .collect();
        assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
        assert_eq!(counts.last(), Some(&stats[1].expect_int()));
        out.push(format!(
            "histogram {} calls {}",
            text(&pair[0]),
            text(&stats[1])
        ));
    }
    out.push(format!("reset {}", c.cmd(&["LATENCY", "RESET"])));
    wait_for("no events", || {
        c.call(&["LATENCY", "LATEST"])
            .unwrap()
            .expect_items()
            .is_empty()
    });
    out
}

#[test]
fn latency_events_like_redis() {
    let args = ["--enable-debug-command", "yes"];
    let mut ours = latency_scenario(&Server::redust(&args));
    assert!(ours.contains(&"latest command".to_string()), "{ours:#?}");
    if redis_available() {
        let mut theirs = latency_scenario(&Server::redis(&args));
        // Histogram replies are maps, in each server's own hash order.
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs);
    }
}

/// CLIENT UNBLOCK ERROR: the blocked client's UNBLOCKED reply is counted in
/// errorstats (and as its command's failed call).
fn unblock_error_scenario(server: &Server) -> (Vec<String>, String) {
    let mut c = server.client();
    let mut blocked = server.client();
    let id = blocked
        .call(&["CLIENT", "ID"])
        .unwrap()
        .expect_int()
        .to_string();
    c.cmd(&["CONFIG", "RESETSTAT"]);
    blocked.send(&["BLPOP", "list", "0"]).unwrap();
    c.wait_blocked(1);
    assert_eq!(c.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]), ":1\r\n");
    assert!(blocked.read_reply().unwrap().error().is_some());
    let info = reply_text(&mut c, &["INFO", "all"]);
    let errors = info
        .lines()
        .filter(|l| l.starts_with("errorstat_") || l.starts_with("total_error_replies"))
        .map(String::from)
        .collect();
    let blpop = info
        .lines()
        .find(|l| l.starts_with("cmdstat_blpop"))
        .unwrap_or_default();
    (errors, blpop.to_string())
}

#[test]
fn unblock_error_is_counted_like_redis() {
    let (ours, blpop) = unblock_error_scenario(&Server::redust(&[]));
    assert!(
        ours.contains(&"errorstat_UNBLOCKED:count=1".to_string()),
        "{ours:?}"
    );
    assert!(
        blpop.ends_with(",rejected_calls=0,failed_calls=1"),
        "{blpop}"
    );
    if redis_available() {
        assert_eq!(ours, unblock_error_scenario(&Server::redis(&[])).0);
    }
}
