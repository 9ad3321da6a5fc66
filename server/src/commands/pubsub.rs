//! Pub/Sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH,
//! PUBSUB, and the shard variants (one shard here: the whole server).

use bytes::Bytes;
use engine::command::flags::*;
use engine::command::{CommandDef, Group};
use engine::{glob, Result};
use resp::Writer;

use super::{cmd, Call, ServerHandler};
use crate::state::clients::Kind;
use crate::state::pubsub::{Own, Space};

pub(super) fn commands() -> Vec<CommandDef<ServerHandler>> {
    const F: u32 = PUBSUB | NOSCRIPT | LOADING | STALE | SUBSCRIBED_OK;
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
            let client = call.session.handle.clone();
            call.srv.pubsub().add(space, name.clone(), client);
        }
        let count = call.session.subs.reported(space);
        write_event(&mut call.w(), kind, Some(&name), count);
    }
    call.session.handle.info.lock().kind = Kind::PubSub;
    call.session.pushing = true;
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
            call.srv.pubsub().forget(space, &name, call.session.id());
        }
        let count = call.session.subs.reported(space);
        write_event(&mut call.w(), kind, Some(&name), count);
    }
    if call.session.subs.is_empty() {
        call.session.handle.info.lock().kind = Kind::Normal;
    }
    call.session.pushing = true;
    Ok(())
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
    let n = call
        .srv
        .publish(call.arg(1), call.arg(2), shard, Some(&mut own));
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
    if call.args.len() > 3 {
        return Err(subcommand_syntax(call));
    }
    let pattern = call.args.get(2).cloned();
    let names: Vec<Bytes> = call
        .srv
        .pubsub()
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
    let map = call.srv.pubsub().map(space_of(call)).lock();
    let counts: Vec<(Bytes, usize)> = call.args[2..]
        .iter()
        .map(|c| (c.clone(), map.get(c).map_or(0, Vec::len)))
        .collect();
    drop(map);
    // A flat array in RESP3 too, as Redis 7.0 replies.
    let mut w = call.w();
    w.array(counts.len() * 2);
    for (name, n) in &counts {
        w.bulk(name);
        w.integer(*n as i64);
    }
    Ok(())
}

/// Redis's `addReplySubcommandSyntaxError`.
fn subcommand_syntax(call: &Call) -> engine::Error {
    let typed = String::from_utf8_lossy(&call.arg(1)[..call.arg(1).len().min(128)]).into_owned();
    engine::Error::err(format!(
        "unknown subcommand or wrong number of arguments for '{typed}'. Try PUBSUB HELP."
    ))
}

fn numpat(call: &mut Call) -> Result<()> {
    let n = call.srv.pubsub().pattern_count();
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
