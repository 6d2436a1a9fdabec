//! The client value: configuration, defaults and the request helpers the handlers share.

use std::sync::Arc;

use client_core::{ClientConfig, EnvSpec, EnvVar, HttpClient, QueryMeta, Request, Secret, WatchOptions, WithMeta};
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

/// How the `nomad` CLI reads its environment.
pub const ENV_SPEC: EnvSpec = EnvSpec {
    addr: "NOMAD_ADDR",
    default_addr: "http://127.0.0.1:4646",
    token: "NOMAD_TOKEN",
    token_file: None,
    cacert: "NOMAD_CACERT",
    client_cert: "NOMAD_CLIENT_CERT",
    client_key: "NOMAD_CLIENT_KEY",
    skip_verify: Some("NOMAD_SKIP_VERIFY"),
    ssl_verify: None,
    use_tls: None,
    token_header: TOKEN_HEADER,
    capath: Some("NOMAD_CAPATH"),
    cacert_bytes: None,
    tls_server_name: Some("NOMAD_TLS_SERVER_NAME"),
    http_auth: Some("NOMAD_HTTP_AUTH"),
    proxy: &[],
    agent_addr: None,
};

/// Every variable of the `nomad` CLI's documented list, and what the SDK
/// does with it (plus [`client_core::config::COMMON_ENV_VARS`]). Precedence,
/// for each setting: the builder ([`NomadClientBuilder`]) > the variable >
/// a file it names > the default.
pub const ENV_VARS: &[EnvVar] = &[
    EnvVar::read(
        "NOMAD_ADDR",
        "address: http(s)://host:port (scheme required) or unix:///path; default http://127.0.0.1:4646",
    ),
    EnvVar::read("NOMAD_TOKEN", "ACL token (X-Nomad-Token)"),
    EnvVar::read("NOMAD_REGION", "default region of calls that name none"),
    EnvVar::read("NOMAD_NAMESPACE", "default namespace of calls that name none"),
    EnvVar::read("NOMAD_HTTP_AUTH", "HTTP basic auth user:password (password redacted)"),
    EnvVar::read("NOMAD_CACERT", "CA file trusted besides the system store"),
    EnvVar::read("NOMAD_CAPATH", "directory of CA files trusted besides the system store"),
    EnvVar::read("NOMAD_CLIENT_CERT", "client certificate for mutual TLS"),
    EnvVar::read("NOMAD_CLIENT_KEY", "client key for mutual TLS"),
    EnvVar::read("NOMAD_TLS_SERVER_NAME", "name the server certificate is verified against (server.<region>.nomad)"),
    EnvVar::read("NOMAD_SKIP_VERIFY", "true disables certificate verification"),
    EnvVar::not_supported("NOMAD_LICENSE", "an Enterprise server setting; the API client sends no license"),
    EnvVar::not_supported("NOMAD_LICENSE_PATH", "an Enterprise server setting; the API client sends no license"),
    EnvVar::not_supported("NOMAD_CLI_NO_COLOR", "CLI output only; the SDK prints nothing"),
    EnvVar::not_supported("NOMAD_CLI_SHOW_HINTS", "CLI output only; the SDK prints nothing"),
];

/// Header carrying the ACL token.
pub const TOKEN_HEADER: &str = "X-Nomad-Token";

#[derive(Debug)]
struct Defaults {
    namespace: Option<String>,
    region: Option<String>,
}

/// Builds a [`NomadClient`]: start from [`NomadClient::builder`] (the
/// default address `http://127.0.0.1:4646`, no token), from the environment
/// ([`NomadClientBuilder::from_env`]) or from a prepared [`ClientConfig`]
/// ([`NomadClientBuilder::config`]). Each call replaces what an earlier one
/// (or the environment) set; bad input is reported by [`NomadClientBuilder::build`].
///
/// ```
/// use std::time::Duration;
/// use nomad_client::NomadClient;
/// let nomad = NomadClient::builder()
///     .address("http://nomad.service.consul:4646")
///     .namespace("atala-testnet")
///     .timeout(Duration::from_secs(10))
///     .build()
///     .unwrap();
/// assert_eq!(nomad.namespace(), Some("atala-testnet"));
/// assert!(NomadClient::builder().address("nomad:4646").build().is_err()); // no scheme
/// ```
#[derive(Debug)]
pub struct NomadClientBuilder {
    config: ClientConfig,
    namespace: Option<String>,
    region: Option<String>,
    /// The first bad argument, reported by `build`.
    error: Option<client_core::Error>,
}

impl Default for NomadClientBuilder {
    fn default() -> Self {
        let config = ClientConfig::new(ENV_SPEC.default_addr, TOKEN_HEADER).expect("the default address is valid");
        Self { config, namespace: None, region: None, error: None }
    }
}

impl NomadClientBuilder {
    /// A builder for the default address `http://127.0.0.1:4646`, without token,
    /// namespace or region.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts from the environment, read like the `nomad` CLI reads it: every
    /// variable in [`ENV_VARS`] (`NOMAD_ADDR`, `NOMAD_TOKEN`, `NOMAD_NAMESPACE`,
    /// `NOMAD_REGION`, TLS, `NOMAD_HTTP_AUTH`, proxies). Builder calls made
    /// afterwards win over a variable, a variable over the default.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`NomadClientBuilder::from_env`], reading variables through `lookup`
    /// (testable without touching the process environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let config = ClientConfig::from_lookup(&ENV_SPEC, &lookup)?;
        let mut builder = Self { config, ..Self::default() };
        for (var, slot) in [("NOMAD_NAMESPACE", &mut builder.namespace), ("NOMAD_REGION", &mut builder.region)] {
            if let Some(value) = get(var) {
                validate::name(var, &value)?;
                *slot = Some(value);
            }
        }
        Ok(builder)
    }

    /// Talks to `address`: `http(s)://host:port` (the scheme is required, as
    /// for `NOMAD_ADDR`) or `unix:///path/to/socket`.
    #[must_use]
    pub fn address(mut self, address: &str) -> Self {
        match client_core::config::parse_address_or_socket("address", address) {
            Ok((url, socket)) => (self.config.address, self.config.unix_socket) = (url, socket),
            Err(e) => self.fail(e),
        }
        self
    }

    client_core::builder_setters!(token timeout retry);

    /// The default namespace of calls that name none (`NOMAD_NAMESPACE`).
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// The default region of calls that name none (`NOMAD_REGION`).
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Replaces the whole connection configuration (address, token, TLS,
    /// timeouts, retries...) with `config`; namespace and region stay. The token
    /// always travels in [`TOKEN_HEADER`], whatever header `config` names.
    #[must_use]
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// The client, or the first bad setting: an address without scheme, a
    /// namespace or region that is empty or holds control characters.
    pub fn build(self) -> Result<NomadClient> {
        if let Some(e) = self.error {
            return Err(e.into());
        }
        for (what, value) in [("namespace", &self.namespace), ("region", &self.region)] {
            value.as_deref().map_or(Ok(()), |v| validate::name(what, v))?;
        }
        let mut config = self.config;
        config.token_header = TOKEN_HEADER.to_owned();
        config.env.get_or_insert(ENV_SPEC);
        let defaults = Defaults { namespace: self.namespace, region: self.region };
        Ok(NomadClient { http: HttpClient::new(config)?, defaults: Arc::new(defaults) })
    }

    fn fail(&mut self, e: client_core::Error) {
        self.error.get_or_insert(e);
    }
}

/// A Nomad API client. Cheap to clone: clones share the connection pool.
///
/// ```no_run
/// # async fn demo() -> nomad_client::Result<()> {
/// use nomad_client::{NomadClient, QueryOptions};
/// let nomad = NomadClient::from_env()?;
/// for job in nomad.jobs().list(&QueryOptions::new().namespace("atala-testnet")).await?.value {
///     println!("{} {}", job.id, job.status);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct NomadClient {
    http: HttpClient,
    defaults: Arc<Defaults>,
}

impl NomadClient {
    /// A client for `config`, without default namespace or region. The token
    /// always travels in [`TOKEN_HEADER`], whatever header `config` names.
    pub fn new(config: ClientConfig) -> Result<Self> {
        NomadClientBuilder::new().config(config).build()
    }

    /// A builder starting from the default address `http://127.0.0.1:4646`;
    /// see [`NomadClientBuilder`].
    #[must_use]
    pub fn builder() -> NomadClientBuilder {
        NomadClientBuilder::new()
    }

    /// Reads the environment like the `nomad` CLI: `NOMAD_ADDR`, `NOMAD_TOKEN`,
    /// `NOMAD_NAMESPACE`, `NOMAD_REGION`, TLS (`NOMAD_CACERT`, `NOMAD_CAPATH`,
    /// `NOMAD_CLIENT_CERT`, `NOMAD_CLIENT_KEY`, `NOMAD_TLS_SERVER_NAME`,
    /// `NOMAD_SKIP_VERIFY`), `NOMAD_HTTP_AUTH` and the proxy and trust-store
    /// variables; every variable in [`ENV_VARS`]. To change a setting of the
    /// environment, start from [`NomadClientBuilder::from_env`] instead.
    pub fn from_env() -> Result<Self> {
        NomadClientBuilder::from_env()?.build()
    }

    /// Like [`NomadClient::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        NomadClientBuilder::from_lookup(lookup)?.build()
    }

    /// A copy of this client that sends `token` (same pool, address and defaults).
    #[must_use]
    pub fn with_token(&self, token: impl Into<Secret>) -> Self {
        Self { http: self.http.with_token(token.into()), defaults: self.defaults.clone() }
    }

    /// A copy of this client with a default namespace for calls that do not
    /// name one (`*` lists across every namespace); a name that is empty or
    /// holds control characters is refused, as Consul's and Vault's are.
    pub fn with_namespace(&self, namespace: &str) -> Result<Self> {
        validate::name("namespace", namespace)?;
        let defaults = Defaults { namespace: Some(namespace.to_owned()), region: self.defaults.region.clone() };
        Ok(Self { http: self.http.clone(), defaults: Arc::new(defaults) })
    }

    /// A copy of this client with a default region for calls that do not name
    /// one; checked like [`NomadClient::with_namespace`].
    pub fn with_region(&self, region: &str) -> Result<Self> {
        validate::name("region", region)?;
        let defaults = Defaults { namespace: self.defaults.namespace.clone(), region: Some(region.to_owned()) };
        Ok(Self { http: self.http.clone(), defaults: Arc::new(defaults) })
    }

    /// The default namespace, if one is set.
    #[must_use]
    pub fn namespace(&self) -> Option<&str> {
        self.defaults.namespace.as_deref()
    }

    /// The default region, if one is set.
    #[must_use]
    pub fn region(&self) -> Option<&str> {
        self.defaults.region.as_deref()
    }

    /// The underlying HTTP client (configuration, raw requests).
    #[must_use]
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The namespace a call with `explicit` acts on (what errors name): the
    /// explicit one, the client's default, or Nomad's `default`.
    pub(crate) fn effective_namespace(&self, explicit: Option<&str>) -> String {
        explicit.or(self.namespace()).unwrap_or("default").to_owned()
    }

    /// Adds namespace (unless `global`), region and token to a request.
    fn scope(
        &self,
        mut req: Request,
        namespace: Option<&str>,
        global: bool,
        region: Option<&str>,
        token: Option<&Secret>,
    ) -> Result<Request> {
        if let Some(ns) = namespace.or(self.namespace()).filter(|_| !global) {
            validate::name("namespace", ns)?;
            req = req.query("namespace", ns);
        }
        if let Some(region) = region.or(self.region()) {
            validate::name("region", region)?;
            req = req.query("region", region);
        }
        if let Some(token) = token {
            req = req.token(token.clone());
        }
        Ok(req)
    }

    fn query_scoped(&self, req: Request, opts: &QueryOptions, global: bool) -> Result<Request> {
        let ns = opts.namespace.as_deref();
        let mut req = self.scope(req, ns, global, opts.region.as_deref(), opts.token.as_ref())?;
        if let Some(prefix) = &opts.prefix {
            req = req.query("prefix", prefix);
        }
        if let Some(filter) = &opts.filter {
            req = req.query("filter", filter);
        }
        if let Some(per_page) = opts.per_page {
            if per_page == 0 || per_page > i32::MAX as u32 {
                return Err(client_core::Error::invalid(
                    "per_page",
                    per_page.to_string(),
                    "must be between 1 and 2147483647 (Nomad ignores any other value and answers unpaged)",
                )
                .into());
            }
            req = req.query("per_page", per_page);
        }
        if let Some(token) = &opts.next_token {
            req = req.query("next_token", token);
        }
        if opts.reverse {
            req = req.query("reverse", "true");
        }
        Ok(req.flag("stale", opts.stale).blocking(opts.blocking))
    }

    /// A list request on namespaced objects with every query option applied.
    pub(crate) fn query(&self, req: Request, opts: &QueryOptions) -> Result<Request> {
        self.query_scoped(req, opts, false)
    }

    /// A read request on one namespaced object (the wildcard namespace is refused).
    pub(crate) fn query_one(&self, req: Request, opts: &QueryOptions) -> Result<Request> {
        if let Some(ns) = opts.namespace.as_deref().or(self.namespace()) {
            validate::single_namespace(ns)?;
        }
        self.query_scoped(req, opts, false)
    }

    /// A read request on objects outside namespaces (nodes, namespaces, agent): no `namespace=`.
    pub(crate) fn query_global(&self, req: Request, opts: &QueryOptions) -> Result<Request> {
        self.query_scoped(req, opts, true)
    }

    /// A write request on a namespaced object with namespace, region and token applied.
    pub(crate) fn write(&self, req: Request, opts: &WriteOptions) -> Result<Request> {
        if let Some(ns) = opts.namespace.as_deref().or(self.namespace()) {
            validate::single_namespace(ns)?;
        }
        self.scope(req, opts.namespace.as_deref(), false, opts.region.as_deref(), opts.token.as_ref())
    }

    /// A write request outside namespaces: region and token only.
    pub(crate) fn write_global(&self, req: Request, opts: &WriteOptions) -> Result<Request> {
        self.scope(req, None, true, opts.region.as_deref(), opts.token.as_ref())
    }

    /// Sends a request and decodes the JSON answer with its index metadata.
    pub(crate) async fn get_meta<T: DeserializeOwned>(&self, req: Request) -> Result<WithMeta<T>> {
        Ok(fetch_meta(&self.http, req).await?)
    }

    /// Repeats `req` as a blocking query, yielding its answer each time the index moves.
    pub(crate) fn watch<T: DeserializeOwned + Send + 'static>(
        &self,
        req: Request,
        options: WatchOptions,
    ) -> impl Stream<Item = Result<WithMeta<T>>> + Send + 'static {
        let http = self.http.clone();
        client_core::watch(options, move |blocking| {
            let http = http.clone();
            let req = req.clone().blocking(blocking);
            async move { fetch_meta(&http, req).await }
        })
        .map(|item| item.map_err(Error::from))
    }

    /// Sends a request and decodes the JSON answer.
    pub(crate) async fn json<T: DeserializeOwned>(&self, req: Request) -> Result<T> {
        Ok(self.http.json(req).await?)
    }

    /// Sends a request whose answer carries nothing of interest.
    pub(crate) async fn send_empty(&self, req: Request) -> Result<()> {
        self.http.send(req).await?;
        Ok(())
    }
}

/// Sends `req` and decodes the JSON answer with Nomad's `X-Nomad-Index` metadata.
async fn fetch_meta<T: DeserializeOwned>(http: &HttpClient, req: Request) -> client_core::Result<WithMeta<T>> {
    let resp = http.send(req).await?;
    let meta = QueryMeta::from_headers(&resp.headers, "X-Nomad");
    Ok(WithMeta { value: resp.json()?, meta })
}
