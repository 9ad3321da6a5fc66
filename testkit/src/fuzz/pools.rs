//! The arguments the generator draws from: a small key universe (so commands
//! hit existing keys of every type, and the wrong type), a small value
//! universe (so members collide), and the edge cases: extreme and malformed
//! integers, floats, ranges, unknown options.

/// Keys by the type commands usually give them; renames and wrong-type
/// commands mix them up, which is the point.
pub const STRING_KEYS: &[&str] = &["s1", "s2", "w_1", "w_a", "w_2"];
pub const LIST_KEYS: &[&str] = &["l1", "l2"];
pub const HASH_KEYS: &[&str] = &["h1", "h2", "wh_1", "wh_a"];
pub const SET_KEYS: &[&str] = &["t1", "t2", "t3"];
pub const ZSET_KEYS: &[&str] = &["z1", "z2"];
/// Keys outside the usual ones: empty, binary, hash-tagged, never set.
pub const ODD_KEYS: &[&[u8]] = &[b"", b"\x00k\xff", b"{t}x", b"missing"];

/// Members, fields and values: few, so they collide; numbers among them,
/// so integer encodings and numeric sorts happen. Binary, but without NUL:
/// SORT ALPHA compares with strcoll, up to the first NUL, and a tie keeps a
/// set's table order.
pub const MEMBERS: &[&[u8]] = &[
    b"a",
    b"b",
    b"c",
    b"d",
    b"foo",
    b"bar",
    b"1",
    b"2",
    b"3",
    b"10",
    b"-1",
    b"0",
    b"1.5",
    b"-2.5",
    b"100",
    b"12345678901",
    b"",
    b"\xff\x01",
    b"\xc3\xbcml",
    b"f",
    b"g",
];

/// Integers and things that almost are.
pub const EDGE_INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "-2",
    "3",
    "5",
    "10",
    "-10",
    "100",
    "2147483647",
    "-2147483648",
    "2147483648",
    "-2147483649",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "1e3",
    "0x10",
    " 1",
    "1 ",
    "+1",
    "01",
    "-0",
    "",
    "abc",
    "1.5",
    "inf",
    "nan",
];

/// Floats and things that almost are.
pub const EDGE_FLOATS: &[&str] = &[
    "0",
    "1",
    "-1",
    "1.5",
    "-2.5",
    "0.1",
    "3.0",
    "1e10",
    "1e308",
    "-1e308",
    "inf",
    "-inf",
    "+inf",
    "Infinity",
    "nan",
    "-nan",
    "",
    " 1",
    "1 ",
    "abc",
    "0x10",
    "1e",
    "9223372036854775807",
    "17179869184",
    "-0",
    ".5",
    "5.",
];

/// Floats strtod parses with ERANGE (overflow, underflow, subnormal). Not
/// in the differential pools: Redis never clears errno, so after a command
/// that parsed one, the next SORT that checks a numeric weight fails with
/// "One or more scores can't be converted into double" (Redis 7.0's
/// `sortCommandGeneric` tests a stale `errno == ERANGE`), a leak between
/// commands Redust does not reproduce. The ulimit test sends them.
pub const ERANGE_FLOATS: &[&str] = &["1e400", "-1e400", "1e-400", "5e-324", "(1e400"];

/// Score range endpoints (ZRANGEBYSCORE and friends).
pub const SCORE_BOUNDS: &[&str] = &[
    "-inf", "+inf", "inf", "0", "1", "(1", "-1", "(-1", "2.5", "(2.5", "100", "(inf", "(-inf",
    "nan", "(nan", "abc", "(", "", "((1",
];

/// Lex range endpoints (ZRANGEBYLEX and friends).
pub const LEX_BOUNDS: &[&str] = &[
    "-", "+", "[a", "(a", "[b", "(c", "[foo", "(1", "[", "(", "a", "", "[\u{0}", "+a", "-a",
];

/// Option-like words, appended where they do not belong.
pub const JUNK: &[&str] = &[
    "FOO",
    "NX",
    "XX",
    "GT",
    "LT",
    "CH",
    "INCR",
    "GET",
    "KEEPTTL",
    "WITHSCORES",
    "WITHVALUES",
    "LIMIT",
    "COUNT",
    "MATCH",
    "TYPE",
    "REV",
    "BYSCORE",
    "BYLEX",
    "STORE",
    "ALPHA",
    "ASC",
    "DESC",
    "REPLACE",
    "ABSTTL",
    "IDLETIME",
    "FREQ",
    "AGGREGATE",
    "WEIGHTS",
    "LEFT",
    "RIGHT",
    "BEFORE",
    "AFTER",
    "RANK",
    "MAXLEN",
    "IDX",
    "LEN",
    "MINMATCHLEN",
    "WITHMATCHLEN",
    "PERSIST",
    "EX",
    "PX",
    "EXAT",
    "PXAT",
    "DB",
    "1",
    "-1",
    "",
];

/// Relative expiry arguments in seconds: far enough away that the two
/// servers agree (>= 100 s), in the past (deleting the key at once), or
/// invalid.
pub const EXPIRE_SECONDS: &[&str] = &[
    "100",
    "1000",
    "86400",
    "100000000000",
    "0",
    "-1",
    "-100",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854776",
    "4611686018427388",
    "abc",
    "1.5",
    "",
];

/// Absolute expiry arguments in seconds: far future, past, invalid.
pub const EXPIRE_AT_SECONDS: &[&str] = &[
    "4102444800",
    "32503680000",
    "1",
    "1000",
    "0",
    "-1",
    "9223372036854775807",
    "-9223372036854775808",
    "abc",
    "",
];

/// Blocking timeouts: short (the key is empty or not, both answer alike),
/// or invalid. Never 0, which would block for ever.
pub const TIMEOUTS: &[&str] = &["0.01", "0.02", "0.001", "-1", "-0.01", "abc", "", "1e-3"];

/// Beyond [`EDGE_INTS`]: sizes and offsets at Redis's limits (512 MB
/// strings, 32-bit wrap-arounds, 2^40), which allocate where accepted.
/// Only the ulimit test sends them; the differential run would make both
/// servers allocate gigabytes.
pub const EXTREME_INTS: &[&str] = &[
    "536870911",
    "536870912",
    "4294967295",
    "4294967297",
    "-4294967295",
    "1099511627776",
    "-9223372036854775807",
    "9223372036854775806",
    "0.0001",
    "-0.0001",
    "1e-320",
];
