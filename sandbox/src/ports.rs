//! Free loopback ports, so sandboxes of parallel tests never collide.

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::Mutex;

static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// A TCP port on 127.0.0.1 that was free a moment ago and that this process
/// has not handed out before.
pub fn free_port() -> u16 {
    loop {
        let port =
            TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("bind 127.0.0.1:0");
        let mut guard = HANDED_OUT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard.get_or_insert_with(HashSet::new).insert(port) {
            return port;
        }
    }
}

/// True when something accepts TCP connections on `127.0.0.1:port`.
#[must_use]
pub fn is_listening(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), std::time::Duration::from_millis(200)).is_ok()
}
