use bytes::Bytes;

/// Protocol version negotiated by `HELLO`. Decides how RESP3-only types are
/// written (see [`crate::Writer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// RESP2, every connection's protocol until `HELLO 3`.
    #[default]
    Resp2,
    /// RESP3: maps, sets, doubles, booleans, pushes and more.
    Resp3,
}

/// One RESP value.
///
/// Payloads are [`Bytes`], so frames decoded from a buffer share its memory
/// instead of copying bulk strings.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Frame {
    /// `+OK`
    Simple(Bytes),
    /// `-ERR message`: the text after `-`, error code included.
    Error(Bytes),
    /// `:1`
    Integer(i64),
    /// `$3\r\nfoo`
    Bulk(Bytes),
    /// RESP2 null bulk string `$-1`, or RESP3 null `_`.
    Null,
    /// RESP2 null array `*-1` (RESP3 writes it as `_`).
    NullArray,
    /// `*N`
    Array(Vec<Frame>),
    /// RESP3 `%N`: key/value pairs in order.
    Map(Vec<(Frame, Frame)>),
    /// RESP3 `~N`
    Set(Vec<Frame>),
    /// RESP3 `,1.5` (also `inf`, `-inf`, `nan`).
    Double(f64),
    /// RESP3 `#t` / `#f`
    Boolean(bool),
    /// RESP3 `(1234567890123456789012345`: kept as its decimal text.
    BigNumber(Bytes),
    /// RESP3 `=15\r\ntxt:Some string`: a three-byte format and the text.
    Verbatim {
        /// The format, e.g. `txt` or `mkd`.
        format: [u8; 3],
        /// The text after `format:`.
        text: Bytes,
    },
    /// RESP3 `>N`: out-of-band data such as pub/sub messages.
    Push(Vec<Frame>),
    /// RESP3 `|N`: attributes that annotate the frame that follows.
    Attribute {
        /// The attribute pairs.
        attrs: Vec<(Frame, Frame)>,
        /// The frame they annotate.
        frame: Box<Frame>,
    },
}

impl Frame {
    /// A simple string from static text.
    pub fn simple(s: &'static str) -> Frame {
        Frame::Simple(Bytes::from_static(s.as_bytes()))
    }

    /// An error frame from text that starts with its code, e.g. `"ERR syntax error"`.
    pub fn error(s: impl Into<String>) -> Frame {
        Frame::Error(Bytes::from(s.into()))
    }

    /// A bulk string copied from a slice.
    pub fn bulk(b: impl AsRef<[u8]>) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(b.as_ref()))
    }

    /// Writes this frame with the given protocol version.
    pub fn encode(&self, out: &mut bytes::BytesMut, proto: Protocol) {
        crate::Writer::new(out, proto).frame(self);
    }

    /// Encodes into a fresh vector (convenient in tests and clients).
    pub fn to_bytes(&self, proto: Protocol) -> Vec<u8> {
        let mut out = bytes::BytesMut::new();
        self.encode(&mut out, proto);
        out.to_vec()
    }
}
