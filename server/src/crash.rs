//! The panic policy: a bug must never leave a half-applied write while the
//! server keeps serving. Any panic writes a crash report to the log, as
//! Redis's `bugReportStart` does (version, the panic and where, a
//! backtrace, the client and command that were running, INFO), then aborts
//! the process with a non-zero status. Tokio would otherwise catch a
//! panicking task and serve on with whatever state it left.

use std::cell::Cell;
use std::sync::OnceLock;

use crate::log::{log, Level};

/// Renders what the report shows of the server: the running client's
/// description (given its id) and INFO.
pub type Describe = Box<dyn Fn(Option<u64>) -> (String, String) + Send + Sync>;

static DESCRIBE: OnceLock<Describe> = OnceLock::new();

/// The command this thread is running: client id and `(name, parent)`.
type Current = Option<(u64, &'static str, Option<&'static str>)>;

thread_local! {
    static CURRENT: Cell<Current> = const { Cell::new(None) };
}

/// Marks a command as running on this thread until the guard drops (one
/// thread-local store each way: cheap enough for every command).
pub struct Running(Current);

impl Running {
    pub fn enter(client: u64, name: &'static str, parent: Option<&'static str>) -> Running {
        Running(CURRENT.with(|c| c.replace(Some((client, name, parent)))))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

/// Installs the panic hook; `describe` is called from it.
pub fn install(describe: Describe) {
    let _ = DESCRIBE.set(describe);
    std::panic::set_hook(Box::new(|info| {
        report(info);
        std::process::abort();
    }));
}

fn report(info: &std::panic::PanicHookInfo<'_>) {
    let line = |text: &str| {
        for l in text.lines() {
            crate::log::write(Level::Warning, format_args!("{l}"));
        }
    };
    log!(
        Warning,
        "\n\n=== REDUST BUG REPORT START: Cut & paste starting from here ==="
    );
    log!(
        Warning,
        "Redust {} (Redis {} compatible) crashed by a panic",
        crate::REDUST_VERSION,
        crate::REDIS_VERSION
    );
    line(&format!("Panic: {info}"));
    line("\n------ STACK TRACE ------");
    line(&std::backtrace::Backtrace::force_capture().to_string());
    let current = CURRENT.with(Cell::get);
    line("\n------ CURRENT CLIENT INFO ------");
    match current {
        Some((_, name, parent)) => {
            let cmd = parent.map_or(name.to_string(), |p| format!("{p}|{name}"));
            line(&format!("command: {cmd}"));
        }
        None => line("(no command was running on this thread)"),
    }
    if let Some(describe) = DESCRIBE.get() {
        let (client, info) = describe(current.map(|(id, _, _)| id));
        line(&client);
        line("\n------ INFO OUTPUT ------");
        line(&info);
    }
    log!(
        Warning,
        "\n=== REDUST BUG REPORT END. Make sure to include from START to END. ===\n"
    );
}
