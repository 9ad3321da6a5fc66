//! The replication backlog: a ring of the newest stream bytes, at most
//! `repl-backlog-size` of them.

use bytes::{BufMut, Bytes, BytesMut};

/// The last `size` bytes of the replication stream. Memory grows as the
/// stream does, up to `size` (as Redis 7.0's backlog, built of replication
/// buffer blocks, does), so a large configured size costs nothing until
/// the history is there.
#[derive(Debug)]
pub struct Backlog {
    /// Held history: grows linearly until it reaches `size`, then is used
    /// as a ring.
    buf: Vec<u8>,
    /// The configured size (`repl_backlog_size`).
    size: usize,
    /// Where the next byte goes once `buf` is full (0 before).
    idx: usize,
    /// Replication offset of the last byte appended (Redis's
    /// `master_repl_offset`).
    offset: i64,
}

impl Backlog {
    /// An empty backlog whose next byte will have offset `offset + 1`.
    pub fn new(size: usize, offset: i64) -> Backlog {
        Backlog {
            buf: Vec::new(),
            size: size.max(1),
            idx: 0,
            offset,
        }
    }

    /// The configured size.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Bytes of memory the history takes now (INFO
    /// `mem_replication_backlog`).
    pub fn memory(&self) -> usize {
        self.buf.capacity()
    }

    pub fn histlen(&self) -> usize {
        self.buf.len()
    }

    /// Offset of the last byte appended.
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// Offset of the oldest byte held (`repl_backlog_first_byte_offset`).
    pub fn first_offset(&self) -> i64 {
        self.offset - self.buf.len() as i64 + 1
    }

    pub fn append(&mut self, mut data: &[u8]) {
        self.offset += data.len() as i64;
        if data.len() > self.size {
            data = &data[data.len() - self.size..];
        }
        // Growing: doubling, never past the configured size.
        let room = self.size - self.buf.len();
        if room > 0 {
            let n = room.min(data.len());
            let want = self.buf.len() + n;
            if want > self.buf.capacity() {
                let target = want.max(self.buf.capacity() * 2).min(self.size);
                self.buf.reserve_exact(target - self.buf.len());
            }
            self.buf.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        // Full: a ring from `idx`.
        while !data.is_empty() {
            let n = (self.size - self.idx).min(data.len());
            self.buf[self.idx..self.idx + n].copy_from_slice(&data[..n]);
            self.idx = (self.idx + n) % self.size;
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
        let mut out = BytesMut::with_capacity(len);
        if len == 0 {
            return Some(out.freeze());
        }
        // The oldest byte is at `idx` when full, at 0 before.
        let held = self.buf.len();
        let start = (self.idx + held - len) % held;
        let first = (held - start).min(len);
        out.put_slice(&self.buf[start..start + first]);
        out.put_slice(&self.buf[..len - first]);
        Some(out.freeze())
    }

    /// Changes the size, keeping as much history as fits.
    pub fn resize(&mut self, size: usize) {
        let keep = self.buf.len().min(size);
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

    #[test]
    fn memory_grows_with_the_history_up_to_the_size() {
        let mut b = Backlog::new(100 << 30, 0);
        assert_eq!(b.memory(), 0);
        b.append(&[7; 1000]);
        assert!(b.memory() >= 1000 && b.memory() < 1 << 20);
        assert_eq!(b.size(), 100 << 30);
        let mut small = Backlog::new(10, 0);
        for chunk in [&b"abc"[..], b"defg", b"hijkl", b"mn"] {
            small.append(chunk);
        }
        assert_eq!(small.memory(), 10);
        assert_eq!(
            &small.read_from(small.first_offset()).unwrap()[..],
            b"efghijklmn"
        );
        assert_eq!(&small.read_from(12).unwrap()[..], b"lmn");
    }

    /// Random appends checked against a plain copy of the whole stream.
    #[test]
    fn matches_the_stream_it_holds() {
        let mut stream = Vec::new();
        let mut b = Backlog::new(37, 0);
        let mut x = 12345u32;
        for _ in 0..2000 {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            let len = (x >> 16) as usize % 50;
            let chunk: Vec<u8> = (0..len).map(|i| (i as u32 + x) as u8).collect();
            stream.extend_from_slice(&chunk);
            b.append(&chunk);
            let held = stream.len().min(37);
            let from = b.offset() + 1 - held as i64;
            assert_eq!(b.first_offset(), from);
            assert_eq!(
                &b.read_from(from).unwrap()[..],
                &stream[stream.len() - held..]
            );
        }
    }
}
