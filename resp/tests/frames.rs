//! `resp::decode` on every frame type and every error class. Each input is
//! also decoded with junk after it (only the frame's bytes may be consumed)
//! and split at every byte (the prefix needs more input, the whole decodes).

use bytes::{Bytes, BytesMut};
use resp::{decode, DecodeError, Frame};

const JUNK: &[u8] = b"+junk\r\n*9\r\n$";

fn b(s: &'static [u8]) -> Bytes {
    Bytes::from_static(s)
}

/// Decodes `input`, which holds exactly one frame, in every way.
#[track_caller]
fn ok(input: &[u8], expected: Frame) {
    let mut buf = BytesMut::from(input);
    assert_eq!(
        decode(&mut buf),
        Ok(Some(expected.clone())),
        "{}",
        input.escape_ascii()
    );
    assert!(buf.is_empty(), "left {}", buf.escape_ascii());

    let mut buf = BytesMut::from(input);
    buf.extend_from_slice(JUNK);
    assert_eq!(decode(&mut buf), Ok(Some(expected.clone())), "with junk");
    assert_eq!(&buf[..], JUNK, "only the frame's bytes are consumed");

    for cut in 0..input.len() {
        let mut buf = BytesMut::from(&input[..cut]);
        assert_eq!(decode(&mut buf), Ok(None), "prefix of {cut} bytes");
        assert_eq!(buf.len(), cut, "an incomplete frame consumes nothing");
        buf.extend_from_slice(&input[cut..]);
        assert_eq!(
            decode(&mut buf),
            Ok(Some(expected.clone())),
            "split at {cut}"
        );
        assert!(buf.is_empty());
    }
}

/// `input` is malformed: whole, with junk, and once complete after any
/// split it fails with `expected`; its prefixes need more input or already
/// fail the same way, never anything else.
#[track_caller]
fn err(input: &[u8], expected: DecodeError) {
    let mut buf = BytesMut::from(input);
    assert_eq!(
        decode(&mut buf),
        Err(expected.clone()),
        "{}",
        input.escape_ascii()
    );

    let mut buf = BytesMut::from(input);
    buf.extend_from_slice(JUNK);
    assert_eq!(decode(&mut buf), Err(expected.clone()), "with junk");

    for cut in 0..input.len() {
        let mut buf = BytesMut::from(&input[..cut]);
        match decode(&mut buf) {
            Ok(None) => assert_eq!(buf.len(), cut),
            Err(e) => assert_eq!(e, expected, "prefix of {cut} bytes"),
            Ok(Some(f)) => panic!("prefix of {cut} bytes decoded as {f:?}"),
        }
    }
}

#[test]
fn simple_types() {
    ok(b"+OK\r\n", Frame::simple("OK"));
    ok(b"+\r\n", Frame::Simple(Bytes::new()));
    ok(
        b"-ERR unknown command\r\n",
        Frame::error("ERR unknown command"),
    );
    ok(b":0\r\n", Frame::Integer(0));
    ok(b":-42\r\n", Frame::Integer(-42));
    ok(b":9223372036854775807\r\n", Frame::Integer(i64::MAX));
    ok(b":-9223372036854775808\r\n", Frame::Integer(i64::MIN));
    ok(b"_\r\n", Frame::Null);
    ok(b"#t\r\n", Frame::Boolean(true));
    ok(b"#f\r\n", Frame::Boolean(false));
    ok(
        b"(3492890328409238509324850943850943825024385\r\n",
        Frame::BigNumber(b(b"3492890328409238509324850943850943825024385")),
    );
    ok(b"(-1\r\n", Frame::BigNumber(b(b"-1")));
}

#[test]
fn doubles() {
    ok(b",1.5\r\n", Frame::Double(1.5));
    ok(b",-0.25\r\n", Frame::Double(-0.25));
    ok(b",10\r\n", Frame::Double(10.0));
    ok(
        b",1.2345678901234568e+17\r\n",
        Frame::Double(1.2345678901234568e17),
    );
    ok(b",1.5e-05\r\n", Frame::Double(1.5e-5));
    ok(b",inf\r\n", Frame::Double(f64::INFINITY));
    ok(b",-inf\r\n", Frame::Double(f64::NEG_INFINITY));
    match decode(&mut BytesMut::from(&b",nan\r\n"[..])) {
        Ok(Some(Frame::Double(d))) => assert!(d.is_nan()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn strings() {
    ok(b"$5\r\nhello\r\n", Frame::bulk("hello"));
    ok(b"$0\r\n\r\n", Frame::bulk(""));
    ok(b"$4\r\na\r\nb\r\n", Frame::bulk("a\r\nb"));
    ok(b"$-1\r\n", Frame::Null);
    ok(
        b"!21\r\nSYNTAX invalid syntax\r\n",
        Frame::error("SYNTAX invalid syntax"),
    );
    ok(
        b"=15\r\ntxt:Some string\r\n",
        Frame::Verbatim {
            format: *b"txt",
            text: b(b"Some string"),
        },
    );
    ok(
        b"=4\r\nmkd:\r\n",
        Frame::Verbatim {
            format: *b"mkd",
            text: Bytes::new(),
        },
    );
}

#[test]
fn bulk_payload_shares_the_buffer() {
    let mut buf = BytesMut::from(&b"$5\r\nhello\r\n"[..]);
    let start = buf.as_ptr() as usize;
    let Ok(Some(Frame::Bulk(data))) = decode(&mut buf) else {
        panic!("not a bulk");
    };
    assert_eq!(data.as_ptr() as usize, start + 4, "sliced, not copied");
}

#[test]
fn aggregates() {
    ok(b"*0\r\n", Frame::Array(vec![]));
    ok(b"*-1\r\n", Frame::NullArray);
    ok(
        b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n",
        Frame::Array(vec![
            Frame::bulk("SET"),
            Frame::bulk("key"),
            Frame::bulk("value"),
        ]),
    );
    ok(
        b"*2\r\n*1\r\n:1\r\n*-1\r\n",
        Frame::Array(vec![
            Frame::Array(vec![Frame::Integer(1)]),
            Frame::NullArray,
        ]),
    );
    ok(
        b"%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n#f\r\n",
        Frame::Map(vec![
            (Frame::simple("first"), Frame::Integer(1)),
            (Frame::bulk("second"), Frame::Boolean(false)),
        ]),
    );
    ok(b"%0\r\n", Frame::Map(vec![]));
    ok(
        b"~3\r\n+a\r\n:2\r\n,3.5\r\n",
        Frame::Set(vec![
            Frame::simple("a"),
            Frame::Integer(2),
            Frame::Double(3.5),
        ]),
    );
    ok(
        b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
        Frame::Push(vec![
            Frame::bulk("message"),
            Frame::bulk("ch"),
            Frame::bulk("hi"),
        ]),
    );
    ok(
        b"|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.1923\r\n*1\r\n:2039123\r\n",
        Frame::Attribute {
            attrs: vec![(
                Frame::simple("key-popularity"),
                Frame::Map(vec![(Frame::bulk("a"), Frame::Double(0.1923))]),
            )],
            frame: Box::new(Frame::Array(vec![Frame::Integer(2039123)])),
        },
    );
}

#[test]
fn pipelined_frames_decode_one_at_a_time() {
    let mut buf = BytesMut::from(&b"+OK\r\n:1\r\n$-1\r\n*1\r\n_\r\n"[..]);
    let mut frames = Vec::new();
    while let Some(f) = decode(&mut buf).unwrap() {
        frames.push(f);
    }
    assert_eq!(
        frames,
        [
            Frame::simple("OK"),
            Frame::Integer(1),
            Frame::Null,
            Frame::Array(vec![Frame::Null])
        ]
    );
    assert!(buf.is_empty());
}

#[test]
fn an_empty_buffer_needs_more() {
    assert_eq!(decode(&mut BytesMut::new()), Ok(None));
}

#[test]
fn a_huge_declared_size_only_waits() {
    let mut buf = BytesMut::from(&b"*2147483647\r\n:1\r\n"[..]);
    assert_eq!(decode(&mut buf), Ok(None));
    let mut buf = BytesMut::from(&b"$9223372036854775807\r\nabc"[..]);
    assert_eq!(decode(&mut buf), Ok(None));
}

#[test]
fn bad_type_bytes() {
    err(b"x\r\n", DecodeError::InvalidType(b'x'));
    err(b"GET k\r\n", DecodeError::InvalidType(b'G'));
    err(b"*1\r\n?\r\n", DecodeError::InvalidType(b'?'));
    err(b"\r\n", DecodeError::InvalidType(b'\r'));
}

#[test]
fn bad_lengths() {
    use DecodeError::{InvalidBulkLength as Bulk, InvalidMultibulkLength as Multi};
    err(b"$-2\r\n", Bulk);
    err(b"$abc\r\n", Bulk);
    err(b"$01\r\n", Bulk);
    err(b"$+1\r\n", Bulk);
    err(b"$\r\n", Bulk);
    err(b"$99999999999999999999\r\n", Bulk);
    err(b"$123456789012345678901", Bulk);
    err(b"!-1\r\n", Bulk);
    err(b"=-1\r\n", Bulk);
    err(b"*-2\r\n", Multi);
    err(b"*x\r\n", Multi);
    err(b"%-1\r\n", Multi);
    err(b"~-1\r\n", Multi);
    err(b">-1\r\n", Multi);
    err(b"|-1\r\n", Multi);
    err(b"*1 \r\n", Multi);
}

#[test]
fn missing_crlf() {
    use DecodeError::MissingCrlf;
    err(b"+OK\rX", MissingCrlf);
    err(b":1\r:", MissingCrlf);
    err(b"$3\r\nabcde\r\n", MissingCrlf);
    err(b"$3\r\nabc\n\r", MissingCrlf);
    err(b"*1\r\n$1\r\nab", MissingCrlf);
}

#[test]
fn bad_scalars() {
    err(b":abc\r\n", DecodeError::InvalidInteger);
    err(b":1.5\r\n", DecodeError::InvalidInteger);
    err(b":\r\n", DecodeError::InvalidInteger);
    err(b":9223372036854775808\r\n", DecodeError::InvalidInteger);
    err(b"(\r\n", DecodeError::InvalidInteger);
    err(b"(12a\r\n", DecodeError::InvalidInteger);
    err(b",\r\n", DecodeError::InvalidDouble);
    err(b",1.5.5\r\n", DecodeError::InvalidDouble);
    err(b",abc\r\n", DecodeError::InvalidDouble);
    err(b", 1\r\n", DecodeError::InvalidDouble);
    err(b"#x\r\n", DecodeError::InvalidBoolean);
    err(b"#tt\r\n", DecodeError::InvalidBoolean);
    err(b"#\r\n", DecodeError::InvalidBoolean);
    err(b"_x\r\n", DecodeError::Invalid);
    err(b"=3\r\ntxt\r\n", DecodeError::Invalid);
    err(b"=5\r\ntxt;a\r\n", DecodeError::Invalid);
}

#[test]
fn errors_inside_aggregates() {
    err(b"*2\r\n:1\r\n:x\r\n", DecodeError::InvalidInteger);
    err(b"%1\r\n+k\r\n#?\r\n", DecodeError::InvalidBoolean);
    err(b"|1\r\n+k\r\n+v\r\n$-5\r\n", DecodeError::InvalidBulkLength);
}

#[test]
fn nesting_limit() {
    let nested = |depth: usize, open: &[u8]| {
        let mut input = open.repeat(depth);
        input.extend_from_slice(b":1\r\n");
        input
    };
    let deepest = {
        let mut f = Frame::Integer(1);
        for _ in 0..128 {
            f = Frame::Array(vec![f]);
        }
        f
    };
    ok(&nested(128, b"*1\r\n"), deepest);
    for open in [
        &b"*1\r\n"[..],
        b"~1\r\n",
        b">1\r\n",
        b"%1\r\n:0\r\n",
        b"|0\r\n",
    ] {
        let mut buf = BytesMut::from(&nested(128, open)[..]);
        assert!(
            matches!(decode(&mut buf), Ok(Some(_))),
            "{}",
            open.escape_ascii()
        );
        err(&nested(129, open), DecodeError::TooDeep);
    }
    // Far deeper input fails without exhausting the stack.
    let mut buf = BytesMut::from(&nested(1_000_000, b"*1\r\n")[..]);
    assert_eq!(decode(&mut buf), Err(DecodeError::TooDeep));
}

#[test]
fn error_messages_are_redis_texts() {
    assert_eq!(
        DecodeError::InvalidBulkLength.to_string(),
        "Protocol error: invalid bulk length"
    );
    assert_eq!(
        DecodeError::ExpectedBulk(b'G').to_string(),
        "Protocol error: expected '$', got 'G'"
    );
    assert_eq!(
        DecodeError::TooBigInline.to_string(),
        "Protocol error: too big inline request"
    );
}
