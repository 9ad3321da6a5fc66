//! COMMAND and its subcommands, generated from the command table.

use engine::command::flags::{self, *};
use engine::command::{CommandDef, Group};
use engine::Result;
use resp::Writer;

use super::{Call, Entry, ServerHandler, Table};

pub(super) fn commands() -> Vec<CommandDef<ServerHandler>> {
    const F: u32 = LOADING | STALE;
    static SUBS: &[CommandDef<ServerHandler>] = &[
        sub("count", 2, count, "Returns a count of commands."),
        sub(
            "info",
            -2,
            info,
            "Returns information about one, multiple or all commands.",
        ),
        sub(
            "docs",
            -2,
            docs,
            "Returns documentary information about one, multiple or all commands.",
        ),
        sub("list", -2, list, "Returns a list of command names."),
        sub(
            "getkeys",
            -4,
            getkeys,
            "Extracts the key names from an arbitrary command.",
        ),
        sub(
            "help",
            2,
            help,
            "Returns helpful text about the different subcommands.",
        ),
    ];
    let mut top = CommandDef::container("command", -1, SUBS).doc(
        Group::Server,
        "2.8.13",
        "Returns detailed information about all commands.",
    );
    top.flags = F;
    top.handler = Some(all);
    vec![top]
}

const fn sub(
    name: &'static str,
    arity: i32,
    h: ServerHandler,
    summary: &'static str,
) -> CommandDef<ServerHandler> {
    CommandDef::new(name, arity, LOADING | STALE, h).doc(Group::Server, "2.8.13", summary)
}

fn sorted_entries() -> Vec<Entry> {
    let mut v: Vec<Entry> = Table::get().entries().collect();
    v.sort_by_key(|e| e.name());
    v
}

/// One command's COMMAND INFO array (Redis 7 layout, ten fields).
fn describe(w: &mut Writer, entry: Entry, parent: Option<Entry>) {
    let (arity, bits, keys, group) =
        super::with_def!(entry, d => (d.arity, d.flags, d.keys, d.group));
    let name = match parent {
        Some(p) => format!("{}|{}", p.name(), entry.name()),
        None => entry.name().to_string(),
    };
    w.array(10);
    w.bulk(name.as_bytes());
    w.integer(i64::from(arity));
    let names: Vec<&str> = flags::names(bits).collect();
    w.set(names.len());
    for n in names {
        w.simple(n.as_bytes());
    }
    w.integer(i64::from(keys.0));
    w.integer(i64::from(keys.1));
    w.integer(i64::from(keys.2));
    let cats = categories(bits, group);
    w.set(cats.len());
    for c in cats {
        w.simple(c.as_bytes());
    }
    w.set(0); // tips
    key_specs(w, bits, keys);
    let subs = entry.subcommands();
    w.array(subs.len());
    for s in subs {
        describe(w, s, Some(entry));
    }
}

/// The key specs of Redis 7: one index/range spec derived from the
/// (first, last, step) triple, with flags from the command's.
fn key_specs(w: &mut Writer, bits: u32, (first, last, step): (i32, i32, i32)) {
    if first <= 0 {
        w.array(0);
        return;
    }
    w.array(1);
    w.map(3);
    w.bulk(b"flags");
    let flags: &[&[u8]] = if bits & WRITE != 0 {
        &[b"RW", b"update"]
    } else {
        &[b"RO", b"access"]
    };
    w.set(flags.len());
    for f in flags {
        w.simple(f);
    }
    w.bulk(b"begin_search");
    w.map(2);
    w.bulk(b"type");
    w.bulk(b"index");
    w.bulk(b"spec");
    w.map(1);
    w.bulk(b"index");
    w.integer(i64::from(first));
    w.bulk(b"find_keys");
    w.map(2);
    w.bulk(b"type");
    w.bulk(b"range");
    w.bulk(b"spec");
    w.map(3);
    w.bulk(b"lastkey");
    w.integer(i64::from(if last < 0 { last } else { last - first }));
    w.bulk(b"keystep");
    w.integer(i64::from(step));
    w.bulk(b"limit");
    w.integer(0);
}

/// ACL categories: the group's own plus those implied by flags, in the
/// order of Redis's category table.
fn categories(bits: u32, group: Group) -> Vec<&'static str> {
    const ORDER: &[&str] = &[
        "@keyspace",
        "@read",
        "@write",
        "@set",
        "@sortedset",
        "@list",
        "@hash",
        "@string",
        "@bitmap",
        "@hyperloglog",
        "@geo",
        "@stream",
        "@pubsub",
        "@admin",
        "@fast",
        "@slow",
        "@blocking",
        "@dangerous",
        "@connection",
        "@transaction",
        "@scripting",
    ];
    let mut cats = vec![match group {
        Group::String => "@string",
        Group::Generic | Group::Keyspace => "@keyspace",
        Group::Connection => "@connection",
        Group::List => "@list",
        Group::Hash => "@hash",
        Group::Bitmap => "@bitmap",
        Group::Geo => "@geo",
        Group::HyperLogLog => "@hyperloglog",
        Group::Set => "@set",
        Group::SortedSet => "@sortedset",
        Group::Stream => "@stream",
        Group::Transactions => "@transaction",
        Group::Scripting => "@scripting",
        Group::PubSub => "@pubsub",
        Group::Server | Group::Cluster => "",
    }];
    for (flag, cat) in [
        (WRITE, "@write"),
        (READONLY, "@read"),
        (ADMIN, "@admin"),
        (ADMIN, "@dangerous"),
        (PUBSUB, "@pubsub"),
        (FAST, "@fast"),
        (BLOCKING, "@blocking"),
    ] {
        if bits & flag != 0 {
            cats.push(cat);
        }
    }
    if bits & FAST == 0 {
        cats.push("@slow");
    }
    cats.retain(|c| !c.is_empty());
    cats.sort_by_key(|c| ORDER.iter().position(|o| o == c));
    cats.dedup();
    cats
}

fn all(call: &mut Call) -> Result<()> {
    let entries = sorted_entries();
    let mut w = call.w();
    w.array(entries.len());
    for e in entries {
        describe(&mut w, e, None);
    }
    Ok(())
}

fn count(call: &mut Call) -> Result<()> {
    let n = Table::get().len() as i64;
    call.w().integer(n);
    Ok(())
}

/// Looks up `name` or `container|sub`.
fn find(name: &[u8]) -> Option<(Entry, Option<Entry>)> {
    let text = String::from_utf8_lossy(name);
    match text.split_once('|') {
        Some((top, sub)) => {
            let parent = Table::get().lookup(top.as_bytes())?;
            Some((parent.subcommand(sub.as_bytes())?, Some(parent)))
        }
        None => Some((Table::get().lookup(name)?, None)),
    }
}

fn info(call: &mut Call) -> Result<()> {
    if call.args.len() == 2 {
        return all(call);
    }
    let names = call.args[2..].to_vec();
    let mut w = call.w();
    w.array(names.len());
    for name in names {
        match find(&name) {
            Some((e, p)) => describe(&mut w, e, p),
            None => w.null(),
        }
    }
    Ok(())
}

fn docs(call: &mut Call) -> Result<()> {
    let wanted: Vec<(Entry, Option<Entry>)> = if call.args.len() == 2 {
        sorted_entries().into_iter().map(|e| (e, None)).collect()
    } else {
        call.args[2..].iter().filter_map(|n| find(n)).collect()
    };
    let mut w = call.w();
    w.map(wanted.len());
    for (e, p) in wanted {
        let (since, summary, group) = super::with_def!(e, d => (d.since, d.summary, d.group));
        let name = match p {
            Some(p) => format!("{}|{}", p.name(), e.name()),
            None => e.name().to_string(),
        };
        w.bulk(name.as_bytes());
        w.map(3);
        w.bulk(b"summary");
        w.bulk(summary.as_bytes());
        w.bulk(b"since");
        w.bulk(since.as_bytes());
        w.bulk(b"group");
        w.bulk(group.name().as_bytes());
    }
    Ok(())
}

fn list(call: &mut Call) -> Result<()> {
    let names: Vec<&str> = sorted_entries().iter().map(|e| e.name()).collect();
    let mut w = call.w();
    w.array(names.len());
    for n in names {
        w.bulk(n.as_bytes());
    }
    Ok(())
}

/// COMMAND GETKEYS, with Redis 7.0's checks and their order.
fn getkeys(call: &mut Call) -> Result<()> {
    let args = call.args[2..].to_vec();
    let invalid = || engine::Error::err("Invalid command specified");
    let top = Table::get().lookup(&args[0]).ok_or_else(invalid)?;
    let entry = match (top.is_container(), args.get(1)) {
        (true, Some(sub)) => top.subcommand(sub).ok_or_else(invalid)?,
        _ => top,
    };
    let (key_spec, arity_ok) = super::with_def!(entry, d => (d.keys != (0, 0, 0) || d.numkeys.is_some(), d.arity_ok(args.len())));
    if !key_spec {
        return Err(engine::Error::err("The command has no key arguments"));
    }
    if !arity_ok {
        return Err(engine::Error::err(
            "Invalid number of arguments specified for command",
        ));
    }
    let keys = super::with_def!(entry, d => d.all_key_positions(&args)).unwrap_or_default();
    if keys.is_empty() {
        return Err(engine::Error::err(
            "Invalid arguments specified for command",
        ));
    }
    let mut w = call.w();
    w.array(keys.len());
    for k in keys {
        w.bulk(&args[k]);
    }
    Ok(())
}

fn help(call: &mut Call) -> Result<()> {
    super::write_help(
        call,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
        ],
    );
    Ok(())
}
