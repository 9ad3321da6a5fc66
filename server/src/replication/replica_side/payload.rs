//! The RDB payload of a full sync as it arrives: `$<len>\r\n<bytes>`
//! (disk-based master) or `$EOF:<40-byte mark>\r\n<bytes><mark>` (diskless
//! master), handed on in chunks as they are read, so the payload never has
//! to be held whole: it goes to a file or straight to the parser.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use replication::handshake::read_line;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Bytes asked of the socket per read.
const READ_CHUNK: usize = 256 * 1024;
/// Length of the end mark of a diskless transfer.
const MARK_LEN: usize = 40;

/// How the end of the payload is known.
#[derive(Debug, Clone, PartialEq, Eq)]
enum End {
    /// This many bytes are still to come.
    Left(usize),
    /// The payload ends before this mark.
    Mark(Vec<u8>),
    Reached,
}

/// A payload being received; `buf` (shared with the handshake before and
/// the stream after) holds bytes read but not yet handed on.
#[derive(Debug)]
pub struct Payload {
    end: End,
    /// The announced length of a `$<len>` payload; `None` for one ended by
    /// a mark (a "streamed" RDB in Redis's log).
    pub total: Option<usize>,
    /// Payload bytes handed on so far.
    pub received: usize,
}

impl Payload {
    /// Reads the header line (after the newlines a master sends while it
    /// prepares the snapshot).
    pub async fn start<S: AsyncRead + Unpin>(
        s: &mut S,
        buf: &mut BytesMut,
    ) -> Result<Payload, String> {
        let header = read_line(s, buf)
            .await
            .map_err(|e| format!("I/O error reading bulk count from MASTER: {e}"))?;
        if let Some(error) = header.strip_prefix('-') {
            return Err(format!("MASTER aborted replication with an error: {error}"));
        }
        let bad = || {
            format!("Bad protocol from MASTER, the first byte is not '$' (we received '{header}'), are you sure the host and port are right?")
        };
        let spec = header.strip_prefix('$').ok_or_else(bad)?;
        let (end, total) = match spec.strip_prefix("EOF:") {
            Some(mark) if mark.len() >= MARK_LEN => {
                (End::Mark(mark.as_bytes()[..MARK_LEN].to_vec()), None)
            }
            _ => {
                let len: usize = spec.parse().map_err(|_| bad())?;
                (End::Left(len), Some(len))
            }
        };
        Ok(Payload {
            end,
            total,
            received: 0,
        })
    }

    /// The next chunk of the payload, `None` once it is complete (what
    /// follows it stays in `buf`). Each read waits at most `timeout`.
    pub async fn next<S: AsyncRead + Unpin>(
        &mut self,
        s: &mut S,
        buf: &mut BytesMut,
        timeout: Duration,
    ) -> Result<Option<Bytes>, String> {
        loop {
            if self.end == End::Reached {
                return Ok(None);
            }
            let chunk = self.take(buf);
            if !chunk.is_empty() {
                self.received += chunk.len();
                return Ok(Some(chunk));
            }
            if self.end == End::Reached {
                return Ok(None);
            }
            buf.reserve(READ_CHUNK);
            match tokio::time::timeout(timeout, s.read_buf(buf)).await {
                Err(_) => return Err("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.".into()),
                Ok(Ok(0)) => {
                    return Err("I/O error trying to sync with MASTER: connection lost".into())
                }
                Ok(Err(e)) => return Err(format!("I/O error trying to sync with MASTER: {e}")),
                Ok(Ok(_)) => {}
            }
        }
    }

    /// Splits off the payload bytes `buf` holds. Behind a mark, the last
    /// bytes stay until it is clear they are not the mark's beginning.
    fn take(&mut self, buf: &mut BytesMut) -> Bytes {
        match &mut self.end {
            End::Reached => Bytes::new(),
            End::Left(left) => {
                let n = (*left).min(buf.len());
                *left -= n;
                if *left == 0 {
                    self.end = End::Reached;
                }
                buf.split_to(n).freeze()
            }
            End::Mark(mark) => match find(buf, mark) {
                Some(at) => {
                    let chunk = buf.split_to(at).freeze();
                    let _ = buf.split_to(MARK_LEN);
                    self.end = End::Reached;
                    chunk
                }
                None => {
                    let safe = buf.len().saturating_sub(MARK_LEN - 1);
                    buf.split_to(safe).freeze()
                }
            },
        }
    }
}

/// Where `needle` first occurs whole in `hay`. A Redis or Redust master
/// sends nothing after the mark until we acknowledge, so the mark ends the
/// data read; searching all of it also copes with masters that do not wait.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (first, rest) = needle.split_first()?;
    let mut from = 0;
    while let Some(i) = hay[from..].iter().position(|b| b == first) {
        let at = from + i;
        let end = at + needle.len();
        if end > hay.len() {
            return None;
        }
        if &hay[at + 1..end] == rest {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    const WAIT: Duration = Duration::from_secs(5);

    /// Receives a whole payload sent as `bytes`, each read getting at most
    /// `per_read` bytes.
    async fn receive_by(bytes: &[u8], per_read: usize) -> (Result<Vec<u8>, String>, BytesMut) {
        let (mut replica, mut master) = tokio::io::duplex(per_read);
        let bytes = bytes.to_vec();
        tokio::spawn(async move {
            let _ = master.write_all(&bytes).await;
        });
        let mut buf = BytesMut::new();
        let result = async {
            let mut payload = Payload::start(&mut replica, &mut buf).await?;
            let mut data = Vec::new();
            while let Some(chunk) = payload.next(&mut replica, &mut buf, WAIT).await? {
                data.extend_from_slice(&chunk);
            }
            assert_eq!(payload.received, data.len());
            Ok(data)
        }
        .await;
        (result, buf)
    }

    async fn receive(bytes: &[u8]) -> (Result<Vec<u8>, String>, BytesMut) {
        receive_by(bytes, 1 << 16).await
    }

    #[tokio::test]
    async fn counted_payload_leaves_the_stream() {
        let (data, rest) = receive(b"\n\n$4\r\nRDB!*1\r\n").await;
        assert_eq!(data.unwrap(), b"RDB!");
        assert_eq!(&rest[..], b"*1\r\n");
    }

    #[tokio::test]
    async fn the_mark_ends_the_payload_wherever_reads_split_it() {
        let mark = "m".repeat(MARK_LEN);
        let all = format!("$EOF:{mark}\r\nsome payload{mark}");
        for per_read in [1, 7, 39, 40, 41, 4096] {
            let (data, rest) = receive_by(all.as_bytes(), per_read).await;
            assert_eq!(data.unwrap(), b"some payload", "{per_read} bytes a read");
            assert!(rest.is_empty());
        }
    }

    #[tokio::test]
    async fn stream_after_the_mark_is_kept() {
        let mark = "m".repeat(MARK_LEN);
        let all = format!("$EOF:{mark}\r\nDATA{mark}*1\r\n$4\r\nPING\r\n");
        let (data, rest) = receive(all.as_bytes()).await;
        assert_eq!(data.unwrap(), b"DATA");
        assert_eq!(&rest[..], b"*1\r\n$4\r\nPING\r\n");
    }

    #[tokio::test]
    async fn cut_transfers_and_bad_headers_are_errors() {
        let (data, _) = receive(b"$10\r\nshort").await;
        assert!(data.unwrap_err().contains("connection lost"));
        let mark = "z".repeat(MARK_LEN);
        let (data, _) = receive(format!("$EOF:{mark}\r\nno mark").as_bytes()).await;
        assert!(data.is_err());
        let (data, _) = receive(b"+OK\r\n").await;
        assert!(data.unwrap_err().contains("the first byte is not '$'"));
        let (data, _) = receive(b"-ERR no\r\n").await;
        assert_eq!(
            data.unwrap_err(),
            "MASTER aborted replication with an error: ERR no"
        );
    }
}
