//! The after-command step: what every change to the keyspace is followed
//! by, whoever made it — a client's command, the master link applying its
//! stream, eviction, active expiry (Redis's `afterCommand`,
//! `handleClientsBlockedOnKeys` and `propagatePendingCommands`).
//!
//! All of it runs with the engine locked, right after the change, so
//! blocked clients are served, watchers flagged, events published and
//! writes propagated in the order the changes happened.

use engine::Engine;

use crate::state::pubsub::Own;
use crate::state::Shared;

/// After one command: serves clients blocked on keys it filled (their pops
/// are commands too, so this loops until nothing is ready), flags
/// transactions watching keys it touched, and publishes its keyspace
/// events. `own` collects the events the calling client itself receives.
pub fn after_command(srv: &Shared, eng: &mut Engine, own: Option<&mut Own>) {
    srv.blocking()
        .serve_ready(eng, srv.counters(), srv.slowlog());
    srv.watchers().invalidate(eng);
    srv.publish_keyspace_events(eng, own);
}

/// The one place writes leave the engine: the replication stream (backlog
/// and replicas) and, later, the append-only file. Called once per batch of
/// commands, still under the lock that ordered them.
pub fn propagate(srv: &Shared, eng: &mut Engine) {
    crate::replication::feed(srv, eng);
}

/// After a change no client asked for (eviction, active expiry): the
/// command step and propagation at once.
pub fn after_background_change(srv: &Shared, eng: &mut Engine) {
    after_command(srv, eng, None);
    propagate(srv, eng);
}
