//! Minimal local HTTP servers: a fixed answer (pure client cost), a generated Nomad log
//! stream, and a counting proxy in front of a real server. Each runs on its own thread and
//! runtime so the server's work does not share the client's scheduler.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;

/// The body type every handler answers with.
pub type Body = BoxBody<Bytes, Infallible>;

/// A handler: one request in, one response out.
pub type Handler = Arc<dyn Fn(Request<Incoming>) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>> + Send + Sync>;

/// A running local server; stopped on drop.
pub struct LocalServer {
    addr: SocketAddr,
    requests: Arc<AtomicU64>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LocalServer {
    /// Starts `handler` on a free loopback port, on a thread with one runtime worker.
    pub fn start(handler: Handler) -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicU64::new(0));
        let (tx, mut rx) = oneshot::channel::<()>();
        let counter = requests.clone();
        let thread = std::thread::Builder::new().name("bench-server".into()).spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("server runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    tokio::select! {
                        _ = &mut rx => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let _ = stream.set_nodelay(true);
                            let handler = handler.clone();
                            let counter = counter.clone();
                            tokio::spawn(async move {
                                let service = service_fn(move |req| {
                                    counter.fetch_add(1, Ordering::Relaxed);
                                    let fut = handler(req);
                                    async move { Ok::<_, Infallible>(fut.await) }
                                });
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            });
                        }
                    }
                }
            });
        })?;
        Ok(Self { addr, requests, shutdown: Some(tx), thread: Some(thread) })
    }

    /// `http://127.0.0.1:<port>`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests received so far.
    #[must_use]
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A body holding `bytes`.
#[must_use]
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

/// Answers every request with the same status, headers and body.
#[must_use]
pub fn fixed(status: u16, headers: &[(&str, &str)], body: &'static [u8]) -> Handler {
    let headers: Vec<(String, String)> = headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    Arc::new(move |_req| {
        let mut resp = Response::builder().status(status);
        for (k, v) in &headers {
            resp = resp.header(k, v);
        }
        let resp = resp.body(full(Bytes::from_static(body))).expect("valid response");
        Box::pin(async move { resp })
    })
}

/// Forwards every request to `upstream` (a base URL) and returns its answer; the
/// server's request counter then counts what a client really sent.
#[must_use]
pub fn proxy(upstream: &str) -> Handler {
    let upstream = upstream.trim_end_matches('/').to_owned();
    let client = reqwest::Client::builder().no_proxy().build().expect("proxy client");
    Arc::new(move |req: Request<Incoming>| {
        let client = client.clone();
        let upstream = upstream.clone();
        Box::pin(async move {
            let result: anyhow::Result<Response<Body>> = async {
                let (parts, body) = req.into_parts();
                let target = format!("{upstream}{}", parts.uri.path_and_query().map_or("/", |p| p.as_str()));
                let body = body.collect().await?.to_bytes();
                let mut out = client.request(parts.method, target).body(body);
                for (name, value) in &parts.headers {
                    if name != hyper::header::HOST {
                        out = out.header(name, value);
                    }
                }
                let resp = out.send().await?;
                let mut builder = Response::builder().status(resp.status());
                for (name, value) in resp.headers() {
                    builder = builder.header(name, value);
                }
                Ok(builder.body(full(resp.bytes().await?))?)
            }
            .await;
            result.unwrap_or_else(|e| {
                Response::builder().status(502).body(full(format!("bench proxy: {e}"))).expect("valid response")
            })
        })
    })
}

/// Streams Nomad log frames (`{"Offset":..,"Data":"<base64>","File":..}`) until at
/// least `total_wire_bytes` were sent. Frames are built on the fly from one shared
/// pre-encoded chunk, so the server holds kilobytes whatever the stream length.
#[must_use]
pub fn nomad_log_stream(total_wire_bytes: u64, chunk: &[u8]) -> Handler {
    use base64::Engine as _;
    let data = Bytes::from(base64::engine::general_purpose::STANDARD.encode(chunk));
    let chunk_len = chunk.len() as u64;
    Arc::new(move |_req| {
        let data = data.clone();
        let frames = futures::stream::unfold((0u64, 0u64), move |(sent, offset)| {
            let data = data.clone();
            async move {
                if sent >= total_wire_bytes {
                    return None;
                }
                let head = Bytes::from(format!("{{\"Offset\":{offset},\"Data\":\""));
                let tail = Bytes::from_static(b"\",\"File\":\"alloc/logs/web.stdout.0\",\"FileEvent\":\"\"}");
                let frame_len = (head.len() + data.len() + tail.len()) as u64;
                let parts = [head, data, tail].map(|b| Ok::<_, Infallible>(Frame::data(b)));
                Some((futures::stream::iter(parts), (sent + frame_len, offset + chunk_len)))
            }
        });
        let body = StreamBody::new(futures::StreamExt::flatten(frames)).boxed();
        let resp = Response::builder()
            .status(200)
            .header("Content-Type", "application/json")
            .body(body)
            .expect("valid response");
        Box::pin(async move { resp })
    })
}
