//! The set value type. (Stub: being implemented.)

/// A set value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Set {}

impl Set {
    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        "unknown"
    }
}
