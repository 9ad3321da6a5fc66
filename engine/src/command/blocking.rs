//! What the blocking pops share: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP and
//! BZPOPMIN BZPOPMAX BZMPOP.
//!
//! The contract with the server:
//! * When one of the keys has data, the command acts at once like its
//!   non-blocking form and is propagated as that form (`LPOP key`,
//!   `LPOP key count`, `LMOVE ...`, `RPOPLPUSH ...`, `ZPOPMIN key [count]`).
//! * When none has and [`Ctx::may_block`], it calls [`Ctx::block`] with its
//!   keys and deadline and writes no reply. The server parks the client.
//!   Pushes mark keys ready ([`Engine::take_ready_keys`]); for each ready key
//!   the server re-runs the parked commands waiting on it, first parked
//!   first, with [`Engine::execute_served`]. A re-run command only looks at
//!   that key and parks again when it cannot be served from it.
//! * When the deadline passes, the server writes [`blocked_timeout_reply`]:
//!   a null array (`*-1` in RESP2, `_` in RESP3) for every one of these
//!   commands, BLMOVE and BRPOPLPUSH included.
//! * When blocking is not allowed (inside MULTI), the command answers at once
//!   as if it timed out: a null array, except BLMOVE and BRPOPLPUSH, which
//!   answer a null bulk string (`$-1`, `_`) there, as Redis 7.0 does.
//!
//! [`Engine::take_ready_keys`]: crate::Engine::take_ready_keys
//! [`Engine::execute_served`]: crate::Engine::execute_served

use bytes::Bytes;
use resp::Writer;

use super::long_double::LongDouble;
use super::Ctx;
use crate::{Error, Result};

/// The reply of a parked list or sorted set command whose deadline passed.
pub fn blocked_timeout_reply(w: &mut Writer) {
    w.null_array();
}

/// Parses a timeout in seconds like Redis 7.0's `getTimeoutFromObjectOrReply`
/// and returns the deadline in Unix ms (`None`: wait forever).
///
/// Redis reads a `long double` and converts `ceil(seconds * 1000)` to a
/// 64-bit integer; a value that does not fit becomes `i64::MIN` on x86, so
/// it is "negative". The extended precision matters: `-0.001` is a wait
/// forever, not a negative timeout.
pub(super) fn deadline(ctx: &Ctx, arg: &[u8]) -> Result<Option<i64>> {
    let seconds = LongDouble::parse(arg)
        .ok_or_else(|| Error::err("timeout is not a float or out of range"))?;
    match seconds.mul_u64(1000).ceil_i64() {
        Some(ms) if ms >= 0 => Ok((ms > 0).then(|| ctx.now.saturating_add(ms))),
        _ => Err(Error::err("timeout is negative")),
    }
}

/// The keys to try: all of them, or only the one being served when the
/// server re-runs a parked command.
pub(super) fn keys_to_try<'k>(ctx: &Ctx, keys: &'k [Bytes]) -> &'k [Bytes] {
    match ctx.serving() {
        Some(ready) => match keys.iter().position(|k| k == ready) {
            Some(i) => &keys[i..=i],
            None => keys,
        },
        None => keys,
    }
}

/// Nothing to pop: parks the client on `keys`, or, when blocking is not
/// allowed, answers with `timeout_reply` at once.
pub(super) fn park(
    ctx: &mut Ctx,
    keys: &[Bytes],
    deadline: Option<i64>,
    timeout_reply: fn(&mut Writer<'_>),
) {
    if ctx.may_block() {
        ctx.block(keys.to_vec(), deadline);
    } else {
        timeout_reply(&mut ctx.out);
    }
}
