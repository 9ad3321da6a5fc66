//! DUMP/RESTORE payloads: the RDB type byte and value, then the RDB version
//! (u16 LE) and the CRC64 (u64 LE) of everything before it.

use super::decode::{read_value, Decoded};
use super::encode::Encoder;
use super::sink::Sink;
use super::source::Source;
use super::{
    crc64, rdb_type, Error, Object, Packed, Result, WriteOptions, MAX_READ_VERSION, RDB_VERSION,
};

const FOOTER: usize = 10;

/// The DUMP payload of `object`, encoded as Redis 7.0 would under
/// `options` (compression and encoding limits; payloads always carry a
/// checksum). Fails only for values Redis cannot hold (empty collections,
/// NaN scores).
pub fn dump(object: &Object, options: &WriteOptions) -> Result<Vec<u8>> {
    payload(options, |encoder, sink| {
        encoder.object(sink, type_byte, object)
    })
}

/// The DUMP payload of a listpack or intset, copied as it is. Fails only
/// for an empty one.
pub fn dump_packed(packed: Packed<'_>, options: &WriteOptions) -> Result<Vec<u8>> {
    payload(options, |encoder, sink| {
        encoder.packed(sink, type_byte, packed)
    })
}

/// A payload starts with the value's type, with no key.
fn type_byte(sink: &mut Sink<Vec<u8>>, rdb_type: u8) -> Result<()> {
    sink.byte(rdb_type);
    Ok(())
}

/// The value `write` encodes (false if it was empty), then the footer.
fn payload(
    options: &WriteOptions,
    write: impl FnOnce(&mut Encoder, &mut Sink<Vec<u8>>) -> Result<bool>,
) -> Result<Vec<u8>> {
    let mut sink = Sink::new(Vec::new(), options.compression);
    if !write(&mut Encoder::new(options.limits), &mut sink)? {
        return Err(Error::InvalidValue("empty collection"));
    }
    sink.raw(&RDB_VERSION.to_le_bytes())?;
    let crc = sink.crc();
    sink.raw(&crc.to_le_bytes())?;
    sink.flush()?;
    Ok(sink.into_inner())
}

/// Checks and decodes a RESTORE payload. A short payload, a version newer
/// than this reader's or a wrong CRC give [`Error::DumpPayload`]; a value
/// that does not decode (or is empty) gives [`Error::BadData`]. Like Redis,
/// bytes after the value are ignored.
pub fn restore(payload: &[u8]) -> Result<Object> {
    restore_value(payload, false).map(Decoded::into_object)
}

/// [`restore`], keeping a listpack hash, an intset or a listpack sorted
/// set in Redis's order as the blob it is ([`Decoded::Packed`], checked
/// as strictly), as Redis's RESTORE keeps them: stored as they are, they
/// stay byte for byte what the payload held (a `-0` score written as text
/// stays `-0`, which re-inserting the pairs would turn into `0`).
pub fn restore_packed(payload: &[u8]) -> Result<Decoded> {
    restore_value(payload, true)
}

fn restore_value(payload: &[u8], keep_packed: bool) -> Result<Decoded> {
    if payload.len() < FOOTER {
        return Err(Error::DumpPayload);
    }
    let (body, footer) = payload.split_at(payload.len() - FOOTER);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let crc = u64::from_le_bytes(footer[2..].try_into().expect("8 bytes"));
    if version > MAX_READ_VERSION || crc != crc64::crc64(&payload[..payload.len() - 8]) {
        return Err(Error::DumpPayload);
    }
    let bad = |source: Error| Error::BadData {
        source: Box::new(source),
    };
    let mut src = Source::with_buffer(body, body.len());
    let t = src.u8().map_err(bad)?;
    if !rdb_type::is_object_type(t) {
        return Err(bad(Error::UnknownType {
            offset: 0,
            rdb_type: t,
        }));
    }
    match read_value(&mut src, t, keep_packed) {
        Ok(Some(value)) => Ok(value),
        Ok(None) => Err(bad(Error::Corrupt {
            offset: src.offset(),
            reason: "empty collection",
        })),
        Err(e) => Err(bad(e)),
    }
}
