//! The directive table: every standard config of Redis 7.0 (TLS ones
//! included, as in a TLS-enabled build) plus Redust's own, one row each:
//! name, type with default and bounds, the [`Settings`] field it fills,
//! then alias, flags, apply hook and whether Redust acts on it. Facts come
//! from Redis's `config.c`; the order is Redis's (CONFIG GET `*` and
//! CONFIG REWRITE follow it).
//!
//! [`Settings`]: crate::Settings

use crate::directive::{
    Apply, Check, Directive, EnumSlot, Field, IntSlot, IntSpec, Kind, StrCheck, DENY_LOADING,
    HIDDEN, IMMUTABLE, MULTI_ARG, PROTECTED, SENSITIVE,
};
use crate::settings::shutdown;
use crate::settings::{
    AclPubsubDefault, AppendFsync, ClusterEndpointType, LogLevel, OomScoreAdj,
    PropagationErrorBehavior, ProtectedAction, ReplDisklessLoad, SanitizeDumpPayload, Supervised,
    SyslogFacility, TlsAuthClients,
};
use crate::special::Special;
use crate::value::{FlagItems, Unit};
use crate::MaxmemoryPolicy;

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
/// ULLONG_MAX as C stores it in a `long long` bound.
const ULLONG_MAX: i64 = -1;
const MB: i64 = 1024 * 1024;

use Unit::{Integer, Memory, MemoryOrPercent, Octal};

#[rustfmt::skip]
pub(crate) static TABLE: &[Directive] = &[
    // Booleans.
    boolean("rdbchecksum", field!(rdbchecksum), true).flags(IMMUTABLE).in_effect(),
    boolean("daemonize", field!(daemonize), false).flags(IMMUTABLE),
    boolean("io-threads-do-reads", field!(io_threads_do_reads), false).flags(IMMUTABLE),
    boolean("always-show-logo", field!(always_show_logo), false).flags(IMMUTABLE),
    boolean("protected-mode", field!(protected_mode), true).in_effect(),
    boolean("rdbcompression", field!(rdbcompression), true).apply(Apply::RdbCompression).in_effect(),
    boolean("rdb-del-sync-files", field!(rdb_del_sync_files), false),
    boolean("activerehashing", field!(activerehashing), true),
    boolean("stop-writes-on-bgsave-error", field!(stop_writes_on_bgsave_error), true).in_effect(),
    boolean("set-proc-title", field!(set_proc_title), true).flags(IMMUTABLE),
    boolean("dynamic-hz", field!(dynamic_hz), true),
    boolean("lazyfree-lazy-eviction", field!(lazyfree_lazy_eviction), false),
    boolean("lazyfree-lazy-expire", field!(lazyfree_lazy_expire), false),
    boolean("lazyfree-lazy-server-del", field!(lazyfree_lazy_server_del), false),
    boolean("lazyfree-lazy-user-del", field!(lazyfree_lazy_user_del), false),
    boolean("lazyfree-lazy-user-flush", field!(lazyfree_lazy_user_flush), false),
    boolean("repl-disable-tcp-nodelay", field!(repl_disable_tcp_nodelay), false).apply(Apply::ReplNoDelay).in_effect(),
    boolean("repl-diskless-sync", field!(repl_diskless_sync), true).in_effect(),
    boolean("aof-rewrite-incremental-fsync", field!(aof_rewrite_incremental_fsync), true),
    boolean("no-appendfsync-on-rewrite", field!(no_appendfsync_on_rewrite), false),
    boolean("cluster-require-full-coverage", field!(cluster_require_full_coverage), true),
    boolean("rdb-save-incremental-fsync", field!(rdb_save_incremental_fsync), true),
    boolean("aof-load-truncated", field!(aof_load_truncated), true),
    boolean("aof-use-rdb-preamble", field!(aof_use_rdb_preamble), true),
    boolean("aof-timestamp-enabled", field!(aof_timestamp_enabled), false),
    boolean("cluster-replica-no-failover", field!(cluster_replica_no_failover), false).alias("cluster-slave-no-failover"),
    boolean("replica-lazy-flush", field!(replica_lazy_flush), false).alias("slave-lazy-flush").in_effect(),
    boolean("replica-serve-stale-data", field!(replica_serve_stale_data), true).alias("slave-serve-stale-data").in_effect(),
    boolean("replica-read-only", field!(replica_read_only), true).alias("slave-read-only").in_effect(),
    boolean("replica-ignore-maxmemory", field!(replica_ignore_maxmemory), true).alias("slave-ignore-maxmemory").apply(Apply::Maxmemory).in_effect(),
    boolean("jemalloc-bg-thread", field!(jemalloc_bg_thread), true),
    bool_checked("activedefrag", field!(activedefrag), false, check_active_defrag),
    boolean("syslog-enabled", field!(syslog_enabled), false).flags(IMMUTABLE),
    boolean("cluster-enabled", field!(cluster_enabled), false).flags(IMMUTABLE),
    boolean("appendonly", field!(appendonly), false).flags(DENY_LOADING),
    boolean("cluster-allow-reads-when-down", field!(cluster_allow_reads_when_down), false),
    boolean("cluster-allow-pubsubshard-when-down", field!(cluster_allow_pubsubshard_when_down), true),
    boolean("crash-log-enabled", field!(crash_log_enabled), true),
    boolean("crash-memcheck-enabled", field!(crash_memcheck_enabled), true),
    boolean("use-exit-on-panic", field!(use_exit_on_panic), false).flags(HIDDEN),
    boolean("disable-thp", field!(disable_thp), true).flags(IMMUTABLE),
    boolean("cluster-allow-replica-migration", field!(cluster_allow_replica_migration), true),
    boolean("replica-announced", field!(replica_announced), true),
    boolean("latency-tracking", field!(latency_tracking), true).apply(Apply::Introspection).in_effect(),
    boolean("aof-disable-auto-gc", field!(aof_disable_auto_gc), false),
    boolean("replica-ignore-disk-write-errors", field!(replica_ignore_disk_write_errors), false),
    // Strings.
    string("aclfile", field!(aclfile), "").flags(IMMUTABLE),
    opt_string("unixsocket", field!(unixsocket)).flags(IMMUTABLE),
    opt_string("pidfile", field!(pidfile)).flags(IMMUTABLE).in_effect(),
    opt_string("replica-announce-ip", field!(replica_announce_ip)).alias("slave-announce-ip").in_effect(),
    opt_string("masteruser", field!(masteruser)).flags(SENSITIVE).in_effect(),
    opt_string("cluster-announce-ip", field!(cluster_announce_ip)),
    string("cluster-config-file", field!(cluster_config_file), "nodes.conf").flags(IMMUTABLE),
    opt_string_checked("cluster-announce-hostname", field!(cluster_announce_hostname), check_hostname),
    string("syslog-ident", field!(syslog_ident), "redis").flags(IMMUTABLE),
    string_checked("dbfilename", field!(dbfilename), "dump.rdb", check_dbfilename).flags(PROTECTED).in_effect(),
    string_checked("appendfilename", field!(appendfilename), "appendonly.aof", check_appendfilename).flags(IMMUTABLE),
    string_checked("appenddirname", field!(appenddirname), "appendonlydir", check_appenddirname).flags(IMMUTABLE),
    opt_string("server_cpulist", field!(server_cpulist)).flags(IMMUTABLE),
    opt_string("bio_cpulist", field!(bio_cpulist)).flags(IMMUTABLE),
    opt_string("aof_rewrite_cpulist", field!(aof_rewrite_cpulist)).flags(IMMUTABLE),
    opt_string("bgsave_cpulist", field!(bgsave_cpulist)).flags(IMMUTABLE),
    string("ignore-warnings", field!(ignore_warnings), ""),
    string_checked("proc-title-template", field!(proc_title_template), "{title} {listen-addr} {server-mode}", check_proc_title),
    opt_string("bind-source-addr", field!(bind_source_addr)),
    string("logfile", field!(logfile), "").flags(IMMUTABLE).in_effect(),
    opt_string("masterauth", field!(masterauth)).flags(SENSITIVE).in_effect(),
    opt_string("requirepass", field!(requirepass)).flags(SENSITIVE).in_effect(),
    // Enums.
    enumeration("supervised", enum_field!(supervised, Supervised::No)).flags(IMMUTABLE),
    enumeration("syslog-facility", enum_field!(syslog_facility, SyslogFacility::Local0)).flags(IMMUTABLE),
    enumeration("repl-diskless-load", enum_field!(repl_diskless_load, ReplDisklessLoad::Disabled)).flags(DENY_LOADING).in_effect(),
    enumeration("loglevel", enum_field!(loglevel, LogLevel::Notice)).apply(Apply::LogLevel).in_effect(),
    enumeration("maxmemory-policy", enum_field!(maxmemory_policy, MaxmemoryPolicy::NoEviction)).apply(Apply::Maxmemory).in_effect(),
    enumeration("appendfsync", enum_field!(appendfsync, AppendFsync::Everysec)),
    enumeration("oom-score-adj", enum_field!(oom_score_adj, OomScoreAdj::No)),
    enumeration("acl-pubsub-default", enum_field!(acl_pubsub_default, AclPubsubDefault::ResetChannels)),
    enumeration("sanitize-dump-payload", enum_field!(sanitize_dump_payload, SanitizeDumpPayload::No)),
    enumeration("enable-protected-configs", enum_field!(enable_protected_configs, ProtectedAction::No)).flags(IMMUTABLE).in_effect(),
    enumeration("enable-debug-command", enum_field!(enable_debug_command, ProtectedAction::No)).flags(IMMUTABLE).in_effect(),
    enumeration("enable-module-command", enum_field!(enable_module_command, ProtectedAction::No)).flags(IMMUTABLE),
    enumeration("cluster-preferred-endpoint-type", enum_field!(cluster_preferred_endpoint_type, ClusterEndpointType::Ip)),
    enumeration("propagation-error-behavior", enum_field!(propagation_error_behavior, PropagationErrorBehavior::Ignore)),
    bit_flags("shutdown-on-sigint", field!(shutdown_on_sigint), SHUTDOWN_ON_SIG, 0, check_shutdown_flags),
    bit_flags("shutdown-on-sigterm", field!(shutdown_on_sigterm), SHUTDOWN_ON_SIG, 0, check_shutdown_flags),
    // C int.
    int("databases", field!(databases), (1, INT_MAX), 16, Integer).flags(IMMUTABLE).in_effect(),
    int("port", field!(port), (0, 65535), 6379, Integer).in_effect(),
    int("io-threads", field!(io_threads), (1, 128), 1, Integer).flags(IMMUTABLE).in_effect(),
    int("auto-aof-rewrite-percentage", field!(auto_aof_rewrite_percentage), (0, INT_MAX), 100, Integer),
    int("cluster-replica-validity-factor", field!(cluster_replica_validity_factor), (0, INT_MAX), 10, Integer).alias("cluster-slave-validity-factor"),
    int("list-max-listpack-size", field!(list_max_listpack_size), (INT_MIN, INT_MAX), -2, Integer).alias("list-max-ziplist-size").apply(Apply::EncodingLimits).in_effect(),
    int("tcp-keepalive", field!(tcp_keepalive), (0, INT_MAX), 300, Integer),
    int("cluster-migration-barrier", field!(cluster_migration_barrier), (0, INT_MAX), 1, Integer),
    int("active-defrag-cycle-min", field!(active_defrag_cycle_min), (1, 99), 1, Integer),
    int("active-defrag-cycle-max", field!(active_defrag_cycle_max), (1, 99), 25, Integer),
    int("active-defrag-threshold-lower", field!(active_defrag_threshold_lower), (0, 1000), 10, Integer),
    int("active-defrag-threshold-upper", field!(active_defrag_threshold_upper), (0, 1000), 100, Integer),
    int("lfu-log-factor", field!(lfu_log_factor), (0, INT_MAX), 10, Integer).apply(Apply::Maxmemory).in_effect(),
    int("lfu-decay-time", field!(lfu_decay_time), (0, INT_MAX), 1, Integer).apply(Apply::Maxmemory).in_effect(),
    int("replica-priority", field!(replica_priority), (0, INT_MAX), 100, Integer).alias("slave-priority"),
    int("repl-diskless-sync-delay", field!(repl_diskless_sync_delay), (0, INT_MAX), 5, Integer).in_effect(),
    int("maxmemory-samples", field!(maxmemory_samples), (1, INT_MAX), 5, Integer).apply(Apply::Maxmemory).in_effect(),
    int("maxmemory-eviction-tenacity", field!(maxmemory_eviction_tenacity), (0, 100), 10, Integer).apply(Apply::Maxmemory).in_effect(),
    int("timeout", field!(timeout), (0, INT_MAX), 0, Integer).in_effect(),
    int("replica-announce-port", field!(replica_announce_port), (0, 65535), 0, Integer).alias("slave-announce-port").in_effect(),
    int("tcp-backlog", field!(tcp_backlog), (0, INT_MAX), 511, Integer).flags(IMMUTABLE).in_effect(),
    int("cluster-port", field!(cluster_port), (0, 65535), 0, Integer).flags(IMMUTABLE),
    int("cluster-announce-bus-port", field!(cluster_announce_bus_port), (0, 65535), 0, Integer),
    int("cluster-announce-port", field!(cluster_announce_port), (0, 65535), 0, Integer),
    int("cluster-announce-tls-port", field!(cluster_announce_tls_port), (0, 65535), 0, Integer),
    int("repl-timeout", field!(repl_timeout), (1, INT_MAX), 60, Integer).in_effect(),
    int("repl-ping-replica-period", field!(repl_ping_replica_period), (1, INT_MAX), 10, Integer).alias("repl-ping-slave-period").in_effect(),
    int("list-compress-depth", field!(list_compress_depth), (0, INT_MAX), 0, Integer).apply(Apply::EncodingLimits),
    int("rdb-key-save-delay", field!(rdb_key_save_delay), (INT_MIN, INT_MAX), 0, Integer).flags(HIDDEN).in_effect(),
    int("key-load-delay", field!(key_load_delay), (INT_MIN, INT_MAX), 0, Integer).flags(HIDDEN),
    int("active-expire-effort", field!(active_expire_effort), (1, 10), 1, Integer),
    // A hint: out-of-range values are clamped, not refused.
    int("hz", field!(hz), (0, INT_MAX), 10, Integer).clamp(1, 500).in_effect(),
    int("min-replicas-to-write", field!(min_replicas_to_write), (0, INT_MAX), 0, Integer).alias("min-slaves-to-write").apply(Apply::MinReplicas).in_effect(),
    int("min-replicas-max-lag", field!(min_replicas_max_lag), (0, INT_MAX), 10, Integer).alias("min-slaves-max-lag").apply(Apply::MinReplicas).in_effect(),
    int("watchdog-period", field!(watchdog_period), (0, INT_MAX), 0, Integer).flags(HIDDEN),
    // Redust's own: the longest busy-poll before the event loop sleeps.
    int("busy-poll-usec", field!(busy_poll_usec), (0, 1000), 50, Integer).flags(IMMUTABLE | HIDDEN).in_effect(),
    int("shutdown-timeout", field!(shutdown_timeout), (0, INT_MAX), 10, Integer),
    int("repl-diskless-sync-max-replicas", field!(repl_diskless_sync_max_replicas), (0, INT_MAX), 0, Integer).in_effect(),
    // C unsigned int.
    uint("maxclients", field!(maxclients), (1, UINT_MAX), 10000, Integer).in_effect(),
    uint("unixsocketperm", field!(unixsocketperm), (0, 0o777), 0, Octal).flags(IMMUTABLE),
    uint("socket-mark-id", field!(socket_mark_id), (0, UINT_MAX), 0, Integer).flags(IMMUTABLE),
    // C unsigned long (bounds compared as signed, like Redis).
    int("active-defrag-max-scan-fields", field!(active_defrag_max_scan_fields), (1, LONG_MAX), 1000, Integer),
    int("slowlog-max-len", field!(slowlog_max_len), (0, LONG_MAX), 128, Integer).apply(Apply::Introspection).in_effect(),
    int("acllog-max-len", field!(acllog_max_len), (0, LONG_MAX), 128, Integer),
    // C long long.
    int("busy-reply-threshold", field!(busy_reply_threshold), (0, LONG_MAX), 5000, Integer).alias("lua-time-limit"),
    int("cluster-node-timeout", field!(cluster_node_timeout), (0, LONG_MAX), 15000, Integer),
    int("slowlog-log-slower-than", field!(slowlog_log_slower_than), (-1, LONG_MAX), 10000, Integer).apply(Apply::Introspection).in_effect(),
    int("latency-monitor-threshold", field!(latency_monitor_threshold), (0, LONG_MAX), 0, Integer).apply(Apply::Introspection).in_effect(),
    int("proto-max-bulk-len", field!(proto_max_bulk_len), (MB, LONG_MAX), 512 * MB, Memory).in_effect(),
    int("stream-node-max-entries", field!(stream_node_max_entries), (0, LONG_MAX), 100, Integer).apply(Apply::EncodingLimits).in_effect(),
    int("repl-backlog-size", field!(repl_backlog_size), (1, LONG_MAX), MB, Memory).apply(Apply::ReplBacklogSize).in_effect(),
    // C unsigned long long.
    uint("maxmemory", field!(maxmemory), (0, ULLONG_MAX), 0, Memory).apply(Apply::Maxmemory).in_effect(),
    uint("cluster-link-sendbuf-limit", field!(cluster_link_sendbuf_limit), (0, ULLONG_MAX), 0, Memory),
    // C size_t.
    uint("hash-max-listpack-entries", field!(hash_max_listpack_entries), (0, LONG_MAX), 512, Integer).alias("hash-max-ziplist-entries").apply(Apply::EncodingLimits).in_effect(),
    uint("set-max-intset-entries", field!(set_max_intset_entries), (0, LONG_MAX), 512, Integer).apply(Apply::EncodingLimits).in_effect(),
    uint("zset-max-listpack-entries", field!(zset_max_listpack_entries), (0, LONG_MAX), 128, Integer).alias("zset-max-ziplist-entries").apply(Apply::EncodingLimits).in_effect(),
    uint("active-defrag-ignore-bytes", field!(active_defrag_ignore_bytes), (1, LONG_MAX), 100 * MB, Memory),
    uint("hash-max-listpack-value", field!(hash_max_listpack_value), (0, LONG_MAX), 64, Memory).alias("hash-max-ziplist-value").apply(Apply::EncodingLimits).in_effect(),
    uint("stream-node-max-bytes", field!(stream_node_max_bytes), (0, LONG_MAX), 4096, Memory).apply(Apply::EncodingLimits).in_effect(),
    uint("zset-max-listpack-value", field!(zset_max_listpack_value), (0, LONG_MAX), 64, Memory).alias("zset-max-ziplist-value").apply(Apply::EncodingLimits).in_effect(),
    uint("hll-sparse-max-bytes", field!(hll_sparse_max_bytes), (0, LONG_MAX), 3000, Memory).apply(Apply::EncodingLimits).in_effect(),
    uint("tracking-table-max-keys", field!(tracking_table_max_keys), (0, LONG_MAX), 1_000_000, Integer),
    uint("client-query-buffer-limit", field!(client_query_buffer_limit), (MB, LONG_MAX), 1024 * MB, Memory).in_effect(),
    // C ssize_t, time_t, off_t.
    int("maxmemory-clients", field!(maxmemory_clients), (-100, LONG_MAX), 0, MemoryOrPercent),
    int("repl-backlog-ttl", field!(repl_backlog_ttl), (0, LONG_MAX), 3600, Integer).in_effect(),
    int("auto-aof-rewrite-min-size", field!(auto_aof_rewrite_min_size), (0, LONG_MAX), 64 * MB, Memory),
    int("loading-process-events-interval-bytes", field!(loading_process_events_interval_bytes), (1024, INT_MAX), 2 * MB, Integer).flags(HIDDEN),
    // TLS.
    int("tls-port", field!(tls_port), (0, 65535), 0, Integer),
    int("tls-session-cache-size", field!(tls_session_cache_size), (0, INT_MAX), 20 * 1024, Integer).apply(Apply::Tls),
    int("tls-session-cache-timeout", field!(tls_session_cache_timeout), (0, INT_MAX), 300, Integer).apply(Apply::Tls),
    boolean("tls-cluster", field!(tls_cluster), false).apply(Apply::Tls),
    boolean("tls-replication", field!(tls_replication), false).apply(Apply::Tls),
    enumeration("tls-auth-clients", enum_field!(tls_auth_clients, TlsAuthClients::Yes)),
    boolean("tls-prefer-server-ciphers", field!(tls_prefer_server_ciphers), false).apply(Apply::Tls),
    boolean("tls-session-caching", field!(tls_session_caching), true).apply(Apply::Tls),
    opt_string("tls-cert-file", field!(tls_cert_file)).apply(Apply::Tls),
    opt_string("tls-key-file", field!(tls_key_file)).apply(Apply::Tls),
    opt_string("tls-key-file-pass", field!(tls_key_file_pass)).apply(Apply::Tls),
    opt_string("tls-client-cert-file", field!(tls_client_cert_file)).apply(Apply::Tls),
    opt_string("tls-client-key-file", field!(tls_client_key_file)).apply(Apply::Tls),
    opt_string("tls-client-key-file-pass", field!(tls_client_key_file_pass)).apply(Apply::Tls),
    opt_string("tls-dh-params-file", field!(tls_dh_params_file)).apply(Apply::Tls),
    opt_string("tls-ca-cert-file", field!(tls_ca_cert_file)).apply(Apply::Tls),
    opt_string("tls-ca-cert-dir", field!(tls_ca_cert_dir)).apply(Apply::Tls),
    opt_string("tls-protocols", field!(tls_protocols)).apply(Apply::Tls),
    opt_string("tls-ciphers", field!(tls_ciphers)).apply(Apply::Tls),
    opt_string("tls-ciphersuites", field!(tls_ciphersuites)).apply(Apply::Tls),
    // Special syntax.
    special("dir", Special::Dir(field!(dir))).flags(PROTECTED | DENY_LOADING).in_effect(),
    special("save", Special::Save(field!(save))).flags(MULTI_ARG).in_effect(),
    special("client-output-buffer-limit", Special::ClientOutputBufferLimit(field!(client_output_buffer_limit))).flags(MULTI_ARG).in_effect(),
    special("oom-score-adj-values", Special::OomScoreAdjValues(field!(oom_score_adj_values))).flags(MULTI_ARG),
    special("notify-keyspace-events", Special::NotifyKeyspaceEvents(field!(notify_keyspace_events))).apply(Apply::KeyspaceEvents).in_effect(),
    special("bind", Special::Bind(field!(bind))).flags(MULTI_ARG).in_effect(),
    special("replicaof", Special::ReplicaOf(field!(replicaof))).alias("slaveof").flags(IMMUTABLE | MULTI_ARG).in_effect(),
    special("latency-tracking-info-percentiles", Special::LatencyTrackingInfoPercentiles(field!(latency_tracking_info_percentiles))).flags(MULTI_ARG),
];

/// Find a directive by name or alias, case-insensitively. The flag says
/// whether `name` was the alias.
pub(crate) fn lookup(name: &[u8]) -> Option<(usize, bool)> {
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

// Row constructors, one per kind of directive.

const fn boolean(name: &'static str, field: &'static Field<bool>, default: bool) -> Directive {
    Directive::new(
        name,
        Kind::Bool {
            field,
            default,
            check: None,
        },
    )
}

const fn bool_checked(
    name: &'static str,
    field: &'static Field<bool>,
    default: bool,
    check: Check<bool>,
) -> Directive {
    Directive::new(
        name,
        Kind::Bool {
            field,
            default,
            check: Some(check),
        },
    )
}

const fn number(
    name: &'static str,
    field: &'static dyn IntSlot,
    (min, max): (i64, i64),
    default: i64,
    unit: Unit,
    unsigned: bool,
) -> Directive {
    Directive::new(
        name,
        Kind::Int(IntSpec {
            min,
            max,
            default,
            unit,
            unsigned,
            clamp: None,
            field,
        }),
    )
}

/// Signed C types (and unsigned long, whose bounds Redis compares signed).
const fn int(
    name: &'static str,
    field: &'static dyn IntSlot,
    bounds: (i64, i64),
    default: i64,
    unit: Unit,
) -> Directive {
    number(name, field, bounds, default, unit, false)
}

/// C's unsigned int, unsigned long long and size_t: bounds compare as u64.
const fn uint(
    name: &'static str,
    field: &'static dyn IntSlot,
    bounds: (i64, i64),
    default: i64,
    unit: Unit,
) -> Directive {
    number(name, field, bounds, default, unit, true)
}

const fn enumeration(name: &'static str, slot: &'static dyn EnumSlot) -> Directive {
    Directive::new(name, Kind::Enum(slot))
}

/// Several names at once, OR-ed: always `MULTI_ARG`.
const fn bit_flags(
    name: &'static str,
    field: &'static Field<u32>,
    items: FlagItems,
    default: u32,
    check: Check<u32>,
) -> Directive {
    Directive::new(
        name,
        Kind::Flags {
            field,
            items,
            default,
            check: Some(check),
        },
    )
    .flags(MULTI_ARG)
}

const fn string(
    name: &'static str,
    field: &'static Field<String>,
    default: &'static str,
) -> Directive {
    Directive::new(
        name,
        Kind::Str {
            field,
            default,
            check: None,
        },
    )
}

const fn string_checked(
    name: &'static str,
    field: &'static Field<String>,
    default: &'static str,
    check: StrCheck,
) -> Directive {
    Directive::new(
        name,
        Kind::Str {
            field,
            default,
            check: Some(check),
        },
    )
}

const fn opt_string(name: &'static str, field: &'static Field<Option<String>>) -> Directive {
    Directive::new(name, Kind::OptStr { field, check: None })
}

const fn opt_string_checked(
    name: &'static str,
    field: &'static Field<Option<String>>,
    check: StrCheck,
) -> Directive {
    Directive::new(
        name,
        Kind::OptStr {
            field,
            check: Some(check),
        },
    )
}

const fn special(name: &'static str, s: Special) -> Directive {
    Directive::new(name, Kind::Special(s))
}

// Value lists and checks.

const SHUTDOWN_ON_SIG: FlagItems = &[
    ("default", 0),
    ("save", shutdown::SAVE),
    ("nosave", shutdown::NOSAVE),
    ("now", shutdown::NOW),
    ("force", shutdown::FORCE),
];

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
    if v & shutdown::SAVE != 0 && v & shutdown::NOSAVE != 0 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;

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
    }

    #[test]
    fn each_field_has_one_directive_named_after_it() {
        let mut fields: Vec<&str> = TABLE.iter().map(|d| d.field_name()).collect();
        for (d, field) in TABLE.iter().zip(&fields) {
            assert_eq!(d.name.replace('-', "_"), *field, "{}", d.name);
        }
        fields.sort_unstable();
        let mut expected = Settings::FIELDS.to_vec();
        expected.sort_unstable();
        assert_eq!(fields, expected);
    }

    #[test]
    fn numeric_bounds_fit_their_fields() {
        let mut s = Settings::defaults("/");
        for d in TABLE {
            let Kind::Int(spec) = d.kind else { continue };
            for v in [spec.min, spec.max, spec.default] {
                spec.field.set(&mut s, v);
                assert_eq!(spec.field.get(&s), v, "{}", d.name);
            }
            let (min, max) = (spec.min, spec.max);
            if spec.unsigned {
                assert!((min as u64) <= spec.default as u64 && spec.default as u64 <= max as u64);
            } else {
                assert!(min <= spec.default && spec.default <= max, "{}", d.name);
            }
        }
    }

    #[test]
    fn only_numbers_clamp() {
        let hz = &TABLE[lookup(b"hz").unwrap().0];
        assert!(matches!(
            hz.kind,
            Kind::Int(IntSpec {
                clamp: Some((1, 500)),
                ..
            })
        ));
    }

    #[test]
    fn lookup_finds_aliases() {
        let index = |name: &str| lookup(name.as_bytes()).unwrap().0;
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
