//! `RequestDecoder` against the behaviour of Redis 7.0's
//! `processMultibulkBuffer` / `processInlineBuffer` (the expected replies
//! below were checked against redis-server 7.0.15). Every input is also fed
//! split at every byte, one byte at a time, and with junk after it.

use bytes::{Bytes, BytesMut};
use resp::{DecodeError, Limits, RequestDecoder};

/// Everything a decoder made of an input.
#[derive(Debug, PartialEq)]
struct Outcome {
    requests: Vec<Vec<Bytes>>,
    error: Option<DecodeError>,
    consumed: u64,
}

/// Feeds `chunks` one after the other to a fresh decoder, decoding all it
/// can after each, until the first error.
fn feed<'a>(limits: Limits, chunks: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    let mut decoder = RequestDecoder::new(limits);
    let mut buf = BytesMut::new();
    let mut requests = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(args)) => requests.push(args),
                Ok(None) => break,
                Err(e) => {
                    return Outcome {
                        requests,
                        error: Some(e),
                        consumed: decoder.bytes_consumed(),
                    }
                }
            }
        }
    }
    Outcome {
        requests,
        error: None,
        consumed: decoder.bytes_consumed(),
    }
}

fn requests(list: &[&[&str]]) -> Vec<Vec<Bytes>> {
    list.iter()
        .map(|args| {
            args.iter()
                .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                .collect()
        })
        .collect()
}

/// Where to split an input: everywhere, or for long inputs near both ends
/// and at a sample in between.
fn cuts(len: usize) -> impl Iterator<Item = usize> {
    (0..len).filter(move |&cut| len < 1000 || cut < 100 || len - cut < 100 || cut % 997 == 0)
}

/// `input` decodes to `expected` (consuming all of it), however it is cut.
#[track_caller]
fn ok_with(limits: Limits, input: &[u8], expected: &[&[&str]]) {
    let want = Outcome {
        requests: requests(expected),
        error: None,
        consumed: input.len() as u64,
    };
    assert_eq!(feed(limits, [input]), want, "{}", input.escape_ascii());
    for cut in cuts(input.len()) {
        assert_eq!(
            feed(limits, [&input[..cut], &input[cut..]]),
            want,
            "split at {cut}"
        );
    }
    if input.len() < 100_000 {
        assert_eq!(feed(limits, input.chunks(1)), want, "byte by byte");
    }
    // An unfinished request after it is left alone and not counted.
    let junk: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nval";
    assert_eq!(feed(limits, [input, junk]), want, "with junk");
}

#[track_caller]
fn ok(input: &[u8], expected: &[&[&str]]) {
    ok_with(Limits::default(), input, expected);
}

/// `input` fails with `expected` after the requests before it, however it is
/// cut (and with junk after it, unless the error depends on what follows).
#[track_caller]
fn err_with(limits: Limits, input: &[u8], before: &[&[&str]], expected: DecodeError, junk: bool) {
    let check = |outcome: Outcome, how: &str| {
        assert_eq!(
            outcome.requests,
            requests(before),
            "{how}: {}",
            input.escape_ascii()
        );
        assert_eq!(
            outcome.error,
            Some(expected.clone()),
            "{how}: {}",
            input.escape_ascii()
        );
    };
    check(feed(limits, [input]), "whole");
    for cut in cuts(input.len()) {
        check(
            feed(limits, [&input[..cut], &input[cut..]]),
            &format!("split at {cut}"),
        );
    }
    if input.len() < 1000 {
        check(feed(limits, input.chunks(1)), "byte by byte");
    }
    if junk {
        check(feed(limits, [input, b"*1\r\n$4\r\nPING\r\n"]), "with junk");
    }
}

#[track_caller]
fn err(input: &[u8], expected: DecodeError) {
    err_with(Limits::default(), input, &[], expected, true);
}

fn unauthenticated() -> Limits {
    Limits {
        authenticated: false,
        ..Limits::default()
    }
}

#[test]
fn multibulk() {
    ok(
        b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n",
        &[&["SET", "key", "value"]],
    );
    ok(b"*2\r\n$3\r\nGET\r\n$0\r\n\r\n", &[&["GET", ""]]);
    ok(
        b"*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n",
        &[&["ECHO", "a\r\nb"]],
    );
    ok(
        b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
        &[&["PING"], &["GET", "k"]],
    );
}

#[test]
fn empty_requests_are_skipped_and_counted() {
    ok(b"*0\r\n*-1\r\n*-5\r\n*1\r\n$4\r\nPING\r\n", &[&["PING"]]);
    ok(b"\r\n\n  \r\n\t\r\nPING\r\n", &[&["PING"]]);
    ok(b"*0\r\n\r\n", &[]);
}

#[test]
fn inline() {
    ok(b"PING\r\n", &[&["PING"]]);
    ok(b"GET k\n", &[&["GET", "k"]]);
    ok(b"  SET   k  v \r\n", &[&["SET", "k", "v"]]);
    ok(
        br#"SET k "a b""#.iter().chain(b"\r\n").copied().collect::<Vec<_>>().as_slice(),
        &[&["SET", "k", "a b"]],
    );
    ok(
        b"ECHO \"a\\x41\\n\" 'it\\'s'\r\n",
        &[&["ECHO", "aA\n", "it's"]],
    );
    ok(b"ECHO a\"b c\"\r\n", &[&["ECHO", "ab c"]]);
    ok(b"\x0bPING\r\n", &[&["PING"]]);
    ok(b"PI\x0bNG\r\n", &[&["PI\x0bNG"]]);
    // Only one CR before the LF belongs to the line end.
    ok(b"GET k\r\r\n", &[&["GET", "k"]]);
}

#[test]
fn inline_and_multibulk_mixed() {
    ok(
        b"PING\r\n*1\r\n$4\r\nPING\r\nGET k\r\n",
        &[&["PING"], &["PING"], &["GET", "k"]],
    );
}

#[test]
fn line_ends_are_not_checked_like_redis() {
    // Redis skips the byte after a header's CR and the two bytes after a
    // payload without looking at them.
    ok(b"*1\rX$4\r\nPING\r\n", &[&["PING"]]);
    ok(
        b"*1\r\n$4\r\nPINGxy*1\r\n$4\r\nPING\r\n",
        &[&["PING"], &["PING"]],
    );
    ok(b"*1\r\n$4\r\r\nPING\r\n", &[&["\nPIN"]]);
}

#[test]
fn unauthenticated_limits_allow_up_to_the_limit() {
    let mut ten = b"*10\r\n".to_vec();
    for _ in 0..10 {
        ten.extend_from_slice(b"$1\r\nx\r\n");
    }
    ok_with(unauthenticated(), &ten, &[&["x"; 10]]);
    let mut big = b"*1\r\n$16384\r\n".to_vec();
    big.extend(std::iter::repeat_n(b'x', 16384));
    big.extend_from_slice(b"\r\n");
    let mut decoder = RequestDecoder::new(unauthenticated());
    let args = decoder
        .decode(&mut BytesMut::from(&big[..]))
        .unwrap()
        .unwrap();
    assert_eq!(args[0].len(), 16384);
}

#[test]
fn invalid_multibulk_length() {
    for input in [
        &b"*abc\r\n"[..],
        b"*01\r\n",
        b"*+1\r\n",
        b"* 1\r\n",
        b"*\r\n",
        b"*2147483648\r\n",
        b"*99999999999999999999\r\n",
    ] {
        err(input, DecodeError::InvalidMultibulkLength);
    }
    let small = Limits {
        max_multibulk_len: 3,
        ..Limits::default()
    };
    err_with(
        small,
        b"*4\r\n",
        &[],
        DecodeError::InvalidMultibulkLength,
        true,
    );
}

#[test]
fn invalid_bulk_length() {
    for input in [
        &b"*1\r\n$-1\r\n"[..],
        b"*1\r\n$-0\r\n",
        b"*1\r\n$01\r\n",
        b"*1\r\n$ 1\r\n",
        b"*1\r\n$x\r\n",
        b"*1\r\n$\r\n",
        b"*1\r\n$536870913\r\n",
        b"*2\r\n$3\r\nGET\r\n$-3\r\n",
    ] {
        err(input, DecodeError::InvalidBulkLength);
    }
    let small = Limits {
        max_bulk_len: 3,
        ..Limits::default()
    };
    err_with(
        small,
        b"*1\r\n$4\r\n",
        &[],
        DecodeError::InvalidBulkLength,
        true,
    );
}

#[test]
fn unauthenticated_lengths() {
    let limits = unauthenticated();
    err_with(
        limits,
        b"*11\r\n",
        &[],
        DecodeError::UnauthenticatedMultibulkLength,
        true,
    );
    err_with(
        limits,
        b"*1\r\n$16385\r\n",
        &[],
        DecodeError::UnauthenticatedBulkLength,
        true,
    );
}

#[test]
fn expected_dollar() {
    err(b"*1\r\nGET\r\n", DecodeError::ExpectedBulk(b'G'));
    err(
        b"*2\r\n$3\r\nGET\r\n:1\r\n",
        DecodeError::ExpectedBulk(b':'),
    );
    // Like Redis, the header line must be complete before its type is judged.
    assert_eq!(feed(Limits::default(), [&b"*1\r\nGET"[..]]).error, None);
}

#[test]
fn too_big_lines() {
    let mut mbulk = b"*".to_vec();
    mbulk.extend(std::iter::repeat_n(b'1', 70_000));
    err_with(
        Limits::default(),
        &mbulk,
        &[],
        DecodeError::TooBigMultibulkCount,
        false,
    );

    let mut bulk = b"PING\r\n*1\r\n$".to_vec();
    bulk.extend(std::iter::repeat_n(b'1', 70_000));
    err_with(
        Limits::default(),
        &bulk,
        &[&["PING"]],
        DecodeError::TooBigBulkCount,
        false,
    );

    let inline = vec![b'P'; 70_000];
    err_with(
        Limits::default(),
        &inline,
        &[],
        DecodeError::TooBigInline,
        false,
    );

    // 64 KB exactly is still fine: more may come.
    assert_eq!(feed(Limits::default(), [&inline[..64 * 1024]]).error, None);
}

#[test]
fn long_inline_lines_are_fine_when_their_newline_is_there() {
    // Redis only measures a line while its newline is missing.
    let mut line = b"ECHO ".to_vec();
    line.extend(std::iter::repeat_n(b'a', 70_000));
    line.extend_from_slice(b"\r\n");
    let outcome = feed(Limits::default(), [&line[..]]);
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.requests[0][1].len(), 70_000);
    let outcome = feed(Limits::default(), [&line[..66_000], &line[66_000..]]);
    assert_eq!(outcome.error, Some(DecodeError::TooBigInline));
}

#[test]
fn unbalanced_quotes() {
    for input in [
        &b"\"a\r\n"[..],
        b"'a'b\r\n",
        b"SET k \"v\"x\r\n",
        b"ECHO \"a\\\"\r\n",
    ] {
        err(input, DecodeError::UnbalancedQuotes);
    }
    err_with(
        Limits::default(),
        b"PING\r\n'x\r\n",
        &[&["PING"]],
        DecodeError::UnbalancedQuotes,
        true,
    );
}

#[test]
fn bytes_consumed_counts_each_request() {
    let mut decoder = RequestDecoder::default();
    let mut buf = BytesMut::from(&b"*1\r\n$4\r\nPING\r\n\r\nGET k\r\n*2\r\n$3\r\nGET"[..]);
    assert!(decoder.decode(&mut buf).unwrap().is_some());
    assert_eq!(decoder.bytes_consumed(), 14);
    assert!(decoder.decode(&mut buf).unwrap().is_some());
    assert_eq!(decoder.bytes_consumed(), 14 + 2 + 7);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(
        decoder.bytes_consumed(),
        23,
        "a partial request is not counted"
    );
    assert_eq!(decoder.pending_bytes(), 8, "but its start is held");
    buf.extend_from_slice(b"\r\n$1\r\nk\r\n");
    assert!(decoder.decode(&mut buf).unwrap().is_some());
    assert_eq!(decoder.bytes_consumed(), 23 + 20);
    assert_eq!(decoder.pending_bytes(), 0);
}

#[test]
fn limits_can_change_between_requests() {
    let mut decoder = RequestDecoder::new(unauthenticated());
    let mut buf = BytesMut::from(&b"*11\r\n"[..]);
    assert_eq!(
        decoder.decode(&mut buf),
        Err(DecodeError::UnauthenticatedMultibulkLength)
    );
    let mut decoder = RequestDecoder::new(unauthenticated());
    decoder.limits_mut().authenticated = true;
    assert_eq!(decoder.decode(&mut buf), Ok(None));
}

#[test]
fn a_million_arguments_in_small_reads_are_parsed_once() {
    // Re-parsing the arguments already received on every read would take
    // minutes here; keeping them makes the whole request O(size).
    const ARGS: usize = 1_000_000;
    let mut input = format!("*{ARGS}\r\n").into_bytes();
    for i in 0..ARGS {
        let arg = (i % 1000).to_string();
        input.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
    }
    let outcome = feed(Limits::default(), input.chunks(1000));
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.requests.len(), 1);
    assert_eq!(outcome.requests[0].len(), ARGS);
    assert_eq!(outcome.requests[0][ARGS - 1], "999");
    assert_eq!(outcome.consumed, input.len() as u64);
}

#[test]
fn a_big_bulk_in_small_reads_grows_the_buffer_geometrically() {
    const LEN: usize = 64 * 1024 * 1024;
    let mut decoder = RequestDecoder::default();
    let mut buf = BytesMut::from(&format!("*2\r\n$3\r\nSET\r\n${LEN}\r\n")[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    let chunk = vec![b'v'; 16 * 1024];
    let (mut sent, mut reallocations) = (0, 0);
    while sent < LEN {
        let n = chunk.len().min(LEN - sent);
        let before = buf.as_ptr();
        buf.extend_from_slice(&chunk[..n]);
        reallocations += usize::from(buf.as_ptr() != before);
        sent += n;
        assert_eq!(decoder.decode(&mut buf), Ok(None));
    }
    assert!(reallocations < 40, "{reallocations} reallocations");
    buf.extend_from_slice(b"\r\n");
    let args = decoder.decode(&mut buf).unwrap().unwrap();
    assert_eq!(args[1].len(), LEN);
    assert!(buf.is_empty());
}

#[test]
fn a_huge_declared_bulk_is_not_allocated_up_front() {
    let mut decoder = RequestDecoder::default();
    let mut buf = BytesMut::from(&b"*1\r\n$500000000\r\nabc"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert!(buf.capacity() < 1024 * 1024, "capacity {}", buf.capacity());
    buf.extend_from_slice(&[b'x'; 100_000]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert!(buf.capacity() < 1024 * 1024, "capacity {}", buf.capacity());
}

#[test]
fn an_inline_line_holding_a_nul_never_ends_like_redis() {
    // Redis looks for the newline with strchr, which stops at the NUL.
    for input in [
        &b"PING\0\r\n"[..],
        b"ECHO a\0b c\r\nPING\r\n",
        b"\0PING\r\n",
    ] {
        let outcome = feed(Limits::default(), [input]);
        assert_eq!(outcome.error, None, "{input:?}");
        assert!(
            outcome.requests.is_empty(),
            "{input:?}: {:?}",
            outcome.requests
        );
    }
    // It waits until the buffer is too big for an inline request.
    let mut stuck = b"SET k v\0".to_vec();
    stuck.extend(std::iter::repeat_n(b'x', 70_000));
    stuck.extend_from_slice(b"\r\n");
    assert_eq!(
        feed(Limits::default(), [&stuck[..]]).error,
        Some(DecodeError::TooBigInline)
    );
    // Multibulk arguments are binary safe as ever.
    let outcome = feed(
        Limits::default(),
        [&b"*2\r\n$4\r\nECHO\r\n$3\r\na\0b\r\n"[..]],
    );
    assert_eq!(outcome.requests[0][1].as_ref(), b"a\0b");
}
