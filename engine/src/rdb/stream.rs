//! Streams in RDB files: `RDB_TYPE_STREAM_LISTPACKS_2` (Redis 7.0 writes
//! it) and the older `RDB_TYPE_STREAM_LISTPACKS`. Nodes are stored as they
//! are in memory, keyed by their master ID; then the counters, then each
//! group with its PEL (IDs, delivery times and counts) and its consumers
//! (name, seen time, the IDs they own).

use std::io::{Read, Write};

use super::sink::Sink;
use super::source::Source;
use super::{rdb_type, Result};
use crate::types::stream::{Group, Nack, Stream, StreamId};
use crate::types::Listpack;

/// Redis saves "unknown" (`SCG_INVALID_ENTRIES_READ`, -1) as a length.
const ENTRIES_READ_UNKNOWN: u64 = u64::MAX;

fn write_id<W: Write>(sink: &mut Sink<W>, id: StreamId) {
    sink.len(id.ms);
    sink.len(id.seq);
}

pub fn write<W: Write>(sink: &mut Sink<W>, s: &Stream) -> Result<()> {
    sink.len(s.node_count() as u64);
    for (master, lp) in s.nodes() {
        sink.string(&master.to_be_bytes())?;
        sink.string(lp.as_bytes())?;
    }
    sink.len(s.len());
    write_id(sink, s.last_id);
    write_id(sink, s.first_id);
    write_id(sink, s.max_deleted_id);
    sink.len(s.entries_added);
    sink.len(s.groups.len() as u64);
    for (name, g) in &s.groups {
        sink.string(name)?;
        write_id(sink, g.last_id);
        sink.len(g.entries_read.unwrap_or(ENTRIES_READ_UNKNOWN));
        sink.len(g.pel.len() as u64);
        for (id, nack) in &g.pel {
            sink.raw(&id.to_be_bytes())?;
            sink.millis(nack.delivery_time);
            sink.len(nack.delivery_count);
        }
        sink.len(g.consumers.len() as u64);
        for (cname, c) in &g.consumers {
            sink.string(cname)?;
            sink.millis(c.seen_time);
            sink.len(c.pel.len() as u64);
            for id in &c.pel {
                sink.raw(&id.to_be_bytes())?;
            }
        }
        sink.maybe_flush()?;
    }
    Ok(())
}

fn read_id<R: Read>(src: &mut Source<R>) -> Result<StreamId> {
    Ok(StreamId::new(src.len()?, src.len()?))
}

/// Reads a stream of type `rdb_type` (15 or 19).
pub fn read<R: Read>(src: &mut Source<R>, rdb_type: u8) -> Result<Stream> {
    let v2 = rdb_type == rdb_type::STREAM_LISTPACKS_2;
    let mut s = Stream::new();
    for _ in 0..src.len()? {
        let key = src.string()?;
        let key: [u8; 16] = key
            .as_slice()
            .try_into()
            .map_err(|_| src.corrupt("stream node key is not 128 bits"))?;
        let lp = Listpack::from_bytes(&src.string()?).map_err(|e| src.corrupt(e.why))?;
        if lp.is_empty() {
            return Err(src.corrupt("empty listpack inside stream"));
        }
        s.load_node(StreamId::from_be_bytes(&key), lp)
            .map_err(|why| src.corrupt(why))?;
    }
    let len = src.len()?;
    if !s.set_loaded_len(len) {
        return Err(src.corrupt("stream length inconsistent with its nodes"));
    }
    s.last_id = read_id(src)?;
    if v2 {
        s.first_id = read_id(src)?;
        s.max_deleted_id = read_id(src)?;
        s.entries_added = src.len()?;
    } else {
        s.entries_added = s.len();
        s.first_id = s.edge(true).unwrap_or_default();
    }
    if s.edge(false).is_some_and(|last| last > s.last_id) {
        return Err(src.corrupt("stream last ID is behind its entries"));
    }
    for _ in 0..src.len()? {
        let name = src.string()?;
        let last_id = read_id(src)?;
        let entries_read = if v2 {
            match src.len()? {
                ENTRIES_READ_UNKNOWN => None,
                n => Some(n),
            }
        } else {
            s.estimate_distance(last_id)
        };
        let mut g = Group::new(last_id, entries_read);
        for _ in 0..src.len()? {
            let id = StreamId::from_be_bytes(&src.array()?);
            let nack = Nack {
                delivery_time: src.millis()?,
                delivery_count: src.len()?,
                consumer: Vec::new(),
            };
            if g.pel.insert(id, nack).is_some() {
                return Err(src.corrupt("duplicated global PEL entry"));
            }
        }
        for _ in 0..src.len()? {
            let cname = src.string()?;
            let seen = src.millis()?;
            if !g.ensure_consumer(&cname, seen) {
                return Err(src.corrupt("duplicate stream consumer"));
            }
            for _ in 0..src.len()? {
                let id = StreamId::from_be_bytes(&src.array()?);
                let Some(nack) = g.pel.get_mut(&id) else {
                    return Err(src.corrupt("consumer entry not found in group PEL"));
                };
                if !nack.consumer.is_empty() {
                    return Err(src.corrupt("duplicated consumer PEL entry"));
                }
                nack.consumer = cname.clone();
                if let Some(c) = g.consumers.get_mut(&cname) {
                    c.pel.insert(id);
                }
            }
        }
        if g.pel.values().any(|n| n.consumer.is_empty()) {
            return Err(src.corrupt("stream PEL entry without a consumer"));
        }
        if s.groups.insert(name, g).is_some() {
            return Err(src.corrupt("duplicated consumer group name"));
        }
    }
    Ok(s)
}
