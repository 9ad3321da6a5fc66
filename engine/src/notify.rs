//! Keyspace notifications (Redis's `notify-keyspace-events`).
//!
//! Commands report what they did to a key as an event of a class (`set` is
//! a string event, `del` a generic one). The engine records the events of
//! enabled classes in execution order ([`crate::Engine::notify`]); the
//! server publishes each on `__keyspace@<db>__:<key>` (message: the event)
//! and/or `__keyevent@<db>__:<event>` (message: the key), as the `K` and
//! `E` flags ask. With notifications off, the default, recording costs one
//! branch.
//!
//! The class bits are Redis's `NOTIFY_*` values.

use bytes::Bytes;

/// K: publish on `__keyspace@<db>__:<key>`.
pub const KEYSPACE: u32 = 1 << 0;
/// E: publish on `__keyevent@<db>__:<event>`.
pub const KEYEVENT: u32 = 1 << 1;
/// g: generic commands (DEL, EXPIRE, RENAME...).
pub const GENERIC: u32 = 1 << 2;
/// $: string commands.
pub const STRING: u32 = 1 << 3;
/// l: list commands.
pub const LIST: u32 = 1 << 4;
/// s: set commands.
pub const SET: u32 = 1 << 5;
/// h: hash commands.
pub const HASH: u32 = 1 << 6;
/// z: sorted set commands.
pub const ZSET: u32 = 1 << 7;
/// x: keys deleted because their time had come.
pub const EXPIRED: u32 = 1 << 8;
/// e: keys evicted for maxmemory.
pub const EVICTED: u32 = 1 << 9;
/// t: stream commands.
pub const STREAM: u32 = 1 << 10;
/// m: reads of missing keys (not part of A).
pub const KEY_MISS: u32 = 1 << 11;
/// d: module key types.
pub const MODULE: u32 = 1 << 13;
/// n: keys created (not part of A).
pub const NEW: u32 = 1 << 14;
/// A: alias for "g$lshzxetd".
pub const ALL: u32 =
    GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// Class letters in the order Redis prints them (after `A`, before `KEm`).
const CLASSES: &[(u8, u32)] = &[
    (b'g', GENERIC),
    (b'$', STRING),
    (b'l', LIST),
    (b's', SET),
    (b'h', HASH),
    (b'z', ZSET),
    (b'x', EXPIRED),
    (b'e', EVICTED),
    (b't', STREAM),
    (b'd', MODULE),
    (b'n', NEW),
];

/// Flags printed after the classes, in this order.
const TRAILING: &[(u8, u32)] = &[(b'K', KEYSPACE), (b'E', KEYEVENT), (b'm', KEY_MISS)];

/// Parses a `notify-keyspace-events` string (Redis's
/// `keyspaceEventsStringToFlags`); `None` on an unknown letter.
pub fn parse_flags(s: &[u8]) -> Option<u32> {
    s.iter().try_fold(0, |flags, &c| {
        let flag = match c {
            b'A' => ALL,
            c => CLASSES.iter().chain(TRAILING).find(|(l, _)| *l == c)?.1,
        };
        Some(flags | flag)
    })
}

/// The canonical string of `flags` (Redis's `keyspaceEventsFlagsToString`):
/// `A` stands for all its classes, and then `n` is not printed either, as
/// in Redis 7.0.
pub fn flags_to_string(flags: u32) -> String {
    let mut out = String::new();
    if flags & ALL == ALL {
        out.push('A');
    } else {
        out.extend(
            CLASSES
                .iter()
                .filter(|(_, f)| flags & f != 0)
                .map(|&(l, _)| char::from(l)),
        );
    }
    out.extend(
        TRAILING
            .iter()
            .filter(|(_, f)| flags & f != 0)
            .map(|&(l, _)| char::from(l)),
    );
    out
}

/// The classes worth recording under `flags`: none unless there is a
/// channel (K or E) to publish them on.
pub(crate) fn recorded_classes(flags: u32) -> u32 {
    if flags & (KEYSPACE | KEYEVENT) == 0 {
        0
    } else {
        flags & !(KEYSPACE | KEYEVENT)
    }
}

/// One event on one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub class: u32,
    /// `set`, `del`, `expired`...
    pub event: &'static str,
    pub db: usize,
    pub key: Bytes,
}

impl Notification {
    /// `__keyspace@<db>__:<key>`, where the event is the message.
    pub fn keyspace_channel(&self) -> Vec<u8> {
        let mut channel = format!("__keyspace@{}__:", self.db).into_bytes();
        channel.extend_from_slice(&self.key);
        channel
    }

    /// `__keyevent@<db>__:<event>`, where the key is the message.
    pub fn keyevent_channel(&self) -> Vec<u8> {
        format!("__keyevent@{}__:{}", self.db, self.event).into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print_like_redis() {
        let canonical = |s: &str| parse_flags(s.as_bytes()).map(flags_to_string);
        assert_eq!(canonical("KEA").as_deref(), Some("AKE"));
        assert_eq!(canonical("").as_deref(), Some(""));
        assert_eq!(canonical("Ex").as_deref(), Some("xE"));
        assert_eq!(canonical("lK").as_deref(), Some("lK"));
        assert_eq!(canonical("mnzE$").as_deref(), Some("$znEm"));
        // All classes spelled out read back as A; n is then not printed.
        assert_eq!(canonical("g$lshzxetdK").as_deref(), Some("AK"));
        assert_eq!(canonical("AnE").as_deref(), Some("AE"));
        assert_eq!(canonical("KEAKEA").as_deref(), Some("AKE"));
        assert_eq!(parse_flags(b"KEQ"), None);
        assert_eq!(parse_flags(b"a"), None);
        assert_eq!(parse_flags(b"A"), Some(ALL));
        assert_eq!(parse_flags(b"n"), Some(NEW));
        assert_eq!(parse_flags(b"m"), Some(KEY_MISS));
    }

    #[test]
    fn classes_need_a_channel() {
        assert_eq!(recorded_classes(ALL), 0);
        assert_eq!(recorded_classes(KEYSPACE), 0);
        assert_eq!(recorded_classes(KEYEVENT | ALL), ALL);
        assert_eq!(recorded_classes(KEYSPACE | LIST | NEW), LIST | NEW);
    }

    use crate::command::test_support::{TestEngine, NOW};

    /// The events recorded since the last call, as `db:event:key`.
    fn events(t: &mut TestEngine) -> Vec<String> {
        t.eng
            .take_notifications()
            .iter()
            .map(|n| format!("{}:{}:{}", n.db, n.event, String::from_utf8_lossy(&n.key)))
            .collect()
    }

    fn engine(flags: &str) -> TestEngine {
        let mut t = TestEngine::new();
        t.eng
            .set_notify_flags(parse_flags(flags.as_bytes()).unwrap());
        t
    }

    #[test]
    fn off_by_default() {
        let mut t = TestEngine::new();
        t.run("SET k v EX 10");
        t.run("DEL k");
        assert!(!t.eng.has_notifications());
    }

    #[test]
    fn commands_emit_in_redis_order() {
        let mut t = engine("KEA");
        t.run("SET k v EX 10");
        t.run("INCR n");
        t.run("RENAME k k2");
        t.run("MOVE k2 3");
        t.run("RPUSH l a");
        t.run("LPOP l");
        t.run("LPUSH l2 x");
        t.run("LMOVE l2 l3 LEFT RIGHT");
        t.run("HSET h f v");
        t.run("ZADD z INCR 1 m");
        t.run("EXPIRE n -1");
        t.run("DEL nosuch");
        assert_eq!(
            events(&mut t),
            [
                "0:set:k",
                "0:expire:k",
                "0:incrby:n",
                "0:rename_from:k",
                "0:rename_to:k2",
                "0:move_from:k2",
                "3:move_to:k2",
                "0:rpush:l",
                "0:lpop:l",
                "0:del:l",
                "0:lpush:l2",
                // The push is announced before the pop that fed it.
                "0:rpush:l3",
                "0:lpop:l2",
                "0:del:l2",
                "0:hset:h",
                "0:zincr:z",
                "0:del:n",
            ]
        );
    }

    #[test]
    fn classes_filter_and_new_keys() {
        let mut t = engine("Kln");
        t.run("SET k v");
        t.run("RPUSH l a");
        t.run("RPUSH l b");
        t.run("RPOP l 2");
        t.run("GET nosuch");
        assert_eq!(
            events(&mut t),
            ["0:new:k", "0:new:l", "0:rpush:l", "0:rpush:l", "0:rpop:l"]
        );
        let mut t = engine("Em");
        t.run("GET nosuch");
        t.run("OBJECT ENCODING nosuch");
        t.run("SET nosuch v");
        assert_eq!(events(&mut t), ["0:keymiss:nosuch"]);
    }

    #[test]
    fn expired_and_evicted_keys() {
        let mut t = engine("Exe");
        t.run("SET k v PX 10");
        t.run("SET other v");
        t.now = NOW + 100;
        t.run("GET k");
        assert_eq!(events(&mut t), ["0:expired:k"]);
        t.run("SET k v PX 10");
        t.eng
            .active_expire_cycle(NOW + 1000, std::time::Duration::from_secs(1));
        assert_eq!(events(&mut t), ["0:expired:k"]);
        t.eng.configure_eviction(crate::EvictionConfig {
            policy: crate::Policy::AllkeysRandom,
            ..Default::default()
        });
        t.eng.evict(1, NOW, std::time::Duration::from_secs(1));
        assert_eq!(events(&mut t), ["0:evicted:other"]);
    }

    #[test]
    fn channels() {
        let n = Notification {
            class: STRING,
            event: "set",
            db: 3,
            key: Bytes::from_static(b"k:\x00"),
        };
        assert_eq!(n.keyspace_channel(), b"__keyspace@3__:k:\x00");
        assert_eq!(n.keyevent_channel(), b"__keyevent@3__:set");
    }
}
