//! Typed view of the directives the running server reads, rebuilt after
//! every successful load or CONFIG SET.

use super::table::{index, LOGLEVELS, MAXMEMORY_POLICIES, REPL_DISKLESS_LOAD};
use super::value::{enum_name, ObufLimit, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
    /// Redis 7.2's `nothing`; Redis 7.0 (and so this config) never sets it.
    #[allow(dead_code)]
    Nothing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxmemoryPolicy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    NoEviction,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplDisklessLoad {
    Disabled,
    OnEmptyDb,
    Swapdb,
}

/// Output buffer limits per client class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientOutputBufferLimits {
    pub normal: ObufLimit,
    pub replica: ObufLimit,
    pub pubsub: ObufLimit,
}

/// The directives the server acts on, typed. Times are in seconds unless
/// a field says otherwise.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    // Network and clients.
    pub port: u16,
    /// As configured: `*` means all IPv4 addresses, a leading `-` marks an
    /// address that may be unavailable.
    pub bind: Vec<String>,
    pub protected_mode: bool,
    pub requirepass: Option<String>,
    pub maxclients: u32,
    pub timeout: u32,
    pub tcp_keepalive: u32,
    pub tcp_backlog: u32,
    pub proto_max_bulk_len: u64,
    pub client_query_buffer_limit: u64,
    pub client_output_buffer_limit: ClientOutputBufferLimits,
    // Process.
    pub databases: u32,
    pub loglevel: LogLevel,
    /// "" logs to stdout.
    pub logfile: String,
    pub daemonize: bool,
    pub pidfile: Option<String>,
    pub hz: u32,
    pub dynamic_hz: bool,
    pub io_threads: u32,
    /// Redust's own: the longest busy-poll before the event loop sleeps.
    pub busy_poll_usec: u32,
    // Replication.
    pub replicaof: Option<(String, u16)>,
    pub masterauth: Option<String>,
    pub masteruser: Option<String>,
    pub replica_read_only: bool,
    pub replica_serve_stale_data: bool,
    pub replica_lazy_flush: bool,
    pub repl_disable_tcp_nodelay: bool,
    pub repl_backlog_size: u64,
    pub repl_backlog_ttl: u64,
    pub repl_timeout: u32,
    pub repl_ping_replica_period: u32,
    pub repl_diskless_sync: bool,
    pub repl_diskless_sync_delay: u32,
    pub repl_diskless_sync_max_replicas: u32,
    pub repl_diskless_load: ReplDisklessLoad,
    pub replica_priority: u32,
    pub replica_announce_ip: Option<String>,
    pub replica_announce_port: u16,
    pub replica_announced: bool,
    pub min_replicas_to_write: u32,
    pub min_replicas_max_lag: u32,
    // Memory.
    pub maxmemory: u64,
    pub maxmemory_policy: MaxmemoryPolicy,
    pub maxmemory_samples: u32,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    pub active_expire_effort: u32,
    pub lazyfree_lazy_eviction: bool,
    pub lazyfree_lazy_expire: bool,
    pub lazyfree_lazy_server_del: bool,
    pub lazyfree_lazy_user_del: bool,
    pub lazyfree_lazy_user_flush: bool,
    // Persistence.
    /// Absolute path; the server should `chdir` there.
    pub dir: String,
    pub dbfilename: String,
    pub rdbcompression: bool,
    pub rdbchecksum: bool,
    /// (seconds, changes) pairs.
    pub save: Vec<(u64, u64)>,
    pub stop_writes_on_bgsave_error: bool,
    pub appendonly: bool,
    // Encodings.
    pub hash_max_listpack_entries: u64,
    pub hash_max_listpack_value: u64,
    pub set_max_intset_entries: u64,
    pub zset_max_listpack_entries: u64,
    pub zset_max_listpack_value: u64,
    pub list_max_listpack_size: i32,
    pub list_compress_depth: u32,
    // Cluster.
    pub cluster_enabled: bool,
    pub cluster_config_file: String,
    /// Milliseconds.
    pub cluster_node_timeout: u64,
    // Monitoring.
    pub latency_tracking: bool,
    /// Microseconds; negative disables the slow log.
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    /// Bits from [`super::notify`].
    pub notify_keyspace_events: u32,
}

impl Settings {
    pub(super) fn from_values(values: &[Value]) -> Settings {
        let v = |name: &str| &values[index(name)];
        let flag = |name: &str| v(name).as_bool();
        // Table bounds keep every number inside the field's type.
        let num = |name: &str| v(name).as_num();
        let u32_ = |name: &str| num(name) as u32;
        let u64_ = |name: &str| num(name) as u64;
        let string = |name: &str| v(name).as_str().map(str::to_owned);
        let name_of = |name: &str, items| match v(name) {
            Value::Enum(e) => enum_name(items, *e, false),
            other => unreachable!("{name} is not an enum: {other:?}"),
        };
        let special = |name: &str| v(name).clone();

        let Value::Bind(bind) = special("bind") else {
            unreachable!()
        };
        let Value::ReplicaOf(replicaof) = special("replicaof") else {
            unreachable!()
        };
        let Value::Dir(dir) = special("dir") else {
            unreachable!()
        };
        let Value::Save(save) = special("save") else {
            unreachable!()
        };
        let Value::Obuf([normal, replica, pubsub]) = special("client-output-buffer-limit") else {
            unreachable!()
        };
        let Value::Events(notify_keyspace_events) = special("notify-keyspace-events") else {
            unreachable!()
        };

        Settings {
            port: num("port") as u16,
            bind,
            protected_mode: flag("protected-mode"),
            requirepass: string("requirepass"),
            maxclients: u32_("maxclients"),
            timeout: u32_("timeout"),
            tcp_keepalive: u32_("tcp-keepalive"),
            tcp_backlog: u32_("tcp-backlog"),
            proto_max_bulk_len: u64_("proto-max-bulk-len"),
            client_query_buffer_limit: u64_("client-query-buffer-limit"),
            client_output_buffer_limit: ClientOutputBufferLimits {
                normal,
                replica,
                pubsub,
            },
            databases: u32_("databases"),
            loglevel: match name_of("loglevel", LOGLEVELS).as_str() {
                "debug" => LogLevel::Debug,
                "verbose" => LogLevel::Verbose,
                "warning" => LogLevel::Warning,
                _ => LogLevel::Notice,
            },
            logfile: string("logfile").unwrap_or_default(),
            daemonize: flag("daemonize"),
            pidfile: string("pidfile"),
            hz: u32_("hz"),
            dynamic_hz: flag("dynamic-hz"),
            io_threads: u32_("io-threads"),
            busy_poll_usec: u32_("busy-poll-usec"),
            replicaof,
            masterauth: string("masterauth"),
            masteruser: string("masteruser"),
            replica_read_only: flag("replica-read-only"),
            replica_serve_stale_data: flag("replica-serve-stale-data"),
            replica_lazy_flush: flag("replica-lazy-flush"),
            repl_disable_tcp_nodelay: flag("repl-disable-tcp-nodelay"),
            repl_backlog_size: u64_("repl-backlog-size"),
            repl_backlog_ttl: u64_("repl-backlog-ttl"),
            repl_timeout: u32_("repl-timeout"),
            repl_ping_replica_period: u32_("repl-ping-replica-period"),
            repl_diskless_sync: flag("repl-diskless-sync"),
            repl_diskless_sync_delay: u32_("repl-diskless-sync-delay"),
            repl_diskless_sync_max_replicas: u32_("repl-diskless-sync-max-replicas"),
            repl_diskless_load: match name_of("repl-diskless-load", REPL_DISKLESS_LOAD).as_str() {
                "on-empty-db" => ReplDisklessLoad::OnEmptyDb,
                "swapdb" => ReplDisklessLoad::Swapdb,
                _ => ReplDisklessLoad::Disabled,
            },
            replica_priority: u32_("replica-priority"),
            replica_announce_ip: string("replica-announce-ip"),
            replica_announce_port: num("replica-announce-port") as u16,
            replica_announced: flag("replica-announced"),
            min_replicas_to_write: u32_("min-replicas-to-write"),
            min_replicas_max_lag: u32_("min-replicas-max-lag"),
            maxmemory: u64_("maxmemory"),
            maxmemory_policy: match name_of("maxmemory-policy", MAXMEMORY_POLICIES).as_str() {
                "volatile-lru" => MaxmemoryPolicy::VolatileLru,
                "volatile-lfu" => MaxmemoryPolicy::VolatileLfu,
                "volatile-random" => MaxmemoryPolicy::VolatileRandom,
                "volatile-ttl" => MaxmemoryPolicy::VolatileTtl,
                "allkeys-lru" => MaxmemoryPolicy::AllkeysLru,
                "allkeys-lfu" => MaxmemoryPolicy::AllkeysLfu,
                "allkeys-random" => MaxmemoryPolicy::AllkeysRandom,
                _ => MaxmemoryPolicy::NoEviction,
            },
            maxmemory_samples: u32_("maxmemory-samples"),
            lfu_log_factor: u32_("lfu-log-factor"),
            lfu_decay_time: u32_("lfu-decay-time"),
            active_expire_effort: u32_("active-expire-effort"),
            lazyfree_lazy_eviction: flag("lazyfree-lazy-eviction"),
            lazyfree_lazy_expire: flag("lazyfree-lazy-expire"),
            lazyfree_lazy_server_del: flag("lazyfree-lazy-server-del"),
            lazyfree_lazy_user_del: flag("lazyfree-lazy-user-del"),
            lazyfree_lazy_user_flush: flag("lazyfree-lazy-user-flush"),
            dir,
            dbfilename: string("dbfilename").unwrap_or_default(),
            rdbcompression: flag("rdbcompression"),
            rdbchecksum: flag("rdbchecksum"),
            save: save
                .iter()
                .map(|&(s, c)| (s.max(0) as u64, c.max(0) as u64))
                .collect(),
            stop_writes_on_bgsave_error: flag("stop-writes-on-bgsave-error"),
            appendonly: flag("appendonly"),
            hash_max_listpack_entries: u64_("hash-max-listpack-entries"),
            hash_max_listpack_value: u64_("hash-max-listpack-value"),
            set_max_intset_entries: u64_("set-max-intset-entries"),
            zset_max_listpack_entries: u64_("zset-max-listpack-entries"),
            zset_max_listpack_value: u64_("zset-max-listpack-value"),
            list_max_listpack_size: num("list-max-listpack-size") as i32,
            list_compress_depth: u32_("list-compress-depth"),
            cluster_enabled: flag("cluster-enabled"),
            cluster_config_file: string("cluster-config-file").unwrap_or_default(),
            cluster_node_timeout: u64_("cluster-node-timeout"),
            latency_tracking: flag("latency-tracking"),
            slowlog_log_slower_than: num("slowlog-log-slower-than"),
            slowlog_max_len: u64_("slowlog-max-len"),
            notify_keyspace_events,
        }
    }
}
