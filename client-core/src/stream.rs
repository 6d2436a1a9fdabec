//! Live answers: a body read as it arrives ([`ByteStream`]) and a connection
//! taken over after a protocol switch ([`Upgraded`]). The SDK's own types, so
//! no client exposes the HTTP library underneath.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use http::{HeaderMap, Method, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::{Error, Result};

/// A live answer from [`crate::HttpClient::stream`]: status and headers,
/// and a body that has not been read yet. No overall timeout applies to it.
pub struct Streaming {
    status: StatusCode,
    headers: HeaderMap,
    method: Method,
    path: String,
    host: String,
    inner: reqwest::Response,
}

impl std::fmt::Debug for Streaming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streaming")
            .field("status", &self.status)
            .field("method", &self.method)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Streaming {
    pub(crate) fn new(mut inner: reqwest::Response, method: Method, path: String, host: String) -> Self {
        let headers = std::mem::take(inner.headers_mut());
        Self { status: inner.status(), headers, method, path, host, inner }
    }

    /// The status (2xx, 101 for a protocol switch, or one the request accepted).
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body as it arrives, chunk by chunk; a connection cut mid-body is
    /// an [`Error::Transport`] naming the request.
    #[must_use]
    pub fn bytes(self) -> ByteStream {
        let Self { method, path, host, inner, .. } = self;
        let stream = inner.bytes_stream().map(move |chunk| {
            chunk.map_err(|e| Error::Transport {
                method: method.to_string(),
                path: path.clone(),
                host: host.clone(),
                reason: format!("the stream was cut off ({})", crate::http::root_cause(&e)),
            })
        });
        ByteStream(Box::pin(stream))
    }

    /// Takes over the connection after a `101 Switching Protocols` answer
    /// (a WebSocket upgrade).
    pub async fn upgrade(self) -> Result<Upgraded> {
        let Self { method, path, host, inner, .. } = self;
        inner.upgrade().await.map(|io| Upgraded(Box::new(io))).map_err(|e| Error::Transport {
            method: method.to_string(),
            path,
            host,
            reason: format!("cannot take over the connection ({})", crate::http::root_cause(&e)),
        })
    }
}

/// A response body read as it arrives.
pub struct ByteStream(Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>);

impl std::fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ByteStream")
    }
}

impl ByteStream {
    /// A stream over chunks from anywhere (tests, a replayed capture).
    pub fn from_stream(stream: impl Stream<Item = Result<Bytes>> + Send + 'static) -> Self {
        Self(Box::pin(stream))
    }
}

impl Stream for ByteStream {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.as_mut().poll_next(cx)
    }
}

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// A connection taken over after a protocol switch: read and write it as a
/// byte stream (a WebSocket library runs on top).
pub struct Upgraded(Box<dyn Io>);

impl std::fmt::Debug for Upgraded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Upgraded")
    }
}

impl AsyncRead for Upgraded {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Upgraded {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

/// Why [`gzip_upload`] refused to start an upload.
#[derive(Debug)]
pub enum UploadRefused {
    /// Reading the first bytes failed; nothing was sent.
    Read(io::Error),
    /// The reader is empty or does not start like a gzip archive; nothing was sent.
    NotGzip(Error),
}

/// A body stream for uploading a snapshot (Consul's and Nomad's are gzip
/// archives) from `reader`, read as it is sent (constant memory), after the
/// first two bytes were checked: an empty reader, or one that does not start
/// with the gzip magic `1f 8b`, is refused before anything is sent, so a
/// wrong file is never uploaded. `what` names the archive and how to make
/// one in the refusal (`"a Consul snapshot (what `consul snapshot save` writes)"`).
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use client_core::stream::{UploadRefused, gzip_upload};
/// let Err(refused) = gzip_upload(&b"PK\x03\x04"[..], "a Nomad snapshot").await else { panic!("a zip file was taken") };
/// assert!(matches!(refused, UploadRefused::NotGzip(e) if e.to_string().contains("1f 8b")));
/// assert!(gzip_upload(&b"\x1f\x8b\x08rest"[..], "a Nomad snapshot").await.is_ok());
/// # });
/// ```
pub async fn gzip_upload<R>(
    mut reader: R,
    what: &str,
) -> std::result::Result<impl Stream<Item = io::Result<Bytes>> + Send + 'static + use<R>, UploadRefused>
where
    R: AsyncRead + Send + Unpin + 'static,
{
    use tokio::io::AsyncReadExt as _;
    const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < head.len() {
        let n = reader.read(&mut head[got..]).await.map_err(UploadRefused::Read)?;
        if n == 0 {
            break;
        }
        got += n;
    }
    if got == 0 {
        return Err(UploadRefused::NotGzip(Error::invalid("snapshot", "(empty)", "is empty: nothing to restore")));
    }
    if got < head.len() || head != GZIP_MAGIC {
        return Err(UploadRefused::NotGzip(Error::invalid(
            "snapshot",
            format!("starting with {:02x?}", &head[..got]),
            format!("is not {what}: a gzip archive starts with 1f 8b; nothing was sent"),
        )));
    }
    let first = futures::stream::once(async move { Ok(Bytes::copy_from_slice(&head)) });
    Ok(first.chain(tokio_util::io::ReaderStream::new(reader)))
}
