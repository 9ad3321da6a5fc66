//! redust-cli: a redis-cli look-alike. Runs one command given on the command
//! line, or reads commands interactively; prints replies the way redis-cli
//! 7.0 does (human form on a terminal or with `--no-raw`, raw otherwise).

mod connection;
mod format;
mod help;
mod interrupt;
mod options;
mod repl;
mod session;
mod split;
mod uri;

use std::io::Read;
use std::process::ExitCode;

use options::{Action, Options, StdinArg};
use session::{emit, Session};

fn main() -> ExitCode {
    let action = match options::parse(std::env::args_os()) {
        Ok(action) => action,
        Err(e) => {
            eprintln!("{e:#}");
            return ExitCode::FAILURE;
        }
    };
    let options = match action {
        Action::Help => {
            emit(help::usage().as_bytes());
            return ExitCode::SUCCESS;
        }
        Action::Version => {
            emit(format!("{}\n", help::version()).as_bytes());
            return ExitCode::SUCCESS;
        }
        Action::Run(options) => *options,
    };
    if options.warn_password {
        eprintln!(
            "Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe."
        );
    }
    let result = if options.command.is_empty() {
        repl::run(Session::new(options.settings)).map(|()| ExitCode::SUCCESS)
    } else {
        run_command(options)
    };
    result.unwrap_or_else(|e| {
        eprintln!("{e:#}");
        ExitCode::FAILURE
    })
}

/// Runs the command given on the command line (`-r` times).
fn run_command(options: Options) -> anyhow::Result<ExitCode> {
    interrupt::default_sigpipe();
    let mut args = options.command;
    match &options.stdin_arg {
        StdinArg::None => {}
        StdinArg::Last => args.push(read_stdin()?),
        StdinArg::Tag(tag) => match args.iter_mut().find(|a| *a == tag) {
            Some(arg) => *arg = read_stdin()?,
            None => anyhow::bail!("Using -X option but stdin tag not match."),
        },
    }
    let mut session = Session::new(options.settings);
    // Quietly: if this fails, issuing the command retries and reports it.
    let _ = session.connect(false, true);
    Ok(match session.issue(&args, options.repeat) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    })
}

fn read_stdin() -> anyhow::Result<Vec<u8>> {
    let mut data = Vec::new();
    std::io::stdin().read_to_end(&mut data)?;
    Ok(data)
}
