//! Texts printed by `--help`, `--version` and the interactive `help`.

pub const NAME: &str = "redust-cli";

pub fn version() -> String {
    format!("{NAME} {}", env!("CARGO_PKG_VERSION"))
}

/// What `help` prints: redust-cli has no per-command help pages.
pub fn banner() -> String {
    format!(
        r#"{version}
Type a command and its arguments, e.g. "SET key value".
Quote arguments with "double quotes" (escapes such as \n and \x00 work)
or 'single quotes'. Prefix a command with a number to repeat it: 3 INCR n
Per-command help is not available here: see https://redis.io/commands
"connect <host> <port>" switches servers, "quit" or "exit" leaves.
"#,
        version = version()
    )
}

/// `--help`.
pub fn usage() -> String {
    format!(
        r#"{version}

Usage: {NAME} [OPTIONS] [cmd [arg [arg ...]]]
  -h <hostname>      Server hostname (default: 127.0.0.1).
  -p <port>          Server port (default: 6379).
  -s <socket>        Server socket (overrides hostname and port).
  -a <password>      Password to use when connecting to the server.
                     You can also use the REDISCLI_AUTH environment
                     variable to pass this password more safely
                     (if both are used, this argument takes precedence).
  --user <username>  Used to send ACL style 'AUTH username pass'. Needs -a.
  --pass <password>  Alias of -a for consistency with the new --user option.
  -u <uri>           Server URI: redis://[[user:]password@]host[:port][/db]
  -r <repeat>        Execute specified command N times.
  -i <interval>      When -r is used, waits <interval> seconds per command.
                     It is possible to specify sub-second times like -i 0.1.
  -n <db>            Database number.
  -2                 Start session in RESP2 protocol mode.
  -3                 Start session in RESP3 protocol mode.
  -x                 Read last argument from STDIN (see example below).
  -X <tag>           Read <tag> argument from STDIN (see example below).
  -d <delimiter>     Delimiter between response bulks for raw formatting (default: \n).
  -D <delimiter>     Delimiter between responses for raw formatting (default: \n).
  -e                 Return exit error code when command execution fails.
  --raw              Use raw formatting for replies (default when STDOUT is
                     not a tty).
  --no-raw           Force formatted output even when STDOUT is not a tty.
  --show-pushes <yn> Whether to print RESP3 PUSH messages.  Enabled by default when
                     STDOUT is a tty but can be overridden with --show-pushes no.
  --no-auth-warning  Don't show warning message when using password on command
                     line interface.
  --help             Output this help and exit.
  --version          Output version and exit.

Examples:
  cat /etc/passwd | {NAME} -x set mypasswd
  {NAME} -D "" --raw dump key > key.dump && {NAME} -X dump_tag restore key2 0 dump_tag replace < key.dump
  {NAME} -r 100 lpush mylist x
  {NAME} -r 100 -i 1 info | grep used_memory_human:

When no command is given, {NAME} starts in interactive mode.
Type "help" in interactive mode for information on available commands
and settings.
"#,
        version = version()
    )
}
