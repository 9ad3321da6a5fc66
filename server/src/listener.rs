//! Listening sockets and the accept loop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use crate::log::log;
use crate::state::counters::Counters;
use crate::state::Shared;

/// Binds every address of the `bind` directive, listening with
/// `tcp-backlog` pending connections. A `-` prefix marks an address that
/// may be unavailable (e.g. `-::1` without IPv6), as in Redis.
pub async fn bind(addrs: &[String], port: u16, backlog: u32) -> anyhow::Result<Vec<TcpListener>> {
    let mut listeners = Vec::new();
    for spec in addrs {
        let (optional, host) = match spec.strip_prefix('-') {
            Some(h) => (true, h),
            None => (false, spec.as_str()),
        };
        let host = if host == "*" { "0.0.0.0" } else { host };
        let addr = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        match listen(&addr, backlog).await {
            Ok(l) => listeners.push(l),
            Err(e) if optional => {
                log!(Verbose, "Skipping optional bind address {addr}: {e}");
            }
            Err(e) => {
                log!(
                    Warning,
                    "Warning: Could not create server TCP listening socket {addr}: bind: {e}"
                );
                anyhow::bail!("Failed listening on port {port} (TCP), aborting.");
            }
        }
    }
    if listeners.is_empty() {
        anyhow::bail!("Failed listening on port {port} (TCP), aborting.");
    }
    Ok(listeners)
}

/// A listening socket on `addr` (reusing the address, as Redis does).
async fn listen(addr: &str, backlog: u32) -> std::io::Result<TcpListener> {
    let mut last = None;
    for a in tokio::net::lookup_host(addr).await? {
        let socket = match a {
            SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
            SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(a).and_then(|()| socket.listen(backlog)) {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no address to bind")))
}

/// Accepts connections until shutdown, spawning one task per client.
pub async fn accept_loop(srv: Arc<Shared>, listener: TcpListener) {
    let mut shutdown = srv.shutdown_signal();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let (stream, addr) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of file descriptors and the like: back off, don't spin.
                log!(Warning, "Accepting client connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        Counters::add(&srv.counters().connections_received, 1);
        tokio::spawn(admit(srv.clone(), stream, addr));
    }
}

/// Applies the checks Redis makes on a new client before serving it.
async fn admit(srv: Arc<Shared>, mut stream: TcpStream, addr: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let (maxclients, protected, no_password) = {
        let cfg = srv.config().read();
        let s = cfg.settings();
        (
            s.maxclients as usize,
            s.protected_mode,
            s.requirepass.is_none(),
        )
    };
    if srv.clients().len() >= maxclients {
        Counters::add(&srv.counters().rejected_connections, 1);
        let _ = stream
            .write_all(b"-ERR max number of clients reached\r\n")
            .await;
        return;
    }
    if protected && no_password && !crate::state::clients::is_local(addr.ip()) {
        Counters::add(&srv.counters().rejected_connections, 1);
        let _ = stream.write_all(PROTECTED_MODE_ERROR.as_bytes()).await;
        return;
    }
    crate::connection::serve(srv, stream, addr).await;
}

const PROTECTED_MODE_ERROR: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";
