//! The client value and the request helpers every handler uses.

use std::sync::Arc;

use client_core::{ClientConfig, EnvSpec, EnvVar, HttpClient, QueryMeta, Request, Response, WithMeta};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::options::QueryOptions;

/// The environment variables the `consul` CLI reads.
pub const ENV: EnvSpec = EnvSpec {
    addr: "CONSUL_HTTP_ADDR",
    default_addr: "http://127.0.0.1:8500",
    token: "CONSUL_HTTP_TOKEN",
    token_file: Some("CONSUL_HTTP_TOKEN_FILE"),
    cacert: "CONSUL_CACERT",
    client_cert: "CONSUL_CLIENT_CERT",
    client_key: "CONSUL_CLIENT_KEY",
    skip_verify: None,
    ssl_verify: Some("CONSUL_HTTP_SSL_VERIFY"),
    use_tls: Some("CONSUL_HTTP_SSL"),
    token_header: "X-Consul-Token",
    capath: Some("CONSUL_CAPATH"),
    cacert_bytes: None,
    tls_server_name: Some("CONSUL_TLS_SERVER_NAME"),
    http_auth: Some("CONSUL_HTTP_AUTH"),
    proxy: &[],
    agent_addr: None,
};

/// Every variable of the `consul` CLI's documented list, and what the SDK
/// does with it (plus [`client_core::config::COMMON_ENV_VARS`]). Precedence,
/// for each setting: the builder (`ClientConfig` / `with_*`) > the variable >
/// a file it names > the default.
pub const ENV_VARS: &[EnvVar] = &[
    EnvVar::read("CONSUL_HTTP_ADDR", "address: host:port, a URL or unix:///path; default http://127.0.0.1:8500"),
    EnvVar::read("CONSUL_HTTP_TOKEN", "ACL token (X-Consul-Token); wins over CONSUL_HTTP_TOKEN_FILE"),
    EnvVar::read("CONSUL_HTTP_TOKEN_FILE", "file holding the ACL token"),
    EnvVar::read("CONSUL_HTTP_AUTH", "HTTP basic auth user:password (password redacted)"),
    EnvVar::read("CONSUL_HTTP_SSL", "true makes a scheme-less CONSUL_HTTP_ADDR https"),
    EnvVar::read("CONSUL_HTTP_SSL_VERIFY", "false disables certificate verification"),
    EnvVar::read("CONSUL_CACERT", "CA file trusted besides the system store"),
    EnvVar::read("CONSUL_CAPATH", "directory of CA files trusted besides the system store"),
    EnvVar::read("CONSUL_CLIENT_CERT", "client certificate for mutual TLS"),
    EnvVar::read("CONSUL_CLIENT_KEY", "client key for mutual TLS"),
    EnvVar::read("CONSUL_TLS_SERVER_NAME", "name the server certificate is verified against"),
    EnvVar::read("CONSUL_NAMESPACE", "Enterprise namespace (X-Consul-Namespace)"),
    EnvVar::read("CONSUL_PARTITION", "Enterprise admin partition (X-Consul-Partition)"),
    EnvVar::not_supported(
        "CONSUL_GRPC_ADDR",
        "the SDK speaks only the HTTP API, never gRPC (used by Connect/Envoy commands)",
    ),
    EnvVar::not_supported("CONSUL_LICENSE", "an Enterprise server setting; the API client sends no license"),
    EnvVar::not_supported("CONSUL_LICENSE_PATH", "an Enterprise server setting; the API client sends no license"),
];

/// Variable naming the Consul Enterprise namespace (sent as `X-Consul-Namespace`).
pub const NAMESPACE_ENV: &str = "CONSUL_NAMESPACE";

/// Variable naming the Consul Enterprise admin partition (sent as `X-Consul-Partition`).
pub const PARTITION_ENV: &str = "CONSUL_PARTITION";

/// A Consul HTTP API client. Cheap to clone: clones share one connection pool.
///
/// Handlers group the API like the docs do: [`ConsulClient::kv`],
/// [`ConsulClient::catalog`], [`ConsulClient::health`], [`ConsulClient::agent`], ...
#[derive(Clone, Debug)]
pub struct ConsulClient {
    pub(crate) http: HttpClient,
    namespace: Option<Arc<str>>,
}

impl ConsulClient {
    /// Builds a client from the environment, like the `consul` CLI:
    /// `CONSUL_HTTP_ADDR` (`host:port` or URL, default `http://127.0.0.1:8500`),
    /// `CONSUL_HTTP_TOKEN` / `CONSUL_HTTP_TOKEN_FILE`, `CONSUL_CACERT`,
    /// `CONSUL_CLIENT_CERT`, `CONSUL_CLIENT_KEY`, `CONSUL_HTTP_SSL`,
    /// `CONSUL_HTTP_SSL_VERIFY`, `CONSUL_NAMESPACE`, `CONSUL_PARTITION`,
    /// `CONSUL_CAPATH`, `CONSUL_TLS_SERVER_NAME`, `CONSUL_HTTP_AUTH` and the
    /// proxy and trust-store variables; every variable in [`ENV_VARS`].
    /// An explicit builder call wins over a variable, a variable over the
    /// token file, the file over the default.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`ConsulClient::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let namespace = lookup(NAMESPACE_ENV).map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        let mut config = ClientConfig::from_lookup(&ENV, &lookup)?;
        if let Some(ns) = &namespace {
            crate::validate::name(NAMESPACE_ENV, ns)?;
            config = config.with_header("X-Consul-Namespace", ns.clone());
        }
        if let Some(partition) = lookup(PARTITION_ENV).map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()) {
            crate::validate::name(PARTITION_ENV, &partition)?;
            config = config.with_header("X-Consul-Partition", partition);
        }
        let mut client = Self::new(config)?;
        client.namespace = namespace.map(Arc::from);
        Ok(client)
    }

    /// Builds a client from a configuration (its `token_header` should be `X-Consul-Token`).
    pub fn new(mut config: ClientConfig) -> Result<Self> {
        config.env.get_or_insert(ENV);
        Ok(Self { http: HttpClient::new(config)?, namespace: None })
    }

    /// A client for `addr` (`host:port` or URL) with default settings and no token.
    pub fn from_addr(addr: &str) -> Result<Self> {
        let url = client_core::config::parse_address("Consul address", addr, false)?;
        Self::new(ClientConfig::new(url.as_str(), ENV.token_header)?)
    }

    /// A copy of this client that sends `token` (shares the connection pool).
    #[must_use]
    pub fn with_token(&self, token: impl Into<client_core::Secret>) -> Self {
        Self { http: self.http.with_token(token.into()), namespace: self.namespace.clone() }
    }

    /// The namespace from `CONSUL_NAMESPACE`, if any.
    #[must_use]
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The underlying HTTP client (for endpoints this crate does not cover).
    #[must_use]
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Sends a read with the common query options and decodes JSON plus index metadata.
    pub(crate) async fn read<T: DeserializeOwned>(&self, request: Request, opts: &QueryOptions) -> Result<WithMeta<T>> {
        let request = opts.apply(request)?;
        let resp = self.http.send(request).await?;
        Ok(WithMeta { value: resp.json()?, meta: meta(&resp) })
    }

    /// Like [`Self::read`], but a 404 is `None` (Consul answers 404 with an empty body for a missing key).
    pub(crate) async fn read_optional<T: DeserializeOwned>(
        &self,
        request: Request,
        opts: &QueryOptions,
    ) -> Result<WithMeta<Option<T>>> {
        let request = opts.apply(request)?.accept_status(&[404]);
        let resp = self.http.send(request).await?;
        let value = if resp.status.as_u16() == 404 { None } else { Some(resp.json()?) };
        Ok(WithMeta { value, meta: meta(&resp) })
    }

    /// Sends a request and decodes JSON.
    pub(crate) async fn json<T: DeserializeOwned>(&self, request: Request) -> Result<T> {
        Ok(self.http.json(request).await?)
    }

    /// Sends a request and ignores the body.
    pub(crate) async fn send(&self, request: Request) -> Result<Response> {
        Ok(self.http.send(request).await?)
    }

    /// Sends a write whose answer is `true` or `false`.
    pub(crate) async fn write_bool(&self, request: Request) -> Result<bool> {
        let resp = self.http.send(request).await?;
        Ok(resp.json::<bool>()?)
    }

    /// Sends a write whose answer must be `true` (Consul answers `false` only for CAS/lock writes).
    pub(crate) async fn write_true(&self, request: Request, what: &str) -> Result<()> {
        if self.write_bool(request).await? { Ok(()) } else { Err(Error::NotApplied { what: what.to_owned() }) }
    }
}

/// Index metadata from `X-Consul-*` headers.
pub(crate) fn meta(resp: &Response) -> QueryMeta {
    QueryMeta::from_headers(&resp.headers, "X-Consul")
}
