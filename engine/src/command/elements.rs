//! Pieces shared by the collection commands (hashes, sets, sorted sets):
//! writing compact-encoded elements, Redis's count arguments, and the
//! options and reply of HSCAN, SSCAN and ZSCAN.

use bytes::Bytes;
use resp::Writer;

use super::args;
pub(super) use super::scan::parse_cursor;
use crate::types::Entry;
use crate::{glob, Error, Result};

/// Writes an element as a bulk string.
pub(super) fn write_entry(out: &mut Writer, e: Entry<'_>) {
    match e {
        Entry::Int(n) => out.bulk_integer(n),
        Entry::Str(s) => out.bulk(s),
    }
}

/// A count that may be negative, like Redis's
/// `getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)` without a message
/// (HRANDFIELD, SRANDMEMBER, ZRANDMEMBER).
pub(super) fn signed_count(arg: &[u8]) -> Result<i64> {
    let n = args::int(arg)?;
    if n == i64::MIN {
        return Err(Error::err(format!(
            "value is out of range, value must between {} and {}",
            -i64::MAX,
            i64::MAX
        )));
    }
    Ok(n)
}

/// The most bytes a reply whose length a client chose (random picks that
/// may repeat) may take: `proto-max-bulk-len`'s default. Redis would try
/// to build any size and take the server down with it; a reply this large
/// is refused before anything is written.
pub(super) const MAX_CHOSEN_REPLY: u64 = 512 * 1024 * 1024;

/// Refuses `picks` repeated picks of at least `min_bytes` each when their
/// reply would pass [`MAX_CHOSEN_REPLY`].
pub(super) fn check_chosen_reply(picks: u64, min_bytes: u64) -> Result<()> {
    if picks.saturating_mul(min_bytes) > MAX_CHOSEN_REPLY {
        return Err(Error::err(
            "reply would exceed the maximum allowed size (proto-max-bulk-len)",
        ));
    }
    Ok(())
}

/// Bytes of the smallest element a pick writes: `$0\r\n\r\n`.
pub(super) const MIN_PICK_BYTES: u64 = 6;

/// A non-negative integer like Redis's `getPositiveLongFromObjectOrReply`
/// with a message: `msg` answers both a non-integer and a negative value.
pub(super) fn non_negative(arg: &[u8], msg: &str) -> Result<usize> {
    args::int(arg)
        .ok()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| Error::err(msg))
}

/// `[MATCH pattern] [COUNT count]` after the cursor of a collection scan,
/// parsed like Redis's `scanGenericCommand` (TYPE is for SCAN only).
/// Returns the count (default 10) and the pattern (`None` for `*`).
pub(super) fn scan_options(list: &[Bytes]) -> Result<(usize, Option<&[u8]>)> {
    let (mut count, mut pattern) = (10, None);
    let mut rest = list;
    while !rest.is_empty() {
        let [opt, value, tail @ ..] = rest else {
            return Err(Error::Syntax);
        };
        if args::is(opt, "count") {
            count = usize::try_from(args::int(value)?)
                .ok()
                .filter(|&n| n >= 1)
                .ok_or(Error::Syntax)?;
        } else if args::is(opt, "match") {
            pattern = (&value[..] != b"*").then_some(&value[..]);
        } else {
            return Err(Error::Syntax);
        }
        rest = tail;
    }
    Ok((count, pattern))
}

/// The reply to a key-less or missing-key collection scan.
pub(super) fn empty_scan(out: &mut Writer) {
    out.array(2);
    out.bulk(b"0");
    out.array(0);
}

/// Writes a collection scan reply: the next cursor, then `elements` in
/// groups of `group` (2 for field-value or member-score pairs), keeping
/// only groups whose first element matches `pattern`.
pub(super) fn scan_reply(
    out: &mut Writer,
    cursor: u64,
    elements: &[Entry<'_>],
    group: usize,
    pattern: Option<&[u8]>,
) {
    let mut buf = itoa::Buffer::new();
    let keep =
        |g: &&[Entry<'_>]| pattern.is_none_or(|p| glob::matches(p, g[0].bytes(&mut buf), false));
    let kept: Vec<&[Entry<'_>]> = elements.chunks(group).filter(keep).collect();
    out.array(2);
    out.bulk_integer(cursor as i64);
    out.array(kept.len() * group);
    for e in kept.into_iter().flatten() {
        write_entry(out, *e);
    }
}
