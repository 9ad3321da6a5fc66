//! The directive table: every standard config of Redis 7.0 (TLS ones
//! included, as in a TLS-enabled build), with its alias, flags, type,
//! bounds and default. Facts come from Redis's `config.c`.

/// CONFIG SET refuses it.
pub(super) const IMMUTABLE: u8 = 1 << 0;
/// CONFIG SET allows it only when `enable-protected-configs` permits.
pub(super) const PROTECTED: u8 = 1 << 1;
/// Its value must not show up in logs, SLOWLOG or MONITOR.
pub(super) const SENSITIVE: u8 = 1 << 2;
/// CONFIG GET returns it only for an exact name, never for a pattern.
pub(super) const HIDDEN: u8 = 1 << 3;
/// CONFIG SET refuses it while the dataset is loading.
pub(super) const DENY_LOADING: u8 = 1 << 4;
/// Takes several arguments (one string in CONFIG SET, split on spaces).
pub(super) const MULTI_ARG: u8 = 1 << 5;

/// Directives Redust honours. Everything else is accepted and reported by
/// `Config::not_in_effect` when set to a non-default value.
pub const IMPLEMENTED: &[&str] = &[
    "port",
    "bind",
    "protected-mode",
    "requirepass",
    "maxclients",
    "timeout",
    "databases",
    "loglevel",
    "logfile",
    "pidfile",
    "proto-max-bulk-len",
    "client-query-buffer-limit",
    "dir",
    "dbfilename",
    "rdbcompression",
    "rdbchecksum",
    "save",
    "stop-writes-on-bgsave-error",
    "rdb-key-save-delay",
    "io-threads",
    "busy-poll-usec",
    "client-output-buffer-limit",
    "hash-max-listpack-entries",
    "hash-max-listpack-value",
    "set-max-intset-entries",
    "zset-max-listpack-entries",
    "zset-max-listpack-value",
    "list-max-listpack-size",
    "replicaof",
    "masterauth",
    "masteruser",
    "replica-read-only",
    "replica-serve-stale-data",
    "repl-backlog-size",
    "repl-backlog-ttl",
    "repl-timeout",
    "repl-ping-replica-period",
    "repl-diskless-sync",
    "repl-diskless-sync-delay",
    "repl-diskless-sync-max-replicas",
    "repl-diskless-load",
    "replica-lazy-flush",
    "repl-disable-tcp-nodelay",
    "replica-announce-ip",
    "replica-announce-port",
    "min-replicas-to-write",
    "min-replicas-max-lag",
    "hz",
    "maxmemory",
    "maxmemory-policy",
    "maxmemory-samples",
    "maxmemory-eviction-tenacity",
    "lfu-log-factor",
    "lfu-decay-time",
    "replica-ignore-maxmemory",
    "notify-keyspace-events",
];

/// How a numeric directive's text is read and printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Unit {
    Integer,
    /// `1k`=1000, `1kb`=1024, `m`, `mb`, `g`, `gb`.
    Memory,
    /// A memory value or `N%` (stored as `-N`).
    MemoryOrPercent,
    /// Read and printed in base 8.
    Octal,
}

/// The special directives, each with its own syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Special {
    Dir,
    Save,
    ClientOutputBufferLimit,
    OomScoreAdjValues,
    NotifyKeyspaceEvents,
    Bind,
    ReplicaOf,
    LatencyTrackingInfoPercentiles,
}

pub(super) type EnumItems = &'static [(&'static str, u32)];

/// Extra validation of a parsed value; the error is Redis's text.
pub(super) type CheckResult = Result<(), &'static str>;
pub(super) type Check<T> = fn(T) -> CheckResult;

#[derive(Clone, Copy, Debug)]
pub(super) enum Kind {
    Bool {
        default: bool,
        check: Option<Check<bool>>,
    },
    /// Stored as C's `long long`; `unsigned` types compare bounds as u64.
    Num {
        min: i64,
        max: i64,
        default: i64,
        unit: Unit,
        unsigned: bool,
    },
    /// With `MULTI_ARG` the value is a set of bit flags.
    Enum {
        items: EnumItems,
        default: u32,
        check: Option<Check<u32>>,
    },
    /// `None` default: unset; `empty_is_null`: "" unsets it.
    Str {
        default: Option<&'static str>,
        empty_is_null: bool,
        check: Option<for<'a> fn(&'a str) -> CheckResult>,
    },
    Special(Special),
}

#[derive(Debug)]
pub(super) struct Directive {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub flags: u8,
    pub kind: Kind,
}

impl Directive {
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    pub fn implemented(&self) -> bool {
        IMPLEMENTED.contains(&self.name)
    }
}

/// Find a directive by name or alias, case-insensitively. The flag says
/// whether `name` was the alias.
pub(super) fn lookup(name: &[u8]) -> Option<(usize, bool)> {
    TABLE.iter().enumerate().find_map(|(i, d)| {
        if d.name.as_bytes().eq_ignore_ascii_case(name) {
            Some((i, false))
        } else if d
            .alias
            .is_some_and(|a| a.as_bytes().eq_ignore_ascii_case(name))
        {
            Some((i, true))
        } else {
            None
        }
    })
}

/// Index of a directive known to exist (used for typed access).
pub(super) fn index(name: &str) -> usize {
    match lookup(name.as_bytes()) {
        Some((i, false)) => i,
        _ => panic!("no directive named {name}"),
    }
}

const fn bool_(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    default: bool,
) -> Directive {
    Directive {
        name,
        alias,
        flags,
        kind: Kind::Bool {
            default,
            check: None,
        },
    }
}

const fn num(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    (min, max): (i64, i64),
    default: i64,
    unit: Unit,
) -> Directive {
    Directive {
        name,
        alias,
        flags,
        kind: Kind::Num {
            min,
            max,
            default,
            unit,
            unsigned: false,
        },
    }
}

/// For C's unsigned int, unsigned long long and size_t configs.
const fn unum(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    (min, max): (i64, i64),
    default: i64,
    unit: Unit,
) -> Directive {
    Directive {
        name,
        alias,
        flags,
        kind: Kind::Num {
            min,
            max,
            default,
            unit,
            unsigned: true,
        },
    }
}

const fn enum_(name: &'static str, flags: u8, items: EnumItems, default: u32) -> Directive {
    Directive {
        name,
        alias: None,
        flags,
        kind: Kind::Enum {
            items,
            default,
            check: None,
        },
    }
}

const fn str_(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    default: Option<&'static str>,
    empty_is_null: bool,
) -> Directive {
    Directive {
        name,
        alias,
        flags,
        kind: Kind::Str {
            default,
            empty_is_null,
            check: None,
        },
    }
}

const fn special(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    s: Special,
) -> Directive {
    Directive {
        name,
        alias,
        flags,
        kind: Kind::Special(s),
    }
}

const fn checked_str(
    name: &'static str,
    flags: u8,
    default: &'static str,
    check: fn(&str) -> Result<(), &'static str>,
) -> Directive {
    Directive {
        name,
        alias: None,
        flags,
        kind: Kind::Str {
            default: Some(default),
            empty_is_null: false,
            check: Some(check),
        },
    }
}

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
/// ULLONG_MAX as C stores it in a `long long` bound.
const ULLONG_MAX: i64 = -1;
const MB: i64 = 1024 * 1024;

use Unit::{Integer, Memory, MemoryOrPercent, Octal};

pub(super) const MAXMEMORY_POLICIES: EnumItems = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 3),
    ("volatile-ttl", 2),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
pub(super) const LOGLEVELS: EnumItems =
    &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
pub(super) const REPL_DISKLESS_LOAD: EnumItems =
    &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const SYSLOG_FACILITIES: EnumItems = &[
    ("user", 8),
    ("local0", 128),
    ("local1", 136),
    ("local2", 144),
    ("local3", 152),
    ("local4", 160),
    ("local5", 168),
    ("local6", 176),
    ("local7", 184),
];
const SUPERVISED: EnumItems = &[("upstart", 3), ("systemd", 2), ("auto", 1), ("no", 0)];
const AOF_FSYNC: EnumItems = &[("everysec", 2), ("always", 1), ("no", 0)];
const SHUTDOWN_SAVE: u32 = 1;
const SHUTDOWN_NOSAVE: u32 = 2;
const SHUTDOWN_ON_SIG: EnumItems = &[
    ("default", 0),
    ("save", SHUTDOWN_SAVE),
    ("nosave", SHUTDOWN_NOSAVE),
    ("now", 4),
    ("force", 8),
];
const TLS_AUTH_CLIENTS: EnumItems = &[("no", 0), ("yes", 1), ("optional", 2)];
const OOM_SCORE_ADJ: EnumItems = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB_DEFAULT: EnumItems = &[("allchannels", 8), ("resetchannels", 0)];
const SANITIZE_DUMP_PAYLOAD: EnumItems = &[("no", 0), ("yes", 1), ("clients", 2)];
pub(super) const PROTECTED_ACTION: EnumItems = &[("no", 0), ("yes", 1), ("local", 2)];
const CLUSTER_ENDPOINT_TYPE: EnumItems = &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR_BEHAVIOR: EnumItems =
    &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];

/// Like a Redis built without jemalloc's defrag hints (Debian's build).
fn check_active_defrag(on: bool) -> Result<(), &'static str> {
    if on {
        return Err(
            "Active defragmentation cannot be enabled: it requires a Redis server compiled \
                    with a modified Jemalloc like the one shipped by default with the Redis source \
                    distribution",
        );
    }
    Ok(())
}

fn check_shutdown_flags(v: u32) -> Result<(), &'static str> {
    if v & SHUTDOWN_SAVE != 0 && v & SHUTDOWN_NOSAVE != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously");
    }
    Ok(())
}

fn is_base_name(v: &str) -> bool {
    !v.contains('/') && !v.contains('\\')
}

fn check_dbfilename(v: &str) -> Result<(), &'static str> {
    if is_base_name(v) {
        Ok(())
    } else {
        Err("dbfilename can't be a path, just a filename")
    }
}

fn check_appendfilename(v: &str) -> Result<(), &'static str> {
    match v {
        "" => Err("appendfilename can't be empty"),
        v if !is_base_name(v) => Err("appendfilename can't be a path, just a filename"),
        _ => Ok(()),
    }
}

fn check_appenddirname(v: &str) -> Result<(), &'static str> {
    match v {
        "" => Err("appenddirname can't be empty"),
        v if !is_base_name(v) => Err("appenddirname can't be a path, just a dirname"),
        _ => Ok(()),
    }
}

fn check_hostname(v: &str) -> Result<(), &'static str> {
    // NET_HOST_STR_LEN is 256.
    if v.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if !v
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
    Ok(())
}

/// A proc title template must only use known `{variables}` and must not
/// expand to blanks (`{server-mode}` and `{unixsocket}` may be empty).
fn check_proc_title(v: &str) -> Result<(), &'static str> {
    const ERR: &str = "template format is invalid or contains unknown variables";
    let mut expanded = String::new();
    let mut rest = v;
    while let Some(open) = rest.find('{') {
        expanded.push_str(&rest[..open]);
        rest = &rest[open + 1..];
        if rest.is_empty() {
            return Err(ERR);
        }
        if let Some(r) = rest.strip_prefix('{') {
            expanded.push('{');
            rest = r;
            continue;
        }
        let close = rest.find('}').ok_or(ERR)?;
        match &rest[..close] {
            "title" | "server-mode" | "unixsocket" => {}
            "listen-addr" | "config-file" | "port" | "tls-port" => expanded.push('x'),
            _ => return Err(ERR),
        }
        rest = &rest[close + 1..];
    }
    expanded.push_str(rest);
    if expanded.trim_matches(' ').is_empty() {
        return Err(ERR);
    }
    Ok(())
}

#[rustfmt::skip]
pub(super) static TABLE: &[Directive] = &[
    // Booleans.
    bool_("rdbchecksum", None, IMMUTABLE, true),
    bool_("daemonize", None, IMMUTABLE, false),
    bool_("io-threads-do-reads", None, IMMUTABLE, false),
    bool_("always-show-logo", None, IMMUTABLE, false),
    bool_("protected-mode", None, 0, true),
    bool_("rdbcompression", None, 0, true),
    bool_("rdb-del-sync-files", None, 0, false),
    bool_("activerehashing", None, 0, true),
    bool_("stop-writes-on-bgsave-error", None, 0, true),
    bool_("set-proc-title", None, IMMUTABLE, true),
    bool_("dynamic-hz", None, 0, true),
    bool_("lazyfree-lazy-eviction", None, 0, false),
    bool_("lazyfree-lazy-expire", None, 0, false),
    bool_("lazyfree-lazy-server-del", None, 0, false),
    bool_("lazyfree-lazy-user-del", None, 0, false),
    bool_("lazyfree-lazy-user-flush", None, 0, false),
    bool_("repl-disable-tcp-nodelay", None, 0, false),
    bool_("repl-diskless-sync", None, 0, true),
    bool_("aof-rewrite-incremental-fsync", None, 0, true),
    bool_("no-appendfsync-on-rewrite", None, 0, false),
    bool_("cluster-require-full-coverage", None, 0, true),
    bool_("rdb-save-incremental-fsync", None, 0, true),
    bool_("aof-load-truncated", None, 0, true),
    bool_("aof-use-rdb-preamble", None, 0, true),
    bool_("aof-timestamp-enabled", None, 0, false),
    bool_("cluster-replica-no-failover", Some("cluster-slave-no-failover"), 0, false),
    bool_("replica-lazy-flush", Some("slave-lazy-flush"), 0, false),
    bool_("replica-serve-stale-data", Some("slave-serve-stale-data"), 0, true),
    bool_("replica-read-only", Some("slave-read-only"), 0, true),
    bool_("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), 0, true),
    bool_("jemalloc-bg-thread", None, 0, true),
    Directive { name: "activedefrag", alias: None, flags: 0,
        kind: Kind::Bool { default: false, check: Some(check_active_defrag) } },
    bool_("syslog-enabled", None, IMMUTABLE, false),
    bool_("cluster-enabled", None, IMMUTABLE, false),
    bool_("appendonly", None, DENY_LOADING, false),
    bool_("cluster-allow-reads-when-down", None, 0, false),
    bool_("cluster-allow-pubsubshard-when-down", None, 0, true),
    bool_("crash-log-enabled", None, 0, true),
    bool_("crash-memcheck-enabled", None, 0, true),
    bool_("use-exit-on-panic", None, HIDDEN, false),
    bool_("disable-thp", None, IMMUTABLE, true),
    bool_("cluster-allow-replica-migration", None, 0, true),
    bool_("replica-announced", None, 0, true),
    bool_("latency-tracking", None, 0, true),
    bool_("aof-disable-auto-gc", None, 0, false),
    bool_("replica-ignore-disk-write-errors", None, 0, false),
    // Strings.
    str_("aclfile", None, IMMUTABLE, Some(""), false),
    str_("unixsocket", None, IMMUTABLE, None, true),
    str_("pidfile", None, IMMUTABLE, None, true),
    str_("replica-announce-ip", Some("slave-announce-ip"), 0, None, true),
    str_("masteruser", None, SENSITIVE, None, true),
    str_("cluster-announce-ip", None, 0, None, true),
    str_("cluster-config-file", None, IMMUTABLE, Some("nodes.conf"), false),
    Directive { name: "cluster-announce-hostname", alias: None, flags: 0,
        kind: Kind::Str { default: None, empty_is_null: true, check: Some(check_hostname) } },
    str_("syslog-ident", None, IMMUTABLE, Some("redis"), false),
    checked_str("dbfilename", PROTECTED, "dump.rdb", check_dbfilename),
    checked_str("appendfilename", IMMUTABLE, "appendonly.aof", check_appendfilename),
    checked_str("appenddirname", IMMUTABLE, "appendonlydir", check_appenddirname),
    str_("server_cpulist", None, IMMUTABLE, None, true),
    str_("bio_cpulist", None, IMMUTABLE, None, true),
    str_("aof_rewrite_cpulist", None, IMMUTABLE, None, true),
    str_("bgsave_cpulist", None, IMMUTABLE, None, true),
    str_("ignore-warnings", None, 0, Some(""), false),
    checked_str("proc-title-template", 0, "{title} {listen-addr} {server-mode}", check_proc_title),
    str_("bind-source-addr", None, 0, None, true),
    str_("logfile", None, IMMUTABLE, Some(""), false),
    str_("masterauth", None, SENSITIVE, None, true),
    str_("requirepass", None, SENSITIVE, None, true),
    // Enums.
    enum_("supervised", IMMUTABLE, SUPERVISED, 0),
    enum_("syslog-facility", IMMUTABLE, SYSLOG_FACILITIES, 128),
    enum_("repl-diskless-load", DENY_LOADING, REPL_DISKLESS_LOAD, 0),
    enum_("loglevel", 0, LOGLEVELS, 2),
    enum_("maxmemory-policy", 0, MAXMEMORY_POLICIES, 7),
    enum_("appendfsync", 0, AOF_FSYNC, 2),
    enum_("oom-score-adj", 0, OOM_SCORE_ADJ, 0),
    enum_("acl-pubsub-default", 0, ACL_PUBSUB_DEFAULT, 0),
    enum_("sanitize-dump-payload", 0, SANITIZE_DUMP_PAYLOAD, 0),
    enum_("enable-protected-configs", IMMUTABLE, PROTECTED_ACTION, 0),
    enum_("enable-debug-command", IMMUTABLE, PROTECTED_ACTION, 0),
    enum_("enable-module-command", IMMUTABLE, PROTECTED_ACTION, 0),
    enum_("cluster-preferred-endpoint-type", 0, CLUSTER_ENDPOINT_TYPE, 0),
    enum_("propagation-error-behavior", 0, PROPAGATION_ERROR_BEHAVIOR, 0),
    Directive { name: "shutdown-on-sigint", alias: None, flags: MULTI_ARG,
        kind: Kind::Enum { items: SHUTDOWN_ON_SIG, default: 0, check: Some(check_shutdown_flags) } },
    Directive { name: "shutdown-on-sigterm", alias: None, flags: MULTI_ARG,
        kind: Kind::Enum { items: SHUTDOWN_ON_SIG, default: 0, check: Some(check_shutdown_flags) } },
    // C int.
    num("databases", None, IMMUTABLE, (1, INT_MAX), 16, Integer),
    num("port", None, 0, (0, 65535), 6379, Integer),
    num("io-threads", None, IMMUTABLE, (1, 128), 1, Integer),
    num("auto-aof-rewrite-percentage", None, 0, (0, INT_MAX), 100, Integer),
    num("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), 0, (0, INT_MAX), 10, Integer),
    num("list-max-listpack-size", Some("list-max-ziplist-size"), 0, (INT_MIN, INT_MAX), -2, Integer),
    num("tcp-keepalive", None, 0, (0, INT_MAX), 300, Integer),
    num("cluster-migration-barrier", None, 0, (0, INT_MAX), 1, Integer),
    num("active-defrag-cycle-min", None, 0, (1, 99), 1, Integer),
    num("active-defrag-cycle-max", None, 0, (1, 99), 25, Integer),
    num("active-defrag-threshold-lower", None, 0, (0, 1000), 10, Integer),
    num("active-defrag-threshold-upper", None, 0, (0, 1000), 100, Integer),
    num("lfu-log-factor", None, 0, (0, INT_MAX), 10, Integer),
    num("lfu-decay-time", None, 0, (0, INT_MAX), 1, Integer),
    num("replica-priority", Some("slave-priority"), 0, (0, INT_MAX), 100, Integer),
    num("repl-diskless-sync-delay", None, 0, (0, INT_MAX), 5, Integer),
    num("maxmemory-samples", None, 0, (1, INT_MAX), 5, Integer),
    num("maxmemory-eviction-tenacity", None, 0, (0, 100), 10, Integer),
    num("timeout", None, 0, (0, INT_MAX), 0, Integer),
    num("replica-announce-port", Some("slave-announce-port"), 0, (0, 65535), 0, Integer),
    num("tcp-backlog", None, IMMUTABLE, (0, INT_MAX), 511, Integer),
    num("cluster-port", None, IMMUTABLE, (0, 65535), 0, Integer),
    num("cluster-announce-bus-port", None, 0, (0, 65535), 0, Integer),
    num("cluster-announce-port", None, 0, (0, 65535), 0, Integer),
    num("cluster-announce-tls-port", None, 0, (0, 65535), 0, Integer),
    num("repl-timeout", None, 0, (1, INT_MAX), 60, Integer),
    num("repl-ping-replica-period", Some("repl-ping-slave-period"), 0, (1, INT_MAX), 10, Integer),
    num("list-compress-depth", None, 0, (0, INT_MAX), 0, Integer),
    num("rdb-key-save-delay", None, HIDDEN, (INT_MIN, INT_MAX), 0, Integer),
    num("key-load-delay", None, HIDDEN, (INT_MIN, INT_MAX), 0, Integer),
    num("active-expire-effort", None, 0, (1, 10), 1, Integer),
    num("hz", None, 0, (0, INT_MAX), 10, Integer),
    num("min-replicas-to-write", Some("min-slaves-to-write"), 0, (0, INT_MAX), 0, Integer),
    num("min-replicas-max-lag", Some("min-slaves-max-lag"), 0, (0, INT_MAX), 10, Integer),
    num("watchdog-period", None, HIDDEN, (0, INT_MAX), 0, Integer),
    // Redust's own: the longest busy-poll before the event loop sleeps.
    num("busy-poll-usec", None, IMMUTABLE | HIDDEN, (0, 1000), 50, Integer),
    num("shutdown-timeout", None, 0, (0, INT_MAX), 10, Integer),
    num("repl-diskless-sync-max-replicas", None, 0, (0, INT_MAX), 0, Integer),
    // C unsigned int.
    unum("maxclients", None, 0, (1, UINT_MAX), 10000, Integer),
    unum("unixsocketperm", None, IMMUTABLE, (0, 0o777), 0, Octal),
    unum("socket-mark-id", None, IMMUTABLE, (0, UINT_MAX), 0, Integer),
    // C unsigned long (bounds compared as signed, like Redis).
    num("active-defrag-max-scan-fields", None, 0, (1, LONG_MAX), 1000, Integer),
    num("slowlog-max-len", None, 0, (0, LONG_MAX), 128, Integer),
    num("acllog-max-len", None, 0, (0, LONG_MAX), 128, Integer),
    // C long long.
    num("busy-reply-threshold", Some("lua-time-limit"), 0, (0, LONG_MAX), 5000, Integer),
    num("cluster-node-timeout", None, 0, (0, LONG_MAX), 15000, Integer),
    num("slowlog-log-slower-than", None, 0, (-1, LONG_MAX), 10000, Integer),
    num("latency-monitor-threshold", None, 0, (0, LONG_MAX), 0, Integer),
    num("proto-max-bulk-len", None, 0, (MB, LONG_MAX), 512 * MB, Memory),
    num("stream-node-max-entries", None, 0, (0, LONG_MAX), 100, Integer),
    num("repl-backlog-size", None, 0, (1, LONG_MAX), MB, Memory),
    // C unsigned long long.
    unum("maxmemory", None, 0, (0, ULLONG_MAX), 0, Memory),
    unum("cluster-link-sendbuf-limit", None, 0, (0, ULLONG_MAX), 0, Memory),
    // C size_t.
    unum("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), 0, (0, LONG_MAX), 512, Integer),
    unum("set-max-intset-entries", None, 0, (0, LONG_MAX), 512, Integer),
    unum("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), 0, (0, LONG_MAX), 128, Integer),
    unum("active-defrag-ignore-bytes", None, 0, (1, LONG_MAX), 100 * MB, Memory),
    unum("hash-max-listpack-value", Some("hash-max-ziplist-value"), 0, (0, LONG_MAX), 64, Memory),
    unum("stream-node-max-bytes", None, 0, (0, LONG_MAX), 4096, Memory),
    unum("zset-max-listpack-value", Some("zset-max-ziplist-value"), 0, (0, LONG_MAX), 64, Memory),
    unum("hll-sparse-max-bytes", None, 0, (0, LONG_MAX), 3000, Memory),
    unum("tracking-table-max-keys", None, 0, (0, LONG_MAX), 1_000_000, Integer),
    unum("client-query-buffer-limit", None, 0, (MB, LONG_MAX), 1024 * MB, Memory),
    // C ssize_t, time_t, off_t.
    num("maxmemory-clients", None, 0, (-100, LONG_MAX), 0, MemoryOrPercent),
    num("repl-backlog-ttl", None, 0, (0, LONG_MAX), 3600, Integer),
    num("auto-aof-rewrite-min-size", None, 0, (0, LONG_MAX), 64 * MB, Memory),
    num("loading-process-events-interval-bytes", None, HIDDEN, (1024, INT_MAX), 2 * MB, Integer),
    // TLS.
    num("tls-port", None, 0, (0, 65535), 0, Integer),
    num("tls-session-cache-size", None, 0, (0, INT_MAX), 20 * 1024, Integer),
    num("tls-session-cache-timeout", None, 0, (0, INT_MAX), 300, Integer),
    bool_("tls-cluster", None, 0, false),
    bool_("tls-replication", None, 0, false),
    enum_("tls-auth-clients", 0, TLS_AUTH_CLIENTS, 1),
    bool_("tls-prefer-server-ciphers", None, 0, false),
    bool_("tls-session-caching", None, 0, true),
    str_("tls-cert-file", None, 0, None, true),
    str_("tls-key-file", None, 0, None, true),
    str_("tls-key-file-pass", None, 0, None, true),
    str_("tls-client-cert-file", None, 0, None, true),
    str_("tls-client-key-file", None, 0, None, true),
    str_("tls-client-key-file-pass", None, 0, None, true),
    str_("tls-dh-params-file", None, 0, None, true),
    str_("tls-ca-cert-file", None, 0, None, true),
    str_("tls-ca-cert-dir", None, 0, None, true),
    str_("tls-protocols", None, 0, None, true),
    str_("tls-ciphers", None, 0, None, true),
    str_("tls-ciphersuites", None, 0, None, true),
    // Special syntax.
    special("dir", None, PROTECTED | DENY_LOADING, Special::Dir),
    special("save", None, MULTI_ARG, Special::Save),
    special("client-output-buffer-limit", None, MULTI_ARG, Special::ClientOutputBufferLimit),
    special("oom-score-adj-values", None, MULTI_ARG, Special::OomScoreAdjValues),
    special("notify-keyspace-events", None, 0, Special::NotifyKeyspaceEvents),
    special("bind", None, MULTI_ARG, Special::Bind),
    special("replicaof", Some("slaveof"), IMMUTABLE | MULTI_ARG, Special::ReplicaOf),
    special("latency-tracking-info-percentiles", None, MULTI_ARG, Special::LatencyTrackingInfoPercentiles),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lowercase() {
        let mut seen = std::collections::HashSet::new();
        for d in TABLE {
            for name in std::iter::once(d.name).chain(d.alias) {
                assert_eq!(name, name.to_ascii_lowercase());
                assert!(seen.insert(name), "duplicate {name}");
            }
        }
        // Redis 7.0's 178 and Redust's busy-poll-usec.
        assert_eq!(TABLE.len(), 179);
        for name in IMPLEMENTED {
            index(name);
        }
    }

    #[test]
    fn lookup_finds_aliases() {
        assert_eq!(lookup(b"SLAVEOF"), Some((index("replicaof"), true)));
        assert_eq!(lookup(b"Port"), Some((index("port"), false)));
        assert_eq!(lookup(b"nope"), None);
    }

    #[test]
    fn proc_title_templates() {
        assert!(check_proc_title("{title} {listen-addr} {server-mode}").is_ok());
        assert!(check_proc_title("{foo}").is_err());
        assert!(check_proc_title("{server-mode}").is_err());
        assert!(check_proc_title("x {{").is_ok());
        assert!(check_proc_title("{title").is_err());
    }
}
