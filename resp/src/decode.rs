//! Decoding RESP from a byte buffer. (Stub: API fixed, implementation pending.)

use bytes::{Bytes, BytesMut};

use crate::Frame;

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
            max_depth: 128,
            authenticated: true,
        }
    }
}

/// Malformed input. `Display` gives Redis's reply text, e.g.
/// `Protocol error: invalid bulk length`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    #[error("Protocol error: invalid bulk length")]
    InvalidBulkLength,
    #[error("Protocol error: unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    #[error("Protocol error: unauthenticated bulk length")]
    UnauthenticatedBulkLength,
    #[error("Protocol error: expected '$', got '{}'", char::from(*.0))]
    ExpectedBulk(u8),
    #[error("Protocol error: too big mbulk count string")]
    TooBigMultibulkCount,
    #[error("Protocol error: too big bulk count string")]
    TooBigBulkCount,
    #[error("Protocol error: too big inline request")]
    TooBigInline,
    #[error("Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
    #[error("Protocol error: invalid frame type byte '{}'", char::from(*.0))]
    InvalidType(u8),
    #[error("Protocol error: invalid frame")]
    Invalid,
    #[error("Protocol error: frames nested too deeply")]
    TooDeep,
}

/// Decodes one complete frame of any RESP2/RESP3 type from the front of
/// `buf`, consuming exactly its bytes. `Ok(None)` means more input is needed
/// (nothing is consumed).
pub fn decode(buf: &mut BytesMut) -> Result<Option<Frame>, DecodeError> {
    let _ = buf;
    todo!()
}

/// Incremental decoder of client requests: multibulk arrays of bulk strings
/// (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) or inline commands (`GET k\r\n`).
#[derive(Debug, Default)]
pub struct RequestDecoder {
    limits: Limits,
    consumed: u64,
}

impl RequestDecoder {
    pub fn new(limits: Limits) -> Self {
        RequestDecoder { limits, consumed: 0 }
    }

    pub fn limits_mut(&mut self) -> &mut Limits {
        &mut self.limits
    }

    /// Returns the next request's arguments, `Ok(None)` when more input is
    /// needed. Empty requests (blank inline lines, `*0`, `*-1`) are skipped.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, DecodeError> {
        let _ = buf;
        todo!()
    }

    /// Total bytes of all requests returned (or skipped) so far; a replica
    /// uses it to count the replication offset per applied command.
    pub fn bytes_consumed(&self) -> u64 {
        self.consumed
    }
}
