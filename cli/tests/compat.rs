//! redust-cli against redis-cli: the same commands, sent by each to its own
//! real redis-server, must print the same bytes and exit the same way.

mod support;

use support::{reference_available, run, with_port, Interactive, Pair, Server, OURS, REDIS_CLI};

/// `--raw`, `--no-raw`, and the default for a pipe (raw).
const MODES: [&[&str]; 3] = [&["--raw"], &["--no-raw"], &[]];

fn args<'a>(mode: &[&'a str], command: &[&'a str]) -> Vec<&'a str> {
    mode.iter().chain(command).copied().collect()
}

#[test]
fn strings_numbers_and_errors() {
    if !reference_available() {
        return;
    }
    let pair = Pair::start(&[]);
    for mode in MODES {
        for command in [
            &["SET", "k", "v"][..],
            &["GET", "k"],
            &["GET", "missing"],
            &["APPEND", "k", "w"],
            &["INCR", "n"],
            &["INCRBYFLOAT", "f", "1.5"],
            &["SET", "q", "he said \"hi\"\n\t\\ back\x07\x08"],
            &["GET", "q"],
            &["SET", "utf8", "caf\u{e9} \u{1f600}"],
            &["GET", "utf8"],
            &["NOSUCHCOMMAND", "a", "b"],
            &["LPUSH", "k", "x"],
            &["GET"],
            &["PING"],
            &["ECHO", ""],
            &["STRLEN", "q"],
            &["TYPE", "k"],
        ] {
            pair.check(&args(mode, command));
        }
    }
}

#[test]
fn binary_values_from_stdin() {
    if !reference_available() {
        return;
    }
    let pair = Pair::start(&[]);
    let value: Vec<u8> = (0u8..=255).chain(*b"\r\n\"\\end").collect();
    pair.check_stdin(&["-x", "SET", "bin"], &value);
    for mode in MODES {
        pair.check(&args(mode, &["GET", "bin"]));
    }
    pair.check_stdin(&["-X", "TAG", "SET", "TAG", "tagged"], b"the value\n");
    pair.check(&["--no-raw", "GET", "tagged"]);
    pair.check_stdin(&["-X", "TAG", "SET", "nothing", "here"], b"x");
}

#[test]
fn aggregates() {
    if !reference_available() {
        return;
    }
    let pair = Pair::start(&[]);
    let items: Vec<String> = (1..=12).map(|i| format!("item{i}")).collect();
    let mut rpush = vec!["RPUSH", "list"];
    rpush.extend(items.iter().map(String::as_str));
    pair.check(&rpush);
    pair.check(&["HSET", "h", "f1", "v1", "f2", "v2"]);
    pair.check(&["ZADD", "z", "1.5", "a", "2", "b", "-0.1", "c"]);
    pair.check(&["SADD", "s", "only"]);
    pair.check(&["XADD", "st", "1-1", "field", "value", "f2", "v2"]);
    pair.check(&["XADD", "st", "2-1", "field", "value2"]);
    for mode in MODES {
        for command in [
            &["LRANGE", "list", "0", "-1"][..],
            &["LRANGE", "list", "0", "2"],
            &["LRANGE", "nolist", "0", "-1"],
            &["HGETALL", "h"],
            &["HGETALL", "noh"],
            &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
            &["ZSCORE", "z", "a"],
            &["SMEMBERS", "s"],
            &["SMEMBERS", "nos"],
            &["MGET", "list", "nokey", "h"],
            &["XRANGE", "st", "-", "+"],
            &["XINFO", "STREAM", "st"],
            &["EVAL", "return {1, {2, {3, 'x'}, {}}, 'y', false}", "0"],
            &["EVAL", "return {err='ERR inside'}", "0"],
            &["EVAL", "return {1, {err='ERR nested'}}", "0"],
            &["EXEC"],
        ] {
            pair.check(&args(mode, command));
        }
    }
    pair.check(&["-d", ",", "LRANGE", "list", "0", "3"]);
    pair.check(&["-d", "", "--raw", "HGETALL", "h"]);
    pair.check(&["-D", "|", "--raw", "LRANGE", "list", "0", "1"]);
}

#[test]
fn resp3_replies() {
    if !reference_available() {
        return;
    }
    let pair = Pair::start(&[]);
    pair.check(&["HSET", "h", "f1", "v1", "f2", "v2"]);
    pair.check(&["ZADD", "z", "1.5", "a", "2", "b", "0.1", "c"]);
    pair.check(&["XADD", "st", "1-1", "field", "value"]);
    for mode in MODES {
        for command in [
            &["HELLO", "3"][..],
            &["HGETALL", "h"],
            &["HGETALL", "noh"],
            &["SMEMBERS", "nos"],
            &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
            &["ZSCORE", "z", "c"],
            &["ZSCORE", "z", "nobody"],
            &["XINFO", "STREAM", "st"],
            &["CONFIG", "GET", "maxmemory"],
            &["EVAL", "return {1, {2, {3, 'x'}}, 'y'}", "0"],
            &["DEBUG", "PROTOCOL", "map"],
            &["DEBUG", "PROTOCOL", "set"],
            &["DEBUG", "PROTOCOL", "double"],
            &["DEBUG", "PROTOCOL", "true"],
            &["DEBUG", "PROTOCOL", "false"],
            &["DEBUG", "PROTOCOL", "null"],
            &["DEBUG", "PROTOCOL", "verbatim"],
            &["DEBUG", "PROTOCOL", "array"],
            &["INFO", "keyspace"],
        ] {
            pair.check(&args(&[mode, &["-3"]].concat(), command));
        }
    }
}

#[test]
fn databases_and_uris() {
    if !reference_available() {
        return;
    }
    let pair = Pair::start(&[]);
    pair.check(&["-n", "2", "SET", "k", "in2"]);
    for command in [
        &["-n", "2", "--raw", "GET", "k"][..],
        &["-n", "2", "--no-raw", "GET", "k"],
        &["--no-raw", "GET", "k"],
        &["-n", "0", "GET", "k"],
        &["-n", "99", "GET", "k"],
    ] {
        pair.check(command);
    }
    pair.check_with(
        |port| {
            vec![
                "-u".into(),
                format!("redis://127.0.0.1:{port}/2"),
                "GET".into(),
                "k".into(),
            ]
        },
        b"",
        &[],
    );
    // Options after -u override the URI's parts.
    pair.check_with(
        |port| {
            let uri = format!("redis://127.0.0.1:{port}/2");
            ["-u", &uri, "-n", "0", "GET", "k"]
                .map(String::from)
                .to_vec()
        },
        b"",
        &[],
    );
}

#[test]
fn authentication() {
    if !reference_available() {
        return;
    }
    let pair = Pair::start(&["--requirepass", "sekret"]);
    for command in [
        &["PING"][..],
        &["-a", "sekret", "PING"],
        &["-a", "wrong", "PING"],
        &[
            "--no-auth-warning",
            "-a",
            "sekret",
            "-n",
            "3",
            "SET",
            "k",
            "v",
        ],
        &[
            "--no-auth-warning",
            "--user",
            "default",
            "--pass",
            "sekret",
            "-n",
            "3",
            "GET",
            "k",
        ],
        &[
            "--no-auth-warning",
            "--user",
            "nobody",
            "--pass",
            "sekret",
            "PING",
        ],
        &["--user", "default", "PING"],
        &["-e", "PING"],
    ] {
        pair.check(command);
    }
    pair.check_with(
        |port| with_port(port, &["PING"]),
        b"",
        &[("REDISCLI_AUTH", "sekret")],
    );
    pair.check_with(
        |port| {
            [
                "-u",
                &format!("redis://default:sekret@127.0.0.1:{port}/3"),
                "GET",
                "k",
            ]
            .map(String::from)
            .to_vec()
        },
        b"",
        &[],
    );
    // Interactive: AUTH typed in, then the db asked for with -n.
    pair.check_stdin(&["-n", "3", "--no-raw"], b"get k\nauth sekret\nget k\n");
}

#[test]
fn repeat_and_exit_codes() {
    if !reference_available() {
        return;
    }
    let pair = Pair::start(&[]);
    for command in [
        &["-r", "3", "INCR", "c"][..],
        &["-r", "3", "-i", "0.01", "--no-raw", "INCR", "c"],
        &["-r", "0", "INCR", "c"],
        &["GET", "c"],
        &["-e", "NOSUCHCOMMAND"],
        &["-e", "GET", "c"],
        &["-e", "--no-raw", "INCR", "notanumber", "x"],
        &["--bogus-option", "PING"],
        &["-p"],
        &["--no-raw", "SET", "-k", "-1"],
        &["--raw", "--no-raw", "GET", "c"],
        &["--no-raw", "--raw", "GET", "c"],
    ] {
        pair.check(command);
    }
}

#[test]
fn connection_refused() {
    if !reference_available() {
        return;
    }
    // Leased, so nothing listens there during the test.
    let lease = support::Port::lease().unwrap();
    let port = lease.number().to_string();
    let expected = run(
        support::REDIS_CLI,
        &["-p".into(), port.clone(), "PING".into()],
        b"",
        &[],
    );
    let actual = run(OURS, &["-p".into(), port.clone(), "PING".into()], b"", &[]);
    assert_eq!(actual, expected);
    assert_eq!(actual.code, Some(1));
    let piped = b"ping\nping\n";
    let expected = run(support::REDIS_CLI, &["-p".into(), port.clone()], piped, &[]);
    let actual = run(OURS, &["-p".into(), port], piped, &[]);
    assert_eq!(actual, expected);
}

#[test]
fn interactive_lines_from_stdin() {
    if !reference_available() {
        return;
    }
    let pair = Pair::start(&[]);
    let script: &[u8] = b"set a 1\n\
        get a\n\
        \n\
        \x20  \n\
        select 2\n\
        set b \"two words\\n\\x41\"\n\
        get b\n\
        get 'it\\'s'\n\
        get \"unterminated\n\
        get \"glued\"x\n\
        3 incr n\n\
        0 ping\n\
        -1 ping\n\
        5\n\
        multi\n\
        incr n\n\
        select 4\n\
        exec\n\
        :set hints\n\
        :set bogus\n\
        :bogus\n\
        restart\n\
        \"\" ping\n\
        QUIT\n\
        ping\n";
    for mode in MODES {
        pair.check_stdin(mode, script);
    }
    // Without quit, end of input ends the session.
    pair.check_stdin(&["-n", "1"], b"set x y\nget x\n");
}

/// The server drops the connection between two commands: the next command
/// reports it, the one after reconnects.
#[test]
fn interactive_reconnects_after_losing_the_link() {
    if !reference_available() {
        return;
    }
    let pair = Pair::start(&[]);
    let session = |cli: &str, server: &Server, options: &[&str]| {
        let mut client = Interactive::spawn(cli, &with_port(server.port(), options));
        client.send(b"set k v\nping\n");
        client.wait_for("PONG");
        let killed = server.client().cmd(&["CLIENT", "KILL", "TYPE", "normal"]);
        assert_eq!(killed, ":1\r\n");
        client.send(b"ping\nping\nget k\n");
        client.finish()
    };
    let expected = session(REDIS_CLI, &pair.reference, &["--no-raw"]);
    let actual = session(OURS, &pair.ours, &["--no-raw"]);
    assert_eq!(actual, expected);
    assert!(actual
        .stderr
        .contains("Error: Server closed the connection"));

    // Deliberately unlike redis-cli 7.0, which forgets to SELECT the db of
    // -n again after reconnecting (and then prints (nil) here).
    let actual = session(OURS, &pair.ours, &["--no-raw", "-n", "2"]);
    assert_eq!(actual.stdout, "OK\nPONG\nPONG\n\"v\"\n");
}

#[test]
fn pushes_are_shown_like_redis_cli() {
    if !reference_available() {
        return;
    }
    let pair = Pair::start(&[]);
    let script = b"client tracking on\nget k\nset k 2\nget k\nset k 3\nping\n";
    // FAKETTY makes both behave as on a terminal (human form, pushes shown).
    pair.check_with(|port| with_port(port, &["-3"]), script, &[("FAKETTY", "1")]);
    pair.check_with(
        |port| with_port(port, &["-3", "--raw"]),
        script,
        &[("FAKETTY", "1")],
    );
    pair.check_with(|port| with_port(port, &["-3"]), script, &[]);
    pair.check_with(
        |port| with_port(port, &["-3", "--show-pushes", "yes"]),
        script,
        &[],
    );
}

#[test]
fn terminal_output_under_script() {
    if !reference_available() || !std::path::Path::new("/usr/bin/script").exists() {
        return;
    }
    let pair = Pair::start(&[]);
    pair.check(&["RPUSH", "l", "a", "b\nc"]);
    // `script` gives the client a terminal as stdout: human output by default.
    for command in ["LRANGE l 0 -1", "GET nokey", "INCR n", "HELLO 3"] {
        pair.check_programs(
            |cli, port| {
                let line = format!("{cli} -p {port} {command}");
                (
                    "/usr/bin/script".into(),
                    ["-qec", &line, "/dev/null"].map(String::from).to_vec(),
                )
            },
            b"",
            &[],
        );
    }
}
