//! A minimal blocking RESP2 client over `std::net::TcpStream`.
//!
//! Deliberately self-contained instead of using the workspace `resp` crate:
//! the harness measures Redust against Redis, so it must not depend on the
//! code under test (a decoder bug would skew both sides of the comparison).

use std::io::{self, BufRead, BufReader, BufWriter, Write};
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
    reader: BufReader<TcpStream>,
    writer: BufWriter<TcpStream>,
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
            reader: BufReader::new(stream.try_clone()?),
            writer: BufWriter::with_capacity(64 * 1024, stream),
        })
    }

    /// Buffers a command without sending it (for pipelining).
    pub fn queue(&mut self, args: &[&[u8]]) -> io::Result<()> {
        encode_command(&mut self.writer, args)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    pub fn read_reply(&mut self) -> Result<Reply> {
        read_reply(&mut self.reader)
    }

    /// Sends one command and waits for its reply.
    pub fn call(&mut self, args: &[&[u8]]) -> Result<Reply> {
        self.queue(args)?;
        self.flush()?;
        self.read_reply()
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

pub fn read_reply(input: &mut impl BufRead) -> Result<Reply> {
    let line = read_line(input)?;
    let (kind, rest) = line.split_at(1);
    Ok(match kind {
        "+" => Reply::Simple(rest.to_owned()),
        "-" => Reply::Error(rest.to_owned()),
        ":" => Reply::Integer(parse_int(rest)?),
        "$" => match parse_int(rest)? {
            -1 => Reply::Bulk(None),
            len if len >= 0 => {
                let mut data = vec![0; len as usize + 2];
                input.read_exact(&mut data)?;
                if !data.ends_with(b"\r\n") {
                    bail!("bulk string of length {len} not terminated by CRLF");
                }
                data.truncate(len as usize);
                Reply::Bulk(Some(data))
            }
            len => bail!("invalid bulk length {len}"),
        },
        "*" => match parse_int(rest)? {
            -1 => Reply::Array(None),
            len if len >= 0 => {
                let items = (0..len).map(|_| read_reply(input)).collect::<Result<_>>()?;
                Reply::Array(Some(items))
            }
            len => bail!("invalid array length {len}"),
        },
        _ => bail!("unexpected reply type in line {line:?}"),
    })
}

/// Reads one CRLF-terminated header line, without the CRLF.
fn read_line(input: &mut impl BufRead) -> Result<String> {
    let mut line = Vec::new();
    if input.read_until(b'\n', &mut line)? == 0 {
        bail!("connection closed by server");
    }
    if !line.ends_with(b"\r\n") || line.len() < 3 {
        bail!("malformed reply line {:?}", String::from_utf8_lossy(&line));
    }
    line.truncate(line.len() - 2);
    String::from_utf8(line).context("reply line is not UTF-8")
}

fn parse_int(text: &str) -> Result<i64> {
    text.parse()
        .with_context(|| format!("invalid integer {text:?} in reply"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<Reply> {
        read_reply(&mut &bytes[..])
    }

    #[test]
    fn encodes_multibulk() {
        let mut out = Vec::new();
        encode_command(&mut out, &[b"SET", b"key:1", b""]).unwrap();
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$5\r\nkey:1\r\n$0\r\n\r\n");
    }

    #[test]
    fn parses_scalar_replies() {
        assert_eq!(parse(b"+PONG\r\n").unwrap(), Reply::Simple("PONG".into()));
        assert_eq!(
            parse(b"-ERR unknown command\r\n").unwrap(),
            Reply::Error("ERR unknown command".into())
        );
        assert_eq!(parse(b":-42\r\n").unwrap(), Reply::Integer(-42));
        assert_eq!(parse(b"$-1\r\n").unwrap(), Reply::Bulk(None));
        assert_eq!(
            parse(b"$4\r\na\r\nb\r\n").unwrap(),
            Reply::Bulk(Some(b"a\r\nb".to_vec()))
        );
    }

    #[test]
    fn parses_nested_arrays_and_consumes_only_one_reply() {
        let mut input: &[u8] = b"*2\r\n:1\r\n*1\r\n$1\r\nx\r\n+next\r\n";
        let reply = read_reply(&mut input).unwrap();
        assert_eq!(
            reply,
            Reply::Array(Some(vec![
                Reply::Integer(1),
                Reply::Array(Some(vec![Reply::Bulk(Some(b"x".to_vec()))])),
            ]))
        );
        assert_eq!(input, b"+next\r\n");
    }

    #[test]
    fn rejects_truncated_and_malformed_input() {
        assert!(parse(b"").is_err());
        assert!(parse(b"+OK").is_err());
        assert!(parse(b"$5\r\nab\r\n").is_err());
        assert!(parse(b"?what\r\n").is_err());
        assert!(parse(b":abc\r\n").is_err());
    }
}
