//! The master side of replication: the stream of writes fed to replicas
//! and the backlog, PSYNC answers, full syncs, acknowledgements, and the
//! periodic pings and timeouts. The state it acts on is
//! [`crate::state::repl`]; the link to our own master is
//! [`crate::master_link`]; the protocol itself is in the `replication`
//! crate.
//!
//! Lock order: the engine, then the replication state. Writes reach the
//! stream in [`feed`], called by the after-command step with the engine
//! locked, so the stream order is the execution order.

mod full_sync;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use engine::Engine;

use crate::log::log;
use crate::state::repl::{Link, LinkState, ReplicaState, State};
use crate::state::Shared;

pub use full_sync::{ack, full_sync, psync};

/// Appends the writes the engine recorded to the stream and hands them to
/// every replica. Called with the engine locked after each command.
pub fn feed(srv: &Shared, eng: &mut Engine) {
    if eng.propagated_len() == 0 {
        return;
    }
    let writes = eng.take_propagated();
    let mut st = srv.repl().state.lock();
    let bytes = st.master.feed(&writes);
    send_to_replicas(&st, bytes);
}

/// Sends stream bytes to every replica past its snapshot point, closing
/// those whose output buffer it takes over the replica class's limit.
fn send_to_replicas(st: &State, bytes: bytes::Bytes) {
    if bytes.is_empty() {
        return;
    }
    for r in &st.replicas {
        if r.state != ReplicaState::WaitBgsave {
            r.handle.send_stream(bytes.clone());
        }
    }
}

/// Appends raw stream bytes (PING, GETACK, our master's relayed stream).
pub fn feed_raw(srv: &Shared, bytes: bytes::Bytes) {
    let mut st = srv.repl().state.lock();
    st.master.feed_raw(&bytes);
    send_to_replicas(&st, bytes);
}

/// Forgets a closing connection that was one of our replicas.
pub fn forget_replica(srv: &Shared, id: u64) {
    let mut st = srv.repl().state.lock();
    let before = st.replicas.len();
    st.replicas.retain(|r| r.handle.id != id);
    if st.replicas.len() != before {
        log!(Notice, "Connection with replica client id #{id} lost.");
        if st.replicas.is_empty() {
            st.no_replicas_since = Some(Instant::now());
        }
    }
}

/// Closes the links of all our replicas (Redis's `disconnectSlaves`): our
/// replication id changed (a new master, a promotion, a master's new id),
/// and a replica only learns it by reconnecting, usually continuing
/// partially. Left attached, it would keep counting the stream under
/// the old id and ask for a history nobody has later.
pub(crate) fn disconnect_replicas(st: &mut State) {
    if st.replicas.is_empty() {
        return;
    }
    for r in st.replicas.drain(..) {
        r.handle.kill();
    }
    st.no_replicas_since = Some(Instant::now());
}

/// Number of replicas whose acknowledged offset reached `offset`.
pub fn acked(srv: &Shared, offset: i64) -> usize {
    let st = srv.repl().state.lock();
    st.replicas
        .iter()
        .filter(|r| r.state == ReplicaState::Online && r.ack_offset >= offset)
        .count()
}

/// Periodic work: PING replicas, drop silent ones, expire the backlog.
pub fn cron(srv: &Arc<Shared>) {
    let (period, timeout, ttl) = {
        let cfg = srv.config().read();
        let s = cfg.settings();
        (
            s.repl_ping_replica_period.max(1),
            s.repl_timeout.max(1),
            s.repl_backlog_ttl,
        )
    };
    let mut eng = srv.engine().lock();
    let mut st = srv.repl().state.lock();
    let has_replicas = !st.replicas.is_empty();
    if has_replicas
        && !srv.repl().is_replica()
        && st.last_ping.elapsed().as_secs() >= u64::from(period)
    {
        st.last_ping = Instant::now();
        let mut ping = bytes::BytesMut::new();
        replication::encode_command(&mut ping, &["PING"]);
        st.master.feed_raw(&ping);
        send_to_replicas(&st, ping.freeze());
    }
    for r in &st.replicas {
        if r.state == ReplicaState::Online && r.ack_time.elapsed().as_secs() > u64::from(timeout) {
            log!(
                Warning,
                "Disconnecting timedout replica (streaming sync): {}:{}",
                r.ip,
                r.port
            );
            r.handle.kill();
        }
    }
    if !has_replicas && !srv.repl().is_replica() && ttl > 0 {
        if let Some(since) = st.no_replicas_since {
            // Redis frees it once more than `ttl` whole seconds passed.
            if since.elapsed().as_secs() > ttl && st.master.backlog().is_some() {
                st.master.expire_backlog();
                eng.set_recording(false);
                log!(
                    Notice,
                    "Replication backlog freed after {ttl} seconds without connected replicas."
                );
            }
        }
    }
}

/// Makes us a replica of `host:port` (REPLICAOF, config, --slaveof). The
/// previous link, if any, stops; our own history is offered to the new
/// master for a partial resync.
pub fn become_replica(srv: &Shared, host: String, port: u16) {
    srv.repl().generation.fetch_add(1, Ordering::SeqCst);
    {
        let mut eng = srv.engine().lock();
        eng.replica = true;
        eng.set_recording(false);
        // Served later, they would pop what our master's stream pushes.
        srv.blocking().unblock_all(
            &mut eng,
            b"-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n",
        );
        let mut st = srv.repl().state.lock();
        if let Some(old) = st.link.take() {
            if let Some(c) = old.client {
                c.kill();
            }
        }
        disconnect_replicas(&mut st);
        st.link = Some(Link {
            host: host.clone(),
            port,
            state: LinkState::Connect,
            last_io: Instant::now(),
            down_since: Instant::now(),
            sync_total: None,
            sync_read: 0,
            client: None,
        });
    }
    srv.repl().set_replica(true);
    srv.repl().set_link_up(false);
    crate::log::set_role(b'S');
    // The link task (crate::master_link) starts on this.
    srv.repl().link_changed.notify_one();
}

/// Stops being a replica (REPLICAOF NO ONE): keeps the data and the
/// history, under a new id (the old one stays valid as the secondary).
pub fn become_master(srv: &Shared) {
    srv.repl().generation.fetch_add(1, Ordering::SeqCst);
    let mut eng = srv.engine().lock();
    eng.replica = false;
    let mut st = srv.repl().state.lock();
    if let Some(link) = st.link.take() {
        if let Some(c) = link.client {
            c.kill();
        }
    }
    st.master.shift_replid();
    disconnect_replicas(&mut st);
    if st.master.backlog().is_some() {
        eng.set_recording(true);
    }
    srv.repl().set_replica(false);
    srv.repl().set_link_up(false);
    crate::log::set_role(b'M');
}
