//! Generic key commands.

use super::flags::*;
use super::{cmd, CommandDef, Ctx, Group, Handler};
use crate::Result;

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    let doc = |d: CommandDef<Handler>, since, summary| d.doc(Group::Generic, since, summary);
    vec![
        doc(
            cmd("del", -2, WRITE, del).keys(1, -1, 1),
            "1.0.0",
            "Deletes one or more keys.",
        ),
        doc(
            cmd("exists", -2, READONLY | FAST, exists).keys(1, -1, 1),
            "1.0.0",
            "Determines whether one or more keys exist.",
        ),
        doc(
            cmd("type", 2, READONLY | FAST, type_).keys(1, 1, 1),
            "1.0.0",
            "Determines the type of value stored at a key.",
        ),
    ]
}

fn del(ctx: &mut Ctx) -> Result<()> {
    let mut removed = 0;
    for key in &ctx.args[1..] {
        if ctx.exists(key) && ctx.db().remove(key).is_some() {
            removed += 1;
        }
    }
    ctx.dirty(removed as u64);
    ctx.out.integer(removed);
    Ok(())
}

fn exists(ctx: &mut Ctx) -> Result<()> {
    let found = ctx.args[1..].iter().filter(|k| ctx.exists(k)).count();
    ctx.out.integer(found as i64);
    Ok(())
}

fn type_(ctx: &mut Ctx) -> Result<()> {
    let name = ctx
        .lookup_write(ctx.arg(1))
        .map_or("none", |v| v.kind().name());
    ctx.out.simple(name.as_bytes());
    Ok(())
}
