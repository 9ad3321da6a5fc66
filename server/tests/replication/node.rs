//! One server process in a replication test: Redust or the reference Redis,
//! with its own data directory, restartable in place (same port, same dir,
//! same arguments) after a kill -9.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

use crate::support::reply;
use crate::support::{Client, Server, TempDir};
use testkit::Builder;
/// `Redust` follows `REDUST_TEST_BIN`, so pointing that at redis-server
/// turns every combination into Redis-Redis, which is how the tests
/// themselves are validated.
pub use testkit::Kind;

/// The implementations playing master and replica in one test. Tests with
/// more replicas give them all the replica kind unless they say otherwise.
#[derive(Clone, Copy, Debug)]
pub struct Mix {
    pub master: Kind,
    pub replica: Kind,
}

impl Mix {
    pub fn available(self) -> bool {
        self.master.available() && self.replica.available()
    }
}

/// Arguments every node gets: full syncs start at once instead of waiting
/// five seconds for more replicas to arrive, and DEBUG DIGEST is allowed.
const BASE_ARGS: [&str; 4] = [
    "--repl-diskless-sync-delay",
    "0",
    "--enable-debug-command",
    "yes",
];

pub struct Node {
    /// One connection reused for the test's own commands and polling.
    admin: RefCell<Option<Client>>,
    /// Named "<label> (<binary>)", with a directory of its own (its RDB
    /// files, its config file) kept after a failed test.
    server: Server,
}

impl Node {
    pub fn start(kind: Kind, label: &str, args: &[&str]) -> Node {
        Node::launch(kind, label, None, args)
    }

    /// Starts with a config file holding `config` (redis.conf syntax).
    pub fn start_with_config(kind: Kind, label: &str, config: &str, args: &[&str]) -> Node {
        Node::launch(kind, label, Some(config), args)
    }

    /// Starts a replica of `master` configured on the command line.
    pub fn replica_of(kind: Kind, label: &str, master_port: u16, args: &[&str]) -> Node {
        let port = master_port.to_string();
        let mut all = vec!["--replicaof", "127.0.0.1", &port];
        all.extend(args);
        Node::start(kind, label, &all)
    }

    fn launch(kind: Kind, label: &str, config: Option<&str>, args: &[&str]) -> Node {
        let bin = kind.bin();
        let name = format!("{label} ({})", bin.file_name().unwrap().to_string_lossy());
        let mut builder = Builder::new(bin)
            .name(name)
            .temp_dir(TempDir::new(&format!("repl-{label}")))
            .args(BASE_ARGS)
            .args(args);
        if let Some(config) = config {
            builder = builder.config(config);
        }
        Node {
            admin: RefCell::new(None),
            server: builder.start(),
        }
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    pub fn label(&self) -> &str {
        self.server.name()
    }

    /// True when this node runs the reference redis-server (also when
    /// `REDUST_TEST_BIN` points the Redust side at it).
    pub fn is_reference_redis(&self) -> bool {
        self.server
            .bin()
            .file_name()
            .is_some_and(|n| n == "redis-server")
    }

    pub fn pid(&self) -> u32 {
        self.server.pid()
    }

    /// A fresh connection, e.g. for a load thread or a read-only check;
    /// authenticated when the node was started with `--requirepass`.
    pub fn client(&self) -> Client {
        let mut client = self.server.client();
        if let Some(password) = self.password() {
            assert_eq!(
                client.cmd(&["AUTH", password]),
                "+OK\r\n",
                "{}",
                self.label()
            );
        }
        client
    }

    fn password(&self) -> Option<&str> {
        let args = self.server.args();
        let at = args.iter().position(|a| a == "--requirepass")?;
        args.get(at + 1).map(String::as_str)
    }

    /// Runs one command on the node's admin connection, reconnecting once
    /// if the connection was lost.
    pub fn cmd(&self, args: &[&str]) -> String {
        let mut admin = self.admin.borrow_mut();
        for attempt in 0..2 {
            let client = admin.get_or_insert_with(|| self.client());
            match client.call_raw(args) {
                Ok(reply) => return String::from_utf8_lossy(&reply).into_owned(),
                Err(e) if attempt == 1 => panic!("{}: {args:?}: {e}", self.label()),
                Err(_) => *admin = None,
            }
        }
        unreachable!()
    }

    /// `INFO <section>`, parsed.
    pub fn info(&self, section: &str) -> Info {
        let raw = self.cmd(&["INFO", section]);
        let text = reply::parse(raw.as_bytes())
            .ok()
            .flatten()
            .and_then(|(r, _)| r.bulk().map(|b| String::from_utf8_lossy(b).into_owned()))
            .unwrap_or_else(|| panic!("{}: INFO {section} gave {raw:?}", self.label()));
        Info::parse(&text)
    }

    /// Points this node at `master` with the given command (REPLICAOF or
    /// SLAVEOF) and returns the reply.
    pub fn follow(&self, command: &str, master: &Node) -> String {
        self.cmd(&[command, "127.0.0.1", &master.port().to_string()])
    }

    pub fn log(&self) -> String {
        self.server.log()
    }

    /// kill -9, keeping the data directory.
    pub fn kill(&mut self) {
        self.admin.replace(None);
        self.server.kill();
    }

    /// Starts the same binary again on the same port, dir and arguments.
    pub fn restart(&mut self) {
        self.admin.replace(None);
        self.server.restart();
    }
}

/// An INFO reply as `field -> value`.
pub struct Info {
    fields: BTreeMap<String, String>,
    raw: String,
}

impl Info {
    fn parse(text: &str) -> Info {
        let fields = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.split_once(':'))
            .map(|(k, v)| (k.to_string(), v.trim_end().to_string()))
            .collect();
        Info {
            fields,
            raw: text.to_string(),
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }

    pub fn str(&self, field: &str) -> &str {
        self.get(field)
            .unwrap_or_else(|| panic!("INFO has no {field}:\n{}", self.raw))
    }

    pub fn int(&self, field: &str) -> i64 {
        self.str(field)
            .parse()
            .unwrap_or_else(|_| panic!("INFO {field} is not a number:\n{}", self.raw))
    }

    /// The `slaveN:ip=..,port=..,state=..,offset=..,lag=..` lines of a
    /// master, in order.
    pub fn replicas(&self) -> Vec<BTreeMap<String, String>> {
        (0..)
            .map_while(|n| self.get(&format!("slave{n}")))
            .map(|line| {
                line.split(',')
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .collect()
    }
}

impl fmt::Display for Info {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}
