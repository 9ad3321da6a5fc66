//! XGROUP (CREATE SETID DESTROY CREATECONSUMER DELCONSUMER HELP), XACK,
//! XPENDING, XCLAIM and XAUTOCLAIM.

use resp::Writer;

use super::read::{setid_args, xclaim_args};
use super::{
    id_bytes, no_such_group, parse_bound, parse_id, read_stream, sub, write_id, write_item,
    write_stream,
};
use crate::command::args::{self, is};
use crate::command::flags::*;
use crate::command::{CommandDef, Ctx, Handler};
use crate::notify;
use crate::types::stream::{Group, Item, Nack, Stream, StreamId};
use crate::{Error, Result, Value};

pub(super) static XGROUP: [CommandDef<Handler>; 6] = [
    sub(
        "create",
        -5,
        WRITE | DENYOOM,
        create,
        "Create a consumer group.",
    ),
    sub(
        "createconsumer",
        5,
        WRITE | DENYOOM,
        createconsumer,
        "Create a consumer in a consumer group.",
    ),
    sub(
        "delconsumer",
        5,
        WRITE,
        delconsumer,
        "Delete a consumer from a consumer group.",
    ),
    sub("destroy", 4, WRITE, destroy, "Destroy a consumer group."),
    sub(
        "help",
        2,
        LOADING | STALE,
        help,
        "Show helpful text about the different subcommands",
    ),
    sub(
        "setid",
        -5,
        WRITE,
        setid,
        "Set a consumer group to an arbitrary last delivered ID value.",
    ),
];

const HELP: &[&str] = &[
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
];

fn help(ctx: &mut Ctx) -> Result<()> {
    ctx.reply_help(HELP);
    Ok(())
}

fn no_key_or_group(key: &[u8], group: &[u8]) -> Error {
    Error::Bytes(
        [
            b"NOGROUP No such key '".as_slice(),
            key,
            b"' or consumer group '",
            group,
            b"'",
        ]
        .concat(),
    )
}

/// The options after XGROUP CREATE/SETID's ID: MKSTREAM, ENTRIESREAD.
fn options(ctx: &Ctx, create: bool) -> Result<(bool, Option<u64>)> {
    let (mut mkstream, mut read) = (false, None);
    let mut i = 5;
    while i < ctx.args.len() {
        if create && is(ctx.arg(i), "mkstream") {
            mkstream = true;
            i += 1;
        } else if is(ctx.arg(i), "entriesread") && i + 1 < ctx.args.len() {
            let n = args::int(ctx.arg(i + 1))?;
            if n < -1 {
                return Err(Error::err("value for ENTRIESREAD must be positive or -1"));
            }
            read = u64::try_from(n).ok();
            i += 2;
        } else {
            return Err(ctx.subcommand_syntax());
        }
    }
    Ok((mkstream, read))
}

const NEEDS_KEY: &str = "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";

/// The stream for a subcommand that needs it to exist.
fn existing<'c>(ctx: &'c mut Ctx) -> Result<&'c mut Stream> {
    let key = ctx.arg(2);
    write_stream(ctx, key)?.ok_or_else(|| Error::err(NEEDS_KEY))
}

/// The stream and the named group, which must exist.
fn group_of<'c>(ctx: &'c mut Ctx) -> Result<&'c mut Group> {
    let (key, name) = (ctx.arg(2), ctx.arg(3));
    existing(ctx)?
        .groups
        .get_mut(name)
        .ok_or_else(|| no_such_group(key, name))
}

fn create(ctx: &mut Ctx) -> Result<()> {
    let (mkstream, read) = options(ctx, true)?;
    if ctx.args.len() > 8 {
        return Err(ctx.subcommand_syntax());
    }
    let (key, name, id_arg) = (ctx.arg(2), ctx.arg(3), ctx.arg(4));
    let exists = write_stream(ctx, key)?.is_some();
    if !exists && !mkstream {
        return Err(Error::err(NEEDS_KEY));
    }
    let last = if id_arg == b"$" {
        write_stream(ctx, key)?.map_or(StreamId::MIN, |s| s.last_id)
    } else {
        parse_id(id_arg, 0, true)?
    };
    if !exists {
        ctx.set_key(key, Value::Stream(Box::default()), false);
    }
    let s = write_stream(ctx, key)?.expect("the stream");
    if s.groups.contains_key(name) {
        return Err(Error::Other(
            "BUSYGROUP Consumer Group name already exists".into(),
        ));
    }
    s.groups.insert(name.to_vec(), Group::new(last, read));
    ctx.out.ok();
    ctx.dirty(1);
    ctx.notify(notify::STREAM, "xgroup-create", key);
    Ok(())
}

fn setid(ctx: &mut Ctx) -> Result<()> {
    let (_, read) = options(ctx, false)?;
    if ctx.args.len() != 5 && ctx.args.len() != 7 {
        return Err(ctx.subcommand_syntax());
    }
    let last_id = existing(ctx)?.last_id;
    group_of(ctx)?;
    let id = match ctx.arg(4) {
        b"$" => last_id,
        arg => parse_id(arg, 0, false)?,
    };
    let g = group_of(ctx)?;
    g.last_id = id;
    g.entries_read = read;
    ctx.out.ok();
    ctx.dirty(1);
    let key = ctx.arg(2);
    ctx.notify(notify::STREAM, "xgroup-setid", key);
    Ok(())
}

fn destroy(ctx: &mut Ctx) -> Result<()> {
    let (key, name) = (ctx.arg(2), ctx.arg(3));
    let removed = existing(ctx)?.groups.remove(name).is_some();
    ctx.out.integer(i64::from(removed));
    if removed {
        ctx.dirty(1);
        ctx.notify(notify::STREAM, "xgroup-destroy", key);
        ctx.signal_ready(key);
    }
    Ok(())
}

fn createconsumer(ctx: &mut Ctx) -> Result<()> {
    let (key, consumer, now) = (ctx.arg(2), ctx.arg(4), ctx.now);
    let created = group_of(ctx)?.ensure_consumer(consumer, now);
    ctx.out.integer(i64::from(created));
    if created {
        ctx.dirty(1);
        ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
    }
    Ok(())
}

fn delconsumer(ctx: &mut Ctx) -> Result<()> {
    let (key, consumer) = (ctx.arg(2), ctx.arg(4));
    let pending = group_of(ctx)?.delete_consumer(consumer);
    ctx.out.integer(pending.unwrap_or(0) as i64);
    if pending.is_some() {
        ctx.dirty(1);
        ctx.notify(notify::STREAM, "xgroup-delconsumer", key);
    }
    Ok(())
}

pub(super) fn xack(ctx: &mut Ctx) -> Result<()> {
    let (key, name) = (ctx.arg(1), ctx.arg(2));
    let has_group = read_stream(ctx, key)?.is_some_and(|s| s.groups.contains_key(name));
    if !has_group {
        ctx.out.integer(0);
        return Ok(());
    }
    let ids = ctx.args[3..]
        .iter()
        .map(|a| parse_id(a, 0, true))
        .collect::<Result<Vec<_>>>()?;
    let g = write_stream(ctx, key)?
        .and_then(|s| s.groups.get_mut(name))
        .expect("checked");
    let acked = ids.into_iter().filter(|&id| g.ack(id)).count();
    ctx.dirty(acked as u64);
    ctx.out.integer(acked as i64);
    Ok(())
}

pub(super) fn xpending(ctx: &mut Ctx) -> Result<()> {
    let argc = ctx.args.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(Error::Syntax);
    }
    let mut range = None;
    if argc >= 6 {
        let mut at = 3;
        let mut min_idle = 0;
        if is(ctx.arg(3), "idle") {
            min_idle = args::int(ctx.arg(4))?;
            if argc < 8 {
                return Err(Error::Syntax);
            }
            at += 2;
        }
        let count = args::int(ctx.arg(at + 2))?.max(0) as usize;
        let start = parse_bound(ctx.arg(at), 0, true)?;
        let end = parse_bound(ctx.arg(at + 1), u64::MAX, false)?;
        let consumer = ctx.args.get(at + 3).cloned();
        if at + 4 < argc {
            return Err(Error::Syntax);
        }
        range = Some((min_idle, start, end, count, consumer));
    }
    let (key, name, now) = (ctx.arg(1), ctx.arg(2), ctx.now);
    let (s, out) = ctx.read(key);
    let s = match s {
        Some(Value::Stream(s)) => s,
        Some(_) => return Err(Error::WrongType),
        None => return Err(no_key_or_group(key, name)),
    };
    let g = s
        .groups
        .get(name)
        .ok_or_else(|| no_key_or_group(key, name))?;
    let Some((min_idle, start, end, count, consumer)) = range else {
        out.array(4);
        out.integer(g.pel.len() as i64);
        match (g.pel.keys().next(), g.pel.keys().next_back()) {
            (Some(&first), Some(&last)) => {
                write_id(out, first);
                write_id(out, last);
                let owners: Vec<_> = g
                    .consumers
                    .iter()
                    .filter(|(_, c)| !c.pel.is_empty())
                    .collect();
                out.array(owners.len());
                for (cname, c) in owners {
                    out.array(2);
                    out.bulk(cname);
                    out.bulk(c.pel.len().to_string().as_bytes());
                }
            }
            _ => {
                out.null();
                out.null();
                out.null_array();
            }
        }
        return Ok(());
    };
    let ids: Vec<StreamId> = match &consumer {
        Some(cname) => match g.consumers.get(&cname[..]) {
            Some(c) if start <= end => c.pel.range(start..=end).copied().collect(),
            Some(_) => Vec::new(),
            None => {
                out.array(0);
                return Ok(());
            }
        },
        None if start <= end => g.pel.range(start..=end).map(|(id, _)| *id).collect(),
        None => Vec::new(),
    };
    let rows: Vec<(StreamId, &Nack)> = ids
        .into_iter()
        .filter_map(|id| g.pel.get(&id).map(|n| (id, n)))
        .filter(|(_, n)| min_idle == 0 || now - n.delivery_time >= min_idle)
        .take(count)
        .collect();
    out.array(rows.len());
    for (id, n) in rows {
        out.array(4);
        write_id(out, id);
        out.bulk(&n.consumer);
        out.integer((now - n.delivery_time).max(0));
        out.integer(n.delivery_count as i64);
    }
    Ok(())
}

/// The group for XCLAIM and XAUTOCLAIM (NOGROUP when missing).
fn claim_target<'c>(ctx: &'c mut Ctx) -> Result<&'c mut Stream> {
    let (key, name) = (ctx.arg(1), ctx.arg(2));
    match read_stream(ctx, key)? {
        Some(s) if s.groups.contains_key(name) => {}
        _ => return Err(no_key_or_group(key, name)),
    }
    Ok(write_stream(ctx, key)?.expect("checked"))
}

/// Gives `id` to `consumer` as XCLAIM/XAUTOCLAIM do; returns the NACK.
fn claim_one<'g>(
    g: &'g mut Group,
    id: StreamId,
    consumer: &[u8],
    now: i64,
    created: &mut bool,
) -> &'g mut Nack {
    *created |= g.ensure_consumer(consumer, now);
    if let Some(c) = g.consumers.get_mut(consumer) {
        c.seen_time = now;
    }
    g.assign(
        id,
        consumer,
        Nack {
            delivery_time: now,
            delivery_count: 1,
            consumer: Vec::new(),
        },
    )
}

pub(super) fn xclaim(ctx: &mut Ctx) -> Result<()> {
    claim_target(ctx)?;
    let min_idle = args::int(ctx.arg(4))
        .map_err(|_| Error::err("Invalid min-idle-time argument for XCLAIM"))?
        .max(0);
    let now = ctx.now;
    let mut j = 5;
    let mut ids = Vec::new();
    while j < ctx.args.len() {
        match parse_id(ctx.arg(j), 0, true) {
            Ok(id) => ids.push((id, ctx.args[j].clone())),
            Err(_) => break,
        }
        j += 1;
    }
    let (mut force, mut justid) = (false, false);
    let mut retry: Option<i64> = None;
    let mut delivery: Option<i64> = None;
    let mut last_id = StreamId::MIN;
    while j < ctx.args.len() {
        let more = ctx.args.len() - 1 - j;
        let opt = ctx.arg(j);
        let int_opt = |arg: &[u8], what: &str| {
            args::int(arg)
                .map_err(|_| Error::err(format!("Invalid {what} option argument for XCLAIM")))
        };
        if is(opt, "force") {
            force = true;
        } else if is(opt, "justid") {
            justid = true;
        } else if is(opt, "idle") && more > 0 {
            j += 1;
            delivery = Some(now - int_opt(ctx.arg(j), "IDLE")?);
        } else if is(opt, "time") && more > 0 {
            j += 1;
            delivery = Some(int_opt(ctx.arg(j), "TIME")?);
        } else if is(opt, "retrycount") && more > 0 {
            j += 1;
            retry = Some(int_opt(ctx.arg(j), "RETRYCOUNT")?);
        } else if is(opt, "lastid") && more > 0 {
            j += 1;
            last_id = parse_id(ctx.arg(j), 0, true)?;
        } else {
            let mut text = b"ERR Unrecognized XCLAIM option '".to_vec();
            text.extend_from_slice(opt);
            text.push(b'\'');
            return Err(Error::Bytes(text));
        }
        j += 1;
    }
    let delivery = match delivery {
        Some(t) if (0..=now).contains(&t) => t,
        _ => now,
    };
    let (key, gname, consumer) = (
        ctx.args[1].clone(),
        ctx.args[2].clone(),
        ctx.args[3].clone(),
    );
    let s = claim_target(ctx)?;
    let mut propagate = Vec::new();
    let mut replies = Vec::new();
    let mut created = false;
    let mut dirty = 0;
    let mut propagate_last_id = false;
    {
        let g = s.groups.get_mut(&gname[..]).expect("checked");
        if last_id > g.last_id {
            g.last_id = last_id;
            propagate_last_id = true;
        }
    }
    for (id, arg) in ids {
        let exists = s.contains(id);
        let g = s.groups.get_mut(&gname[..]).expect("checked");
        if !exists {
            if let Some(n) = g.pel.get(&id) {
                let owner = n.consumer.clone();
                propagate.push(xclaim_args(
                    &key,
                    &gname,
                    &owner,
                    arg,
                    n.delivery_time,
                    n.delivery_count,
                    g,
                ));
                g.ack(id);
                propagate_last_id = false;
                dirty += 1;
            }
            continue;
        }
        let pending = g.pel.get(&id);
        if pending.is_none() && !force {
            continue;
        }
        if let Some(n) = pending {
            if !n.consumer.is_empty() && min_idle > 0 && now - n.delivery_time < min_idle {
                continue;
            }
        }
        let nack = claim_one(g, id, &consumer, now, &mut created);
        nack.delivery_time = delivery;
        match retry {
            Some(r) if r >= 0 => nack.delivery_count = r as u64,
            _ if !justid => nack.delivery_count += 1,
            _ => {}
        }
        let (time, deliveries) = (nack.delivery_time, nack.delivery_count);
        propagate.push(xclaim_args(
            &key, &gname, &consumer, arg, time, deliveries, g,
        ));
        propagate_last_id = false;
        dirty += 1;
        replies.push(id);
    }
    if propagate_last_id {
        let g = &s.groups[&gname[..]];
        propagate.push(setid_args(&key, &gname, g));
        dirty += 1;
    }
    let items = claimed_items(s, &replies, justid);
    write_claimed(&mut ctx.out, &replies, &items, justid);
    if created {
        ctx.notify(notify::STREAM, "xgroup-createconsumer", &key);
        dirty += 1;
    }
    ctx.dirty(dirty);
    ctx.propagate_all_as(propagate);
    Ok(())
}

/// The entries XCLAIM and XAUTOCLAIM answer with: none with JUSTID.
fn claimed_items(s: &Stream, ids: &[StreamId], justid: bool) -> Vec<Item> {
    if justid {
        return Vec::new();
    }
    ids.iter()
        .filter_map(|&id| s.range(id, id, false).next())
        .collect()
}

/// The claimed IDs (JUSTID) or their entries.
fn write_claimed(out: &mut Writer, ids: &[StreamId], items: &[Item], justid: bool) {
    out.array(ids.len());
    if justid {
        ids.iter().for_each(|&id| write_id(out, id));
    } else {
        items.iter().for_each(|i| write_item(out, i));
    }
}

pub(super) fn xautoclaim(ctx: &mut Ctx) -> Result<()> {
    let min_idle = args::int(ctx.arg(4))
        .map_err(|_| Error::err("Invalid min-idle-time argument for XAUTOCLAIM"))?
        .max(0);
    let start = parse_bound(ctx.arg(5), 0, true)?;
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < ctx.args.len() {
        let more = ctx.args.len() - 1 - j;
        if is(ctx.arg(j), "count") && more > 0 {
            count = args::int_in(ctx.arg(j + 1), 1, i64::MAX / 16, "COUNT must be > 0")?;
            j += 1;
        } else if is(ctx.arg(j), "justid") {
            justid = true;
        } else {
            return Err(Error::Syntax);
        }
        j += 1;
    }
    let (key, gname, consumer, now) = (
        ctx.args[1].clone(),
        ctx.args[2].clone(),
        ctx.args[3].clone(),
        ctx.now,
    );
    let s = claim_target(ctx)?;
    let mut attempts = count.saturating_mul(10);
    let mut propagate = Vec::new();
    let (mut claimed, mut deleted) = (Vec::new(), Vec::new());
    let mut created = false;
    let mut cursor = Some(start);
    let mut next = StreamId::MIN;
    while let Some(from) = cursor {
        let g = &s.groups[&gname[..]];
        let Some((&id, _)) = g.pel.range(from..).next() else {
            break;
        };
        if attempts == 0 || count == 0 {
            next = id;
            break;
        }
        attempts -= 1;
        cursor = id.incr();
        let exists = s.contains(id);
        let g = s.groups.get_mut(&gname[..]).expect("checked");
        let n = g.pel.get(&id).expect("found").clone();
        if !exists {
            propagate.push(xclaim_args(
                &key,
                &gname,
                &n.consumer,
                id_bytes(id),
                n.delivery_time,
                n.delivery_count,
                g,
            ));
            g.ack(id);
            deleted.push(id);
            count -= 1;
            continue;
        }
        if min_idle > 0 && now - n.delivery_time < min_idle {
            continue;
        }
        let nack = claim_one(g, id, &consumer, now, &mut created);
        nack.delivery_time = now;
        if !justid {
            nack.delivery_count += 1;
        }
        let (time, deliveries) = (nack.delivery_time, nack.delivery_count);
        propagate.push(xclaim_args(
            &key,
            &gname,
            &consumer,
            id_bytes(id),
            time,
            deliveries,
            g,
        ));
        claimed.push(id);
        count -= 1;
    }
    let items = claimed_items(s, &claimed, justid);
    let out = &mut ctx.out;
    out.array(3);
    write_id(out, next);
    write_claimed(out, &claimed, &items, justid);
    out.array(deleted.len());
    deleted.iter().for_each(|&id| write_id(out, id));
    if created {
        ctx.notify(notify::STREAM, "xgroup-createconsumer", &key);
    }
    ctx.dirty((propagate.len() + usize::from(created)) as u64);
    ctx.propagate_all_as(propagate);
    Ok(())
}
