//! Command-line options, spelled like redis-cli's: single-dash letters
//! (`-h host`, `-p port`, `-n db`, `-3`), and everything from the first
//! word that is not an option on is the command (`-p 7000 SLAVEOF host 6379`).

use std::ffi::OsString;
use std::io::IsTerminal;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};

use crate::connection::Address;
use crate::format::Output;
use crate::session::Settings;
use crate::uri::RedisUri;

#[derive(Parser, Debug)]
#[command(
    name = "redust-cli",
    disable_help_flag = true,
    disable_version_flag = true,
    args_override_self = true
)]
struct Args {
    #[arg(short = 'h', value_name = "hostname")]
    host: Option<String>,
    #[arg(short = 'p', value_name = "port")]
    port: Option<u16>,
    #[arg(short = 's', value_name = "socket")]
    socket: Option<PathBuf>,
    #[arg(short = 'a', long = "pass", value_name = "password")]
    password: Option<OsString>,
    #[arg(long, value_name = "username")]
    user: Option<OsString>,
    #[arg(short = 'u', value_name = "uri")]
    uri: Option<String>,
    #[arg(short = 'r', value_name = "repeat", allow_negative_numbers = true)]
    repeat: Option<i64>,
    #[arg(short = 'i', value_name = "interval")]
    interval: Option<f64>,
    #[arg(short = 'n', value_name = "db", allow_negative_numbers = true)]
    db: Option<i64>,
    #[arg(short = '2', overrides_with = "resp3")]
    resp2: bool,
    #[arg(short = '3', overrides_with = "resp2")]
    resp3: bool,
    #[arg(short = 'x', conflicts_with = "stdin_tag")]
    stdin_last_arg: bool,
    #[arg(short = 'X', value_name = "tag")]
    stdin_tag: Option<OsString>,
    #[arg(short = 'd', value_name = "delimiter")]
    multibulk_delim: Option<OsString>,
    #[arg(short = 'D', value_name = "delimiter")]
    reply_delim: Option<OsString>,
    #[arg(short = 'e')]
    exit_on_error: bool,
    #[arg(long, overrides_with = "no_raw")]
    raw: bool,
    #[arg(long, overrides_with = "raw")]
    no_raw: bool,
    #[arg(long, value_name = "yn")]
    show_pushes: Option<String>,
    #[arg(long)]
    no_auth_warning: bool,
    #[arg(long)]
    help: bool,
    #[arg(short = 'v', long)]
    version: bool,
    /// The command and its arguments; hyphens are theirs from here on.
    #[arg(trailing_var_arg = true)]
    command: Vec<OsString>,
}

/// Where to read an argument of the command from stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StdinArg {
    None,
    /// `-x`: appended as the last argument.
    Last,
    /// `-X tag`: replaces the argument equal to the tag.
    Tag(Vec<u8>),
}

/// What to do, decided from the command line.
#[derive(Debug)]
pub enum Action {
    Help,
    Version,
    Run(Box<Options>),
}

#[derive(Debug)]
pub struct Options {
    pub settings: Settings,
    /// Empty: interactive mode.
    pub command: Vec<Vec<u8>>,
    pub repeat: i64,
    pub stdin_arg: StdinArg,
    /// Print the warning about passwords on the command line.
    pub warn_password: bool,
}

/// Parses `argv` (program name first). `Err` carries the message to print
/// before exiting with status 1.
pub fn parse<I: IntoIterator<Item = OsString>>(argv: I) -> anyhow::Result<Action> {
    let matches = match Args::command().try_get_matches_from(argv) {
        Ok(m) => m,
        Err(e) => {
            if let Some(option) = unrecognized(&e) {
                // A bare trailing -h asks for help, as in redis-cli.
                if option == "-h" {
                    return Ok(Action::Help);
                }
                bail!("Unrecognized option or bad number of args for: '{option}'");
            }
            bail!("{}", e.render().to_string().trim_end());
        }
    };
    let args = Args::from_arg_matches(&matches)?;
    if args.help {
        return Ok(Action::Help);
    }
    if args.version {
        return Ok(Action::Version);
    }
    resolve(args, &matches).map(|o| Action::Run(Box::new(o)))
}

/// The option redis-cli would call unrecognized: an unknown one, or one
/// missing its value.
fn unrecognized(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let missing_value = e.kind() == ErrorKind::InvalidValue
        && matches!(e.get(ContextKind::InvalidValue), Some(ContextValue::String(v)) if v.is_empty());
    if e.kind() != ErrorKind::UnknownArgument && !missing_value {
        return None;
    }
    // "-p <port>" names the option with its value placeholder.
    let arg = e.get(ContextKind::InvalidArg)?.to_string();
    Some(arg.split(' ').next().unwrap_or_default().to_string())
}

/// The value of option `id` or the one from `-u`, whichever came last on
/// the command line (redis-cli applies options in order).
fn pick<T>(matches: &ArgMatches, id: &str, given: Option<T>, from_uri: Option<T>) -> Option<T> {
    let given_last = match (matches.index_of(id), matches.index_of("uri")) {
        (Some(at), Some(uri)) => at > uri,
        (at, _) => at.is_some(),
    };
    if given_last {
        given
    } else {
        from_uri.or(given)
    }
}

fn resolve(args: Args, matches: &ArgMatches) -> anyhow::Result<Options> {
    let uri = args.uri.as_deref().map(RedisUri::parse).transpose()?;
    let uri = uri.unwrap_or_default();
    let warn_password =
        !args.no_auth_warning && (args.password.is_some() || uri.password.is_some());
    let host = pick(matches, "host", args.host, uri.host).unwrap_or_else(|| "127.0.0.1".into());
    let port = pick(matches, "port", args.port, uri.port).unwrap_or(6379);
    let db = pick(matches, "db", args.db, uri.db).unwrap_or(0);
    let password = pick(
        matches,
        "password",
        args.password.map(OsString::into_vec),
        uri.password,
    )
    .or_else(|| std::env::var_os("REDISCLI_AUTH").map(OsString::into_vec));
    let user = pick(matches, "user", args.user.map(OsString::into_vec), uri.user);

    let addr = match args.socket {
        Some(path) => Address::Unix(path),
        None => Address::Tcp { host, port },
    };
    let stdout_is_tty = std::io::stdout().is_terminal() || std::env::var_os("FAKETTY").is_some();
    let output = if args.raw {
        Output::Raw
    } else if args.no_raw || stdout_is_tty {
        Output::Human
    } else {
        Output::Raw
    };
    let show_pushes = match args.show_pushes.as_deref().map(str::to_ascii_lowercase) {
        None => stdout_is_tty,
        Some(v) if v.starts_with('y') => true,
        Some(v) if v.starts_with('n') => false,
        Some(v) => {
            eprintln!("Unknown --show-pushes value '{v}' (valid: '[y]es', '[n]o')");
            stdout_is_tty
        }
    };
    let interval = args.interval.unwrap_or(0.0);
    let interval = Duration::try_from_secs_f64(interval.max(0.0)).context("bad interval")?;
    let delim = |d: Option<OsString>| d.map_or_else(|| b"\n".to_vec(), OsString::into_vec);
    let stdin_arg = match (args.stdin_last_arg, args.stdin_tag) {
        (true, _) => StdinArg::Last,
        (false, Some(tag)) => StdinArg::Tag(tag.into_vec()),
        (false, None) => StdinArg::None,
    };
    Ok(Options {
        settings: Settings {
            addr,
            user,
            password,
            db,
            resp3: args.resp3,
            output,
            multibulk_delim: delim(args.multibulk_delim),
            reply_delim: delim(args.reply_delim),
            show_pushes,
            exit_on_error: args.exit_on_error,
            interval,
        },
        command: args.command.into_iter().map(OsString::into_vec).collect(),
        repeat: args.repeat.unwrap_or(1),
        stdin_arg,
        warn_password,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(line: &str) -> Options {
        let argv = std::iter::once("redust-cli").chain(line.split_whitespace());
        match parse(argv.map(OsString::from)).unwrap() {
            Action::Run(options) => *options,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn command(o: &Options) -> Vec<String> {
        o.command
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    }

    fn tcp(o: &Options) -> (String, u16) {
        match &o.settings.addr {
            Address::Tcp { host, port } => (host.clone(), *port),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_rest_of_the_line_is_the_command() {
        let o = options("-p 7000 SLAVEOF 127.0.0.1 6379");
        assert_eq!(tcp(&o), ("127.0.0.1".into(), 7000));
        assert_eq!(command(&o), ["SLAVEOF", "127.0.0.1", "6379"]);
        let o = options("-n 2 --raw GET k");
        assert_eq!((o.settings.db, o.settings.output), (2, Output::Raw));
        assert_eq!(command(&o), ["GET", "k"]);
        assert_eq!(command(&options("INFO memory")), ["INFO", "memory"]);
        // Hyphens after the command belong to it.
        assert_eq!(command(&options("SET k -1 -p")), ["SET", "k", "-1", "-p"]);
        assert!(options("-h example.com").command.is_empty());
    }

    #[test]
    fn redis_cli_flags() {
        let o = options("-h example.com -r -1 -i 0.25 -3 -x -e --no-raw --user u -a pw PING");
        assert_eq!(tcp(&o), ("example.com".into(), 6379));
        assert_eq!(o.repeat, -1);
        assert_eq!(o.settings.interval, Duration::from_millis(250));
        assert!(o.settings.resp3 && o.settings.exit_on_error && o.warn_password);
        assert_eq!(o.settings.output, Output::Human);
        assert_eq!(o.stdin_arg, StdinArg::Last);
        assert_eq!(o.settings.user.as_deref(), Some(&b"u"[..]));
        assert_eq!(o.settings.password.as_deref(), Some(&b"pw"[..]));
        assert!(!options("--pass pw --no-auth-warning PING").warn_password);
        assert_eq!(options("--no-raw --raw PING").settings.output, Output::Raw);
    }

    #[test]
    fn later_options_win_over_the_uri() {
        let o = options("-p 1 -u redis://a:b@host:2/3 PING");
        assert_eq!(tcp(&o), ("host".into(), 2));
        assert_eq!(o.settings.db, 3);
        assert_eq!(o.settings.user.as_deref(), Some(&b"a"[..]));
        let o = options("-u redis://host:2/3 -p 1 -n 0 PING");
        assert_eq!(tcp(&o), ("host".into(), 1));
        assert_eq!(o.settings.db, 0);
    }

    #[test]
    fn help_version_and_errors() {
        let parse_line = |line: &str| {
            let argv = std::iter::once("redust-cli").chain(line.split_whitespace());
            parse(argv.map(OsString::from))
        };
        assert!(matches!(parse_line("--help"), Ok(Action::Help)));
        assert!(matches!(parse_line("-h"), Ok(Action::Help)));
        assert!(matches!(parse_line("-v"), Ok(Action::Version)));
        let err = parse_line("--bogus PING").unwrap_err().to_string();
        assert_eq!(
            err,
            "Unrecognized option or bad number of args for: '--bogus'"
        );
        let err = parse_line("-n").unwrap_err().to_string();
        assert_eq!(err, "Unrecognized option or bad number of args for: '-n'");
        assert!(parse_line("-u http://x PING").is_err());
    }
}
