//! The differential fuzzer shared by `server/tests/fuzz_differential.rs`
//! (a bounded run in CI) and `cargo xtask fuzz` (a long one): a seeded
//! generator of commands over a small key universe ([`Generator`]), each
//! paired with how its replies are compared ([`Check`]), and a runner that
//! sends every command to Redust and redis-server side by side and stops at
//! the first reply that differs ([`run_seed`]).
//!
//! Replies are normalized only where Redis's own reply is not
//! deterministic: set and hash orders are sorted, TTLs compared within a
//! tolerance, random picks checked by shape and membership, SCAN iterated to
//! the end. A seed replays exactly (`REDUST_FUZZ_SEED`), so a finding is
//! reproduced by its seed and command index.

mod check;
mod gen;
mod pools;
mod rng;

use std::collections::BTreeSet;
use std::fmt;
use std::io;
use std::time::Instant;

pub use check::{kind, leaves, Check};
pub use gen::{Arg, Generator, Step, GENERATED};
pub use pools::*;
pub use rng::Rng;

use crate::reply::{escape, Reply};
use crate::Client;

/// Where one seed's run stopped early.
#[derive(Debug)]
pub enum Finding {
    /// The two servers replied differently.
    Difference {
        seed: u64,
        index: usize,
        command: Vec<Vec<u8>>,
        name: String,
        ours: Reply,
        theirs: Reply,
        why: String,
    },
    /// A connection failed: a crash, a hang or a closed connection.
    Io {
        seed: u64,
        index: usize,
        command: Vec<Vec<u8>>,
        side: &'static str,
        error: io::Error,
    },
}

impl Finding {
    /// What deduplicates findings: the command's name and both replies'
    /// kinds (type byte or error code), or the failing side.
    pub fn key(&self) -> String {
        match self {
            Finding::Difference {
                name, ours, theirs, ..
            } => format!("{name} {} vs {}", kind(ours), kind(theirs)),
            Finding::Io { command, side, .. } => {
                format!("{} I/O on {side}", show_name(command))
            }
        }
    }
}

fn show_name(command: &[Vec<u8>]) -> String {
    command
        .first()
        .map(|c| String::from_utf8_lossy(c).to_uppercase())
        .unwrap_or_default()
}

/// A command in redis-cli quoting, one line.
pub fn show(command: &[Vec<u8>]) -> String {
    let words: Vec<String> = command
        .iter()
        .map(|a| {
            let plain = !a.is_empty()
                && a.len() <= 100
                && a.iter()
                    .all(|b| b.is_ascii_graphic() && !b"\"'\\".contains(b));
            if plain {
                String::from_utf8_lossy(a).into_owned()
            } else {
                escape(a)
            }
        })
        .collect();
    words.join(" ")
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Difference {
                seed,
                index,
                command,
                ours,
                theirs,
                why,
                ..
            } => write!(
                f,
                "seed {seed}, command #{index}: {why}\n  command: {}\n  redust:  {}\n  redis:   {}\n\
                 replay: REDUST_FUZZ_SEED={seed}",
                show(command),
                escape(&ours.encode()),
                escape(&theirs.encode()),
            ),
            Finding::Io {
                seed,
                index,
                command,
                side,
                error,
            } => write!(
                f,
                "seed {seed}, command #{index}: no reply from {side}: {error}\n  command: {}\n\
                 replay: REDUST_FUZZ_SEED={seed}",
                show(command)
            ),
        }
    }
}

/// What one seed's run did.
#[derive(Debug)]
pub struct Outcome {
    /// Commands sent to each server (SCAN iterations and the extra
    /// commands of random picks and DUMP round trips included).
    pub sent: u64,
    /// Generated steps run to completion.
    pub steps: usize,
    pub finding: Option<Finding>,
}

/// The lower-case command names a server lists (COMMAND LIST, or COMMAND's
/// names when LIST is unknown).
pub fn command_names(client: &mut Client) -> io::Result<BTreeSet<String>> {
    let reply = client.call(&["COMMAND", "LIST"])?;
    let names = match reply.items() {
        Some(items) => items.iter().filter_map(Reply::text).collect(),
        None => Vec::new(),
    };
    Ok(names
        .into_iter()
        .map(|n| n.to_lowercase())
        .filter(|n| !n.contains('|'))
        .collect())
}

/// Resident memory of a process in bytes (Linux `/proc`).
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Options of one seed's run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub seed: u64,
    /// Generated commands at most.
    pub steps: usize,
    /// Stop (without a finding) at this instant.
    pub deadline: Option<Instant>,
    /// Print every exchange to stderr.
    pub trace: bool,
}

/// Runs one seed: resets both connections (RESET, FLUSHALL; HELLO 3 for
/// odd seeds), then sends each generated command to both servers, stopping
/// at the first difference or I/O error.
pub fn run_seed(
    ours: &mut Client,
    theirs: &mut Client,
    known: &BTreeSet<String>,
    options: &RunOptions,
) -> Outcome {
    let mut pair = Pair {
        ours,
        theirs,
        sent: 0,
        trace: options.trace,
    };
    let seed = options.seed;
    let mut setup = vec![Step::exact(vec![b"RESET".to_vec()])];
    setup.push(Step::exact(vec![b"FLUSHALL".to_vec()]));
    if seed % 2 == 1 {
        setup.push(Step {
            args: vec![b"HELLO".to_vec(), b"3".to_vec()],
            check: Check::Shape,
        });
    }
    for step in &setup {
        if let Err(f) = pair.exchange(step) {
            return Outcome {
                sent: pair.sent,
                steps: 0,
                finding: Some(f.into_finding(seed, 0, step)),
            };
        }
    }
    let mut generator = Generator::new(seed, known);
    for index in 0..options.steps {
        if options.deadline.is_some_and(|d| Instant::now() >= d) {
            return Outcome {
                sent: pair.sent,
                steps: index,
                finding: None,
            };
        }
        let step = generator.next_step();
        if let Err(f) = pair.exchange(&step) {
            return Outcome {
                sent: pair.sent,
                steps: index,
                finding: Some(f.into_finding(seed, index, &step)),
            };
        }
    }
    Outcome {
        sent: pair.sent,
        steps: options.steps,
        finding: None,
    }
}

/// Why one exchange failed, before it is placed in its run.
enum Failed {
    Differ {
        ours: Reply,
        theirs: Reply,
        why: String,
    },
    Io(&'static str, io::Error),
}

impl Failed {
    fn into_finding(self, seed: u64, index: usize, step: &Step) -> Finding {
        match self {
            Failed::Differ { ours, theirs, why } => Finding::Difference {
                seed,
                index,
                command: step.args.clone(),
                name: step.name(),
                ours,
                theirs,
                why,
            },
            Failed::Io(side, error) => Finding::Io {
                seed,
                index,
                command: step.args.clone(),
                side,
                error,
            },
        }
    }
}

struct Pair<'a> {
    ours: &'a mut Client,
    theirs: &'a mut Client,
    sent: u64,
    trace: bool,
}

impl Pair<'_> {
    /// Sends `args` to both servers and returns both replies.
    fn both(&mut self, args: &[Vec<u8>]) -> Result<(Reply, Reply), Failed> {
        let (ours, theirs) = self.send_each(args, args)?;
        if self.trace {
            eprintln!(
                "{}\n  redust: {}\n  redis:  {}",
                show(args),
                escape(&ours.encode()),
                escape(&theirs.encode())
            );
        }
        Ok((ours, theirs))
    }

    /// Sends `to_ours` to Redust and `to_theirs` to Redis, both before
    /// either reply is read (the two servers work at once), and returns the
    /// replies.
    fn send_each(
        &mut self,
        to_ours: &[Vec<u8>],
        to_theirs: &[Vec<u8>],
    ) -> Result<(Reply, Reply), Failed> {
        self.sent += 1;
        self.ours
            .send(to_ours)
            .map_err(|e| Failed::Io("redust", e))?;
        self.theirs
            .send(to_theirs)
            .map_err(|e| Failed::Io("redis", e))?;
        let ours = self
            .ours
            .read_reply()
            .map_err(|e| Failed::Io("redust", e))?;
        let theirs = self
            .theirs
            .read_reply()
            .map_err(|e| Failed::Io("redis", e))?;
        Ok((ours, theirs))
    }

    fn compare(&mut self, args: &[Vec<u8>], check: &Check) -> Result<(Reply, Reply), Failed> {
        let (ours, theirs) = self.both(args)?;
        match check.compare(&ours, &theirs) {
            Ok(()) => Ok((ours, theirs)),
            Err(why) => Err(Failed::Differ { ours, theirs, why }),
        }
    }

    fn exchange(&mut self, step: &Step) -> Result<(), Failed> {
        match &step.check {
            Check::Random { universe, resync } => {
                let (ours_all, theirs_all) = self.compare(universe, &Check::Sorted)?;
                let (ours, theirs) = self.both(&step.args)?;
                let check = if ours.error().is_some() || theirs.error().is_some() {
                    Check::Exact
                } else {
                    step.check.clone()
                };
                if let Err(why) = check.compare(&ours, &theirs) {
                    return Err(Failed::Differ { ours, theirs, why });
                }
                for (name, reply, all) in [
                    ("redust", &ours, &ours_all),
                    ("redis", &theirs, &theirs_all),
                ] {
                    if let Some(stray) = outside(reply, all) {
                        let why = format!(
                            "{name} picked {} which `{}` did not list",
                            escape(&stray),
                            show(universe)
                        );
                        return Err(Failed::Differ {
                            ours: ours.clone(),
                            theirs: theirs.clone(),
                            why,
                        });
                    }
                }
                if let Some(resync) = resync {
                    self.compare(resync, &Check::Exact)?;
                }
                Ok(())
            }
            Check::Scan { cursor, pairs } => {
                let ours = self.scan(true, &step.args, *cursor, *pairs)?;
                let theirs = self.scan(false, &step.args, *cursor, *pairs)?;
                if ours == theirs {
                    return Ok(());
                }
                Err(Failed::Differ {
                    ours,
                    theirs,
                    why: "full iterations differ (elements sorted)".into(),
                })
            }
            Check::CrossRestore { src, dst } => {
                let dump = [b"DUMP".to_vec(), src.clone()];
                let (ours, theirs) = self.compare(&dump, &Check::Shape)?;
                let (Some(ours), Some(theirs)) = (ours.bulk(), theirs.bulk()) else {
                    return Ok(());
                };
                let restore = |payload: &[u8]| {
                    vec![
                        b"RESTORE".to_vec(),
                        dst.clone(),
                        b"0".to_vec(),
                        payload.to_vec(),
                        b"REPLACE".to_vec(),
                    ]
                };
                let (to_ours, to_theirs) = (restore(theirs), restore(ours));
                let (ours, theirs) = self.send_each(&to_ours, &to_theirs)?;
                if ours != theirs {
                    let why = "RESTORE of the other server's DUMP payload differs".into();
                    return Err(Failed::Differ { ours, theirs, why });
                }
                Ok(())
            }
            Check::Lex { key, resync } => {
                let ends = |first: &str| {
                    let mut args = vec![b"ZRANGE".to_vec(), key.clone()];
                    args.extend([first, first, "WITHSCORES"].map(|a| a.as_bytes().to_vec()));
                    args
                };
                let (low, _) = self.compare(&ends("0"), &Check::Exact)?;
                let (high, _) = self.compare(&ends("-1"), &Check::Exact)?;
                let score = |r: &Reply| {
                    let mut texts = Vec::new();
                    leaves(r, &mut texts);
                    texts.pop()
                };
                if score(&low) == score(&high) {
                    return self.compare(&step.args, &Check::Exact).map(|_| ());
                }
                // Scores differ: only the reply's kind (type byte, error
                // code) is Redis's own.
                let (ours, theirs) = self.both(&step.args)?;
                let errors = ours.error().is_some() || theirs.error().is_some();
                if kind(&ours) != kind(&theirs) || (errors && ours != theirs) {
                    let why = "reply kinds differ (mixed scores)".into();
                    return Err(Failed::Differ { ours, theirs, why });
                }
                if let Some(resync) = resync {
                    self.compare(resync, &Check::Exact)?;
                }
                Ok(())
            }
            check => self.compare(&step.args, check).map(|_| ()),
        }
    }

    /// Iterates a SCAN-family command to cursor 0 on one server; the
    /// gathered elements (sorted, deduplicated) as an array reply, or the
    /// first reply that is not a cursor and a page.
    fn scan(
        &mut self,
        ours: bool,
        args: &[Vec<u8>],
        at: usize,
        pairs: bool,
    ) -> Result<Reply, Failed> {
        let (client, side) = if ours {
            (&mut *self.ours, "redust")
        } else {
            (&mut *self.theirs, "redis")
        };
        let mut args = args.to_vec();
        let mut found: BTreeSet<Vec<u8>> = BTreeSet::new();
        for _ in 0..100_000 {
            self.sent += 1;
            let reply = client.call(&args).map_err(|e| Failed::Io(side, e))?;
            let page = match reply.items() {
                Some([cursor, page]) => cursor.bulk().zip(page.items()),
                _ => None,
            };
            let Some((cursor, page)) = page else {
                return Ok(reply);
            };
            let chunk = if pairs { 2 } else { 1 };
            for element in page.chunks(chunk) {
                found.insert(element.iter().flat_map(Reply::encode).collect());
            }
            if cursor == b"0" {
                let items = found.into_iter().map(|e| Reply::Bulk(Some(e))).collect();
                return Ok(Reply::Array(Some(items)));
            }
            args[at] = cursor.to_vec();
        }
        Err(Failed::Io(
            side,
            io::Error::other("SCAN did not end within 100000 calls"),
        ))
    }
}

/// A string leaf of `reply` that is not among `universe`'s leaves.
fn outside(reply: &Reply, universe: &Reply) -> Option<Vec<u8>> {
    let (mut picked, mut all) = (Vec::new(), Vec::new());
    leaves(reply, &mut picked);
    leaves(universe, &mut all);
    let all: BTreeSet<Vec<u8>> = all.into_iter().collect();
    picked.into_iter().find(|p| !all.contains(p))
}
