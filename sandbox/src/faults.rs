//! A fault-injecting HTTP server on loopback: each request gets the next
//! scripted [`Fault`] (the last one repeats), so tests can prove how clients
//! behave on resets, hangs, trickles, truncated or oversized bodies.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer normally with this status, headers and body.
    Respond {
        /// HTTP status.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// Body.
        body: Vec<u8>,
    },
    /// Read the request, then reset the connection without answering.
    ResetBeforeResponse,
    /// Send the status line, headers (announcing `announced` bytes) and
    /// `sent` bytes of `body`, then reset.
    ResetMidBody {
        /// Bytes announced in Content-Length.
        announced: usize,
        /// Bytes actually sent before the reset.
        sent: usize,
    },
    /// Accept and never answer (the client must time out).
    Hang,
    /// Send a 200 JSON body one byte every `interval`.
    Trickle {
        /// The body.
        body: Vec<u8>,
        /// Pause between bytes.
        interval: Duration,
    },
    /// A chunked 200 body of `bytes` bytes, generated on the fly.
    Oversized {
        /// Total bytes to send.
        bytes: u64,
    },
}

impl Fault {
    /// A JSON response.
    #[must_use]
    pub fn json(status: u16, body: &str) -> Self {
        Self::Respond {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// A response with extra headers.
    #[must_use]
    pub fn with_headers(status: u16, headers: &[(&str, &str)], body: &str) -> Self {
        Self::Respond {
            status,
            headers: headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            body: body.as_bytes().to_vec(),
        }
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    /// Method.
    pub method: String,
    /// Path with query.
    pub target: String,
    /// Raw header block.
    pub headers: String,
}

/// A running fault server; stops when dropped.
#[derive(Debug)]
pub struct FaultServer {
    port: u16,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultServer {
    /// Starts a server on 127.0.0.1 with the given script. Must be called
    /// inside a tokio runtime.
    pub async fn start(script: Vec<Fault>) -> Self {
        Self::start_on("127.0.0.1", script).await
    }

    /// Starts on another loopback address (e.g. `127.0.0.2`, a "foreign host").
    ///
    /// # Panics
    /// If the address cannot be bound.
    pub async fn start_on(ip: &str, script: Vec<Fault>) -> Self {
        let listener = TcpListener::bind((ip, 0)).await.expect("bind fault server");
        let port = listener.local_addr().expect("local addr").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(script);
        let counter = Arc::new(AtomicUsize::new(0));
        let seen2 = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let fault = script.get(n).or_else(|| script.last()).cloned();
                let seen = seen2.clone();
                tokio::spawn(async move {
                    if let Some(fault) = fault {
                        let _ = serve(stream, fault, seen).await;
                    }
                });
            }
        });
        Self { port, seen, task }
    }

    /// The base URL, e.g. `http://127.0.0.1:40000`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Requests seen so far.
    ///
    /// # Panics
    /// Never in practice (poisoned lock only).
    #[must_use]
    pub fn seen(&self) -> Vec<SeenRequest> {
        self.seen.lock().expect("seen lock").clone()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<SeenRequest> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
        .unwrap_or(0);
    let mut have = buf.len() - header_end;
    while have < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        have += n;
    }
    let mut first = head.lines().next().unwrap_or_default().split_whitespace();
    Ok(SeenRequest {
        method: first.next().unwrap_or_default().to_owned(),
        target: first.next().unwrap_or_default().to_owned(),
        headers: head,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        307 => "Temporary Redirect",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

async fn serve(mut stream: TcpStream, fault: Fault, seen: Arc<Mutex<Vec<SeenRequest>>>) -> std::io::Result<()> {
    let request = read_request(&mut stream).await?;
    seen.lock().expect("seen lock").push(request);
    match fault {
        Fault::Respond { status, headers, body } => {
            let mut head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
                reason(status),
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body).await?;
            stream.shutdown().await?;
        }
        Fault::ResetBeforeResponse => reset(stream),
        Fault::ResetMidBody { announced, sent } => {
            let head =
                format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {announced}\r\n\r\n");
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&vec![b' '; sent]).await?;
            stream.flush().await?;
            tokio::time::sleep(Duration::from_millis(20)).await;
            reset(stream);
        }
        Fault::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Fault::Trickle { body, interval } => {
            let head =
                format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len());
            stream.write_all(head.as_bytes()).await?;
            for b in body {
                stream.write_all(&[b]).await?;
                stream.flush().await?;
                tokio::time::sleep(interval).await;
            }
        }
        Fault::Oversized { bytes } => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                .await?;
            let block = vec![b' '; 64 * 1024];
            let mut left = bytes;
            while left > 0 {
                let n = usize::try_from(left.min(block.len() as u64)).unwrap_or(block.len());
                stream.write_all(format!("{n:x}\r\n").as_bytes()).await?;
                stream.write_all(&block[..n]).await?;
                stream.write_all(b"\r\n").await?;
                left -= n as u64;
            }
            stream.write_all(b"0\r\n\r\n").await?;
        }
    }
    Ok(())
}

/// Closes with SO_LINGER 0, which sends a TCP RST instead of a FIN.
// A zero linger does not block on drop, which is what the deprecation warns about.
#[allow(deprecated)]
fn reset(stream: TcpStream) {
    let _ = stream.set_linger(Some(Duration::ZERO));
    drop(stream);
}
