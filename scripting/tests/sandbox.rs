//! The sandbox and the API as scripts see them, with a host that records
//! the commands and answers canned replies. Texts are Redis 7.0.15's.

use bytes::Bytes;
use resp::{Frame, Protocol};
use scripting::{Host, Scripting};

#[derive(Default)]
struct Fake {
    calls: Vec<Vec<Bytes>>,
    logs: Vec<(u8, Vec<u8>)>,
}

impl Host for Fake {
    fn call(&mut self, args: Vec<Bytes>, proto: Protocol) -> Frame {
        let reply = match &args[0][..] {
            b"ping" => Frame::Simple("PONG".into()),
            b"get" => Frame::Null,
            b"fail" => Frame::Error(
                "WRONGTYPE Operation against a key holding the wrong kind of value".into(),
            ),
            b"map" if proto == Protocol::Resp3 => {
                Frame::Map(vec![(Frame::bulk("a"), Frame::Integer(1))])
            }
            b"map" => Frame::Array(vec![Frame::bulk("a"), Frame::Integer(1)]),
            _ => Frame::Integer(args.len() as i64),
        };
        self.calls.push(args);
        reply
    }

    fn log(&mut self, level: u8, message: &[u8]) {
        self.logs.push((level, message.to_vec()));
    }
}

fn eval(body: &str) -> Frame {
    eval_with(body, &mut Fake::default())
}

fn eval_with(body: &str, host: &mut Fake) -> Frame {
    let mut lua = Scripting::new().unwrap();
    let sha = lua.load(body.as_bytes()).unwrap();
    lua.run(
        &sha,
        &[Bytes::from("k1")],
        &[Bytes::from("a1"), Bytes::from("a2")],
        host,
    )
}

fn err(text: &str) -> Frame {
    Frame::Error(Bytes::copy_from_slice(text.as_bytes()))
}

fn sha(body: &str) -> String {
    scripting::sha1_hex(body.as_bytes())
}

#[test]
fn values_convert_as_redis() {
    assert_eq!(eval("return 3.99"), Frame::Integer(3));
    assert_eq!(eval("return true"), Frame::Integer(1));
    assert_eq!(eval("return false"), Frame::Null);
    assert_eq!(eval("return nil"), Frame::Null);
    assert_eq!(
        eval("return {1, 'a', {2}, nil, 3}"),
        Frame::Array(vec![
            Frame::Integer(1),
            Frame::bulk("a"),
            Frame::Array(vec![Frame::Integer(2)]),
        ])
    );
    assert_eq!(
        eval("return {ok='fine\\r\\nnow'}"),
        Frame::Simple("fine  now".into())
    );
    assert_eq!(eval("return {err='x'}"), err("x"));
    assert_eq!(
        eval("return redis.error_reply('My Error')"),
        err("My Error")
    );
    assert_eq!(
        eval("return redis.status_reply('FINE')"),
        Frame::Simple("FINE".into())
    );
    assert_eq!(
        eval("return {KEYS[1], ARGV[2], #ARGV}"),
        Frame::Array(vec![
            Frame::bulk("k1"),
            Frame::bulk("a2"),
            Frame::Integer(2),
        ])
    );
    assert_eq!(
        eval("redis.setresp(3) return {double=1.5}"),
        Frame::Double(1.5)
    );
    assert_eq!(eval("redis.setresp(3) return false"), Frame::Boolean(false));
}

#[test]
fn replies_reach_lua_as_redis() {
    assert_eq!(
        eval("return redis.call('get', 'x') == false"),
        Frame::Integer(1)
    );
    assert_eq!(
        eval("redis.setresp(3) return redis.call('get', 'x') == nil"),
        Frame::Boolean(true)
    );
    assert_eq!(eval("return redis.call('ping')['ok']"), Frame::bulk("PONG"));
    assert_eq!(
        eval("redis.setresp(3) return redis.call('map')['map']['a']"),
        Frame::Integer(1)
    );
    assert_eq!(
        eval("return redis.pcall('fail')['err']"),
        Frame::bulk("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    let mut host = Fake::default();
    eval_with("return redis.call('set', 'k', 1.5, 10)", &mut host);
    assert_eq!(
        host.calls[0],
        vec![
            Bytes::from("set"),
            Bytes::from("k"),
            Bytes::from("1.5"),
            Bytes::from("10")
        ]
    );
}

#[test]
fn errors_carry_redis_positions() {
    let body = "error('boom')";
    assert_eq!(
        eval(body),
        err(&format!(
            "ERR user_script:1: boom script: {}, on @user_script:1.",
            sha(body)
        ))
    );
    let body = "\nreturn redis.call('fail')";
    assert_eq!(eval(body), err(&format!("WRONGTYPE Operation against a key holding the wrong kind of value script: {}, on @user_script:2.", sha(body))));
    let body = "return redis.call()";
    assert_eq!(eval(body), err(&format!("ERR Please specify at least one argument for this redis lib call script: {}, on @user_script:1.", sha(body))));
    let body = "return redis.call('get', {})";
    assert_eq!(eval(body), err(&format!("ERR Lua redis lib command arguments must be strings or integers script: {}, on @user_script:1.", sha(body))));
    let body = "error({err='MY thing'})";
    assert_eq!(
        eval(body),
        err(&format!(
            "MY thing script: {}, on @user_script:1.",
            sha(body)
        ))
    );
    assert_eq!(
        eval("return pcall(function() redis.call('fail') end)"),
        Frame::Null
    );
    assert_eq!(
        eval("local ok, e = pcall(function() redis.call('fail') end) return e"),
        Frame::bulk("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
}

#[test]
fn globals_are_protected() {
    for (body, what) in [
        ("x = 10", "Attempt to modify a readonly table"),
        ("redis.call = nil", "Attempt to modify a readonly table"),
        ("string.foo = 1", "Attempt to modify a readonly table"),
        (
            "return y",
            "Script attempted to access nonexistent global variable 'y'",
        ),
        (
            "return os",
            "Script attempted to access nonexistent global variable 'os'",
        ),
        (
            "return loadfile",
            "Script attempted to access nonexistent global variable 'loadfile'",
        ),
        (
            "return print",
            "Script attempted to access nonexistent global variable 'print'",
        ),
    ] {
        assert_eq!(
            eval(body),
            err(&format!(
                "ERR user_script:1: {what} script: {}, on @user_script:1.",
                sha(body)
            )),
            "{body}"
        );
    }
    assert_eq!(
        eval("local t = {} setmetatable(t, {}) t.x = 1 return t.x"),
        Frame::Integer(1)
    );
}

#[test]
fn api_functions() {
    assert_eq!(
        eval("return redis.sha1hex('')"),
        Frame::bulk("da39a3ee5e6b4b0d3255bfef95601890afd80709")
    );
    assert_eq!(eval("return redis.REDIS_VERSION"), Frame::bulk("7.0.15"));
    assert_eq!(
        eval("return redis.REDIS_VERSION_NUM"),
        Frame::Integer(0x07000f)
    );
    assert_eq!(
        eval("return {redis.LOG_DEBUG, redis.LOG_WARNING, redis.REPL_ALL, redis.REPL_REPLICA}"),
        Frame::Array(vec![
            Frame::Integer(0),
            Frame::Integer(3),
            Frame::Integer(3),
            Frame::Integer(2)
        ])
    );
    assert_eq!(eval("return redis.replicate_commands()"), Frame::Integer(1));
    assert_eq!(
        eval("return {math.random(100), math.random(1000)}"),
        Frame::Array(vec![Frame::Integer(40), Frame::Integer(841)])
    );
    let mut host = Fake::default();
    eval_with("redis.log(redis.LOG_WARNING, 'a', 1, 'b')", &mut host);
    assert_eq!(host.logs, vec![(3, b"a 1 b".to_vec())]);
    let body = "redis.setresp(4)";
    assert_eq!(
        eval(body),
        err(&format!(
            "ERR RESP version must be 2 or 3. script: {}, on @user_script:1.",
            sha(body)
        ))
    );
}

#[test]
fn compile_errors_and_shebangs() {
    let mut lua = Scripting::new().unwrap();
    assert_eq!(
        lua.load(b"return syntax error here")
            .unwrap_err()
            .to_string(),
        "Error compiling script (new function): user_script:1: '<eof>' expected near 'error'"
    );
    let sha = lua.load(b"#!lua flags=no-writes\nreturn 1").unwrap();
    assert!(lua.get(&sha).unwrap().flags.no_writes);
    let before = lua.lua_memory();
    for i in 0..100 {
        lua.load(format!("return {i}").as_bytes()).unwrap();
    }
    assert!(lua.lua_memory() > before);
    lua.flush().unwrap();
    assert!(lua.is_empty());
}
