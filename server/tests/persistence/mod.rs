//! Harness for the persistence tests: nodes that stop and restart on their
//! own directory, the dataset every round trip carries, and starts that are
//! expected to fail.

pub mod dataset;
pub mod node;
pub mod refused;
