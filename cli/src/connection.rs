//! One blocking connection to a server: requests go out as RESP arrays of
//! bulk strings, replies come back through `resp::decode`.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use bytes::BytesMut;
use resp::{DecodeError, Frame, Protocol, Writer};

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Tcp { host: String, port: u16 },
    Unix(PathBuf),
}

/// Why talking to the server failed. `Display` gives hiredis's wording,
/// which redis-cli prints after `Error: `.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("Server closed the connection")]
    Closed,
    #[error("{}", os_message(.0))]
    Io(#[from] io::Error),
    #[error("{0}")]
    Protocol(#[from] DecodeError),
}

impl LinkError {
    /// Whether the link is simply gone, so an interactive session should
    /// reconnect instead of giving up (EOF, reset, broken pipe).
    pub fn is_disconnect(&self) -> bool {
        match self {
            LinkError::Closed => true,
            LinkError::Io(e) => matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::ConnectionAborted
            ),
            LinkError::Protocol(_) => false,
        }
    }
}

/// `strerror` text without Rust's ` (os error N)` suffix, as C tools print it.
pub fn os_message(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    fn as_io(&mut self) -> &mut dyn ReadWrite {
        match self {
            Stream::Tcp(s) => s,
            Stream::Unix(s) => s,
        }
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

pub struct Connection {
    stream: Stream,
    buf: BytesMut,
}

impl Connection {
    pub fn open(addr: &Address) -> io::Result<Connection> {
        let stream = match addr {
            Address::Tcp { host, port } => {
                let tcp = TcpStream::connect((host.as_str(), *port))?;
                // Small requests and replies: do not wait to coalesce.
                tcp.set_nodelay(true)?;
                Stream::Tcp(tcp)
            }
            Address::Unix(path) => Stream::Unix(UnixStream::connect(path)?),
        };
        Ok(Connection {
            stream,
            buf: BytesMut::new(),
        })
    }

    /// The socket, so a signal handler can shut it down to abort a read.
    pub fn raw_fd(&self) -> RawFd {
        match &self.stream {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
        }
    }

    /// Sends one command.
    pub fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<(), LinkError> {
        let mut out = BytesMut::new();
        let mut w = Writer::new(&mut out, Protocol::Resp2);
        w.array(args.len());
        for arg in args {
            w.bulk(arg.as_ref());
        }
        self.stream.as_io().write_all(&out)?;
        Ok(())
    }

    /// Reads the next reply, waiting as long as it takes.
    pub fn read_frame(&mut self) -> Result<Frame, LinkError> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some(frame) = resp::decode(&mut self.buf)? {
                return Ok(frame);
            }
            match self.stream.as_io().read(&mut chunk) {
                Ok(0) => return Err(LinkError::Closed),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Sends a command and reads its reply (pushes are not expected here:
    /// used for the AUTH / SELECT / HELLO preamble).
    pub fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<Frame, LinkError> {
        self.send(args)?;
        self.read_frame()
    }
}
