//! A [`tokio_util::codec`] decoder and encoder of [`Frame`]s (the `codec`
//! feature), so RESP drops into a `Framed` stream or sink.

use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

use crate::{decode, DecodeError, Frame, Protocol};

/// Decodes whole [`Frame`]s of any RESP2/RESP3 type and encodes frames in
/// the chosen [`Protocol`] (RESP3-only types are downgraded in RESP2).
#[derive(Debug, Clone, Copy, Default)]
pub struct RespCodec {
    /// The protocol frames are encoded in.
    pub protocol: Protocol,
}

impl RespCodec {
    /// A codec encoding in `protocol`.
    pub fn new(protocol: Protocol) -> RespCodec {
        RespCodec { protocol }
    }
}

/// Why a framed stream failed: malformed RESP, or the I/O under it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The peer sent malformed RESP.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Reading or writing the underlying stream failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Decoder for RespCodec {
    type Item = Frame;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        Ok(decode(src)?)
    }
}

impl Encoder<Frame> for RespCodec {
    type Error = CodecError;

    fn encode(&mut self, frame: Frame, dst: &mut BytesMut) -> Result<(), CodecError> {
        frame.encode(dst, self.protocol);
        Ok(())
    }
}

impl Encoder<&Frame> for RespCodec {
    type Error = CodecError;

    fn encode(&mut self, frame: &Frame, dst: &mut BytesMut) -> Result<(), CodecError> {
        frame.encode(dst, self.protocol);
        Ok(())
    }
}
