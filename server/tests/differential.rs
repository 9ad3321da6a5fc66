//! Differential tests: each script in `tests/scripts` is sent to a fresh
//! Redust and a fresh redis-server, and the raw replies must match (see
//! `support/script.rs` for the format and its directives). Every script runs
//! twice: one command at a time, then all of it as a single pipeline.

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::thread;

use support::script::Line;
use support::{escape, Reply};
use support::{redis_available, script, Client, Kind, Server, TempDir};

#[derive(Clone, Copy, Debug)]
enum Mode {
    OneByOne,
    Pipelined,
}

/// Replies to the script's lines, in order, and why they stopped early.
struct Run {
    replies: Vec<Vec<u8>>,
    failure: Option<String>,
}

/// Sends every line to a fresh connection to `server`.
fn run(server: &Server, lines: &[Line], mode: Mode) -> Run {
    let mut client = server.client();
    let mut replies = Vec::with_capacity(lines.len());
    let writer = match mode {
        Mode::OneByOne => None,
        Mode::Pipelined => {
            let batch: Vec<u8> = lines.iter().flat_map(|l| Client::encode(&l.args)).collect();
            let mut stream = client.stream().try_clone().unwrap();
            // Writing on its own thread: a server may stop reading until
            // its replies are read, which would otherwise deadlock.
            Some(thread::spawn(move || stream.write_all(&batch)))
        }
    };
    for line in lines {
        let reply = match mode {
            Mode::OneByOne => client.call_raw(&line.args),
            Mode::Pipelined => client.read_raw(),
        };
        match reply {
            Ok(reply) => replies.push(reply),
            Err(e) => {
                let failure = format!(
                    "line {} `{}`: no reply from {}: {e}\nlog:\n{}",
                    line.number,
                    line.text,
                    server.name(),
                    server.log()
                );
                return Run {
                    replies,
                    failure: Some(failure),
                };
            }
        }
    }
    if let Some(Err(e)) = writer.map(|w| w.join().unwrap()) {
        let failure = format!("writing the pipeline to {}: {e}", server.name());
        return Run {
            replies,
            failure: Some(failure),
        };
    }
    Run {
        replies,
        failure: None,
    }
}

/// Runs one script against both servers in both modes, reporting every
/// differing line.
fn run_script(name: &str, server_args: &[&str]) {
    if !redis_available() {
        return;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scripts")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines = script::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    // DIFF_TRACE=1 prints every exchange, e.g. to review a new script.
    let trace = std::env::var_os("DIFF_TRACE").is_some();

    let mut report = Vec::new();
    for mode in [Mode::OneByOne, Mode::Pipelined] {
        let ours = run(&Server::redust(server_args), &lines, mode);
        let theirs = run(&Server::redis(server_args), &lines, mode);
        let mut differences = Vec::new();
        for ((line, left), right) in lines.iter().zip(&ours.replies).zip(&theirs.replies) {
            let shown = format!(
                "{name}:{} `{}`\n  redust: {}\n  redis:  {}\n",
                line.number,
                line.text,
                escape(left),
                escape(right)
            );
            if trace {
                eprint!("{mode:?} {shown}");
            }
            if let Err(why) = line.check.compare(left, right) {
                differences.push(format!("{why}: {shown}"));
            }
        }
        differences.extend(ours.failure.into_iter().chain(theirs.failure));
        if !differences.is_empty() {
            report.push(format!(
                "{name} ({mode:?}): {} of {} lines differ:\n{}",
                differences.len(),
                lines.len(),
                differences.join("")
            ));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
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
fn config() {
    run_script("config.txt", &[]);
}

#[test]
fn auth() {
    run_script("auth.txt", &["--requirepass", "s3cret"]);
}

#[test]
fn types() {
    run_script("types.txt", &[]);
}

/// CONFIG GET * lists the same directives with the same defaults as Redis;
/// only the port differs between the two servers.
#[test]
fn config_get_all_matches_redis() {
    if !redis_available() {
        return;
    }
    let directives = |server: &Server| -> BTreeMap<String, String> {
        let raw = server.client().call_raw(&["CONFIG", "GET", "*"]).unwrap();
        let parsed = Reply::from_bytes(&raw);
        let Some(items) = parsed.as_ref().ok().and_then(Reply::items) else {
            panic!("{}: CONFIG GET * gave {parsed:?}", server.name());
        };
        let text = |item: &Reply| String::from_utf8_lossy(item.bulk().unwrap()).into_owned();
        let pairs = items.chunks(2).map(|pair| (text(&pair[0]), text(&pair[1])));
        pairs.filter(|(name, _)| name != "port").collect()
    };
    // One directory for both: `dir` is compared too.
    let dir = TempDir::new("config-get-all");
    let (ours, theirs) = (
        directives(&Server::builder(Kind::Redust).dir(dir.path()).start()),
        directives(&Server::builder(Kind::Redis).dir(dir.path()).start()),
    );
    let mut differences = Vec::new();
    for (name, value) in &theirs {
        match ours.get(name) {
            None => differences.push(format!("{name}: missing (redis: {value:?})")),
            Some(ours) if ours != value => {
                differences.push(format!("{name}: redust {ours:?}, redis {value:?}"))
            }
            Some(_) => {}
        }
    }
    let extra = ours.keys().filter(|name| !theirs.contains_key(*name));
    differences.extend(extra.map(|name| format!("{name}: not in redis")));
    assert!(
        differences.is_empty(),
        "CONFIG GET * differs in {} of {} directives:\n{}",
        differences.len(),
        theirs.len(),
        differences.join("\n")
    );
}

#[test]
fn multi() {
    run_script("multi.txt", &[]);
}

#[test]
fn debug() {
    run_script("debug.txt", &["--enable-debug-command", "yes"]);
}

#[test]
fn pubsub() {
    run_script("pubsub.txt", &[]);
}

#[test]
fn hashes() {
    run_script("hashes.txt", &[]);
}

#[test]
fn sets() {
    run_script("sets.txt", &[]);
}

#[test]
fn lists() {
    run_script("lists.txt", &[]);
}

#[test]
fn dump() {
    run_script("dump.txt", &[]);
}

#[test]
fn sort() {
    run_script("sort.txt", &[]);
}

#[test]
fn zsets() {
    run_script("zsets.txt", &[]);
}

#[test]
fn slowlog() {
    run_script("slowlog.txt", &[]);
}

#[test]
fn latency() {
    run_script("latency.txt", &[]);
}

#[test]
fn bitops() {
    run_script("bitops.txt", &[]);
}

#[test]
fn geo() {
    run_script("geo.txt", &[]);
}

#[test]
fn hyperloglog() {
    run_script("hyperloglog.txt", &[]);
}

#[test]
fn scripting() {
    run_script("scripting.txt", &["--enable-debug-command", "yes"]);
}

#[test]
fn streams() {
    run_script("streams.txt", &[]);
}

#[test]
fn streams_groups() {
    run_script("streams_groups.txt", &[]);
}
