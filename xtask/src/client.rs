//! A minimal RESP2 client: a slice parser shared by the blocking [`Client`]
//! and the async transaction load generator.
//!
//! Deliberately self-contained instead of using the workspace `resp` crate:
//! the harness measures Redust against Redis, so it must not depend on the
//! code under test (a decoder bug would skew both sides of the comparison).

use std::io::{self, Read as _, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};

/// A reply as far as the harness cares (RESP2 only; we never send HELLO 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Simple(String),
    Error(String),
    Integer(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// The payload of a bulk or simple string reply, as text.
    pub fn text(&self) -> Option<String> {
        match self {
            Reply::Simple(s) => Some(s.clone()),
            Reply::Bulk(Some(b)) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => None,
        }
    }
}

pub struct Client {
    stream: TcpStream,
    /// Bytes read; replies are parsed only once complete, from `parsed` on.
    input: Vec<u8>,
    parsed: usize,
    output: Vec<u8>,
}

impl Client {
    /// Connects to a loopback port; `timeout` bounds the connect and every
    /// read so a hung server fails the run instead of stalling it.
    pub fn connect(port: u16, timeout: Duration) -> io::Result<Client> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let stream = TcpStream::connect_timeout(&addr, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_nodelay(true)?;
        Ok(Client {
            stream,
            input: Vec::with_capacity(64 * 1024),
            parsed: 0,
            output: Vec::with_capacity(64 * 1024),
        })
    }

    /// Buffers a command without sending it (for pipelining).
    pub fn queue(&mut self, args: &[&[u8]]) -> io::Result<()> {
        encode_command(&mut self.output, args)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.stream.write_all(&self.output)?;
        self.output.clear();
        Ok(())
    }

    pub fn read_reply(&mut self) -> Result<Reply> {
        loop {
            if let Some((reply, used)) = parse_reply(&self.input[self.parsed..])? {
                self.parsed += used;
                return Ok(reply);
            }
            // Compact only when refilling, so a pipelined batch of replies
            // is not shifted once per reply.
            self.input.drain(..self.parsed);
            self.parsed = 0;
            let mut chunk = [0; 64 * 1024];
            match self.stream.read(&mut chunk)? {
                0 => bail!("connection closed by server"),
                n => self.input.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Sends one command and waits for its reply.
    pub fn call(&mut self, args: &[&[u8]]) -> Result<Reply> {
        self.queue(args)?;
        self.flush()?;
        self.read_reply()
    }

    /// `call` for commands whose arguments are all text.
    pub fn call_str(&mut self, args: &[&str]) -> Result<Reply> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.call(&args)
    }
}

/// Writes `args` as a RESP multibulk request.
pub fn encode_command(out: &mut impl Write, args: &[&[u8]]) -> io::Result<()> {
    write!(out, "*{}\r\n", args.len())?;
    for arg in args {
        write!(out, "${}\r\n", arg.len())?;
        out.write_all(arg)?;
        out.write_all(b"\r\n")?;
    }
    Ok(())
}

/// Parses the first reply in `buf`: `Ok(None)` while it is incomplete,
/// otherwise the reply and the number of bytes it took.
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Reply, usize)>> {
    let Some((line, mut used)) = header(buf)? else {
        return Ok(None);
    };
    let (kind, rest) = line.split_at(1);
    let reply = match kind {
        "+" => Reply::Simple(rest.to_owned()),
        "-" => Reply::Error(rest.to_owned()),
        ":" => Reply::Integer(parse_int(rest)?),
        "$" => match parse_int(rest)? {
            -1 => Reply::Bulk(None),
            len if len >= 0 => {
                let end = used + len as usize;
                let Some(data) = buf.get(used..end + 2) else {
                    return Ok(None);
                };
                if !data.ends_with(b"\r\n") {
                    bail!("bulk string of length {len} not terminated by CRLF");
                }
                used = end + 2;
                Reply::Bulk(Some(data[..len as usize].to_vec()))
            }
            len => bail!("invalid bulk length {len}"),
        },
        "*" => match parse_int(rest)? {
            -1 => Reply::Array(None),
            len if len >= 0 => {
                let mut items = Vec::with_capacity(len as usize);
                for _ in 0..len {
                    let Some((item, n)) = parse_reply(&buf[used..])? else {
                        return Ok(None);
                    };
                    items.push(item);
                    used += n;
                }
                Reply::Array(Some(items))
            }
            len => bail!("invalid array length {len}"),
        },
        _ => bail!("unexpected reply type in line {line:?}"),
    };
    Ok(Some((reply, used)))
}

/// The first CRLF-terminated line (without the CRLF) and the bytes up to
/// and including its CRLF, or `None` if the CRLF has not arrived yet.
fn header(buf: &[u8]) -> Result<Option<(&str, usize)>> {
    let Some(lf) = buf.iter().position(|&b| b == b'\n') else {
        return Ok(None);
    };
    let line = &buf[..lf];
    match line.strip_suffix(b"\r") {
        Some(line) if !line.is_empty() => {
            let line = std::str::from_utf8(line).context("reply line is not UTF-8")?;
            Ok(Some((line, lf + 1)))
        }
        _ => bail!("malformed reply line {:?}", String::from_utf8_lossy(line)),
    }
}

fn parse_int(text: &str) -> Result<i64> {
    text.parse()
        .with_context(|| format!("invalid integer {text:?} in reply"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<Option<Reply>> {
        Ok(parse_reply(bytes)?.map(|(reply, _)| reply))
    }

    #[test]
    fn encodes_multibulk() {
        let mut out = Vec::new();
        encode_command(&mut out, &[b"SET", b"key:1", b""]).unwrap();
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$5\r\nkey:1\r\n$0\r\n\r\n");
    }

    #[test]
    fn parses_scalar_replies() {
        let parsed = |bytes| parse(bytes).unwrap().unwrap();
        assert_eq!(parsed(b"+PONG\r\n"), Reply::Simple("PONG".into()));
        assert_eq!(
            parsed(b"-ERR unknown command\r\n"),
            Reply::Error("ERR unknown command".into())
        );
        assert_eq!(parsed(b":-42\r\n"), Reply::Integer(-42));
        assert_eq!(parsed(b"$-1\r\n"), Reply::Bulk(None));
        assert_eq!(
            parsed(b"$4\r\na\r\nb\r\n"),
            Reply::Bulk(Some(b"a\r\nb".to_vec()))
        );
    }

    #[test]
    fn parses_nested_arrays_and_reports_only_one_reply_used() {
        let input = b"*2\r\n:1\r\n*1\r\n$1\r\nx\r\n+next\r\n";
        let (reply, used) = parse_reply(input).unwrap().unwrap();
        assert_eq!(
            reply,
            Reply::Array(Some(vec![
                Reply::Integer(1),
                Reply::Array(Some(vec![Reply::Bulk(Some(b"x".to_vec()))])),
            ]))
        );
        assert_eq!(&input[used..], b"+next\r\n");
    }

    #[test]
    fn every_proper_prefix_is_incomplete() {
        let input = b"*3\r\n$3\r\nabc\r\n:7\r\n*-1\r\n";
        for cut in 0..input.len() {
            assert_eq!(parse(&input[..cut]).unwrap(), None, "cut at {cut}");
        }
        assert!(parse(input).unwrap().is_some());
    }

    #[test]
    fn rejects_malformed_input() {
        assert!(parse(b"$2\r\nabc\r\n").is_err());
        assert!(parse(b"?what\r\n").is_err());
        assert!(parse(b":abc\r\n").is_err());
        assert!(parse(b"+OK\n").is_err());
    }
}
