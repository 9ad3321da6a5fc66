//! Builders of the encodings Redis no longer writes (ziplist, zipmap), and
//! of raw DUMP payloads and RDB length/string fields: for tests of the
//! reader against Redis 7.0 (which still loads them) and for the fuzzers'
//! seed inputs ([`crate::fuzzing`]). Nothing in the server writes these.

use super::crc64;

const ZL_HEADER: usize = 10;

/// A ziplist of `items` (integers where Redis would have used them).
pub fn ziplist(items: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut prev = 0usize;
    let mut last = ZL_HEADER;
    for s in items {
        last = ZL_HEADER + body.len();
        let start = body.len();
        if prev < 254 {
            body.push(prev as u8);
        } else {
            body.push(0xfe);
            body.extend_from_slice(&(prev as u32).to_le_bytes());
        }
        let int = std::str::from_utf8(s)
            .ok()
            .and_then(|t| t.parse::<i64>().ok())
            .filter(|i| i.to_string().as_bytes() == *s);
        match int {
            Some(v @ 0..=12) => body.push(0xf1 + v as u8),
            Some(v) if i8::try_from(v).is_ok() => body.extend_from_slice(&[0xfe, v as u8]),
            Some(v) if i16::try_from(v).is_ok() => {
                body.push(0xc0);
                body.extend_from_slice(&(v as i16).to_le_bytes());
            }
            Some(v) if (-(1 << 23)..1 << 23).contains(&v) => {
                body.push(0xf0);
                body.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
            }
            Some(v) if i32::try_from(v).is_ok() => {
                body.push(0xd0);
                body.extend_from_slice(&(v as i32).to_le_bytes());
            }
            Some(v) => {
                body.push(0xe0);
                body.extend_from_slice(&v.to_le_bytes());
            }
            None if s.len() < 64 => {
                body.push(s.len() as u8);
                body.extend_from_slice(s);
            }
            None if s.len() < 16384 => {
                body.extend_from_slice(&[0x40 | (s.len() >> 8) as u8, s.len() as u8]);
                body.extend_from_slice(s);
            }
            None => {
                body.push(0x80);
                body.extend_from_slice(&(s.len() as u32).to_be_bytes());
                body.extend_from_slice(s);
            }
        }
        prev = body.len() - start;
    }
    let total = ZL_HEADER + body.len() + 1;
    let mut zl = Vec::with_capacity(total);
    zl.extend_from_slice(&(total as u32).to_le_bytes());
    zl.extend_from_slice(&(last as u32).to_le_bytes());
    zl.extend_from_slice(&(items.len().min(65535) as u16).to_le_bytes());
    zl.extend_from_slice(&body);
    zl.push(0xff);
    zl
}

/// A zipmap of `pairs`, with one free byte after each value (as zipmaps
/// left by updates have).
pub fn zipmap(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut zm = vec![pairs.len().min(254) as u8];
    let len = |zm: &mut Vec<u8>, n: usize| {
        if n < 254 {
            zm.push(n as u8);
        } else {
            zm.push(254);
            zm.extend_from_slice(&(n as u32).to_le_bytes());
        }
    };
    for (k, v) in pairs {
        len(&mut zm, k.len());
        zm.extend_from_slice(k);
        len(&mut zm, v.len());
        zm.push(1);
        zm.extend_from_slice(v);
        zm.push(0);
    }
    zm.push(0xff);
    zm
}

/// RDB length encoding.
pub fn len(out: &mut Vec<u8>, n: usize) {
    if n < 64 {
        out.push(n as u8);
    } else if n < 16384 {
        out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
    } else {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// An RDB string in its plain form.
pub fn string(out: &mut Vec<u8>, s: &[u8]) {
    len(out, s.len());
    out.extend_from_slice(s);
}

/// A DUMP payload: type, value, RDB version, CRC64.
pub fn payload(rdb_type: u8, value: &[u8], version: u16) -> Vec<u8> {
    let mut p = vec![rdb_type];
    p.extend_from_slice(value);
    p.extend_from_slice(&version.to_le_bytes());
    let crc = crc64(&p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}
