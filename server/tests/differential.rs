//! Differential tests: each script in `tests/scripts` is sent line by line to
//! a fresh Redust and a fresh redis-server, and the raw replies must match
//! (see `support/script.rs` for the format and its directives).

mod support;

use std::path::Path;

use support::reply::escape;
use support::{redis_available, script, Server};

/// Runs one script against both servers, reporting every differing line.
fn run_script(name: &str, server_args: &[&str]) {
    if !redis_available() {
        return;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scripts")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines = script::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));

    let (redust, redis) = (Server::redust(server_args), Server::redis(server_args));
    let (mut ours, mut theirs) = (redust.client(), redis.client());
    let mut differences = Vec::new();
    // DIFF_TRACE=1 prints every exchange, e.g. to review a new script.
    let trace = std::env::var_os("DIFF_TRACE").is_some();
    for line in &lines {
        let reply = |server: &Server, client: &mut support::Client| {
            client.call(&line.args).unwrap_or_else(|e| {
                panic!(
                    "{name}:{} `{}`: no reply from {}: {e}\n{}{}",
                    line.number,
                    line.text,
                    server.name(),
                    differences.join(""),
                    server.log()
                )
            })
        };
        let (left, right) = (reply(&redust, &mut ours), reply(&redis, &mut theirs));
        if trace {
            eprintln!(
                "{name}:{} {}\n  redust: {}\n  redis:  {}",
                line.number,
                line.text,
                escape(&left),
                escape(&right)
            );
        }
        if let Err(why) = line.check.compare(&left, &right) {
            differences.push(format!(
                "{name}:{} `{}`: {why}\n  redust: {}\n  redis:  {}\n",
                line.number,
                line.text,
                escape(&left),
                escape(&right)
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "{name}: {} of {} lines differ:\n{}",
        differences.len(),
        lines.len(),
        differences.join("")
    );
}

#[test]
fn connection() {
    run_script("connection.txt", &[]);
}

#[test]
fn strings() {
    run_script("strings.txt", &[]);
}

#[test]
fn counters() {
    run_script("counters.txt", &[]);
}

#[test]
fn keys() {
    run_script("keys.txt", &[]);
}

#[test]
fn expiry() {
    run_script("expiry.txt", &[]);
}

#[test]
fn errors() {
    run_script("errors.txt", &[]);
}

#[test]
fn binary() {
    run_script("binary.txt", &[]);
}

#[test]
fn auth() {
    run_script("auth.txt", &["--requirepass", "s3cret"]);
}

#[test]
#[ignore = "needs a non-string type (lists arrive with issue 3)"]
fn types() {
    run_script("types.txt", &[]);
}
