//! Command errors. `Display` is the exact reply text Redis sends (without
//! the leading `-`), starting with the error code.

/// Why a command failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,
    #[error("ERR value is not an integer or out of range")]
    NotInteger,
    #[error("ERR value is not a valid float")]
    NotFloat,
    #[error("ERR syntax error")]
    Syntax,
    #[error("ERR no such key")]
    NoSuchKey,
    #[error("ERR increment or decrement would overflow")]
    Overflow,
    #[error("ERR DB index is out of range")]
    DbIndex,
    #[error("ERR wrong number of arguments for '{0}' command")]
    Arity(String),
    #[error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")]
    StringTooLong,
    #[error("ERR invalid expire time in '{0}' command")]
    InvalidExpire(String),
    /// Any other error; the text includes its code (e.g. `ERR ...`).
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// An `ERR`-coded error with the given message.
    pub fn err(msg: impl std::fmt::Display) -> Error {
        Error::Other(format!("ERR {msg}"))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
