//! The client value: configuration, defaults and the request helpers the handlers share.

use std::sync::Arc;

use client_core::{ClientConfig, EnvSpec, EnvVar, HttpClient, QueryMeta, Request, Secret, WatchOptions, WithMeta};
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

/// How the `nomad` CLI reads its environment.
pub const NOMAD_ENV: EnvSpec = EnvSpec {
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
/// for each setting: the builder (`ClientConfig` / `with_*`) > the variable >
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
    pub fn new(mut config: ClientConfig) -> Result<Self> {
        config.token_header = TOKEN_HEADER.to_owned();
        config.env.get_or_insert(NOMAD_ENV);
        Ok(Self { http: HttpClient::new(config)?, defaults: Arc::new(Defaults { namespace: None, region: None }) })
    }

    /// A client for `address` with `token` (empty means none), for quick scripts and tests.
    pub fn with_address(address: &str, token: Option<&str>) -> Result<Self> {
        let mut cfg = ClientConfig::new(address, TOKEN_HEADER)?;
        cfg.token = token.filter(|t| !t.is_empty()).map(Secret::new);
        Self::new(cfg)
    }

    /// Reads the environment like the `nomad` CLI: `NOMAD_ADDR`, `NOMAD_TOKEN`,
    /// `NOMAD_NAMESPACE`, `NOMAD_REGION`, TLS (`NOMAD_CACERT`, `NOMAD_CAPATH`,
    /// `NOMAD_CLIENT_CERT`, `NOMAD_CLIENT_KEY`, `NOMAD_TLS_SERVER_NAME`,
    /// `NOMAD_SKIP_VERIFY`), `NOMAD_HTTP_AUTH` and the proxy and trust-store
    /// variables; every variable in [`ENV_VARS`]. An explicit builder call
    /// wins over a variable, a variable over the default.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`NomadClient::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let config = ClientConfig::from_lookup(&NOMAD_ENV, &lookup)?;
        let mut client = Self::new(config)?;
        if let Some(ns) = get("NOMAD_NAMESPACE") {
            validate::name("NOMAD_NAMESPACE", &ns)?;
            client = client.with_namespace(ns);
        }
        if let Some(region) = get("NOMAD_REGION") {
            validate::name("NOMAD_REGION", &region)?;
            client = client.with_region(region);
        }
        Ok(client)
    }

    /// This client with a default namespace for calls that do not name one.
    #[must_use]
    pub fn with_namespace(self, namespace: impl Into<String>) -> Self {
        let region = self.defaults.region.clone();
        Self { http: self.http, defaults: Arc::new(Defaults { namespace: Some(namespace.into()), region }) }
    }

    /// This client with a default region for calls that do not name one.
    #[must_use]
    pub fn with_region(self, region: impl Into<String>) -> Self {
        let namespace = self.defaults.namespace.clone();
        Self { http: self.http, defaults: Arc::new(Defaults { namespace, region: Some(region.into()) }) }
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
        Ok(req.blocking(opts.blocking))
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
