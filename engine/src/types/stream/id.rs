//! Stream entry IDs: `<ms>-<seq>`, two unsigned 64-bit halves ordered as
//! one 128-bit number (the key layout of Redis's radix tree).

use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The next ID, `None` after the last possible one.
    pub fn incr(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (u64::MAX, u64::MAX) => None,
            (ms, u64::MAX) => Some(StreamId::new(ms + 1, 0)),
            (ms, seq) => Some(StreamId::new(ms, seq + 1)),
        }
    }

    /// The previous ID, `None` before 0-0.
    pub fn decr(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (0, 0) => None,
            (ms, 0) => Some(StreamId::new(ms - 1, u64::MAX)),
            (ms, seq) => Some(StreamId::new(ms, seq - 1)),
        }
    }

    /// Big-endian 128-bit form: Redis's radix tree key and RDB encoding.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut out = [0; 16];
        out[..8].copy_from_slice(&self.ms.to_be_bytes());
        out[8..].copy_from_slice(&self.seq.to_be_bytes());
        out
    }

    pub fn from_be_bytes(b: &[u8; 16]) -> StreamId {
        let ms = u64::from_be_bytes(b[..8].try_into().expect("8 bytes"));
        let seq = u64::from_be_bytes(b[8..].try_into().expect("8 bytes"));
        StreamId::new(ms, seq)
    }

    /// Parses `<ms>[-<seq>]` like Redis's `streamGenericParseIDOrReply`
    /// without the special forms: a missing sequence is `missing_seq`.
    /// Returns `(id, seq_given)`; with `allow_auto_seq`, `<ms>-*` is
    /// accepted as "sequence to be generated".
    pub fn parse(arg: &[u8], missing_seq: u64, allow_auto_seq: bool) -> Option<(StreamId, bool)> {
        if arg.len() > 127 {
            return None;
        }
        let (ms, seq) = match arg.iter().position(|&b| b == b'-') {
            Some(dash) => (&arg[..dash], Some(&arg[dash + 1..])),
            None => (arg, None),
        };
        let ms = parse_u64(ms)?;
        match seq {
            Some(b"*") if allow_auto_seq => Some((StreamId::new(ms, 0), false)),
            Some(seq) => Some((StreamId::new(ms, parse_u64(seq)?), true)),
            None => Some((StreamId::new(ms, missing_seq), true)),
        }
    }
}

/// Redis's `string2ull`: a strict `string2ll` first (a negative value
/// fails there), then `strtoull` (leading spaces, a sign, leading zeros;
/// a minus wraps around), which must consume everything without overflow.
fn parse_u64(s: &[u8]) -> Option<u64> {
    if let Some(n) = resp::parse_i64(s) {
        return u64::try_from(n).ok();
    }
    let text = s.trim_ascii_start();
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits.iter().try_fold(0u64, |acc, &b| {
        acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })?;
    Some(if negative { n.wrapping_neg() } else { n })
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}
