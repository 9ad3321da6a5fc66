//! DUMP and RESTORE: a value as Redis's serialized payload (its RDB type and
//! encoding, the RDB version and a CRC64), so values move between Redust and
//! Redis both ways.

use bytes::Bytes;

use super::flags::*;
use super::{args, cmd, CommandDef, Ctx, Group, Handler};
use crate::persist::{dump_payload, packed_value_of, value_of};
use crate::rdb::{self, Decoded};
use crate::types::Limits;
use crate::{notify, Error, Kind, Result, Value};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    vec![
        cmd("dump", 2, READONLY, dump).keys(1, 1, 1).doc(
            Group::Generic,
            "2.6.0",
            "Return a serialized version of the value stored at the specified key.",
        ),
        cmd("restore", -4, WRITE | DENYOOM, restore)
            .keys(1, 1, 1)
            .doc(
                Group::Generic,
                "2.6.0",
                "Create a key using the provided serialized value, previously obtained using DUMP.",
            ),
    ]
}

fn dump(ctx: &mut Ctx) -> Result<()> {
    let options = ctx.eng.rdb_options(true);
    match ctx.read(ctx.arg(1)) {
        // Stored values are never empty and scores never NaN, the writer's
        // only refusals.
        (Some(value), out) => out.bulk(&dump_payload(value, &options).map_err(Error::err)?),
        (None, out) => out.null(),
    }
    Ok(())
}

/// RESTORE's options after the payload.
#[derive(Debug, Default)]
struct RestoreOptions {
    replace: bool,
    absttl: bool,
    /// IDLETIME seconds.
    idle: Option<u64>,
    /// FREQ counter.
    freq: Option<u8>,
}

impl RestoreOptions {
    /// `[REPLACE] [ABSTTL] [IDLETIME seconds | FREQ frequency]`, checked in
    /// Redis's order: each option's value as it comes, IDLETIME and FREQ
    /// exclusive (the second one is a syntax error).
    fn parse(opts: &[Bytes]) -> Result<RestoreOptions> {
        let mut parsed = RestoreOptions::default();
        let mut rest = opts.iter();
        while let Some(opt) = rest.next() {
            let has_value = rest.len() >= 1;
            if args::is(opt, "replace") {
                parsed.replace = true;
            } else if args::is(opt, "absttl") {
                parsed.absttl = true;
            } else if args::is(opt, "idletime") && has_value && parsed.freq.is_none() {
                let n = args::int(rest.next().expect("counted"))?;
                let n = u64::try_from(n)
                    .map_err(|_| Error::err("Invalid IDLETIME value, must be >= 0"))?;
                parsed.idle = Some(n);
            } else if args::is(opt, "freq") && has_value && parsed.idle.is_none() {
                let n = args::int(rest.next().expect("counted"))?;
                let n = u8::try_from(n)
                    .map_err(|_| Error::err("Invalid FREQ value, must be >= 0 and <= 255"))?;
                parsed.freq = Some(n);
            } else {
                return Err(Error::Syntax);
            }
        }
        Ok(parsed)
    }
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
fn restore(ctx: &mut Ctx) -> Result<()> {
    let opts = RestoreOptions::parse(&ctx.args[4..])?;
    let key = ctx.arg(1);
    if !opts.replace && ctx.exists(key) {
        return Err(Error::Other(
            "BUSYKEY Target key name already exists.".into(),
        ));
    }
    let ttl = args::int(ctx.arg(2))?;
    if ttl < 0 {
        return Err(Error::err("Invalid TTL value, must be >= 0"));
    }
    let value = decode(ctx.arg(3), &ctx.eng.limits)?;
    // REPLACE removes whatever is there, even a key whose time has passed.
    let deleted = opts.replace && ctx.db().remove(key).is_some();
    let expire_at = match ttl {
        0 => None,
        _ if opts.absttl => Some(ttl),
        _ => Some(ttl.wrapping_add(ctx.now)),
    };
    // An already expired key is not created, except on a replica, which
    // waits for its master's DEL like for any expired key.
    if expire_at.is_some_and(|at| at <= ctx.now) && !ctx.eng.replica {
        if deleted {
            ctx.notify(notify::GENERIC, "del", key);
            ctx.propagate_as(vec![Bytes::from_static(b"DEL"), ctx.args[1].clone()]);
            ctx.dirty(1);
        }
        ctx.out.ok();
        return Ok(());
    }
    let kind = value.kind();
    ctx.set_key(key, value, false);
    let db = ctx.db();
    // IDLETIME applies under LRU policies, FREQ under LFU ones; the other
    // is ignored, as in Redis.
    if let Some(access) = db.clock().restored(opts.idle, opts.freq) {
        db.set_access(key, access);
    }
    if let Some(at) = expire_at {
        db.set_expire(key, at);
        if !opts.absttl {
            // Replicas get the absolute time, so they expire it in step.
            let mut argv = ctx.args.to_vec();
            argv[2] = Bytes::from(at.to_string());
            argv.push(Bytes::from_static(b"ABSTTL"));
            ctx.propagate_as(argv);
        }
    }
    if matches!(kind, Kind::List | Kind::ZSet | Kind::Stream) {
        ctx.signal_ready(key);
    }
    ctx.notify(notify::GENERIC, "restore", key);
    ctx.dirty(1);
    ctx.out.ok();
    Ok(())
}

/// Checks and decodes a payload with Redis 7.0's verdicts: its footer
/// (version and checksum) first, then the value. A listpack or intset is
/// kept as the payload holds it (converted only past the limits), as Redis
/// keeps it.
fn decode(payload: &[u8], limits: &Limits) -> Result<Value> {
    let payload_error = || Error::err("DUMP payload version or checksum are wrong");
    // Redis 7.0 refuses payloads of newer RDB versions (7.2 writes 11) even
    // where the reader could load them.
    let version = payload
        .len()
        .checked_sub(10)
        .map(|i| u16::from_le_bytes([payload[i], payload[i + 1]]));
    if version.is_some_and(|v| v > rdb::RDB_VERSION) {
        return Err(payload_error());
    }
    let bad_data = || Error::err("Bad data format");
    match rdb::restore_packed(payload) {
        Ok(Decoded::Object(object)) => Ok(value_of(object, limits)),
        Ok(Decoded::Packed(packed)) => packed_value_of(packed, limits).map_err(|_| bad_data()),
        Err(rdb::Error::DumpPayload) => Err(payload_error()),
        Err(_) => Err(bad_data()),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use crate::command::test_support::*;
    use crate::rdb;

    /// DUMP payloads made by redis-server 7.0.15 from the same commands.
    const REDIS_DUMPS: &[(&str, &str, &[u8])] = &[
        ("SET s hello", "s", b"\x00\x05hello\x0a\x00cr\xdfve4 \x0a"),
        ("SET n 12345", "n", b"\x00\xc190\x0a\x00\x9d\x94\xea'\x93\xfc\x08\xb9"),
        (
            "RPUSH l a b 3",
            "l",
            b"\x12\x01\x02\x0f\x0f\x00\x00\x00\x03\x00\x81a\x02\x81b\x02\x03\x01\xff\x0a\x00\xdc\xa1\xe6}P\x05PH",
        ),
        (
            "HSET h f1 v1 f2 2",
            "h",
            b"\x10\x15\x15\x00\x00\x00\x04\x00\x82f1\x03\x82v1\x03\x82f2\x03\x02\x01\xff\x0a\x00\x5c^\xa8\x13\xfe\xec\x1f\xf5",
        ),
        (
            "SADD si 3 1 2",
            "si",
            b"\x0b\x0e\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x02\x00\x03\x00\x0a\x00\xa5\x02\x5c\xe2mnM\x1b",
        ),
    ];

    /// A two-member set Redis dumped in its own hash-table order.
    const REDIS_SET: &[u8] = b"\x02\x02\x01y\x01x\x0a\x00\x0c\xdfk=\xb30\xbc\xf0";

    fn args(words: &[&[u8]]) -> Vec<Bytes> {
        words.iter().map(|w| Bytes::copy_from_slice(w)).collect()
    }

    fn dump(t: &mut TestEngine, key: &str) -> Vec<u8> {
        let reply = t.exec(&args(&[b"DUMP", key.as_bytes()]));
        let body = reply.iter().position(|&b| b == b'\n').expect("a reply") + 1;
        reply[body..reply.len() - 2].to_vec()
    }

    /// RESTORE key ttl payload options...
    fn restore(t: &mut TestEngine, key: &str, ttl: &str, payload: &[u8], opts: &str) -> String {
        let mut argv = args(&[b"RESTORE", key.as_bytes(), ttl.as_bytes(), payload]);
        argv.extend(split(opts));
        String::from_utf8_lossy(&t.exec(&argv)).into_owned()
    }

    /// A payload around `body` with a correct footer.
    fn payload(body: &[u8], version: u16) -> Vec<u8> {
        let mut p = body.to_vec();
        p.extend(version.to_le_bytes());
        let crc = rdb::crc64(&p);
        p.extend(crc.to_le_bytes());
        p
    }

    /// A listpack kept as the payload holds it, as Redis keeps it: a sorted
    /// set score stored as the text "-0" stays -0 (redis-server 7.0.15
    /// answers ZSCORE with "-0" for this payload), where re-inserting the
    /// pair would write the integer 0; and the DUMP gives the blob back.
    #[test]
    fn restored_listpacks_are_kept_as_they_are() {
        let mut t = TestEngine::new();
        let p = payload(
            b"\x11\x0e\x0e\x00\x00\x00\x02\x00\x81n\x02\x82-0\x03\xff",
            10,
        );
        assert_eq!(restore(&mut t, "z", "0", &p, ""), OK);
        assert_eq!(t.run("ZSCORE z n"), "$2\r\n-0\r\n");
        assert_eq!(t.run("OBJECT ENCODING z"), "$8\r\nlistpack\r\n");
        assert_eq!(dump(&mut t, "z"), p);
        // Past the limits it converts, keeping the score.
        t.eng.limits.zset_max_listpack_entries = 0;
        assert_eq!(restore(&mut t, "z", "0", &p, "REPLACE"), OK);
        assert_eq!(t.run("OBJECT ENCODING z"), "$8\r\nskiplist\r\n");
        assert_eq!(t.run("ZSCORE z n"), "$2\r\n-0\r\n");
    }

    #[test]
    fn dump_matches_redis_byte_for_byte() {
        let mut t = TestEngine::new();
        for (command, key, expected) in REDIS_DUMPS {
            t.run(command);
            assert_eq!(dump(&mut t, key), *expected, "{command}");
        }
        assert_eq!(t.run("DUMP nosuch"), NULL);
        assert_eq!(t.eng.stats.keyspace_misses, 1);
        assert!(t.propagated().iter().all(|p| !p.starts_with("DUMP")));
    }

    #[test]
    fn restores_redis_payloads() {
        let mut t = TestEngine::new();
        for (_, key, payload) in REDIS_DUMPS {
            assert_eq!(restore(&mut t, key, "0", payload, ""), OK, "{key}");
        }
        assert_eq!(restore(&mut t, "ss", "0", REDIS_SET, ""), OK);
        assert_eq!(t.run("GET s"), bulk("hello"));
        assert_eq!(t.run("OBJECT ENCODING n"), bulk("int"));
        assert_eq!(
            t.run("LRANGE l 0 -1"),
            "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\n3\r\n"
        );
        assert_eq!(t.run("HGET h f2"), bulk("2"));
        assert_eq!(t.run("OBJECT ENCODING h"), bulk("listpack"));
        assert_eq!(t.run("OBJECT ENCODING si"), bulk("intset"));
        assert_eq!(t.run("SISMEMBER ss y"), int(1));
        assert_eq!(t.run("SCARD ss"), int(2));
        // What Redis's DEBUG DIGEST-VALUE says of the originals.
        assert_eq!(
            t.eng.digest_value(0, b"h"),
            "fc076e867f7dbf566ea58172a151d82d78b8f845"
        );
        assert_eq!(
            t.eng.digest_value(0, b"ss"),
            "36846f8a92fb6b6b824c73bf468c5bbcf5075ede"
        );
    }

    #[test]
    fn round_trip_keeps_value() {
        let mut t = TestEngine::new();
        t.run(&format!("SET big {}", "abc".repeat(100)));
        t.run("HSET h f v g w");
        t.run("SADD s 1 2 x");
        t.run("RPUSH l a 1 b");
        for key in ["big", "h", "s", "l"] {
            let before = t.eng.digest_value(0, key.as_bytes());
            let encoding = t.run(&format!("OBJECT ENCODING {key}"));
            let payload = dump(&mut t, key);
            assert_eq!(restore(&mut t, key, "0", &payload, "REPLACE"), OK);
            assert_eq!(t.eng.digest_value(0, key.as_bytes()), before, "{key}");
            assert_eq!(t.run(&format!("OBJECT ENCODING {key}")), encoding, "{key}");
        }
        // A string compressed with LZF, unless compression is off.
        assert!(dump(&mut t, "big").len() < 100);
        t.eng.rdb_compression = false;
        assert!(dump(&mut t, "big").len() > 300);
    }

    /// Values that shrank after converting to a hash table are dumped as
    /// hash tables, as Redis dumps what is in memory; RESTORE gives them
    /// the small encoding again, as Redis does.
    #[test]
    fn dump_keeps_the_encoding_in_memory() {
        let mut t = TestEngine::new();
        t.run(&format!("HSET h f v g {}", "x".repeat(65)));
        t.run("HDEL h g");
        t.run("SADD s 1 x");
        t.run("SREM s x");
        let redis: [(&str, &[u8]); 2] = [
            ("h", b"\x04\x01\x01f\x01v\x0a\x00\xad\xf2CV\xb1\x86\x0e\xfc"),
            ("s", b"\x02\x01\xc0\x01\x0a\x00\xfb\x10\xe1S\x1a\xe5v%"),
        ];
        for (key, expected) in redis {
            assert_eq!(dump(&mut t, key), expected, "{key}");
            assert_eq!(restore(&mut t, key, "0", expected, "REPLACE"), OK);
        }
        assert_eq!(t.run("OBJECT ENCODING h"), bulk("listpack"));
        assert_eq!(t.run("OBJECT ENCODING s"), bulk("intset"));
    }

    #[test]
    fn options_and_errors_in_redis_order() {
        let mut t = TestEngine::new();
        t.run("SET s hello");
        let p = dump(&mut t, "s");
        let mut bad_crc = p.clone();
        *bad_crc.last_mut().unwrap() ^= 1;
        let busy = err("BUSYKEY Target key name already exists.");
        let wrong = err("ERR DUMP payload version or checksum are wrong");
        let cases: &[(&str, &str, &[u8], &str, String)] = &[
            ("s", "0", &p, "", busy.clone()),
            ("s", "x", &p, "", busy.clone()),
            ("s", "-1", &p, "FOO", err("ERR syntax error")),
            (
                "new",
                "-1",
                &p,
                "",
                err("ERR Invalid TTL value, must be >= 0"),
            ),
            (
                "new",
                "x",
                &p,
                "",
                err("ERR value is not an integer or out of range"),
            ),
            (
                "s",
                "-1",
                &bad_crc,
                "REPLACE",
                err("ERR Invalid TTL value, must be >= 0"),
            ),
            ("new", "0", &bad_crc, "", wrong.clone()),
            ("new", "0", &payload(b"\x00\x01v", 11), "", wrong.clone()),
            ("new", "0", b"short", "", wrong.clone()),
            (
                "new",
                "0",
                &payload(b"\x00\x05he", 10),
                "",
                err("ERR Bad data format"),
            ),
            (
                "new",
                "0",
                &payload(b"\x08\x00", 10),
                "",
                err("ERR Bad data format"),
            ),
            (
                "new",
                "0",
                &payload(b"\x02\x00", 10),
                "",
                err("ERR Bad data format"),
            ),
            ("new", "0", &p, "IDLETIME", err("ERR syntax error")),
            (
                "new",
                "0",
                &p,
                "IDLETIME -1",
                err("ERR Invalid IDLETIME value, must be >= 0"),
            ),
            (
                "new",
                "0",
                &p,
                "IDLETIME x",
                err("ERR value is not an integer or out of range"),
            ),
            (
                "new",
                "0",
                &p,
                "FREQ 256",
                err("ERR Invalid FREQ value, must be >= 0 and <= 255"),
            ),
            (
                "new",
                "0",
                &p,
                "FREQ -1",
                err("ERR Invalid FREQ value, must be >= 0 and <= 255"),
            ),
            ("new", "0", &p, "FREQ 1 IDLETIME 1", err("ERR syntax error")),
            ("new", "0", &p, "IDLETIME 1 FREQ 1", err("ERR syntax error")),
            (
                "new",
                "0",
                &p,
                "IDLETIME 1 IDLETIME 2 replace absttl ABSTTL",
                OK.into(),
            ),
            ("new2", "0", &p, "FREQ 255", OK.into()),
            ("new3", "0", &payload(b"\x00\x01v", 9), "", OK.into()),
        ];
        for (key, ttl, payload, opts, expected) in cases {
            assert_eq!(
                &restore(&mut t, key, ttl, payload, opts),
                expected,
                "{key} {ttl} {opts}"
            );
        }
        assert_eq!(t.run("GET new3"), bulk("v"));
        assert_eq!(t.run("TTL new"), int(-1));
    }

    #[test]
    fn ttl_and_propagation() {
        let mut t = TestEngine::new();
        t.run("SET s v");
        let p = dump(&mut t, "s");
        let text = |p: &[u8]| String::from_utf8_lossy(p).into_owned();
        t.propagated();
        // A relative TTL becomes absolute, marked ABSTTL, for replicas.
        assert_eq!(restore(&mut t, "a", "5000", &p, "IDLETIME 3"), OK);
        assert_eq!(t.run("PTTL a"), int(5000));
        let at = NOW + 5000;
        assert_eq!(
            t.propagated(),
            [format!("RESTORE a {at} {} IDLETIME 3 ABSTTL", text(&p))]
        );
        let later = (NOW + 9000).to_string();
        assert_eq!(restore(&mut t, "b", &later, &p, "ABSTTL"), OK);
        assert_eq!(t.run("PTTL b"), int(9000));
        assert_eq!(
            t.propagated(),
            [format!("RESTORE b {later} {} ABSTTL", text(&p))]
        );
        assert_eq!(restore(&mut t, "c", "0", &p, ""), OK);
        assert_eq!(t.run("TTL c"), int(-1));
        assert_eq!(t.propagated(), [format!("RESTORE c 0 {}", text(&p))]);
        // A time already past: nothing is created or propagated...
        let past = (NOW - 1).to_string();
        assert_eq!(restore(&mut t, "d", &past, &p, "ABSTTL"), OK);
        assert_eq!(t.run("EXISTS d"), int(0));
        assert!(t.propagated().is_empty());
        // ...but a replaced key is deleted, and that is what propagates.
        let dirty = t.eng.dirty();
        assert_eq!(
            restore(&mut t, "c", &NOW.to_string(), &p, "ABSTTL REPLACE"),
            OK
        );
        assert_eq!(t.run("EXISTS c"), int(0));
        assert_eq!(t.eng.dirty(), dirty + 1);
        assert_eq!(t.propagated(), ["DEL c"]);
        // A replica keeps it, waiting for its master's DEL.
        t.eng.replica = true;
        assert_eq!(restore(&mut t, "d", &past, &p, "ABSTTL"), OK);
        assert_eq!(t.eng.db(0).expire_at(b"d"), Some(NOW - 1));
    }

    #[test]
    fn replace_and_expired_keys() {
        let mut t = TestEngine::new();
        t.run("SET s v");
        let p = dump(&mut t, "s");
        t.run("RPUSH l x");
        let dirty = t.eng.dirty();
        assert_eq!(restore(&mut t, "l", "0", &p, "REPLACE"), OK);
        assert_eq!(t.run("TYPE l"), "+string\r\n");
        assert_eq!(t.eng.dirty(), dirty + 1);
        // A key whose time has passed is no obstacle.
        t.run("SET gone v PX 10");
        t.now += 11;
        t.propagated();
        assert_eq!(restore(&mut t, "gone", "0", &p, ""), OK);
        assert_eq!(t.propagated().len(), 2, "the expiry's DEL, then RESTORE");
        assert_eq!(t.eng.stats.expired_keys, 1);
    }
}
