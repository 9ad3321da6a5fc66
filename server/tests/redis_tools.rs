//! Redis's own tools against the server under test: redis-cli and
//! redis-benchmark must work unchanged and report no errors.

mod support;

use std::process::{Command, Output};

use support::{tool_available, Server};

const REDIS_CLI: &str = "/usr/bin/redis-cli";
const REDIS_BENCHMARK: &str = "/usr/bin/redis-benchmark";

/// Runs `tool` against `server`, asserting a zero exit status; returns its
/// stdout and stderr together.
fn run(tool: &str, server: &Server, args: &[&str]) -> String {
    let port = server.port().to_string();
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(tool)
        .args(["-p", &port])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr)
    );
    assert!(
        status.success(),
        "{tool} {args:?} exited with {status}:\n{output}\nserver log:\n{}",
        server.log()
    );
    output
}

#[test]
fn redis_cli_talks_to_redust() {
    if !tool_available(REDIS_CLI) {
        return;
    }
    let server = Server::redust(&[]);
    let cli = |args: &[&str]| run(REDIS_CLI, &server, args);
    assert_eq!(cli(&["PING"]), "PONG\n");
    assert_eq!(cli(&["SET", "a", "b"]), "OK\n");
    assert_eq!(cli(&["GET", "a"]), "b\n");
    assert_eq!(cli(&["--no-raw", "GET", "a"]), "\"b\"\n");
    assert_eq!(cli(&["--no-raw", "GET", "missing"]), "(nil)\n");
    assert_eq!(cli(&["INCR", "n"]), "1\n");
    assert_eq!(cli(&["--no-raw", "INCR", "n"]), "(integer) 2\n");
    assert_eq!(cli(&["-n", "3", "SET", "x", "in-db-3"]), "OK\n");
    assert_eq!(cli(&["-n", "3", "GET", "x"]), "in-db-3\n");
    assert_eq!(
        cli(&["--no-raw", "MGET", "a", "missing"]),
        "1) \"b\"\n2) (nil)\n"
    );
    assert_eq!(cli(&["-3", "--no-raw", "GET", "missing"]), "(nil)\n");
    // redis-cli reports errors on stdout but still exits 0 in this mode.
    let error = cli(&["--no-raw", "GET"]);
    assert_eq!(
        error,
        "(error) ERR wrong number of arguments for 'get' command\n"
    );

    let info = cli(&["INFO", "server"]);
    assert!(info.starts_with("# Server\r\n"), "INFO server:\n{info}");
    assert!(info.contains("\r\nredis_version:"), "INFO server:\n{info}");
    assert!(
        info.contains(&format!("\r\ntcp_port:{}\r\n", server.port())),
        "INFO server:\n{info}"
    );
}

#[test]
fn redis_benchmark_runs_without_errors() {
    if !tool_available(REDIS_BENCHMARK) {
        return;
    }
    let server = Server::redust(&[]);
    for pipeline in ["1", "16"] {
        let args = [
            "-t",
            "set,get,incr",
            "-n",
            "20000",
            "-c",
            "50",
            "-q",
            "-P",
            pipeline,
        ];
        let output = run(REDIS_BENCHMARK, &server, &args);
        // -q prints progress with carriage returns, then one summary line per test.
        let summaries: Vec<&str> = output
            .split(['\r', '\n'])
            .filter(|line| line.contains("requests per second"))
            .collect();
        let lowered = output.to_ascii_lowercase();
        assert!(
            summaries.len() == 3 && !lowered.contains("err") && !lowered.contains("warning"),
            "redis-benchmark {args:?}:\n{output}\nserver log:\n{}",
            server.log()
        );
    }
}

/// The workspace's redust-cli, built next to this test binary by
/// `cargo test --workspace`; `None` (with a notice) when it was not built.
fn redust_cli() -> Option<std::path::PathBuf> {
    let path = testkit::workspace_bin("redust-cli");
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "SKIP: {} not built (run cargo test --workspace)",
            path.display()
        );
        None
    }
}

#[test]
fn redust_cli_and_redis_cli_print_the_same_against_redust() {
    let (Some(ours), true) = (redust_cli(), tool_available(REDIS_CLI)) else {
        return;
    };
    // The same sequence against two fresh servers, one per cli.
    let (a, b) = (Server::redust(&[]), Server::redust(&[]));
    let ours = ours.to_string_lossy().into_owned();
    let lines: &[&[&str]] = &[
        &["SET", "k", "v"],
        &["--no-raw", "GET", "k"],
        &["RPUSH", "l", "a", "b"],
        &["--no-raw", "LRANGE", "l", "0", "-1"],
        &["--no-raw", "HSET", "h", "f", "1"],
        &["--no-raw", "HGETALL", "h"],
        &["-3", "--no-raw", "HGETALL", "h"],
        &["--no-raw", "GET", "missing"],
        &["--no-raw", "INCR", "k"],
        &["INFO", "replication"],
        &["INFO", "memory"],
        &["SLAVEOF", "NO", "ONE"],
    ];
    for args in lines {
        let theirs = run(REDIS_CLI, &a, args);
        let mine = run(&ours, &b, args);
        // INFO carries changing offsets only as numbers; compare field names.
        if args.contains(&"INFO") {
            let names = |s: &str| {
                s.lines()
                    .map(|l| l.split(':').next().unwrap_or("").to_string())
                    .collect::<Vec<_>>()
            };
            assert_eq!(names(&mine), names(&theirs), "{args:?}");
        } else {
            assert_eq!(mine, theirs, "{args:?}");
        }
    }
}
