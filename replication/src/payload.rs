//! The RDB payload of a full resynchronization, read as it arrives:
//! `$<len>\r\n<bytes>` (disk-based master) or `$EOF:<40-byte mark>\r\n
//! <bytes><mark>` (diskless master), handed on in chunks as they are read,
//! so the payload never has to be held whole: the caller writes it to a
//! file or feeds it straight to a parser.
//!
//! ```no_run
//! # async fn sync(sock: &mut tokio::net::TcpStream, buf: &mut bytes::BytesMut)
//! # -> Result<(), replication::payload::Error> {
//! use replication::payload::Payload;
//! let timeout = std::time::Duration::from_secs(60);
//! let mut payload = Payload::start(sock, buf).await?;
//! while let Some(chunk) = payload.next(sock, buf, timeout).await? {
//!     // store or parse `chunk`
//! }
//! // `buf` now starts with the replication stream.
//! # Ok(()) }
//! ```

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use memchr::memmem::Finder;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::handshake::{self, read_line};

/// Bytes asked of the socket per read.
const READ_CHUNK: usize = 256 * 1024;
/// Length of the end mark of a diskless transfer (a run id's length).
const MARK_LEN: usize = 40;

/// Why receiving the payload failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The header line could not be read (I/O error, closed connection,
    /// line too long).
    #[error("reading the payload header: {0}")]
    ReadHeader(#[source] handshake::Error),
    /// The master sent an error reply (`-...`, given without the dash)
    /// instead of a payload.
    #[error("the master replied with an error: {0}")]
    Master(String),
    /// The header line (given whole) is neither `$<len>` nor `$EOF:<mark>`.
    #[error("bad payload header '{0}'")]
    BadHeader(String),
    /// No payload bytes arrived within the timeout given to a read.
    #[error("timed out waiting for payload bytes")]
    Timeout,
    /// The master closed the connection before the payload was complete.
    #[error("the master closed the connection during the payload")]
    Closed,
    #[error("I/O error reading the payload: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

/// How the end of the payload is known.
#[derive(Debug)]
enum End {
    /// This many bytes are still to come.
    Left(usize),
    /// The payload ends before this mark (boxed: the searcher is large).
    Mark(Box<Finder<'static>>),
    Reached,
}

/// A payload being received. The caller's `buf` (shared with the handshake
/// before and the stream after) holds bytes read but not yet handed on.
#[derive(Debug)]
pub struct Payload {
    end: End,
    total: Option<usize>,
    received: usize,
}

impl Payload {
    /// Reads the header line, after the newlines a master sends while it
    /// prepares the snapshot. Waits as long as the master takes.
    pub async fn start<S: AsyncRead + Unpin>(s: &mut S, buf: &mut BytesMut) -> Result<Payload> {
        let header = read_line(s, buf).await.map_err(Error::ReadHeader)?;
        if let Some(error) = header.strip_prefix('-') {
            return Err(Error::Master(error.to_string()));
        }
        let Some(spec) = header.strip_prefix('$') else {
            return Err(Error::BadHeader(header));
        };
        // Like Redis, a longer mark is cut to its first 40 bytes and a
        // shorter one is not a mark (nor, then, a length).
        let (end, total) = match spec.strip_prefix("EOF:") {
            Some(mark) if mark.len() >= MARK_LEN => (
                End::Mark(Box::new(
                    Finder::new(&mark.as_bytes()[..MARK_LEN]).into_owned(),
                )),
                None,
            ),
            _ => match spec.parse() {
                Ok(len) => (End::Left(len), Some(len)),
                Err(_) => return Err(Error::BadHeader(header)),
            },
        };
        Ok(Payload {
            end,
            total,
            received: 0,
        })
    }

    /// The announced length of a `$<len>` payload; `None` for one ended by
    /// a mark (a "streamed" RDB in Redis's log).
    pub fn total(&self) -> Option<usize> {
        self.total
    }

    /// Payload bytes handed on so far.
    pub fn received(&self) -> usize {
        self.received
    }

    /// The next chunk of the payload, `None` once it is complete (what
    /// follows it stays in `buf`). Each read waits at most `timeout`.
    pub async fn next<S: AsyncRead + Unpin>(
        &mut self,
        s: &mut S,
        buf: &mut BytesMut,
        timeout: Duration,
    ) -> Result<Option<Bytes>> {
        loop {
            if matches!(self.end, End::Reached) {
                return Ok(None);
            }
            let chunk = self.take(buf);
            if !chunk.is_empty() {
                self.received += chunk.len();
                return Ok(Some(chunk));
            }
            if matches!(self.end, End::Reached) {
                return Ok(None);
            }
            buf.reserve(READ_CHUNK);
            match tokio::time::timeout(timeout, s.read_buf(buf)).await {
                Err(_) => return Err(Error::Timeout),
                Ok(Ok(0)) => return Err(Error::Closed),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(Error::Io(e)),
            }
        }
    }

    /// Splits off the payload bytes `buf` holds. Behind a mark, the last
    /// `MARK_LEN - 1` bytes stay until it is clear they are not the
    /// mark's beginning.
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
            // A Redis or Redust master sends nothing after the mark until
            // we acknowledge, so the mark ends the data read; searching all
            // of it also copes with masters that do not wait.
            End::Mark(mark) => match mark.find(buf) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    const WAIT: Duration = Duration::from_secs(5);

    /// Receives a whole payload sent as `bytes`, each read getting at most
    /// `per_read` bytes; returns it with what is left in the buffer.
    async fn receive_by(bytes: &[u8], per_read: usize) -> (Result<Vec<u8>>, BytesMut) {
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
            assert_eq!(payload.received(), data.len());
            Ok(data)
        }
        .await;
        (result, buf)
    }

    async fn receive(bytes: &[u8]) -> (Result<Vec<u8>>, BytesMut) {
        receive_by(bytes, 1 << 16).await
    }

    #[tokio::test]
    async fn counted_payload_leaves_the_stream() {
        let (data, rest) = receive(b"\n\n$4\r\nRDB!*1\r\n").await;
        assert_eq!(data.unwrap(), b"RDB!");
        assert_eq!(&rest[..], b"*1\r\n");
    }

    #[tokio::test]
    async fn counted_payload_split_across_reads() {
        let all = b"$10\r\n0123456789rest";
        for per_read in [1, 3, 10, 4096] {
            let (data, rest) = receive_by(all, per_read).await;
            assert_eq!(data.unwrap(), b"0123456789", "{per_read} bytes a read");
            // Reads stop where the payload does; any more read is the rest.
            assert!(b"rest".starts_with(&rest), "{per_read} bytes a read");
        }
    }

    #[tokio::test]
    async fn empty_payloads() {
        let (data, rest) = receive(b"$0\r\n*1\r\n").await;
        assert_eq!(data.unwrap(), b"");
        assert_eq!(&rest[..], b"*1\r\n");
        let mark = "e".repeat(MARK_LEN);
        let (data, rest) = receive(format!("$EOF:{mark}\r\n{mark}").as_bytes()).await;
        assert_eq!(data.unwrap(), b"");
        assert!(rest.is_empty());
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
    async fn a_partial_mark_in_the_data_is_data() {
        let mark = format!("{}Z", "m".repeat(MARK_LEN - 1));
        let body = format!("a{}b{}", &mark[..MARK_LEN - 1], &mark[..10]);
        let all = format!("$EOF:{mark}\r\n{body}{mark}");
        for per_read in [1, 40, 4096] {
            let (data, _) = receive_by(all.as_bytes(), per_read).await;
            assert_eq!(data.unwrap(), body.as_bytes(), "{per_read} bytes a read");
        }
    }

    #[tokio::test]
    async fn a_long_mark_is_cut_to_its_length() {
        let mark = "k".repeat(MARK_LEN);
        let all = format!("$EOF:{mark}extra\r\nDATA{mark}");
        let (data, _) = receive(all.as_bytes()).await;
        assert_eq!(data.unwrap(), b"DATA");
    }

    #[tokio::test]
    async fn stream_after_the_mark_is_kept() {
        let mark = "m".repeat(MARK_LEN);
        let all = format!("$EOF:{mark}\r\nDATA{mark}*1\r\n$4\r\nPING\r\n");
        for per_read in [1, 4096] {
            let (data, rest) = receive_by(all.as_bytes(), per_read).await;
            assert_eq!(data.unwrap(), b"DATA");
            assert!(b"*1\r\n$4\r\nPING\r\n".starts_with(&rest));
        }
        let (_, rest) = receive(all.as_bytes()).await;
        assert_eq!(&rest[..], b"*1\r\n$4\r\nPING\r\n");
    }

    #[tokio::test]
    async fn cut_transfers_are_closed() {
        let (data, _) = receive(b"$10\r\nshort").await;
        assert!(matches!(data, Err(Error::Closed)), "{data:?}");
        let mark = "z".repeat(MARK_LEN);
        let (data, _) = receive(format!("$EOF:{mark}\r\nno mark").as_bytes()).await;
        assert!(matches!(data, Err(Error::Closed)), "{data:?}");
        let (data, _) = receive(b"$10").await;
        assert!(
            matches!(data, Err(Error::ReadHeader(handshake::Error::Closed))),
            "{data:?}"
        );
    }

    #[tokio::test]
    async fn bad_headers_and_error_replies() {
        for header in ["+OK", "$abc", "$-1", "$EOF:short"] {
            let (data, _) = receive(format!("{header}\r\n").as_bytes()).await;
            match data {
                Err(Error::BadHeader(line)) => assert_eq!(line, header),
                other => panic!("{header}: {other:?}"),
            }
        }
        let (data, _) = receive(b"-ERR no\r\n").await;
        match data {
            Err(Error::Master(e)) => assert_eq!(e, "ERR no"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_silent_master_times_out() {
        // The master half stays open and silent: only the timeout can end
        // the read.
        let (mut replica, mut master) = tokio::io::duplex(64);
        master.write_all(b"$4\r\nRD").await.unwrap();
        let mut buf = BytesMut::new();
        let mut payload = Payload::start(&mut replica, &mut buf).await.unwrap();
        let wait = Duration::from_millis(20);
        let first = payload.next(&mut replica, &mut buf, wait).await.unwrap();
        assert_eq!(first.as_deref(), Some(&b"RD"[..]));
        let timed_out = payload.next(&mut replica, &mut buf, wait).await;
        assert!(matches!(timed_out, Err(Error::Timeout)), "{timed_out:?}");
        drop(master);
    }
}
