//! Client requests, parsed the way Redis 7.0's `processMultibulkBuffer` and
//! `processInlineBuffer` (`networking.c`) do.

use std::mem;

use bytes::{Buf, Bytes, BytesMut};
use memchr::memchr;

use super::inline::split_args;
use super::number::parse_i64;
use super::{DecodeError, Limits};

/// Redis refuses more arguments than this before `AUTH`.
const UNAUTHENTICATED_MAX_ARGS: i64 = 10;
/// Redis refuses bulk strings longer than this before `AUTH`.
const UNAUTHENTICATED_MAX_BULK: i64 = 16384;
/// Smallest space reserved in the buffer while a bulk string is arriving.
const MIN_RESERVE: usize = 16 * 1024;

/// Incremental decoder of client requests: multibulk arrays of bulk strings
/// (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) or inline commands (`GET k\r\n`).
///
/// The decoder takes the arguments of a request out of the buffer as they
/// arrive and keeps them until the request is complete, so a request sent in
/// many reads is parsed once: keep calling [`RequestDecoder::decode`] with the
/// same connection buffer, appending to it between calls. After an error the
/// stream is out of sync and the connection should be closed, as Redis does.
///
/// Arguments share the read buffer's memory. Whoever keeps one for long (a
/// stored value) should copy it, or it pins the whole buffer.
#[derive(Debug, Default)]
pub struct RequestDecoder {
    limits: Limits,
    consumed: u64,
    /// Bytes at the front of the buffer already searched for a line end in
    /// vain, so a long line arriving slowly is scanned once.
    scanned: usize,
    partial: Partial,
    /// An emptied argument vector handed back by the caller, reused for
    /// the next request ([`RequestDecoder::decode_into`]).
    spare: Vec<Bytes>,
}

/// A multibulk request whose arguments are still arriving.
#[derive(Debug, Default)]
struct Partial {
    args: Vec<Bytes>,
    /// Arguments still expected; 0 when no multibulk request is under way.
    remaining: usize,
    /// Length of the bulk string whose header was read but not its payload.
    bulk_len: Option<usize>,
    /// Bytes of this request already taken out of the buffer.
    taken: u64,
}

/// Outcome of reading the start of a request.
enum Start {
    NeedMore,
    /// A request without arguments (`\r\n`, `*0`, `*-1`): skipped.
    Empty,
    Inline(Vec<Bytes>),
    /// A multibulk header with a positive count: its bulks follow.
    Multibulk,
}

impl RequestDecoder {
    /// A decoder enforcing `limits`.
    pub fn new(limits: Limits) -> Self {
        RequestDecoder {
            limits,
            ..RequestDecoder::default()
        }
    }

    /// The limits, to change them between requests (e.g. once the client
    /// authenticated).
    pub fn limits_mut(&mut self) -> &mut Limits {
        &mut self.limits
    }

    /// Returns the next request's arguments, `Ok(None)` when more input is
    /// needed. Empty requests (blank inline lines, `*0`, `*-1`) are skipped.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, DecodeError> {
        while self.partial.remaining == 0 {
            let start = match buf.first() {
                None => return Ok(None),
                Some(b'*') => self.multibulk_header(buf)?,
                Some(_) => self.inline(buf)?,
            };
            match start {
                Start::NeedMore => return Ok(None),
                Start::Empty => {}
                Start::Inline(args) => return Ok(Some(args)),
                Start::Multibulk => break,
            }
        }
        self.bulks(buf)
    }

    /// Like [`RequestDecoder::decode`], reusing `out`'s allocation: `out` is
    /// cleared, and on `Ok(true)` holds the next request's arguments. A
    /// server decoding many small requests saves an allocation per request.
    pub fn decode_into(
        &mut self,
        buf: &mut BytesMut,
        out: &mut Vec<Bytes>,
    ) -> Result<bool, DecodeError> {
        out.clear();
        if self.spare.capacity() == 0 {
            self.spare = mem::take(out);
        }
        match self.decode(buf)? {
            Some(args) => {
                *out = args;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Total bytes of all requests returned (or skipped) so far; a replica
    /// uses it to count the replication offset per applied command.
    pub fn bytes_consumed(&self) -> u64 {
        self.consumed
    }

    /// Bytes of the unfinished request already taken out of the buffer
    /// (headers and arguments so far); added to the buffer's length, what
    /// the client's query buffer holds.
    pub fn pending_bytes(&self) -> u64 {
        self.partial.taken
    }

    fn inline(&mut self, buf: &mut BytesMut) -> Result<Start, DecodeError> {
        let Some(newline) = self.find_line_end(buf, b'\n', DecodeError::TooBigInline)? else {
            return Ok(Start::NeedMore);
        };
        // Redis finds the line end with `strchr`, which stops at a NUL: a
        // line holding one never ends, and the request waits until the
        // buffer is too big for an inline request.
        if memchr(0, &buf[..newline]).is_some() {
            if buf.len() > self.limits.max_inline_len {
                return Err(DecodeError::TooBigInline);
            }
            return Ok(Start::NeedMore);
        }
        let line = self.take(buf, newline + 1).freeze();
        self.finish_request();
        let text_end = if line[..newline].ends_with(b"\r") {
            newline - 1
        } else {
            newline
        };
        let args = split_args(&line.slice(..text_end)).ok_or(DecodeError::UnbalancedQuotes)?;
        Ok(if args.is_empty() {
            Start::Empty
        } else {
            Start::Inline(args)
        })
    }

    fn multibulk_header(&mut self, buf: &mut BytesMut) -> Result<Start, DecodeError> {
        let Some(cr) = self.find_header_end(buf, DecodeError::TooBigMultibulkCount)? else {
            return Ok(Start::NeedMore);
        };
        let max = i64::try_from(self.limits.max_multibulk_len).unwrap_or(i64::MAX);
        let n = parse_i64(&buf[1..cr])
            .filter(|&n| n <= max)
            .ok_or(DecodeError::InvalidMultibulkLength)?;
        if n > UNAUTHENTICATED_MAX_ARGS && !self.limits.authenticated {
            return Err(DecodeError::UnauthenticatedMultibulkLength);
        }
        // Like Redis, the byte after `\r` is taken to be `\n` unchecked.
        self.skip(buf, cr + 2);
        if n <= 0 {
            self.finish_request();
            return Ok(Start::Empty);
        }
        let n = usize::try_from(n).map_err(|_| DecodeError::InvalidMultibulkLength)?;
        self.partial.remaining = n;
        // Redis also caps the first allocation: the count is only a promise.
        let mut args = mem::take(&mut self.spare);
        args.clear();
        args.reserve(n.min(1024));
        self.partial.args = args;
        Ok(Start::Multibulk)
    }

    /// Reads the bulk strings of the multibulk request under way.
    fn bulks(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, DecodeError> {
        while self.partial.remaining > 0 {
            let len = match self.partial.bulk_len {
                Some(len) => len,
                None => match self.bulk_header(buf)? {
                    Some(len) => len,
                    None => return Ok(None),
                },
            };
            if buf.len() < len + 2 {
                reserve_for_bulk(buf, len + 2);
                return Ok(None);
            }
            let arg = self.take(buf, len).freeze();
            // Like Redis, the two bytes after the payload are taken to be
            // `\r\n` unchecked.
            self.skip(buf, 2);
            self.partial.args.push(arg);
            self.partial.remaining -= 1;
            self.partial.bulk_len = None;
        }
        self.finish_request();
        Ok(Some(mem::take(&mut self.partial.args)))
    }

    /// Reads a `$<len>\r\n` header, returning the length.
    fn bulk_header(&mut self, buf: &mut BytesMut) -> Result<Option<usize>, DecodeError> {
        let Some(cr) = self.find_header_end(buf, DecodeError::TooBigBulkCount)? else {
            return Ok(None);
        };
        if buf[0] != b'$' {
            return Err(DecodeError::ExpectedBulk(buf[0]));
        }
        let max = i64::try_from(self.limits.max_bulk_len).unwrap_or(i64::MAX);
        let n = parse_i64(&buf[1..cr])
            .filter(|&n| (0..=max).contains(&n))
            .ok_or(DecodeError::InvalidBulkLength)?;
        if n > UNAUTHENTICATED_MAX_BULK && !self.limits.authenticated {
            return Err(DecodeError::UnauthenticatedBulkLength);
        }
        let len = usize::try_from(n).map_err(|_| DecodeError::InvalidBulkLength)?;
        self.skip(buf, cr + 2);
        self.partial.bulk_len = Some(len);
        Ok(Some(len))
    }

    /// Position of the `\r` ending the header line at the front of `buf`,
    /// once the byte after it has arrived too.
    fn find_header_end(
        &mut self,
        buf: &[u8],
        too_big: DecodeError,
    ) -> Result<Option<usize>, DecodeError> {
        let cr = self.find_line_end(buf, b'\r', too_big)?;
        Ok(cr.filter(|&cr| cr + 2 <= buf.len()))
    }

    /// Position of the first `end` byte in `buf`. Without one, more than
    /// `max_inline_len` buffered bytes are `too_big`.
    fn find_line_end(
        &mut self,
        buf: &[u8],
        end: u8,
        too_big: DecodeError,
    ) -> Result<Option<usize>, DecodeError> {
        let from = self.scanned.min(buf.len());
        match find_byte(end, &buf[from..]) {
            Some(i) => {
                self.scanned = from + i;
                Ok(Some(from + i))
            }
            None if buf.len() > self.limits.max_inline_len => Err(too_big),
            None => {
                self.scanned = buf.len();
                Ok(None)
            }
        }
    }

    /// Takes the first `n` bytes of `buf` as part of the current request.
    fn take(&mut self, buf: &mut BytesMut, n: usize) -> BytesMut {
        self.scanned = 0;
        self.partial.taken += n as u64;
        buf.split_to(n)
    }

    /// Drops the first `n` bytes of `buf` as part of the current request;
    /// cheaper than [`Self::take`], which has to share the buffer.
    fn skip(&mut self, buf: &mut BytesMut, n: usize) {
        self.scanned = 0;
        self.partial.taken += n as u64;
        buf.advance(n);
    }

    fn finish_request(&mut self) {
        self.consumed += mem::take(&mut self.partial.taken);
    }
}

/// Position of `byte` in `haystack`. Header lines are a few bytes long, so
/// a plain look at the first bytes beats memchr's setup; memchr takes over
/// for long lines.
#[inline]
fn find_byte(byte: u8, haystack: &[u8]) -> Option<usize> {
    const SHORT: usize = 16;
    let head = &haystack[..haystack.len().min(SHORT)];
    match head.iter().position(|&b| b == byte) {
        Some(i) => Some(i),
        None if haystack.len() > SHORT => memchr(byte, &haystack[SHORT..]).map(|i| i + SHORT),
        None => None,
    }
}

/// Makes room for a bulk string of which `buf` holds the start, growing the
/// buffer geometrically with what has arrived rather than by the declared
/// size, which a client may send without ever sending the data.
fn reserve_for_bulk(buf: &mut BytesMut, total: usize) {
    let missing = total - buf.len();
    buf.reserve(missing.min(buf.len().max(MIN_RESERVE)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_declared_count_is_not_allocated_up_front() {
        let mut decoder = RequestDecoder::default();
        let mut buf = BytesMut::from(&b"*2147483647\r\n$1\r\na\r\n"[..]);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert!(decoder.partial.args.capacity() <= 1024);
        assert_eq!(decoder.partial.args.len(), 1);
        assert_eq!(decoder.partial.remaining, 2147483646);
    }

    #[test]
    fn a_slow_header_is_scanned_once() {
        let mut decoder = RequestDecoder::default();
        let mut buf = BytesMut::from(&b"*1\r\n$12"[..]);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(decoder.scanned, 3);
        buf.extend_from_slice(b"34");
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(decoder.scanned, 5);
        buf.extend_from_slice(b"\r");
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        buf.extend_from_slice(b"\n");
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(decoder.partial.bulk_len, Some(1234));
        assert_eq!(decoder.scanned, 0);
    }
}
