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
    /// An error quoting request bytes that need not be UTF-8: Redis echoes
    /// them as they are ([`Error::to_bytes`]); the text includes its code.
    #[error("{}", String::from_utf8_lossy(.0))]
    Bytes(Vec<u8>),
}

impl Error {
    /// An `ERR`-coded error with the given message.
    pub fn err(msg: impl std::fmt::Display) -> Error {
        Error::Other(format!("ERR {msg}"))
    }
}

impl Error {
    /// An `ERR`-coded error made of `parts`, bytes kept as they are.
    pub fn err_bytes(parts: &[&[u8]]) -> Error {
        let mut text = b"ERR ".to_vec();
        parts.iter().for_each(|p| text.extend_from_slice(p));
        Error::Bytes(text)
    }

    /// The exact reply text (without the leading `-`).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Error::Bytes(b) => b.clone(),
            e => e.to_string().into_bytes(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
