//! XREAD and XREADGROUP, with BLOCK through the engine's blocking
//! machinery: a parked command is re-run when XADD signals one of its
//! keys; XREAD's `$` is replaced by the concrete last ID before parking.

use bytes::Bytes;

use super::{id_bytes, parse_id, write_id, write_item};

/// A reply entry: found, or (history reads) an ID whose entry is gone.
type Reply = std::result::Result<Item, StreamId>;
use crate::command::args::{self, is};
use crate::command::Ctx;
use crate::notify;
use crate::types::stream::{Group, Item, Nack, Stream, StreamId};
use crate::{Error, Result, Value};

/// Where a read starts for one stream.
#[derive(Clone, Copy, PartialEq, Eq)]
enum From {
    /// Entries after this ID.
    After(StreamId),
    /// XREADGROUP's `>`: entries never delivered to the group.
    New,
}

struct ReadArgs {
    deadline: Option<Option<i64>>,
    count: usize,
    streams_at: usize,
    n: usize,
    group: Option<(Bytes, Bytes)>,
    noack: bool,
}

/// BLOCK's milliseconds (Redis's `getTimeoutFromObjectOrReply` in ms).
fn block_deadline(ctx: &Ctx, arg: &[u8]) -> Result<Option<i64>> {
    let ms = args::int(arg).map_err(|_| Error::err("timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(Error::err("timeout is negative"));
    }
    if ms == 0 {
        return Ok(None);
    }
    ctx.now
        .checked_add(ms)
        .map(Some)
        .ok_or_else(|| Error::err("timeout is out of range"))
}

fn parse_read_args(ctx: &Ctx, group_cmd: bool) -> Result<ReadArgs> {
    let args = ctx.args;
    let mut r = ReadArgs {
        deadline: None,
        count: 0,
        streams_at: 0,
        n: 0,
        group: None,
        noack: false,
    };
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - i - 1;
        let opt = &args[i][..];
        if is(opt, "block") && more > 0 {
            i += 1;
            r.deadline = Some(block_deadline(ctx, &args[i])?);
        } else if is(opt, "count") && more > 0 {
            i += 1;
            r.count = args::int(&args[i])?.max(0) as usize;
        } else if is(opt, "streams") && more > 0 {
            r.streams_at = i + 1;
            let rest = args.len() - r.streams_at;
            if !rest.is_multiple_of(2) {
                return Err(Error::err(
                    "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            r.n = rest / 2;
            break;
        } else if is(opt, "group") && more >= 2 {
            if !group_cmd {
                return Err(Error::err(
                    "The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            r.group = Some((args[i + 1].clone(), args[i + 2].clone()));
            i += 2;
        } else if is(opt, "noack") {
            if !group_cmd {
                return Err(Error::err(
                    "The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            r.noack = true;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    if r.streams_at == 0 {
        return Err(Error::Syntax);
    }
    if group_cmd && r.group.is_none() {
        return Err(Error::err("Missing GROUP option for XREADGROUP"));
    }
    Ok(r)
}

fn no_group(key: &[u8], group: &[u8]) -> Error {
    Error::Bytes(
        [
            b"NOGROUP No such key '".as_slice(),
            key,
            b"' or consumer group '",
            group,
            b"' in XREADGROUP with GROUP option",
        ]
        .concat(),
    )
}

pub(super) fn xread(ctx: &mut Ctx) -> Result<()> {
    read(ctx, false)
}

pub(super) fn xreadgroup(ctx: &mut Ctx) -> Result<()> {
    read(ctx, true)
}

fn read(ctx: &mut Ctx, group_cmd: bool) -> Result<()> {
    let r = parse_read_args(ctx, group_cmd)?;
    let args = ctx.args;
    let keys = &args[r.streams_at..r.streams_at + r.n];
    let serving = ctx.serving().cloned();
    let mut froms = Vec::with_capacity(r.n);
    for (key, arg) in keys.iter().zip(&args[r.streams_at + r.n..]) {
        let expired = ctx.eng.expire_if_needed(*ctx.db, key, ctx.now);
        let stream = match ctx.eng.dbs[*ctx.db].get(key) {
            _ if expired => None,
            Some(Value::Stream(s)) => Some(&**s),
            // A parked command's other keys are not looked at again.
            Some(_) if serving.as_ref().is_some_and(|k| k != key) => None,
            Some(_) if serving.is_some() && r.group.is_none() => None,
            Some(_) if serving.is_some() => {
                return Err(Error::Other(
                    "UNBLOCKED the stream key no longer exists".into(),
                ))
            }
            Some(_) => return Err(Error::WrongType),
            None => None,
        };
        if let Some((group, _)) = &r.group {
            let missing = stream.is_none_or(|s| !s.groups.contains_key(&group[..]));
            match &serving {
                Some(k) if k != key => {}
                Some(_) if stream.is_none() => {
                    return Err(Error::Other(
                        "UNBLOCKED the stream key no longer exists".into(),
                    ))
                }
                Some(_) if missing => {
                    return Err(Error::Other(
                        "NOGROUP the consumer group this client was blocked on no longer exists"
                            .into(),
                    ))
                }
                _ if missing => return Err(no_group(key, group)),
                _ => {}
            }
        }
        froms.push(match &arg[..] {
            b"$" if group_cmd => {
                return Err(Error::err("The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."))
            }
            b"$" => From::After(stream.map_or(StreamId::MIN, |s| s.last_id)),
            b">" if !group_cmd => {
                return Err(Error::err("The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."))
            }
            b">" => From::New,
            _ => From::After(parse_id(arg, 0, true)?),
        });
    }
    // A parked read is served at most 1000 entries when it gave no COUNT
    // (Redis's XREAD_BLOCKED_DEFAULT_COUNT).
    let r = ReadArgs {
        count: if serving.is_some() && r.count == 0 {
            1000
        } else {
            r.count
        },
        ..r
    };
    let mut replies: Vec<(Bytes, Vec<Reply>)> = Vec::new();
    let mut propagate: Vec<Vec<Bytes>> = Vec::new();
    let mut served_group = false;
    for (key, from) in keys.iter().zip(&froms) {
        if serving.as_ref().is_some_and(|k| k != key) {
            continue;
        }
        let now = ctx.now;
        let Some(Value::Stream(s)) = ctx.eng.dbs[*ctx.db].get_mut(key) else {
            continue;
        };
        let items = match &r.group {
            None => {
                let From::After(gt) = *from else { continue };
                if s.is_empty() || s.edge(false).is_none_or(|max| max <= gt) {
                    continue;
                }
                let start = gt.incr().unwrap_or(StreamId::MAX);
                let limit = if r.count == 0 { usize::MAX } else { r.count };
                s.range(start, StreamId::MAX, false)
                    .take(limit)
                    .map(Ok)
                    .collect()
            }
            Some((gname, cname)) => {
                let new_data = s.edge(false);
                let g = s.groups.get(&gname[..]).expect("checked above");
                if *from == From::New && new_data.is_none_or(|max| max <= g.last_id) {
                    continue;
                }
                served_group = true;
                let created = s
                    .groups
                    .get_mut(&gname[..])
                    .expect("checked above")
                    .ensure_consumer(cname, now);
                if created {
                    ctx.eng
                        .notify(notify::STREAM, "xgroup-createconsumer", *ctx.db, key);
                    if r.noack {
                        propagate.push(vec![
                            Bytes::from_static(b"XGROUP"),
                            Bytes::from_static(b"CREATECONSUMER"),
                            key.clone(),
                            gname.clone(),
                            cname.clone(),
                        ]);
                    }
                }
                let Some(Value::Stream(s)) = ctx.eng.dbs[*ctx.db].get_mut(key) else {
                    continue;
                };
                match *from {
                    From::After(gt) => history(s, gname, cname, gt, r.count, now),
                    From::New => {
                        deliver(s, key, gname, cname, r.count, r.noack, now, &mut propagate)
                    }
                }
            }
        };
        replies.push((key.clone(), items));
    }
    if served_group {
        ctx.dirty(1);
        ctx.propagate_all_as(propagate);
    }
    if !replies.is_empty() {
        write_reply(ctx, &replies);
        return Ok(());
    }
    match r.deadline {
        Some(deadline) if ctx.may_block() => {
            // `$` means "after the last ID now": re-runs must not see the
            // entries that woke them as already known.
            let mut rewritten = args.to_vec();
            for (i, from) in froms.iter().enumerate() {
                if let From::After(id) = from {
                    rewritten[r.streams_at + r.n + i] = id_bytes(*id);
                }
            }
            ctx.block_with_args(keys.to_vec(), deadline, rewritten);
            if let Some(b) = ctx.eng.blocked.as_mut() {
                // Its stream or group going away ends the wait with an error.
                b.fails_when_gone = group_cmd;
            }
        }
        _ => ctx.out.null_array(),
    }
    Ok(())
}

fn write_reply(ctx: &mut Ctx, replies: &[(Bytes, Vec<Reply>)]) {
    let resp3 = ctx.out.protocol() == resp::Protocol::Resp3;
    if resp3 {
        ctx.out.map(replies.len());
    } else {
        ctx.out.array(replies.len());
    }
    for (key, items) in replies {
        if !resp3 {
            ctx.out.array(2);
        }
        ctx.out.bulk(key);
        ctx.out.array(items.len());
        for item in items {
            match item {
                Ok(item) => write_item(&mut ctx.out, item),
                Err(id) => {
                    ctx.out.array(2);
                    write_id(&mut ctx.out, *id);
                    ctx.out.null_array();
                }
            }
        }
    }
}

/// XREADGROUP with an ID: the consumer's own pending entries after `gt`.
/// Entries deleted since are `None` (answered `[id, nil]`).
fn history(
    s: &mut Stream,
    gname: &[u8],
    cname: &[u8],
    gt: StreamId,
    count: usize,
    now: i64,
) -> Vec<Reply> {
    let Some(start) = gt.incr() else {
        return Vec::new();
    };
    let g = s.groups.get(gname).expect("checked");
    let c = g.consumers.get(cname).expect("created");
    let limit = if count == 0 { usize::MAX } else { count };
    let ids: Vec<StreamId> = c.pel.range(start..).take(limit).copied().collect();
    let items: Vec<Option<Item>> = ids
        .iter()
        .map(|&id| s.range(id, id, false).next())
        .collect();
    let g = s.groups.get_mut(gname).expect("checked");
    for (id, item) in ids.iter().zip(&items) {
        if item.is_some() {
            if let Some(n) = g.pel.get_mut(id) {
                n.delivery_time = now;
                n.delivery_count += 1;
            }
        }
    }
    if let Some(c) = g.consumers.get_mut(cname) {
        c.seen_time = now;
    }
    ids.into_iter()
        .zip(items)
        .map(|(id, item)| item.ok_or(id))
        .collect()
}

/// XREADGROUP `>`: new entries, added to the PEL unless `noack`; each
/// delivery is propagated as XCLAIM, the group's position as XGROUP SETID.
#[allow(clippy::too_many_arguments)]
fn deliver(
    s: &mut Stream,
    key: &Bytes,
    gname: &Bytes,
    cname: &Bytes,
    count: usize,
    noack: bool,
    now: i64,
    propagate: &mut Vec<Vec<Bytes>>,
) -> Vec<Reply> {
    let last = s.groups.get(&gname[..]).expect("checked").last_id;
    let Some(start) = last.incr() else {
        return Vec::new();
    };
    let limit = if count == 0 { usize::MAX } else { count };
    let items: Vec<Item> = s.range(start, StreamId::MAX, false).take(limit).collect();
    let mut moved = false;
    for item in &items {
        let read = advance(s, &gname[..], item.id);
        let g = s.groups.get_mut(&gname[..]).expect("checked");
        g.last_id = item.id;
        g.entries_read = read;
        moved = true;
        if noack {
            continue;
        }
        let nack = g.assign(
            item.id,
            cname,
            Nack {
                delivery_time: now,
                delivery_count: 1,
                consumer: Vec::new(),
            },
        );
        nack.delivery_time = now;
        nack.delivery_count = 1;
        propagate.push(xclaim_args(key, gname, cname, id_bytes(item.id), now, 1, g));
    }
    if let Some(c) = s
        .groups
        .get_mut(&gname[..])
        .and_then(|g| g.consumers.get_mut(&cname[..]))
    {
        c.seen_time = now;
    }
    if noack && moved {
        let g = &s.groups[&gname[..]];
        propagate.push(setid_args(key, gname, g));
    }
    items.into_iter().map(Ok).collect()
}

/// The group's `entries_read` after delivering `id` (Redis's update in
/// `streamReplyWithRange`).
fn advance(s: &Stream, gname: &[u8], id: StreamId) -> Option<u64> {
    let g = &s.groups[gname];
    match g.entries_read {
        Some(n) if !s.range_has_tombstones(id, StreamId::MAX) => Some(n + 1),
        _ if s.entries_added > 0 => s.estimate_distance(id),
        other => other,
    }
}

/// The XCLAIM a delivery is propagated as; `id` is the ID argument (as
/// XCLAIM's client gave it, or formatted).
pub(super) fn xclaim_args(
    key: &Bytes,
    gname: &Bytes,
    cname: &[u8],
    id: Bytes,
    time: i64,
    count: u64,
    g: &Group,
) -> Vec<Bytes> {
    let s = |t: &'static str| Bytes::from_static(t.as_bytes());
    vec![
        s("XCLAIM"),
        key.clone(),
        gname.clone(),
        Bytes::copy_from_slice(cname),
        s("0"),
        id,
        s("TIME"),
        Bytes::from(time.to_string()),
        s("RETRYCOUNT"),
        Bytes::from(count.to_string()),
        s("FORCE"),
        s("JUSTID"),
        s("LASTID"),
        id_bytes(g.last_id),
    ]
}

/// The XGROUP SETID a group's new position is propagated as.
pub(super) fn setid_args(key: &Bytes, gname: &Bytes, g: &Group) -> Vec<Bytes> {
    let read = g.entries_read.map_or(-1, |n| n as i64);
    vec![
        Bytes::from_static(b"XGROUP"),
        Bytes::from_static(b"SETID"),
        key.clone(),
        gname.clone(),
        id_bytes(g.last_id),
        Bytes::from_static(b"ENTRIESREAD"),
        Bytes::from(read.to_string()),
    ]
}
