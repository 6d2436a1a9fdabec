//! The HTTP client every SDK client wraps: one pooled reqwest client, retries,
//! bounded bodies, redirect control and a tracing span per request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, StatusCode};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::config::{ClientConfig, RedirectPolicy};
use crate::decode::{BodyInErrors, decode_json};
use crate::error::{Error, Result, excerpt, server_message};
use crate::hook::{Answer, Hook, Verdict};
use crate::request::Request;
use crate::retry::retry_after;
use crate::stream::Streaming;

/// A response whose body was read completely (within the size limit).
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) body_in_errors: BodyInErrors,
}

impl Response {
    /// Decodes the body as JSON; a failure names the request and shows the
    /// start of the body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        decode_json(&self.method, &self.path, &self.body, self.body_in_errors)
    }

    /// The index metadata of the answer (`X-Consul-*` / `X-Nomad-*` headers).
    #[must_use]
    pub fn query_meta(&self, prefix: &str) -> crate::QueryMeta {
        crate::QueryMeta::from_headers(&self.headers, prefix)
    }

    /// The request's method.
    #[must_use]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request's encoded path.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<String> {
        String::from_utf8(self.body.to_vec()).map_err(|e| Error::Decode {
            method: self.method.to_string(),
            path: self.path.clone(),
            reason: e.to_string(),
            excerpt: match self.body_in_errors {
                BodyInErrors::Excerpt => excerpt(&self.body),
                _ => "(not shown: the answer may hold secrets)".to_owned(),
            },
        })
    }

    /// True for a 2xx status.
    #[must_use]
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// An [`Error::Api`] for this response (used for statuses the caller
    /// accepted but then decided are errors after all).
    #[must_use]
    pub fn to_error(&self) -> Error {
        Error::Api {
            status: self.status.as_u16(),
            method: self.method.to_string(),
            path: self.path.clone(),
            message: server_message(&self.body),
        }
    }
}

struct Inner {
    /// Requests with a bounded answer: the config's timeout is set on the
    /// client once, not on every request.
    http: reqwest::Client,
    /// Streams (logs, events, exec upgrades): no overall timeout.
    streams: reqwest::Client,
    config: ClientConfig,
    hook: Option<Arc<dyn Hook>>,
    sni: Option<Arc<SniRoute>>,
    next_id: AtomicU64,
}

/// How a configured TLS server name reaches the wire as SNI for an address
/// that is an IP literal (a Nomad server reached by IP with
/// `NOMAD_TLS_SERVER_NAME=server.global.nomad`). reqwest names the TLS
/// server after the URL's host and sends no SNI for an IP, so such requests
/// go to a URL whose host is the configured name, which the client resolves
/// to the address's IP itself (no DNS), with the address in `Host` as Go's
/// client sends it. URLs stay in the address's form everywhere else
/// (redirect checks, errors, proxies), converted only at the wire.
#[derive(Debug)]
struct SniRoute {
    /// The configured server name (the wire host).
    name: String,
    /// The address's IP as the URL spells it (`127.0.0.1`, `[::1]`).
    ip_host: String,
    port: u16,
}

impl SniRoute {
    /// A route when the configuration needs one: https, a server name that
    /// is a DNS name, an IP-literal address, no unix socket and no proxy
    /// for the address (a proxy is told the address, never the name).
    fn for_config(config: &ClientConfig) -> Option<Self> {
        let name = config.tls.server_name.as_deref()?.trim();
        let address = &config.address;
        let ip_literal = matches!(address.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)));
        let name_is_dns = !name.is_empty()
            && name.parse::<std::net::IpAddr>().is_err()
            && Url::parse(&format!("https://{name}/")).is_ok_and(|u| u.host_str() == Some(name));
        if address.scheme() != "https" || !ip_literal || !name_is_dns || config.unix_socket.is_some() {
            return None;
        }
        if config.proxy.for_target(address).is_some() {
            return None;
        }
        Some(Self {
            name: name.to_owned(),
            ip_host: address.host_str()?.to_owned(),
            port: address.port_or_known_default()?,
        })
    }

    fn socket_addr(&self) -> Option<std::net::SocketAddr> {
        let ip = self.ip_host.trim_start_matches('[').trim_end_matches(']').parse().ok()?;
        Some(std::net::SocketAddr::new(ip, self.port))
    }

    /// The URL sent on the wire: the address's host swapped for the name.
    fn wire(&self, url: &Url) -> Option<Url> {
        if url.host_str() != Some(self.ip_host.as_str()) || url.port_or_known_default() != Some(self.port) {
            return None;
        }
        let mut wire = url.clone();
        wire.set_host(Some(&self.name)).ok()?;
        Some(wire)
    }

    /// The address form of a URL the HTTP library reports back.
    fn logical(&self, url: &Url) -> Option<Url> {
        if url.host_str() != Some(self.name.as_str()) || url.port_or_known_default() != Some(self.port) {
            return None;
        }
        let mut logical = url.clone();
        logical.set_host(Some(&self.ip_host)).ok()?;
        Some(logical)
    }
}

/// A configured HTTP client. Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

impl HttpClient {
    /// Builds the client. Bad TLS material is reported here, not at the first request.
    pub fn new(config: ClientConfig) -> Result<Self> {
        let http = Self::builder(&config)?
            .timeout(config.timeout)
            .build()
            .map_err(|e| Error::config("HTTP client", e.to_string()))?;
        let streams = Self::builder(&config)?.build().map_err(|e| Error::config("HTTP client", e.to_string()))?;
        let sni = SniRoute::for_config(&config).map(Arc::new);
        Ok(Self { inner: Arc::new(Inner { http, streams, config, hook: None, sni, next_id: AtomicU64::new(1) }) })
    }

    fn builder(config: &ClientConfig) -> Result<reqwest::ClientBuilder> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .user_agent(config.user_agent.clone())
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true);
        // Proxies come from the configuration only (read like the Go clients read
        // them), never from reqwest's own reading of the process environment.
        builder = builder.no_proxy();
        if !config.proxy.is_empty() {
            let proxy = config.proxy.clone();
            builder = builder.proxy(reqwest::Proxy::custom(move |url| proxy.for_target(url)));
        }
        #[cfg(unix)]
        if let Some(path) = &config.unix_socket {
            // reqwest (>= 0.12.23) connects every request to the socket; no proxy applies.
            builder = builder.unix_socket(path.as_path());
        }
        if let Some(route) = SniRoute::for_config(config) {
            if let Some(addr) = route.socket_addr() {
                builder = builder.resolve(&route.name, addr);
            }
        }
        let tls = crate::tls::client_config(&config.tls, config.address.scheme() == "https")?;
        builder = builder.use_preconfigured_tls(tls);
        if let Some(auth) = &config.basic_auth {
            use base64::Engine as _;
            let raw = format!("{}:{}", auth.username, auth.password.expose());
            let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
            let mut value = http::HeaderValue::from_str(&format!("Basic {encoded}"))
                .map_err(|_| Error::config("HTTP basic auth", "the user name holds characters not allowed"))?;
            value.set_sensitive(true);
            let mut headers = HeaderMap::new();
            headers.insert(http::header::AUTHORIZATION, value);
            builder = builder.default_headers(headers);
        }
        Ok(builder)
    }

    /// The configuration this client was built from.
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// A copy of this client that sends `token` instead (shares the pool).
    #[must_use]
    pub fn with_token(&self, token: crate::Secret) -> Self {
        self.with_config(|config| config.token = Some(token))
    }

    /// A copy of this client whose configuration `edit` changed in what
    /// applies per request (token, headers, retry policy, timeout of
    /// ordinary requests is the pool's and stays); shares the pool.
    #[must_use]
    pub fn with_config(&self, edit: impl FnOnce(&mut ClientConfig)) -> Self {
        let mut config = self.inner.config.clone();
        edit(&mut config);
        let inner = Inner {
            http: self.inner.http.clone(),
            streams: self.inner.streams.clone(),
            config,
            hook: self.inner.hook.clone(),
            sni: self.inner.sni.clone(),
            next_id: AtomicU64::new(1),
        };
        Self { inner: Arc::new(inner) }
    }

    /// A copy of this client that runs `hook` on every attempt (replacing
    /// any hook it had); shares the pool.
    #[must_use]
    pub fn with_hook(&self, hook: Arc<dyn Hook>) -> Self {
        let inner = Inner {
            http: self.inner.http.clone(),
            streams: self.inner.streams.clone(),
            config: self.inner.config.clone(),
            hook: Some(hook),
            sni: self.inner.sni.clone(),
            next_id: AtomicU64::new(1),
        };
        Self { inner: Arc::new(inner) }
    }

    /// The hook this client runs, if any.
    #[must_use]
    pub fn hook(&self) -> Option<&Arc<dyn Hook>> {
        self.inner.hook.as_ref()
    }

    /// Sends a request and decodes a JSON answer.
    pub async fn json<T: DeserializeOwned>(&self, request: Request) -> Result<T> {
        self.send(request).await?.json()
    }

    /// Sends a request with retries and reads the whole body (bounded).
    /// Statuses other than 2xx and the request's accepted ones become
    /// [`Error::Api`].
    pub async fn send(&self, request: Request) -> Result<Response> {
        let mut response = match self.execute(&request, false).await? {
            Exchange::Read(response) => response,
            Exchange::Live(resp) => self.buffer(resp, &request).await?,
        };
        let accepted = response.status.is_success() || request.accept.contains(&response.status.as_u16());
        // The request is done: its path moves into the response instead of
        // being copied on every attempt.
        response.path = request.path;
        if accepted { Ok(response) } else { Err(response.to_error()) }
    }

    /// Sends a request and returns the live answer for streaming: no
    /// overall timeout applies to the body. A non-success status (other than
    /// one the request accepts, or `101` for an upgrade) becomes an error
    /// (its body read within the size limit).
    pub async fn stream(&self, request: Request) -> Result<Streaming> {
        match self.execute(&request, true).await? {
            Exchange::Live(resp) => {
                let host = match &self.inner.config.unix_socket {
                    Some(socket) => format!("unix://{}", socket.display()),
                    None => host_port(&self.logical(resp.url())),
                };
                Ok(Streaming::new(resp, request.method, request.path, host))
            }
            Exchange::Read(mut response) => {
                response.path = request.path;
                Err(response.to_error())
            }
        }
    }

    /// Reads a response's body; the path is filled in by the caller once
    /// the final attempt is known.
    async fn buffer(&self, mut resp: reqwest::Response, request: &Request) -> Result<Response> {
        let status = resp.status();
        let headers = std::mem::take(resp.headers_mut());
        let timeout = request.own_timeout(self.inner.config.timeout);
        let body = self.read_body(resp, &request.method, &request.path, timeout).await?;
        let body_in_errors = self.inner.config.body_in_errors;
        Ok(Response { status, headers, body, method: request.method.clone(), path: String::new(), body_in_errors })
    }

    /// `url` in the address's form (a wire URL of the SNI route turned back).
    fn logical(&self, url: &Url) -> Url {
        self.inner.sni.as_ref().and_then(|route| route.logical(url)).unwrap_or_else(|| url.clone())
    }

    /// Builds the URL for an encoded path under the configured address.
    #[must_use]
    pub fn url(&self, path: &str) -> Url {
        let base = &self.inner.config.address;
        let prefix = base.path().trim_end_matches('/');
        let mut url = base.clone();
        if prefix.is_empty() {
            url.set_path(path);
        } else {
            url.set_path(&format!("{prefix}{path}"));
        }
        url
    }

    /// One attempt: send (following allowed redirects), then read the body
    /// unless this is a successful streaming response. Reading the body
    /// inside the attempt lets a reset or stall mid-body be retried too.
    async fn attempt(&self, request: &Request, streaming: bool) -> Result<Exchange, SendError> {
        let resp = self.send_following_redirects(request, streaming).await?;
        let status = resp.status();
        let live = status.is_success() || status == StatusCode::SWITCHING_PROTOCOLS;
        if streaming && (live || request.accept.contains(&status.as_u16())) {
            return Ok(Exchange::Live(resp));
        }
        self.buffer(resp, request).await.map(Exchange::Read).map_err(SendError::Sent)
    }

    /// Sends with retries and redirect handling.
    async fn execute(&self, request: &Request, streaming: bool) -> Result<Exchange> {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let span = tracing::debug_span!("http", id, method = %request.method, path = %request.path, status = tracing::field::Empty, attempts = tracing::field::Empty, elapsed_ms = tracing::field::Empty);
        let started = Instant::now();
        let policy = &self.inner.config.retry;
        // Built on the first retry only: most requests never need it.
        let mut delays = None;
        let mut attempt: u32 = 0;
        let result = async {
            loop {
                attempt += 1;
                if let Some(limit) = &self.inner.config.rate_limit {
                    limit.wait().await;
                }
                let outcome = self.attempt(request, streaming).await;
                let retry = match &outcome {
                    Ok(exchange) => {
                        let verdict = self.inner.hook.as_ref().map_or(Verdict::Policy, |hook| {
                            hook.after_receive(request, &exchange.answer())
                        });
                        verdict == Verdict::Policy
                            && policy.retries_status(exchange.status().as_u16(), request.idempotent)
                    }
                    // A streamed body was handed to the failed attempt: it cannot be sent again.
                    Err(SendError::NotSent(_)) => request.stream_body.is_none(),
                    Err(SendError::Sent(e)) => request.idempotent && e.is_transient(),
                };
                if !retry {
                    return outcome.map_err(SendError::into_error);
                }
                let hint = outcome.as_ref().ok().and_then(|exchange| retry_after(exchange.headers()));
                let Some(backoff) = delays.get_or_insert_with(|| policy.delays()).next() else {
                    return outcome.map_err(SendError::into_error);
                };
                // The server's Retry-After wins over our backoff; when it is longer than
                // the remaining budget we give up now instead of sleeping in vain.
                let wait = hint.unwrap_or(backoff);
                if started.elapsed() + wait > policy.max_elapsed {
                    return outcome.map_err(SendError::into_error);
                }
                let why = match &outcome {
                    Ok(exchange) => format!("HTTP {}", exchange.status().as_u16()),
                    Err(e) => e.to_string(),
                };
                tracing::debug!(attempt, wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), %why, "retrying");
                tokio::time::sleep(wait).await;
            }
        }
        .instrument(span.clone())
        .await;
        // Recording costs even on a span nobody listens to.
        if !span.is_disabled() {
            span.record("attempts", attempt);
            span.record("elapsed_ms", u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
            match &result {
                Ok(exchange) => {
                    span.record("status", exchange.status().as_u16());
                    tracing::debug!(parent: &span, status = exchange.status().as_u16(), "response");
                }
                Err(e) => tracing::debug!(parent: &span, error = %e, "request failed"),
            }
        }
        result
    }

    async fn send_following_redirects(
        &self,
        request: &Request,
        streaming: bool,
    ) -> Result<reqwest::Response, SendError> {
        let config = &self.inner.config;
        let mut url = self.url(&request.path);
        if let Some(blocking) = request.blocking {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("index", &blocking.index.unwrap_or_default().to_string());
            if let Some(wait) = blocking.wait {
                pairs.append_pair("wait", &format!("{}ms", wait.as_millis()));
            }
        }
        for (k, v) in &request.query {
            if v.is_empty() {
                let existing = url.query().map(str::to_owned);
                let q = match existing {
                    Some(q) if !q.is_empty() => format!("{q}&{}", form_encode(k)),
                    _ => form_encode(k),
                };
                url.set_query(Some(&q));
            } else {
                url.query_pairs_mut().append_pair(k, v);
            }
        }
        for _hop in 0..5 {
            let resp = self.send_once(request, url, streaming).await?;
            let status = resp.status();
            if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
                return Ok(resp);
            }
            let Some(location) = resp.headers().get(http::header::LOCATION).and_then(|l| l.to_str().ok()) else {
                return Ok(resp);
            };
            url = self.logical(resp.url());
            let origin = origin_of(&config.address);
            let target = url.join(location).map_err(|e| {
                SendError::Sent(Error::Decode {
                    method: request.method.to_string(),
                    path: request.path.clone(),
                    reason: format!("bad redirect location: {e}"),
                    excerpt: location.to_owned(),
                })
            })?;
            let allowed = match &config.redirect {
                RedirectPolicy::Never => false,
                RedirectPolicy::SameOrigin => origin_of(&target) == origin,
                RedirectPolicy::AllowHosts(hosts) => {
                    origin_of(&target) == origin || hosts.iter().any(|h| *h == host_port(&target))
                }
            };
            let keeps_method =
                matches!(status.as_u16(), 307 | 308) || request.method == Method::GET || request.method == Method::HEAD;
            // A redirect may move the request to another node (Vault's standby
            // answers with the active node's address), never to another
            // resource: a server that cleaned `a/../b` into `b` would
            // otherwise answer for a name the caller never asked for.
            let reason = if !same_resource(&target, &url) {
                Some("it points to another path, so the answer would be about a different resource")
            } else if !allowed {
                Some("not an allowed host; the token is never sent there")
            } else if !keeps_method {
                Some("it would change the request method")
            } else if target.scheme() != config.address.scheme() && target.scheme() != "https" {
                Some("it would downgrade the connection to plain http")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(SendError::Sent(Error::Redirect {
                    method: request.method.to_string(),
                    path: request.path.clone(),
                    location: redact_url(&target),
                    reason: reason.to_owned(),
                }));
            }
            url = target;
        }
        Err(SendError::Sent(Error::Redirect {
            method: request.method.to_string(),
            path: request.path.clone(),
            location: redact_url(&url),
            reason: "too many redirects".into(),
        }))
    }

    async fn send_once(&self, request: &Request, url: Url, streaming: bool) -> Result<reqwest::Response, SendError> {
        let config = &self.inner.config;
        let client = if streaming { &self.inner.streams } else { &self.inner.http };
        let wire = self.inner.sni.as_ref().and_then(|route| route.wire(&url));
        let host = wire.as_ref().map(|_| url[url::Position::BeforeHost..url::Position::AfterPort].to_owned());
        let mut builder = client.request(request.method.clone(), wire.unwrap_or(url));
        if let Some(host) = host {
            // Go's client sends the address in Host and the name only as SNI.
            builder = builder.header(http::header::HOST, host);
        }
        let own_timeout = request.own_timeout(config.timeout);
        if let (false, Some(timeout)) = (streaming, own_timeout) {
            builder = builder.timeout(timeout);
        }
        for (k, v) in &config.default_headers {
            builder = builder.header(k, v);
        }
        if let Some(token) = request.token.as_ref().or(config.token.as_ref()) {
            if !token.is_empty() {
                let mut value = http::HeaderValue::from_str(token.expose()).map_err(|_| {
                    SendError::NotSent(Error::config("token", "contains characters not allowed in an HTTP header"))
                })?;
                value.set_sensitive(true);
                builder = builder.header(config.token_header.as_str(), value);
            }
        }
        for (k, v) in &request.headers {
            builder = builder.header(k, v);
        }
        if let Some(hook) = &self.inner.hook {
            let mut headers = HeaderMap::new();
            hook.before_send(request, &mut headers);
            builder = builder.headers(headers);
        }
        if let Some(ct) = request.content_type {
            builder = builder.header(http::header::CONTENT_TYPE, ct);
        }
        if let Some(stream) = &request.stream_body {
            let Some(chunks) = stream.take() else {
                return Err(SendError::NotSent(Error::invalid(
                    "request body",
                    format!("{} {}", request.method, request.path),
                    "is a stream that was already sent once; build a new request to send it again",
                )));
            };
            builder = builder.body(reqwest::Body::wrap_stream(chunks));
        } else if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        } else if matches!(request.method, Method::PUT | Method::POST | Method::PATCH) {
            // Some servers (Patroni's http.server) need an explicit length.
            builder = builder.header(http::header::CONTENT_LENGTH, "0");
        }
        builder.send().await.map_err(|e| {
            let at = e.url().map_or_else(|| config.address.clone(), |u| self.logical(u));
            let timeout = own_timeout.unwrap_or(config.timeout);
            let err = transport_error(&request.method, &request.path, &at, &e, timeout, config);
            if e.is_connect() { SendError::NotSent(err) } else { SendError::Sent(err) }
        })
    }

    async fn read_body(
        &self,
        mut resp: reqwest::Response,
        method: &Method,
        path: &str,
        timeout: Option<Duration>,
    ) -> Result<Bytes> {
        let limit = self.inner.config.max_body_bytes;
        let too_large = || Error::BodyTooLarge { method: method.to_string(), path: path.to_owned(), limit };
        if resp.content_length().is_some_and(|len| len > limit) {
            return Err(too_large());
        }
        // A small answer usually arrives as one chunk: it is returned as is,
        // and only a second chunk starts a buffer (sized from Content-Length).
        let mut first: Option<Bytes> = None;
        let mut buf = BytesMut::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    let held = first.as_ref().map_or(0, Bytes::len) + buf.len();
                    if held as u64 + chunk.len() as u64 > limit {
                        return Err(too_large());
                    }
                    match first.take() {
                        None if buf.is_empty() => first = Some(chunk),
                        taken => {
                            if let Some(start) = taken {
                                let expected = resp.content_length().unwrap_or(0);
                                buf.reserve(usize::try_from(expected).unwrap_or(0).max(start.len() + chunk.len()));
                                buf.extend_from_slice(&start);
                            }
                            buf.extend_from_slice(&chunk);
                        }
                    }
                }
                Ok(None) => return Ok(first.unwrap_or_else(|| buf.freeze())),
                Err(e) => {
                    let timeout = timeout.unwrap_or(self.inner.config.timeout);
                    let at = self.logical(resp.url());
                    return Err(transport_error(method, path, &at, &e, timeout, &self.inner.config));
                }
            }
        }
    }
}

/// What one attempt produced: a live streaming response, or a response
/// whose body was read.
enum Exchange {
    Live(reqwest::Response),
    Read(Response),
}

impl Exchange {
    fn status(&self) -> StatusCode {
        match self {
            Self::Live(r) => r.status(),
            Self::Read(r) => r.status,
        }
    }

    fn headers(&self) -> &HeaderMap {
        match self {
            Self::Live(r) => r.headers(),
            Self::Read(r) => &r.headers,
        }
    }

    fn answer(&self) -> Answer<'_> {
        match self {
            Self::Live(r) => Answer { status: r.status(), headers: r.headers(), body: None },
            Self::Read(r) => Answer { status: r.status, headers: &r.headers, body: Some(&r.body) },
        }
    }
}

enum SendError {
    /// The connection failed: the server never saw the request.
    NotSent(Error),
    /// The request may have reached the server.
    Sent(Error),
}

impl SendError {
    fn into_error(self) -> Error {
        match self {
            Self::NotSent(e) | Self::Sent(e) => e,
        }
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotSent(e) | Self::Sent(e) => e.fmt(f),
        }
    }
}

fn transport_error(
    method: &Method,
    path: &str,
    url: &Url,
    e: &reqwest::Error,
    timeout: Duration,
    config: &ClientConfig,
) -> Error {
    if e.is_timeout() {
        return Error::Timeout { method: method.to_string(), path: path.to_owned(), timeout };
    }
    let cause = root_cause(e);
    let hint = if e.is_body() || e.is_decode() { None } else { tls_hint(url, &cause, config.env.as_ref()) };
    // Where the connection went: the socket, or the proxy in between.
    let via = match (&config.unix_socket, config.proxy.for_target(url)) {
        (Some(_), _) | (None, None) => String::new(),
        (None, Some(proxy)) => format!(" through the proxy {}", crate::proxy::redacted(&proxy)),
    };
    let host = match &config.unix_socket {
        Some(socket) => format!("unix://{}", socket.display()),
        None => host_port(url),
    };
    let reason = if let Some(hint) = hint {
        format!("{hint} ({cause})")
    } else if e.is_connect() {
        format!("connection failed{via} ({cause})")
    } else if e.is_body() || e.is_decode() {
        format!("the response body was cut off ({cause})")
    } else {
        cause
    };
    Error::Transport { method: method.to_string(), path: path.to_owned(), host, reason }
}

/// What a TLS handshake failure means, when the cause says it: an https
/// address meeting a plain-HTTP server, or a server that wants a client
/// certificate (mutual TLS) and got none or a refused one.
fn tls_hint(url: &Url, cause: &str, env: Option<&crate::EnvSpec>) -> Option<String> {
    if url.scheme() != "https" {
        return None;
    }
    let host = host_port(url);
    if let Some(hint) = crate::tls::verification_hint(&host, cause, env) {
        return Some(hint);
    }
    // rustls reads the server's plain-HTTP answer as a TLS record of an unknown type.
    let plain_http = ["InvalidContentType", "corrupt message", "wrong version number"];
    if plain_http.iter().any(|m| cause.contains(m)) {
        return Some(format!("the server at {host} does not speak TLS; is the address http://{host}?"));
    }
    let check = "check the client certificate and key (VAULT_CLIENT_CERT/VAULT_CLIENT_KEY, \
                 NOMAD_CLIENT_CERT/NOMAD_CLIENT_KEY or CONSUL_CLIENT_CERT/CONSUL_CLIENT_KEY)";
    if cause.contains("alert: CertificateRequired") || cause.contains("certificate required") {
        return Some(format!(
            "the server at {host} asked for a client certificate (mutual TLS) and refused the connection; {check}"
        ));
    }
    if cause.contains("alert: BadCertificate") || cause.contains("alert: HandshakeFailure") {
        return Some(format!(
            "the server at {host} refused the TLS handshake; if it requires a client certificate (mutual TLS), \
             {check}"
        ));
    }
    // A server that drops a TLS connection without an answer often wants a client
    // certificate and closed without sending its alert.
    // hyper says "channel closed" when a Go server (Consul, Vault) sends its
    // certificate_required alert after a TLS 1.3 handshake the client thought done.
    let closed = ["connection closed", "closed connection without sending TLS close_notify", "channel closed"];
    if closed.iter().any(|m| cause.contains(m)) {
        return Some(format!(
            "the server at {host} closed the TLS connection without answering; if it requires a client \
             certificate (mutual TLS), {check}"
        ));
    }
    None
}

/// The innermost error message (reqwest's own Display repeats the URL).
pub(crate) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// True when `a` and `b` name the same resource: equal paths and queries
/// once percent-decoded. The servers route on the decoded path, and a Go
/// server re-encodes it its own way in `Location` (`a%3Db` comes back as
/// `a=b`), so only a difference in what is decoded is another resource.
fn same_resource(a: &Url, b: &Url) -> bool {
    let decoded = |s: &str| percent_encoding::percent_decode_str(s).collect::<Vec<u8>>();
    decoded(a.path()) == decoded(b.path()) && a.query_pairs().eq(b.query_pairs())
}

fn origin_of(url: &Url) -> (String, String, Option<u16>) {
    (url.scheme().to_owned(), url.host_str().unwrap_or_default().to_owned(), url.port_or_known_default())
}

fn host_port(url: &Url) -> String {
    match url.port_or_known_default() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    }
}

fn redact_url(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    let _ = u.set_password(None);
    u.to_string()
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(address: &str, name: Option<&str>) -> ClientConfig {
        let mut config = ClientConfig::new(address, "X-Token").unwrap();
        config.proxy = crate::proxy::ProxyConfig::default();
        config.tls.server_name = name.map(str::to_owned);
        config
    }

    #[test]
    fn the_sni_route_applies_to_an_ip_address_with_a_dns_server_name_only() {
        let route = SniRoute::for_config(&config("https://10.0.0.7:4646", Some("server.global.nomad"))).unwrap();
        let url = Url::parse("https://10.0.0.7:4646/v1/jobs?namespace=a").unwrap();
        let wire = route.wire(&url).unwrap();
        assert_eq!(wire.as_str(), "https://server.global.nomad:4646/v1/jobs?namespace=a");
        assert_eq!(route.logical(&wire).unwrap(), url);
        assert_eq!(route.socket_addr().unwrap().to_string(), "10.0.0.7:4646");
        // Another host or port (a redirect to another node) keeps its own name.
        assert!(route.wire(&Url::parse("https://10.0.0.8:4646/").unwrap()).is_none());
        assert!(route.wire(&Url::parse("https://10.0.0.7:4647/").unwrap()).is_none());
        let v6 = SniRoute::for_config(&config("https://[::1]:8200", Some("vault.internal"))).unwrap();
        assert_eq!(v6.socket_addr().unwrap().to_string(), "[::1]:8200");
        // A DNS address already sends its own name; plain http has no SNI; an
        // IP as the name changes nothing on the wire.
        for (address, name) in [
            ("https://nomad.example:4646", "server.global.nomad"),
            ("http://10.0.0.7:4646", "server.global.nomad"),
            ("https://10.0.0.7:4646", "10.0.0.9"),
        ] {
            assert!(SniRoute::for_config(&config(address, Some(name))).is_none(), "{address} {name}");
        }
        assert!(SniRoute::for_config(&config("https://10.0.0.7:4646", None)).is_none());
    }

    #[test]
    fn a_proxied_address_gets_no_sni_route() {
        let mut proxied = config("https://10.0.0.7:4646", Some("server.global.nomad"));
        proxied.proxy = crate::proxy::ProxyConfig::from_lookup(&[], |name| {
            (name == "HTTPS_PROXY").then(|| "http://proxy.example:3128".to_owned())
        })
        .unwrap();
        assert!(SniRoute::for_config(&proxied).is_none());
    }
}
