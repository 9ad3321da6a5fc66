//! A small blocking RESP client. Every read and write has a timeout, so a
//! server that hangs fails the test instead of stalling it. Replies come
//! typed ([`Client::call`]) or as the exact bytes sent ([`Client::call_raw`],
//! [`Client::cmd`]); commands can be queued and sent as one pipeline, and
//! raw bytes sent for protocol tests.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use crate::reply::{self, escape, Reply};
use crate::wait::{wait_until, DEADLINE};

pub struct Client {
    stream: TcpStream,
    /// Bytes read; replies are taken from `parsed` on.
    input: Vec<u8>,
    parsed: usize,
    /// Commands queued by [`Client::queue`], not sent yet.
    output: Vec<u8>,
}

impl Client {
    /// No single reply in a test should take this long.
    pub const TIMEOUT: Duration = Duration::from_secs(20);

    /// Connects to a loopback port with [`Client::TIMEOUT`].
    pub fn connect(port: u16) -> io::Result<Client> {
        Client::connect_timeout(port, Client::TIMEOUT)
    }

    /// Connects to a loopback port; `timeout` bounds the connect and every
    /// read and write.
    pub fn connect_timeout(port: u16, timeout: Duration) -> io::Result<Client> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let stream = TcpStream::connect_timeout(&addr, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        stream.set_nodelay(true)?;
        Ok(Client {
            stream,
            input: Vec::with_capacity(64 * 1024),
            parsed: 0,
            output: Vec::new(),
        })
    }

    /// Sends one command and reads its reply.
    pub fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<Reply> {
        self.send(args)?;
        self.read_reply()
    }

    /// Sends one command and returns its reply's exact bytes.
    pub fn call_raw<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<Vec<u8>> {
        self.send(args)?;
        self.read_raw()
    }

    /// Like [`Client::call_raw`] but panics on I/O errors and returns the
    /// reply as (lossy) text, for tests that assert on readable strings:
    /// `assert_eq!(c.cmd(&["SET", "k", "v"]), "+OK\r\n")`.
    #[track_caller]
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> String {
        let reply = self
            .call_raw(args)
            .unwrap_or_else(|e| panic!("{}: {e}", show(args)));
        String::from_utf8_lossy(&reply).into_owned()
    }

    /// Sends one command (and anything queued before it) without reading.
    pub fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<()> {
        self.queue(args);
        self.flush()
    }

    /// Buffers a command without sending it (for pipelining).
    pub fn queue<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        Client::encode_into(&mut self.output, args);
    }

    /// Sends everything queued.
    pub fn flush(&mut self) -> io::Result<()> {
        self.stream.write_all(&self.output)?;
        self.output.clear();
        Ok(())
    }

    /// Sends `bytes` as they are (after anything queued).
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.flush()?;
        self.stream.write_all(bytes)
    }

    /// One command as a multibulk request.
    pub fn encode<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
        let mut out = Vec::new();
        Client::encode_into(&mut out, args);
        out
    }

    /// Appends one command as a multibulk request to `out`.
    pub fn encode_into<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
        out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for arg in args {
            let arg = arg.as_ref();
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
    }

    /// Reads one reply.
    pub fn read_reply(&mut self) -> io::Result<Reply> {
        self.next_reply().map(|(reply, _)| reply)
    }

    /// Reads one reply's exact bytes.
    pub fn read_raw(&mut self) -> io::Result<Vec<u8>> {
        let (_, len) = self.next_reply()?;
        Ok(self.input[self.parsed - len..self.parsed].to_vec())
    }

    /// Parses the next reply, reading until it is complete; returns it and
    /// its length, ending at `parsed`.
    fn next_reply(&mut self) -> io::Result<(Reply, usize)> {
        loop {
            let parsed = reply::parse(&self.input[self.parsed..])
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            if let Some((reply, len)) = parsed {
                self.parsed += len;
                return Ok((reply, len));
            }
            // Compact only when refilling, so a pipelined batch of replies
            // is not shifted once per reply.
            self.input.drain(..self.parsed);
            self.parsed = 0;
            if self.fill()? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("connection closed; unparsed bytes: {}", escape(&self.input)),
                ));
            }
        }
    }

    /// Reads everything until the server closes the connection. A reset
    /// after the server's last reply counts as a close.
    pub fn read_to_close(&mut self) -> io::Result<Vec<u8>> {
        loop {
            match self.fill() {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break,
                Err(e) => return Err(e),
            }
        }
        let rest = self.input.split_off(self.parsed);
        self.input.clear();
        self.parsed = 0;
        Ok(rest)
    }

    /// Waits until the server reports `n` blocked clients (INFO clients).
    pub fn wait_blocked(&mut self, n: usize) {
        let field = format!("blocked_clients:{n}\r\n");
        wait_until(DEADLINE, format!("{n} blocked clients"), || {
            self.cmd(&["INFO", "clients"]).contains(&field)
        });
    }

    /// The underlying socket, e.g. to write from another thread or to
    /// change its timeouts.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    pub fn shutdown_write(&self) -> io::Result<()> {
        self.stream.shutdown(Shutdown::Write)
    }

    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 64 * 1024];
        let n = self.stream.read(&mut chunk)?;
        self.input.extend_from_slice(&chunk[..n]);
        Ok(n)
    }
}

/// A command for messages.
fn show<A: AsRef<[u8]>>(args: &[A]) -> String {
    let words: Vec<String> = args.iter().map(|a| escape(a.as_ref())).collect();
    format!("[{}]", words.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_multibulk() {
        assert_eq!(
            Client::encode(&["SET", "key:1", ""]),
            b"*3\r\n$3\r\nSET\r\n$5\r\nkey:1\r\n$0\r\n\r\n"
        );
    }
}
