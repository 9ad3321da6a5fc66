//! Text-level parsing shared by the config file, argv and CONFIG SET:
//! Redis's argument splitter and quoting, and the argv-to-config-lines
//! translation `redis-server` does in `main()`.

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Invocation {
    Version,
    Help,
    Run(Plan),
}

/// Where the configuration text comes from, in load order.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// First positional argument, as given (not yet absolute).
    pub file: Option<String>,
    /// `-` as the first or last argument.
    pub stdin: bool,
    /// The `--name value` options turned into config lines; `None` when
    /// there were no arguments at all (then nothing is appended).
    pub options: Option<String>,
}

/// Interpret `redis-server`'s arguments (without `argv[0]`).
///
/// Options become one config line each, with their arguments quoted, so
/// `--port 7000` is the line `port "7000"`; a value may also ride in the
/// option itself (`"--port 7000"`). `--save` with no value means `save ""`.
pub(crate) fn invocation(args: &[String]) -> Invocation {
    let Some(first) = args.first() else {
        return Invocation::Run(Plan::default());
    };
    match first.as_str() {
        "-v" | "--version" => return Invocation::Version,
        "-h" | "--help" => return Invocation::Help,
        _ => {}
    }
    let mut plan = Plan::default();
    let mut j = 0;
    if !first.starts_with('-') {
        plan.file = Some(first.clone());
        j = 1;
    }
    let mut options = String::new();
    let mut last_option_has_arg = true;
    let is_option = |a: &str| a.starts_with("--");
    while j < args.len() {
        let arg = &args[j];
        let last = j == args.len() - 1;
        if arg == "-" && (j == 0 || last) {
            plan.stdin = true;
        } else if last_option_has_arg && is_option(arg) {
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(&arg[2..]);
            options.push(' ');
            let words = split_args(arg.as_bytes()).map_or(0, |w| w.len());
            if words == 1 {
                // A bare option name: its value is in the following args.
                last_option_has_arg = false;
                let next_is_option = !last && is_option(&args[j + 1]);
                if arg.eq_ignore_ascii_case("--save") && (last || next_is_option) {
                    // Pre-7.0 command lines generated from an empty array.
                    options.push_str("\"\"");
                    last_option_has_arg = next_is_option;
                } else if arg.eq_ignore_ascii_case("--sentinel") && next_is_option {
                    last_option_has_arg = true;
                }
            } else {
                last_option_has_arg = true;
            }
        } else {
            options.push_str(&repr(arg.as_bytes()));
            options.push(' ');
            last_option_has_arg = true;
        }
        j += 1;
    }
    plan.options = Some(options);
    Invocation::Run(plan)
}

/// Split a line into arguments like Redis's `sdssplitargs`: the one
/// implementation Redust has, [`resp::split_args`] (inline requests use it
/// too). Returns `None` on unbalanced quotes.
pub(crate) fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let line = bytes::Bytes::copy_from_slice(line);
    resp::split_args(&line).map(|args| args.into_iter().map(|a| a.to_vec()).collect())
}

/// Quote a value the way Redis's `sdscatrepr` does, so that `split_args`
/// gives it back unchanged.
pub(crate) fn repr(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &c in s {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            c if (0x20..0x7f).contains(&c) => out.push(c as char),
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('"');
    out
}

/// Strip the characters Redis trims from each config line.
pub(crate) fn trim_line(line: &[u8]) -> &[u8] {
    let blank = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let start = line.iter().position(|c| !blank(c)).unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|c| !blank(c))
        .map_or(start, |e| e + 1);
    &line[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn split(s: &str) -> Option<Vec<String>> {
        split_args(s.as_bytes()).map(|v| {
            v.into_iter()
                .map(|a| String::from_utf8(a).unwrap())
                .collect()
        })
    }

    fn options(v: &[&str]) -> String {
        match invocation(&args(v)) {
            Invocation::Run(plan) => plan.options.unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn splits_like_sdssplitargs() {
        assert_eq!(split("  set a  b "), Some(args(&["set", "a", "b"])));
        assert_eq!(split(r#"a "b c" 'd e'"#), Some(args(&["a", "b c", "d e"])));
        assert_eq!(split(r#""\x41\n\"" '\'x'"#), Some(args(&["A\n\"", "'x"])));
        assert_eq!(split(r#"save """#), Some(args(&["save", ""])));
        assert_eq!(split(r#"a"b""#), Some(args(&["ab"])));
        assert_eq!(split(r#""a"b"#), None);
        assert_eq!(split(r#""abc"#), None);
        assert_eq!(split("'abc"), None);
        assert_eq!(split(""), Some(vec![]));
    }

    #[test]
    fn repr_round_trips() {
        let raw = b"a b\"\\\n\x01\xff";
        let quoted = repr(raw);
        assert_eq!(quoted, r#""a b\"\\\n\x01\xff""#);
        assert_eq!(split_args(quoted.as_bytes()).unwrap(), vec![raw.to_vec()]);
    }

    #[test]
    fn argv_becomes_config_lines() {
        assert_eq!(invocation(&args(&["-v"])), Invocation::Version);
        assert_eq!(invocation(&args(&["--help"])), Invocation::Help);
        assert_eq!(options(&["--port", "7000"]), "port \"7000\" ");
        assert_eq!(
            options(&["--port", "7000", "--slaveof", "127.0.0.1", "6379"]),
            "port \"7000\" \nslaveof \"127.0.0.1\" \"6379\" "
        );
        assert_eq!(options(&["--save", ""]), "save \"\" ");
        assert_eq!(options(&["--save"]), "save \"\"");
        assert_eq!(
            options(&["--save", "--port", "1"]),
            "save \"\"\nport \"1\" "
        );
        assert_eq!(
            options(&["--port 7000", "--hz", "5"]),
            "port 7000 \nhz \"5\" "
        );
        // A bare option swallows the next argument even if it looks like one.
        assert_eq!(options(&["--port", "--hz"]), "port \"--hz\" ");
    }

    #[test]
    fn argv_file_and_stdin() {
        let Invocation::Run(plan) = invocation(&args(&["/etc/r.conf", "--hz", "5", "-"])) else {
            panic!()
        };
        assert_eq!(plan.file.as_deref(), Some("/etc/r.conf"));
        assert!(plan.stdin);
        let Invocation::Run(plan) = invocation(&args(&["-", "--hz", "5"])) else {
            panic!()
        };
        assert_eq!(plan.file, None);
        assert!(plan.stdin);
        assert_eq!(invocation(&[]), Invocation::Run(Plan::default()));
    }

    #[test]
    fn trims_blanks() {
        assert_eq!(trim_line(b"  port 1 \r\n"), b"port 1");
        assert_eq!(trim_line(b" \t "), b"");
    }
}
