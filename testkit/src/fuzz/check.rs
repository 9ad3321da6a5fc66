//! How two replies to one generated command are compared: exactly where
//! Redis's reply is deterministic, after normalizing where only its order
//! (or timing) is not, and by shape plus membership where it is random.

use crate::reply::Reply;

/// The comparison a generated command needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// Byte for byte.
    Exact,
    /// Every aggregate's elements sorted (SMEMBERS, KEYS, SUNION...).
    Sorted,
    /// A flat field/value list (or RESP3 map) sorted as pairs (HGETALL).
    Pairs,
    /// Only the type structure (OBJECT IDLETIME, HELLO's client id, DUMP of
    /// a hash table whose order is the table's).
    Shape,
    /// Integers within this distance (TTL and friends: the two servers see
    /// the command a few milliseconds apart); anything else exactly.
    Near(i64),
    /// A random pick (SRANDMEMBER, SPOP, HRANDFIELD, ZRANDMEMBER,
    /// RANDOMKEY): `universe` runs first on both servers (compared sorted),
    /// then the command, compared by shape, each server's strings having to
    /// come from its own universe; `resync` then runs on both (compared
    /// exactly) to make the keyspaces equal again after a random removal.
    Random {
        universe: Vec<Vec<u8>>,
        resync: Option<Vec<Vec<u8>>>,
    },
    /// A SCAN-family command with cursor 0 at `cursor`: each server is
    /// iterated to the end and the gathered elements (`pairs`: field/value
    /// or member/score pairs) are compared as sorted sets.
    Scan { cursor: usize, pairs: bool },
    /// A lex range over `key`: Redis answers exactly only when all the
    /// sorted set's scores are equal (otherwise the result is "unspecified":
    /// whatever its listpack or skiplist walk finds). The runner checks the
    /// lowest and highest scores first: equal, the replies are compared
    /// exactly; else by shape, then `resync` runs on both.
    Lex {
        key: Vec<u8>,
        resync: Option<Vec<Vec<u8>>>,
    },
    /// DUMP `src` on both servers, then RESTORE `dst` from the *other*
    /// server's payload (REPLACE): the RESTORE replies must match, which
    /// checks that each accepts the other's serialization.
    CrossRestore { src: Vec<u8>, dst: Vec<u8> },
}

impl Check {
    /// Whether the reply is comparable byte for byte after EXEC (only such
    /// commands are queued in MULTI).
    pub fn is_exact(&self) -> bool {
        *self == Check::Exact
    }

    /// Compares two replies under this check (the multi-command checks
    /// compare their single replies here; the runner does the rest).
    pub fn compare(&self, ours: &Reply, theirs: &Reply) -> Result<(), String> {
        if ours == theirs {
            return Ok(());
        }
        match self {
            Check::Exact | Check::CrossRestore { .. } | Check::Scan { .. } | Check::Lex { .. } => {
                Err("replies differ".into())
            }
            Check::Sorted if ours.sorted() == theirs.sorted() => Ok(()),
            Check::Sorted => Err("replies differ even when sorted".into()),
            Check::Pairs if pairs_sorted(ours) == pairs_sorted(theirs) => Ok(()),
            Check::Pairs => Err("replies differ even with pairs sorted".into()),
            Check::Shape | Check::Random { .. } if ours.shape() == theirs.shape() => Ok(()),
            Check::Shape | Check::Random { .. } => Err(format!(
                "shapes differ: {} vs {}",
                ours.shape(),
                theirs.shape()
            )),
            Check::Near(tolerance) => match (ours.integer(), theirs.integer()) {
                (Some(a), Some(b)) if (a - b).abs() <= *tolerance => Ok(()),
                _ => Err(format!("replies differ (tolerance {tolerance})")),
            },
        }
    }
}

/// A reply's field/value pairs (array or map), each pair encoded, sorted;
/// anything else as it is.
fn pairs_sorted(reply: &Reply) -> Vec<Vec<u8>> {
    match reply {
        Reply::Array(Some(items)) | Reply::Map(items) => {
            let mut pairs: Vec<Vec<u8>> = items
                .chunks(2)
                .map(|pair| pair.iter().flat_map(Reply::encode).collect())
                .collect();
            pairs.sort();
            pairs
        }
        other => vec![other.encode()],
    }
}

/// Every string leaf of a reply (bulk, simple, double, verbatim), for
/// membership checks.
pub fn leaves(reply: &Reply, out: &mut Vec<Vec<u8>>) {
    match reply {
        Reply::Bulk(Some(b)) => out.push(b.clone()),
        Reply::Simple(s) | Reply::Double(s) => out.push(s.as_bytes().to_vec()),
        Reply::Verbatim { text, .. } => out.push(text.clone()),
        Reply::Array(Some(items)) | Reply::Map(items) | Reply::Set(items) | Reply::Push(items) => {
            items.iter().for_each(|item| leaves(item, out))
        }
        _ => {}
    }
}

/// The kind of a reply for deduplicating differences: its type byte, and
/// for errors the error code.
pub fn kind(reply: &Reply) -> String {
    match reply {
        Reply::Error(e) => format!("-{}", e.split(' ').next().unwrap_or("")),
        other => other.shape().chars().take(1).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(bytes: &[u8]) -> Reply {
        Reply::from_bytes(bytes).unwrap()
    }

    #[test]
    fn normalizes_only_what_it_should() {
        let ab = r(b"*4\r\n$1\r\nf\r\n$1\r\n1\r\n$1\r\ng\r\n$1\r\n2\r\n");
        let ba = r(b"*4\r\n$1\r\ng\r\n$1\r\n2\r\n$1\r\nf\r\n$1\r\n1\r\n");
        let crossed = r(b"*4\r\n$1\r\nf\r\n$1\r\n2\r\n$1\r\ng\r\n$1\r\n1\r\n");
        assert!(Check::Exact.compare(&ab, &ba).is_err());
        assert!(Check::Pairs.compare(&ab, &ba).is_ok());
        assert!(Check::Pairs.compare(&ab, &crossed).is_err());
        assert!(Check::Sorted.compare(&ab, &crossed).is_ok());
        assert!(Check::Near(1)
            .compare(&r(b":99\r\n"), &r(b":100\r\n"))
            .is_ok());
        assert!(Check::Near(1)
            .compare(&r(b":98\r\n"), &r(b":100\r\n"))
            .is_err());
        assert!(Check::Shape
            .compare(&r(b":1\r\n"), &r(b"$1\r\n1\r\n"))
            .is_err());
        assert_eq!(kind(&r(b"-WRONGTYPE x\r\n")), "-WRONGTYPE");
        assert_eq!(kind(&ab), "*");
    }
}
