//! A loopback TCP proxy between a replica and its master, so a test can cut
//! the link (and refuse reconnections) for as long as it likes, or let only
//! so many bytes through towards the replica and then stall, e.g. to catch
//! a replica in the middle of a full sync.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;

pub struct Proxy {
    port: u16,
    shared: Arc<Shared>,
}

struct Shared {
    target: u16,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// Cut: live links are closed and new ones refused.
    cut: bool,
    closed: bool,
    /// Bytes still allowed towards the client (the replica); `None` is
    /// unlimited.
    downstream_budget: Option<u64>,
    downstream_bytes: u64,
    next_id: u64,
    /// Both sockets of each live link, to close them from outside.
    links: HashMap<u64, [TcpStream; 2]>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `target_port`.
    pub fn start(target_port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            target: target_port,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        let acceptor = Arc::clone(&shared);
        thread::spawn(move || acceptor.accept_loop(listener));
        Proxy { port, shared }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Closes every live link and refuses new ones until [`Proxy::restore`].
    pub fn cut(&self) {
        let mut state = self.shared.lock();
        state.cut = true;
        for (_, link) in state.links.drain() {
            close(&link);
        }
        self.shared.changed.notify_all();
    }

    /// Forwards again, without limits.
    pub fn restore(&self) {
        let mut state = self.shared.lock();
        state.cut = false;
        state.downstream_budget = None;
        self.shared.changed.notify_all();
    }

    /// From now on lets `bytes` more bytes through towards the replica, then
    /// holds the rest (without closing) until [`Proxy::restore`].
    pub fn stall_downstream_after(&self, bytes: u64) {
        self.shared.lock().downstream_budget = Some(bytes);
        self.shared.changed.notify_all();
    }

    /// Bytes forwarded towards the replica so far, over all links.
    pub fn downstream_bytes(&self) -> u64 {
        self.shared.lock().downstream_bytes
    }

    /// True when the downstream budget is used up.
    pub fn stalled(&self) -> bool {
        self.shared.lock().downstream_budget == Some(0)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.cut();
        // Wake the acceptor so it sees `closed` and returns.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn accept_loop(self: Arc<Self>, listener: TcpListener) {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            if self.lock().closed {
                return;
            }
            let Ok(server) = TcpStream::connect(("127.0.0.1", self.target)) else {
                continue; // the client sees its connection close
            };
            let _ = (client.set_nodelay(true), server.set_nodelay(true));
            let mut state = self.lock();
            if state.cut {
                continue;
            }
            let id = state.next_id;
            state.next_id += 1;
            let link = [client.try_clone().unwrap(), server.try_clone().unwrap()];
            state.links.insert(id, link);
            drop(state);
            let up = Arc::clone(&self);
            let (client_in, server_out) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            thread::spawn(move || up.pump(id, client_in, server_out, false));
            let down = Arc::clone(&self);
            thread::spawn(move || down.pump(id, server, client, true));
        }
    }

    /// Copies one direction of link `id` until either side closes, then
    /// closes the whole link.
    fn pump(&self, id: u64, mut from: TcpStream, mut to: TcpStream, downstream: bool) {
        let mut buf = vec![0u8; 16 * 1024];
        'link: while let Ok(n @ 1..) = from.read(&mut buf) {
            let mut sent = 0;
            while sent < n {
                let Some(allowed) = self.allowance(id, n - sent, downstream) else {
                    break 'link;
                };
                if to.write_all(&buf[sent..sent + allowed]).is_err() {
                    break 'link;
                }
                sent += allowed;
            }
        }
        if let Some(link) = self.lock().links.remove(&id) {
            close(&link);
        }
        self.changed.notify_all();
    }

    /// How many of `wanted` bytes may go now, waiting while stalled; `None`
    /// once the link has been closed.
    fn allowance(&self, id: u64, wanted: usize, downstream: bool) -> Option<usize> {
        let mut state = self.lock();
        loop {
            if !state.links.contains_key(&id) {
                return None;
            }
            if !downstream {
                return Some(wanted);
            }
            let allowed = match state.downstream_budget {
                None => wanted,
                Some(budget) => wanted.min(budget as usize),
            };
            if allowed > 0 {
                if let Some(budget) = &mut state.downstream_budget {
                    *budget -= allowed as u64;
                }
                state.downstream_bytes += allowed as u64;
                return Some(allowed);
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

fn close(link: &[TcpStream; 2]) {
    for stream in link {
        let _ = stream.shutdown(Shutdown::Both);
    }
}
