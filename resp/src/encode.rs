//! Writing replies. [`Writer`] appends RESP directly to an output buffer, so
//! a server can answer without building [`Frame`] trees first.

use bytes::{BufMut, BytesMut};

use crate::{Frame, Protocol};

/// Appends RESP replies to a buffer for a peer speaking `proto`.
///
/// RESP3-only types are downgraded for RESP2 peers the way Redis does it:
/// maps become flat arrays, sets and pushes arrays, doubles bulk strings,
/// booleans integers, big numbers and verbatim strings bulk strings.
pub struct Writer<'a> {
    out: &'a mut BytesMut,
    proto: Protocol,
}

impl<'a> Writer<'a> {
    /// A writer appending to `out` in `proto`.
    pub fn new(out: &'a mut BytesMut, proto: Protocol) -> Self {
        Writer { out, proto }
    }

    /// The protocol replies are written in.
    pub fn protocol(&self) -> Protocol {
        self.proto
    }

    /// The buffer written so far.
    pub fn buffer(&mut self) -> &mut BytesMut {
        self.out
    }

    /// Appends bytes that are already valid RESP.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.raw(b"+OK\r\n");
    }

    /// `+text`; the text must not contain CR or LF.
    pub fn simple(&mut self, text: &[u8]) {
        self.line(b'+', text);
    }

    /// `-text`, where the text starts with the error code (`ERR ...`).
    /// CR and LF inside are replaced by spaces, as Redis does, so the reply
    /// stays one line.
    pub fn error(&mut self, text: &str) {
        self.error_bytes(text.as_bytes());
    }

    /// Like [`Writer::error`] for text that need not be UTF-8.
    pub fn error_bytes(&mut self, text: &[u8]) {
        self.out.reserve(text.len() + 3);
        self.out.put_u8(b'-');
        for &b in text {
            self.out
                .put_u8(if b == b'\r' || b == b'\n' { b' ' } else { b });
        }
        self.out.put_slice(b"\r\n");
    }

    /// `:n`.
    pub fn integer(&mut self, n: i64) {
        self.line(b':', itoa::Buffer::new().format(n).as_bytes());
    }

    /// A bulk string.
    pub fn bulk(&mut self, data: &[u8]) {
        self.out.reserve(data.len() + 16);
        self.header(b'$', data.len());
        self.out.put_slice(data);
        self.out.put_slice(b"\r\n");
    }

    /// A bulk string holding the decimal text of `n`.
    pub fn bulk_integer(&mut self, n: i64) {
        self.bulk(itoa::Buffer::new().format(n).as_bytes());
    }

    /// Null bulk string (`$-1` in RESP2, `_` in RESP3).
    pub fn null(&mut self) {
        match self.proto {
            Protocol::Resp2 => self.raw(b"$-1\r\n"),
            Protocol::Resp3 => self.raw(b"_\r\n"),
        }
    }

    /// Null array (`*-1` in RESP2, `_` in RESP3).
    pub fn null_array(&mut self) {
        match self.proto {
            Protocol::Resp2 => self.raw(b"*-1\r\n"),
            Protocol::Resp3 => self.raw(b"_\r\n"),
        }
    }

    /// The header of an array of `len` elements, written next.
    pub fn array(&mut self, len: usize) {
        self.header(b'*', len);
    }

    /// A map of `len` pairs: the caller writes 2 * `len` values after it.
    pub fn map(&mut self, len: usize) {
        match self.proto {
            Protocol::Resp2 => self.header(b'*', len * 2),
            Protocol::Resp3 => self.header(b'%', len),
        }
    }

    /// The header of a set of `len` elements (an array in RESP2).
    pub fn set(&mut self, len: usize) {
        match self.proto {
            Protocol::Resp2 => self.header(b'*', len),
            Protocol::Resp3 => self.header(b'~', len),
        }
    }

    /// The header of a push of `len` elements (an array in RESP2).
    pub fn push(&mut self, len: usize) {
        match self.proto {
            Protocol::Resp2 => self.header(b'*', len),
            Protocol::Resp3 => self.header(b'>', len),
        }
    }

    /// A double formatted like Redis 7.0 (`%.17g`, `inf`, `-inf`).
    pub fn double(&mut self, d: f64) {
        let mut text = Vec::with_capacity(24);
        format_double(d, &mut text);
        match self.proto {
            Protocol::Resp2 => self.bulk(&text),
            Protocol::Resp3 => self.line(b',', &text),
        }
    }

    /// A boolean (`:1` / `:0` in RESP2).
    pub fn boolean(&mut self, b: bool) {
        match self.proto {
            Protocol::Resp2 => self.raw(if b { b":1\r\n" } else { b":0\r\n" }),
            Protocol::Resp3 => self.raw(if b { b"#t\r\n" } else { b"#f\r\n" }),
        }
    }

    /// A big number from its decimal digits (a bulk string in RESP2).
    pub fn big_number(&mut self, digits: &[u8]) {
        match self.proto {
            Protocol::Resp2 => self.bulk(digits),
            Protocol::Resp3 => self.line(b'(', digits),
        }
    }

    /// A verbatim string such as `txt:...` (INFO, CLIENT LIST in RESP3).
    pub fn verbatim(&mut self, format: &[u8; 3], text: &[u8]) {
        match self.proto {
            Protocol::Resp2 => self.bulk(text),
            Protocol::Resp3 => {
                self.header(b'=', text.len() + 4);
                self.out.put_slice(format);
                self.out.put_u8(b':');
                self.out.put_slice(text);
                self.out.put_slice(b"\r\n");
            }
        }
    }

    /// Writes a whole frame tree.
    pub fn frame(&mut self, frame: &Frame) {
        match frame {
            Frame::Simple(s) => self.simple(s),
            Frame::Error(e) => self.line(b'-', e),
            Frame::Integer(n) => self.integer(*n),
            Frame::Bulk(b) => self.bulk(b),
            Frame::Null => self.null(),
            Frame::NullArray => self.null_array(),
            Frame::Array(items) => {
                self.array(items.len());
                items.iter().for_each(|f| self.frame(f));
            }
            Frame::Map(pairs) => {
                self.map(pairs.len());
                for (k, v) in pairs {
                    self.frame(k);
                    self.frame(v);
                }
            }
            Frame::Set(items) => {
                self.set(items.len());
                items.iter().for_each(|f| self.frame(f));
            }
            Frame::Push(items) => {
                self.push(items.len());
                items.iter().for_each(|f| self.frame(f));
            }
            Frame::Double(d) => self.double(*d),
            Frame::Boolean(b) => self.boolean(*b),
            Frame::BigNumber(n) => self.big_number(n),
            Frame::Verbatim { format, text } => self.verbatim(format, text),
            Frame::Attribute { attrs, frame } => {
                if self.proto == Protocol::Resp3 {
                    self.header(b'|', attrs.len());
                    for (k, v) in attrs {
                        self.frame(k);
                        self.frame(v);
                    }
                }
                self.frame(frame);
            }
        }
    }

    fn line(&mut self, prefix: u8, text: &[u8]) {
        self.out.reserve(text.len() + 3);
        self.out.put_u8(prefix);
        self.out.put_slice(text);
        self.out.put_slice(b"\r\n");
    }

    fn header(&mut self, prefix: u8, len: usize) {
        self.line(prefix, itoa::Buffer::new().format(len).as_bytes());
    }
}

/// Formats `d` the way C's `printf("%.17g")` does, which is what Redis 7.0
/// uses for scores and RESP3 doubles; infinities are `inf` / `-inf`.
pub fn format_double(d: f64, out: &mut Vec<u8>) {
    use std::io::Write;
    if d.is_infinite() {
        out.extend_from_slice(if d > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    if d.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if d == 0.0 {
        out.extend_from_slice(if d.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    // 17 significant digits in scientific form tells us the decimal exponent
    // after rounding, which decides between %e and %f style like %g does.
    let sci = format!("{d:.16e}");
    let (mantissa, exp) = sci.split_once('e').expect("scientific format");
    let exp: i32 = exp.parse().expect("exponent");
    if !(-4..17).contains(&exp) {
        out.extend_from_slice(strip_zeros(mantissa).as_bytes());
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else {
        let fixed = format!("{:.*}", (16 - exp) as usize, d);
        out.extend_from_slice(strip_zeros(&fixed).as_bytes());
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(d: f64) -> String {
        let mut v = Vec::new();
        format_double(d, &mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn doubles_like_printf_g17() {
        assert_eq!(g(1.5), "1.5");
        assert_eq!(g(0.1), "0.10000000000000001");
        assert_eq!(g(3.0), "3");
        assert_eq!(g(-2.25), "-2.25");
        assert_eq!(g(1e17), "1e+17");
        assert_eq!(g(1.5e-5), "1.5e-05");
        assert_eq!(g(0.0001), "0.0001");
        assert_eq!(g(123456789012345678.0), "1.2345678901234568e+17");
        assert_eq!(g(f64::INFINITY), "inf");
        assert_eq!(g(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn resp2_downgrades_resp3_types() {
        let mut buf = BytesMut::new();
        let mut w = Writer::new(&mut buf, Protocol::Resp2);
        w.map(1);
        w.bulk(b"k");
        w.double(1.5);
        w.boolean(true);
        w.null();
        assert_eq!(&buf[..], b"*2\r\n$1\r\nk\r\n$3\r\n1.5\r\n:1\r\n$-1\r\n");
    }

    #[test]
    fn resp3_native_types() {
        let mut buf = BytesMut::new();
        let mut w = Writer::new(&mut buf, Protocol::Resp3);
        w.map(1);
        w.bulk(b"k");
        w.double(1.5);
        w.boolean(false);
        w.null();
        w.verbatim(b"txt", b"hi");
        assert_eq!(
            &buf[..],
            b"%1\r\n$1\r\nk\r\n,1.5\r\n#f\r\n_\r\n=6\r\ntxt:hi\r\n"
        );
    }

    #[test]
    fn errors_stay_on_one_line() {
        let mut buf = BytesMut::new();
        Writer::new(&mut buf, Protocol::Resp2).error("ERR bad\r\nthing");
        assert_eq!(&buf[..], b"-ERR bad  thing\r\n");
    }
}
