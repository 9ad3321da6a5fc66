//! The typed configuration: [`Settings`] has one field per directive and
//! is the storage that start-up parsing and CONFIG GET / SET / REWRITE
//! read and write, each through its directive's declaration in the table.
//! Here too are the types of those fields that are not plain numbers,
//! booleans or strings.

use crate::directive::ConfigEnum;
use crate::MaxmemoryPolicy;

/// Declares [`Settings`] and a constructor of placeholder values, which
/// the table's defaults then overwrite.
macro_rules! settings {
    ($(#[$meta:meta])* pub struct Settings {
        $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)*
    }) => {
        $(#[$meta])*
        pub struct Settings {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl Settings {
            /// Placeholders, every one overwritten by its directive's default.
            pub(crate) fn blank() -> Settings {
                Settings { $($field: Default::default(),)* }
            }

            /// Every field's name, for the table's self-checks.
            #[cfg(test)]
            pub(crate) const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];
        }
    };
}

settings! {
/// Every directive's value, typed; each field is named after its
/// directive (`-` becomes `_`). Times are in seconds, sizes in bytes,
/// unless a field says otherwise. Fields of directives that Redust does
/// not act on (see [`crate::Config::not_in_effect`]) are kept all the
/// same, so CONFIG GET and REWRITE show them.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    // Network and clients.
    pub port: u16,
    /// As configured: `*` means all IPv4 addresses, a leading `-` marks an
    /// address that may be unavailable.
    pub bind: Vec<String>,
    pub bind_source_addr: Option<String>,
    pub protected_mode: bool,
    pub tcp_backlog: u32,
    pub tcp_keepalive: u32,
    pub unixsocket: Option<String>,
    /// Permission bits (CONFIG GET shows them in octal).
    pub unixsocketperm: u32,
    pub socket_mark_id: u32,
    pub timeout: u32,
    pub maxclients: u32,
    /// Bytes, or a percentage of `maxmemory` stored negated (`-10` is 10%).
    pub maxmemory_clients: i64,
    pub proto_max_bulk_len: u64,
    pub client_query_buffer_limit: u64,
    pub client_output_buffer_limit: ClientOutputBufferLimits,
    pub io_threads: u32,
    pub io_threads_do_reads: bool,
    /// Redust's own: the longest busy-poll before the event loop sleeps
    /// (microseconds).
    pub busy_poll_usec: u32,
    // Security.
    pub requirepass: Option<String>,
    pub aclfile: String,
    pub acllog_max_len: u64,
    pub acl_pubsub_default: AclPubsubDefault,
    pub enable_protected_configs: ProtectedAction,
    pub enable_debug_command: ProtectedAction,
    pub enable_module_command: ProtectedAction,
    pub sanitize_dump_payload: SanitizeDumpPayload,
    // Process.
    pub databases: u32,
    pub daemonize: bool,
    pub supervised: Supervised,
    pub pidfile: Option<String>,
    pub loglevel: LogLevel,
    /// `""` logs to stdout.
    pub logfile: String,
    pub syslog_enabled: bool,
    pub syslog_ident: String,
    pub syslog_facility: SyslogFacility,
    pub always_show_logo: bool,
    pub set_proc_title: bool,
    pub proc_title_template: String,
    pub crash_log_enabled: bool,
    pub crash_memcheck_enabled: bool,
    pub use_exit_on_panic: bool,
    pub disable_thp: bool,
    pub oom_score_adj: OomScoreAdj,
    /// For masters, replicas and background children.
    pub oom_score_adj_values: [i32; 3],
    pub server_cpulist: Option<String>,
    pub bio_cpulist: Option<String>,
    pub aof_rewrite_cpulist: Option<String>,
    pub bgsave_cpulist: Option<String>,
    pub ignore_warnings: String,
    pub hz: u32,
    pub dynamic_hz: bool,
    pub active_expire_effort: u32,
    pub activerehashing: bool,
    pub jemalloc_bg_thread: bool,
    /// Bits from [`shutdown`].
    pub shutdown_on_sigint: u32,
    /// Bits from [`shutdown`].
    pub shutdown_on_sigterm: u32,
    pub shutdown_timeout: u32,
    /// Milliseconds.
    pub watchdog_period: u32,
    /// Microseconds of sleep per key saved (a testing aid).
    pub rdb_key_save_delay: i32,
    /// Microseconds of sleep per key loaded (a testing aid).
    pub key_load_delay: i32,
    pub loading_process_events_interval_bytes: u32,
    // Replication.
    pub replicaof: Option<(String, u16)>,
    pub masterauth: Option<String>,
    pub masteruser: Option<String>,
    pub replica_read_only: bool,
    pub replica_serve_stale_data: bool,
    pub replica_lazy_flush: bool,
    pub replica_ignore_disk_write_errors: bool,
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
    pub propagation_error_behavior: PropagationErrorBehavior,
    // Memory.
    pub maxmemory: u64,
    pub maxmemory_policy: MaxmemoryPolicy,
    pub maxmemory_samples: u32,
    pub maxmemory_eviction_tenacity: u32,
    pub replica_ignore_maxmemory: bool,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    pub lazyfree_lazy_eviction: bool,
    pub lazyfree_lazy_expire: bool,
    pub lazyfree_lazy_server_del: bool,
    pub lazyfree_lazy_user_del: bool,
    pub lazyfree_lazy_user_flush: bool,
    pub activedefrag: bool,
    pub active_defrag_ignore_bytes: u64,
    pub active_defrag_threshold_lower: u32,
    pub active_defrag_threshold_upper: u32,
    pub active_defrag_cycle_min: u32,
    pub active_defrag_cycle_max: u32,
    pub active_defrag_max_scan_fields: u64,
    // Persistence.
    /// Absolute path; the server should `chdir` there.
    pub dir: String,
    pub dbfilename: String,
    pub rdbcompression: bool,
    pub rdbchecksum: bool,
    pub save: Vec<SavePoint>,
    pub stop_writes_on_bgsave_error: bool,
    pub rdb_del_sync_files: bool,
    pub rdb_save_incremental_fsync: bool,
    pub appendonly: bool,
    pub appendfilename: String,
    pub appenddirname: String,
    pub appendfsync: AppendFsync,
    pub no_appendfsync_on_rewrite: bool,
    pub auto_aof_rewrite_percentage: u32,
    pub auto_aof_rewrite_min_size: u64,
    pub aof_load_truncated: bool,
    pub aof_use_rdb_preamble: bool,
    pub aof_timestamp_enabled: bool,
    pub aof_rewrite_incremental_fsync: bool,
    pub aof_disable_auto_gc: bool,
    // Encodings.
    pub hash_max_listpack_entries: u64,
    pub hash_max_listpack_value: u64,
    pub set_max_intset_entries: u64,
    pub zset_max_listpack_entries: u64,
    pub zset_max_listpack_value: u64,
    pub list_max_listpack_size: i32,
    pub list_compress_depth: u32,
    pub stream_node_max_bytes: u64,
    pub stream_node_max_entries: u64,
    pub hll_sparse_max_bytes: u64,
    // Cluster.
    pub cluster_enabled: bool,
    pub cluster_config_file: String,
    /// Milliseconds.
    pub cluster_node_timeout: u64,
    pub cluster_port: u16,
    pub cluster_announce_ip: Option<String>,
    pub cluster_announce_hostname: Option<String>,
    pub cluster_announce_port: u16,
    pub cluster_announce_bus_port: u16,
    pub cluster_announce_tls_port: u16,
    pub cluster_preferred_endpoint_type: ClusterEndpointType,
    pub cluster_require_full_coverage: bool,
    pub cluster_replica_no_failover: bool,
    pub cluster_replica_validity_factor: u32,
    pub cluster_migration_barrier: u32,
    pub cluster_allow_replica_migration: bool,
    pub cluster_allow_reads_when_down: bool,
    pub cluster_allow_pubsubshard_when_down: bool,
    pub cluster_link_sendbuf_limit: u64,
    // Monitoring.
    /// Microseconds; negative disables the slow log.
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    /// Milliseconds.
    pub latency_monitor_threshold: u64,
    pub latency_tracking: bool,
    pub latency_tracking_info_percentiles: Vec<f64>,
    /// Bits from [`crate::notify`].
    pub notify_keyspace_events: u32,
    pub tracking_table_max_keys: u64,
    /// Milliseconds.
    pub busy_reply_threshold: u64,
    // TLS.
    pub tls_port: u16,
    pub tls_cert_file: Option<String>,
    pub tls_key_file: Option<String>,
    pub tls_key_file_pass: Option<String>,
    pub tls_client_cert_file: Option<String>,
    pub tls_client_key_file: Option<String>,
    pub tls_client_key_file_pass: Option<String>,
    pub tls_dh_params_file: Option<String>,
    pub tls_ca_cert_file: Option<String>,
    pub tls_ca_cert_dir: Option<String>,
    pub tls_protocols: Option<String>,
    pub tls_ciphers: Option<String>,
    pub tls_ciphersuites: Option<String>,
    pub tls_auth_clients: TlsAuthClients,
    pub tls_replication: bool,
    pub tls_cluster: bool,
    pub tls_prefer_server_ciphers: bool,
    pub tls_session_caching: bool,
    pub tls_session_cache_size: u32,
    pub tls_session_cache_timeout: u32,
}
}

impl Settings {
    /// Redis's defaults, `dir` being `default_dir` (Redis's is the working
    /// directory at start-up).
    pub fn defaults(default_dir: &str) -> Settings {
        let mut s = Settings::blank();
        for d in crate::table::TABLE {
            d.reset(&mut s, default_dir);
        }
        s
    }
}

/// Output buffer limits of one client class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ObufLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: u64,
}

/// Output buffer limits per client class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientOutputBufferLimits {
    pub normal: ObufLimit,
    pub replica: ObufLimit,
    pub pubsub: ObufLimit,
}

/// One `save <seconds> <changes>` point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SavePoint {
    /// At least 1.
    pub seconds: u64,
    /// A C int, as in Redis: a value past `i32::MAX` wraps (and shows so in
    /// CONFIG GET); see [`SavePoint::min_changes`].
    pub changes: i32,
}

impl SavePoint {
    /// The number of changes that makes the point fire (a negative count
    /// is reached by any).
    pub fn min_changes(&self) -> u64 {
        self.changes.max(0) as u64
    }
}

/// `shutdown-on-sigint` / `shutdown-on-sigterm` bits.
pub mod shutdown {
    /// Save even without save points.
    pub const SAVE: u32 = 1;
    /// Don't save even with save points.
    pub const NOSAVE: u32 = 2;
    /// Don't wait for replicas to catch up.
    pub const NOW: u32 = 4;
    /// Exit even if saving fails.
    pub const FORCE: u32 = 8;
}

/// Declares a plain enum whose variants are the directive's names.
macro_rules! config_enum {
    ($(#[$meta:meta])* pub enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal,)*
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl ConfigEnum for $name {
            const ITEMS: &'static [(&'static str, Self)] = &[$(($text, $name::$variant),)*];
        }
    };
}

/// `loglevel`. Variants are ordered by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    Debug,
    Verbose,
    #[default]
    Notice,
    Warning,
    /// Redis 7.2's `nothing`; Redis 7.0 (and so this config) never sets it.
    Nothing,
}

impl ConfigEnum for LogLevel {
    const ITEMS: &'static [(&'static str, Self)] = &[
        ("debug", LogLevel::Debug),
        ("verbose", LogLevel::Verbose),
        ("notice", LogLevel::Notice),
        ("warning", LogLevel::Warning),
    ];
}

impl ConfigEnum for MaxmemoryPolicy {
    const ITEMS: &'static [(&'static str, Self)] = &[
        ("volatile-lru", MaxmemoryPolicy::VolatileLru),
        ("volatile-lfu", MaxmemoryPolicy::VolatileLfu),
        ("volatile-random", MaxmemoryPolicy::VolatileRandom),
        ("volatile-ttl", MaxmemoryPolicy::VolatileTtl),
        ("allkeys-lru", MaxmemoryPolicy::AllkeysLru),
        ("allkeys-lfu", MaxmemoryPolicy::AllkeysLfu),
        ("allkeys-random", MaxmemoryPolicy::AllkeysRandom),
        ("noeviction", MaxmemoryPolicy::NoEviction),
    ];
}

/// `oom-score-adj`; `yes` is a synonym of `relative`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OomScoreAdj {
    #[default]
    No,
    Relative,
    Absolute,
}

impl ConfigEnum for OomScoreAdj {
    const ITEMS: &'static [(&'static str, Self)] = &[
        ("no", OomScoreAdj::No),
        ("yes", OomScoreAdj::Relative),
        ("relative", OomScoreAdj::Relative),
        ("absolute", OomScoreAdj::Absolute),
    ];
}

config_enum! {
    /// `repl-diskless-load`.
    pub enum ReplDisklessLoad {
        #[default]
        Disabled = "disabled",
        OnEmptyDb = "on-empty-db",
        Swapdb = "swapdb",
    }
}

config_enum! {
    /// `supervised`.
    pub enum Supervised {
        Upstart = "upstart",
        Systemd = "systemd",
        Auto = "auto",
        #[default]
        No = "no",
    }
}

config_enum! {
    /// `syslog-facility`.
    pub enum SyslogFacility {
        User = "user",
        #[default]
        Local0 = "local0",
        Local1 = "local1",
        Local2 = "local2",
        Local3 = "local3",
        Local4 = "local4",
        Local5 = "local5",
        Local6 = "local6",
        Local7 = "local7",
    }
}

config_enum! {
    /// `appendfsync`.
    pub enum AppendFsync {
        #[default]
        Everysec = "everysec",
        Always = "always",
        No = "no",
    }
}

config_enum! {
    /// `acl-pubsub-default`.
    pub enum AclPubsubDefault {
        AllChannels = "allchannels",
        #[default]
        ResetChannels = "resetchannels",
    }
}

config_enum! {
    /// `sanitize-dump-payload`.
    pub enum SanitizeDumpPayload {
        #[default]
        No = "no",
        Yes = "yes",
        Clients = "clients",
    }
}

config_enum! {
    /// `enable-protected-configs`, `enable-debug-command`,
    /// `enable-module-command`.
    pub enum ProtectedAction {
        #[default]
        No = "no",
        Yes = "yes",
        /// Only for clients connected over loopback or a unix socket.
        Local = "local",
    }
}

config_enum! {
    /// `cluster-preferred-endpoint-type`.
    pub enum ClusterEndpointType {
        #[default]
        Ip = "ip",
        Hostname = "hostname",
        UnknownEndpoint = "unknown-endpoint",
    }
}

config_enum! {
    /// `propagation-error-behavior`.
    pub enum PropagationErrorBehavior {
        #[default]
        Ignore = "ignore",
        Panic = "panic",
        PanicOnReplicas = "panic-on-replicas",
    }
}

config_enum! {
    /// `tls-auth-clients`.
    pub enum TlsAuthClients {
        No = "no",
        #[default]
        Yes = "yes",
        Optional = "optional",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_names() {
        assert_eq!(OomScoreAdj::Relative.config_name(), "yes");
        assert_eq!(LogLevel::Nothing.config_name(), "unknown");
        assert_eq!(Supervised::Systemd.config_name(), "systemd");
        // One policy type with the engine, the same names.
        for p in MaxmemoryPolicy::ALL {
            assert_eq!(p.config_name(), p.name());
        }
        assert_eq!(MaxmemoryPolicy::ITEMS.len(), MaxmemoryPolicy::ALL.len());
    }

    #[test]
    fn save_point_thresholds() {
        let p = SavePoint {
            seconds: 1,
            changes: -1,
        };
        assert_eq!(p.min_changes(), 0);
    }
}
