//! Behaviour of the crate as a whole, checked against what
//! redis-server 7.0.15 does.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::*;

/// `redis-cli CONFIG GET '*'` against `redis-server --port 17379` (no
/// config file), one name or value per line.
const REDIS_DEFAULTS: &str = include_str!("redis-7.0.15-defaults.txt");

/// Directives whose default depends on how the reference server ran.
const ENVIRONMENT_DEPENDENT: &[&str] = &["port", "dir"];

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("redust-config-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir.canonicalize().unwrap())
    }

    fn write(&self, name: &str, content: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path.to_string_lossy().into_owned()
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn load_in(cwd: &Path, args: &[&str]) -> Result<Config, ConfigError> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    crate::load::from_args(&args, cwd, &mut std::io::empty())
}

fn load(args: &[&str]) -> Result<Config, ConfigError> {
    load_in(Path::new("/"), args)
}

fn get1(cfg: &Config, name: &str) -> String {
    let got = cfg.get(&[name.as_bytes()]);
    assert_eq!(got.len(), 1, "{name}: {got:?}");
    got.into_iter().next().unwrap().1
}

fn set(cfg: &mut Config, pairs: &[(&str, &str)]) -> Result<Vec<&'static str>, String> {
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = pairs
        .iter()
        .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
    cfg.set(&pairs).map(|c| c.names).map_err(|e| e.to_string())
}

fn fatal_text(err: ConfigError) -> String {
    assert!(matches!(err, ConfigError::Fatal { .. }), "{err:?}");
    err.to_string()
}

#[test]
fn defaults_match_redis() {
    let lines: Vec<&str> = REDIS_DEFAULTS.split('\n').collect();
    let redis: HashMap<&str, &str> = lines.chunks_exact(2).map(|p| (p[0], p[1])).collect();
    assert_eq!(redis.len(), 192);
    let cfg = Config::default();
    let ours: HashMap<String, String> = cfg.get(&[b"*"]).into_iter().collect();
    let mut names: Vec<&str> = ours.keys().map(String::as_str).collect();
    let mut expected: Vec<&str> = redis.keys().copied().collect();
    names.sort_unstable();
    expected.sort_unstable();
    assert_eq!(names, expected, "CONFIG GET * names");
    for (name, value) in &redis {
        if !ENVIRONMENT_DEPENDENT.contains(name) {
            assert_eq!(ours[*name], *value, "default of {name}");
        }
    }
    assert_eq!(ours["port"], "6379");
    // Redust's own directive is hidden from patterns.
    assert_eq!(
        cfg.get(&[b"busy-poll-usec"]),
        [("busy-poll-usec".to_owned(), "50".to_owned())]
    );
}

#[test]
fn settings_reflect_defaults_and_changes() {
    let mut cfg = load(&[
        "--port",
        "7000",
        "--bind",
        "127.0.0.1",
        "::1",
        "--requirepass",
        "pw",
    ])
    .unwrap();
    let s = cfg.settings();
    assert_eq!(s.port, 7000);
    assert_eq!(s.bind, ["127.0.0.1", "::1"]);
    assert_eq!(s.requirepass.as_deref(), Some("pw"));
    assert_eq!(s.loglevel, LogLevel::Notice);
    assert_eq!(s.maxmemory_policy, MaxmemoryPolicy::NoEviction);
    assert_eq!(s.repl_diskless_load, ReplDisklessLoad::Disabled);
    let save: Vec<(u64, i32)> = s.save.iter().map(|p| (p.seconds, p.changes)).collect();
    assert_eq!(save, [(3600, 1), (300, 100), (60, 10000)]);
    assert_eq!(s.client_output_buffer_limit.replica.hard, 256 << 20);
    assert_eq!(s.proto_max_bulk_len, 512 << 20);
    assert_eq!(s.client_query_buffer_limit, 1 << 30);
    assert_eq!(s.list_max_listpack_size, -2);
    assert_eq!(s.dir, "/");
    assert_eq!(s.pidfile, None);
    set(
        &mut cfg,
        &[
            ("maxmemory-policy", "allkeys-lru"),
            ("loglevel", "warning"),
            ("notify-keyspace-events", "Ex"),
        ],
    )
    .unwrap();
    let s = cfg.settings();
    assert_eq!(s.maxmemory_policy, MaxmemoryPolicy::AllkeysLru);
    assert_eq!(s.loglevel, LogLevel::Warning);
    assert_eq!(s.notify_keyspace_events, notify::KEYEVENT | notify::EXPIRED);
}

#[test]
fn bad_directive_in_file() {
    let dir = TempDir::new();
    let file = dir.write("r.conf", "port 7000\nfoo bar\n");
    assert_eq!(
        fatal_text(load(&[&file]).unwrap_err()),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments"
    );
}

#[test]
fn bad_values_in_file_report_the_trimmed_line() {
    let dir = TempDir::new();
    let file = dir.write("r.conf", "# c\n\n  port   abc  \n");
    assert_eq!(
        fatal_text(load(&[&file]).unwrap_err()),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'port   abc'\nargument couldn't be parsed into an integer"
    );
    let cases = [
        ("port 1 2", "wrong number of arguments"),
        ("maxmemory 10x", "argument must be a memory value"),
        ("appendonly maybe", "argument must be 'yes' or 'no'"),
        (
            "loglevel loud",
            "argument(s) must be one of the following: debug, verbose, notice, warning",
        ),
        (
            "databases 0",
            "argument must be between 1 and 2147483647 inclusive",
        ),
        (
            "maxclients -1",
            "argument must be between 1 and 4294967295 inclusive",
        ),
        ("save 10", "Invalid save parameters"),
        (
            "requirepass \"abc",
            "Unbalanced quotes in configuration line",
        ),
        ("slaveof localhost 99999", "Invalid master port"),
        (
            "dbfilename a/b",
            "dbfilename can't be a path, just a filename",
        ),
        (
            "notify-keyspace-events Q",
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
        ),
        (
            "client-output-buffer-limit master 0 0 0",
            "Invalid client class specified in buffer limit configuration.",
        ),
        (
            "unixsocketperm 800",
            "argument couldn't be parsed as an octal number",
        ),
        (
            "unixsocketperm 1777",
            "argument must be between 0 and 777 inclusive",
        ),
        (
            "maxmemory-clients 101%",
            "percentage argument must be less or equal to 100",
        ),
        (
            "shutdown-on-sigint save nosave",
            "shutdown options SAVE and NOSAVE can't be used simultaneously",
        ),
        ("dir /nonexistent-redust-dir", "No such file or directory"),
        (
            "sentinel monitor x",
            "sentinel directive while not in sentinel mode",
        ),
        ("foo.bar", "Module config specified without value"),
        (
            "activedefrag yes",
            "Active defragmentation cannot be enabled: it requires a Redis server compiled with a \
             modified Jemalloc like the one shipped by default with the Redis source distribution",
        ),
    ];
    for (line, reason) in cases {
        let file = dir.write("r.conf", &format!("{line}\n"));
        let err = load(&[&file]).unwrap_err();
        assert_eq!(
            err,
            ConfigError::Fatal {
                line: Some((1, line.to_owned())),
                reason: reason.to_owned()
            }
        );
    }
}

#[test]
fn argv_options_are_lines_after_the_file() {
    let dir = TempDir::new();
    let file = dir.write("r.conf", "port 7000\n");
    let err = load(&[&file, "--port", "abc"]).unwrap_err();
    assert_eq!(
        fatal_text(err),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'port \"abc\"'\nargument couldn't be parsed into an integer"
    );
    let err = load(&["--maxmemory", "10x"]).unwrap_err();
    assert_eq!(
        err,
        ConfigError::Fatal {
            line: Some((2, "maxmemory \"10x\"".into())),
            reason: "argument must be a memory value".into()
        }
    );
    let no_newline = dir.write("n.conf", "port 7000");
    let err = load(&[&no_newline, "--foo", "1"]).unwrap_err();
    assert_eq!(
        err,
        ConfigError::Fatal {
            line: Some((2, "foo \"1\"".into())),
            reason: "Bad directive or wrong number of arguments".into()
        }
    );
    let err = load(&["--port", "1", "--port"]).unwrap_err();
    assert_eq!(
        err,
        ConfigError::Fatal {
            line: Some((3, "port".into())),
            reason: "wrong number of arguments".into()
        }
    );

    let cfg = load(&[&file, "--port", "7001"]).unwrap();
    assert_eq!(cfg.settings().port, 7001);
    assert_eq!(cfg.config_file(), Some(Path::new(&file)));
}

#[test]
fn argv_save_replicaof_and_friends() {
    assert_eq!(get1(&load(&["--save", ""]).unwrap(), "save"), "");
    assert_eq!(get1(&load(&["--save"]).unwrap(), "save"), "");
    assert_eq!(get1(&load(&["--save", "--port", "1"]).unwrap(), "save"), "");
    assert_eq!(
        get1(
            &load(&["--save", "100", "1", "--save", "200", "2"]).unwrap(),
            "save"
        ),
        "100 1 200 2"
    );
    assert_eq!(
        get1(&load(&["--save", "100 1 200 2"]).unwrap(), "save"),
        "100 1 200 2"
    );

    let cfg = load(&["--slaveof", "127.0.0.1", "6379"]).unwrap();
    assert_eq!(get1(&cfg, "replicaof"), "127.0.0.1 6379");
    assert_eq!(get1(&cfg, "slaveof"), "127.0.0.1 6379");
    assert_eq!(cfg.settings().replicaof, Some(("127.0.0.1".into(), 6379)));
    let cfg = load(&["--replicaof", "host 7000", "--slave-read-only", "no"]).unwrap();
    assert_eq!(cfg.settings().replicaof, Some(("host".into(), 7000)));
    assert!(!cfg.settings().replica_read_only);
    assert_eq!(
        load(&["--replicaof", "no", "one"])
            .unwrap()
            .settings()
            .replicaof,
        None
    );

    let cfg = load(&[
        "--hash-max-ziplist-entries",
        "5",
        "--maxmemory",
        "1gb",
        "--hz",
        "1000",
    ])
    .unwrap();
    assert_eq!(get1(&cfg, "hash-max-listpack-entries"), "5");
    assert_eq!(get1(&cfg, "maxmemory"), "1073741824");
    assert_eq!(get1(&cfg, "hz"), "500");
    assert_eq!(
        load(&["--cluster-enabled", "yes", "--replicaof", "h", "1"]).unwrap_err(),
        ConfigError::Fatal {
            line: None,
            reason: "replicaof directive not allowed in cluster mode".into()
        }
    );
}

#[test]
fn help_version_and_modules() {
    assert_eq!(load(&["-v"]).unwrap_err(), ConfigError::Version);
    assert_eq!(load(&["--version"]).unwrap_err().exit_code(), 0);
    assert_eq!(load(&["-h"]).unwrap_err(), ConfigError::Help);
    assert!(ConfigError::Help
        .to_string()
        .starts_with("Usage: ./redust-server [/path/to/redis.conf]"));
    assert!(matches!(
        load(&["--loadmodule", "/x.so"]),
        Err(ConfigError::Module(_))
    ));
    assert_eq!(
        load(&["--foo.bar", "1"]).unwrap_err().to_string(),
        "Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting"
    );
    let err = load(&["/nonexistent-redust/r.conf"]).unwrap_err();
    assert_eq!(err.to_string(), "Fatal error, can't open config file '/nonexistent-redust/r.conf': No such file or directory");
}

#[test]
fn file_only_directives() {
    let dir = TempDir::new();
    dir.write("inc.conf", "maxmemory 5mb\n");
    dir.write("bad.conf", "\nhz x\n");
    let file = dir.write(
        "r.conf",
        "include inc.conf\nrename-command FLUSHALL \"\"\nuser alice on >pw ~* +@all\n\
         list-max-ziplist-entries 5\nsentinel\n",
    );
    let cfg = load_in(dir.path(), &[&file]).unwrap();
    assert_eq!(cfg.settings().maxmemory, 5 << 20);
    assert_eq!(
        cfg.rename_commands(),
        [RenameCommand {
            from: "FLUSHALL".into(),
            to: String::new()
        }]
    );
    assert_eq!(cfg.users(), [vec!["alice", "on", ">pw", "~*", "+@all"]]);
    assert_eq!(cfg.not_in_effect(), ["user"]);

    // Errors in an included file point into that file.
    let file = dir.write("r.conf", "port 1\ninclude bad.conf\n");
    let err = load_in(dir.path(), &[&file]).unwrap_err();
    assert_eq!(
        err,
        ConfigError::Fatal {
            line: Some((2, "hz x".into())),
            reason: "argument couldn't be parsed into an integer".into()
        }
    );

    // Wildcards include every match, in name order, and nothing is fine.
    dir.write("a1.part", "save 10 1\n");
    dir.write("a2.part", "save 20 2\n");
    let file = dir.write("r.conf", "include a*.part\ninclude none*.part\n");
    assert_eq!(
        get1(&load_in(dir.path(), &[&file]).unwrap(), "save"),
        "10 1 20 2"
    );
}

#[test]
fn config_get_patterns() {
    let cfg = Config::default();
    let names = |patterns: &[&str]| -> Vec<String> {
        let patterns: Vec<&[u8]> = patterns.iter().map(|p| p.as_bytes()).collect();
        let mut n: Vec<String> = cfg.get(&patterns).into_iter().map(|(k, _)| k).collect();
        n.sort();
        n
    };
    assert_eq!(names(&["maxmemory"]), ["maxmemory"]);
    assert_eq!(names(&["PORT"]), ["PORT"]);
    assert_eq!(names(&["port", "PORT"]), ["port"]);
    assert_eq!(names(&["slave-read-only"]), ["slave-read-only"]);
    assert_eq!(names(&["nosuch"]), Vec::<String>::new());
    assert_eq!(
        names(&["maxmemory*"]),
        [
            "maxmemory",
            "maxmemory-clients",
            "maxmemory-eviction-tenacity",
            "maxmemory-policy",
            "maxmemory-samples"
        ]
    );
    assert_eq!(
        names(&["*read-only", "replica-read-*"]),
        ["replica-read-only", "slave-read-only"]
    );
    assert_eq!(names(&["hash-max-*-[ev]*"]).len(), 4);
    assert_eq!(names(&["?z"]), ["hz"]);
    // Hidden directives only answer to their exact name.
    assert_eq!(names(&["use-exit-on-panic"]), ["use-exit-on-panic"]);
    assert_eq!(names(&["use-exit*"]), Vec::<String>::new());
    assert_eq!(cfg.get(&[b"*"]).len(), 192);

    let got: HashMap<String, String> = cfg
        .get(&[b"save", b"client-output-buffer-limit", b"bind"])
        .into_iter()
        .collect();
    assert_eq!(got["save"], "3600 1 300 100 60 10000");
    assert_eq!(
        got["client-output-buffer-limit"],
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    );
    assert_eq!(got["bind"], "* -::*");
}

#[test]
fn config_set_values_and_formats() {
    let mut cfg = Config::default();
    assert_eq!(
        set(&mut cfg, &[("maxmemory", "1kb"), ("MAXCLIENTS", "5")]),
        Ok(vec!["maxmemory", "maxclients"])
    );
    assert_eq!(get1(&cfg, "maxmemory"), "1024");
    assert_eq!(cfg.settings().maxclients, 5);
    // Setting the same value again changes nothing.
    assert_eq!(set(&mut cfg, &[("maxmemory", "1024")]), Ok(vec![]));
    set(
        &mut cfg,
        &[
            ("maxmemory-clients", "10%"),
            ("save", "100 1 200 2"),
            ("slave-read-only", "no"),
        ],
    )
    .unwrap();
    assert_eq!(get1(&cfg, "maxmemory-clients"), "10%");
    assert_eq!(get1(&cfg, "save"), "100 1 200 2");
    assert_eq!(get1(&cfg, "replica-read-only"), "no");
    set(
        &mut cfg,
        &[("save", ""), ("bind", "127.0.0.1 ::1"), ("hz", "0")],
    )
    .unwrap();
    assert_eq!(get1(&cfg, "save"), "");
    assert_eq!(get1(&cfg, "bind"), "127.0.0.1 ::1");
    assert_eq!(get1(&cfg, "hz"), "1");
    set(
        &mut cfg,
        &[
            ("client-output-buffer-limit", "pubsub 1mb 2mb 3"),
            ("shutdown-on-sigint", "save now"),
        ],
    )
    .unwrap();
    assert_eq!(
        get1(&cfg, "client-output-buffer-limit"),
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 2097152 3"
    );
    assert_eq!(get1(&cfg, "shutdown-on-sigint"), "save now");
    set(
        &mut cfg,
        &[
            ("notify-keyspace-events", "KEA"),
            ("oom-score-adj", "relative"),
            ("requirepass", ""),
        ],
    )
    .unwrap();
    assert_eq!(get1(&cfg, "notify-keyspace-events"), "AKE");
    assert_eq!(get1(&cfg, "oom-score-adj"), "yes");
    assert_eq!(cfg.settings().requirepass, None);
}

#[test]
fn config_set_errors() {
    let mut cfg = Config::default();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("foo", "bar")], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"),
        (&[("maxmemory", "abc")], "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"),
        (&[("MAXMEMORY", "abc")], "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"),
        (&[("SLAVE-read-only", "maybe")], "ERR CONFIG SET failed (possibly related to argument 'slave-read-only') - argument must be 'yes' or 'no'"),
        (&[("port", "1"), ("port", "2")], "ERR CONFIG SET failed (possibly related to argument 'port') - duplicate parameter"),
        (&[("daemonize", "yes")], "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"),
        (&[("dir", "/tmp")], "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"),
        (&[("save", "1 2 3")], "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"),
        (&[("save", "100 1  200 2")], "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"),
        (&[("tls-replication", "yes")], "ERR CONFIG SET failed (possibly related to argument 'tls-replication') - Unable to update TLS configuration. Check server logs."),
        (&[("maxmemory", "1mb"), ("tls-cluster", "yes")], "ERR CONFIG SET failed (possibly related to argument 'tls-cluster') - Unable to update TLS configuration. Check server logs."),
        (&[("hz", "-1")], "ERR CONFIG SET failed (possibly related to argument 'hz') - argument must be between 0 and 2147483647 inclusive"),
        (&[("port", " 1")], "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer"),
        (&[("slowlog-max-len", "-1")], "ERR CONFIG SET failed (possibly related to argument 'slowlog-max-len') - argument must be between 0 and 9223372036854775807 inclusive"),
        (&[("maxmemory-clients", "-5%")], "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - argument must be a memory or percent value"),
        (&[("oom-score-adj-values", "1 2")], "ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - wrong number of arguments"),
        (&[("latency-tracking-info-percentiles", "50 101")], "ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"),
        (&[("cluster-announce-hostname", "a_b")], "ERR CONFIG SET failed (possibly related to argument 'cluster-announce-hostname') - Hostnames may only contain alphanumeric characters, hyphens or dots"),
        // The first unknown name wins over a later problem, not an earlier one.
        (&[("maxmemory", "1"), ("bar", "1"), ("daemonize", "no")], "ERR Unknown option or number of arguments for CONFIG SET - 'bar'"),
        (&[("daemonize", "no"), ("bar", "1")], "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"),
    ];
    for (pairs, err) in cases {
        assert_eq!(set(&mut cfg, pairs), Err(err.to_string()), "{pairs:?}");
    }
    // Alias and name are different parameters; the last one wins.
    set(
        &mut cfg,
        &[("slave-read-only", "no"), ("replica-read-only", "yes")],
    )
    .unwrap();
    assert!(cfg.settings().replica_read_only);
}

#[test]
fn config_set_is_atomic() {
    let mut cfg = Config::default();
    let err = set(
        &mut cfg,
        &[("maxmemory", "1mb"), ("timeout", "5"), ("hz", "nope")],
    )
    .unwrap_err();
    assert!(err.contains("'hz'"), "{err}");
    assert_eq!(get1(&cfg, "maxmemory"), "0");
    assert_eq!(cfg.settings().timeout, 0);
    assert!(cfg.not_in_effect().is_empty());
}

#[test]
fn config_set_context() {
    let mut cfg = load(&["--enable-protected-configs", "local"]).unwrap();
    let pairs = [(b"dbfilename".to_vec(), b"x.rdb".to_vec())];
    assert!(cfg.set(&pairs).is_err());
    let local = SetContext {
        local_client: true,
        loading: false,
    };
    assert_eq!(
        cfg.set_with(&pairs, local).map(|c| c.names),
        Ok(vec!["dbfilename"])
    );
    let loading = SetContext {
        local_client: true,
        loading: true,
    };
    let pairs = [(b"appendonly".to_vec(), b"yes".to_vec())];
    assert_eq!(cfg.set_with(&pairs, loading), Err(SetError::Loading));
    assert_eq!(
        SetError::Loading.to_string(),
        "LOADING Redis is loading the dataset in memory"
    );
    assert!(Config::is_sensitive(b"requirepass"));
    assert!(!Config::is_sensitive(b"port"));
}

#[test]
fn dir_is_resolved_not_entered() {
    let dir = TempDir::new();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let cfg = load_in(dir.path(), &["--dir", "sub", "--logfile", "x.log"]).unwrap();
    let sub = dir.path().join("sub");
    assert_eq!(cfg.settings().dir, sub.to_string_lossy());
    // The log file is opened relative to the new dir, as after Redis's chdir.
    assert!(sub.join("x.log").exists());
    let err = load_in(dir.path(), &["--logfile", "nodir/x.log"]).unwrap_err();
    assert_eq!(
        err,
        ConfigError::Fatal {
            line: None,
            reason: "Can't open the log file: No such file or directory".into()
        }
    );
}

#[test]
fn not_in_effect_lists_explicit_non_defaults() {
    let mut cfg = load(&[
        "--port",
        "7000",
        "--maxmemory",
        "0",
        "--appendonly",
        "yes",
        "--daemonize",
        "yes",
    ])
    .unwrap();
    assert_eq!(cfg.not_in_effect(), ["daemonize", "appendonly"]);
    set(
        &mut cfg,
        &[("appendonly", "no"), ("lazyfree-lazy-eviction", "yes")],
    )
    .unwrap();
    assert_eq!(cfg.not_in_effect(), ["daemonize", "lazyfree-lazy-eviction"]);
}

#[test]
fn rewrite_without_file() {
    assert_eq!(Config::default().rewrite(), Err(ConfigError::NoConfigFile));
    assert_eq!(
        ConfigError::NoConfigFile.to_string(),
        "The server is running without a config file"
    );
}

#[test]
fn rewrite_keeps_layout_like_redis() {
    let dir = TempDir::new();
    let original = "# my comment\nport 17380\nsave 100 1\nsave 200 2\n\n\nslave-read-only no\n\
                    maxmemory 100mb\ninclude empty.conf\nrename-command FLUSHALL \"\"\nbind 127.0.0.1\n\
                    loglevel verbose\n";
    dir.write("empty.conf", "");
    let file = dir.write("r.conf", original);
    let mut cfg = load_in(dir.path(), &[&file]).unwrap();
    set(
        &mut cfg,
        &[
            ("maxmemory", "0"),
            ("loglevel", "notice"),
            ("hz", "20"),
            ("requirepass", "secret"),
            ("notify-keyspace-events", "KEA"),
            ("client-output-buffer-limit", "replica 1gb 100mb 30"),
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    cfg.rewrite().unwrap();
    let d = dir.path().to_string_lossy();
    let expected = format!(
        "# my comment\nport 17380\nsave 100 1\nsave 200 2\n\nreplica-read-only no\nmaxmemory 0\n\
         include empty.conf\nrename-command FLUSHALL \"\"\nbind 127.0.0.1\nloglevel notice\n\
         \n# Generated by CONFIG REWRITE\nrequirepass \"secret\"\nhz 20\ndir \"{d}\"\n\
         client-output-buffer-limit replica 1gb 100mb 30\nnotify-keyspace-events \"AKE\"\n\
         latency-tracking-info-percentiles 50 99 99.9\nuser default on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~* &* +@all\n"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), expected);

    // Unsetting a string removes its line; a class back at its default
    // reuses the directive's first line, as Redis does.
    set(
        &mut cfg,
        &[
            ("requirepass", ""),
            (
                "client-output-buffer-limit",
                "replica 256mb 64mb 60 pubsub 1mb 1mb 1",
            ),
        ],
    )
    .unwrap();
    cfg.rewrite().unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("requirepass"), "{text}");
    assert!(
        text.contains("client-output-buffer-limit normal 0 0 0\n"),
        "{text}"
    );
    assert!(
        text.contains("\nclient-output-buffer-limit pubsub 1mb 1mb 1\n"),
        "{text}"
    );
    assert!(
        text.contains("\nuser default on nopass ~* &* +@all\n"),
        "{text}"
    );
    assert_eq!(text.matches("# Generated by CONFIG REWRITE").count(), 1);

    // The rewritten file loads back to the same configuration.
    let reloaded = load_in(dir.path(), &[&file]).unwrap();
    assert_eq!(reloaded.get(&[b"*"]), cfg.get(&[b"*"]));
}

#[test]
fn rewrite_creates_a_missing_file() {
    let dir = TempDir::new();
    let file = dir.write("r.conf", "");
    let mut cfg = load_in(dir.path(), &[&file]).unwrap();
    std::fs::remove_file(&file).unwrap();
    set(&mut cfg, &[("save", "")]).unwrap();
    cfg.rewrite().unwrap();
    let d = dir.path().to_string_lossy();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!(
            "# Generated by CONFIG REWRITE\ndir \"{d}\"\nsave \"\"\n\
             latency-tracking-info-percentiles 50 99 99.9\nuser default on nopass ~* &* +@all\n"
        )
    );
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 1, "temporary file left behind");
}

#[test]
fn config_set_reports_changes_and_hooks() {
    let mut cfg = Config::default();
    let pairs = |v: &[(&str, &str)]| -> Vec<(Vec<u8>, Vec<u8>)> {
        v.iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    };
    let changes = cfg
        .set(&pairs(&[
            ("maxmemory", "1mb"),
            ("timeout", "5"),
            ("maxmemory-policy", "allkeys-lru"),
            ("hash-max-ziplist-entries", "10"),
            ("loglevel", "notice"),
        ]))
        .unwrap();
    // loglevel kept its value: neither it nor its hook shows up.
    assert_eq!(
        changes.names,
        [
            "maxmemory",
            "timeout",
            "maxmemory-policy",
            "hash-max-listpack-entries"
        ]
    );
    assert_eq!(changes.apply, [Apply::Maxmemory, Apply::EncodingLimits]);
    let s = cfg.settings();
    assert_eq!(s.maxmemory_policy, MaxmemoryPolicy::AllkeysLru);
    assert_eq!(s.hash_max_listpack_entries, 10);
    let changes = cfg
        .set(&pairs(&[
            ("min-replicas-to-write", "1"),
            ("min-slaves-max-lag", "3"),
            ("loglevel", "debug"),
        ]))
        .unwrap();
    assert_eq!(changes.apply, [Apply::MinReplicas, Apply::LogLevel]);
}

#[test]
fn save_changes_are_a_c_int_like_redis() {
    let mut cfg = Config::default();
    set(&mut cfg, &[("save", "1 4294967295")]).unwrap();
    assert_eq!(get1(&cfg, "save"), "1 -1");
    assert_eq!(cfg.settings().save[0].min_changes(), 0);
}
