//! The replication backlog: a fixed-size ring of the newest stream bytes.

use bytes::{BufMut, Bytes, BytesMut};

/// The last `size` bytes of the replication stream. Allocated once, at its
/// configured size, like Redis.
#[derive(Debug)]
pub struct Backlog {
    buf: Vec<u8>,
    /// Where the next byte goes.
    idx: usize,
    /// Bytes of history held (at most `buf.len()`).
    histlen: usize,
    /// Replication offset of the last byte appended (Redis's
    /// `master_repl_offset`).
    offset: i64,
}

impl Backlog {
    /// An empty backlog whose next byte will have offset `offset + 1`.
    pub fn new(size: usize, offset: i64) -> Backlog {
        Backlog {
            buf: vec![0; size.max(1)],
            idx: 0,
            histlen: 0,
            offset,
        }
    }

    pub fn size(&self) -> usize {
        self.buf.len()
    }

    pub fn histlen(&self) -> usize {
        self.histlen
    }

    /// Offset of the last byte appended.
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// Offset of the oldest byte held (`repl_backlog_first_byte_offset`).
    pub fn first_offset(&self) -> i64 {
        self.offset - self.histlen as i64 + 1
    }

    pub fn append(&mut self, mut data: &[u8]) {
        self.offset += data.len() as i64;
        let size = self.buf.len();
        if data.len() > size {
            data = &data[data.len() - size..];
        }
        while !data.is_empty() {
            let n = (size - self.idx).min(data.len());
            self.buf[self.idx..self.idx + n].copy_from_slice(&data[..n]);
            self.idx = (self.idx + n) % size;
            self.histlen = (self.histlen + n).min(size);
            data = &data[n..];
        }
    }

    /// The bytes from offset `from` (inclusive) to the end, if held.
    /// `from == offset() + 1` is the empty tail.
    pub fn read_from(&self, from: i64) -> Option<Bytes> {
        if from < self.first_offset() || from > self.offset + 1 {
            return None;
        }
        let len = (self.offset + 1 - from) as usize;
        let size = self.buf.len();
        let start = (self.idx + size - len % size.max(1)) % size;
        let mut out = BytesMut::with_capacity(len);
        if len == 0 {
            return Some(out.freeze());
        }
        let first = (size - start).min(len);
        out.put_slice(&self.buf[start..start + first]);
        out.put_slice(&self.buf[..len - first]);
        Some(out.freeze())
    }

    /// Changes the size, keeping as much history as fits.
    pub fn resize(&mut self, size: usize) {
        let keep = self.histlen.min(size);
        let tail = self
            .read_from(self.offset + 1 - keep as i64)
            .unwrap_or_default();
        let offset = self.offset - keep as i64;
        *self = Backlog::new(size, offset);
        self.append(&tail);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_reads_back() {
        let mut b = Backlog::new(8, 0);
        b.append(b"abc");
        assert_eq!(b.first_offset(), 1);
        assert_eq!(&b.read_from(1).unwrap()[..], b"abc");
        assert_eq!(&b.read_from(3).unwrap()[..], b"c");
        assert_eq!(&b.read_from(4).unwrap()[..], b"");
        assert!(b.read_from(5).is_none());
        b.append(b"defghij");
        assert_eq!(b.offset(), 10);
        assert_eq!(b.histlen(), 8);
        assert_eq!(b.first_offset(), 3);
        assert_eq!(&b.read_from(3).unwrap()[..], b"cdefghij");
        assert!(b.read_from(2).is_none());
        b.append(b"0123456789ABC");
        assert_eq!(&b.read_from(b.first_offset()).unwrap()[..], b"56789ABC");
    }

    #[test]
    fn resize_keeps_the_newest_history() {
        let mut b = Backlog::new(8, 100);
        b.append(b"12345678");
        b.resize(4);
        assert_eq!(b.offset(), 108);
        assert_eq!(&b.read_from(105).unwrap()[..], b"5678");
        b.resize(16);
        assert_eq!(&b.read_from(105).unwrap()[..], b"5678");
        b.append(b"9");
        assert_eq!(&b.read_from(105).unwrap()[..], b"56789");
    }
}
