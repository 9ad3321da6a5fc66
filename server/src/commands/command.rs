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
            -3,
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
    CommandDef {
        name,
        arity,
        flags: LOADING | STALE,
        keys: (0, 0, 0),
        group: Group::Server,
        since: "2.8.13",
        summary,
        handler: Some(h),
        subcommands: &[],
    }
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
    w.array(0); // key specs
    let subs = entry.subcommands();
    w.array(subs.len());
    for s in subs {
        describe(w, s, Some(entry));
    }
}

/// ACL categories derived from flags and group, as Redis does.
fn categories(bits: u32, group: Group) -> Vec<String> {
    let mut cats = Vec::new();
    let mut add = |flag: u32, name: &str| {
        if bits & flag != 0 {
            cats.push(format!("@{name}"));
        }
    };
    add(WRITE, "write");
    add(READONLY, "read");
    add(ADMIN, "admin");
    add(ADMIN, "dangerous");
    add(PUBSUB, "pubsub");
    add(FAST, "fast");
    add(BLOCKING, "blocking");
    if bits & FAST == 0 {
        cats.push("@slow".into());
    }
    match group {
        Group::String => cats.push("@string".into()),
        Group::Generic | Group::Keyspace => cats.push("@keyspace".into()),
        Group::Connection => cats.push("@connection".into()),
        Group::List => cats.push("@list".into()),
        Group::Hash => cats.push("@hash".into()),
        Group::Set => cats.push("@set".into()),
        Group::SortedSet => cats.push("@sortedset".into()),
        Group::Transactions => cats.push("@transaction".into()),
        Group::Scripting => cats.push("@scripting".into()),
        _ => {}
    }
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
            None => w.null_array(),
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

fn getkeys(call: &mut Call) -> Result<()> {
    let args = call.args[2..].to_vec();
    let found = super::resolve(&args).map_err(engine::Error::Other)?;
    let keys = super::with_def!(found.entry, d => d.key_positions(args.len()).collect::<Vec<_>>());
    if keys.is_empty() {
        return Err(engine::Error::err("The command has no key arguments"));
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
