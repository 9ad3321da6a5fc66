//! RESP, the Redis serialization protocol (versions 2 and 3).
//!
//! This crate owns the wire format and nothing else: [`Frame`] values, a
//! streaming decoder that turns bytes from a socket into frames or client
//! requests, and an encoder that writes replies into a [`bytes::BytesMut`].
//! It knows nothing about commands, networking or any async runtime.
//!
//! * [`Frame`]: every RESP2 and RESP3 type.
//! * [`decode`]: parse a complete frame or report that more input is needed.
//! * [`RequestDecoder`]: parse client requests (multibulk or inline) with the
//!   limits a server enforces.
//! * [`parse_i64`]: Redis's `string2ll`, the strict integer syntax that
//!   RESP headers and Redis's integer arguments share.
//! * [`Writer`]: write replies directly into an output buffer, downgrading
//!   RESP3-only types when the peer speaks RESP2.

#![warn(missing_docs)]

#[cfg(feature = "codec")]
pub mod codec;
mod decode;
mod encode;
mod frame;

// The README's examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use decode::{decode, parse_i64, split_args, DecodeError, Limits, RequestDecoder};
pub use encode::{format_double, Writer};
pub use frame::{Frame, Protocol};
