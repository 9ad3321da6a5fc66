//! Redis's listpack: a sequence of byte strings and integers packed into one
//! allocation, in exactly the layout of Redis 7.0's `listpack.c` (so RDB
//! files can store it as is).
//!
//! ```text
//! <total bytes: u32 LE> <count: u16 LE> <entry> ... <entry> <0xFF>
//! entry = <encoding + data> <backlen>
//! ```
//!
//! Encodings: `0xxxxxxx` 7-bit uint; `10xxxxxx` string up to 63 bytes;
//! `110xxxxx` + 1 byte 13-bit int; `1110xxxx` + 1 byte string up to 4095
//! bytes; `0xF0` + u32 string; `0xF1`/`0xF2`/`0xF3`/`0xF4` 16/24/32/64-bit
//! int (all little endian). A string that is the canonical decimal form of an
//! `i64` is stored as an integer. `backlen` is the size of `encoding + data`
//! in 1-5 bytes, readable from its last byte backwards, which makes reverse
//! iteration possible without the cascading updates of the old ziplist.
//! A count of 65535 means "too many, count them".
//!
//! Elements are addressed by their byte offset in the listpack (`usize`),
//! valid until the next modification.
//!
//! Written by hand because no crate has it and it must be Redis's to the
//! byte: the blob is what RDB files and DUMP payloads carry (loaded and
//! saved without conversion), its size is what MEMORY USAGE reports and
//! what the `*-max-listpack-*` limits measure, and `from_bytes` validates
//! untrusted blobs as Redis's deep sanitization does (fuzzed through
//! [`crate::fuzzing`]).

use std::fmt;

use super::thin::ThinBytes;
use super::Corrupt;
use resp::parse_i64;

const HEADER: usize = 6;
const EOF: u8 = 0xFF;
const COUNT_UNKNOWN: u16 = u16::MAX;
const EMPTY: [u8; 7] = [7, 0, 0, 0, 0, 0, EOF];

/// Size of an empty listpack: the header and the terminator.
pub const EMPTY_BYTES: usize = EMPTY.len();

/// Redis refuses to grow a listpack beyond 1 GiB (`LISTPACK_MAX_SAFETY_SIZE`);
/// its users switch to their big encoding first (see [`Listpack::safe_to_add`]).
pub const MAX_SAFE_BYTES: usize = 1 << 30;

/// `why` names the listpack: it is also the reason of an RDB error.
fn corrupt(why: &'static str) -> Corrupt {
    Corrupt {
        what: "listpack",
        why,
    }
}

/// One element of a listpack (or of another compact encoding): an integer
/// or a byte string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Entry<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl<'a> Entry<'a> {
    /// The element as a string; integers are formatted into `buf`.
    pub fn bytes<'b>(&self, buf: &'b mut itoa::Buffer) -> &'b [u8]
    where
        'a: 'b,
    {
        match *self {
            Entry::Int(n) => buf.format(n).as_bytes(),
            Entry::Str(s) => s,
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.bytes(&mut itoa::Buffer::new()).to_vec()
    }

    /// Whether the element's string form is `bytes`.
    pub fn eq_bytes(&self, bytes: &[u8]) -> bool {
        self.bytes(&mut itoa::Buffer::new()) == bytes
    }

    /// Length of the string form.
    pub fn str_len(&self) -> usize {
        match *self {
            Entry::Int(n) => itoa::Buffer::new().format(n).len(),
            Entry::Str(s) => s.len(),
        }
    }

    /// The value as an integer, if the string form is a canonical `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Entry::Int(n) => Some(n),
            Entry::Str(s) => parse_i64(s),
        }
    }

    /// Bytes the element takes in a listpack, backlen included.
    pub fn encoded_size(&self) -> usize {
        Encoded::new(*self).size()
    }
}

impl<'a> From<&'a [u8]> for Entry<'a> {
    fn from(s: &'a [u8]) -> Entry<'a> {
        Entry::Str(s)
    }
}

/// Bytes used by the backlen of an entry whose `encoding + data` is `l`
/// bytes long (Redis's thresholds, off-by-one included).
fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

/// Writes the backlen of `l` into `out` (exactly `backlen_size(l)` bytes):
/// most significant 7-bit group first, all but the first flagged with 0x80.
fn write_backlen(out: &mut [u8], l: usize) {
    let n = out.len();
    for (i, b) in out.iter_mut().enumerate() {
        let group = ((l >> (7 * (n - 1 - i))) & 127) as u8;
        *b = if i == 0 { group } else { group | 128 };
    }
}

/// Reads a backlen whose last byte is at `end`; `None` if it runs past the
/// start of `buf` or over five bytes.
fn read_backlen(buf: &[u8], end: usize) -> Option<usize> {
    let mut value = 0usize;
    for i in 0..5 {
        let b = *buf.get(end.checked_sub(i)?)?;
        value |= usize::from(b & 127) << (7 * i);
        if b & 128 == 0 {
            return Some(value);
        }
    }
    None
}

/// Size of the `encoding + data` part of the entry at `p`; `None` for an
/// unknown encoding byte (or EOF) or a length that is cut off.
fn encoded_len(buf: &[u8], p: usize) -> Option<usize> {
    let b = *buf.get(p)?;
    Some(match b {
        0x00..=0x7F => 1,
        0x80..=0xBF => 1 + usize::from(b & 0x3F),
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 2 + (usize::from(b & 0x0F) << 8 | usize::from(*buf.get(p + 1)?)),
        0xF0 => {
            let len: [u8; 4] = buf.get(p + 1..p + 5)?.try_into().ok()?;
            5 + u32::from_le_bytes(len) as usize
        }
        0xF1 => 3,
        0xF2 => 4,
        0xF3 => 5,
        0xF4 => 9,
        _ => return None,
    })
}

/// Offset of the entry after the one at `p` (which must be valid).
fn skip_entry(buf: &[u8], p: usize) -> usize {
    let l = encoded_len(buf, p).expect("valid listpack entry");
    p + l + backlen_size(l)
}

/// Offset of the entry that ends just before `end` (which must be valid).
fn entry_before(buf: &[u8], end: usize) -> usize {
    let l = read_backlen(buf, end - 1).expect("valid listpack backlen");
    end - l - backlen_size(l)
}

fn le_int<const N: usize>(buf: &[u8], p: usize) -> [u8; N] {
    buf[p + 1..p + 1 + N]
        .try_into()
        .expect("valid listpack entry")
}

/// Decodes the entry at `p` (which must be valid).
fn decode(buf: &[u8], p: usize) -> Entry<'_> {
    let b = buf[p];
    match b {
        0x00..=0x7F => Entry::Int(i64::from(b)),
        0x80..=0xBF => Entry::Str(&buf[p + 1..p + 1 + usize::from(b & 0x3F)]),
        0xC0..=0xDF => {
            let u = i64::from(b & 0x1F) << 8 | i64::from(buf[p + 1]);
            Entry::Int(if u >= 1 << 12 { u - (1 << 13) } else { u })
        }
        0xE0..=0xEF => {
            let len = usize::from(b & 0x0F) << 8 | usize::from(buf[p + 1]);
            Entry::Str(&buf[p + 2..p + 2 + len])
        }
        0xF0 => {
            let len = u32::from_le_bytes(le_int(buf, p)) as usize;
            Entry::Str(&buf[p + 5..p + 5 + len])
        }
        0xF1 => Entry::Int(i16::from_le_bytes(le_int(buf, p)).into()),
        0xF2 => {
            let [a, b, c] = le_int(buf, p);
            // Sign-extend from 24 bits.
            Entry::Int((i32::from_le_bytes([0, a, b, c]) >> 8).into())
        }
        0xF3 => Entry::Int(i32::from_le_bytes(le_int(buf, p)).into()),
        0xF4 => Entry::Int(i64::from_le_bytes(le_int(buf, p))),
        _ => unreachable!("invalid listpack encoding {b:#x}"),
    }
}

/// An element ready to be written: its encoding header (all of it for an
/// integer) and, for a string, the data that follows.
struct Encoded<'a> {
    head: [u8; 9],
    head_len: usize,
    data: &'a [u8],
}

impl<'a> Encoded<'a> {
    fn new(entry: Entry<'a>) -> Encoded<'a> {
        match entry {
            Entry::Int(n) => Encoded::int(n),
            Entry::Str(s) => match parse_i64(s) {
                Some(n) => Encoded::int(n),
                None => Encoded::string(s),
            },
        }
    }

    fn int(v: i64) -> Encoded<'static> {
        let mut head = [0; 9];
        let le = v.to_le_bytes();
        let head_len = match v {
            0..=127 => {
                head[0] = v as u8;
                1
            }
            -4096..=4095 => {
                let u = (v & 0x1FFF) as u16;
                head[0] = 0xC0 | (u >> 8) as u8;
                head[1] = u as u8;
                2
            }
            -32768..=32767 => 3,
            -8388608..=8388607 => 4,
            -2147483648..=2147483647 => 5,
            _ => 9,
        };
        if head_len > 2 {
            head[0] = match head_len {
                3 => 0xF1,
                4 => 0xF2,
                5 => 0xF3,
                _ => 0xF4,
            };
            head[1..head_len].copy_from_slice(&le[..head_len - 1]);
        }
        Encoded {
            head,
            head_len,
            data: &[],
        }
    }

    fn string(s: &'a [u8]) -> Encoded<'a> {
        let mut head = [0; 9];
        let len = s.len();
        let head_len = if len < 64 {
            head[0] = 0x80 | len as u8;
            1
        } else if len < 4096 {
            head[0] = 0xE0 | (len >> 8) as u8;
            head[1] = len as u8;
            2
        } else {
            head[0] = 0xF0;
            let len = u32::try_from(len).expect("listpack string over 4 GiB");
            head[1..5].copy_from_slice(&len.to_le_bytes());
            5
        };
        Encoded {
            head,
            head_len,
            data: s,
        }
    }

    /// Size of `encoding + data`.
    fn len(&self) -> usize {
        self.head_len + self.data.len()
    }

    /// Size of the whole entry, backlen included.
    fn size(&self) -> usize {
        self.len() + backlen_size(self.len())
    }

    /// Writes the whole entry into `out`, which is exactly `size()` long.
    fn write(&self, out: &mut [u8]) {
        let (head, rest) = out.split_at_mut(self.head_len);
        head.copy_from_slice(&self.head[..self.head_len]);
        let (data, backlen) = rest.split_at_mut(self.data.len());
        data.copy_from_slice(self.data);
        write_backlen(backlen, self.len());
    }
}

/// Writes one listpack at the end of a byte buffer, element by element and
/// without a [`Listpack`] of its own: how RDB files and DUMP payloads get
/// theirs, in a buffer reused for every value. Elements are encoded as in a
/// [`Listpack`] (a string that is a canonical integer as an integer).
pub struct Builder<'a> {
    buf: &'a mut Vec<u8>,
    start: usize,
    count: usize,
}

impl<'a> Builder<'a> {
    pub fn new(buf: &'a mut Vec<u8>) -> Builder<'a> {
        let start = buf.len();
        buf.extend_from_slice(&EMPTY[..HEADER]);
        Builder {
            buf,
            start,
            count: 0,
        }
    }

    pub fn push(&mut self, entry: Entry<'_>) {
        let e = Encoded::new(entry);
        let at = self.buf.len();
        self.buf.resize(at + e.size(), 0);
        e.write(&mut self.buf[at..]);
        self.count += 1;
    }

    /// Writes the terminator and the header; returns the listpack's size.
    pub fn finish(self) -> usize {
        self.buf.push(EOF);
        let total = self.buf.len() - self.start;
        let total32 = u32::try_from(total).expect("listpack over 4 GiB");
        let count = self.count.min(usize::from(COUNT_UNKNOWN)) as u16;
        let header = &mut self.buf[self.start..self.start + HEADER];
        header[..4].copy_from_slice(&total32.to_le_bytes());
        header[4..].copy_from_slice(&count.to_le_bytes());
        total
    }
}

/// Checks `bytes` the way Redis's deep `lpValidateIntegrity` does (header
/// size, terminator, every entry's encoding and backlen, the count), and
/// also that the only terminator is the last byte.
fn validate(bytes: &[u8]) -> Result<(), Corrupt> {
    if bytes.len() < EMPTY.len() {
        return Err(corrupt("shorter than a listpack header"));
    }
    let total = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes")) as usize;
    if total != bytes.len() {
        return Err(corrupt("listpack size field does not match"));
    }
    let end = bytes.len() - 1;
    if bytes[end] != EOF {
        return Err(corrupt("no listpack terminator"));
    }
    let mut p = HEADER;
    let mut count = 0usize;
    while p < end {
        let l = encoded_len(bytes, p).ok_or(corrupt("unknown listpack entry encoding"))?;
        let next = p + l + backlen_size(l);
        if next > end {
            return Err(corrupt("listpack entry runs past the end"));
        }
        if read_backlen(bytes, next - 1) != Some(l) {
            return Err(corrupt("listpack backlen does not match its entry"));
        }
        count += 1;
        p = next;
    }
    let header_count = u16::from_le_bytes([bytes[4], bytes[5]]);
    if header_count != COUNT_UNKNOWN && usize::from(header_count) != count {
        return Err(corrupt("listpack count field does not match"));
    }
    Ok(())
}

/// A listpack in one exactly sized allocation.
pub struct Listpack {
    buf: ThinBytes,
}

impl Default for Listpack {
    fn default() -> Listpack {
        Listpack::new()
    }
}

impl Listpack {
    /// An empty listpack (7 bytes).
    pub fn new() -> Listpack {
        Listpack {
            buf: ThinBytes::new(&EMPTY),
        }
    }

    /// A listpack from untrusted bytes (an RDB payload), validated first.
    pub fn from_bytes(bytes: &[u8]) -> Result<Listpack, Corrupt> {
        validate(bytes)?;
        Ok(Listpack {
            buf: ThinBytes::new(bytes),
        })
    }

    /// The listpack as Redis stores it.
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: the header's size is the allocation size (every change of
        // size goes through `splice`, which updates both).
        unsafe { self.buf.slice(self.bytes_len()) }
    }

    /// Total size in bytes (the header's size field).
    pub fn bytes_len(&self) -> usize {
        // SAFETY: every listpack is at least 7 bytes long.
        let head = unsafe { self.buf.slice(4) };
        u32::from_le_bytes(head.try_into().expect("4 bytes")) as usize
    }

    /// Whether `more` bytes can be added without passing [`MAX_SAFE_BYTES`].
    pub fn safe_to_add(&self, more: usize) -> bool {
        self.bytes_len() + more <= MAX_SAFE_BYTES
    }

    fn header_count(&self) -> u16 {
        let b = self.as_bytes();
        u16::from_le_bytes([b[4], b[5]])
    }

    /// Number of elements (counted when there are 65535 or more).
    pub fn len(&self) -> usize {
        match self.header_count() {
            COUNT_UNKNOWN => self.iter().count(),
            n => usize::from(n),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.as_bytes()[HEADER] == EOF
    }

    /// Offset of the terminator: inserting there appends.
    pub fn end(&self) -> usize {
        self.bytes_len() - 1
    }

    pub fn first(&self) -> Option<usize> {
        (!self.is_empty()).then_some(HEADER)
    }

    pub fn last(&self) -> Option<usize> {
        (!self.is_empty()).then(|| entry_before(self.as_bytes(), self.end()))
    }

    /// The element after the one at `p`.
    pub fn next(&self, p: usize) -> Option<usize> {
        let q = skip_entry(self.as_bytes(), p);
        (q < self.end()).then_some(q)
    }

    /// The element before the one at `p` (or before the end, `p == end()`).
    pub fn prev(&self, p: usize) -> Option<usize> {
        (p > HEADER).then(|| entry_before(self.as_bytes(), p))
    }

    /// The element at `p`.
    pub fn get(&self, p: usize) -> Entry<'_> {
        decode(self.as_bytes(), p)
    }

    /// The element at `index`, negative counting from the end (-1 is the
    /// last), walking from the nearer end.
    pub fn seek(&self, index: isize) -> Option<usize> {
        let len = self.len() as isize;
        let index = if index < 0 { index + len } else { index };
        if !(0..len).contains(&index) {
            return None;
        }
        if index <= len / 2 {
            let mut p = self.first()?;
            for _ in 0..index {
                p = self.next(p)?;
            }
            Some(p)
        } else {
            let mut p = self.last()?;
            for _ in index + 1..len {
                p = self.prev(p)?;
            }
            Some(p)
        }
    }

    /// Elements from first to last (reversible).
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: self.as_bytes(),
            front: HEADER,
            back: self.end(),
        }
    }

    /// Elements from the one at `p` to the last.
    pub fn iter_from(&self, p: usize) -> Iter<'_> {
        Iter {
            buf: self.as_bytes(),
            front: p,
            back: self.end(),
        }
    }

    /// The first element at or after `p` whose string form is `needle`,
    /// comparing only every `skip + 1`-th element (`skip = 1` finds hash
    /// fields among field-value pairs).
    pub fn find(&self, p: usize, needle: &[u8], skip: usize) -> Option<usize> {
        let as_int = parse_i64(needle);
        let buf = self.as_bytes();
        let end = self.end();
        let mut p = p;
        let mut wait = 0;
        while p < end {
            if wait == 0 {
                let hit = match decode(buf, p) {
                    Entry::Str(s) => s == needle,
                    Entry::Int(n) => as_int == Some(n),
                };
                if hit {
                    return Some(p);
                }
                wait = skip;
            } else {
                wait -= 1;
            }
            p = skip_entry(buf, p);
        }
        None
    }

    /// Appends an element.
    pub fn push_back(&mut self, entry: Entry<'_>) {
        self.splice(self.end(), 0, 0, &[entry]);
    }

    /// Prepends an element.
    pub fn push_front(&mut self, entry: Entry<'_>) {
        self.splice(HEADER, 0, 0, &[entry]);
    }

    /// Inserts elements before the one at `p` (at `end()` to append) with
    /// one reallocation. Returns `p`, now the first inserted element.
    pub fn insert(&mut self, p: usize, entries: &[Entry<'_>]) -> usize {
        self.splice(p, 0, 0, entries);
        p
    }

    /// Inserts an element after the one at `p`; returns its offset.
    pub fn insert_after(&mut self, p: usize, entry: Entry<'_>) -> usize {
        let q = skip_entry(self.as_bytes(), p);
        self.splice(q, 0, 0, &[entry]);
        q
    }

    /// Replaces the element at `p`.
    pub fn replace(&mut self, p: usize, entry: Entry<'_>) {
        let size = skip_entry(self.as_bytes(), p) - p;
        self.splice(p, size, 1, &[entry]);
    }

    /// Deletes the element at `p`; returns the offset of the next one.
    pub fn delete(&mut self, p: usize) -> Option<usize> {
        self.delete_run(p, 1)
    }

    /// Deletes up to `n` elements starting with the one at `p`; returns the
    /// offset of the element after them.
    pub fn delete_run(&mut self, p: usize, n: usize) -> Option<usize> {
        let buf = self.as_bytes();
        let end = self.end();
        let (mut q, mut removed) = (p, 0);
        while removed < n && q < end {
            q = skip_entry(buf, q);
            removed += 1;
        }
        self.splice(p, q - p, removed, &[]);
        (p < self.end()).then_some(p)
    }

    /// Replaces the `remove` bytes (`removed` elements) at `p` with
    /// `entries`, resizing the allocation to fit exactly and updating the
    /// header. Grows before moving the tail, shrinks after, like Redis.
    fn splice(&mut self, p: usize, remove: usize, removed: usize, entries: &[Entry<'_>]) {
        // Encoding is cheap: do it twice rather than allocate a list.
        let add: usize = entries.iter().map(|&e| Encoded::new(e).size()).sum();
        let old = self.bytes_len();
        let new = old - remove + add;
        let new_total = u32::try_from(new).expect("listpack over 4 GiB");
        let count = self.header_count();
        let n = match count {
            COUNT_UNKNOWN => COUNT_UNKNOWN,
            n => (usize::from(n) - removed + entries.len()).min(usize::from(COUNT_UNKNOWN)) as u16,
        };
        // SAFETY: `old` is the allocation size on entry. The size field is
        // rewritten right after each resize (nothing in between can fail),
        // so it always matches the allocation, as `Drop` requires.
        unsafe {
            if new > old {
                self.buf.resize(old, new);
                self.buf
                    .slice_mut(4)
                    .copy_from_slice(&new_total.to_le_bytes());
            }
            self.buf
                .slice_mut(old.max(new))
                .copy_within(p + remove..old, p + add);
            if new < old {
                self.buf.resize(old, new);
                self.buf
                    .slice_mut(4)
                    .copy_from_slice(&new_total.to_le_bytes());
            }
        }
        let buf = self.bytes_mut();
        let mut at = p;
        for &e in entries {
            let e = Encoded::new(e);
            e.write(&mut buf[at..at + e.size()]);
            at += e.size();
        }
        buf[4..6].copy_from_slice(&n.to_le_bytes());
    }

    /// The listpack's bytes, mutably; callers must not change the size field.
    fn bytes_mut(&mut self) -> &mut [u8] {
        let len = self.bytes_len();
        // SAFETY: the size field is the allocation size.
        unsafe { self.buf.slice_mut(len) }
    }
}

impl Drop for Listpack {
    fn drop(&mut self) {
        let len = self.bytes_len();
        // SAFETY: `len` is the allocation size; this is the only free.
        unsafe { self.buf.free(len) }
    }
}

impl Clone for Listpack {
    fn clone(&self) -> Listpack {
        Listpack {
            buf: ThinBytes::new(self.as_bytes()),
        }
    }
}

impl PartialEq for Listpack {
    fn eq(&self, other: &Listpack) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Listpack {}

impl fmt::Debug for Listpack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|e| match e {
                Entry::Int(n) => n.to_string(),
                Entry::Str(s) => String::from_utf8_lossy(s).into_owned(),
            }))
            .finish()
    }
}

/// Iterator over a listpack's elements, from either end.
#[derive(Clone)]
pub struct Iter<'a> {
    buf: &'a [u8],
    /// Offset of the next element from the front.
    front: usize,
    /// Offset just past the next element from the back.
    back: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        if self.front >= self.back {
            return None;
        }
        let e = decode(self.buf, self.front);
        self.front = skip_entry(self.buf, self.front);
        Some(e)
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.back <= self.front {
            return None;
        }
        self.back = entry_before(self.buf, self.back);
        Some(decode(self.buf, self.back))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn entries(lp: &Listpack) -> Vec<Vec<u8>> {
        lp.iter().map(|e| e.to_vec()).collect()
    }

    #[test]
    fn empty() {
        let lp = Listpack::new();
        assert_eq!(lp.as_bytes(), &[7, 0, 0, 0, 0, 0, 0xFF]);
        assert_eq!(lp.len(), 0);
        assert!(lp.first().is_none() && lp.last().is_none());
        assert_eq!(std::mem::size_of::<Listpack>(), 8);
    }

    /// Bytes of a listpack holding just `s`.
    fn single(s: &[u8]) -> Vec<u8> {
        let mut lp = Listpack::new();
        lp.push_back(Entry::Str(s));
        assert_eq!(lp.get(lp.first().unwrap()).to_vec(), s);
        assert_eq!(Listpack::from_bytes(lp.as_bytes()).unwrap(), lp);
        lp.as_bytes()[HEADER..lp.end()].to_vec()
    }

    #[test]
    fn integer_encodings_at_every_boundary() {
        let cases: &[(i64, &[u8])] = &[
            (0, &[0x00, 1]),
            (127, &[0x7F, 1]),
            (128, &[0xC0, 0x80, 2]),
            (-1, &[0xDF, 0xFF, 2]),
            (4095, &[0xCF, 0xFF, 2]),
            (-4096, &[0xD0, 0x00, 2]),
            (4096, &[0xF1, 0x00, 0x10, 3]),
            (-4097, &[0xF1, 0xFF, 0xEF, 3]),
            (32767, &[0xF1, 0xFF, 0x7F, 3]),
            (-32768, &[0xF1, 0x00, 0x80, 3]),
            (32768, &[0xF2, 0x00, 0x80, 0x00, 4]),
            (-32769, &[0xF2, 0xFF, 0x7F, 0xFF, 4]),
            (8388607, &[0xF2, 0xFF, 0xFF, 0x7F, 4]),
            (-8388608, &[0xF2, 0x00, 0x00, 0x80, 4]),
            (8388608, &[0xF3, 0x00, 0x00, 0x80, 0x00, 5]),
            (i32::MIN as i64, &[0xF3, 0, 0, 0, 0x80, 5]),
            (i32::MAX as i64 + 1, &[0xF4, 0, 0, 0, 0x80, 0, 0, 0, 0, 9]),
            (i64::MIN, &[0xF4, 0, 0, 0, 0, 0, 0, 0, 0x80, 9]),
            (
                i64::MAX,
                &[0xF4, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 9],
            ),
        ];
        for &(n, bytes) in cases {
            let text = n.to_string();
            assert_eq!(single(text.as_bytes()), bytes, "{n}");
            let mut lp = Listpack::new();
            lp.push_back(Entry::Int(n));
            assert_eq!(lp.get(HEADER), Entry::Int(n));
        }
    }

    #[test]
    fn non_canonical_integers_stay_strings() {
        for s in [&b"+1"[..], b"01", b"-0", b" 1", b"9223372036854775808", b""] {
            let bytes = single(s);
            assert_eq!(bytes[0], 0x80 | s.len() as u8, "{s:?}");
        }
    }

    #[test]
    fn string_encodings_at_every_boundary() {
        for (len, head, backlen) in [
            (0, vec![0x80], vec![1]),
            (63, vec![0xBF], vec![64]),
            (64, vec![0xE0, 64], vec![66]),
            // 2 + 125 = 127: the largest one-byte backlen.
            (125, vec![0xE0, 125], vec![127]),
            (126, vec![0xE0, 126], vec![1, 128]),
            (4095, vec![0xEF, 0xFF], vec![32, 0x81]),
            (4096, vec![0xF0, 0, 0x10, 0, 0], vec![32, 0x85]),
            // 5 + 16377 = 16382 is the last two-byte backlen, 16383 needs three.
            (16377, vec![0xF0, 0xF9, 0x3F, 0, 0], vec![127, 0xFE]),
            (16378, vec![0xF0, 0xFA, 0x3F, 0, 0], vec![0, 0xFF, 0xFF]),
        ] {
            let s = vec![b'x'; len];
            let bytes = single(&s);
            assert_eq!(&bytes[..head.len()], &head[..], "len {len}");
            assert_eq!(&bytes[head.len() + len..], &backlen[..], "len {len}");
        }
    }

    #[test]
    fn backlen_round_trips() {
        for l in [
            0,
            127,
            128,
            16382,
            16383,
            2097150,
            2097151,
            268435454,
            268435455,
            1 << 34,
        ] {
            let mut buf = vec![0; backlen_size(l)];
            write_backlen(&mut buf, l);
            assert_eq!(read_backlen(&buf, buf.len() - 1), Some(l), "{l}");
        }
    }

    #[test]
    fn edits_and_iteration() {
        let mut lp = Listpack::new();
        for i in 0..10 {
            lp.push_back(Entry::Str(format!("v{i}").as_bytes()));
        }
        lp.push_front(Entry::Int(-1));
        assert_eq!(lp.len(), 11);
        let p = lp.seek(3).unwrap();
        assert_eq!(lp.get(p).to_vec(), b"v2");
        let q = lp.insert_after(p, Entry::Str(b"after"));
        assert_eq!(lp.get(q).to_vec(), b"after");
        lp.replace(lp.seek(-1).unwrap(), Entry::Str(&[b'y'; 300]));
        lp.delete(lp.seek(0).unwrap());
        let forward = entries(&lp);
        let mut backward: Vec<_> = lp.iter().rev().map(|e| e.to_vec()).collect();
        backward.reverse();
        assert_eq!(forward, backward);
        assert_eq!(forward[0], b"v0");
        assert_eq!(forward[3], b"after");
        assert_eq!(forward.last().unwrap(), &vec![b'y'; 300]);
        assert_eq!(lp.len(), 11);
        assert_eq!(Listpack::from_bytes(lp.as_bytes()).unwrap(), lp);
        let p = lp.find(lp.first().unwrap(), b"after", 0).unwrap();
        assert_eq!(lp.get(p).to_vec(), b"after");
        assert!(lp.find(HEADER, b"after", 1).is_none());
        assert!(lp.find(HEADER, b"v2", 1).is_some());
        assert!(lp.find(HEADER, b"v1", 1).is_none());
        lp.delete_run(lp.seek(1).unwrap(), 100);
        assert_eq!(entries(&lp), [b"v0"]);
        assert_eq!(lp.bytes_len(), lp.as_bytes().len());
    }

    #[test]
    fn builder_writes_what_a_listpack_holds() {
        // lpAppend of "a", "1", "-1", "1000" (checked against listpack.c).
        let redis = [
            0x12, 0, 0, 0, 4, 0, 0x81, b'a', 2, 0x01, 1, 0xDF, 0xFF, 2, 0xC3, 0xE8, 2, 0xFF,
        ];
        let mut buf = b"prefix".to_vec();
        let mut b = Builder::new(&mut buf);
        let mut lp = Listpack::new();
        for s in [&b"a"[..], b"1", b"-1", b"1000"] {
            b.push(Entry::Str(s));
            lp.push_back(Entry::Str(s));
        }
        assert_eq!(b.finish(), redis.len());
        assert_eq!(&buf[6..], redis);
        assert_eq!(lp.as_bytes(), redis);
        let sizes: usize = lp.iter().map(|e| e.encoded_size()).sum();
        assert_eq!(EMPTY_BYTES + sizes, redis.len());
        for cut in 0..redis.len() {
            assert!(Listpack::from_bytes(&redis[..cut]).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn find_compares_integers_by_value() {
        let mut lp = Listpack::new();
        lp.insert(lp.end(), &[Entry::Str(b"12"), Entry::Str(b"012")]);
        assert_eq!(lp.find(HEADER, b"12", 0), Some(HEADER));
        let second = lp.next(HEADER).unwrap();
        assert_eq!(lp.find(HEADER, b"012", 0), Some(second));
        assert_eq!(lp.find(HEADER, b"12.0", 0), None);
    }

    #[test]
    fn unknown_count_beyond_65534() {
        let mut lp = Listpack::new();
        let many: Vec<Entry> = (0..65536).map(Entry::Int).collect();
        lp.insert(lp.end(), &many);
        assert_eq!(lp.header_count(), COUNT_UNKNOWN);
        assert_eq!(lp.len(), 65536);
        assert_eq!(lp.seek(-1).map(|p| lp.get(p)), Some(Entry::Int(65535)));
        assert!(Listpack::from_bytes(lp.as_bytes()).is_ok());
    }

    #[test]
    fn random_edits_match_a_vec_model() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut lp = Listpack::new();
        let mut model: Vec<Vec<u8>> = Vec::new();
        for _ in 0..3000 {
            let value = match rng.random_range(0..4) {
                0 => rng.random::<i64>().to_string().into_bytes(),
                1 => rng.random_range(-5000..5000i64).to_string().into_bytes(),
                2 => vec![b'a'; rng.random_range(0..200)],
                _ => vec![b'b'; rng.random_range(4000..4200)],
            };
            let i = rng.random_range(0..=model.len());
            match rng.random_range(0..3) {
                0 if !model.is_empty() && i < model.len() => {
                    lp.delete(lp.seek(i as isize).unwrap());
                    model.remove(i);
                }
                1 if i < model.len() => {
                    lp.replace(lp.seek(i as isize).unwrap(), Entry::Str(&value));
                    model[i] = value;
                }
                _ => {
                    let p = lp.seek(i as isize).unwrap_or(lp.end());
                    lp.insert(p, &[Entry::Str(&value)]);
                    model.insert(i, value);
                }
            }
            assert_eq!(lp.len(), model.len());
        }
        assert_eq!(entries(&lp), model);
        assert!(validate(lp.as_bytes()).is_ok());
    }

    #[test]
    fn validation_rejects_corruption_without_panicking() {
        assert!(Listpack::from_bytes(&[]).is_err());
        assert!(Listpack::from_bytes(&[7, 0, 0, 0, 0, 0, 0xFE]).is_err());
        assert!(Listpack::from_bytes(&[8, 0, 0, 0, 0, 0, 0xFF]).is_err());
        assert!(Listpack::from_bytes(&[7, 0, 0, 0, 1, 0, 0xFF]).is_err());
        // An early terminator would hide trailing garbage.
        assert!(Listpack::from_bytes(&[9, 0, 0, 0, 0, 0, 0xFF, 1, 0xFF]).is_err());
        let mut lp = Listpack::new();
        for i in 0..40 {
            lp.push_back(Entry::Str(format!("element-{i}").as_bytes()));
            lp.push_back(Entry::Int(i * 1000));
        }
        lp.push_back(Entry::Str(&[b'z'; 5000]));
        let good = lp.as_bytes().to_vec();
        let mut rng = rand::rngs::StdRng::seed_from_u64(42);
        for _ in 0..20000 {
            let mut bad = good.clone();
            for _ in 0..rng.random_range(1..4) {
                let i = rng.random_range(0..bad.len());
                bad[i] = rng.random();
            }
            if rng.random_range(0..4) == 0 {
                bad.truncate(rng.random_range(0..bad.len()));
            }
            // Whatever passes validation must be fully traversable.
            if let Ok(lp) = Listpack::from_bytes(&bad) {
                let n = lp.iter().count();
                assert_eq!(lp.iter().rev().count(), n);
                assert_eq!(lp.len(), n);
            }
        }
    }
}
