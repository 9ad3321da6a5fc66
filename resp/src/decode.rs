//! Decoding RESP from a byte buffer.
//!
//! Two decoders share the integer rules of Redis's `string2ll`:
//! * [`decode`] reads any RESP2/RESP3 frame (a client reading replies, a
//!   replica reading its master's handshake answers). It is stateless: an
//!   incomplete frame consumes nothing.
//! * [`RequestDecoder`] reads client requests exactly like Redis 7.0's
//!   `processMultibulkBuffer` / `processInlineBuffer`, keeping the arguments
//!   of a partly received request so big requests are parsed once.

mod frames;
mod inline;
mod number;
mod request;

use bytes::BytesMut;

use crate::Frame;

pub use inline::split_args;
pub use number::parse_i64;
pub use request::RequestDecoder;

/// Nesting limit of [`decode`]: aggregates nested deeper are rejected, which
/// also bounds the parser's recursion.
const MAX_DEPTH: usize = 128;

/// Limits a server enforces on client requests (Redis's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `proto-max-bulk-len`: largest bulk string accepted (512 MB).
    pub max_bulk_len: usize,
    /// Largest multibulk count accepted (Redis: `INT_MAX`).
    pub max_multibulk_len: usize,
    /// Largest inline request or header line without a newline (64 KB).
    pub max_inline_len: usize,
    /// Deepest nesting of aggregate frames accepted by [`decode`].
    pub max_depth: usize,
    /// Before a client authenticates Redis accepts at most 10 arguments and
    /// bulk strings of at most 16384 bytes.
    pub authenticated: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_multibulk_len: i32::MAX as usize,
            max_inline_len: 64 * 1024,
            max_depth: MAX_DEPTH,
            authenticated: true,
        }
    }
}

/// Malformed input. `Display` gives Redis's reply text, e.g.
/// `Protocol error: invalid bulk length`.
///
/// [`decode`] reuses the request errors where they fit (`InvalidBulkLength`
/// for `$`, `=` and `!` headers, `InvalidMultibulkLength` for aggregate
/// headers) and has its own variants for what only replies contain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A `*` header that is not a valid count.
    #[error("Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    /// A `$` header that is not a valid length, or one over the limit.
    #[error("Protocol error: invalid bulk length")]
    InvalidBulkLength,
    /// More than 10 arguments before the client authenticated.
    #[error("Protocol error: unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    /// A bulk over 16384 bytes before the client authenticated.
    #[error("Protocol error: unauthenticated bulk length")]
    UnauthenticatedBulkLength,
    /// A multibulk argument that does not start with `$`.
    #[error("Protocol error: expected '$', got '{}'", char::from(*.0))]
    ExpectedBulk(u8),
    /// A `*` header line over 64 KB without its end.
    #[error("Protocol error: too big mbulk count string")]
    TooBigMultibulkCount,
    /// A `$` header line over 64 KB without its end.
    #[error("Protocol error: too big bulk count string")]
    TooBigBulkCount,
    /// An inline request over 64 KB without its newline.
    #[error("Protocol error: too big inline request")]
    TooBigInline,
    /// An inline request with unbalanced quotes.
    #[error("Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
    /// A frame starting with an unknown type byte.
    #[error("Protocol error: invalid frame type byte '{}'", char::from(*.0))]
    InvalidType(u8),
    /// A frame that is malformed in another way.
    #[error("Protocol error: invalid frame")]
    Invalid,
    /// Aggregates nested deeper than the limit.
    #[error("Protocol error: frames nested too deeply")]
    TooDeep,
    /// A `:` or `(` line that is not a decimal integer.
    #[error("Protocol error: invalid integer")]
    InvalidInteger,
    /// A `,` line that is not a floating point number.
    #[error("Protocol error: invalid double")]
    InvalidDouble,
    /// A `#` line other than `t` or `f`.
    #[error("Protocol error: invalid boolean")]
    InvalidBoolean,
    /// A line or payload not terminated by `\r\n`.
    #[error("Protocol error: expected CRLF")]
    MissingCrlf,
}

/// Decodes one complete frame of any RESP2/RESP3 type from the front of
/// `buf`, consuming exactly its bytes. `Ok(None)` means more input is needed
/// (nothing is consumed).
///
/// String payloads of the frame share `buf`'s memory (no copy). A RESP3 blob
/// error (`!`) decodes as [`Frame::Error`].
pub fn decode(buf: &mut BytesMut) -> Result<Option<Frame>, DecodeError> {
    // A cheap validating pass finds the frame's end without allocating, so an
    // incomplete frame costs nothing to retry and the building pass can take
    // the bytes out of `buf` and slice them.
    let len = match frames::frame(&frames::Check, buf, 0) {
        Ok((rest, ())) => buf.len() - rest.len(),
        Err(nom::Err::Incomplete(_)) => return Ok(None),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => return Err(e.0),
    };
    let src = buf.split_to(len).freeze();
    match frames::frame(&frames::Build(&src), &src, 0) {
        Ok((_, frame)) => Ok(Some(frame)),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e.0),
        Err(nom::Err::Incomplete(_)) => Err(DecodeError::Invalid),
    }
}
