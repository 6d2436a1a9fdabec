//! A request description that can be sent (and re-sent on retry) by [`crate::HttpClient`].

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use http::Method;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::path::ApiPath;
use crate::secret::Secret;

/// One API request: method, encoded path, query, headers, body and how it
/// may be retried. Cheap to clone, so a retry re-sends the same bytes.
#[derive(Debug, Clone)]
pub struct Request {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Bytes>,
    pub(crate) stream_body: Option<StreamBody>,
    pub(crate) content_type: Option<&'static str>,
    pub(crate) idempotent: bool,
    pub(crate) timeout: Option<Duration>,
    pub(crate) token: Option<Secret>,
    pub(crate) accept: &'static [u16],
    pub(crate) blocking: Option<crate::blocking::BlockingOptions>,
}

impl Request {
    /// A request with `method` on `path`: a fixed endpoint literal or a path
    /// built by [`crate::path::PathBuf`], which is the only way a name gets
    /// into a path. GET, HEAD, PUT, DELETE and OPTIONS are idempotent by
    /// default, POST and PATCH are not.
    pub fn new(method: Method, path: impl Into<ApiPath>) -> Self {
        let idempotent = matches!(method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS);
        Self {
            method,
            path: path.into().into_string(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            stream_body: None,
            content_type: None,
            idempotent,
            timeout: None,
            token: None,
            accept: &[],
            blocking: None,
        }
    }

    /// A GET request.
    pub fn get(path: impl Into<ApiPath>) -> Self {
        Self::new(Method::GET, path)
    }

    /// A PUT request.
    pub fn put(path: impl Into<ApiPath>) -> Self {
        Self::new(Method::PUT, path)
    }

    /// A POST request.
    pub fn post(path: impl Into<ApiPath>) -> Self {
        Self::new(Method::POST, path)
    }

    /// A DELETE request.
    pub fn delete(path: impl Into<ApiPath>) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// A PATCH request.
    pub fn patch(path: impl Into<ApiPath>) -> Self {
        Self::new(Method::PATCH, path)
    }

    /// The HTTP method.
    #[must_use]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The encoded path.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query parameters added so far.
    #[must_use]
    pub fn query_pairs(&self) -> &[(String, String)] {
        &self.query
    }

    /// Adds a query parameter.
    #[must_use]
    pub fn query(mut self, key: impl Into<String>, value: impl std::fmt::Display) -> Self {
        self.query.push((key.into(), value.to_string()));
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    #[must_use]
    pub fn query_opt<V: std::fmt::Display>(self, key: impl Into<String>, value: Option<V>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Adds a valueless flag parameter (`?recurse`) when `on`.
    #[must_use]
    pub fn flag(mut self, key: impl Into<String>, on: bool) -> Self {
        if on {
            self.query.push((key.into(), String::new()));
        }
        self
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets a JSON body.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::invalid("request body", std::any::type_name::<T>(), e.to_string()))?;
        self.body = Some(Bytes::from(bytes));
        self.content_type = Some("application/json");
        Ok(self)
    }

    /// Sets a raw body.
    #[must_use]
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Sets a body read from `stream` while it is sent (chunked transfer
    /// encoding), so a large upload (a Consul snapshot restore) never sits
    /// in memory whole. Replaces a [`Request::body`]/[`Request::json`] body.
    ///
    /// A stream can be read once, so such a request is never sent twice: it
    /// is made non-idempotent (no retry after it was sent), a connection
    /// failure before sending is not retried either, and sending the same
    /// request (or a clone) again fails with an input error instead of
    /// sending an empty body. An error the stream yields aborts the request
    /// as a transport error.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use client_core::Request;
    /// let chunks = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"snap"))]);
    /// let req = Request::put("/v1/snapshot").body_stream(chunks);
    /// assert!(!req.is_idempotent() && req.has_stream_body());
    /// ```
    #[must_use]
    pub fn body_stream(mut self, stream: impl Stream<Item = std::io::Result<Bytes>> + Send + 'static) -> Self {
        self.body = None;
        self.stream_body = Some(StreamBody(Arc::new(Mutex::new(Some(Box::pin(stream))))));
        self.idempotent = false;
        self
    }

    /// True when the body is a stream ([`Request::body_stream`]).
    #[must_use]
    pub fn has_stream_body(&self) -> bool {
        self.stream_body.is_some()
    }

    /// Marks the request as safe (or unsafe) to send twice.
    #[must_use]
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// True when the request may be retried after it was sent.
    #[must_use]
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
    }

    /// Makes this a blocking query: the server holds the answer until the
    /// resource's index passes `options.index`, for at most `options.wait`.
    /// The client adds `index`/`wait` to the query and stretches this
    /// request's timeout to cover the wait, the server's jitter (wait/16) and
    /// the client's own timeout. Options without an index (the first read of
    /// a watch) leave the request an ordinary one.
    ///
    /// ```
    /// use client_core::{BlockingOptions, Request};
    /// use std::time::Duration;
    /// let req = Request::get("/v1/catalog/services").blocking(BlockingOptions::new(42, Duration::from_secs(60)));
    /// assert_eq!(req.blocking_options().and_then(|b| b.index), Some(42));
    /// ```
    #[must_use]
    pub fn blocking(mut self, options: crate::blocking::BlockingOptions) -> Self {
        self.blocking = Some(options).filter(|b| b.index.is_some_and(|i| i > 0));
        self
    }

    /// The blocking part of this request, if it is a blocking query.
    #[must_use]
    pub fn blocking_options(&self) -> Option<crate::blocking::BlockingOptions> {
        self.blocking
    }

    /// The timeout this request runs under when it is not the client's own:
    /// an explicit [`Request::timeout`], or the one a blocking query needs.
    pub(crate) fn own_timeout(&self, base: Duration) -> Option<Duration> {
        self.timeout.or_else(|| {
            self.blocking.map(|b| {
                let wait = b.wait.unwrap_or(crate::blocking::SERVER_DEFAULT_WAIT);
                wait + wait / 16 + base
            })
        })
    }

    /// Overrides the client's timeout for this request.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Overrides the client's token for this request.
    #[must_use]
    pub fn token(mut self, token: Secret) -> Self {
        self.token = Some(token);
        self
    }

    /// Returns responses with these statuses instead of turning them into
    /// errors (e.g. 404 for "key not found", 503 for a negative health check).
    /// Accepting a status does not change retries: an idempotent request
    /// answered 429/502/503/504 is still retried first, so a caller for whom
    /// such a status is a final answer (a health check) marks the request
    /// `idempotent(false)`.
    #[must_use]
    ///
    /// A later call replaces the set (it is a constant list of the caller's,
    /// so no allocation is made per request).
    pub fn accept_status(mut self, statuses: &'static [u16]) -> Self {
        self.accept = statuses;
        self
    }
}

/// The chunks of a streamed body.
type BodyChunks = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// A body read from a stream while it is sent ([`Request::body_stream`]):
/// shared by the request's clones and taken by the one attempt that sends it.
#[derive(Clone)]
pub(crate) struct StreamBody(Arc<Mutex<Option<BodyChunks>>>);

impl StreamBody {
    /// The stream, the first time; `None` once an attempt took it.
    pub(crate) fn take(&self) -> Option<BodyChunks> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }
}

impl std::fmt::Debug for StreamBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamBody")
    }
}
