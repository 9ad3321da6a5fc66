//! Streaming RDB file writer.

use std::io::Write;

use super::encode::Encoder;
use super::sink::Sink;
use super::{opcode, Entry, KeyMeta, Object, Packed, Result, WriteOptions, RDB_VERSION};

/// Writes an RDB file to `W` one item at a time, in Redis's order:
/// [`Writer::new`] (the `REDIS0010` signature), AUX fields
/// ([`Writer::aux_fields`]), function libraries ([`Writer::function`]), then
/// per database [`Writer::select_db`] and its keys, then [`Writer::finish`]
/// (EOF opcode and CRC64).
///
/// Output is buffered (64 KiB) and the checksum computed on the fly; memory
/// use does not depend on the dataset's size.
pub struct Writer<W: Write> {
    sink: Sink<W>,
    encoder: Encoder,
    checksum: bool,
    db: Option<u32>,
    keys: u64,
}

/// The AUX fields Redis 7.0 writes at the start of every RDB file.
#[derive(Clone, Debug, Default)]
pub struct AuxFields<'a> {
    /// `redis-ver`, e.g. "7.0.15".
    pub redis_ver: &'a str,
    /// `ctime`: Unix time of the save, in seconds.
    pub ctime: i64,
    /// `used-mem`: bytes in use when saving.
    pub used_mem: u64,
    /// `repl-stream-db`, `repl-id`, `repl-offset`: written when the save is
    /// for replication or by a server that may resume as a master.
    pub repl: Option<ReplInfo<'a>>,
    /// `aof-base`: true when the RDB is the base of an AOF.
    pub aof_base: bool,
}

#[derive(Clone, Debug, Default)]
pub struct ReplInfo<'a> {
    pub stream_db: u32,
    pub id: &'a str,
    pub offset: i64,
}

impl<W: Write> Writer<W> {
    /// Starts a file: writes the signature and version.
    pub fn new(out: W, options: &WriteOptions) -> Result<Self> {
        let mut sink = Sink::new(out, options.compression);
        sink.raw(format!("REDIS{RDB_VERSION:04}").as_bytes())?;
        Ok(Writer {
            sink,
            encoder: Encoder::new(options.limits),
            checksum: options.checksum,
            db: None,
            keys: 0,
        })
    }

    /// One AUX field (`RDB_OPCODE_AUX`).
    pub fn aux(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.sink.byte(opcode::AUX);
        self.sink.string(key)?;
        self.sink.string(value)
    }

    /// Redis's standard AUX fields, in its order.
    pub fn aux_fields(&mut self, f: &AuxFields<'_>) -> Result<()> {
        let mut num = itoa::Buffer::new();
        self.aux(b"redis-ver", f.redis_ver.as_bytes())?;
        self.aux(b"redis-bits", b"64")?;
        self.aux(b"ctime", num.format(f.ctime).as_bytes())?;
        self.aux(b"used-mem", num.format(f.used_mem).as_bytes())?;
        if let Some(r) = &f.repl {
            self.aux(b"repl-stream-db", num.format(r.stream_db).as_bytes())?;
            self.aux(b"repl-id", r.id.as_bytes())?;
            self.aux(b"repl-offset", num.format(r.offset).as_bytes())?;
        }
        self.aux(b"aof-base", if f.aof_base { b"1" } else { b"0" })
    }

    /// A function library (`RDB_OPCODE_FUNCTION2` with its source code).
    pub fn function(&mut self, code: &[u8]) -> Result<()> {
        self.sink.byte(opcode::FUNCTION2);
        self.sink.string(code)
    }

    /// Starts database `db` (SELECTDB), with RESIZEDB's size hints: its key
    /// count and how many of them have an expiry.
    pub fn select_db(&mut self, db: u32, keys: u64, expires: u64) -> Result<()> {
        self.sink.byte(opcode::SELECTDB);
        self.sink.len(db as u64);
        self.sink.byte(opcode::RESIZEDB);
        self.sink.len(keys);
        self.sink.len(expires);
        self.db = Some(db);
        self.sink.maybe_flush()
    }

    /// Writes an [`Entry`], first selecting its database (without size
    /// hints) if it is not the current one.
    pub fn write_entry(&mut self, e: &Entry) -> Result<()> {
        if self.db != Some(e.db) {
            self.sink.byte(opcode::SELECTDB);
            self.sink.len(e.db as u64);
            self.db = Some(e.db);
        }
        self.write_object(&e.key, &e.meta(), &e.object)
    }

    /// Writes a key holding `object` in the current database.
    pub fn write_object(&mut self, key: &[u8], meta: &KeyMeta, object: &Object) -> Result<()> {
        let written =
            self.encoder
                .object(&mut self.sink, |s, t| key_head(s, t, key, meta), object)?;
        self.done(written)
    }

    /// Writes a string key.
    pub fn write_string(&mut self, key: &[u8], meta: &KeyMeta, value: &[u8]) -> Result<()> {
        let written =
            self.encoder
                .string(&mut self.sink, |s, t| key_head(s, t, key, meta), value)?;
        self.done(written)
    }

    /// Writes a key holding a listpack or intset, copied as it is.
    pub fn write_packed(&mut self, key: &[u8], meta: &KeyMeta, packed: Packed<'_>) -> Result<()> {
        let written =
            self.encoder
                .packed(&mut self.sink, |s, t| key_head(s, t, key, meta), packed)?;
        self.done(written)
    }

    /// Writes a list key from its elements, head to tail. The iterator is
    /// walked twice (to plan the quicklist nodes, then to write them).
    pub fn write_list<I, T>(&mut self, key: &[u8], meta: &KeyMeta, items: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: Clone,
        T: AsRef<[u8]>,
    {
        let written = self
            .encoder
            .list(&mut self.sink, |s, t| key_head(s, t, key, meta), items)?;
        self.done(written)
    }

    /// Writes a set key from its (distinct) members.
    pub fn write_set<I, T>(&mut self, key: &[u8], meta: &KeyMeta, members: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: Clone,
        T: AsRef<[u8]>,
    {
        let written =
            self.encoder
                .set(&mut self.sink, |s, t| key_head(s, t, key, meta), members)?;
        self.done(written)
    }

    /// Writes a hash key from its (distinct) fields and values.
    pub fn write_hash<I, K, V>(&mut self, key: &[u8], meta: &KeyMeta, pairs: I) -> Result<()>
    where
        I: IntoIterator<Item = (K, V)>,
        I::IntoIter: Clone,
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        let written = self
            .encoder
            .hash(&mut self.sink, |s, t| key_head(s, t, key, meta), pairs)?;
        self.done(written)
    }

    /// Writes a sorted set key from its (distinct) members and scores. Large
    /// sets are written in the order given: pass them highest score first,
    /// as Redis does, for the fastest load.
    pub fn write_zset<I, T>(&mut self, key: &[u8], meta: &KeyMeta, items: I) -> Result<()>
    where
        I: IntoIterator<Item = (T, f64)>,
        I::IntoIter: Clone,
        T: AsRef<[u8]>,
    {
        let written = self
            .encoder
            .zset(&mut self.sink, |s, t| key_head(s, t, key, meta), items)?;
        self.done(written)
    }

    fn done(&mut self, written: bool) -> Result<()> {
        self.keys += written as u64;
        self.sink.maybe_flush()
    }

    /// Keys written so far (empty collections are skipped, not written).
    pub fn keys_written(&self) -> u64 {
        self.keys
    }

    /// Bytes produced so far.
    pub fn bytes_written(&self) -> u64 {
        self.sink.position()
    }

    /// Ends the file: EOF opcode and the CRC64 of everything before (0 when
    /// checksums are off), flushes and returns the writer.
    pub fn finish(mut self) -> Result<W> {
        self.sink.byte(opcode::EOF);
        let crc = if self.checksum { self.sink.crc() } else { 0 };
        self.sink.raw(&crc.to_le_bytes())?;
        self.sink.flush()?;
        Ok(self.sink.into_inner())
    }
}

/// What precedes a value in a file: expiry, LRU/LFU hints, type, key.
fn key_head<W: Write>(s: &mut Sink<W>, rdb_type: u8, key: &[u8], meta: &KeyMeta) -> Result<()> {
    if let Some(t) = meta.expire_ms {
        s.byte(opcode::EXPIRETIME_MS);
        s.millis(t);
    }
    if let Some(idle) = meta.lru_idle {
        s.byte(opcode::IDLE);
        s.len(idle);
    }
    if let Some(freq) = meta.lfu_freq {
        s.byte(opcode::FREQ);
        s.byte(freq);
    }
    s.byte(rdb_type);
    s.string(key)
}
