//! DUMP payloads move between Redust and redis-server both ways: every type
//! and encoding is built on one server, dumped, restored on both, and must
//! read back the same everywhere (with the same encoding on both servers).

mod support;

use support::reply::{self, escape};
use support::{noise, redis_available, with_args, Client, Server};

/// One key of the dataset and the commands that build it.
struct Case {
    key: &'static str,
    commands: Vec<Vec<Vec<u8>>>,
}

fn words(args: &[&str]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.as_bytes().to_vec()).collect()
}

fn cases(with_zsets: bool) -> Vec<Case> {
    let case = |key, commands| Case { key, commands };
    let one = |args: &[&str]| vec![words(args)];
    let big = "abc".repeat(1000);
    let mut all = vec![
        case("str:short", one(&["SET", "str:short", "hello"])),
        case("str:empty", one(&["SET", "str:empty", ""])),
        case("str:int", one(&["SET", "str:int", "-123456789"])),
        case("str:i64", one(&["SET", "str:i64", "9223372036854775807"])),
        case("str:lzf", one(&["SET", "str:lzf", &big])),
        case(
            "str:raw",
            vec![{
                let mut c = words(&["SET", "str:raw"]);
                c.push(noise(5000));
                c
            }],
        ),
        case(
            "str:binary",
            vec![vec![
                b"SET".to_vec(),
                b"str:binary".to_vec(),
                b"\x00\xff\r\n".to_vec(),
            ]],
        ),
        case(
            "list:small",
            one(&["RPUSH", "list:small", "a", "1", "-7", "", "bbb"]),
        ),
        case(
            "list:long",
            vec![with_args(
                &["RPUSH", "list:long"],
                (0..5000).map(|i| format!("item-{i}")),
            )],
        ),
        case(
            "list:wide",
            vec![with_args(
                &["RPUSH", "list:wide"],
                (0..5).map(|i| format!("{i}{}", "x".repeat(9000))),
            )],
        ),
        case(
            "hash:small",
            one(&["HSET", "hash:small", "f", "v", "n", "12", "", "empty"]),
        ),
        case(
            "hash:many",
            vec![with_args(
                &["HSET", "hash:many"],
                (0..600).flat_map(|i| [format!("f{i}"), format!("{i}")]),
            )],
        ),
        case("hash:long", one(&["HSET", "hash:long", "f", &big])),
        case(
            "set:ints",
            one(&[
                "SADD",
                "set:ints",
                "5",
                "-3",
                "70000",
                "9223372036854775807",
            ]),
        ),
        case(
            "set:many-ints",
            vec![with_args(
                &["SADD", "set:many-ints"],
                (0..1000).map(|i| (i * 7).to_string()),
            )],
        ),
        case(
            "set:strings",
            one(&["SADD", "set:strings", "a", "b", "1", &big]),
        ),
    ];
    if with_zsets {
        all.extend([
            case(
                "zset:small",
                one(&[
                    "ZADD",
                    "zset:small",
                    "1",
                    "a",
                    "-2.5",
                    "b",
                    "inf",
                    "c",
                    "3",
                    "1",
                ]),
            ),
            case(
                "zset:many",
                vec![with_args(
                    &["ZADD", "zset:many"],
                    (0..300).flat_map(|i| [format!("{}", i as f64 / 3.0), format!("m{i}")]),
                )],
            ),
        ]);
    }
    all
}

fn call(client: &mut Client, args: &[Vec<u8>]) -> Vec<u8> {
    client
        .call_raw(args)
        .unwrap_or_else(|e| panic!("{}: {e}", escape(&args[0])))
}

fn call_str(client: &mut Client, args: &[&str]) -> Vec<u8> {
    call(client, &words(args))
}

/// The value at `key` in a form that compares across servers: elements of
/// unordered types sorted (hash fields with their values).
fn read_back(client: &mut Client, key: &str) -> Vec<u8> {
    let kind = call_str(client, &["TYPE", key]);
    let command: &[&str] = match &kind[..] {
        b"+string\r\n" => &["GET", key],
        b"+list\r\n" => &["LRANGE", key, "0", "-1"],
        b"+set\r\n" => &["SMEMBERS", key],
        b"+hash\r\n" => &["HGETALL", key],
        b"+zset\r\n" => &["ZRANGE", key, "0", "-1", "WITHSCORES"],
        other => panic!("{key}: TYPE gave {}", escape(other)),
    };
    let raw = call_str(client, command);
    let Ok(Some((parsed, _))) = reply::parse(&raw) else {
        panic!("{key}: unparsable reply {}", escape(&raw));
    };
    let mut out = kind;
    match parsed.items() {
        Some(items) if &out[..] == b"+hash\r\n" => {
            let mut pairs: Vec<_> = items
                .chunks(2)
                .map(|p| (p[0].sorted(), p[1].sorted()))
                .collect();
            pairs.sort();
            pairs.into_iter().for_each(|(f, v)| {
                out.extend(f);
                out.extend(v);
            });
        }
        _ if &out[..] == b"+set\r\n" => out.extend(parsed.sorted()),
        _ => out.extend(raw),
    }
    out
}

fn payload_of(client: &mut Client, key: &str) -> Vec<u8> {
    let raw = call_str(client, &["DUMP", key]);
    match reply::parse(&raw) {
        Ok(Some((reply, _))) => reply
            .bulk()
            .unwrap_or_else(|| panic!("DUMP {key}: {}", escape(&raw)))
            .to_vec(),
        _ => panic!("DUMP {key}: {}", escape(&raw)),
    }
}

/// Whether the server under test knows sorted sets yet.
fn supports_zsets(client: &mut Client) -> bool {
    let ok = call_str(client, &["ZADD", "probe:zset", "1", "a"]).starts_with(b":");
    call_str(client, &["DEL", "probe:zset"]);
    ok
}

#[test]
fn payloads_move_both_ways() {
    if !redis_available() {
        return;
    }
    let (redust, redis) = (Server::redust(&[]), Server::redis(&[]));
    let mut clients = [("redust", redust.client()), ("redis", redis.client())];
    let with_zsets = supports_zsets(&mut clients[0].1);
    if !with_zsets {
        eprintln!("SKIP: sorted sets (the server under test has no ZADD yet)");
    }
    let cases = cases(with_zsets);
    let mut failures = Vec::new();
    for source in 0..clients.len() {
        let source_name = clients[source].0;
        for case in &cases {
            for command in &case.commands {
                let reply = call(&mut clients[source].1, command);
                assert!(
                    !reply.starts_with(b"-"),
                    "{source_name}: {}",
                    escape(&reply)
                );
            }
            let expected = read_back(&mut clients[source].1, case.key);
            let payload = payload_of(&mut clients[source].1, case.key);
            let copy = format!("copy:{}", case.key);
            let mut encodings = Vec::new();
            for (dest_name, dest) in clients.iter_mut() {
                let mut restore = words(&["RESTORE", &copy, "0"]);
                restore.push(payload.clone());
                restore.push(b"REPLACE".to_vec());
                let reply = call(dest, &restore);
                let what = format!("{} from {source_name} into {dest_name}", case.key);
                if reply != b"+OK\r\n" {
                    failures.push(format!("{what}: RESTORE gave {}", escape(&reply)));
                    continue;
                }
                if read_back(dest, &copy) != expected {
                    failures.push(format!("{what}: the restored value differs"));
                }
                encodings.push(call_str(dest, &["OBJECT", "ENCODING", &copy]));
            }
            if let [ours, theirs] = &encodings[..] {
                if ours != theirs {
                    failures.push(format!(
                        "{} from {source_name}: restored as {} in Redust, {} in Redis",
                        case.key,
                        escape(ours),
                        escape(theirs)
                    ));
                }
            }
            call_str(&mut clients[source].1, &["DEL", case.key]);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A TTL given to RESTORE applies on both servers alike.
#[test]
fn restore_with_ttl_from_redis() {
    if !redis_available() {
        return;
    }
    let (redust, redis) = (Server::redust(&[]), Server::redis(&[]));
    let (mut ours, mut theirs) = (redust.client(), redis.client());
    call_str(&mut theirs, &["SET", "k", "v"]);
    let payload = payload_of(&mut theirs, "k");
    let mut restore = words(&["RESTORE", "k", "4102444800000"]);
    restore.push(payload);
    restore.push(b"ABSTTL".to_vec());
    assert_eq!(call(&mut ours, &restore), b"+OK\r\n");
    assert_eq!(
        call_str(&mut ours, &["PEXPIRETIME", "k"]),
        b":4102444800000\r\n"
    );
    assert_eq!(call_str(&mut ours, &["GET", "k"]), b"$1\r\nv\r\n");
}
