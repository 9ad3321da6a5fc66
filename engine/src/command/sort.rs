//! SORT and SORT_RO, as Redis 7.0's `sort.c` answers them.
//!
//! The elements of a list, set or sorted set are ordered by their own
//! value or by weights looked up through a BY pattern, numerically or
//! (ALPHA) as strings, then cut by LIMIT and either returned (each replaced
//! by the values of its GET patterns, if any) or stored as a list.

mod pqsort;

use std::cmp::Ordering;

use bytes::Bytes;

use super::args::{self, is};
use super::flags::*;
use super::{cmd, CommandDef, Ctx, Group, Handler};
use crate::strtod::sort_weight;
use crate::types::list::{End, List};
use crate::{notify, Error, Kind, Result, Value};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    // Redis reports first key 1 plus movable keys: BY, GET and STORE name
    // keys that only the arguments reveal.
    vec![
        cmd("sort", -2, WRITE | DENYOOM | TOUCHES_ITSELF, sort)
            .keys(1, 1, 1)
            .doc(
                Group::Generic,
                "1.0.0",
                "Sort the elements in a list, set or sorted set",
            ),
        cmd("sort_ro", -2, READONLY, sort_ro).keys(1, 1, 1).doc(
            Group::Generic,
            "7.0.0",
            "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
        ),
    ]
}

fn sort(ctx: &mut Ctx) -> Result<()> {
    sort_generic(ctx, false)
}

fn sort_ro(ctx: &mut Ctx) -> Result<()> {
    sort_generic(ctx, true)
}

/// A BY or GET pattern, read like Redis's `lookupKeyByPattern` reads it:
/// as a C string, so its first NUL byte hides `*`, `->` and `#` after it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pattern<'a> {
    /// `#`: the element itself.
    Element,
    /// No `*`: names no key, so it never finds anything.
    Constant,
    /// The key `prefix` + element + `suffix`, or with `field` that field
    /// of the hash there.
    Key {
        prefix: &'a [u8],
        suffix: &'a [u8],
        field: Option<&'a [u8]>,
    },
}

impl<'a> Pattern<'a> {
    fn parse(p: &'a [u8]) -> Pattern<'a> {
        let text = c_str(p);
        if text == b"#" {
            return Pattern::Element;
        }
        let Some(star) = text.iter().position(|&b| b == b'*') else {
            return Pattern::Constant;
        };
        // A field needs at least one byte after the arrow.
        let arrow = text[star + 1..]
            .windows(2)
            .position(|w| w == b"->")
            .map(|i| star + 1 + i)
            .filter(|&f| text.len() > f + 2);
        match arrow {
            Some(f) => Pattern::Key {
                prefix: &p[..star],
                suffix: &p[star + 1..f],
                field: Some(&p[f + 2..]),
            },
            None => Pattern::Key {
                prefix: &p[..star],
                suffix: &p[star + 1..],
                field: None,
            },
        }
    }
}

/// The bytes before the first NUL: what C string functions see.
fn c_str(s: &[u8]) -> &[u8] {
    s.iter().position(|&b| b == 0).map_or(s, |nul| &s[..nul])
}

struct Options<'a> {
    desc: bool,
    alpha: bool,
    /// LIMIT offset and count as given (count -1: no limit).
    offset: i64,
    count: i64,
    store: Option<&'a [u8]>,
    by: Option<Pattern<'a>>,
    /// A BY pattern without `*`: keep the stored order. Stays set even if a
    /// later BY has a `*`, as in Redis.
    dont_sort: bool,
    gets: Vec<Pattern<'a>>,
}

/// Parses the options after the key; the first bad one is the error.
fn parse(args: &[Bytes], readonly: bool) -> Result<Options<'_>> {
    let mut o = Options {
        desc: false,
        alpha: false,
        offset: 0,
        count: -1,
        store: None,
        by: None,
        dont_sort: false,
        gets: Vec::new(),
    };
    let mut j = 2;
    while j < args.len() {
        let (arg, left) = (&args[j], args.len() - j - 1);
        if is(arg, "asc") {
            o.desc = false;
        } else if is(arg, "desc") {
            o.desc = true;
        } else if is(arg, "alpha") {
            o.alpha = true;
        } else if is(arg, "limit") && left >= 2 {
            o.offset = args::int(&args[j + 1])?;
            o.count = args::int(&args[j + 2])?;
            j += 2;
        } else if !readonly && is(arg, "store") && left >= 1 {
            o.store = Some(&args[j + 1]);
            j += 1;
        } else if is(arg, "by") && left >= 1 {
            let pattern = &args[j + 1];
            if !c_str(pattern).contains(&b'*') {
                o.dont_sort = true;
            }
            o.by = Some(Pattern::parse(pattern));
            j += 1;
        } else if is(arg, "get") && left >= 1 {
            o.gets.push(Pattern::parse(&args[j + 1]));
            j += 1;
        } else {
            return Err(Error::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// The positions LIMIT selects among `len` elements, Redis's way: an
/// offset past the end selects nothing, a negative count means all.
fn window(offset: i64, count: i64, len: usize) -> (usize, usize) {
    let len = len as i64;
    let start = offset.clamp(0, len);
    let count = count.clamp(-1, len);
    let end = if count < 0 {
        len
    } else {
        (start + count).min(len)
    };
    (start as usize, end.max(start) as usize)
}

/// One element being sorted and what it is sorted by.
struct Item {
    element: Bytes,
    /// The numeric weight (0 when a BY lookup finds nothing).
    score: f64,
    /// The ALPHA weight found through a BY pattern.
    by: Option<Bytes>,
}

fn sort_generic(ctx: &mut Ctx, readonly: bool) -> Result<()> {
    let mut o = parse(ctx.args, readonly)?;
    let key = ctx.arg(1);
    let kind = ctx.lookup_read(key).map(Value::kind);
    if kind.is_some_and(|k| !matches!(k, Kind::List | Kind::Set | Kind::ZSet)) {
        return Err(Error::WrongType);
    }
    // A set has no order of its own: what is stored (and replicated as
    // the command) must not depend on its internal layout. (Redis does the
    // same inside scripts, which Redust does not run.)
    if o.dont_sort && kind == Some(Kind::Set) && o.store.is_some() {
        o.dont_sort = false;
        o.alpha = true;
        o.by = None;
    }
    // Redis 7.0 turns a small sorted set into a skiplist here, for good.
    // Converting parses the listpack's scores with strtod, which leaves
    // errno at ERANGE after a subnormal score; nothing clears it, so every
    // numeric weight checked afterwards counts as "can't be converted".
    let mut stale_erange = false;
    if let Some(Value::ZSet(z)) = ctx.db().get_mut(key) {
        if z.encoding() == "listpack" {
            z.range(0..z.len(), false, |_, score| {
                stale_erange |= score != 0.0 && score.abs() < f64::MIN_POSITIVE;
            });
        }
        z.convert();
    }
    let mut items = load(ctx, key, &o);
    let (start, end) = if o.dont_sort {
        // `load` already cut the window out.
        (0, items.len())
    } else {
        let (start, end) = window(o.offset, o.count, items.len());
        if !weigh(ctx, &o, &mut items, stale_erange) {
            return Err(Error::err(
                "One or more scores can't be converted into double",
            ));
        }
        let cmp = |a: &Item, b: &Item| compare(&o, a, b);
        if o.by.is_some() && (start, end) != (0, items.len()) {
            pqsort::partial_sort(&mut items, start as i64, end as i64 - 1, cmp);
        } else {
            // glibc's qsort, which Redis calls here, is a stable merge sort.
            items.sort_by(cmp);
        }
        (start, end)
    };
    let picked = &items[start..end];
    match o.store {
        None => reply(ctx, &o, picked),
        Some(dest) => store(ctx, &o, picked, dest),
    }
    Ok(())
}

/// The elements to sort, in their stored order. When nothing is sorted,
/// only LIMIT's window, and for a list or sorted set DESC reverses it (a
/// set's order is whatever its layout gives). A sorted set to be sorted is
/// read in score order where Redis walks its hash table; only ALPHA ties
/// under BY, whose order Redis leaves to chance there, can come out
/// differently.
fn load(ctx: &mut Ctx, key: &[u8], o: &Options) -> Vec<Item> {
    let item = |element: Bytes| Item {
        element,
        score: 0.0,
        by: None,
    };
    let value = ctx.db().get(key);
    let len = match value {
        Some(Value::List(l)) => l.len(),
        Some(Value::Set(s)) => s.len(),
        Some(Value::ZSet(z)) => z.len(),
        _ => 0,
    };
    let (skip, take) = if o.dont_sort {
        let (start, end) = window(o.offset, o.count, len);
        (start, end - start)
    } else {
        (0, len)
    };
    match value {
        Some(Value::List(l)) if o.dont_sort && o.desc => {
            let it = l.iter().rev().skip(skip).take(take);
            it.map(|e| item(Bytes::from(e.to_vec()))).collect()
        }
        Some(Value::List(l)) => {
            let it = l.iter().skip(skip).take(take);
            it.map(|e| item(Bytes::from(e.to_vec()))).collect()
        }
        Some(Value::ZSet(z)) => {
            let mut items = Vec::with_capacity(take);
            let rev = o.dont_sort && o.desc;
            z.range(skip..skip + take, rev, |m, _| {
                items.push(item(Bytes::copy_from_slice(m)))
            });
            items
        }
        Some(Value::Set(s)) => {
            let it = s.iter().skip(skip).take(take);
            it.map(|e| item(Bytes::from(e.to_vec()))).collect()
        }
        _ => Vec::new(),
    }
}

/// Fills in the weights; false when one is not a number (numeric sort).
fn weigh(ctx: &mut Ctx, o: &Options, items: &mut [Item], stale_erange: bool) -> bool {
    if o.alpha && o.by.is_none() {
        return true;
    }
    let mut all_numbers = true;
    for item in items {
        let weight = match o.by {
            Some(by) => match lookup(ctx, by, &item.element) {
                Some(w) => w,
                None => continue,
            },
            None => item.element.clone(),
        };
        if o.alpha {
            item.by = Some(weight);
        } else {
            match sort_weight(&weight) {
                Some(score) if !stale_erange => item.score = score,
                _ => all_numbers = false,
            }
        }
    }
    all_numbers
}

/// Redis's `sortCompare`. Numeric ties fall back to the elements' bytes.
/// ALPHA compares with `strcoll` when replying (byte order up to the first
/// NUL in the C and C.UTF-8 locales) but with whole bytes when storing, so
/// that what replicas store does not depend on their locale. A missing BY
/// weight sorts first.
fn compare(o: &Options, a: &Item, b: &Item) -> Ordering {
    let text = |x: &[u8], y: &[u8]| {
        if o.store.is_some() {
            x.cmp(y)
        } else {
            c_str(x).cmp(c_str(y))
        }
    };
    let order = if !o.alpha {
        a.score
            .partial_cmp(&b.score)
            .filter(|o| o.is_ne())
            .unwrap_or_else(|| a.element.cmp(&b.element))
    } else if o.by.is_some() {
        match (&a.by, &b.by) {
            (Some(x), Some(y)) => text(x, y),
            (x, y) => x.is_some().cmp(&y.is_some()),
        }
    } else {
        text(&a.element, &b.element)
    };
    if o.desc {
        order.reverse()
    } else {
        order
    }
}

/// What `pattern` finds for `element`: the element itself, a string value
/// or a hash field (anything else finds nothing).
fn lookup(ctx: &mut Ctx, pattern: Pattern, element: &[u8]) -> Option<Bytes> {
    let (prefix, suffix, field) = match pattern {
        Pattern::Element => return Some(Bytes::copy_from_slice(element)),
        Pattern::Constant => return None,
        Pattern::Key {
            prefix,
            suffix,
            field,
        } => (prefix, suffix, field),
    };
    let key = [prefix, element, suffix].concat();
    match (ctx.lookup_read(&key)?, field) {
        (Value::Hash(h), Some(field)) => h.get(field).map(|e| Bytes::from(e.to_vec())),
        (value, None) => {
            let mut buf = itoa::Buffer::new();
            value.as_bytes(&mut buf).map(Bytes::copy_from_slice)
        }
        _ => None,
    }
}

fn reply(ctx: &mut Ctx, o: &Options, picked: &[Item]) {
    let per_item = o.gets.len().max(1);
    ctx.out.array(picked.len() * per_item);
    for item in picked {
        if o.gets.is_empty() {
            ctx.out.bulk(&item.element);
        }
        for &get in &o.gets {
            match lookup(ctx, get, &item.element) {
                Some(v) => ctx.out.bulk(&v),
                None => ctx.out.null(),
            }
        }
    }
}

/// STORE: the result replaces `dest` as a list (GET misses stored as empty
/// strings); an empty result deletes it. Replies the number stored.
fn store(ctx: &mut Ctx, o: &Options, picked: &[Item], dest: &[u8]) {
    let fill = ctx.eng.limits.list_max_listpack_size;
    let mut list = List::new();
    for item in picked {
        if o.gets.is_empty() {
            list.push(End::Right, &item.element, fill);
        }
        for &get in &o.gets {
            let v = lookup(ctx, get, &item.element).unwrap_or_default();
            list.push(End::Right, &v, fill);
        }
    }
    let stored = list.len();
    let changed = if stored > 0 {
        let existed = ctx.lookup_write(dest).is_some();
        ctx.set_key(dest, Value::List(list), false);
        // Like Redis, only a newly created key wakes blocked clients.
        if !existed {
            ctx.signal_ready(dest);
        }
        ctx.notify(notify::LIST, "sortstore", dest);
        ctx.dirty(stored as u64);
        true
    } else {
        // Redis deletes without an expiry check: an expired destination
        // still counts as a change.
        let removed = ctx.delete(dest);
        if removed {
            ctx.dirty(1);
        }
        removed
    };
    if changed {
        ctx.touch(dest);
    }
    ctx.out.integer(stored as i64);
}

#[cfg(test)]
mod tests {
    use super::Pattern;
    use crate::command::test_support::*;

    /// The RESP2 text of an array of bulk strings (`None`: a null).
    fn array(items: &[Option<&str>]) -> String {
        let mut s = format!("*{}\r\n", items.len());
        for item in items {
            s += &item.map_or(NULL.to_string(), bulk);
        }
        s
    }

    fn bulks(items: &[&str]) -> String {
        array(&items.iter().map(|s| Some(*s)).collect::<Vec<_>>())
    }

    #[test]
    fn patterns_read_as_c_strings() {
        let key = |prefix: &'static str, suffix: &'static str, field: Option<&'static str>| {
            Pattern::Key {
                prefix: prefix.as_bytes(),
                suffix: suffix.as_bytes(),
                field: field.map(str::as_bytes),
            }
        };
        for (text, pattern) in [
            ("#", Pattern::Element),
            ("#\0x*", Pattern::Element),
            ("nostar", Pattern::Constant),
            ("a\0*", Pattern::Constant),
            ("w_*", key("w_", "", None)),
            ("h_*x->f", key("h_", "x", Some("f"))),
            ("h_*->f->g", key("h_", "", Some("f->g"))),
            // No field after the arrow, or the arrow before the star.
            ("h_*->", key("h_", "->", None)),
            ("h->*", key("h->", "", None)),
            ("h_*->\0f", key("h_", "->\0f", None)),
        ] {
            assert_eq!(Pattern::parse(text.as_bytes()), pattern, "{text:?}");
        }
    }

    #[test]
    fn sorts_numbers_and_strings_both_ways() {
        let mut t = TestEngine::new();
        t.run("RPUSH l 3 1.5 -2 10 0x10 inf");
        assert_eq!(
            t.run("SORT l"),
            bulks(&["-2", "1.5", "3", "10", "0x10", "inf"])
        );
        assert_eq!(t.run("SORT l DESC LIMIT 1 2"), bulks(&["0x10", "10"]));
        assert_eq!(
            t.run("SORT l ALPHA"),
            bulks(&["-2", "0x10", "1.5", "10", "3", "inf"])
        );
        assert_eq!(t.run("SORT l LIMIT 5 10"), bulks(&["inf"]));
        assert_eq!(t.run("SORT l LIMIT 6 1"), bulks(&[]));
        assert_eq!(t.run("SORT l LIMIT -3 0"), bulks(&[]));
        // Equal scores fall back to the elements' bytes.
        t.run("RPUSH z 1.0 1 01");
        assert_eq!(t.run("SORT z"), bulks(&["01", "1", "1.0"]));
        assert_eq!(t.run("SORT z DESC"), bulks(&["1.0", "1", "01"]));
    }

    #[test]
    fn nosort_keeps_list_order_and_sorts_stored_sets() {
        let mut t = TestEngine::new();
        t.run("RPUSH l c a b");
        assert_eq!(t.run("SORT l BY nosort"), bulks(&["c", "a", "b"]));
        assert_eq!(t.run("SORT l BY nosort DESC LIMIT 0 2"), bulks(&["b", "a"]));
        // A later BY with a star does not undo an earlier constant one.
        assert_eq!(t.run("SORT l BY nosort BY w_*"), bulks(&["c", "a", "b"]));
        t.run("SADD s 10 9 1");
        assert_eq!(t.run("SORT s BY nosort DESC"), bulks(&["1", "9", "10"]));
        assert_eq!(t.run("SORT s BY nosort DESC STORE d"), int(3));
        assert_eq!(t.run("LRANGE d 0 -1"), bulks(&["9", "10", "1"]));
    }

    #[test]
    fn by_and_get_patterns_look_up_strings_and_hash_fields() {
        let mut t = TestEngine::new();
        t.run("RPUSH l a b c d");
        t.run("MSET w_a 3 w_b 1");
        t.run("HSET h_c f 2 n C");
        t.run("HSET h_d f 0");
        t.run("SADD w_d 1");
        // Missing weights count as 0; ties are broken by the elements.
        assert_eq!(t.run("SORT l BY w_*"), bulks(&["c", "d", "b", "a"]));
        assert_eq!(t.run("SORT l BY h_*->f"), bulks(&["a", "b", "d", "c"]));
        assert_eq!(
            t.run("SORT l BY w_* GET # GET h_*->n GET w_* GET fixed"),
            array(&[
                Some("c"),
                Some("C"),
                None,
                None,
                Some("d"),
                None,
                None,
                None,
                Some("b"),
                None,
                Some("1"),
                None,
                Some("a"),
                None,
                Some("3"),
                None,
            ])
        );
        // ALPHA by pattern: elements without a weight come first, in their
        // original order (glibc's qsort is stable).
        assert_eq!(t.run("SORT l BY w_* ALPHA"), bulks(&["c", "d", "b", "a"]));
        assert_eq!(
            t.run("SORT l BY w_* ALPHA DESC"),
            bulks(&["a", "b", "c", "d"])
        );
    }

    #[test]
    fn store_replaces_the_destination_and_propagates() {
        let mut t = TestEngine::new();
        t.run("RPUSH l b a");
        t.run("SET d x");
        t.run("PEXPIRE d 100000");
        t.propagated();
        assert_eq!(t.run("SORT l ALPHA"), bulks(&["a", "b"]));
        assert_eq!(t.propagated(), Vec::<String>::new());
        assert_eq!(t.run("SORT l ALPHA GET # GET nokey_* STORE d"), int(4));
        assert_eq!(t.propagated(), ["SORT l ALPHA GET # GET nokey_* STORE d"]);
        assert_eq!(t.run("LRANGE d 0 -1"), bulks(&["a", "", "b", ""]));
        assert_eq!(t.run("PTTL d"), int(-1));
        assert_eq!(t.run("OBJECT ENCODING d"), bulk("quicklist"));
        // An empty result deletes the destination; with nothing to delete
        // nothing changed.
        assert_eq!(t.run("SORT nokey STORE d"), int(0));
        assert_eq!(t.propagated(), ["SORT nokey STORE d"]);
        assert_eq!(t.run("EXISTS d"), int(0));
        assert_eq!(t.run("SORT nokey STORE d"), int(0));
        assert_eq!(t.propagated(), Vec::<String>::new());
        // The source may be the destination.
        assert_eq!(t.run("SORT l ALPHA DESC STORE l"), int(2));
        assert_eq!(t.run("LRANGE l 0 -1"), bulks(&["b", "a"]));
    }

    #[test]
    fn alpha_compares_like_strcoll_when_replying_and_bytes_when_storing() {
        let mut t = TestEngine::new();
        t.exec(
            &split("RPUSH l b")
                .into_iter()
                .chain([
                    bytes::Bytes::from_static(b"b\0z"),
                    bytes::Bytes::from_static(b"b\0a"),
                ])
                .collect::<Vec<_>>(),
        );
        let reply = t.exec(&split("SORT l ALPHA"));
        assert_eq!(reply, b"*3\r\n$1\r\nb\r\n$3\r\nb\0z\r\n$3\r\nb\0a\r\n");
        t.run("SORT l ALPHA STORE d");
        let stored = t.exec(&split("LRANGE d 0 -1"));
        assert_eq!(stored, b"*3\r\n$1\r\nb\r\n$3\r\nb\0a\r\n$3\r\nb\0z\r\n");
    }

    #[test]
    fn sorted_sets_keep_score_order_by_nosort_and_become_skiplists() {
        let mut t = TestEngine::new();
        t.run("ZADD z 3 c 1 a 2 b");
        assert_eq!(t.run("OBJECT ENCODING z"), bulk("listpack"));
        assert_eq!(t.run("SORT_RO z BY nosort"), bulks(&["a", "b", "c"]));
        assert_eq!(t.run("OBJECT ENCODING z"), bulk("skiplist"));
        assert_eq!(t.run("SORT z BY nosort DESC LIMIT 1 5"), bulks(&["b", "a"]));
        assert_eq!(t.run("SORT z ALPHA DESC"), bulks(&["c", "b", "a"]));
        assert_eq!(
            t.run("SORT z"),
            err("ERR One or more scores can't be converted into double")
        );
        assert_eq!(t.run("SORT z BY nosort DESC STORE d"), int(3));
        assert_eq!(t.run("LRANGE d 0 -1"), bulks(&["c", "b", "a"]));
    }

    #[test]
    fn errors_in_redis_order() {
        let mut t = TestEngine::new();
        t.run("RPUSH l 1 x");
        t.run("SET s v");
        assert_eq!(
            t.run("SORT l"),
            err("ERR One or more scores can't be converted into double")
        );
        assert_eq!(
            t.run("SORT l STORE d"),
            err("ERR One or more scores can't be converted into double")
        );
        assert_eq!(t.run("EXISTS d"), int(0));
        assert_eq!(t.run("SORT l ALPHA"), bulks(&["1", "x"]));
        assert_eq!(
            t.run("SORT s"),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
        // Options are checked before the key.
        assert_eq!(t.run("SORT s LIMIT 0"), err("ERR syntax error"));
        assert_eq!(
            t.run("SORT s LIMIT x 1"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(t.run("SORT s GET"), err("ERR syntax error"));
        assert_eq!(t.run("SORT_RO l STORE d"), err("ERR syntax error"));
        assert_eq!(t.run("SORT_RO l ALPHA DESC"), bulks(&["x", "1"]));
    }
}
