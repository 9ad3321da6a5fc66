//! Buffered RDB output: the primitive encodings (lengths, strings with
//! integer and LZF forms, times, doubles) and the running CRC64.

use std::io::Write;

use super::lzf::Compressor;
use super::{crc64, Result};

/// Bytes buffered before a write to the underlying writer.
const CAP: usize = 64 * 1024;

/// Special string encodings (`11xxxxxx` length prefix).
pub const ENC_INT8: u8 = 0xc0;
pub const ENC_INT16: u8 = 0xc1;
pub const ENC_INT32: u8 = 0xc2;
pub const ENC_LZF: u8 = 0xc3;

pub struct Sink<W> {
    out: W,
    buf: Vec<u8>,
    /// CRC of everything already handed to `out`.
    crc: u64,
    written: u64,
    compression: bool,
    lzf: Compressor,
    lzf_out: Vec<u8>,
}

impl<W: Write> Sink<W> {
    pub fn new(out: W, compression: bool) -> Self {
        Sink {
            out,
            buf: Vec::with_capacity(CAP + 1024),
            crc: 0,
            written: 0,
            compression,
            lzf: Compressor::default(),
            lzf_out: Vec::new(),
        }
    }

    /// Bytes produced so far (written or buffered).
    pub fn position(&self) -> u64 {
        self.written + self.buf.len() as u64
    }

    /// CRC64 of everything produced so far.
    pub fn crc(&self) -> u64 {
        crc64::update(self.crc, &self.buf)
    }

    pub fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    pub fn raw(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.len() >= CAP {
            // Large payloads go straight through instead of being copied.
            self.flush_buf()?;
            self.out.write_all(bytes)?;
            self.crc = crc64::update(self.crc, bytes);
            self.written += bytes.len() as u64;
        } else {
            self.buf.extend_from_slice(bytes);
            self.maybe_flush()?;
        }
        Ok(())
    }

    #[inline]
    pub fn maybe_flush(&mut self) -> Result<()> {
        if self.buf.len() >= CAP {
            self.flush_buf()?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            self.out.write_all(&self.buf)?;
            self.crc = crc64::update(self.crc, &self.buf);
            self.written += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes out everything buffered and flushes the writer.
    pub fn flush(&mut self) -> Result<()> {
        self.flush_buf()?;
        self.out.flush()?;
        Ok(())
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    /// `rdbSaveLen`: 6-bit, 14-bit, 32-bit or 64-bit big-endian forms.
    #[inline]
    pub fn len(&mut self, n: u64) {
        if n < 1 << 6 {
            self.buf.push(n as u8);
        } else if n < 1 << 14 {
            self.buf
                .extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
        } else if n <= u32::MAX as u64 {
            self.buf.push(0x80);
            self.buf.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            self.buf.push(0x81);
            self.buf.extend_from_slice(&n.to_be_bytes());
        }
    }

    /// `rdbSaveRawString`: an integer form for short canonical integers
    /// that fit 32 bits, LZF when enabled, longer than 20 bytes and at least
    /// 4 bytes smaller, else length + bytes.
    pub fn string(&mut self, s: &[u8]) -> Result<()> {
        if s.len() <= 11 {
            if let Some(v) = resp::parse_i64(s) {
                if self.int_form(v) {
                    return Ok(());
                }
            }
        }
        if self.compression && s.len() > 20 {
            self.lzf_out.clear();
            if let Some(n) = self.lzf.compress(s, s.len() - 4, &mut self.lzf_out) {
                self.buf.push(ENC_LZF);
                self.len(n as u64);
                self.len(s.len() as u64);
                let compressed = std::mem::take(&mut self.lzf_out);
                let r = self.raw(&compressed);
                self.lzf_out = compressed;
                return r;
            }
        }
        self.len(s.len() as u64);
        self.raw(s)
    }

    /// `rdbEncodeInteger`: false if `v` needs more than 32 bits.
    fn int_form(&mut self, v: i64) -> bool {
        if let Ok(v) = i8::try_from(v) {
            self.buf.extend_from_slice(&[ENC_INT8, v as u8]);
        } else if let Ok(v) = i16::try_from(v) {
            self.buf.push(ENC_INT16);
            self.buf.extend_from_slice(&v.to_le_bytes());
        } else if let Ok(v) = i32::try_from(v) {
            self.buf.push(ENC_INT32);
            self.buf.extend_from_slice(&v.to_le_bytes());
        } else {
            return false;
        }
        true
    }

    pub fn millis(&mut self, t: i64) {
        self.buf.extend_from_slice(&t.to_le_bytes());
    }

    pub fn binary_double(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(f: impl FnOnce(&mut Sink<Vec<u8>>)) -> Vec<u8> {
        let mut s = Sink::new(Vec::new(), true);
        f(&mut s);
        s.flush().unwrap();
        s.into_inner()
    }

    #[test]
    fn lengths() {
        assert_eq!(encode(|s| s.len(63)), [63]);
        assert_eq!(encode(|s| s.len(64)), [0x40, 64]);
        assert_eq!(encode(|s| s.len(16383)), [0x7f, 0xff]);
        assert_eq!(encode(|s| s.len(16384)), [0x80, 0, 0, 0x40, 0]);
        assert_eq!(encode(|s| s.len(1 << 32)), [0x81, 0, 0, 0, 1, 0, 0, 0, 0]);
    }

    #[test]
    fn strings() {
        assert_eq!(encode(|s| s.string(b"12").unwrap()), [0xc0, 12]);
        assert_eq!(encode(|s| s.string(b"-200").unwrap()), [0xc1, 0x38, 0xff]);
        assert_eq!(
            encode(|s| s.string(b"100000").unwrap()),
            [0xc2, 0xa0, 0x86, 1, 0]
        );
        // Fits an i64 but not 32 bits: stored as text.
        assert_eq!(encode(|s| s.string(b"10000000000").unwrap())[0], 11);
        assert_eq!(encode(|s| s.string(b"012").unwrap()), [3, b'0', b'1', b'2']);
        let a = encode(|s| s.string(&[b'a'; 100]).unwrap());
        assert_eq!(a[0], ENC_LZF);
        assert!(a.len() < 20);
        let mut raw = Sink::new(Vec::new(), false);
        raw.string(&[b'a'; 100]).unwrap();
        raw.flush().unwrap();
        assert_eq!(raw.into_inner().len(), 102);
    }
}
