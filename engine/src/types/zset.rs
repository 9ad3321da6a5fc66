//! The zset value type. (Stub: being implemented.)

/// A zset value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ZSet {}

impl ZSet {
    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        "unknown"
    }
}
