//! The replica side of the handshake, as Redis's `syncWithMaster` runs it:
//! PING, AUTH, REPLCONF listening-port / capa, PSYNC. The RDB payload that
//! follows a full resynchronization is read with [`crate::payload`].

use std::time::Duration;

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
    /// `repl-timeout`: the longest the master may stay silent. Any byte
    /// counts, the newlines a master sends while it prepares a snapshot
    /// included, as Redis's `repl_transfer_lastio`. `None`: no limit.
    pub idle_timeout: Option<Duration>,
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
    #[error("Timeout connecting to the MASTER...")]
    Timeout,
}

pub type Result<T> = std::result::Result<T, Error>;

async fn send<S: AsyncWrite + Unpin>(s: &mut S, args: &[&str]) -> Result<()> {
    let mut out = BytesMut::new();
    encode_command(&mut out, args);
    s.write_all(&out).await?;
    Ok(())
}

/// Reads one line (without CRLF), skipping the bare newlines a master
/// sends to keep the link alive while it prepares a snapshot.
pub async fn read_line<S: AsyncRead + Unpin>(s: &mut S, buf: &mut BytesMut) -> Result<String> {
    read_line_within(s, buf, None).await
}

/// [`read_line`] failing with [`Error::Timeout`] when the master sends
/// nothing at all (not even a newline) for `idle`.
pub async fn read_line_within<S: AsyncRead + Unpin>(
    s: &mut S,
    buf: &mut BytesMut,
    idle: Option<Duration>,
) -> Result<String> {
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
        let n = match idle {
            Some(idle) => tokio::time::timeout(idle, s.read_buf(buf))
                .await
                .map_err(|_| Error::Timeout)??,
            None => s.read_buf(buf).await?,
        };
        if n == 0 {
            return Err(Error::Closed);
        }
    }
}

/// Sends a command and reads its one-line reply.
async fn call<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    buf: &mut BytesMut,
    idle: Option<Duration>,
    args: &[&str],
) -> Result<String> {
    send(s, args).await?;
    read_line_within(s, buf, idle).await
}

/// Runs the handshake up to the answer to PSYNC. `buf` keeps whatever the
/// master sent beyond it (the start of the RDB or of the stream).
pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    buf: &mut BytesMut,
    cfg: &Config,
) -> Result<Outcome> {
    let idle = cfg.idle_timeout;
    let pong = call(s, buf, idle, &["PING"]).await?;
    let auth_needed = pong.starts_with("-NOAUTH")
        || pong.starts_with("-NOPERM")
        || pong.starts_with("-ERR operation not permitted");
    if pong.starts_with('-') && !auth_needed {
        return Err(Error::Ping(pong));
    }
    if let Some((user, pass)) = &cfg.auth {
        let reply = match user {
            Some(u) => call(s, buf, idle, &["AUTH", u, pass]).await?,
            None => call(s, buf, idle, &["AUTH", pass]).await?,
        };
        if reply.starts_with('-') {
            return Err(Error::Auth(reply));
        }
    }
    // Errors from REPLCONF are not critical (old masters), as in Redis.
    let port = cfg.listening_port.to_string();
    call(s, buf, idle, &["REPLCONF", "listening-port", &port]).await?;
    if let Some(ip) = &cfg.announce_ip {
        call(s, buf, idle, &["REPLCONF", "ip-address", ip]).await?;
    }
    let capa = call(s, buf, idle, &["REPLCONF", "capa", "eof", "capa", "psync2"]).await?;
    if capa.starts_with("-NOAUTH") {
        return Err(Error::Auth(capa));
    }
    let (id, offset) = match &cfg.cached {
        Some((id, off)) => (id.clone(), (off + 1).to_string()),
        None => ("?".to_string(), "-1".to_string()),
    };
    let reply = call(s, buf, idle, &["PSYNC", &id, &offset]).await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Payload;
    use std::time::Duration;

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

    /// Newlines keep a slow PSYNC answer alive; silence longer than the
    /// idle timeout ends the handshake, as Redis's replication cron does.
    #[tokio::test]
    async fn idle_timeout_counts_any_byte() {
        let (mut replica, mut master) = tokio::io::duplex(4096);
        let cfg = Config {
            idle_timeout: Some(Duration::from_millis(300)),
            ..Config::default()
        };
        let master_side = tokio::spawn(async move {
            master.write_all(b"+PONG\r\n+OK\r\n+OK\r\n").await.unwrap();
            for _ in 0..5 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                master.write_all(b"\n").await.unwrap();
            }
            master.write_all(b"+CONTINUE\r\n").await.unwrap();
            // Silent from here on.
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(master);
        });
        let mut buf = BytesMut::new();
        let out = handshake(&mut replica, &mut buf, &cfg).await.unwrap();
        assert_eq!(out, Outcome::Continue { replid: None });
        let silent = read_line_within(&mut replica, &mut buf, cfg.idle_timeout).await;
        assert!(matches!(silent, Err(Error::Timeout)), "{silent:?}");
        assert_eq!(
            Error::Timeout.to_string(),
            "Timeout connecting to the MASTER..."
        );
        master_side.abort();
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
        // The payload's start stays in `buf` for its reader.
        let mut payload = Payload::start(&mut replica, &mut buf).await.unwrap();
        let wait = Duration::from_secs(5);
        let rdb = payload.next(&mut replica, &mut buf, wait).await.unwrap();
        assert_eq!(rdb.as_deref(), Some(&b"RDB"[..]));
        let end = payload.next(&mut replica, &mut buf, wait).await.unwrap();
        assert!(end.is_none());
        assert_eq!(&buf[..], b"rest");
        let mut sent = vec![0u8; 4096];
        let n = master.read(&mut sent).await.unwrap();
        let sent = String::from_utf8_lossy(&sent[..n]);
        assert!(sent.contains("AUTH") && sent.contains("listening-port") && sent.contains("PSYNC"));
    }
}
