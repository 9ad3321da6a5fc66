//! Reading another process's TCP sockets from outside. Neither /proc/net/tcp
//! nor `ss` shows TCP_NODELAY, so we take a duplicate of the socket itself
//! with pidfd_getfd (Linux 5.6+, needs ptrace rights over the process, which
//! a parent running as the same user has) and ask it with getsockopt.

use std::fs;
use std::io;
use std::net::TcpStream;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// One TCP socket of the inspected process.
pub struct Socket {
    pub local_port: u16,
    pub peer_port: u16,
    pub nodelay: bool,
}

/// Every connected TCP socket the process `pid` holds.
pub fn tcp_sockets(pid: u32) -> io::Result<Vec<Socket>> {
    let pidfd = pidfd_open(pid)?;
    let mut sockets = Vec::new();
    for entry in fs::read_dir(format!("/proc/{pid}/fd"))? {
        let entry = entry?;
        let Ok(target) = fs::read_link(entry.path()) else {
            continue; // closed meanwhile
        };
        if !target.to_string_lossy().starts_with("socket:") {
            continue;
        }
        let Some(fd) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let Ok(copy) = pidfd_getfd(&pidfd, fd) else {
            continue;
        };
        // Listening and Unix sockets have no IP peer and are skipped.
        let stream = TcpStream::from(copy);
        if let (Ok(local), Ok(peer), Ok(nodelay)) =
            (stream.local_addr(), stream.peer_addr(), stream.nodelay())
        {
            sockets.push(Socket {
                local_port: local.port(),
                peer_port: peer.port(),
                nodelay,
            });
        }
    }
    Ok(sockets)
}

fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; a non-negative result is a new fd we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    owned(fd)
}

fn pidfd_getfd(pidfd: &OwnedFd, fd: RawFd) -> io::Result<OwnedFd> {
    use std::os::fd::AsRawFd;
    // SAFETY: plain syscall; a non-negative result is a new fd we own.
    let copy = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0) };
    owned(copy)
}

fn owned(fd: libc::c_long) -> io::Result<OwnedFd> {
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this descriptor to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}
