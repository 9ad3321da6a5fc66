//! Wiring of the replication crate into the server (placeholder until the
//! replication work lands).

use engine::persist::LoadStats;

use crate::state::Shared;

/// Replication id and offset to store in an RDB's aux fields.
pub fn aux(_srv: &Shared) -> Option<(String, i64)> {
    None
}

/// Takes the replication id and offset back from a loaded RDB.
pub fn restore_from_aux(_srv: &Shared, _stats: &LoadStats) {}
