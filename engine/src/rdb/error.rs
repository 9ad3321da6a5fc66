//! Errors of RDB reading and writing.

/// What went wrong reading or writing RDB data. Offsets count bytes from the
/// start of the file (or DUMP payload).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("RDB I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The data does not start with `REDIS` and four digits.
    #[error("wrong signature: not an RDB file")]
    BadSignature,
    /// A version this reader does not handle (it reads 1 to 12).
    #[error("can't handle RDB format version {0}")]
    UnsupportedVersion(u32),
    /// The data ends in the middle of something.
    #[error("unexpected end of RDB data at offset {offset}")]
    Truncated { offset: u64 },
    /// The data is malformed.
    #[error("corrupt RDB data at offset {offset}: {reason}")]
    Corrupt { offset: u64, reason: &'static str },
    /// A byte where an opcode or value type was expected is neither.
    #[error("corrupt RDB data at offset {offset}: unknown value type {rdb_type}")]
    UnknownType { offset: u64, rdb_type: u8 },
    /// A value type Redis has but this reader does not load (streams,
    /// hashes with field expiration).
    #[error("RDB value type {rdb_type} ({what}) is not supported")]
    UnsupportedType { rdb_type: u8, what: &'static str },
    /// Data of a Redis module (module values or module AUX data), which only
    /// that module can load. `name` is the module type's 9-character name.
    #[error("the RDB contains data of module type '{name}', which cannot be loaded")]
    Module { name: String },
    /// The same key twice in one database (Redis refuses such a file, unless
    /// merging on DEBUG RELOAD MERGE).
    #[error(
        "Duplicated key '{}' found in DB {db} of the RDB file",
        String::from_utf8_lossy(key)
    )]
    DuplicateKey { db: u32, key: Vec<u8> },
    /// The CRC64 at the end of the file does not match its contents.
    #[error("wrong RDB checksum: stored {stored:016x}, computed {computed:016x}")]
    Checksum { stored: u64, computed: u64 },
    /// A DUMP payload's footer is wrong: too short, a newer RDB version, or a
    /// CRC mismatch. RESTORE replies with exactly this text after `ERR `.
    #[error("DUMP payload version or checksum are wrong")]
    DumpPayload,
    /// A DUMP payload whose value is malformed or empty (RESTORE replies
    /// `ERR Bad data format`); `source` says why.
    #[error("Bad data format")]
    BadData { source: Box<Error> },
    /// The writer was given a value Redis cannot hold (e.g. a NaN score).
    #[error("cannot write to RDB: {0}")]
    InvalidValue(&'static str),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
