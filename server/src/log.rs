//! Log lines in Redis's format:
//! `pid:M 25 Nov 2026 22:00:00.123 * Ready to accept connections tcp`.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

use parking_lot::Mutex;

/// Severity, with the marker character Redis prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug = 0,
    Verbose = 1,
    Notice = 2,
    Warning = 3,
}

impl Level {
    fn marker(self) -> char {
        match self {
            Level::Debug => '.',
            Level::Verbose => '-',
            Level::Notice => '*',
            Level::Warning => '#',
        }
    }
}

struct Logger {
    min: AtomicU8,
    role: AtomicU8,
    sink: Mutex<Box<dyn Write + Send>>,
}

static LOGGER: OnceLock<Logger> = OnceLock::new();

/// Sets where logs go (`""` means stdout) and the lowest level written
/// (`None` disables logging, Redis's `loglevel nothing`).
pub fn init(logfile: &str, min: Option<Level>) -> std::io::Result<()> {
    let sink: Box<dyn Write + Send> = if logfile.is_empty() {
        Box::new(std::io::stdout())
    } else {
        Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(logfile)?,
        )
    };
    let logger = Logger {
        min: AtomicU8::new(min.map_or(u8::MAX, |l| l as u8)),
        role: AtomicU8::new(b'M'),
        sink: Mutex::new(sink),
    };
    let _ = LOGGER.set(logger);
    Ok(())
}

/// Changes the level at run time (CONFIG SET loglevel).
pub fn set_level(min: Option<Level>) {
    if let Some(l) = LOGGER.get() {
        l.min
            .store(min.map_or(u8::MAX, |l| l as u8), Ordering::Relaxed);
    }
}

/// The role letter: `M` master, `S` replica, `C` child.
pub fn set_role(role: u8) {
    if let Some(l) = LOGGER.get() {
        l.role.store(role, Ordering::Relaxed);
    }
}

pub fn write(level: Level, msg: std::fmt::Arguments) {
    let Some(logger) = LOGGER.get() else { return };
    if (level as u8) < logger.min.load(Ordering::Relaxed) {
        return;
    }
    let line = format!(
        "{}:{} {} {} {}\n",
        std::process::id(),
        logger.role.load(Ordering::Relaxed) as char,
        timestamp(),
        level.marker(),
        msg
    );
    let mut sink = logger.sink.lock();
    let _ = sink.write_all(line.as_bytes());
    let _ = sink.flush();
}

/// `25 Nov 2026 22:00:00.123` in UTC.
fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let rem = secs.rem_euclid(86400);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        d,
        MONTHS[(m - 1) as usize],
        y,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

macro_rules! log {
    ($level:ident, $($arg:tt)*) => {
        $crate::log::write($crate::log::Level::$level, format_args!($($arg)*))
    };
}
pub(crate) use log;

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(20_783), (2026, 11, 26));
    }
}
