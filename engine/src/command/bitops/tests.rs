use super::{first_bit, popcount};
use crate::command::test_support::*;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn setbit_and_getbit_like_redis() {
    let mut t = TestEngine::new();
    assert_eq!(t.run("SETBIT k 1 1"), int(0));
    assert_eq!(t.run("GET k"), bulk("@"));
    assert_eq!(t.run("SETBIT k 1 1"), int(1));
    assert_eq!(t.run("SETBIT k 1 0"), int(1));
    assert_eq!(t.run("SETBIT k 23 1"), int(0));
    assert_eq!(t.run("GET k"), bulk("\0\0\x01"));
    assert_eq!(t.run("GETBIT k 23"), int(1));
    assert_eq!(t.run("GETBIT k 22"), int(0));
    assert_eq!(t.run("GETBIT k 100"), int(0));
    assert_eq!(t.run("GETBIT nokey 0"), int(0));
    // An unchanged bit is no write: nothing propagated.
    t.propagated();
    assert_eq!(t.run("SETBIT k 22 0"), int(0));
    assert_eq!(t.propagated(), Vec::<String>::new());
    // Integers are read as their text, and made raw by SETBIT.
    t.run("SET n 1");
    assert_eq!(t.run("GETBIT n 7"), int(1));
    assert_eq!(t.run("SETBIT n 6 1"), int(0));
    assert_eq!(t.run("GET n"), bulk("3"));
    assert_eq!(t.run("OBJECT ENCODING n"), bulk("raw"));
    t.run("LPUSH l a");
    assert_eq!(t.run("SETBIT l 0 1"), err(WRONGTYPE));
    assert_eq!(t.run("GETBIT l 0"), err(WRONGTYPE));
    let offset = err("ERR bit offset is not an integer or out of range");
    assert_eq!(t.run("SETBIT k -1 1"), offset);
    assert_eq!(t.run("SETBIT k 4294967296 1"), offset);
    assert_eq!(t.run("GETBIT k x"), offset);
    let bit = err("ERR bit is not an integer or out of range");
    assert_eq!(t.run("SETBIT k 0 2"), bit);
    assert_eq!(t.run("SETBIT k 0 -1"), bit);
    assert_eq!(t.run("SETBIT k 0 x"), bit);
}

#[test]
fn popcount_and_first_bit_match_bytewise() {
    let data: Vec<u8> = (0..1000u32).map(|i| (i * 37 % 251) as u8).collect();
    for len in [0, 1, 7, 8, 9, 63, 64, 65, 1000] {
        let slice = &data[..len];
        let slow: u64 = slice.iter().map(|b| u64::from(b.count_ones())).sum();
        assert_eq!(popcount(slice), slow);
    }
    let mut zeros = vec![0u8; 40];
    assert_eq!(first_bit(&zeros, true), -1);
    assert_eq!(first_bit(&zeros, false), 0);
    zeros[33] = 0x10;
    assert_eq!(first_bit(&zeros, true), 33 * 8 + 3);
    let mut ones = vec![0xffu8; 40];
    assert_eq!(first_bit(&ones, false), 320);
    ones[17] = 0xfe;
    assert_eq!(first_bit(&ones, false), 17 * 8 + 7);
}

#[test]
fn bitcount_ranges() {
    let mut t = TestEngine::new();
    assert_eq!(t.run("BITCOUNT nokey"), int(0));
    // A missing key answers before its range is parsed.
    assert_eq!(t.run("BITCOUNT nokey 0"), int(0));
    t.run("SET s foobar");
    assert_eq!(t.run("BITCOUNT s"), int(26));
    assert_eq!(t.run("BITCOUNT s 0"), err("ERR syntax error"));
    assert_eq!(t.run("BITCOUNT s 0 0"), int(4));
    assert_eq!(t.run("BITCOUNT s 1 1"), int(6));
    assert_eq!(t.run("BITCOUNT s 1 1 BYTE"), int(6));
    assert_eq!(t.run("BITCOUNT s 5 30 BIT"), int(17));
    assert_eq!(t.run("BITCOUNT s -2 -1"), int(7));
    assert_eq!(t.run("BITCOUNT s -1 -2"), int(0));
    assert_eq!(t.run("BITCOUNT s -1 -2 junk"), int(0));
    assert_eq!(t.run("BITCOUNT s 0 -1 junk"), err("ERR syntax error"));
    assert_eq!(t.run("BITCOUNT s 0 1000"), int(26));
    assert_eq!(t.run("BITCOUNT s 7 3"), int(0));
    assert_eq!(
        t.run("BITCOUNT s x 1"),
        err("ERR value is not an integer or out of range")
    );
    t.run("SET n 12");
    assert_eq!(t.run("BITCOUNT n"), int(6));
    t.run("LPUSH l a");
    assert_eq!(t.run("BITCOUNT l"), err(WRONGTYPE));
}

#[test]
fn bitpos_ranges() {
    let mut t = TestEngine::new();
    assert_eq!(t.run("BITPOS nokey 1"), int(-1));
    assert_eq!(t.run("BITPOS nokey 0"), int(0));
    assert_eq!(
        t.run("BITPOS nokey 2"),
        err("ERR The bit argument must be 1 or 0.")
    );
    t.set_bytes("s", b"\xff\xf0\0");
    assert_eq!(t.run("BITPOS s 0"), int(12));
    assert_eq!(t.run("BITPOS s 1 2"), int(-1));
    assert_eq!(t.run("BITPOS s 1 1 -1 BYTE"), int(8));
    assert_eq!(t.run("BITPOS s 1 7 15 BIT"), int(7));
    assert_eq!(t.run("BITPOS s 0 0 3 BIT"), int(-1));
    t.set_bytes("ones", b"\xff\xff");
    // No end: the string reads as zero-padded; an explicit end does not.
    assert_eq!(t.run("BITPOS ones 0"), int(16));
    assert_eq!(t.run("BITPOS ones 0 0"), int(16));
    assert_eq!(t.run("BITPOS ones 0 0 -1"), int(-1));
    assert_eq!(
        t.run("BITPOS ones 0 3 BIT"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(t.run("BITPOS ones 0 0 3 BITS"), err("ERR syntax error"));
}

#[test]
fn bitop_and_store() {
    let mut t = TestEngine::new();
    t.set_bytes("a", b"\xf0\x0f\xff");
    t.set_bytes("b", b"\xff");
    assert_eq!(t.run("BITOP AND d a b"), int(3));
    assert_eq!(t.get_bytes("d"), b"\xf0\0\0");
    assert_eq!(t.run("BITOP OR d a b nokey"), int(3));
    assert_eq!(t.get_bytes("d"), b"\xff\x0f\xff");
    assert_eq!(t.run("BITOP XOR d a b"), int(3));
    assert_eq!(t.get_bytes("d"), b"\x0f\x0f\xff");
    assert_eq!(t.run("BITOP NOT d b"), int(1));
    assert_eq!(t.get_bytes("d"), b"\0");
    assert_eq!(
        t.run("BITOP NOT d a b"),
        err("ERR BITOP NOT must be called with a single source key.")
    );
    assert_eq!(t.run("BITOP NAND d a b"), err("ERR syntax error"));
    t.propagated();
    assert_eq!(t.run("BITOP OR d nokey"), int(0));
    assert_eq!(t.run("EXISTS d"), int(0));
    assert_eq!(t.propagated(), ["BITOP OR d nokey"]);
    t.run("LPUSH l a");
    assert_eq!(t.run("BITOP OR d a l"), err(WRONGTYPE));
}

#[test]
fn bitfield_get_set_incrby() {
    let mut t = TestEngine::new();
    assert_eq!(
        t.run("BITFIELD k SET u8 0 255 GET u8 0"),
        "*2\r\n:0\r\n:255\r\n"
    );
    assert_eq!(
        t.run("BITFIELD k GET i8 0 GET u4 4 GET u8 4"),
        "*3\r\n:-1\r\n:15\r\n:240\r\n"
    );
    assert_eq!(
        t.run("BITFIELD k SET u8 #1 5 GET u8 8"),
        "*2\r\n:0\r\n:5\r\n"
    );
    assert_eq!(
        t.run("BITFIELD k INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1"),
        "*2\r\n:1\r\n:1\r\n"
    );
    assert_eq!(t.run("BITFIELD k INCRBY u2 100 3"), "*1\r\n:0\r\n");
    assert_eq!(
        t.run("BITFIELD k OVERFLOW SAT INCRBY u2 102 7"),
        "*1\r\n:3\r\n"
    );
    assert_eq!(
        t.run("BITFIELD k OVERFLOW FAIL INCRBY u2 102 1"),
        "*1\r\n$-1\r\n"
    );
    assert_eq!(
        t.run("BITFIELD k OVERFLOW SAT INCRBY i8 200 -200"),
        "*1\r\n:-128\r\n"
    );
    assert_eq!(
        t.run("BITFIELD k OVERFLOW WRAP INCRBY i8 200 -1"),
        "*1\r\n:127\r\n"
    );
    assert_eq!(
        t.run("BITFIELD k2 SET i64 0 -1 GET i64 0 GET u63 0"),
        "*3\r\n:0\r\n:-1\r\n:9223372036854775807\r\n"
    );
    assert_eq!(
        t.run("BITFIELD k2 INCRBY i64 0 -9223372036854775808"),
        "*1\r\n:9223372036854775807\r\n"
    );
    assert_eq!(t.run("BITFIELD_RO k GET u8 0"), "*1\r\n:255\r\n");
    assert_eq!(t.run("BITFIELD nokey GET u8 0"), "*1\r\n:0\r\n");
    assert_eq!(t.run("BITFIELD nokey"), "*0\r\n");
    assert_eq!(
        t.run("BITFIELD_RO k SET u8 0 1"),
        err("ERR BITFIELD_RO only supports the GET subcommand")
    );
    let bad_type = err("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
    assert_eq!(t.run("BITFIELD k GET u64 0"), bad_type);
    assert_eq!(t.run("BITFIELD k GET i65 0"), bad_type);
    assert_eq!(t.run("BITFIELD k GET x8 0"), bad_type);
    assert_eq!(t.run("BITFIELD k GET i0 0"), bad_type);
    assert_eq!(
        t.run("BITFIELD k GET u8 -1"),
        err("ERR bit offset is not an integer or out of range")
    );
    assert_eq!(
        t.run("BITFIELD k GET u8 #x"),
        err("ERR bit offset is not an integer or out of range")
    );
    assert_eq!(
        t.run("BITFIELD k GET u8 4294967296"),
        err("ERR bit offset is not an integer or out of range")
    );
    assert_eq!(
        t.run("BITFIELD k OVERFLOW foo"),
        err("ERR Invalid OVERFLOW type specified")
    );
    assert_eq!(t.run("BITFIELD k GET u8"), err("ERR syntax error"));
    assert_eq!(
        t.run("BITFIELD k SET u8 0 x"),
        err("ERR value is not an integer or out of range")
    );
    t.run("LPUSH l a");
    assert_eq!(t.run("BITFIELD l GET u8 0"), err(WRONGTYPE));
    assert_eq!(t.run("BITFIELD l SET u8 0 1"), err(WRONGTYPE));
}

#[test]
fn bitfield_propagates_only_changes() {
    let mut t = TestEngine::new();
    t.run("SET k \0");
    t.propagated();
    assert_eq!(t.run("BITFIELD k SET u8 0 0"), "*1\r\n:0\r\n");
    assert_eq!(t.propagated(), Vec::<String>::new());
    assert_eq!(
        t.run("BITFIELD k OVERFLOW FAIL INCRBY u8 0 300"),
        "*1\r\n$-1\r\n"
    );
    assert_eq!(t.propagated(), Vec::<String>::new());
    assert_eq!(t.run("BITFIELD k INCRBY u8 0 3"), "*1\r\n:3\r\n");
    assert_eq!(t.propagated(), ["BITFIELD k INCRBY u8 0 3"]);
}

/// BITOP over sources longer than its 4 KiB blocks and of unequal lengths
/// (a missing or shorter source counts as zero bytes), against a byte-wise
/// reference.
#[test]
fn bitop_across_blocks_and_unequal_lengths() {
    let mut t = TestEngine::new();
    let lens = [10_000usize, 4096, 0, 9_000, 1];
    let mut seed = 0x9e37_79b9_u32;
    let mut sources = Vec::new();
    for (i, &len) in lens.iter().enumerate() {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed as u8
            })
            .collect();
        if len > 0 {
            t.set_bytes(&format!("s{i}"), &bytes);
        }
        sources.push(bytes);
    }
    let longest = lens.iter().max().copied().unwrap();
    let byte = |s: &Vec<u8>, i: usize| s.get(i).copied().unwrap_or(0);
    for (op, f) in [
        ("AND", (|a, b| a & b) as fn(u8, u8) -> u8),
        ("OR", |a, b| a | b),
        ("XOR", |a, b| a ^ b),
    ] {
        let expected: Vec<u8> = (0..longest)
            .map(|i| {
                sources[1..]
                    .iter()
                    .fold(byte(&sources[0], i), |r, s| f(r, byte(s, i)))
            })
            .collect();
        let reply = t.run(&format!("BITOP {op} d s0 s1 s2 s3 s4"));
        assert_eq!(reply, int(longest as i64), "{op}");
        assert_eq!(t.get_bytes("d"), expected, "{op}");
    }
    assert_eq!(t.run("BITOP NOT d s3"), int(9_000));
    let inverted: Vec<u8> = sources[3].iter().map(|b| !b).collect();
    assert_eq!(t.get_bytes("d"), inverted);
}
