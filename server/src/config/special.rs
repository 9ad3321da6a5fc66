//! Directives with their own syntax: dir, save, client-output-buffer-limit,
//! oom-score-adj-values, notify-keyspace-events, bind, replicaof and
//! latency-tracking-info-percentiles.

use std::path::Path;

use super::table::Special;
use super::value::{memtoull, strtoll, ObufLimit, SetError, Value};

/// Keyspace notification classes (`notify-keyspace-events` letters); the
/// engine owns their parsing and printing.
pub use engine::notify;

const DEFAULT_SAVE: &[(i64, i32)] = &[(3600, 1), (300, 100), (60, 10000)];
pub(super) const DEFAULT_BIND: &[&str] = &["*", "-::*"];
/// normal, replica, pubsub.
pub(super) const DEFAULT_OBUF: [ObufLimit; 3] = [
    ObufLimit {
        hard: 0,
        soft: 0,
        soft_seconds: 0,
    },
    ObufLimit {
        hard: 256 << 20,
        soft: 64 << 20,
        soft_seconds: 60,
    },
    ObufLimit {
        hard: 32 << 20,
        soft: 8 << 20,
        soft_seconds: 60,
    },
];
pub(super) const OBUF_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];
pub(super) const DEFAULT_OOM: [i32; 3] = [0, 200, 800];
const BINDADDR_MAX: usize = 16;

pub(super) fn default_value(s: Special, default_dir: &str) -> Value {
    match s {
        Special::Dir => Value::Dir(default_dir.to_owned()),
        Special::Save => Value::Save(DEFAULT_SAVE.to_vec()),
        Special::ClientOutputBufferLimit => Value::Obuf(DEFAULT_OBUF),
        Special::OomScoreAdjValues => Value::Oom(DEFAULT_OOM),
        Special::NotifyKeyspaceEvents => Value::Events(0),
        Special::Bind => Value::Bind(DEFAULT_BIND.iter().map(|s| s.to_string()).collect()),
        Special::ReplicaOf => Value::ReplicaOf(None),
        Special::LatencyTrackingInfoPercentiles => Value::Percentiles(vec![50.0, 99.0, 99.9]),
    }
}

/// A single empty argument stands for "no arguments".
fn none_if_empty(args: &[String]) -> &[String] {
    match args {
        [only] if only.is_empty() => &[],
        _ => args,
    }
}

pub(super) fn parse(
    s: Special,
    cur: &Value,
    args: &[String],
    save_append: bool,
) -> Result<Value, SetError> {
    match s {
        Special::Dir => parse_dir(cur, args),
        Special::Save => parse_save(cur, args, save_append),
        Special::ClientOutputBufferLimit => parse_obuf(cur, args),
        Special::OomScoreAdjValues => {
            if args.len() != 3 {
                return Err("wrong number of arguments".into());
            }
            let mut v = [0i32; 3];
            for (slot, arg) in v.iter_mut().zip(args) {
                let n = strtoll(arg, 10);
                if !n.complete || !(-2000..=2000).contains(&n.value) {
                    return Err(
                        "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
                            .into(),
                    );
                }
                *slot = n.value as i32;
            }
            Ok(Value::Oom(v))
        }
        Special::NotifyKeyspaceEvents => {
            if args.len() != 1 {
                return Err("wrong number of arguments".into());
            }
            notify::parse_flags(args[0].as_bytes())
                .map(Value::Events)
                .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into())
        }
        Special::Bind => {
            if args.len() > BINDADDR_MAX {
                return Err("Too many bind addresses specified.".into());
            }
            Ok(Value::Bind(none_if_empty(args).to_vec()))
        }
        Special::ReplicaOf => {
            let [host, port] = args else {
                return Err("wrong number of arguments".into());
            };
            if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
                return Ok(Value::ReplicaOf(None));
            }
            let n = strtoll(port, 10);
            if !n.complete || !(0..=65535).contains(&n.value) {
                return Err("Invalid master port".into());
            }
            Ok(Value::ReplicaOf(Some((host.clone(), n.value as u16))))
        }
        Special::LatencyTrackingInfoPercentiles => {
            let mut v = Vec::new();
            for arg in none_if_empty(args) {
                let p = parse_double(arg)
                    .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
                if !(0.0..=100.0).contains(&p) {
                    return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into());
                }
                v.push(p);
            }
            Ok(Value::Percentiles(v))
        }
    }
}

/// Redis changes directory at once; we only resolve and check the path
/// (relative to the current `dir`) and leave the `chdir` to the server.
fn parse_dir(cur: &Value, args: &[String]) -> Result<Value, SetError> {
    let [arg] = args else {
        return Err("wrong number of arguments".into());
    };
    let Value::Dir(cur) = cur else {
        unreachable!("dir holds a Dir value")
    };
    if arg.is_empty() {
        return Err("No such file or directory".into());
    }
    let path = Path::new(cur).join(arg);
    let resolved = path.canonicalize().map_err(|e| io_reason(&e))?;
    if !resolved.is_dir() {
        return Err("Not a directory".into());
    }
    Ok(Value::Dir(resolved.to_string_lossy().into_owned()))
}

/// `strerror` text of an I/O error, without Rust's " (os error N)" suffix.
pub(super) fn io_reason(e: &std::io::Error) -> SetError {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(i) => text[..i].to_owned().into(),
        None => text.into(),
    }
}

fn parse_save(cur: &Value, args: &[String], append: bool) -> Result<Value, SetError> {
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
        // Redis keeps `changes` in a C int.
        points.push((secs.value, changes.value as i32));
    }
    // In a config file the first `save` line replaces the defaults and later
    // ones add to it; `save ""` always clears.
    let mut v = match cur {
        Value::Save(old) if append && !args.is_empty() => old.clone(),
        _ => Vec::new(),
    };
    v.extend(points);
    Ok(Value::Save(v))
}

fn parse_obuf(cur: &Value, args: &[String]) -> Result<Value, SetError> {
    let Value::Obuf(mut limits) = cur.clone() else {
        unreachable!("client-output-buffer-limit holds an Obuf value")
    };
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    for group in args.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let secs = strtoll(&group[3], 10);
        // Redis keeps the seconds in a C int.
        let secs_int = secs.value as i32;
        match (memtoull(&group[1]), memtoull(&group[2])) {
            (Some(hard), Some(soft)) if secs.complete && secs_int >= 0 => {
                limits[class] = ObufLimit {
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
    Ok(Value::Obuf(limits))
}

/// Redis's `string2d`: the whole string is a finite-or-infinite double, no
/// leading blanks, not NaN.
fn parse_double(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|v| !v.is_nan())
}

/// `%f` with trailing zeros (and a bare dot) removed.
pub(super) fn format_double(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').unwrap_or(s).to_owned()
}

pub(super) fn format(v: &Value) -> String {
    match v {
        Value::Dir(d) => d.clone(),
        Value::Save(points) => {
            let parts: Vec<String> = points.iter().map(|(s, c)| format!("{s} {c}")).collect();
            parts.join(" ")
        }
        Value::Obuf(limits) => {
            let parts: Vec<String> = OBUF_CLASSES
                .iter()
                .zip(limits)
                .map(|(name, l)| format!("{name} {} {} {}", l.hard, l.soft, l.soft_seconds))
                .collect();
            parts.join(" ")
        }
        Value::Oom(v) => format!("{} {} {}", v[0], v[1], v[2]),
        Value::Events(flags) => notify::flags_to_string(*flags),
        Value::Bind(addrs) => addrs.join(" "),
        Value::ReplicaOf(Some((host, port))) => format!("{host} {port}"),
        Value::ReplicaOf(None) => String::new(),
        Value::Percentiles(v) => {
            let parts: Vec<String> = v.iter().map(|p| format_double(*p)).collect();
            parts.join(" ")
        }
        other => unreachable!("not a special value: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn save_replaces_or_appends() {
        let defaults = default_value(Special::Save, "/");
        let one = parse_save(&defaults, &a(&["100", "1"]), false).unwrap();
        assert_eq!(one, Value::Save(vec![(100, 1)]));
        let two = parse_save(&one, &a(&["200", "2"]), true).unwrap();
        assert_eq!(two, Value::Save(vec![(100, 1), (200, 2)]));
        assert_eq!(
            parse_save(&two, &a(&[""]), true).unwrap(),
            Value::Save(vec![])
        );
        assert!(parse_save(&two, &a(&["0", "1"]), false).is_err());
        assert!(parse_save(&two, &a(&["1", "-1"]), false).is_err());
        assert!(parse_save(&two, &a(&["1"]), false).is_err());
        assert!(parse_save(&two, &a(&["1", "2x"]), false).is_err());
    }

    #[test]
    fn obuf_updates_only_named_classes() {
        let d = default_value(Special::ClientOutputBufferLimit, "/");
        let v = parse_obuf(&d, &a(&["replica", "1gb", "100mb", "30"])).unwrap();
        assert_eq!(
            format(&v),
            "normal 0 0 0 slave 1073741824 104857600 30 pubsub 33554432 8388608 60"
        );
        assert!(parse_obuf(&d, &a(&["master", "0", "0", "0"])).is_err());
        assert!(parse_obuf(&d, &a(&["normal", "0", "0"])).is_err());
        assert!(parse_obuf(&d, &a(&["normal", "0", "0", "-1"])).is_err());
    }

    #[test]
    fn percentiles_format_like_percent_f() {
        assert_eq!(format_double(99.9), "99.9");
        assert_eq!(format_double(50.0), "50");
        assert_eq!(format_double(0.5), "0.5");
        assert_eq!(
            format(&default_value(Special::LatencyTrackingInfoPercentiles, "/")),
            "50 99 99.9"
        );
    }
}
