//! [`VaultClient`]: configuration, Vault's part of the request pipeline (its
//! retry statuses, the hook in `hook.rs`, error mapping) and the generic
//! logical `read`/`write`/`list`/`delete`.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use client_core::path::{PathBuf, validate_path};
use client_core::ratelimit::RateLimit;
use client_core::{
    BodyInErrors, ClientConfig, EnvSpec, EnvVar, HttpClient, Method, RedirectPolicy, Request, Response, RetryPolicy,
    Secret,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::hook::{VaultHook, is_sealed};
use crate::response::VaultResponse;

/// The environment variables the `vault` CLI reads (the token file
/// `~/.vault-token` is handled by [`VaultClientBuilder::from_env`]).
pub const ENV_SPEC: EnvSpec = EnvSpec {
    addr: "VAULT_ADDR",
    default_addr: "https://127.0.0.1:8200",
    token: "VAULT_TOKEN",
    token_file: None,
    cacert: "VAULT_CACERT",
    client_cert: "VAULT_CLIENT_CERT",
    client_key: "VAULT_CLIENT_KEY",
    skip_verify: Some("VAULT_SKIP_VERIFY"),
    ssl_verify: None,
    use_tls: None,
    token_header: TOKEN_HEADER,
    capath: Some("VAULT_CAPATH"),
    cacert_bytes: Some("VAULT_CACERT_BYTES"),
    tls_server_name: Some("VAULT_TLS_SERVER_NAME"),
    http_auth: None,
    proxy: &["VAULT_PROXY_ADDR", "VAULT_HTTP_PROXY"],
    agent_addr: Some("VAULT_AGENT_ADDR"),
};

/// Every variable of the `vault` CLI's documented list, and what the SDK
/// does with it (plus [`client_core::config::COMMON_ENV_VARS`]). Each
/// `VAULT_*` one falls back to OpenBao's `BAO_*` twin when unset (`VAULT_*`
/// wins). Precedence, for each setting: the builder > the variable > a file
/// (`~/.vault-token`) > the default.
pub const ENV_VARS: &[EnvVar] = &[
    EnvVar::read(
        "VAULT_ADDR",
        "address: http(s)://host:port (scheme required) or unix:///path; default https://127.0.0.1:8200",
    ),
    EnvVar::read("VAULT_AGENT_ADDR", "a Vault agent's address, winning over VAULT_ADDR"),
    EnvVar::read("VAULT_TOKEN", "token (X-Vault-Token); else ~/.vault-token"),
    EnvVar::read("VAULT_NAMESPACE", "Enterprise namespace (X-Vault-Namespace)"),
    EnvVar::read("VAULT_CACERT", "CA file trusted besides the system store"),
    EnvVar::read("VAULT_CACERT_BYTES", "CA certificates as PEM text, trusted besides the system store"),
    EnvVar::read("VAULT_CAPATH", "directory of CA files trusted besides the system store"),
    EnvVar::read("VAULT_CLIENT_CERT", "client certificate for mutual TLS"),
    EnvVar::read("VAULT_CLIENT_KEY", "client key for mutual TLS"),
    EnvVar::read("VAULT_TLS_SERVER_NAME", "name the server certificate is verified against"),
    EnvVar::read("VAULT_SKIP_VERIFY", "true disables certificate verification"),
    EnvVar::read("VAULT_CLIENT_TIMEOUT", "per-request timeout: seconds or a duration (1m30s)"),
    EnvVar::read(
        "VAULT_MAX_RETRIES",
        "retries of 412 always, of 429/500/502-504/transport failures if idempotent (never a sealed 503); 0: none",
    ),
    EnvVar::read("VAULT_RATE_LIMIT", "rate[:burst] requests a second; every attempt, a retry too, waits for its turn"),
    EnvVar::read("VAULT_WRAP_TTL", "response-wraps every answer with this TTL"),
    EnvVar::read("VAULT_DISABLE_REDIRECTS", "true: a redirect (a standby's 307) is an error, never followed"),
    EnvVar::read("VAULT_PROXY_ADDR", "proxy for every request, NO_PROXY aside (wins over VAULT_HTTP_PROXY)"),
    EnvVar::read("VAULT_HTTP_PROXY", "older name of VAULT_PROXY_ADDR"),
    EnvVar::not_supported(
        "VAULT_SRV_LOOKUP",
        "DNS SRV discovery is not implemented: true is refused with an error saying to set VAULT_ADDR",
    ),
    EnvVar::not_supported("VAULT_MFA", "CLI login prompts only; pass MFA credentials to the auth call"),
    EnvVar::not_supported("VAULT_FORMAT", "CLI output only; the SDK returns typed values"),
    EnvVar::not_supported("VAULT_CLI_NO_COLOR", "CLI output only; the SDK prints nothing"),
    EnvVar::not_supported("VAULT_LOG_LEVEL", "server and agent logging; the SDK logs through tracing"),
    EnvVar::not_supported("VAULT_LICENSE", "an Enterprise server setting; the API client sends no license"),
    EnvVar::not_supported("VAULT_LICENSE_PATH", "an Enterprise server setting; the API client sends no license"),
    EnvVar::not_supported("VAULT_CLUSTER_ADDR", "a server setting (its cluster address), not read by API clients"),
    EnvVar::not_supported("VAULT_REDIRECT_ADDR", "a server setting (its advertised address), not read by API clients"),
];

const TOKEN_HEADER: &str = "X-Vault-Token";
const KV2_PATH_WARNING: &str = "Invalid path for a versioned K/V secrets engine";

/// The statuses Vault's pipeline retries for an idempotent request (a read,
/// a PUT or DELETE): 429 and 500 besides the default 502, 503 and 504, as the
/// Go client does. A sealed Vault's 503 is never retried (the hook makes it final).
pub const RETRY_STATUSES: &[u16] = &[429, 500, 502, 503, 504];

/// The statuses retried for every request, a write too: 412, the index the
/// request carries (`X-Vault-Index`) is not replicated to this node yet, so
/// the request was not applied.
pub const UNAPPLIED_STATUSES: &[u16] = &[412];

/// `retry` with Vault's statuses: its count, delays and time budget are
/// kept, the statuses are always [`RETRY_STATUSES`] and [`UNAPPLIED_STATUSES`].
fn vault_retry(retry: RetryPolicy) -> RetryPolicy {
    retry.with_statuses(RETRY_STATUSES).with_unapplied_statuses(UNAPPLIED_STATUSES)
}

/// Every error status: accepted so that Vault maps its own error bodies
/// (all of its messages, secrets redacted). Accepting a status does not stop
/// client-core retrying it first.
static ERROR_STATUSES: LazyLock<Vec<u16>> = LazyLock::new(|| (400..600).collect());

/// Builds a [`VaultClient`]: start from [`VaultClient::builder`] (the default
/// address `https://127.0.0.1:8200`, no token), from the environment
/// ([`VaultClientBuilder::from_env`]) or from a prepared [`ClientConfig`]
/// ([`VaultClientBuilder::config`]). Each call replaces what an earlier one
/// (or the environment) set; the first bad argument is reported by
/// [`VaultClientBuilder::build`].
///
/// ```
/// use vault_client::VaultClient;
/// let vault = VaultClient::builder()
///     .address("https://vault-1.example:8200")
///     .token("s.example")
///     .namespace("ops")
///     .cluster_nodes(["vault-2.example:8200", "vault-3.example:8200"])
///     .build()
///     .unwrap();
/// assert_eq!(vault.namespace(), Some("ops"));
/// assert!(VaultClient::builder().address("vault-1.example:8200").build().is_err()); // no scheme
/// ```
#[derive(Debug)]
pub struct VaultClientBuilder {
    config: ClientConfig,
    hook: VaultHook,
    cluster_nodes: Vec<String>,
    read_your_writes: bool,
    disable_redirects: bool,
    /// The first bad argument, reported by `build`.
    error: Option<client_core::Error>,
}

impl Default for VaultClientBuilder {
    fn default() -> Self {
        let mut config = ClientConfig::new(ENV_SPEC.default_addr, TOKEN_HEADER).expect("the default address is valid");
        config.env = Some(ENV_SPEC);
        Self {
            config,
            hook: VaultHook::default(),
            cluster_nodes: Vec::new(),
            read_your_writes: false,
            disable_redirects: false,
            error: None,
        }
    }
}

impl VaultClientBuilder {
    /// A builder for the default address `https://127.0.0.1:8200`, without
    /// token or namespace.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts from the environment, read like the `vault` CLI reads it: every
    /// variable in [`ENV_VARS`]. An OpenBao `BAO_*` variable is read when its
    /// `VAULT_*` twin is unset (`VAULT_*` wins); the token falls back to
    /// `~/.vault-token`. Builder calls made afterwards win over a variable.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`VaultClientBuilder::from_env`], reading variables through `lookup`
    /// (`HOME` included), so it can be tested without touching the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        // OpenBao's CLI reads BAO_*; the VAULT_* name wins when both are set.
        let lookup = |name: &str| {
            lookup(name).filter(|v| !v.trim().is_empty()).or_else(|| {
                let rest = name.strip_prefix("VAULT_")?;
                lookup(&format!("BAO_{rest}")).filter(|v| !v.trim().is_empty())
            })
        };
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned());
        let mut config = ClientConfig::from_lookup(&ENV_SPEC, lookup)?;
        if config.token.is_none() {
            if let Some(home) = get("HOME") {
                let file = std::path::Path::new(&home).join(".vault-token");
                if file.is_file() {
                    config.token = Some(client_core::config::read_token_file("~/.vault-token", &file)?);
                }
            }
        }
        if let Some(v) = get("VAULT_SRV_LOOKUP") {
            if client_core::config::parse_bool("VAULT_SRV_LOOKUP", &v)? {
                return Err(client_core::Error::config(
                    "VAULT_SRV_LOOKUP",
                    "is not supported: the SDK does not look the Vault address up in DNS SRV records; \
                     set VAULT_ADDR to a Vault node's (or its load balancer's) address instead",
                )
                .into());
            }
        }
        if let Some(v) = get("VAULT_CLIENT_TIMEOUT") {
            config.timeout = client_core::config::parse_duration_seconds("VAULT_CLIENT_TIMEOUT", &v)?;
        }
        if let Some(v) = get("VAULT_MAX_RETRIES") {
            let n = v.parse::<u32>().map_err(|_| {
                client_core::Error::config("VAULT_MAX_RETRIES", format!("{v:?} is not a whole number of retries"))
            })?;
            config.retry = config.retry.with_max_retries(n);
        }
        if let Some(v) = get("VAULT_RATE_LIMIT") {
            config = config.with_rate_limit(RateLimit::parse("VAULT_RATE_LIMIT", &v)?);
        }
        let mut builder = Self::new().config(config);
        if let Some(ns) = get("VAULT_NAMESPACE") {
            builder.hook = builder.hook.with_namespace(&ns)?;
        }
        if let Some(v) = get("VAULT_WRAP_TTL") {
            let ttl = client_core::config::parse_duration_seconds("VAULT_WRAP_TTL", &v)?;
            builder.hook = builder.hook.with_wrap_ttl(ttl)?;
        }
        if let Some(v) = get("VAULT_DISABLE_REDIRECTS") {
            builder.disable_redirects = client_core::config::parse_bool("VAULT_DISABLE_REDIRECTS", &v)?;
        }
        Ok(builder)
    }

    /// Talks to `address`: `http(s)://host:port` or `unix:///path/to/socket`
    /// (a Vault agent's socket). Like the `vault` CLI, an address without a
    /// scheme (`127.0.0.1:8200`) is refused rather than silently sent over
    /// plain HTTP.
    #[must_use]
    pub fn address(mut self, address: &str) -> Self {
        match client_core::config::parse_address_or_socket("Vault address", address) {
            Ok((url, socket)) => (self.config.address, self.config.unix_socket) = (url, socket),
            Err(e) => self.fail(e),
        }
        self
    }

    client_core::builder_setters!(token timeout retry);

    /// Sends every request in this Vault Enterprise namespace
    /// (`X-Vault-Namespace`), checked like a path; outer `/` are trimmed.
    #[must_use]
    pub fn namespace(mut self, namespace: &str) -> Self {
        match self.hook.with_namespace(namespace) {
            Ok(hook) => self.hook = hook,
            Err(e) => self.fail(e),
        }
        self
    }

    /// Replaces the whole connection configuration (address, token, TLS,
    /// timeouts, retries, rate limit) with `config`; namespace, wrap TTL,
    /// cluster nodes, read-your-writes and redirects stay. The token always
    /// travels in `X-Vault-Token`, whatever header `config` names.
    #[must_use]
    pub fn config(mut self, mut config: ClientConfig) -> Self {
        config.token_header = TOKEN_HEADER.to_owned();
        config.env.get_or_insert(ENV_SPEC);
        self.config = config;
        self
    }

    /// Response-wraps every answer for `ttl`, at least one second
    /// (`VAULT_WRAP_TTL`); see [`VaultClient::with_wrap_ttl`].
    #[must_use]
    pub fn wrap_ttl(mut self, ttl: Duration) -> Self {
        match self.hook.with_wrap_ttl(ttl) {
            Ok(hook) => self.hook = hook,
            Err(e) => self.fail(e),
        }
        self
    }

    /// At most `rate` requests a second, bursts of `burst` (`VAULT_RATE_LIMIT`):
    /// every attempt, a retry too, waits for its turn. Shared by every copy
    /// of the client.
    #[must_use]
    pub fn rate_limit(mut self, rate: f64, burst: u32) -> Self {
        match RateLimit::new(rate, burst) {
            Ok(limit) => self.config = self.config.with_rate_limit(limit),
            Err(e) => self.fail(e),
        }
        self
    }

    /// Lists the other nodes of this Vault cluster (`host:port` or URLs). A
    /// standby's 307 redirect to the active node is followed only to these
    /// hosts (and the configured one); the token is never sent anywhere else.
    #[must_use]
    pub fn cluster_nodes<I, S>(mut self, nodes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for node in nodes {
            let node = node.as_ref();
            let url = match client_core::config::parse_address("cluster node", node, true) {
                Ok(url) => url,
                Err(e) => {
                    self.fail(e);
                    continue;
                }
            };
            let host = url.host_str().unwrap_or_default();
            // A bare host means Vault's default port, not 443.
            let port = match url.port() {
                Some(p) => p,
                None if !node.contains("://") => 8200,
                None => url.port_or_known_default().unwrap_or(8200),
            };
            self.cluster_nodes.push(format!("{host}:{port}"));
        }
        self
    }

    /// Read-your-writes across performance standbys (Vault Enterprise): the
    /// last `X-Vault-Index` seen is sent with every attempt (a retry carries
    /// the newest one), and a 412 answer ("not caught up yet") is retried.
    #[must_use]
    pub fn read_your_writes(mut self, on: bool) -> Self {
        self.read_your_writes = on;
        self
    }

    /// Never follows a redirect, not even a standby's to the active node
    /// (`VAULT_DISABLE_REDIRECTS`): the 307 is returned as an error.
    #[must_use]
    pub fn disable_redirects(mut self, disable: bool) -> Self {
        self.disable_redirects = disable;
        self
    }

    /// The client, or the first bad setting: an address without a scheme,
    /// a namespace that is not a path, a wrap TTL under a second, a rate
    /// that is not positive, a cluster node that is not an address.
    pub fn build(mut self) -> Result<VaultClient> {
        if let Some(e) = self.error {
            return Err(e.into());
        }
        if self.disable_redirects {
            self.config.redirect = RedirectPolicy::Never;
        } else if !self.cluster_nodes.is_empty() {
            self.config.redirect = RedirectPolicy::AllowHosts(self.cluster_nodes);
        }
        self.config.retry = vault_retry(self.config.retry);
        self.config.body_in_errors = BodyInErrors::Hidden;
        let hook = Arc::new(self.hook.with_read_your_writes(self.read_your_writes));
        Ok(VaultClient::with_http(&HttpClient::new(self.config)?, hook))
    }

    fn fail(&mut self, e: client_core::Error) {
        self.error.get_or_insert(e);
    }
}

/// A Vault client. Cheap to clone: clones share one connection pool.
///
/// `Debug` never shows the token.
#[derive(Clone)]
pub struct VaultClient {
    /// Runs `hook` on every attempt.
    http: HttpClient,
    hook: Arc<VaultHook>,
}

impl std::fmt::Debug for VaultClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let config = self.http.config();
        f.debug_struct("VaultClient")
            .field("address", &config.address.as_str())
            .field("token", &config.token)
            .field("namespace", &self.hook.namespace())
            .field("wrap_ttl", &self.hook.wrap_ttl())
            .field("redirect", &config.redirect)
            .finish_non_exhaustive()
    }
}

impl VaultClient {
    /// A client for `config`, without namespace or wrapping. The token always
    /// travels in `X-Vault-Token`, whatever header `config` names; the
    /// statuses retried are Vault's ([`VaultClientBuilder::retry`]).
    pub fn new(config: ClientConfig) -> Result<Self> {
        VaultClientBuilder::new().config(config).build()
    }

    /// A client configured from the environment like the `vault` CLI
    /// (see [`VaultClientBuilder::from_env`]).
    pub fn from_env() -> Result<Self> {
        VaultClientBuilder::from_env()?.build()
    }

    /// Like [`VaultClient::from_env`], reading variables through `lookup`
    /// (see [`VaultClientBuilder::from_lookup`]).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        VaultClientBuilder::from_lookup(lookup)?.build()
    }

    /// A builder starting from the default address `https://127.0.0.1:8200`;
    /// see [`VaultClientBuilder`].
    #[must_use]
    pub fn builder() -> VaultClientBuilder {
        VaultClientBuilder::new()
    }

    /// A client on a copy of `http` running `hook` (same pool), keeping the hook
    /// at hand for the namespace and wrap TTL it sends.
    fn with_http(http: &HttpClient, hook: Arc<VaultHook>) -> Self {
        Self { http: http.with_hook(hook.clone()), hook }
    }

    /// A copy of this client running `hook` instead (same pool).
    fn with_vault_hook(&self, hook: VaultHook) -> Self {
        Self::with_http(&self.http, Arc::new(hook))
    }

    /// A copy of this client that sends `token` (same pool, address and options).
    #[must_use]
    pub fn with_token(&self, token: impl Into<Secret>) -> Self {
        Self { http: self.http.with_token(token.into()), hook: self.hook.clone() }
    }

    /// A copy of this client working in another namespace (same pool).
    pub fn with_namespace(&self, namespace: &str) -> Result<Self> {
        Ok(self.with_vault_hook(self.hook.with_namespace(namespace)?))
    }

    /// A copy of this client whose answers are response-wrapped
    /// (`X-Vault-Wrap-TTL`): the data stays in Vault and the answer's
    /// `wrap_info` holds a single-use token to unwrap it within `ttl`.
    pub fn with_wrap_ttl(&self, ttl: Duration) -> Result<Self> {
        Ok(self.with_vault_hook(self.hook.with_wrap_ttl(ttl)?))
    }

    /// A copy of this client with its own connection pool, for use on
    /// another async runtime (e.g. revoking leases from a `Drop`, where the
    /// original runtime may be busy or shutting down).
    pub fn detached(&self) -> Result<Self> {
        Ok(Self::with_http(&HttpClient::new(self.http.config().clone())?, self.hook.clone()))
    }

    /// A copy of this client without response wrapping (same pool).
    #[must_use]
    pub fn without_wrapping(&self) -> Self {
        match self.hook.wrap_ttl() {
            None => self.clone(),
            Some(_) => self.with_vault_hook(self.hook.without_wrap_ttl()),
        }
    }

    /// The configured address.
    #[must_use]
    pub fn address(&self) -> &client_core::Url {
        &self.http.config().address
    }

    /// The whole connection configuration (timeouts, retries, TLS, proxies).
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        self.http.config()
    }

    /// The namespace sent with every request, if any.
    #[must_use]
    pub fn namespace(&self) -> Option<&str> {
        self.hook.namespace()
    }

    /// The token this client sends (redacted in `Debug`/`Display`).
    #[must_use]
    pub fn token(&self) -> Option<&Secret> {
        self.http.config().token.as_ref()
    }

    /// Reads a logical path. `Ok(None)` when nothing is there (a 404 without message).
    pub async fn read<T: DeserializeOwned>(&self, path: &str) -> Result<Option<VaultResponse<T>>> {
        let req = self.request(Method::GET, "Vault path", path)?;
        missing_as_none(self.send_envelope(req, path, &[]).await)
    }

    /// Writes `body` to a logical path. `Ok(None)` when Vault answers 204 (no content).
    pub async fn write<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<Option<VaultResponse<serde_json::Value>>> {
        let req = self.request(Method::POST, "Vault path", path)?.json(body)?;
        self.send_envelope(req, path, &[]).await
    }

    /// Lists the keys under a logical path (a trailing `/` marks a folder).
    /// An empty list when nothing is there.
    pub async fn list(&self, path: &str) -> Result<Vec<String>> {
        let path = list_path(path)?;
        let req = self.request(Method::GET, LIST_PREFIX, path)?.query("list", "true");
        Ok(missing_as_none(self.send_json::<Keys>(req, path, &[]).await)?
            .and_then(|r| r.data)
            .map(|k| k.keys)
            .unwrap_or_default())
    }

    /// Deletes a logical path.
    pub async fn delete(&self, path: &str) -> Result<()> {
        let req = self.request(Method::DELETE, "Vault path", path)?;
        self.send(req, path, &[]).await.map(drop)
    }

    /// A request to `/v1/<path>` after checking `path` (no leading `/`, no
    /// empty, `.` or `..` segment, no control character).
    pub(crate) fn request(&self, method: Method, what: &str, path: &str) -> Result<Request> {
        validate_path(what, path, false)?;
        Ok(Request::new(method, PathBuf::new("/v1").key(what, path)?))
    }

    /// Sends and decodes the standard envelope; `None` for an empty (204)
    /// answer. A response-wrapped answer is returned as it is (its
    /// `wrap_info` set, its `data` empty).
    pub(crate) async fn send_envelope<T: DeserializeOwned>(
        &self,
        req: Request,
        path: &str,
        secrets: &[&Secret],
    ) -> Result<Option<VaultResponse<T>>> {
        let resp = self.send(req, path, secrets).await?;
        if resp.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        Ok(Some(decode(&resp)?))
    }

    /// [`VaultClient::send_envelope`] for calls that need the answer's
    /// content: a response-wrapped answer is [`Error::Wrapped`], which
    /// hands the wrapping token to the caller instead of dropping it.
    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        req: Request,
        path: &str,
        secrets: &[&Secret],
    ) -> Result<Option<VaultResponse<T>>> {
        let method = req.method().to_string();
        match self.send_envelope::<T>(req, path, secrets).await? {
            Some(VaultResponse { wrap_info: Some(wrap_info), .. }) => {
                Err(Error::Wrapped { method, path: path.to_owned(), wrap_info: Box::new(wrap_info) })
            }
            other => Ok(other),
        }
    }

    /// Sends and decodes the envelope, insisting on its `data`.
    pub(crate) async fn send_data<T: DeserializeOwned>(
        &self,
        req: Request,
        path: &str,
        secrets: &[&Secret],
    ) -> Result<T> {
        let method = req.method().to_string();
        self.send_json::<T>(req, path, secrets).await?.and_then(|r| r.data).ok_or_else(|| Error::UnexpectedResponse {
            method,
            path: path.to_owned(),
            reason: "the answer has no data".into(),
        })
    }

    /// The pipeline: client-core's one loop with Vault's hook (namespace,
    /// wrapping and consistency headers on every attempt, a sealed 503
    /// final) and Vault's retry statuses (412 for every request; 429, 500,
    /// 502, 503, 504 and transport failures for idempotent ones). Error
    /// answers become [`Error`]s with every message, `secrets` and the
    /// token redacted.
    pub(crate) async fn send(&self, req: Request, path: &str, secrets: &[&Secret]) -> Result<Response> {
        self.send_accepting(req, path, secrets, &[]).await
    }

    /// [`VaultClient::send`] for endpoints whose non-2xx statuses carry an
    /// answer (`sys/health`): those in `accept` are returned, not turned
    /// into errors, and never retried (the request is not idempotent for the
    /// pipeline).
    pub(crate) async fn send_raw_accepting(&self, req: Request, path: &str, accept: &[u16]) -> Result<Response> {
        self.send_accepting(req.idempotent(false), path, &[], accept).await
    }

    pub(crate) async fn send_accepting(
        &self,
        req: Request,
        path: &str,
        secrets: &[&Secret],
        accept: &[u16],
    ) -> Result<Response> {
        let method = req.method().to_string();
        let resp = self.http.send(req.accept_status(&ERROR_STATUSES)).await?;
        let status = resp.status.as_u16();
        if resp.is_success() || accept.contains(&status) {
            return Ok(resp);
        }
        let mut all: Vec<&Secret> = secrets.to_vec();
        all.extend(self.token());
        let err = map_error(&resp, &method, path, &all);
        if is_sealed(status, &resp.body) && path != SEAL_STATUS && !self.is_initialized().await.unwrap_or(true) {
            return Err(Error::Uninitialized { method, path: path.to_owned() });
        }
        Err(err)
    }

    /// Sends `req` for an answer read as it arrives (a raft snapshot): a
    /// 2xx answer is returned live; any other is read (its first 64 KiB)
    /// and mapped like every Vault error, the token redacted.
    pub(crate) async fn stream(&self, req: Request, path: &str) -> Result<client_core::Streaming> {
        const ERROR_BODY_LIMIT: usize = 64 * 1024;
        let method = req.method().to_string();
        let live = self.http.stream(req.accept_status(&ERROR_STATUSES)).await?;
        if live.status().is_success() {
            return Ok(live);
        }
        let status = live.status().as_u16();
        let mut body = Vec::new();
        let mut chunks = live.bytes();
        while let Some(chunk) = futures::StreamExt::next(&mut chunks).await {
            body.extend_from_slice(&chunk?);
            if body.len() >= ERROR_BODY_LIMIT {
                break;
            }
        }
        let secrets: Vec<&Secret> = self.token().into_iter().collect();
        Err(map_status_error(status, &body, &method, path, &secrets))
    }

    /// Whether Vault is initialised (`sys/seal-status`, which answers even
    /// on an uninitialised server). Only asked after a sealed answer.
    async fn is_initialized(&self) -> Result<bool> {
        #[derive(serde::Deserialize)]
        struct Init {
            initialized: bool,
        }
        let req = self.request(Method::GET, "Vault path", SEAL_STATUS)?.idempotent(false);
        let resp = self.http.send(req).await?;
        Ok(decode::<Init>(&resp)?.initialized)
    }
}

const SEAL_STATUS: &str = "sys/seal-status";

/// Decodes a Vault answer with client-core's decode path; the client's
/// [`BodyInErrors::Hidden`] keeps every value of the body out of the error:
/// Vault answers carry secrets.
pub(crate) fn decode<T: DeserializeOwned>(resp: &Response) -> Result<T> {
    Ok(resp.json()?)
}

#[derive(serde::Deserialize)]
struct Keys {
    keys: Vec<String>,
}

/// What a list's path is called in its errors: a prefix, not a secret's path.
const LIST_PREFIX: &str = "Vault list prefix";

/// Checks a list prefix (a trailing `/` is allowed) and strips the trailing `/`.
pub(crate) fn list_path(path: &str) -> Result<&str> {
    validate_path(LIST_PREFIX, path, true)?;
    Ok(path.strip_suffix('/').unwrap_or(path))
}

/// Turns "nothing here" (404 without message) into `None`.
pub(crate) fn missing_as_none<T>(result: Result<Option<T>>) -> Result<Option<T>> {
    match result {
        Err(Error::Api { status: 404, errors, .. }) if errors.is_empty() => Ok(None),
        other => other,
    }
}

#[derive(serde::Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<String>,
    #[serde(default)]
    warnings: Option<Vec<String>>,
}

pub(crate) fn map_error(resp: &Response, method: &str, path: &str, secrets: &[&Secret]) -> Error {
    map_status_error(resp.status.as_u16(), &resp.body, method, path, secrets)
}

/// [`map_error`] from a status and the start of a body (a streamed answer's).
fn map_status_error(status: u16, raw: &[u8], method: &str, path: &str, secrets: &[&Secret]) -> Error {
    let body: ErrorBody = match serde_json::from_slice(raw) {
        Ok(b) => b,
        Err(_) => {
            let text = String::from_utf8_lossy(&raw[..raw.len().min(512)]).trim().to_owned();
            ErrorBody { errors: if text.is_empty() { vec![] } else { vec![text] }, warnings: None }
        }
    };
    let method = method.to_owned();
    let path = path.to_owned();
    if body.warnings.iter().flatten().any(|w| w.contains(KV2_PATH_WARNING)) {
        return Error::WrongKvVersion {
            path,
            detail: "this mount is a KV version 2 engine and cannot be used with the KV version 1 API; \
                     use vault.kv2(mount) or vault.kv(mount)"
                .into(),
        };
    }
    let errors: Vec<String> = body.errors.iter().map(|e| client_core::secret::redact(e, secrets)).collect();
    match status {
        403 => Error::PermissionDenied { method, path, errors },
        503 if errors.iter().any(|e| e.contains("Vault is sealed")) => Error::Sealed { method, path, errors },
        429 => Error::RateLimited { method, path, errors },
        _ => Error::Api { status, method, path, errors },
    }
}
