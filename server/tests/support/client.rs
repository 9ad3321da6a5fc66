//! A small blocking RESP client that hands back raw reply bytes, so tests
//! compare exactly what went over the wire.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use super::reply;

/// No single reply in these tests should take this long; a server that hangs
/// fails the test instead of stalling it.
const REPLY_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Client {
    stream: TcpStream,
    /// Bytes read but not yet returned as a reply.
    pending: Vec<u8>,
}

impl Client {
    pub fn connect(port: u16) -> io::Result<Client> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(REPLY_TIMEOUT))?;
        stream.set_write_timeout(Some(REPLY_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Client {
            stream,
            pending: Vec::new(),
        })
    }

    /// Sends one command as a multibulk request and reads its reply.
    pub fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<Vec<u8>> {
        self.send(args)?;
        self.read_reply()
    }

    /// Like [`Client::call`] but panics on I/O errors and returns the reply
    /// as (lossy) text, for tests that assert on readable strings.
    pub fn cmd(&mut self, args: &[&str]) -> String {
        let reply = self.call(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        String::from_utf8_lossy(&reply).into_owned()
    }

    /// Waits until the server reports `n` blocked clients (INFO clients).
    pub fn wait_blocked(&mut self, n: usize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let info = self.cmd(&["INFO", "clients"]);
            if info.contains(&format!("blocked_clients:{n}\r\n")) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never saw {n} blocked clients: {info}"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    pub fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<()> {
        self.send_raw(&Client::encode(args))
    }

    /// One command as a multibulk request.
    pub fn encode<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
        let mut request = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            let arg = arg.as_ref();
            request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            request.extend_from_slice(arg);
            request.extend_from_slice(b"\r\n");
        }
        request
    }

    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Reads one complete reply, raw.
    pub fn read_reply(&mut self) -> io::Result<Vec<u8>> {
        loop {
            let parsed = reply::parse(&self.pending)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            if let Some((_, len)) = parsed {
                return Ok(self.pending.drain(..len).collect());
            }
            if self.fill()? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "connection closed; unparsed bytes: {}",
                        reply::escape(&self.pending)
                    ),
                ));
            }
        }
    }

    /// Reads everything until the server closes the connection. A reset
    /// after the server's last reply counts as a close.
    pub fn read_to_close(&mut self) -> io::Result<Vec<u8>> {
        loop {
            match self.fill() {
                Ok(0) => return Ok(std::mem::take(&mut self.pending)),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                    return Ok(std::mem::take(&mut self.pending))
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The underlying socket, e.g. to drain it from another thread.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    pub fn shutdown_write(&self) -> io::Result<()> {
        self.stream.shutdown(Shutdown::Write)
    }

    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk)?;
        self.pending.extend_from_slice(&chunk[..n]);
        Ok(n)
    }
}
