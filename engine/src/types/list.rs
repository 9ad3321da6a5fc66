//! The list value type. (Stub: being implemented.)

/// A list value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct List {}

impl List {
    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        "unknown"
    }
}
