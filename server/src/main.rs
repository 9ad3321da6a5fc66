//! redust-server: a Redis-compatible server.
//!
//! The binary wires the crates together: configuration, listening sockets,
//! client connections, server commands and INFO. Data commands live in the
//! `engine` crate; the wire format in `resp`.

// Layers, lowest first; a module imports only from layers below its own
// (tests/layers.rs checks it). See ARCHITECTURE.md.
// Leaves:
mod busy_poll;
mod config;
mod crash;
mod log;
mod ops;
mod time;
// State: types that own their data, composed into `state::Shared`.
mod state;
// Services acting on the state:
mod after;
mod apply;
mod eviction;
mod persistence;
mod replication;
// Commands: the table, the checks, the handlers, per-client sessions.
mod commands;
// Tasks: client connections, the link to our master, the cron, listeners.
mod connection;
mod cron;
mod listener;
mod master_link;

use std::process::ExitCode;

/// jemalloc, as in Redis: its statistics feed INFO memory and MEMORY.
#[global_allocator]
static GLOBAL: memstats::Allocator = memstats::Allocator;

use log::log;

/// The Redis version we behave like (INFO redis_version, HELLO).
pub const REDIS_VERSION: &str = "7.0.15";
pub const REDUST_VERSION: &str = env!("CARGO_PKG_VERSION");

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match config::Config::from_args(args) {
        Ok(config) => config,
        Err(config::ConfigError::Version) => {
            println!(
                "Redust server v={REDUST_VERSION} (Redis {REDIS_VERSION} compatible) bits=64 malloc={}",
                memstats::allocator_name()
            );
            return ExitCode::SUCCESS;
        }
        Err(config::ConfigError::Help) => {
            eprintln!("{}", config::usage());
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let renames: Vec<(String, String)> = config
        .rename_commands()
        .iter()
        .map(|r| (r.from.clone(), r.to.clone()))
        .collect();
    if let Err(e) = commands::Table::init(&renames) {
        eprintln!("\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n{e}");
        return ExitCode::FAILURE;
    }
    let s = config.settings();
    if let Err(e) = log::init(&s.logfile, apply::log_level(s.loglevel)) {
        eprintln!("Can't open the log file: {e}");
        return ExitCode::FAILURE;
    }
    log::set_role(b'C');
    log!(Warning, "oO0OoO0OoO0Oo Redust is starting oO0OoO0OoO0Oo");
    log!(
        Warning,
        "Redust version={REDUST_VERSION} (Redis {REDIS_VERSION} compatible), bits=64, pid={}, just started",
        std::process::id()
    );
    if config.config_file().is_some() {
        log!(Warning, "Configuration loaded");
    } else {
        log!(Warning, "Warning: no config file specified, using the default config. In order to specify a config file use redust-server /path/to/redis.conf");
    }
    for name in config.not_in_effect() {
        log!(
            Warning,
            "Config directive '{name}' is accepted but not in effect yet in Redust"
        );
    }
    log::set_role(b'M');

    // Like Redis, one thread does everything by default: on small machines
    // that beats spreading connections over threads that contend for the
    // keyspace lock. `io-threads N` runs N worker threads instead.
    let (io_threads, busy_poll_usec) = {
        let s = config.settings();
        (s.io_threads as usize, s.busy_poll_usec)
    };
    let epoll_before = busy_poll::epoll_fds();
    let runtime = match io_threads {
        1 => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .on_thread_park(busy_poll::before_park)
            .on_thread_unpark(busy_poll::after_unpark)
            .build(),
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build(),
    }
    .expect("tokio runtime");
    if io_threads == 1 {
        let max = std::time::Duration::from_micros(u64::from(busy_poll_usec));
        busy_poll::install(&epoll_before, max);
    }
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log!(Warning, "{e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: config::Config) -> anyhow::Result<()> {
    let (port, bind, backlog, pidfile) = {
        let s = config.settings();
        (s.port, s.bind.clone(), s.tcp_backlog, s.pidfile.clone())
    };
    let listeners = listener::bind(&bind, port, backlog).await?;
    // Removed when `run` returns, on every way to a clean exit.
    let _pidfile = pidfile.map(PidFile::create);
    let engine = apply::new_engine(config.settings());
    let srv = state::Shared::new(config, engine, port);
    let reported = srv.clone();
    crash::install(Box::new(move |client| {
        let client = client
            .and_then(|id| reported.clients().all().into_iter().find(|h| h.id == id))
            .map_or_else(|| "(no client)".to_string(), |h| h.describe(None));
        (client, commands::info_for_crash_report(&reported))
    }));
    eviction::configure(
        srv.maxmemory(),
        &srv.config().read(),
        &mut srv.engine().lock(),
    );
    persistence::load_at_startup(&srv)?;
    log!(Notice, "Running mode=standalone, port={port}.");
    log!(Warning, "Server initialized");
    for l in listeners {
        tokio::spawn(listener::accept_loop(srv.clone(), l));
    }
    tokio::spawn(cron::run(srv.clone()));
    tokio::spawn(master_link::supervise(srv.clone()));
    let replicaof = srv.settings().replicaof.clone();
    if let Some((host, port)) = replicaof {
        replication::become_replica(&srv, host, port);
    }
    log!(Notice, "Ready to accept connections tcp");

    let mut shutdown = srv.shutdown_signal();
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    loop {
        let signal = tokio::select! {
            _ = sigterm.recv() => "SIGTERM",
            _ = sigint.recv() => "SIGINT",
            _ = shutdown.changed() => return Ok(()),
        };
        log!(Warning, "Received {signal} scheduling shutdown...");
        log!(Warning, "User requested shutdown...");
        let saved = shutdown_save(&srv, &srv.engine().lock(), None);
        if let Err(e) = saved {
            // Exiting would lose the writes since the last save: like
            // Redis, keep serving and wait for the next signal or SHUTDOWN.
            log!(Warning, "{e}");
            log!(
                Warning,
                "Errors trying to shut down the server. Check the logs for more information."
            );
            continue;
        }
        log!(Warning, "Redust is now ready to exit, bye bye...");
        srv.request_shutdown();
        return Ok(());
    }
}

/// The `pidfile`, written at start and removed at exit, as Redis does.
struct PidFile(String);

impl PidFile {
    fn create(path: String) -> PidFile {
        // Like Redis, a pidfile that cannot be written is only logged.
        if let Err(e) = std::fs::write(&path, format!("{}\n", std::process::id())) {
            log!(Warning, "Failed to write PID file: {e}");
        }
        PidFile(path)
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Saves on the way out when save points are configured (or SHUTDOWN SAVE
/// asked), unless SHUTDOWN NOSAVE said otherwise.
pub fn shutdown_save(
    srv: &std::sync::Arc<state::Shared>,
    eng: &engine::Engine,
    save: Option<bool>,
) -> Result<(), String> {
    persistence::abandon_bgsave(srv);
    let wanted = save.unwrap_or_else(|| !srv.settings().save.is_empty());
    if !wanted {
        return Ok(());
    }
    log!(Notice, "Saving the final RDB snapshot before exiting.");
    persistence::save(srv, eng).map_err(|e| format!("Error trying to save the DB, can't exit. {e}"))
}
