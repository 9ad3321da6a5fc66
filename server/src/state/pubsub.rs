//! Pub/Sub state: every client's subscriptions, and delivering messages
//! (PUBLISH, keyspace events) to subscribers under the pubsub class's
//! output buffer limit.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use engine::{glob, notify, Engine};
use indexmap::IndexSet;
use parking_lot::Mutex;
use resp::{Protocol, Writer};

use super::clients::{Handle, LimitCheck, Mail};
use crate::config::ObufLimit;

/// Which namespace a subscription lives in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Space {
    Channel,
    Pattern,
    Shard,
}

impl Space {
    pub fn names(self) -> (&'static [u8], &'static [u8]) {
        match self {
            Space::Channel => (b"subscribe", b"unsubscribe"),
            Space::Pattern => (b"psubscribe", b"punsubscribe"),
            Space::Shard => (b"ssubscribe", b"sunsubscribe"),
        }
    }
}

/// A session's subscriptions, in subscription order.
#[derive(Default)]
pub struct Subscriptions {
    channels: IndexSet<Bytes>,
    patterns: IndexSet<Bytes>,
    shard: IndexSet<Bytes>,
}

impl Subscriptions {
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty() && self.patterns.is_empty() && self.shard.is_empty()
    }

    fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    pub fn set(&mut self, space: Space) -> &mut IndexSet<Bytes> {
        match space {
            Space::Channel => &mut self.channels,
            Space::Pattern => &mut self.patterns,
            Space::Shard => &mut self.shard,
        }
    }

    /// The count Redis reports after a (un)subscription in `space`.
    pub fn reported(&self, space: Space) -> usize {
        match space {
            Space::Shard => self.shard.len(),
            _ => self.count(),
        }
    }
}

type Subscribers = HashMap<Bytes, Vec<Arc<Handle>>>;

/// Every subscription of every client.
#[derive(Default)]
pub struct Registry {
    channels: Mutex<Subscribers>,
    patterns: Mutex<Subscribers>,
    shard: Mutex<Subscribers>,
}

impl Registry {
    pub fn map(&self, space: Space) -> &Mutex<Subscribers> {
        match space {
            Space::Channel => &self.channels,
            Space::Pattern => &self.patterns,
            Space::Shard => &self.shard,
        }
    }

    pub fn channel_count(&self) -> usize {
        self.channels.lock().len()
    }

    pub fn pattern_count(&self) -> usize {
        self.patterns.lock().len()
    }

    pub fn shard_channel_count(&self) -> usize {
        self.shard.lock().len()
    }

    /// Adds a subscriber of `name` in `space`.
    pub fn add(&self, space: Space, name: Bytes, client: Arc<Handle>) {
        self.map(space).lock().entry(name).or_default().push(client);
    }

    /// Removes client `id` from the subscribers of `name` in `space`.
    pub fn forget(&self, space: Space, name: &Bytes, id: u64) {
        let mut map = self.map(space).lock();
        if let Some(v) = map.get_mut(name) {
            v.retain(|h| h.id != id);
            if v.is_empty() {
                map.remove(name);
            }
        }
    }

    /// Drops every subscription of client `id` (closing, or RESET).
    pub fn unsubscribe_all(&self, subs: &mut Subscriptions, id: u64) {
        for space in [Space::Channel, Space::Pattern, Space::Shard] {
            for name in std::mem::take(subs.set(space)) {
                self.forget(space, &name, id);
            }
        }
    }

    /// Publishes `message` on `channel` (a shard channel when `shard`),
    /// to channel then pattern subscribers; returns how many received it.
    /// Subscribers whose output would break `limit` are closed instead.
    pub fn publish(
        &self,
        channel: &[u8],
        message: &[u8],
        shard: bool,
        limit: ObufLimit,
        mut own: Option<&mut Own>,
    ) -> usize {
        let mut receivers = 0;
        let space = if shard { Space::Shard } else { Space::Channel };
        let kind: &[u8] = if shard { b"smessage" } else { b"message" };
        let targets: Vec<Arc<Handle>> = self
            .map(space)
            .lock()
            .get(channel)
            .cloned()
            .unwrap_or_default();
        let mut d = Delivery::new(limit, vec![kind, channel, message]);
        for h in &targets {
            d.deliver(h, &mut own);
            receivers += 1;
        }
        if shard {
            return receivers;
        }
        let patterns: Vec<(Bytes, Vec<Arc<Handle>>)> = self
            .patterns
            .lock()
            .iter()
            .filter(|(p, _)| glob::matches(p, channel, false))
            .map(|(p, v)| (p.clone(), v.clone()))
            .collect();
        for (pattern, handles) in patterns {
            let mut d = Delivery::new(limit, vec![b"pmessage", &pattern, channel, message]);
            for h in &handles {
                d.deliver(h, &mut own);
                receivers += 1;
            }
        }
        receivers
    }

    /// Publishes the keyspace events the engine recorded, in order, as
    /// Redis's `notifyKeyspaceEvent` does: the event on
    /// `__keyspace@<db>__:<key>` (K) and the key on
    /// `__keyevent@<db>__:<event>` (E). `own` collects what the client
    /// whose command caused them receives itself.
    pub fn publish_keyspace_events(
        &self,
        eng: &mut Engine,
        limit: ObufLimit,
        mut own: Option<&mut Own>,
    ) {
        if !eng.has_notifications() {
            return;
        }
        let flags = eng.notify_flags();
        for n in eng.take_notifications() {
            if flags & notify::KEYSPACE != 0 {
                let channel = n.keyspace_channel();
                self.publish(
                    &channel,
                    n.event.as_bytes(),
                    false,
                    limit,
                    own.as_deref_mut(),
                );
            }
            if flags & notify::KEYEVENT != 0 {
                let channel = n.keyevent_channel();
                self.publish(&channel, &n.key, false, limit, own.as_deref_mut());
            }
        }
    }
}

/// The publishing client's own messages: collected rather than mailed, so
/// they reach its output before the reply of the command that caused them,
/// as in Redis (where they go straight into the client's output buffer).
pub struct Own {
    pub id: u64,
    pub pushes: Vec<Bytes>,
}

impl Own {
    pub fn new(id: u64) -> Own {
        Own {
            id,
            pushes: Vec::new(),
        }
    }
}

/// Encodes a message once per protocol and hands it to a subscriber,
/// disconnecting it if its output buffer breaks the pubsub limits.
struct Delivery<'a> {
    limit: ObufLimit,
    parts: Vec<&'a [u8]>,
    encoded: [Option<Bytes>; 2],
}

impl<'a> Delivery<'a> {
    fn new(limit: ObufLimit, parts: Vec<&'a [u8]>) -> Self {
        Delivery {
            limit,
            parts,
            encoded: [None, None],
        }
    }

    fn deliver(&mut self, to: &Handle, own: &mut Option<&mut Own>) {
        let proto = if to.info.lock().resp == 3 {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        };
        let slot = &mut self.encoded[usize::from(proto == Protocol::Resp3)];
        let bytes = slot
            .get_or_insert_with(|| {
                let mut buf = BytesMut::new();
                let mut w = Writer::new(&mut buf, proto);
                w.push(self.parts.len());
                self.parts.iter().for_each(|p| w.bulk(p));
                buf.freeze()
            })
            .clone();
        if let Some(own) = own.as_deref_mut().filter(|o| o.id == to.id) {
            own.pushes.push(bytes);
            return;
        }
        let used = (to.pending() + bytes.len()) as u64;
        // A client being closed gets nothing more.
        if to.close_if_over_limit(used, &self.limit, LimitCheck::Append) {
            return;
        }
        to.send(Mail::Push(bytes));
    }
}
