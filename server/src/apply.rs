//! Side effects of configuration changes made with CONFIG SET: the server
//! half of the [`Apply`] hooks the config crate's table names.

use std::sync::Arc;

use crate::config::{Apply, Changes, LogLevel, Settings};
use crate::log::{self, Level};
use crate::state::Shared;

/// The log level for a `loglevel` setting (`None`: log nothing).
pub fn log_level(l: LogLevel) -> Option<Level> {
    match l {
        LogLevel::Debug => Some(Level::Debug),
        LogLevel::Verbose => Some(Level::Verbose),
        LogLevel::Notice => Some(Level::Notice),
        LogLevel::Warning => Some(Level::Warning),
        LogLevel::Nothing => None,
    }
}

/// The engine's encoding thresholds from the configuration.
pub fn engine_limits(s: &Settings) -> engine::types::Limits {
    engine::types::Limits {
        hash_max_listpack_entries: s.hash_max_listpack_entries as usize,
        hash_max_listpack_value: s.hash_max_listpack_value as usize,
        set_max_intset_entries: s.set_max_intset_entries as usize,
        zset_max_listpack_entries: s.zset_max_listpack_entries as usize,
        zset_max_listpack_value: s.zset_max_listpack_value as usize,
        list_max_listpack_size: i64::from(s.list_max_listpack_size),
        list_compress_depth: s.list_compress_depth as usize,
        hll_sparse_max_bytes: usize::try_from(s.hll_sparse_max_bytes).unwrap_or(usize::MAX),
        stream_node_max_bytes: usize::try_from(s.stream_node_max_bytes).unwrap_or(usize::MAX),
        stream_node_max_entries: usize::try_from(s.stream_node_max_entries).unwrap_or(usize::MAX),
    }
}

/// A fresh engine configured by `s`.
pub fn new_engine(s: &Settings) -> engine::Engine {
    let mut engine = engine::Engine::new(s.databases as usize);
    engine.limits = engine_limits(s);
    engine.rdb_compression = s.rdbcompression;
    engine.set_notify_flags(s.notify_keyspace_events);
    engine
}

/// Runs the hooks of the directives CONFIG SET changed. Called with the
/// engine locked by the caller's `eng`.
pub fn config_changed(srv: &Arc<Shared>, eng: &mut engine::Engine, changes: &Changes) {
    let cfg = srv.config().read();
    let s = cfg.settings();
    for apply in &changes.apply {
        match apply {
            Apply::LogLevel => log::set_level(log_level(s.loglevel)),
            Apply::RdbCompression => eng.rdb_compression = s.rdbcompression,
            Apply::KeyspaceEvents => eng.set_notify_flags(s.notify_keyspace_events),
            Apply::ReplNoDelay => {
                for r in &srv.repl().state.lock().replicas {
                    r.handle.send(crate::state::clients::Mail::NoDelay(
                        !s.repl_disable_tcp_nodelay,
                    ));
                }
            }
            Apply::MinReplicas => {
                srv.repl()
                    .set_min_replicas(s.min_replicas_to_write, s.min_replicas_max_lag);
            }
            Apply::ReplBacklogSize => srv
                .repl()
                .state
                .lock()
                .master
                .resize_backlog(s.repl_backlog_size as usize),
            Apply::Maxmemory => crate::eviction::configure(srv.maxmemory(), &cfg, eng),
            Apply::EncodingLimits => eng.limits = engine_limits(s),
            Apply::Introspection => srv.configure_introspection(s),
            // Never reported: without TLS the config refuses the change.
            Apply::Tls => {}
        }
    }
}
