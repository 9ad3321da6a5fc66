//! OBJECT ENCODING | FREQ | IDLETIME | REFCOUNT | HELP.

use super::flags::*;
use super::{CommandDef, Ctx, Group, Handler};
use crate::access::{Clock, Tracking};
use crate::persist::dump_payload;
use crate::{Engine, Error, Result, Value};

/// Redis shares the objects for the integers 0..10000 and reports them with
/// this reference count (`OBJ_SHARED_REFCOUNT`, INT_MAX).
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
const SHARED_INTEGERS: i64 = 10_000;

/// A subcommand definition; those with arity 3 take one key, at position 2.
const fn sub(
    name: &'static str,
    arity: i32,
    flags: u32,
    handler: Handler,
    since: &'static str,
    summary: &'static str,
) -> CommandDef<Handler> {
    let def = CommandDef::new(name, arity, flags, handler).doc(Group::Generic, since, summary);
    if arity == 3 {
        def.keys(2, 2, 1)
    } else {
        def
    }
}

/// In the order Redis lists them (COMMAND INFO, COMMAND DOCS).
static SUBCOMMANDS: [CommandDef<Handler>; 5] = [
    sub(
        "help",
        2,
        LOADING | STALE,
        help,
        "6.2.0",
        "Show helpful text about the different subcommands",
    ),
    sub(
        "encoding",
        3,
        READONLY,
        encoding,
        "2.2.3",
        "Inspect the internal encoding of a Redis object",
    ),
    sub(
        "freq",
        3,
        READONLY,
        freq,
        "4.0.0",
        "Get the logarithmic access frequency counter of a Redis object",
    ),
    sub(
        "idletime",
        3,
        READONLY,
        idletime,
        "2.2.3",
        "Get the time since a Redis object was last accessed",
    ),
    sub(
        "refcount",
        3,
        READONLY,
        refcount,
        "2.2.3",
        "Get the number of references to the value of the key",
    ),
];

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    vec![CommandDef::container("object", -2, &SUBCOMMANDS).doc(
        Group::Generic,
        "2.2.3",
        "A container for object introspection commands",
    )]
}

/// Answers with `f(value, access metadata)` for the key in
/// `OBJECT <sub> key`, or nil. The lookup counts as a keyspace hit or miss
/// but not as an access, as in Redis.
fn with_value(ctx: &mut Ctx, f: impl FnOnce(&Value, u32, &Clock) -> Result<i64>) -> Result<()> {
    let key = ctx.arg(2);
    if ctx.peek_quiet(key).is_none() {
        ctx.out.null();
        return Ok(());
    }
    let db = ctx.eng.db(*ctx.db);
    let (value, access) = (db.get(key).expect("found"), db.access(key).expect("found"));
    let n = f(value, access, db.clock())?;
    ctx.out.integer(n);
    Ok(())
}

fn encoding(ctx: &mut Ctx) -> Result<()> {
    let key = ctx.arg(2);
    let encoding = ctx.peek_quiet(key).map(Value::encoding);
    match encoding {
        Some(e) => ctx.out.bulk(e.as_bytes()),
        None => ctx.out.null(),
    }
    Ok(())
}

/// The logarithmic access counter, after the decay due (LFU policies only).
fn freq(ctx: &mut Ctx) -> Result<()> {
    with_value(ctx, |_, access, clock| match clock.tracking {
        Tracking::Lfu => Ok(i64::from(clock.lfu_decayed(access))),
        Tracking::Lru => Err(Error::err(
            "An LFU maxmemory policy is not selected, access frequency not tracked. \
             Please note that when switching between policies at runtime LRU and LFU \
             data will take some time to adjust.",
        )),
    })
}

/// Seconds since the last access (not under LFU policies).
fn idletime(ctx: &mut Ctx) -> Result<()> {
    with_value(ctx, |_, access, clock| match clock.tracking {
        Tracking::Lru => Ok((clock.idle_ms(access) / 1000) as i64),
        Tracking::Lfu => Err(Error::err(
            "An LFU maxmemory policy is selected, idle time not tracked. \
             Please note that when switching between policies at runtime LRU and LFU \
             data will take some time to adjust.",
        )),
    })
}

fn refcount(ctx: &mut Ctx) -> Result<()> {
    let shared = ctx.eng.eviction.config.shares_integers();
    with_value(ctx, |v, _, _| Ok(refcount_of(v, shared)))
}

/// Redis shares the objects of small integers unless maxmemory is set with
/// an LRU or LFU policy (each key then needs its own access clock). Redust
/// stores integers inline either way: the count follows the settings.
fn refcount_of(value: &Value, shared: bool) -> i64 {
    match value {
        Value::Int(n) if shared && (0..SHARED_INTEGERS).contains(n) => SHARED_REFCOUNT,
        _ => 1,
    }
}

impl Engine {
    /// DEBUG OBJECT's line for `key` of `db` (`None` if there is no such
    /// key). Like Redis it looks in the table directly: a key past its time
    /// but not yet deleted is shown. The address is where the value sits in
    /// its table, stable while the key is modified in place.
    pub fn debug_object(&self, db: usize, key: &[u8]) -> Option<String> {
        let shared = self.eviction.config.shares_integers();
        let options = self.rdb_options(false);
        let d = &self.dbs[db];
        let (value, access) = (d.get(key)?, d.access(key)?);
        // The payload is the type byte, the object, 2 bytes of RDB version
        // and an 8-byte CRC; Redis reports the object alone.
        let serialized = dump_payload(value, &options).map_or(0, |p| p.len().saturating_sub(11));
        let idle = match d.clock().tracking {
            Tracking::Lru => d.clock().idle_ms(access) / 1000,
            Tracking::Lfu => 0,
        };
        let mut line = format!(
            "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
            value as *const Value,
            refcount_of(value, shared),
            value.encoding(),
            serialized,
            access & 0xFF_FFFF,
            idle
        );
        if let Value::List(list) = value {
            let (nodes, bytes) = list.shape();
            line += &format!(
                " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:{} ql_uncompressed_size:{}",
                nodes,
                list.len() as f64 / nodes.max(1) as f64,
                self.limits.list_max_listpack_size,
                u8::from(self.limits.list_compress_depth > 0),
                bytes
            );
        }
        Some(line)
    }

    /// DEBUG HTSTATS-KEY's text for a value kept in a hash table; `Err`
    /// names why not. Redust's tables are not Redis's chained dicts: the
    /// figures are those of a dict of that size with no collisions, which
    /// is never rehashing.
    pub fn debug_htstats_key(&mut self, db: usize, key: &[u8], now_ms: i64) -> Result<String> {
        if self.expire_if_needed(db, key, now_ms) {
            return Err(Error::NoSuchKey);
        }
        let value = self.dbs[db].get(key).ok_or(Error::NoSuchKey)?;
        let len =
            match value {
                Value::Hash(h) if value.encoding() == "hashtable" => h.len(),
                Value::Set(s) if value.encoding() == "hashtable" => s.len(),
                Value::ZSet(z) if value.encoding() == "skiplist" => z.len(),
                _ => return Err(Error::err(
                    "The value stored at the specified key is not represented using an hash table",
                )),
            };
        let size = len.next_power_of_two().max(4);
        Ok(format!(
            "[Dictionary HT]\nHash table 0 stats (main hash table):\n table size: {size}\n \
             number of elements: {len}\n different slots: {len}\n max chain length: {}\n \
             avg chain length (counted): 1.00\n avg chain length (computed): 1.00\n \
             Chain length distribution:\n   0: {} ({:.2}%)\n   1: {len} ({:.2}%)\n",
            usize::from(len > 0),
            size - len,
            (size - len) as f64 * 100.0 / size as f64,
            len as f64 * 100.0 / size as f64,
        ))
    }
}

const HELP: &[&str] = &[
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
];

fn help(ctx: &mut Ctx) -> Result<()> {
    ctx.reply_help(HELP);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::*;

    #[test]
    fn encodings_and_refcounts() {
        let mut t = TestEngine::new();
        t.run("MSET i 123 s abc r 123456789012345678901234567890123456789012345 neg -5 big 10000");
        assert_eq!(t.run("OBJECT ENCODING i"), bulk("int"));
        assert_eq!(t.run("object encoding s"), bulk("embstr"));
        assert_eq!(t.run("OBJECT ENCODING r"), bulk("raw"));
        assert_eq!(t.run("OBJECT ENCODING nope"), NULL);
        assert_eq!(t.run("OBJECT REFCOUNT i"), int(2147483647));
        assert_eq!(t.run("OBJECT REFCOUNT neg"), int(1));
        assert_eq!(t.run("OBJECT REFCOUNT big"), int(1));
        assert_eq!(t.run("OBJECT REFCOUNT s"), int(1));
        assert_eq!(t.run("OBJECT IDLETIME s"), int(0));
        assert_eq!(t.run("OBJECT IDLETIME nope"), NULL);
        assert_eq!(t.run("OBJECT FREQ nope"), NULL);
        assert!(t.run("OBJECT FREQ s").starts_with(
            "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please"
        ));
        assert_eq!(t.eng.stats.keyspace_misses, 3);
    }

    #[test]
    fn idle_time_and_frequency() {
        let mut t = TestEngine::new();
        t.run("SET k v");
        t.now += 42_000;
        assert_eq!(t.run("OBJECT IDLETIME k"), int(42));
        // Neither OBJECT, EXISTS nor TYPE count as an access; GET and TOUCH do.
        t.run("EXISTS k");
        t.run("TYPE k");
        assert_eq!(t.run("OBJECT IDLETIME k"), int(42));
        t.run("TOUCH k");
        assert_eq!(t.run("OBJECT IDLETIME k"), int(0));
        t.now += 5_000;
        t.run("GET k");
        assert_eq!(t.run("OBJECT IDLETIME k"), int(0));

        t.eng.configure_eviction(crate::EvictionConfig {
            policy: crate::Policy::AllkeysLfu,
            ..Default::default()
        });
        t.run("SET f v");
        assert_eq!(t.run("OBJECT FREQ f"), int(5));
        for _ in 0..5 {
            t.run("GET f");
        }
        // The first access past the initial 5 always counts, later ones
        // ever more rarely.
        let freq = t.run("OBJECT FREQ f");
        assert!([int(6), int(7)].contains(&freq), "{freq}");
        // Two minutes idle decay it by two (lfu-decay-time 1).
        t.now += 120_000;
        assert_eq!(
            t.run("OBJECT FREQ f"),
            int(if freq == int(6) { 4 } else { 5 })
        );
        assert!(t.run("OBJECT IDLETIME f").starts_with(
            "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note"
        ));
    }

    #[test]
    fn dispatch_and_help() {
        let mut t = TestEngine::new();
        assert_eq!(
            t.run("OBJECT foo"),
            err("ERR unknown subcommand 'foo'. Try OBJECT HELP.")
        );
        assert_eq!(
            t.run("OBJECT ENCODING a b"),
            err("ERR wrong number of arguments for 'object|encoding' command")
        );
        let help = t.run("object help");
        assert!(help.starts_with(
            "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n"
        ));
        assert!(help.ends_with("+HELP\r\n+    Prints this help.\r\n"));
    }
}
