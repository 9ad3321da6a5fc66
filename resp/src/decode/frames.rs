//! nom streaming parsers for every RESP2/RESP3 frame type.
//!
//! The parsers are generic over a [`Sink`] so one grammar serves two passes:
//! [`Check`] validates and measures a frame without allocating, [`Build`]
//! turns an already validated frame into a [`Frame`] whose payloads are
//! slices of the source [`Bytes`].

use bytes::Bytes;
use nom::bytes::streaming::{take, take_until};
use nom::error::{ErrorKind, ParseError};
use nom::number::streaming::u8 as type_byte;
use nom::sequence::pair;
use nom::{IResult, Needed, Parser};

use super::number::{could_become_int, parse_i64, MAX_INT_LEN};
use super::{DecodeError, MAX_DEPTH};
use crate::Frame;

/// nom's error type for our parsers: always a [`DecodeError`], raised as
/// `nom::Err::Failure` since RESP never needs backtracking.
#[derive(Debug)]
pub(super) struct Fail(pub DecodeError);

impl<I> ParseError<I> for Fail {
    fn from_error_kind(_: I, _: ErrorKind) -> Self {
        Fail(DecodeError::Invalid)
    }

    fn append(_: I, _: ErrorKind, other: Self) -> Self {
        other
    }
}

type PResult<'a, T> = IResult<&'a [u8], T, Fail>;

fn fail<'a, T>(e: DecodeError) -> PResult<'a, T> {
    Err(nom::Err::Failure(Fail(e)))
}

fn incomplete<'a, T>(needed: usize) -> PResult<'a, T> {
    Err(nom::Err::Incomplete(Needed::new(needed)))
}

/// One parsed frame with payloads borrowed from the input and children
/// already made by the sink.
pub(super) enum Parsed<'a, F> {
    Simple(&'a [u8]),
    Error(&'a [u8]),
    Integer(i64),
    Bulk(&'a [u8]),
    Null,
    NullArray,
    Array(Vec<F>),
    Map(Vec<(F, F)>),
    Set(Vec<F>),
    Double(f64),
    Boolean(bool),
    BigNumber(&'a [u8]),
    Verbatim([u8; 3], &'a [u8]),
    Push(Vec<F>),
    Attribute(Vec<(F, F)>, F),
}

/// What the parsers produce for each frame.
pub(super) trait Sink {
    type Frame;
    fn make(&self, parsed: Parsed<'_, Self::Frame>) -> Self::Frame;
}

/// Produces nothing: `Vec<()>` never allocates, so checking is cheap.
pub(super) struct Check;

impl Sink for Check {
    type Frame = ();

    #[inline]
    fn make(&self, _: Parsed<'_, ()>) {}
}

/// Produces frames sharing the memory of the `Bytes` being parsed.
pub(super) struct Build<'b>(pub &'b Bytes);

impl Sink for Build<'_> {
    type Frame = Frame;

    #[inline]
    fn make(&self, parsed: Parsed<'_, Frame>) -> Frame {
        let bytes = |s: &[u8]| self.0.slice_ref(s);
        match parsed {
            Parsed::Simple(s) => Frame::Simple(bytes(s)),
            Parsed::Error(s) => Frame::Error(bytes(s)),
            Parsed::Integer(n) => Frame::Integer(n),
            Parsed::Bulk(s) => Frame::Bulk(bytes(s)),
            Parsed::Null => Frame::Null,
            Parsed::NullArray => Frame::NullArray,
            Parsed::Array(items) => Frame::Array(items),
            Parsed::Map(pairs) => Frame::Map(pairs),
            Parsed::Set(items) => Frame::Set(items),
            Parsed::Double(d) => Frame::Double(d),
            Parsed::Boolean(b) => Frame::Boolean(b),
            Parsed::BigNumber(s) => Frame::BigNumber(bytes(s)),
            Parsed::Verbatim(format, text) => Frame::Verbatim {
                format,
                text: bytes(text),
            },
            Parsed::Push(items) => Frame::Push(items),
            Parsed::Attribute(attrs, frame) => Frame::Attribute {
                attrs,
                frame: Box::new(frame),
            },
        }
    }
}

/// Parses one frame nested `depth` aggregates deep.
#[inline]
pub(super) fn frame<'a, S: Sink>(sink: &S, input: &'a [u8], depth: usize) -> PResult<'a, S::Frame> {
    let (input, ty) = type_byte(input)?;
    if matches!(ty, b'*' | b'%' | b'~' | b'>' | b'|') && depth >= MAX_DEPTH {
        return fail(DecodeError::TooDeep);
    }
    let child = |i: &'a [u8]| frame(sink, i, depth + 1);
    let entry = |i: &'a [u8]| pair(child, child).parse(i);
    // Direct calls rather than nom's `map` adapters keep the (large) frame
    // values from being moved through extra layers on this hot path.
    let (input, parsed) = match ty {
        b'+' => {
            let (input, text) = line(input)?;
            (input, Parsed::Simple(text))
        }
        b'-' => {
            let (input, text) = line(input)?;
            (input, Parsed::Error(text))
        }
        b':' => {
            let (input, n) = integer(input, DecodeError::InvalidInteger)?;
            (input, Parsed::Integer(n))
        }
        b'$' => match integer(input, DecodeError::InvalidBulkLength)? {
            (input, -1) => (input, Parsed::Null),
            (input, n) => {
                let (input, payload) = blob(input, n)?;
                (input, Parsed::Bulk(payload))
            }
        },
        b'!' => {
            let (input, n) = integer(input, DecodeError::InvalidBulkLength)?;
            let (input, payload) = blob(input, n)?;
            (input, Parsed::Error(payload))
        }
        b'=' => {
            let (input, n) = integer(input, DecodeError::InvalidBulkLength)?;
            match blob(input, n)? {
                (input, [a, b, c, b':', text @ ..]) => {
                    (input, Parsed::Verbatim([*a, *b, *c], text))
                }
                _ => return fail(DecodeError::Invalid),
            }
        }
        b'*' => match integer(input, DecodeError::InvalidMultibulkLength)? {
            (input, -1) => (input, Parsed::NullArray),
            (input, n) => {
                let n = usize::try_from(n).map_err(|_| bad_count())?;
                let (input, items) = elements(input, n, child)?;
                (input, Parsed::Array(items))
            }
        },
        b'~' | b'>' => {
            let (input, n) = length(input)?;
            let (input, items) = elements(input, n, child)?;
            let parsed = if ty == b'~' {
                Parsed::Set(items)
            } else {
                Parsed::Push(items)
            };
            (input, parsed)
        }
        b'%' => {
            let (input, n) = length(input)?;
            let (input, entries) = elements(input, n, entry)?;
            (input, Parsed::Map(entries))
        }
        b'|' => {
            let (input, n) = length(input)?;
            let (input, attrs) = elements(input, n, entry)?;
            let (input, annotated) = child(input)?;
            (input, Parsed::Attribute(attrs, annotated))
        }
        b'_' => match line(input)? {
            (input, []) => (input, Parsed::Null),
            _ => return fail(DecodeError::Invalid),
        },
        b',' => {
            let (input, text) = line(input)?;
            match std::str::from_utf8(text).ok().and_then(|s| s.parse().ok()) {
                Some(d) => (input, Parsed::Double(d)),
                None => return fail(DecodeError::InvalidDouble),
            }
        }
        b'#' => match line(input)? {
            (input, b"t") => (input, Parsed::Boolean(true)),
            (input, b"f") => (input, Parsed::Boolean(false)),
            _ => return fail(DecodeError::InvalidBoolean),
        },
        b'(' => {
            let (input, digits) = line(input)?;
            let magnitude = digits.strip_prefix(b"-").unwrap_or(digits);
            if magnitude.is_empty() || !magnitude.iter().all(u8::is_ascii_digit) {
                return fail(DecodeError::InvalidInteger);
            }
            (input, Parsed::BigNumber(digits))
        }
        other => return fail(DecodeError::InvalidType(other)),
    };
    Ok((input, sink.make(parsed)))
}

/// `\r\n`. A lone `\r` at the end of the input is incomplete, not an error.
#[inline]
fn crlf(input: &[u8]) -> PResult<'_, ()> {
    match input {
        [b'\r', b'\n', rest @ ..] => Ok((rest, ())),
        [] | [b'\r'] => incomplete(2 - input.len()),
        _ => fail(DecodeError::MissingCrlf),
    }
}

/// The text of a line, which ends at its first `\r` (that must be followed
/// by `\n`).
#[inline]
fn line(input: &[u8]) -> PResult<'_, &[u8]> {
    let (input, text) = take_until("\r")(input)?;
    let (input, ()) = crlf(input)?;
    Ok((input, text))
}

/// An integer line; `err` if it is not one. A partial line is rejected as
/// soon as it can no longer become an integer.
#[inline]
fn integer(input: &[u8], err: DecodeError) -> PResult<'_, i64> {
    // A valid line has at most MAX_INT_LEN bytes before its `\r`.
    let window = &input[..input.len().min(MAX_INT_LEN + 1)];
    // Numbers are short: a plain scan beats memchr's setup here.
    match window.iter().position(|&b| b == b'\r') {
        Some(end) => match parse_i64(&input[..end]) {
            Some(n) => crlf(&input[end..]).map(|(rest, ())| (rest, n)),
            None => fail(err),
        },
        None if window.len() > MAX_INT_LEN || !could_become_int(window) => fail(err),
        None => incomplete(1),
    }
}

/// `n` elements parsed by `element`. Like nom's `count`, but without its
/// per-element bookkeeping; the first allocation is bounded by what the
/// input can hold (every element takes at least three bytes), not by the
/// count a peer announced.
#[inline]
fn elements<'a, O>(
    mut input: &'a [u8],
    n: usize,
    mut element: impl FnMut(&'a [u8]) -> PResult<'a, O>,
) -> PResult<'a, Vec<O>> {
    let mut items = Vec::with_capacity(n.min(input.len() / 3));
    for _ in 0..n {
        let (rest, item) = element(input)?;
        items.push(item);
        input = rest;
    }
    Ok((input, items))
}

/// The element count of an aggregate other than `*` (which alone has a
/// null form, `*-1`).
#[inline]
fn length(input: &[u8]) -> PResult<'_, usize> {
    let (input, n) = integer(input, DecodeError::InvalidMultibulkLength)?;
    Ok((input, usize::try_from(n).map_err(|_| bad_count())?))
}

fn bad_count() -> nom::Err<Fail> {
    nom::Err::Failure(Fail(DecodeError::InvalidMultibulkLength))
}

/// `n` payload bytes followed by `\r\n`.
#[inline]
fn blob(input: &[u8], n: i64) -> PResult<'_, &[u8]> {
    let Ok(n) = usize::try_from(n) else {
        return fail(DecodeError::InvalidBulkLength);
    };
    let (input, payload) = take(n)(input)?;
    let (input, ()) = crlf(input)?;
    Ok((input, payload))
}
