//! The master side: ids, offsets, the stream and PSYNC answers.

use bytes::{Bytes, BytesMut};
use engine::Propagated;

use crate::{encode_command, new_replid, Backlog, NO_REPLID};

/// How to answer a replica's `PSYNC <replid> <offset>`.
#[derive(Debug, Clone, PartialEq)]
pub enum PsyncAnswer {
    /// `+CONTINUE <replid>` then `data`, the backlog from the asked offset.
    Continue { replid: String, data: Bytes },
    /// `+FULLRESYNC <replid> <offset>` and an RDB.
    Full,
}

/// Replication state every server has (a replica relays its master's
/// stream through the same state, for its own replicas).
#[derive(Debug)]
pub struct Master {
    replid: String,
    /// The id we had before the last switch (PSYNC2), and the first offset
    /// that no longer belongs to it (`second_repl_offset`).
    replid2: String,
    second_offset: i64,
    offset: i64,
    backlog: Option<Backlog>,
    /// Database the stream last SELECTed; `None` forces a SELECT.
    stream_db: Option<usize>,
}

impl Default for Master {
    fn default() -> Self {
        Master {
            replid: new_replid(),
            replid2: NO_REPLID.to_string(),
            second_offset: -1,
            offset: 0,
            backlog: None,
            stream_db: None,
        }
    }
}

impl Master {
    pub fn replid(&self) -> &str {
        &self.replid
    }

    pub fn replid2(&self) -> &str {
        &self.replid2
    }

    /// `second_repl_offset` (-1 when there is no previous id).
    pub fn second_offset(&self) -> i64 {
        self.second_offset
    }

    /// `master_repl_offset`.
    pub fn offset(&self) -> i64 {
        self.offset
    }

    pub fn backlog(&self) -> Option<&Backlog> {
        self.backlog.as_ref()
    }

    /// Creates the backlog if there is none. When `fresh_history` (the
    /// first replica of a master that never had one), a new id is chosen
    /// like Redis does, since nobody can hold the old history.
    pub fn ensure_backlog(&mut self, size: usize, fresh_history: bool) {
        if self.backlog.is_none() {
            if fresh_history {
                self.replid = new_replid();
                self.replid2 = NO_REPLID.to_string();
                self.second_offset = -1;
            }
            self.backlog = Some(Backlog::new(size, self.offset));
        }
    }

    pub fn resize_backlog(&mut self, size: usize) {
        if let Some(b) = &mut self.backlog {
            b.resize(size);
        }
    }

    /// Drops the backlog, e.g. before loading another history.
    pub fn free_backlog(&mut self) {
        self.backlog = None;
    }

    /// `repl-backlog-ttl` expired without replicas: drops the backlog and,
    /// as Redis does, takes a new id and forgets the previous one, since
    /// the offset stops counting and no one could continue this history.
    pub fn expire_backlog(&mut self) {
        self.backlog = None;
        self.replid = new_replid();
        self.replid2 = NO_REPLID.to_string();
        self.second_offset = -1;
    }

    /// Forces a SELECT before the next command (a replica just started
    /// from a snapshot and has no selected database).
    pub fn reset_stream_db(&mut self) {
        self.stream_db = None;
    }

    /// Encodes executed writes, appends them to the backlog and returns
    /// the bytes to send to replicas (empty without a backlog).
    pub fn feed(&mut self, writes: &[Propagated]) -> Bytes {
        if self.backlog.is_none() || writes.is_empty() {
            return Bytes::new();
        }
        let mut out = BytesMut::new();
        for w in writes {
            if self.stream_db != Some(w.db) {
                let db = itoa::Buffer::new().format(w.db).to_string();
                encode_command(&mut out, &["SELECT", db.as_str()]);
                self.stream_db = Some(w.db);
            }
            encode_command(&mut out, &w.args);
        }
        self.feed_raw(&out);
        out.freeze()
    }

    /// Appends stream bytes as they are: PINGs, GETACKs, or a master's
    /// stream relayed by a replica to its own replicas.
    pub fn feed_raw(&mut self, bytes: &[u8]) {
        if let Some(b) = &mut self.backlog {
            b.append(bytes);
            self.offset = b.offset();
        }
    }

    /// The answer to `PSYNC replid offset` (Redis's
    /// `masterTryPartialResynchronization`).
    pub fn psync(&self, replid: &str, offset: i64) -> PsyncAnswer {
        let known =
            replid == self.replid || (replid == self.replid2 && offset <= self.second_offset);
        match (&self.backlog, known) {
            (Some(b), true) => match b.read_from(offset) {
                Some(data) => PsyncAnswer::Continue {
                    replid: self.replid.clone(),
                    data,
                },
                None => PsyncAnswer::Full,
            },
            _ => PsyncAnswer::Full,
        }
    }

    /// A replica promoted to master (REPLICAOF NO ONE): keep the old id as
    /// the secondary one so siblings can continue partially.
    pub fn shift_replid(&mut self) {
        self.replid2 = std::mem::replace(&mut self.replid, new_replid());
        self.second_offset = self.offset + 1;
    }

    /// A replica adopting its master's history after a full sync: its id,
    /// its offset, and a backlog starting there.
    pub fn adopt(&mut self, replid: &str, offset: i64, backlog_size: usize) {
        self.replid = replid.to_string();
        self.replid2 = NO_REPLID.to_string();
        self.second_offset = -1;
        self.offset = offset;
        self.backlog = Some(Backlog::new(backlog_size, offset));
        self.stream_db = None;
    }

    /// A partial resync with a master that has a new id (`+CONTINUE <id>`):
    /// our history continues under the new id.
    pub fn continue_as(&mut self, new_replid: &str) {
        if new_replid != self.replid {
            self.replid2 = std::mem::replace(&mut self.replid, new_replid.to_string());
            self.second_offset = self.offset + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(db: usize, args: &[&str]) -> Propagated {
        Propagated {
            db,
            args: args
                .iter()
                .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                .collect(),
        }
    }

    #[test]
    fn stream_selects_and_counts() {
        let mut m = Master::default();
        assert!(m.feed(&[w(0, &["SET", "a", "1"])]).is_empty());
        m.ensure_backlog(1024, true);
        let out = m.feed(&[
            w(0, &["SET", "a", "1"]),
            w(0, &["DEL", "a"]),
            w(2, &["DEL", "b"]),
        ]);
        let text = String::from_utf8(out.to_vec()).unwrap();
        assert!(text.starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET"));
        assert_eq!(text.matches("SELECT").count(), 2);
        assert_eq!(m.offset(), out.len() as i64);
    }

    #[test]
    fn psync_rules() {
        let mut m = Master::default();
        m.ensure_backlog(16, true);
        m.feed_raw(b"0123456789");
        let id = m.replid().to_string();
        assert_eq!(
            m.psync(&id, 5),
            PsyncAnswer::Continue {
                replid: id.clone(),
                data: Bytes::from_static(b"456789")
            }
        );
        assert_eq!(
            m.psync(&id, 11),
            PsyncAnswer::Continue {
                replid: id.clone(),
                data: Bytes::new()
            }
        );
        assert_eq!(m.psync(&id, 12), PsyncAnswer::Full);
        assert_eq!(m.psync("other", 5), PsyncAnswer::Full);
        m.shift_replid();
        m.feed_raw(b"ab");
        // The old id is honoured up to the switch point.
        assert!(matches!(m.psync(&id, 11), PsyncAnswer::Continue { .. }));
        assert_eq!(m.psync(&id, 12), PsyncAnswer::Full);
        m.feed_raw(&[b'x'; 20]);
        assert_eq!(m.psync(m.replid(), 1), PsyncAnswer::Full);
    }
}
