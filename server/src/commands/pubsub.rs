//! Pub/Sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH,
//! PUBSUB, and the shard variants (one shard here: the whole server).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use engine::command::flags::*;
use engine::command::{CommandDef, Group};
use engine::{glob, notify, Engine, Result};
use indexmap::IndexSet;
use parking_lot::Mutex;
use resp::{Protocol, Writer};

use super::{cmd, Call, ServerHandler};
use crate::clients::{Handle, Kind, LimitCheck, Mail};
use crate::session::Session;
use crate::state::Shared;

pub(super) fn commands() -> Vec<CommandDef<ServerHandler>> {
    const F: u32 = PUBSUB | NOSCRIPT | LOADING | STALE;
    let doc = |d: CommandDef<ServerHandler>, since, summary| d.doc(Group::PubSub, since, summary);
    static SUBS: &[CommandDef<ServerHandler>] = &[
        sub("channels", -2, channels, "Returns the active channels."),
        sub(
            "numsub",
            -2,
            numsub,
            "Returns a count of subscribers to channels.",
        ),
        sub(
            "numpat",
            2,
            numpat,
            "Returns a count of unique pattern subscriptions.",
        ),
        sub(
            "shardchannels",
            -2,
            channels,
            "Returns the active shard channels.",
        ),
        sub(
            "shardnumsub",
            -2,
            numsub,
            "Returns the count of subscribers of shard channels.",
        ),
        sub(
            "help",
            2,
            help,
            "Returns helpful text about the different subcommands.",
        ),
    ];
    vec![
        doc(
            cmd("subscribe", -2, F, subscribe),
            "2.0.0",
            "Listens for messages published to channels.",
        ),
        doc(
            cmd("unsubscribe", -1, F, unsubscribe),
            "2.0.0",
            "Stops listening to messages posted to channels.",
        ),
        doc(
            cmd("psubscribe", -2, F, psubscribe),
            "2.0.0",
            "Listens for messages published to channels that match one or more patterns.",
        ),
        doc(
            cmd("punsubscribe", -1, F, punsubscribe),
            "2.0.0",
            "Stops listening to messages published to channels that match one or more patterns.",
        ),
        doc(
            cmd("ssubscribe", -2, F, ssubscribe).keys(1, -1, 1),
            "7.0.0",
            "Listens for messages published to shard channels.",
        ),
        doc(
            cmd("sunsubscribe", -1, F, sunsubscribe).keys(1, -1, 1),
            "7.0.0",
            "Stops listening to messages posted to shard channels.",
        ),
        doc(
            cmd(
                "publish",
                3,
                PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
                publish,
            ),
            "2.0.0",
            "Posts a message to a channel.",
        ),
        doc(
            cmd(
                "spublish",
                3,
                PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
                spublish,
            )
            .keys(1, 1, 1),
            "7.0.0",
            "Post a message to a shard channel",
        ),
        CommandDef::container("pubsub", -2, SUBS).doc(
            Group::PubSub,
            "2.8.0",
            "A container for Pub/Sub commands.",
        ),
    ]
}

const fn sub(
    name: &'static str,
    arity: i32,
    h: ServerHandler,
    summary: &'static str,
) -> CommandDef<ServerHandler> {
    CommandDef::new(name, arity, PUBSUB | LOADING | STALE, h).doc(Group::PubSub, "2.8.0", summary)
}

/// Which namespace a subscription lives in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Space {
    Channel,
    Pattern,
    Shard,
}

impl Space {
    fn names(self) -> (&'static [u8], &'static [u8]) {
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

    fn set(&mut self, space: Space) -> &mut IndexSet<Bytes> {
        match space {
            Space::Channel => &mut self.channels,
            Space::Pattern => &mut self.patterns,
            Space::Shard => &mut self.shard,
        }
    }

    /// The count Redis reports after a (un)subscription in `space`.
    fn reported(&self, space: Space) -> usize {
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
    fn map(&self, space: Space) -> &Mutex<Subscribers> {
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
}

/// Commands a RESP2 client may send in subscribed mode.
pub fn allowed_when_subscribed(name: &str) -> bool {
    matches!(
        name,
        "subscribe"
            | "unsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "ssubscribe"
            | "sunsubscribe"
            | "ping"
            | "quit"
            | "reset"
    )
}

/// `[kind, name, count]` as a push (RESP3) or array (RESP2).
fn write_event(w: &mut Writer, kind: &[u8], name: Option<&[u8]>, count: usize) {
    w.push(3);
    w.bulk(kind);
    match name {
        Some(n) => w.bulk(n),
        None => w.null(),
    }
    w.integer(count as i64);
}

fn subscribe_in(call: &mut Call, space: Space) -> Result<()> {
    let (kind, _) = space.names();
    let names = call.args[1..].to_vec();
    for name in names {
        if call.session.subs.set(space).insert(name.clone()) {
            call.srv
                .pubsub
                .map(space)
                .lock()
                .entry(name.clone())
                .or_default()
                .push(call.session.handle.clone());
        }
        let count = call.session.subs.reported(space);
        write_event(&mut call.w(), kind, Some(&name), count);
    }
    call.session.handle.info.lock().kind = Kind::PubSub;
    Ok(())
}

fn unsubscribe_in(call: &mut Call, space: Space) -> Result<()> {
    let (_, kind) = space.names();
    let names: Vec<Bytes> = if call.args.len() > 1 {
        call.args[1..].to_vec()
    } else {
        call.session.subs.set(space).iter().cloned().collect()
    };
    if names.is_empty() {
        let count = call.session.subs.reported(space);
        write_event(&mut call.w(), kind, None, count);
    }
    for name in names {
        if call.session.subs.set(space).shift_remove(&name) {
            forget(call.srv, space, &name, call.session.id());
        }
        let count = call.session.subs.reported(space);
        write_event(&mut call.w(), kind, Some(&name), count);
    }
    if call.session.subs.is_empty() {
        call.session.handle.info.lock().kind = Kind::Normal;
    }
    Ok(())
}

fn forget(srv: &Shared, space: Space, name: &Bytes, id: u64) {
    let mut map = srv.pubsub.map(space).lock();
    if let Some(v) = map.get_mut(name) {
        v.retain(|h| h.id != id);
        if v.is_empty() {
            map.remove(name);
        }
    }
}

/// Drops every subscription of a closing (or RESET) client.
pub fn unsubscribe_all(srv: &Shared, session: &mut Session) {
    let id = session.id();
    for space in [Space::Channel, Space::Pattern, Space::Shard] {
        for name in std::mem::take(session.subs.set(space)) {
            forget(srv, space, &name, id);
        }
    }
}

fn subscribe(call: &mut Call) -> Result<()> {
    subscribe_in(call, Space::Channel)
}

fn unsubscribe(call: &mut Call) -> Result<()> {
    unsubscribe_in(call, Space::Channel)
}

fn psubscribe(call: &mut Call) -> Result<()> {
    subscribe_in(call, Space::Pattern)
}

fn punsubscribe(call: &mut Call) -> Result<()> {
    unsubscribe_in(call, Space::Pattern)
}

fn ssubscribe(call: &mut Call) -> Result<()> {
    subscribe_in(call, Space::Shard)
}

fn sunsubscribe(call: &mut Call) -> Result<()> {
    unsubscribe_in(call, Space::Shard)
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
    srv: &'a Shared,
    parts: Vec<&'a [u8]>,
    encoded: [Option<Bytes>; 2],
}

impl Delivery<'_> {
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
        let limit = self
            .srv
            .config
            .read()
            .settings()
            .client_output_buffer_limit
            .pubsub;
        let used = (to.pending() + bytes.len()) as u64;
        // A client being closed gets nothing more.
        if to.close_if_over_limit(used, &limit, LimitCheck::Append) {
            return;
        }
        to.send(Mail::Push(bytes));
    }
}

fn publish_to(
    srv: &Shared,
    channel: &[u8],
    message: &[u8],
    shard: bool,
    mut own: Option<&mut Own>,
) -> usize {
    let mut receivers = 0;
    let space = if shard { Space::Shard } else { Space::Channel };
    let kind: &[u8] = if shard { b"smessage" } else { b"message" };
    let targets: Vec<Arc<Handle>> = srv
        .pubsub
        .map(space)
        .lock()
        .get(channel)
        .cloned()
        .unwrap_or_default();
    let mut d = Delivery {
        srv,
        parts: vec![kind, channel, message],
        encoded: [None, None],
    };
    for h in &targets {
        d.deliver(h, &mut own);
        receivers += 1;
    }
    if shard {
        return receivers;
    }
    let patterns: Vec<(Bytes, Vec<Arc<Handle>>)> = srv
        .pubsub
        .patterns
        .lock()
        .iter()
        .filter(|(p, _)| glob::matches(p, channel, false))
        .map(|(p, v)| (p.clone(), v.clone()))
        .collect();
    for (pattern, handles) in patterns {
        let mut d = Delivery {
            srv,
            parts: vec![b"pmessage", &pattern, channel, message],
            encoded: [None, None],
        };
        for h in &handles {
            d.deliver(h, &mut own);
            receivers += 1;
        }
    }
    receivers
}

/// Publishes the keyspace events the engine recorded, in order, as Redis's
/// `notifyKeyspaceEvent` does: the event on `__keyspace@<db>__:<key>` (K)
/// and the key on `__keyevent@<db>__:<event>` (E). `own` collects what the
/// client whose command caused them receives itself.
pub fn publish_keyspace_events(srv: &Shared, eng: &mut Engine, mut own: Option<&mut Own>) {
    if !eng.has_notifications() {
        return;
    }
    let flags = eng.notify_flags();
    for n in eng.take_notifications() {
        if flags & notify::KEYSPACE != 0 {
            let own = own.as_deref_mut();
            publish_to(srv, &n.keyspace_channel(), n.event.as_bytes(), false, own);
        }
        if flags & notify::KEYEVENT != 0 {
            publish_to(
                srv,
                &n.keyevent_channel(),
                &n.key,
                false,
                own.as_deref_mut(),
            );
        }
    }
}

fn publish(call: &mut Call) -> Result<()> {
    publish_in(call, false)
}

fn spublish(call: &mut Call) -> Result<()> {
    publish_in(call, true)
}

/// PUBLISH / SPUBLISH: a message to the publisher itself comes before the
/// count, as in Redis.
fn publish_in(call: &mut Call, shard: bool) -> Result<()> {
    let mut own = Own::new(call.session.id());
    let n = publish_to(call.srv, call.arg(1), call.arg(2), shard, Some(&mut own));
    own.pushes
        .iter()
        .for_each(|p| call.out.extend_from_slice(p));
    call.w().integer(n as i64);
    Ok(())
}

fn space_of(call: &Call) -> Space {
    if call.arg(1).len() > 5 && call.arg(1)[..5].eq_ignore_ascii_case(b"shard") {
        Space::Shard
    } else {
        Space::Channel
    }
}

fn channels(call: &mut Call) -> Result<()> {
    let pattern = call.args.get(2).cloned();
    let names: Vec<Bytes> = call
        .srv
        .pubsub
        .map(space_of(call))
        .lock()
        .keys()
        .filter(|c| pattern.as_ref().is_none_or(|p| glob::matches(p, c, false)))
        .cloned()
        .collect();
    let mut w = call.w();
    w.array(names.len());
    names.iter().for_each(|n| w.bulk(n));
    Ok(())
}

fn numsub(call: &mut Call) -> Result<()> {
    let map = call.srv.pubsub.map(space_of(call)).lock();
    let counts: BTreeMap<usize, (Bytes, usize)> = call.args[2..]
        .iter()
        .enumerate()
        .map(|(i, c)| (i, (c.clone(), map.get(c).map_or(0, Vec::len))))
        .collect();
    drop(map);
    let mut w = call.w();
    w.map(counts.len());
    for (name, n) in counts.values() {
        w.bulk(name);
        w.integer(*n as i64);
    }
    Ok(())
}

fn numpat(call: &mut Call) -> Result<()> {
    let n = call.srv.pubsub.pattern_count();
    call.w().integer(n as i64);
    Ok(())
}

fn help(call: &mut Call) -> Result<()> {
    super::write_help(
        call,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
    Ok(())
}
