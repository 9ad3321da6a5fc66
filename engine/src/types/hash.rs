//! The hash value type. (Stub: being implemented.)

/// A hash value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hash {}

impl Hash {
    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        "unknown"
    }
}
