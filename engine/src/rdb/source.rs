//! Buffered RDB input: the primitive decodings (lengths, strings in their
//! integer/LZF/raw forms, times, doubles), the running CRC64 and the offset
//! for error messages.
//!
//! Nothing here trusts a length from the data for an allocation: strings
//! grow as their bytes actually arrive, and an LZF string's declared size is
//! bounded by its compressed size before anything is allocated.

use std::io::{ErrorKind, Read};

use super::{crc64, lzf, num, sink, Error, Result};

const CAP: usize = 64 * 1024;
/// Largest piece a long string is read in (and grown by).
const CHUNK: usize = 1 << 20;

/// A length field: a plain length, or one of the special string encodings.
pub enum Len {
    Len(u64),
    Encoded(u8),
}

pub struct Source<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// Offset of `buf[0]` in the input.
    base: u64,
    /// CRC of the input before `buf[crc_pos]`.
    crc: u64,
    crc_pos: usize,
    scratch: Vec<u8>,
}

impl<R: Read> Source<R> {
    pub fn new(inner: R) -> Self {
        Self::with_buffer(inner, CAP)
    }

    /// With a read-ahead buffer of `size` bytes (small for small inputs).
    pub fn with_buffer(inner: R, size: usize) -> Self {
        Source {
            inner,
            buf: vec![0; size.clamp(16, CAP)].into_boxed_slice(),
            pos: 0,
            end: 0,
            base: 0,
            crc: 0,
            crc_pos: 0,
            scratch: Vec::new(),
        }
    }

    /// Offset of the next byte to be read.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    pub fn corrupt(&self, reason: &'static str) -> Error {
        Error::Corrupt {
            offset: self.offset(),
            reason,
        }
    }

    fn truncated(&self) -> Error {
        Error::Truncated {
            offset: self.offset(),
        }
    }

    /// CRC64 of everything read so far.
    pub fn crc(&mut self) -> u64 {
        self.crc = crc64::update(self.crc, &self.buf[self.crc_pos..self.pos]);
        self.crc_pos = self.pos;
        self.crc
    }

    /// The reader and whatever was read ahead from it but not consumed.
    pub fn into_parts(self) -> (R, Vec<u8>) {
        (self.inner, self.buf[self.pos..self.end].to_vec())
    }

    /// Empties the (fully consumed) buffer, folding it into the CRC.
    fn recycle(&mut self) {
        debug_assert_eq!(self.pos, self.end);
        self.crc();
        self.base += self.end as u64;
        self.pos = 0;
        self.end = 0;
        self.crc_pos = 0;
    }

    fn read_some(&mut self, into: &mut [u8]) -> Result<usize> {
        loop {
            match self.inner.read(into) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Refills the empty buffer; false at end of input.
    fn fill(&mut self) -> Result<bool> {
        self.recycle();
        let mut buf = std::mem::take(&mut self.buf);
        let n = self.read_some(&mut buf);
        self.buf = buf;
        self.end = n?;
        Ok(self.end > 0)
    }

    #[inline]
    pub fn u8(&mut self) -> Result<u8> {
        if self.pos == self.end && !self.fill()? {
            return Err(self.truncated());
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        Ok(b)
    }

    #[inline]
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0; N];
        if self.end - self.pos >= N {
            out.copy_from_slice(&self.buf[self.pos..self.pos + N]);
            self.pos += N;
        } else {
            for b in &mut out {
                *b = self.u8()?;
            }
        }
        Ok(out)
    }

    /// Appends exactly `n` bytes to `out`.
    pub fn bytes_into(&mut self, mut n: u64, out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        loop {
            let take = (self.end - self.pos).min(usize::try_from(n).unwrap_or(usize::MAX));
            out.extend_from_slice(&self.buf[self.pos..self.pos + take]);
            self.pos += take;
            n -= take as u64;
            if n == 0 {
                return Ok(());
            }
            if n < self.buf.len() as u64 {
                if !self.fill()? {
                    return Err(self.truncated());
                }
                continue;
            }
            // A long string: read straight into it, a chunk at a time. The
            // chunks grow with what has arrived (doubling up to CHUNK), so
            // a length the data does not back costs at most one buffer.
            self.recycle();
            let grown = (out.len() - start).max(self.buf.len());
            let chunk = n.min(grown.min(CHUNK) as u64) as usize;
            let old = out.len();
            out.resize(old + chunk, 0);
            let got = self.read_some(&mut out[old..]);
            let got = match got {
                Ok(0) => {
                    out.truncate(old);
                    return Err(self.truncated());
                }
                Ok(got) => got,
                Err(e) => {
                    out.truncate(old);
                    return Err(e);
                }
            };
            out.truncate(old + got);
            self.crc = crc64::update(self.crc, &out[old..]);
            self.base += got as u64;
            n -= got as u64;
            if n == 0 {
                return Ok(());
            }
        }
    }

    /// `rdbLoadLen` with the encoding flag.
    pub fn len_or_encoding(&mut self) -> Result<Len> {
        let b = self.u8()?;
        Ok(match b >> 6 {
            0 => Len::Len((b & 0x3f) as u64),
            1 => Len::Len(((b as u64 & 0x3f) << 8) | self.u8()? as u64),
            3 => Len::Encoded(b),
            _ if b == 0x80 => Len::Len(u32::from_be_bytes(self.array()?) as u64),
            _ if b == 0x81 => Len::Len(u64::from_be_bytes(self.array()?)),
            _ => return Err(self.corrupt("unknown length encoding")),
        })
    }

    /// A plain length (a special encoding here is corruption).
    pub fn len(&mut self) -> Result<u64> {
        match self.len_or_encoding()? {
            Len::Len(n) => Ok(n),
            Len::Encoded(_) => {
                Err(self.corrupt("unexpected string encoding where a length belongs"))
            }
        }
    }

    /// A length that counts things of at least one byte each, as a usize.
    pub fn count(&mut self) -> Result<usize> {
        let n = self.len()?;
        usize::try_from(n).map_err(|_| self.corrupt("length too large"))
    }

    /// A string in any of its RDB forms, decoded to its bytes.
    pub fn string(&mut self) -> Result<Vec<u8>> {
        match self.len_or_encoding()? {
            Len::Len(n) => {
                let mut out = Vec::with_capacity(n.min(CAP as u64) as usize);
                self.bytes_into(n, &mut out)?;
                Ok(out)
            }
            Len::Encoded(sink::ENC_INT8) => Ok(num::int_text(self.u8()? as i8 as i64)),
            Len::Encoded(sink::ENC_INT16) => {
                Ok(num::int_text(i16::from_le_bytes(self.array()?) as i64))
            }
            Len::Encoded(sink::ENC_INT32) => {
                Ok(num::int_text(i32::from_le_bytes(self.array()?) as i64))
            }
            Len::Encoded(sink::ENC_LZF) => self.lzf_string(),
            Len::Encoded(_) => Err(self.corrupt("unknown string encoding")),
        }
    }

    fn lzf_string(&mut self) -> Result<Vec<u8>> {
        let clen = self.len()?;
        let len = self.len()?;
        if clen == 0 || len > clen.saturating_mul(lzf::MAX_EXPANSION) {
            return Err(self.corrupt("invalid LZF compressed string lengths"));
        }
        let mut compressed = std::mem::take(&mut self.scratch);
        compressed.clear();
        let read = self.bytes_into(clen, &mut compressed);
        let out = read.and_then(|()| {
            lzf::decompress(&compressed, len as usize)
                .ok_or_else(|| self.corrupt("invalid LZF compressed string"))
        });
        self.scratch = compressed;
        out
    }

    pub fn millis(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    pub fn binary_double(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// `rdbLoadDoubleValue`: the text form of old sorted sets (type 3).
    pub fn text_double(&mut self) -> Result<f64> {
        match self.u8()? {
            255 => Ok(f64::NEG_INFINITY),
            254 => Ok(f64::INFINITY),
            253 => Ok(f64::NAN),
            n => {
                let mut text = Vec::with_capacity(n as usize);
                self.bytes_into(n as u64, &mut text)?;
                num::parse_score(&text).ok_or_else(|| self.corrupt("invalid double"))
            }
        }
    }
}
