//! The replica side of the handshake, as Redis's `syncWithMaster` runs it:
//! PING, AUTH, REPLCONF listening-port / capa, PSYNC; then the RDB payload
//! of a full resynchronization.

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::encode_command;

/// What the replica tells its master.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// `masteruser` (None: the default user) and `masterauth`.
    pub auth: Option<(Option<String>, String)>,
    /// Our port, for the master's INFO (`replica-announce-port` or `port`).
    pub listening_port: u16,
    /// `replica-announce-ip`.
    pub announce_ip: Option<String>,
    /// The history we hold, to try a partial resync: (replid, offset of the
    /// last byte we have). `None` asks for a full sync (`PSYNC ? -1`).
    pub cached: Option<(String, i64)>,
}

/// The master's answer to PSYNC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `+FULLRESYNC <replid> <offset>`: an RDB follows.
    Full { replid: String, offset: i64 },
    /// `+CONTINUE [<replid>]`: the stream continues after our offset.
    Continue { replid: Option<String> },
}

/// Why the handshake failed; Display gives a log line like Redis's.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("I/O error with the master: {0}")]
    Io(#[from] std::io::Error),
    #[error("Error reply to PING from master: '{0}'")]
    Ping(String),
    #[error("Unable to AUTH to MASTER: {0}")]
    Auth(String),
    #[error("Master is not ready for PSYNC: {0}")]
    NotReady(String),
    #[error("Unexpected reply to PSYNC from master: {0}")]
    Psync(String),
    #[error("Bad protocol from MASTER: {0}")]
    Protocol(String),
    #[error("The master closed the connection")]
    Closed,
}

pub type Result<T> = std::result::Result<T, Error>;

/// Bytes asked of the socket per read while receiving an RDB.
const READ_CHUNK: usize = 256 * 1024;

async fn send<S: AsyncWrite + Unpin>(s: &mut S, args: &[&str]) -> Result<()> {
    let mut out = BytesMut::new();
    encode_command(&mut out, args);
    s.write_all(&out).await?;
    Ok(())
}

/// Reads one line (without CRLF), skipping the bare newlines a master
/// sends to keep the link alive while it prepares a snapshot.
pub async fn read_line<S: AsyncRead + Unpin>(s: &mut S, buf: &mut BytesMut) -> Result<String> {
    loop {
        while buf.first() == Some(&b'\n') {
            buf.advance(1);
        }
        if let Some(end) = buf.iter().position(|&b| b == b'\n') {
            let line = buf.split_to(end + 1);
            let text = String::from_utf8_lossy(&line[..end])
                .trim_end_matches('\r')
                .to_string();
            return Ok(text);
        }
        if buf.len() > 64 * 1024 {
            return Err(Error::Protocol("line too long".into()));
        }
        if s.read_buf(buf).await? == 0 {
            return Err(Error::Closed);
        }
    }
}

async fn call<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    buf: &mut BytesMut,
    args: &[&str],
) -> Result<String> {
    send(s, args).await?;
    read_line(s, buf).await
}

/// Runs the handshake up to the answer to PSYNC. `buf` keeps whatever the
/// master sent beyond it (the start of the RDB or of the stream).
pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    buf: &mut BytesMut,
    cfg: &Config,
) -> Result<Outcome> {
    let pong = call(s, buf, &["PING"]).await?;
    let auth_needed = pong.starts_with("-NOAUTH")
        || pong.starts_with("-NOPERM")
        || pong.starts_with("-ERR operation not permitted");
    if pong.starts_with('-') && !auth_needed {
        return Err(Error::Ping(pong));
    }
    if let Some((user, pass)) = &cfg.auth {
        let reply = match user {
            Some(u) => call(s, buf, &["AUTH", u, pass]).await?,
            None => call(s, buf, &["AUTH", pass]).await?,
        };
        if reply.starts_with('-') {
            return Err(Error::Auth(reply));
        }
    }
    // Errors from REPLCONF are not critical (old masters), as in Redis.
    let port = cfg.listening_port.to_string();
    call(s, buf, &["REPLCONF", "listening-port", &port]).await?;
    if let Some(ip) = &cfg.announce_ip {
        call(s, buf, &["REPLCONF", "ip-address", ip]).await?;
    }
    let capa = call(s, buf, &["REPLCONF", "capa", "eof", "capa", "psync2"]).await?;
    if capa.starts_with("-NOAUTH") {
        return Err(Error::Auth(capa));
    }
    let (id, offset) = match &cfg.cached {
        Some((id, off)) => (id.clone(), (off + 1).to_string()),
        None => ("?".to_string(), "-1".to_string()),
    };
    let reply = call(s, buf, &["PSYNC", &id, &offset]).await?;
    parse_psync_reply(&reply)
}

fn parse_psync_reply(reply: &str) -> Result<Outcome> {
    let mut parts = reply.split(' ');
    match parts.next() {
        Some("+FULLRESYNC") => {
            let replid = parts
                .next()
                .ok_or_else(|| Error::Psync(reply.into()))?
                .to_string();
            let offset = parts
                .next()
                .and_then(|o| o.parse().ok())
                .ok_or_else(|| Error::Psync(reply.into()))?;
            Ok(Outcome::Full { replid, offset })
        }
        Some("+CONTINUE") => Ok(Outcome::Continue {
            replid: parts.next().filter(|id| id.len() == 40).map(str::to_string),
        }),
        Some(p) if p.starts_with("-NOMASTERLINK") || p.starts_with("-LOADING") => {
            Err(Error::NotReady(reply.into()))
        }
        _ => Err(Error::Psync(reply.into())),
    }
}

/// Reads the RDB payload after FULLRESYNC: `$<len>\r\n<bytes>` (disk-based)
/// or `$EOF:<40-byte mark>\r\n<bytes><mark>` (diskless). `buf` holds bytes
/// already received and keeps what follows the payload.
pub async fn read_rdb<S: AsyncRead + Unpin>(
    s: &mut S,
    buf: &mut BytesMut,
    mut progress: impl FnMut(usize),
) -> Result<Vec<u8>> {
    let header = read_line(s, buf).await?;
    let Some(spec) = header.strip_prefix('$') else {
        return Err(Error::Protocol(format!(
            "expected $ before the RDB payload, got '{header}'"
        )));
    };
    if let Some(mark) = spec.strip_prefix("EOF:") {
        let mark = mark.as_bytes().to_vec();
        if mark.len() != 40 {
            return Err(Error::Protocol("bad EOF mark".into()));
        }
        let mut payload: Vec<u8> = Vec::new();
        loop {
            // The mark may straddle reads, and the stream may follow it in
            // the same read: search the new bytes plus the mark's length.
            let from = payload.len().saturating_sub(mark.len() - 1);
            payload.extend_from_slice(buf);
            buf.clear();
            progress(payload.len());
            if let Some(at) = memchr::memmem::find(&payload[from..], &mark) {
                let end = from + at;
                buf.extend_from_slice(&payload[end + mark.len()..]);
                payload.truncate(end);
                return Ok(payload);
            }
            buf.reserve(READ_CHUNK);
            if s.read_buf(buf).await? == 0 {
                return Err(Error::Closed);
            }
        }
    }
    let len: usize = spec
        .parse()
        .map_err(|_| Error::Protocol(format!("bad bulk length '{spec}'")))?;
    let mut payload = Vec::with_capacity(len.min(1 << 30));
    while payload.len() < len {
        if buf.is_empty() {
            buf.reserve(READ_CHUNK);
            if s.read_buf(buf).await? == 0 {
                return Err(Error::Closed);
            }
        }
        let take = buf.len().min(len - payload.len());
        payload.extend_from_slice(&buf[..take]);
        buf.advance(take);
        progress(payload.len());
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psync_replies() {
        let id = "a".repeat(40);
        assert_eq!(
            parse_psync_reply(&format!("+FULLRESYNC {id} 123")).unwrap(),
            Outcome::Full {
                replid: id.clone(),
                offset: 123
            }
        );
        assert_eq!(
            parse_psync_reply("+CONTINUE").unwrap(),
            Outcome::Continue { replid: None }
        );
        assert_eq!(
            parse_psync_reply(&format!("+CONTINUE {id}")).unwrap(),
            Outcome::Continue { replid: Some(id) }
        );
        assert!(matches!(
            parse_psync_reply("-LOADING x"),
            Err(Error::NotReady(_))
        ));
    }

    #[tokio::test]
    async fn handshake_against_a_scripted_master() {
        let (mut replica, mut master) = tokio::io::duplex(4096);
        let id = "b".repeat(40);
        let script =
            format!("+PONG\r\n+OK\r\n+OK\r\n+OK\r\n+FULLRESYNC {id} 7\r\n\n\n$3\r\nRDBrest");
        master.write_all(script.as_bytes()).await.unwrap();
        let cfg = Config {
            auth: Some((None, "pw".into())),
            listening_port: 6380,
            ..Config::default()
        };
        let mut buf = BytesMut::new();
        let out = handshake(&mut replica, &mut buf, &cfg).await.unwrap();
        assert_eq!(
            out,
            Outcome::Full {
                replid: id,
                offset: 7
            }
        );
        let rdb = read_rdb(&mut replica, &mut buf, |_| {}).await.unwrap();
        assert_eq!(rdb, b"RDB");
        assert_eq!(&buf[..], b"rest");
        let mut sent = vec![0u8; 4096];
        let n = master.read(&mut sent).await.unwrap();
        let sent = String::from_utf8_lossy(&sent[..n]);
        assert!(sent.contains("AUTH") && sent.contains("listening-port") && sent.contains("PSYNC"));
    }

    #[tokio::test]
    async fn diskless_payload() {
        let (mut replica, mut master) = tokio::io::duplex(4096);
        let mark = "m".repeat(40);
        master
            .write_all(format!("$EOF:{mark}\r\nDATA{mark}").as_bytes())
            .await
            .unwrap();
        let mut buf = BytesMut::new();
        assert_eq!(
            read_rdb(&mut replica, &mut buf, |_| {}).await.unwrap(),
            b"DATA"
        );
    }

    #[tokio::test]
    async fn stream_after_the_mark_is_kept() {
        let (mut replica, mut master) = tokio::io::duplex(4096);
        let mark = "m".repeat(40);
        let data = format!("$EOF:{mark}\r\nDATA{mark}*1\r\n$4\r\nPING\r\n");
        master.write_all(data.as_bytes()).await.unwrap();
        let mut buf = BytesMut::new();
        assert_eq!(
            read_rdb(&mut replica, &mut buf, |_| {}).await.unwrap(),
            b"DATA"
        );
        // What follows the mark stays for the stream reader.
        let want = b"*1\r\n$4\r\nPING\r\n";
        while buf.len() < want.len() {
            replica.read_buf(&mut buf).await.unwrap();
        }
        assert_eq!(&buf[..], want);
    }
}
