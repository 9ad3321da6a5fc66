//! INFO commandstats, errorstats and latencystats after the same commands
//! on Redust and real Redis: the same counters (durations masked), the
//! same commands with latency percentiles.

mod support;

use support::{redis_available, Server};

/// INFO `section`'s lines, with `usec` figures and percentile values
/// masked (they are timings).
fn section(server: &Server, section: &str) -> Vec<String> {
    let mut c = server.client();
    let raw = c.cmd(&["INFO", section]);
    let mut lines: Vec<String> = raw
        .lines()
        .filter(|l| l.contains(':'))
        .map(|l| {
            l.split(',')
                .map(|f| match f.split_once('=') {
                    Some((k, _))
                        if k.starts_with("usec") || k.contains(":p") || k.starts_with('p') =>
                    {
                        format!("{k}=*")
                    }
                    _ => f.to_string(),
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    lines.sort();
    lines
}

fn scenario(server: &Server) -> Vec<Vec<String>> {
    let mut c = server.client();
    c.cmd(&["CONFIG", "RESETSTAT"]);
    c.cmd(&["SET", "k"]);
    c.cmd(&["SET", "k1", "v1"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["SET", "a", "b"]);
    c.cmd(&["AUTH", "a"]);
    c.cmd(&["EXEC"]);
    c.cmd(&["EXEC"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["SET"]);
    c.cmd(&["EXEC"]);
    c.cmd(&["BLPOP", "nothing", "0.01"]);
    c.cmd(&["GET", "nokey"]);
    c.cmd(&["CLIENT", "ID"]);
    c.cmd(&["NOSUCHCOMMAND"]);
    vec![
        section(server, "commandstats"),
        section(server, "errorstats"),
        section(server, "latencystats"),
    ]
}

#[test]
fn command_and_error_stats_like_redis() {
    let ours = scenario(&Server::redust(&[]));
    let set = "cmdstat_set:calls=2,usec=*,usec_per_call=*,rejected_calls=2,failed_calls=0";
    assert!(ours[0].iter().any(|l| l == set), "{:?}", ours[0]);
    if redis_available() {
        assert_eq!(ours, scenario(&Server::redis(&[])));
    }
}
