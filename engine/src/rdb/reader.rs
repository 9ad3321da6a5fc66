//! Streaming RDB file reader.

use std::io::Read;

use bytes::Bytes;

use super::decode::{module_name, read_value, Decoded};
use super::source::Source;
use super::{opcode, rdb_type, Entry, Error, PackedEntry, Result, MAX_READ_VERSION};

/// What an RDB file holds, in file order.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// An AUX field (`redis-ver`, `ctime`, `repl-id`, ...). Unknown ones are
    /// to be ignored, as Redis does.
    Aux { key: Bytes, value: Bytes },
    /// The following keys belong to database `db` (the caller checks that it
    /// exists: Redis refuses to start otherwise).
    SelectDb(u32),
    /// Size hints for the current database.
    ResizeDb { keys: u64, expires: u64 },
    /// A function library's source code (`FUNCTION LOAD` payload). Old 7.0
    /// release-candidate records are converted to the same form, as Redis
    /// does. A loader without functions should log and skip it.
    Function(Bytes),
    /// A key. Keys whose expiry is in the past are reported like any other:
    /// whether to drop them is the caller's policy (Redis drops them when
    /// loading as a master).
    Entry(Entry),
    /// A key whose value is kept as the file's listpack or intset; only
    /// with [`Reader::set_keep_packed`], otherwise such keys come as
    /// [`Event::Entry`].
    Packed(PackedEntry),
    /// End of file. `checksum` is the CRC64 stored in the file, verified
    /// unless verification was turned off; `None` when the file has none
    /// (version < 5) or it is 0 ("saved without checksum").
    End { checksum: Option<u64> },
}

/// Reads an RDB file from `R` one [`Event`] at a time, validating
/// everything; ends with [`Event::End`] once the checksum is verified.
/// Also an iterator of `Result<Event>` that stops after the end or the
/// first error.
///
/// Reads ahead in 64 KiB blocks; [`Reader::into_parts`] returns what was
/// read beyond the end of the RDB data.
pub struct Reader<R: Read> {
    src: Source<R>,
    version: u16,
    verify_checksum: bool,
    keep_packed: bool,
    db: u32,
    done: bool,
    empty_keys_skipped: u64,
}

impl<R: Read> Reader<R> {
    /// Reads and checks the signature and version.
    pub fn new(input: R) -> Result<Self> {
        let mut src = Source::new(input);
        let magic: [u8; 9] = src.array().map_err(|e| match e {
            Error::Truncated { .. } => Error::BadSignature,
            e => e,
        })?;
        if &magic[..5] != b"REDIS" || !magic[5..].iter().all(u8::is_ascii_digit) {
            return Err(Error::BadSignature);
        }
        let version = magic[5..]
            .iter()
            .fold(0u32, |v, d| v * 10 + (d - b'0') as u32);
        if version < 1 || version > MAX_READ_VERSION as u32 {
            return Err(Error::UnsupportedVersion(version));
        }
        Ok(Reader {
            src,
            version: version as u16,
            verify_checksum: true,
            keep_packed: false,
            db: 0,
            done: false,
            empty_keys_skipped: 0,
        })
    }

    /// The file's RDB version.
    pub fn version(&self) -> u16 {
        self.version
    }

    /// Whether to compare the stored checksum with the data (`rdbchecksum`
    /// / `skip-checksum-validation`); on by default.
    pub fn set_verify_checksum(&mut self, verify: bool) {
        self.verify_checksum = verify;
    }

    /// Whether to hand over listpack hashes, intsets and listpack sorted
    /// sets (those in Redis's order) as [`Event::Packed`], checked as
    /// strictly but not unpacked, for a loader that stores them as they
    /// are; off by default.
    pub fn set_keep_packed(&mut self, keep: bool) {
        self.keep_packed = keep;
    }

    /// Bytes consumed so far (for progress reports).
    pub fn offset(&self) -> u64 {
        self.src.offset()
    }

    /// Empty collections found and skipped (Redis skips them too, logging
    /// "skipping empty key").
    pub fn empty_keys_skipped(&self) -> u64 {
        self.empty_keys_skipped
    }

    /// The underlying reader and the bytes read ahead from it but not
    /// consumed (e.g. the replication stream after a full-sync payload).
    pub fn into_parts(self) -> (R, Vec<u8>) {
        self.src.into_parts()
    }

    /// The next event; `Ok(None)` after [`Event::End`].
    pub fn next_event(&mut self) -> Result<Option<Event>> {
        if self.done {
            return Ok(None);
        }
        let event = self.read_event();
        if !matches!(event, Ok(Some(ref e)) if !matches!(e, Event::End { .. })) {
            self.done = true;
        }
        event
    }

    fn read_event(&mut self) -> Result<Option<Event>> {
        let src = &mut self.src;
        let mut entry = Entry {
            db: self.db,
            key: Bytes::new(),
            object: super::Object::String(Bytes::new()),
            expire_ms: None,
            lru_idle: None,
            lfu_freq: None,
        };
        loop {
            let op = src.u8()?;
            match op {
                opcode::EXPIRETIME_MS => entry.expire_ms = Some(src.millis()?),
                opcode::EXPIRETIME => {
                    entry.expire_ms = Some(i32::from_le_bytes(src.array()?) as i64 * 1000);
                }
                opcode::IDLE => entry.lru_idle = Some(src.len()?),
                opcode::FREQ => entry.lfu_freq = Some(src.u8()?),
                opcode::SELECTDB => {
                    let db = src.len()?;
                    self.db =
                        u32::try_from(db).map_err(|_| src.corrupt("database number too large"))?;
                    return Ok(Some(Event::SelectDb(self.db)));
                }
                opcode::RESIZEDB => {
                    let keys = src.len()?;
                    let expires = src.len()?;
                    return Ok(Some(Event::ResizeDb { keys, expires }));
                }
                opcode::AUX => {
                    let key = src.string()?.into();
                    let value = src.string()?.into();
                    return Ok(Some(Event::Aux { key, value }));
                }
                opcode::MODULE_AUX => {
                    let id = src.len()?;
                    return Err(Error::Module {
                        name: module_name(id),
                    });
                }
                opcode::FUNCTION2 => return Ok(Some(Event::Function(src.string()?.into()))),
                opcode::FUNCTION_PRE_GA => {
                    let name = src.string()?;
                    let engine = src.string()?;
                    if src.len()? != 0 {
                        src.string()?; // description, dropped as Redis does
                    }
                    let body = src.string()?;
                    let mut code = format!(
                        "#!{} name={}\n",
                        String::from_utf8_lossy(&engine),
                        String::from_utf8_lossy(&name)
                    )
                    .into_bytes();
                    code.extend_from_slice(&body);
                    return Ok(Some(Event::Function(code.into())));
                }
                opcode::SLOT_INFO => {
                    // Cluster slot sizes (7.4): hints only.
                    for _ in 0..3 {
                        src.len()?;
                    }
                }
                opcode::EOF => return self.end().map(Some),
                t if rdb_type::is_object_type(t) => {
                    entry.key = src.string()?.into();
                    match read_value(src, t, self.keep_packed)? {
                        Some(Decoded::Object(object)) => {
                            entry.object = object;
                            return Ok(Some(Event::Entry(entry)));
                        }
                        Some(Decoded::Packed(object)) => {
                            return Ok(Some(Event::Packed(PackedEntry {
                                db: entry.db,
                                meta: entry.meta(),
                                key: entry.key,
                                object,
                            })));
                        }
                        None => {
                            self.empty_keys_skipped += 1;
                            entry.expire_ms = None;
                            entry.lru_idle = None;
                            entry.lfu_freq = None;
                        }
                    }
                }
                t => {
                    return Err(Error::UnknownType {
                        offset: src.offset() - 1,
                        rdb_type: t,
                    })
                }
            }
        }
    }

    fn end(&mut self) -> Result<Event> {
        if self.version < 5 {
            return Ok(Event::End { checksum: None });
        }
        let computed = self.src.crc();
        let stored = u64::from_le_bytes(self.src.array()?);
        if stored == 0 {
            return Ok(Event::End { checksum: None });
        }
        if self.verify_checksum && stored != computed {
            return Err(Error::Checksum { stored, computed });
        }
        Ok(Event::End {
            checksum: Some(stored),
        })
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Event>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_event().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdb::{KeyMeta, Object, Packed, PackedObject, WriteOptions, Writer};
    use crate::types::{Entry as Element, Intset, Listpack};

    fn listpack(items: &[&str]) -> Listpack {
        let mut lp = Listpack::new();
        for i in items {
            lp.push_back(Element::Str(i.as_bytes()));
        }
        lp
    }

    /// A file of one key per value, keys "0", "1", ...
    fn file(values: &[Packed<'_>]) -> Vec<u8> {
        let mut w = Writer::new(Vec::new(), &WriteOptions::default()).unwrap();
        for (i, &v) in values.iter().enumerate() {
            w.write_packed(i.to_string().as_bytes(), &KeyMeta::default(), v)
                .unwrap();
        }
        w.finish().unwrap()
    }

    fn read(data: &[u8], keep_packed: bool) -> Result<Vec<Event>> {
        let mut r = Reader::new(data)?;
        r.set_keep_packed(keep_packed);
        r.filter(|e| !matches!(e, Ok(Event::End { .. }) | Ok(Event::SelectDb(_))))
            .collect()
    }

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn packed_values_are_kept_or_unpacked() {
        let hash = listpack(&["f", "v", "n", "12"]);
        let zset = listpack(&["a", "1", "b", "2.5"]);
        let unordered = listpack(&["b", "2", "a", "1"]);
        let set = Intset::from_sorted(&[-1, 70000]);
        let empty = Listpack::new();
        let data = file(&[
            Packed::Hash(&hash),
            Packed::ZSet(&zset),
            Packed::ZSet(&unordered),
            Packed::Set(&set),
            Packed::Hash(&empty),
        ]);
        let unpacked = [
            Object::Hash(vec![(b("f"), b("v")), (b("n"), b("12"))]),
            Object::ZSet(vec![(b("a"), 1.0), (b("b"), 2.5)]),
            Object::ZSet(vec![(b("b"), 2.0), (b("a"), 1.0)]),
            Object::Set(vec![b("-1"), b("70000")]),
        ];
        let objects: Vec<Object> = read(&data, false)
            .unwrap()
            .into_iter()
            .map(|e| match e {
                Event::Entry(e) => e.object,
                e => panic!("unpacked {e:?}"),
            })
            .collect();
        assert_eq!(objects, unpacked);

        let kept = read(&data, true).unwrap();
        assert_eq!(kept.len(), 4, "the empty hash is not written");
        let packed = |i: usize| match &kept[i] {
            Event::Packed(e) => e.object.clone(),
            e => panic!("kept {e:?}"),
        };
        assert_eq!(packed(0), PackedObject::Hash(hash));
        assert_eq!(packed(1), PackedObject::ZSet(zset));
        assert_eq!(packed(3), PackedObject::Set(set));
        // Out of Redis's order, a sorted set is no in-memory listpack.
        assert!(matches!(&kept[2], Event::Entry(e) if e.object == unpacked[2]));
    }

    #[test]
    fn packed_values_are_checked() {
        let raw = |entries: &[u8], count: u8| {
            let mut lp = vec![0, 0, 0, 0, count, 0];
            lp.extend_from_slice(entries);
            lp.push(0xFF);
            lp[0] = lp.len() as u8;
            Listpack::from_bytes(&lp).unwrap()
        };
        // 12 as an integer, then "12" as a string: the same field (member).
        let repeated = raw(&[0x0C, 1, 0x01, 1, 0x82, b'1', b'2', 3, 0x02, 1], 4);
        let bad_score = listpack(&["a", "x"]);
        let odd = listpack(&["a"]);
        for (value, why) in [
            (Packed::Hash(&repeated), "duplicate hash fields"),
            (Packed::ZSet(&repeated), "duplicate sorted set members"),
            (Packed::ZSet(&bad_score), "invalid sorted set score"),
            (
                Packed::Hash(&odd),
                "odd number of elements in a hash or sorted set",
            ),
        ] {
            let data = file(&[value]);
            for keep in [false, true] {
                match read(&data, keep) {
                    Err(Error::Corrupt { reason, .. }) => assert_eq!(reason, why),
                    r => panic!("{value:?}: {r:?}"),
                }
            }
        }
        let mut data = file(&[Packed::Hash(&listpack(&["f", "v"]))]);
        // The backlen of "v", before the listpack's terminator, the EOF
        // opcode and the checksum.
        let at = data.len() - 8 - 1 - 1 - 1;
        data[at] ^= 0x40;
        let mut r = Reader::new(&data[..]).unwrap();
        r.set_verify_checksum(false);
        match r.find(|e| e.is_err()) {
            Some(Err(Error::Corrupt { reason, .. })) => {
                assert_eq!(reason, "listpack backlen does not match its entry")
            }
            r => panic!("{r:?}"),
        }
    }
}
