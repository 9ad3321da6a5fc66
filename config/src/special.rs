//! Directives with their own syntax: dir, save, client-output-buffer-limit,
//! oom-score-adj-values, notify-keyspace-events, bind, replicaof and
//! latency-tracking-info-percentiles. Each variant of [`Special`] holds its
//! typed field.

use std::path::Path;

use crate::directive::{Field, Reason};
use crate::notify;
use crate::settings::{ClientOutputBufferLimits, ObufLimit, SavePoint, Settings};
use crate::value::{memtoull, strtoll};

pub(crate) const DEFAULT_SAVE: &[SavePoint] = &[
    SavePoint {
        seconds: 3600,
        changes: 1,
    },
    SavePoint {
        seconds: 300,
        changes: 100,
    },
    SavePoint {
        seconds: 60,
        changes: 10000,
    },
];
pub(crate) const DEFAULT_BIND: &[&str] = &["*", "-::*"];
pub(crate) const DEFAULT_OBUF: ClientOutputBufferLimits = ClientOutputBufferLimits {
    normal: ObufLimit {
        hard: 0,
        soft: 0,
        soft_seconds: 0,
    },
    replica: ObufLimit {
        hard: 256 << 20,
        soft: 64 << 20,
        soft_seconds: 60,
    },
    pubsub: ObufLimit {
        hard: 32 << 20,
        soft: 8 << 20,
        soft_seconds: 60,
    },
};
pub(crate) const DEFAULT_OOM: [i32; 3] = [0, 200, 800];
const DEFAULT_PERCENTILES: &[f64] = &[50.0, 99.0, 99.9];
const BINDADDR_MAX: usize = 16;

/// A directive with a syntax of its own, and its field.
#[derive(Clone, Copy)]
pub(crate) enum Special {
    /// Absolute path of the working directory.
    Dir(&'static Field<String>),
    Save(&'static Field<Vec<SavePoint>>),
    ClientOutputBufferLimit(&'static Field<ClientOutputBufferLimits>),
    OomScoreAdjValues(&'static Field<[i32; 3]>),
    NotifyKeyspaceEvents(&'static Field<u32>),
    Bind(&'static Field<Vec<String>>),
    ReplicaOf(&'static Field<Option<(String, u16)>>),
    LatencyTrackingInfoPercentiles(&'static Field<Vec<f64>>),
}

impl Special {
    pub fn reset(&self, s: &mut Settings, default_dir: &str) {
        match *self {
            Special::Dir(f) => f.set(s, default_dir.to_owned()),
            Special::Save(f) => f.set(s, DEFAULT_SAVE.to_vec()),
            Special::ClientOutputBufferLimit(f) => f.set(s, DEFAULT_OBUF),
            Special::OomScoreAdjValues(f) => f.set(s, DEFAULT_OOM),
            Special::NotifyKeyspaceEvents(f) => f.set(s, 0),
            Special::Bind(f) => f.set(s, DEFAULT_BIND.iter().map(|a| a.to_string()).collect()),
            Special::ReplicaOf(f) => f.set(s, None),
            Special::LatencyTrackingInfoPercentiles(f) => f.set(s, DEFAULT_PERCENTILES.to_vec()),
        }
    }

    pub fn set(&self, s: &mut Settings, args: &[String], save_append: bool) -> Result<(), Reason> {
        match *self {
            Special::Dir(f) => {
                let v = parse_dir((f.get)(s), args)?;
                f.set(s, v);
            }
            Special::Save(f) => {
                let v = parse_save((f.get)(s), args, save_append)?;
                f.set(s, v);
            }
            Special::ClientOutputBufferLimit(f) => {
                let v = parse_obuf((f.get)(s), args)?;
                f.set(s, v);
            }
            Special::OomScoreAdjValues(f) => f.set(s, parse_oom(args)?),
            Special::NotifyKeyspaceEvents(f) => {
                let [arg] = args else {
                    return Err("wrong number of arguments".into());
                };
                let flags = notify::parse_flags(arg.as_bytes())
                    .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
                f.set(s, flags);
            }
            Special::Bind(f) => {
                if args.len() > BINDADDR_MAX {
                    return Err("Too many bind addresses specified.".into());
                }
                f.set(s, none_if_empty(args).to_vec());
            }
            Special::ReplicaOf(f) => f.set(s, parse_replicaof(args)?),
            Special::LatencyTrackingInfoPercentiles(f) => f.set(s, parse_percentiles(args)?),
        }
        Ok(())
    }

    /// The CONFIG GET text.
    pub fn format(&self, s: &Settings) -> String {
        match *self {
            Special::Dir(f) => (f.get)(s).clone(),
            Special::Save(f) => {
                let parts: Vec<String> = (f.get)(s)
                    .iter()
                    .map(|p| format!("{} {}", p.seconds, p.changes))
                    .collect();
                parts.join(" ")
            }
            Special::ClientOutputBufferLimit(f) => {
                let parts: Vec<String> = obuf_classes((f.get)(s))
                    .iter()
                    .map(|(name, l)| format!("{name} {} {} {}", l.hard, l.soft, l.soft_seconds))
                    .collect();
                parts.join(" ")
            }
            Special::OomScoreAdjValues(f) => {
                let v = (f.get)(s);
                format!("{} {} {}", v[0], v[1], v[2])
            }
            Special::NotifyKeyspaceEvents(f) => notify::flags_to_string(*(f.get)(s)),
            Special::Bind(f) => (f.get)(s).join(" "),
            Special::ReplicaOf(f) => match (f.get)(s) {
                Some((host, port)) => format!("{host} {port}"),
                None => String::new(),
            },
            Special::LatencyTrackingInfoPercentiles(f) => format_percentiles((f.get)(s)),
        }
    }

    pub fn same(&self, a: &Settings, b: &Settings) -> bool {
        match *self {
            Special::Dir(f) => f.same(a, b),
            Special::Save(f) => f.same(a, b),
            Special::ClientOutputBufferLimit(f) => f.same(a, b),
            Special::OomScoreAdjValues(f) => f.same(a, b),
            Special::NotifyKeyspaceEvents(f) => f.same(a, b),
            Special::Bind(f) => f.same(a, b),
            Special::ReplicaOf(f) => f.same(a, b),
            Special::LatencyTrackingInfoPercentiles(f) => f.same(a, b),
        }
    }

    #[cfg(test)]
    pub fn field_name(&self) -> &'static str {
        match *self {
            Special::Dir(f) => f.name,
            Special::Save(f) => f.name,
            Special::ClientOutputBufferLimit(f) => f.name,
            Special::OomScoreAdjValues(f) => f.name,
            Special::NotifyKeyspaceEvents(f) => f.name,
            Special::Bind(f) => f.name,
            Special::ReplicaOf(f) => f.name,
            Special::LatencyTrackingInfoPercentiles(f) => f.name,
        }
    }
}

/// The classes as CONFIG GET names them, in order.
pub(crate) fn obuf_classes(l: &ClientOutputBufferLimits) -> [(&'static str, ObufLimit); 3] {
    [
        ("normal", l.normal),
        ("slave", l.replica),
        ("pubsub", l.pubsub),
    ]
}

/// A single empty argument stands for "no arguments".
fn none_if_empty(args: &[String]) -> &[String] {
    match args {
        [only] if only.is_empty() => &[],
        _ => args,
    }
}

/// Redis changes directory at once; we only resolve and check the path
/// (relative to the current `dir`) and leave the `chdir` to the server.
fn parse_dir(cur: &str, args: &[String]) -> Result<String, Reason> {
    let [arg] = args else {
        return Err("wrong number of arguments".into());
    };
    if arg.is_empty() {
        return Err("No such file or directory".into());
    }
    let path = Path::new(cur).join(arg);
    let resolved = path.canonicalize().map_err(|e| io_reason(&e))?;
    if !resolved.is_dir() {
        return Err("Not a directory".into());
    }
    Ok(resolved.to_string_lossy().into_owned())
}

/// `strerror` text of an I/O error, without Rust's " (os error N)" suffix.
pub(crate) fn io_reason(e: &std::io::Error) -> Reason {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(i) => text[..i].to_owned().into(),
        None => text.into(),
    }
}

fn parse_save(cur: &[SavePoint], args: &[String], append: bool) -> Result<Vec<SavePoint>, Reason> {
    let args = none_if_empty(args);
    const ERR: &str = "Invalid save parameters";
    if !args.len().is_multiple_of(2) {
        return Err(ERR.into());
    }
    let mut points = Vec::with_capacity(args.len() / 2);
    for pair in args.chunks(2) {
        let (secs, changes) = (strtoll(&pair[0], 10), strtoll(&pair[1], 10));
        if !secs.complete || !changes.complete || secs.value < 1 || changes.value < 0 {
            return Err(ERR.into());
        }
        points.push(SavePoint {
            seconds: secs.value as u64,
            // Redis keeps `changes` in a C int.
            changes: changes.value as i32,
        });
    }
    // In a config file the first `save` line replaces the defaults and later
    // ones add to it; `save ""` always clears.
    let mut v = if append && !args.is_empty() {
        cur.to_vec()
    } else {
        Vec::new()
    };
    v.extend(points);
    Ok(v)
}

fn parse_obuf(
    cur: &ClientOutputBufferLimits,
    args: &[String],
) -> Result<ClientOutputBufferLimits, Reason> {
    let mut limits = *cur;
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    for group in args.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => &mut limits.normal,
            "slave" | "replica" => &mut limits.replica,
            "pubsub" => &mut limits.pubsub,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let secs = strtoll(&group[3], 10);
        // Redis keeps the seconds in a C int.
        let secs_int = secs.value as i32;
        match (memtoull(&group[1]), memtoull(&group[2])) {
            (Some(hard), Some(soft)) if secs.complete && secs_int >= 0 => {
                *class = ObufLimit {
                    hard,
                    soft,
                    soft_seconds: secs_int as u64,
                };
            }
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                        .into(),
                )
            }
        }
    }
    Ok(limits)
}

fn parse_oom(args: &[String]) -> Result<[i32; 3], Reason> {
    if args.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let mut v = [0i32; 3];
    for (slot, arg) in v.iter_mut().zip(args) {
        let n = strtoll(arg, 10);
        if !n.complete || !(-2000..=2000).contains(&n.value) {
            return Err(
                "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into(),
            );
        }
        *slot = n.value as i32;
    }
    Ok(v)
}

fn parse_replicaof(args: &[String]) -> Result<Option<(String, u16)>, Reason> {
    let [host, port] = args else {
        return Err("wrong number of arguments".into());
    };
    if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
        return Ok(None);
    }
    let n = strtoll(port, 10);
    if !n.complete || !(0..=65535).contains(&n.value) {
        return Err("Invalid master port".into());
    }
    Ok(Some((host.clone(), n.value as u16)))
}

fn parse_percentiles(args: &[String]) -> Result<Vec<f64>, Reason> {
    let mut v = Vec::new();
    for arg in none_if_empty(args) {
        let p = parse_double(arg).ok_or("Invalid latency-tracking-info-percentiles parameters")?;
        if !(0.0..=100.0).contains(&p) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            );
        }
        v.push(p);
    }
    Ok(v)
}

/// Redis's `string2d`: the whole string is a finite-or-infinite double, no
/// leading blanks, not NaN.
fn parse_double(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|v| !v.is_nan())
}

/// `%f` with trailing zeros (and a bare dot) removed.
pub(crate) fn format_double(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').unwrap_or(s).to_owned()
}

pub(crate) fn format_percentiles(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|p| format_double(*p)).collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn points(v: &[(u64, i32)]) -> Vec<SavePoint> {
        v.iter()
            .map(|&(seconds, changes)| SavePoint { seconds, changes })
            .collect()
    }

    #[test]
    fn save_replaces_or_appends() {
        let one = parse_save(DEFAULT_SAVE, &a(&["100", "1"]), false).unwrap();
        assert_eq!(one, points(&[(100, 1)]));
        let two = parse_save(&one, &a(&["200", "2"]), true).unwrap();
        assert_eq!(two, points(&[(100, 1), (200, 2)]));
        assert_eq!(parse_save(&two, &a(&[""]), true).unwrap(), vec![]);
        assert!(parse_save(&two, &a(&["0", "1"]), false).is_err());
        assert!(parse_save(&two, &a(&["1", "-1"]), false).is_err());
        assert!(parse_save(&two, &a(&["1"]), false).is_err());
        assert!(parse_save(&two, &a(&["1", "2x"]), false).is_err());
        // A C int, like Redis (CONFIG GET then shows "1 -1").
        assert_eq!(
            parse_save(&two, &a(&["1", "4294967295"]), false).unwrap(),
            points(&[(1, -1)])
        );
    }

    #[test]
    fn obuf_updates_only_named_classes() {
        let v = parse_obuf(&DEFAULT_OBUF, &a(&["replica", "1gb", "100mb", "30"])).unwrap();
        assert_eq!(
            v.replica,
            ObufLimit {
                hard: 1 << 30,
                soft: 100 << 20,
                soft_seconds: 30
            }
        );
        assert_eq!(
            (v.normal, v.pubsub),
            (DEFAULT_OBUF.normal, DEFAULT_OBUF.pubsub)
        );
        assert!(parse_obuf(&DEFAULT_OBUF, &a(&["master", "0", "0", "0"])).is_err());
        assert!(parse_obuf(&DEFAULT_OBUF, &a(&["normal", "0", "0"])).is_err());
        assert!(parse_obuf(&DEFAULT_OBUF, &a(&["normal", "0", "0", "-1"])).is_err());
    }

    #[test]
    fn percentiles_format_like_percent_f() {
        assert_eq!(format_double(99.9), "99.9");
        assert_eq!(format_double(50.0), "50");
        assert_eq!(format_double(0.5), "0.5");
        assert_eq!(format_percentiles(DEFAULT_PERCENTILES), "50 99 99.9");
    }
}
