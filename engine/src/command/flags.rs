//! Command flags, with the names `COMMAND INFO` prints.

pub const WRITE: u32 = 1 << 0;
pub const READONLY: u32 = 1 << 1;
pub const DENYOOM: u32 = 1 << 2;
pub const ADMIN: u32 = 1 << 3;
pub const PUBSUB: u32 = 1 << 4;
pub const NOSCRIPT: u32 = 1 << 5;
pub const BLOCKING: u32 = 1 << 6;
pub const LOADING: u32 = 1 << 7;
pub const STALE: u32 = 1 << 8;
pub const SKIP_MONITOR: u32 = 1 << 9;
pub const SKIP_SLOWLOG: u32 = 1 << 10;
pub const FAST: u32 = 1 << 11;
pub const NO_AUTH: u32 = 1 << 12;
pub const MAY_REPLICATE: u32 = 1 << 13;
pub const NO_MULTI: u32 = 1 << 14;
pub const ALLOW_BUSY: u32 = 1 << 15;
pub const SENTINEL: u32 = 1 << 16;
/// Internal, not shown by COMMAND: the command marks the keys it writes for
/// WATCH itself (`Ctx::touch`), instead of every key position being marked.
pub const TOUCHES_ITSELF: u32 = 1 << 17;

// The rest are internal too: properties Redis's `processCommand` tests by
// comparing command procs, carried on the table row here instead.

/// Runs at once inside MULTI instead of being queued (MULTI, EXEC,
/// DISCARD, WATCH, QUIT, RESET).
pub const NO_QUEUE: u32 = 1 << 18;
/// Ends a transaction (EXEC, DISCARD, QUIT, RESET): never refused for
/// memory inside MULTI, where anything else is (queueing takes memory).
pub const ENDS_MULTI: u32 = 1 << 19;
/// Allowed to a RESP2 client in subscribed mode ((P|S)(UN)SUBSCRIBE, PING,
/// QUIT, RESET).
pub const SUBSCRIBED_OK: u32 = 1 << 20;
/// Writes, denies OOM or replicates as the commands it runs do: EXEC,
/// whose flags for those checks are its queue's.
pub const QUEUE_FLAGS: u32 = 1 << 21;

/// Flag bits and their names, in Redis's order.
pub const NAMES: &[(u32, &str)] = &[
    (WRITE, "write"),
    (READONLY, "readonly"),
    (DENYOOM, "denyoom"),
    (ADMIN, "admin"),
    (PUBSUB, "pubsub"),
    (NOSCRIPT, "noscript"),
    (BLOCKING, "blocking"),
    (LOADING, "loading"),
    (STALE, "stale"),
    (SKIP_MONITOR, "skip_monitor"),
    (SKIP_SLOWLOG, "skip_slowlog"),
    (FAST, "fast"),
    (NO_AUTH, "no_auth"),
    // MAY_REPLICATE is not listed: Redis hides it on purpose.
    (NO_MULTI, "no_multi"),
    (ALLOW_BUSY, "allow_busy"),
];

/// The names of the flags set in `bits`.
pub fn names(bits: u32) -> impl Iterator<Item = &'static str> {
    NAMES
        .iter()
        .filter(move |(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
}
