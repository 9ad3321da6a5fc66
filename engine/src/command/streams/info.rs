//! XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS, XINFO HELP.

use resp::Writer;

use super::{no_such_group, sub, write_id, write_item};
use crate::command::args::{self, is};
use crate::command::flags::*;
use crate::command::{CommandDef, Ctx, Handler};
use crate::types::stream::{Stream, StreamId};
use crate::{Error, Result};

pub(super) static XINFO: [CommandDef<Handler>; 4] = [
    sub(
        "consumers",
        4,
        READONLY,
        consumers,
        "List the consumers in a consumer group",
    ),
    sub(
        "groups",
        3,
        READONLY,
        groups,
        "List the consumer groups of a stream",
    ),
    sub(
        "help",
        2,
        LOADING | STALE,
        help,
        "Show helpful text about the different subcommands",
    ),
    sub(
        "stream",
        -3,
        READONLY,
        stream,
        "Get information about a stream",
    ),
];

const HELP: &[&str] = &[
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
];

fn help(ctx: &mut Ctx) -> Result<()> {
    ctx.reply_help(HELP);
    Ok(())
}

/// The stream a lookup found, which must exist.
fn stream_of(found: Option<&crate::Value>) -> Result<&Stream> {
    match found {
        Some(crate::Value::Stream(s)) => Ok(s),
        Some(_) => Err(Error::WrongType),
        None => Err(Error::NoSuchKey),
    }
}

fn field(out: &mut Writer, name: &str) {
    out.bulk(name.as_bytes());
}

/// An integer, or null when it cannot be known (lag, entries-read).
fn write_known(out: &mut Writer, n: Option<i64>) {
    match n {
        Some(n) => out.integer(n),
        None => out.null(),
    }
}

fn consumers(ctx: &mut Ctx) -> Result<()> {
    let now = ctx.now;
    let (key, gname) = (ctx.arg(2), ctx.arg(3));
    let (found, out) = ctx.read(key);
    let s = stream_of(found)?;
    let g = s
        .groups
        .get(gname)
        .ok_or_else(|| no_such_group(key, gname))?;
    out.array(g.consumers.len());
    for (name, c) in &g.consumers {
        out.map(3);
        field(out, "name");
        out.bulk(name);
        field(out, "pending");
        out.integer(c.pel.len() as i64);
        field(out, "idle");
        out.integer((now - c.seen_time).max(0));
    }
    Ok(())
}

fn groups(ctx: &mut Ctx) -> Result<()> {
    let key = ctx.arg(2);
    let (found, out) = ctx.read(key);
    let s = stream_of(found)?;
    out.array(s.groups.len());
    for (name, g) in &s.groups {
        out.map(6);
        field(out, "name");
        out.bulk(name);
        field(out, "consumers");
        out.integer(g.consumers.len() as i64);
        field(out, "pending");
        out.integer(g.pel.len() as i64);
        field(out, "last-delivered-id");
        write_id(out, g.last_id);
        field(out, "entries-read");
        write_known(out, g.entries_read.map(|n| n as i64));
        field(out, "lag");
        write_known(out, s.lag(g));
    }
    Ok(())
}

fn stream(ctx: &mut Ctx) -> Result<()> {
    let opts = &ctx.args[3..];
    let mut count: Option<usize> = None;
    let full = !opts.is_empty();
    if full {
        if (opts.len() != 1 && opts.len() != 3) || !is(&opts[0], "full") {
            return Err(ctx.subcommand_syntax());
        }
        count = Some(10);
        if opts.len() == 3 {
            if !is(&opts[1], "count") {
                return Err(ctx.subcommand_syntax());
            }
            let n = args::int(&opts[2])?;
            count = Some(if n < 0 { 10 } else { n as usize });
        }
    }
    let key = ctx.arg(2);
    let (found, out) = ctx.read(key);
    let s = stream_of(found)?;
    out.map(if full { 9 } else { 10 });
    field(out, "length");
    out.integer(s.len() as i64);
    field(out, "radix-tree-keys");
    out.integer(s.node_count() as i64);
    field(out, "radix-tree-nodes");
    out.integer(s.rax_nodes() as i64);
    field(out, "last-generated-id");
    write_id(out, s.last_id);
    field(out, "max-deleted-entry-id");
    write_id(out, s.max_deleted_id);
    field(out, "entries-added");
    out.integer(s.entries_added as i64);
    field(out, "recorded-first-entry-id");
    write_id(out, s.first_id);
    let Some(count) = count else {
        field(out, "groups");
        out.integer(s.groups.len() as i64);
        for (name, rev) in [("first-entry", false), ("last-entry", true)] {
            field(out, name);
            match s.range(StreamId::MIN, StreamId::MAX, rev).next() {
                Some(item) => write_item(out, &item),
                None => out.null(),
            }
        }
        return Ok(());
    };
    let limit = if count == 0 { usize::MAX } else { count };
    field(out, "entries");
    let items: Vec<_> = s
        .range(StreamId::MIN, StreamId::MAX, false)
        .take(limit)
        .collect();
    out.array(items.len());
    items.iter().for_each(|i| write_item(out, i));
    field(out, "groups");
    out.array(s.groups.len());
    for (name, g) in &s.groups {
        out.map(7);
        field(out, "name");
        out.bulk(name);
        field(out, "last-delivered-id");
        write_id(out, g.last_id);
        field(out, "entries-read");
        write_known(out, g.entries_read.map(|n| n as i64));
        field(out, "lag");
        write_known(out, s.lag(g));
        field(out, "pel-count");
        out.integer(g.pel.len() as i64);
        field(out, "pending");
        let pel: Vec<_> = g.pel.iter().take(limit).collect();
        out.array(pel.len());
        for (id, n) in pel {
            out.array(4);
            write_id(out, *id);
            out.bulk(&n.consumer);
            out.integer(n.delivery_time);
            out.integer(n.delivery_count as i64);
        }
        field(out, "consumers");
        out.array(g.consumers.len());
        for (cname, c) in &g.consumers {
            out.map(4);
            field(out, "name");
            out.bulk(cname);
            field(out, "seen-time");
            out.integer(c.seen_time);
            field(out, "pel-count");
            out.integer(c.pel.len() as i64);
            field(out, "pending");
            let ids: Vec<_> = c.pel.iter().take(limit).collect();
            out.array(ids.len());
            for id in ids {
                let n = &g.pel[id];
                out.array(3);
                write_id(out, *id);
                out.integer(n.delivery_time);
                out.integer(n.delivery_count as i64);
            }
        }
    }
    Ok(())
}
