//! Stream commands: entries (XADD XRANGE XREVRANGE XLEN XDEL XTRIM XSETID),
//! reads (XREAD XREADGROUP, blocking or not), groups (XGROUP XACK XPENDING
//! XCLAIM XAUTOCLAIM) and XINFO.

mod entries;
mod groups;
mod info;
mod read;

use bytes::Bytes;
use resp::Writer;

use super::flags::*;
use super::{cmd, CommandDef, Ctx, Group as Doc, Handler};
use crate::types::stream::{Item, Stream, StreamId};
use crate::{Error, Result, Value};

const INVALID_ID: &str = "Invalid stream ID specified as stream command argument";

/// An ID argument; `-` and `+` allowed unless `strict`. A missing sequence
/// is `missing_seq`.
fn parse_id(arg: &[u8], missing_seq: u64, strict: bool) -> Result<StreamId> {
    match arg {
        b"-" if !strict => Ok(StreamId::MIN),
        b"+" if !strict => Ok(StreamId::MAX),
        _ => StreamId::parse(arg, missing_seq, false)
            .map(|(id, _)| id)
            .ok_or_else(|| Error::err(INVALID_ID)),
    }
}

/// A range bound: `(id` is exclusive. Returns the inclusive bound.
fn parse_bound(arg: &[u8], missing_seq: u64, start: bool) -> Result<StreamId> {
    if arg.len() > 1 && arg[0] == b'(' {
        let id = parse_id(&arg[1..], missing_seq, true)?;
        let moved = if start { id.incr() } else { id.decr() };
        return match moved {
            Some(id) => Ok(id),
            None => Err(Error::err(if start {
                "invalid start ID for the interval"
            } else {
                "invalid end ID for the interval"
            })),
        };
    }
    parse_id(arg, missing_seq, false)
}

/// An XGROUP or XINFO subcommand; all but HELP (arity 2) take the key
/// at position 2.
const fn sub(
    name: &'static str,
    arity: i32,
    flags: u32,
    handler: Handler,
    summary: &'static str,
) -> CommandDef<Handler> {
    let def = CommandDef::new(name, arity, flags, handler).doc(Doc::Stream, "5.0.0", summary);
    if arity == 2 {
        def
    } else {
        def.keys(2, 2, 1)
    }
}

/// XGROUP's and XINFO CONSUMERS' error for a missing group.
fn no_such_group(key: &[u8], group: &[u8]) -> Error {
    Error::Bytes(
        [
            b"NOGROUP No such consumer group '".as_slice(),
            group,
            b"' for key name '",
            key,
            b"'",
        ]
        .concat(),
    )
}

/// The stream under `key` for reading (WRONGTYPE for another type).
fn read_stream<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c Stream>> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(Value::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(Error::WrongType),
    }
}

/// The stream under `key` for writing.
fn write_stream<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut Stream>> {
    match ctx.lookup_write(key) {
        None => Ok(None),
        Some(Value::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(Error::WrongType),
    }
}

fn id_bytes(id: StreamId) -> Bytes {
    Bytes::from(id.to_string())
}

fn write_id(out: &mut Writer, id: StreamId) {
    out.bulk(id.to_string().as_bytes());
}

/// `[id, [field, value, ...]]`.
fn write_item(out: &mut Writer, item: &Item) {
    out.array(2);
    write_id(out, item.id);
    out.array(item.fields.len() * 2);
    for (f, v) in &item.fields {
        out.bulk(f);
        out.bulk(v);
    }
}

fn write_items(out: &mut Writer, items: &[Item]) {
    out.array(items.len());
    items.iter().for_each(|i| write_item(out, i));
}

/// A COUNT argument: a negative count means no limit, as in Redis.
fn count_arg(arg: &[u8]) -> Result<usize> {
    let n = super::args::int(arg)?;
    Ok(if n <= 0 { 0 } else { n as usize })
}

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    use Doc::Stream as S;
    vec![
        cmd("xadd", -5, WRITE | DENYOOM | FAST, entries::xadd).keys(1, 1, 1).doc(S, "5.0.0", "Appends a new entry to a stream"),
        cmd("xrange", -4, READONLY, entries::xrange).keys(1, 1, 1).doc(S, "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval"),
        cmd("xrevrange", -4, READONLY, entries::xrevrange).keys(1, 1, 1).doc(S, "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE"),
        cmd("xlen", 2, READONLY | FAST, entries::xlen).keys(1, 1, 1).doc(S, "5.0.0", "Return the number of entries in a stream"),
        cmd("xdel", -3, WRITE | FAST, entries::xdel).keys(1, 1, 1).doc(S, "5.0.0", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist."),
        cmd("xtrim", -4, WRITE, entries::xtrim).keys(1, 1, 1).doc(S, "5.0.0", "Trims the stream to (approximately if '~' is passed) a certain size"),
        cmd("xsetid", -3, WRITE | DENYOOM | FAST, entries::xsetid).keys(1, 1, 1).doc(S, "5.0.0", "An internal command for replicating stream values"),
        cmd("xread", -4, READONLY | BLOCKING, read::xread).keys(0, 0, 0).doc(S, "5.0.0", "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block."),
        cmd("xreadgroup", -7, WRITE | BLOCKING, read::xreadgroup).keys(0, 0, 0).doc(S, "5.0.0", "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block."),
        cmd("xack", -4, WRITE | FAST, groups::xack).keys(1, 1, 1).doc(S, "5.0.0", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL."),
        cmd("xpending", -3, READONLY, groups::xpending).keys(1, 1, 1).doc(S, "5.0.0", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged."),
        cmd("xclaim", -6, WRITE | FAST, groups::xclaim).keys(1, 1, 1).doc(S, "5.0.0", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer."),
        cmd("xautoclaim", -6, WRITE | FAST, groups::xautoclaim).keys(1, 1, 1).doc(S, "6.2.0", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer."),
        CommandDef::container("xgroup", -2, &groups::XGROUP).doc(S, "5.0.0", "A container for consumer groups commands"),
        CommandDef::container("xinfo", -2, &info::XINFO).doc(S, "5.0.0", "A container for stream introspection commands"),
    ]
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::*;

    #[test]
    fn add_range_and_propagation() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("XADD s 1-1 a 1"), bulk("1-1"));
        assert_eq!(t.run("XADD s 1-* b 2"), bulk("1-2"));
        assert_eq!(
            t.run("XADD s 1 a 1"),
            err("ERR The ID specified in XADD is equal or smaller than the target stream top item")
        );
        assert_eq!(
            t.run("XADD s 0-0 a 1"),
            err("ERR The ID specified in XADD must be greater than 0-0")
        );
        assert_eq!(t.run("XLEN s"), int(2));
        assert_eq!(
            t.run("XRANGE s (1-1 + COUNT 5"),
            "*1\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
        );
        t.propagated();
        let id = t.run("XADD s * c 3");
        assert_eq!(id, bulk(&format!("{NOW}-0")));
        assert_eq!(t.propagated(), vec![format!("XADD s {NOW}-0 c 3")]);
        t.run("XADD s MAXLEN ~ 1 * d 4");
        assert_eq!(
            t.propagated(),
            vec![format!("XADD s MAXLEN = 4 {NOW}-1 d 4")]
        );
    }

    #[test]
    fn groups_claim_and_propagate() {
        let mut t = TestEngine::new();
        t.run("XADD s 1 a 1");
        t.run("XADD s 2 a 2");
        assert_eq!(t.run("XGROUP CREATE s g 0"), OK);
        t.propagated();
        t.run("XREADGROUP GROUP g alice COUNT 1 STREAMS s >");
        assert_eq!(
            t.propagated(),
            vec![format!(
                "XCLAIM s g alice 0 1-0 TIME {NOW} RETRYCOUNT 1 FORCE JUSTID LASTID 1-0"
            )]
        );
        assert_eq!(
            t.run("XPENDING s g"),
            "*4\r\n:1\r\n$3\r\n1-0\r\n$3\r\n1-0\r\n*1\r\n*2\r\n$5\r\nalice\r\n$1\r\n1\r\n"
        );
        assert_eq!(t.run("XCLAIM s g bob 0 1 JUSTID"), "*1\r\n$3\r\n1-0\r\n");
        assert_eq!(t.run("XACK s g 1 2"), int(1));
        assert_eq!(t.run("XGROUP DELCONSUMER s g alice"), int(0));
        assert!(t
            .run("XREADGROUP GROUP nope c STREAMS s >")
            .starts_with("-NOGROUP"));
    }

    #[test]
    fn blocking_read_parks_then_serves() {
        let mut t = TestEngine::new();
        t.run("XADD s 5 a 1");
        assert_eq!(t.run("XREAD BLOCK 0 STREAMS s $"), "");
        let parked = t.eng.take_block().expect("parked");
        assert_eq!(
            parked.args.as_deref().map(|a| a[5].clone()),
            Some("5-0".into())
        );
        assert_eq!(t.run_unblockable("XREAD BLOCK 0 STREAMS s $"), "*-1\r\n");
    }
}
