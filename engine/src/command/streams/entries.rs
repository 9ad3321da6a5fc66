//! XADD XRANGE XREVRANGE XLEN XDEL XTRIM XSETID.

use bytes::Bytes;

use super::{
    count_arg, id_bytes, parse_bound, parse_id, read_stream, write_id, write_items, write_stream,
};
use crate::command::args::{self, is};
use crate::command::Ctx;
use crate::notify;
use crate::types::stream::{AppendError, NodeLimits, Stream, StreamId, Trim};
use crate::{Error, Result, Value};

/// XADD and XTRIM's options (Redis's `streamAddTrimArgs`).
#[derive(Default)]
struct TrimArgs {
    trim: Option<Trim>,
    approx: bool,
    limit: u64,
    /// Position of the MAXLEN/MINID value, for rewriting `~`.
    trim_at: usize,
    no_mkstream: bool,
    /// The explicit ID and whether its sequence was given (`ms-*` not).
    id: Option<(StreamId, bool)>,
    /// Position of the ID argument (XADD).
    id_at: usize,
}

fn node_limits(ctx: &Ctx) -> NodeLimits {
    NodeLimits {
        max_bytes: ctx.eng.limits.stream_node_max_bytes,
        max_entries: ctx.eng.limits.stream_node_max_entries,
    }
}

/// Parses XADD's (`xadd`) or XTRIM's options from argument 2 on.
fn parse_trim_args(ctx: &Ctx, xadd: bool) -> Result<TrimArgs> {
    let args = ctx.args;
    let mut t = TrimArgs::default();
    let mut limit_given = false;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = &args[i][..];
        if xadd && opt == b"*" {
            break;
        } else if (is(opt, "maxlen") || is(opt, "minid")) && more > 0 {
            if t.trim.is_some() {
                return Err(Error::err(
                    "syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            t.approx = false;
            let next = &args[i + 1][..];
            if more >= 2 && next == b"~" {
                t.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            let value = &args[i + 1];
            t.trim = Some(if is(opt, "maxlen") {
                let n = args::int(value)?;
                if n < 0 {
                    return Err(Error::err("The MAXLEN argument must be >= 0."));
                }
                Trim::MaxLen(n as u64)
            } else {
                Trim::MinId(parse_id(value, 0, true)?)
            });
            i += 1;
            t.trim_at = i;
        } else if is(opt, "limit") && more > 0 {
            let n = args::int(&args[i + 1])?;
            if n < 0 {
                return Err(Error::err("The LIMIT argument must be >= 0."));
            }
            t.limit = n as u64;
            limit_given = true;
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            t.no_mkstream = true;
        } else if xadd {
            let id = StreamId::parse(opt, 0, true).ok_or_else(|| Error::err(super::INVALID_ID))?;
            t.id = Some(id);
            break;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    t.id_at = i;
    if t.limit != 0 && t.trim.is_none() {
        return Err(Error::err(
            "syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && t.trim.is_none() {
        return Err(Error::err(
            "syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if ctx.from_master() {
        // The master rewrote `~` into an exact argument.
        t.limit = 0;
    } else if limit_given {
        if !t.approx {
            return Err(Error::err(
                "syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
    } else if t.approx {
        let per_node = ctx.eng.limits.stream_node_max_entries as u64;
        t.limit = per_node.saturating_mul(100);
        if t.limit == 0 {
            t.limit = 10_000;
        }
        t.limit = t.limit.min(1_000_000);
    } else {
        t.limit = 0;
    }
    Ok(t)
}

/// The exact argument an approximate trim is propagated with: the
/// resulting length, or the first remaining ID (tombstones included).
fn trim_result_arg(s: &Stream, trim: Trim) -> Bytes {
    match trim {
        Trim::MaxLen(_) => Bytes::from(s.len().to_string()),
        Trim::MinId(_) => id_bytes(s.first_node_id()),
    }
}

pub(super) fn xadd(ctx: &mut Ctx) -> Result<()> {
    let t = parse_trim_args(ctx, true)?;
    let all_args = ctx.args;
    let key = ctx.arg(1);
    let fields_at = t.id_at + 1;
    let nfields = ctx.args.len() - fields_at;
    if nfields < 2 || nfields % 2 == 1 {
        return Err(Error::Arity("xadd".into()));
    }
    if t.id == Some((StreamId::MIN, true)) {
        return Err(Error::err(
            "The ID specified in XADD must be greater than 0-0",
        ));
    }
    let limits = node_limits(ctx);
    let now = ctx.now.max(0) as u64;
    let fields: Vec<(&[u8], &[u8])> = ctx.args[fields_at..]
        .chunks(2)
        .map(|p| (&p[0][..], &p[1][..]))
        .collect();
    let exists = write_stream(ctx, key)?.is_some();
    if !exists {
        if t.no_mkstream {
            ctx.out.null();
            return Ok(());
        }
        ctx.set_key(key, Value::Stream(Box::default()), false);
    }
    let s = write_stream(ctx, key)?.expect("the stream");
    if s.last_id == StreamId::MAX {
        return Err(Error::err(
            "The stream has exhausted the last possible ID, unable to add more items",
        ));
    }
    let appended = s
        .next_id(t.id, now)
        .ok_or(AppendError::TooLarge)
        .and_then(|id| s.append(id, &fields, limits).map(|()| id));
    let id = match appended {
        Ok(id) => id,
        Err(AppendError::NotGreater) => {
            return Err(Error::err(
                "The ID specified in XADD is equal or smaller than the target stream top item",
            ))
        }
        Err(AppendError::TooLarge) => {
            return Err(Error::err("Elements are too large to be stored"))
        }
    };
    let mut propagated: Vec<Bytes> = all_args.to_vec();
    let mut trimmed = false;
    let mut rewrite = !matches!(t.id, Some((_, true)));
    if let Some(trim) = t.trim {
        trimmed = s.trim(trim, t.approx, t.limit) > 0;
        if t.approx {
            propagated[t.trim_at - 1] = Bytes::from_static(b"=");
            propagated[t.trim_at] = trim_result_arg(s, trim);
            rewrite = true;
        }
    }
    write_id(&mut ctx.out, id);
    ctx.dirty(1);
    ctx.notify(notify::STREAM, "xadd", key);
    if trimmed {
        ctx.notify(notify::STREAM, "xtrim", key);
    }
    if rewrite {
        propagated[t.id_at] = id_bytes(id);
        ctx.propagate_as(propagated);
    }
    ctx.signal_ready(key);
    Ok(())
}

pub(super) fn xtrim(ctx: &mut Ctx) -> Result<()> {
    let t = parse_trim_args(ctx, false)?;
    let key = ctx.arg(1);
    let Some(s) = write_stream(ctx, key)? else {
        ctx.out.integer(0);
        return Ok(());
    };
    let trim = t.trim.expect("checked by parse_trim_args");
    let removed = s.trim(trim, t.approx, t.limit);
    let exact = trim_result_arg(s, trim);
    if removed > 0 {
        ctx.notify(notify::STREAM, "xtrim", key);
        if t.approx {
            let mut propagated = ctx.args.to_vec();
            propagated[t.trim_at - 1] = Bytes::from_static(b"=");
            propagated[t.trim_at] = exact;
            ctx.propagate_as(propagated);
        }
        ctx.dirty(removed);
    }
    ctx.out.integer(removed as i64);
    Ok(())
}

pub(super) fn xrange(ctx: &mut Ctx) -> Result<()> {
    range(ctx, false)
}

pub(super) fn xrevrange(ctx: &mut Ctx) -> Result<()> {
    range(ctx, true)
}

fn range(ctx: &mut Ctx, rev: bool) -> Result<()> {
    let (start_arg, end_arg) = if rev {
        (ctx.arg(3), ctx.arg(2))
    } else {
        (ctx.arg(2), ctx.arg(3))
    };
    let start = parse_bound(start_arg, 0, true)?;
    let end = parse_bound(end_arg, u64::MAX, false)?;
    let mut count: Option<usize> = None;
    let mut i = 4;
    while i < ctx.args.len() {
        if is(ctx.arg(i), "count") && i + 1 < ctx.args.len() {
            count = Some(count_arg(ctx.arg(i + 1))?);
            i += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    let key = ctx.arg(1);
    let Some(s) = read_stream(ctx, key)? else {
        ctx.out.array(0);
        return Ok(());
    };
    if count == Some(0) {
        ctx.out.null_array();
        return Ok(());
    }
    let limit = count.unwrap_or(usize::MAX);
    let items: Vec<_> = s.range(start, end, rev).take(limit).collect();
    write_items(&mut ctx.out, &items);
    Ok(())
}

pub(super) fn xlen(ctx: &mut Ctx) -> Result<()> {
    let key = ctx.arg(1);
    let len = read_stream(ctx, key)?.map_or(0, |s| s.len());
    ctx.out.integer(len as i64);
    Ok(())
}

pub(super) fn xdel(ctx: &mut Ctx) -> Result<()> {
    let key = ctx.arg(1);
    if write_stream(ctx, key)?.is_none() {
        ctx.out.integer(0);
        return Ok(());
    }
    let ids = ctx.args[2..]
        .iter()
        .map(|a| parse_id(a, 0, true))
        .collect::<Result<Vec<_>>>()?;
    let s = write_stream(ctx, key)?.expect("checked");
    let mut deleted = 0u64;
    let mut first = false;
    for id in ids {
        if s.delete(id) {
            first |= id == s.first_id;
            s.max_deleted_id = s.max_deleted_id.max(id);
            deleted += 1;
        }
    }
    if deleted > 0 {
        if s.is_empty() {
            s.first_id = StreamId::MIN;
        } else if first {
            s.first_id = s.edge(true).unwrap_or_default();
        }
        ctx.notify(notify::STREAM, "xdel", key);
        ctx.dirty(deleted);
    }
    ctx.out.integer(deleted as i64);
    Ok(())
}

pub(super) fn xsetid(ctx: &mut Ctx) -> Result<()> {
    let id = parse_id(ctx.arg(2), 0, true)?;
    let mut entries_added: Option<u64> = None;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < ctx.args.len() {
        let more = ctx.args.len() - 1 - i;
        if is(ctx.arg(i), "entriesadded") && more > 0 {
            let n = args::int(ctx.arg(i + 1))?;
            if n < 0 {
                return Err(Error::err("entries_added must be positive"));
            }
            entries_added = Some(n as u64);
        } else if is(ctx.arg(i), "maxdeletedid") && more > 0 {
            max_deleted = parse_id(ctx.arg(i + 1), 0, true)?;
            if id < max_deleted {
                return Err(Error::err(
                    "The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(Error::Syntax);
        }
        i += 2;
    }
    let key = ctx.arg(1);
    let Some(s) = write_stream(ctx, key)? else {
        return Err(Error::NoSuchKey);
    };
    if !s.is_empty() {
        if s.edge(false).is_some_and(|top| id < top) {
            return Err(Error::err(
                "The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added.is_some_and(|n| s.len() > n) {
            return Err(Error::err(
                "The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    s.last_id = id;
    if let Some(n) = entries_added {
        s.entries_added = n;
    }
    if !max_deleted.is_zero() {
        s.max_deleted_id = max_deleted;
    }
    ctx.out.simple(b"OK");
    ctx.dirty(1);
    ctx.notify(notify::STREAM, "xsetid", key);
    Ok(())
}
