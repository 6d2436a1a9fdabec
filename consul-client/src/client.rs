//! The client value, its builder, and the request helpers every handler uses.

use std::sync::Arc;

use client_core::{ClientConfig, EnvSpec, EnvVar, HttpClient, QueryMeta, Request, Response, Secret, WithMeta};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::options::QueryOptions;
use crate::validate;

/// The header the Consul API reads the ACL token from.
pub const TOKEN_HEADER: &str = "X-Consul-Token";

/// The header naming the Consul Enterprise namespace of every request.
const NAMESPACE_HEADER: &str = "X-Consul-Namespace";

/// The header naming the Consul Enterprise admin partition of every request.
const PARTITION_HEADER: &str = "X-Consul-Partition";

/// The environment variables the `consul` CLI reads.
pub const ENV_SPEC: EnvSpec = EnvSpec {
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
    token_header: TOKEN_HEADER,
    capath: Some("CONSUL_CAPATH"),
    cacert_bytes: None,
    tls_server_name: Some("CONSUL_TLS_SERVER_NAME"),
    http_auth: Some("CONSUL_HTTP_AUTH"),
    proxy: &[],
    agent_addr: None,
};

/// Every variable of the `consul` CLI's documented list, and what the SDK
/// does with it (plus [`client_core::config::COMMON_ENV_VARS`]). Precedence,
/// for each setting: the builder ([`ConsulClientBuilder`]) > the variable >
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
/// Build it with [`ConsulClient::new`], [`ConsulClient::from_env`],
/// [`ConsulClient::from_lookup`] or [`ConsulClient::builder`]; copy it with
/// another token or namespace with [`ConsulClient::with_token`] and
/// [`ConsulClient::with_namespace`]. Handlers group the API like the docs
/// do ([`ConsulClient::kv`], [`ConsulClient::catalog`],
/// [`ConsulClient::health`], [`ConsulClient::agent`], ...); each owns a copy
/// of the client, so handlers and the watches they return are `'static`.
#[derive(Clone, Debug)]
pub struct ConsulClient {
    pub(crate) http: HttpClient,
    namespace: Option<Arc<str>>,
    partition: Option<Arc<str>>,
    datacenter: Option<Arc<str>>,
}

impl ConsulClient {
    /// A client for a prepared configuration. Its token header is set to
    /// `X-Consul-Token` whatever it was, as Nomad's and Vault's clients set
    /// theirs; an `X-Consul-Namespace` or `X-Consul-Partition` header among
    /// its default headers becomes the client's namespace or partition.
    pub fn new(mut config: ClientConfig) -> Result<Self> {
        config.token_header = TOKEN_HEADER.to_owned();
        config.env.get_or_insert(ENV_SPEC);
        let namespace = header_value(&config, NAMESPACE_HEADER);
        let partition = header_value(&config, PARTITION_HEADER);
        Ok(Self { http: HttpClient::new(config)?, namespace, partition, datacenter: None })
    }

    /// Builds a client from the environment, like the `consul` CLI:
    /// `CONSUL_HTTP_ADDR` (`host:port` or URL, default `http://127.0.0.1:8500`),
    /// `CONSUL_HTTP_TOKEN` / `CONSUL_HTTP_TOKEN_FILE`, `CONSUL_CACERT`,
    /// `CONSUL_CLIENT_CERT`, `CONSUL_CLIENT_KEY`, `CONSUL_HTTP_SSL`,
    /// `CONSUL_HTTP_SSL_VERIFY`, `CONSUL_NAMESPACE`, `CONSUL_PARTITION`,
    /// `CONSUL_CAPATH`, `CONSUL_TLS_SERVER_NAME`, `CONSUL_HTTP_AUTH` and the
    /// proxy and trust-store variables; every variable in [`ENV_VARS`].
    /// To change some of it, start from [`ConsulClientBuilder::from_env`].
    pub fn from_env() -> Result<Self> {
        ConsulClientBuilder::from_env()?.build()
    }

    /// Like [`ConsulClient::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        ConsulClientBuilder::from_lookup(lookup)?.build()
    }

    /// A builder starting from the defaults (`http://127.0.0.1:8500`, no
    /// token), not from the environment: see [`ConsulClientBuilder`].
    #[must_use]
    pub fn builder() -> ConsulClientBuilder {
        ConsulClientBuilder::new()
    }

    /// A copy of this client that sends `token` (shares the connection pool).
    #[must_use]
    pub fn with_token(&self, token: impl Into<Secret>) -> Self {
        Self { http: self.http.with_token(token.into()), ..self.clone() }
    }

    /// A copy of this client working in the Consul Enterprise namespace
    /// `namespace` (sent as `X-Consul-Namespace`; a request's own
    /// [`QueryOptions::namespace`] wins). Shares the connection pool.
    pub fn with_namespace(&self, namespace: &str) -> Result<Self> {
        validate::name("namespace", namespace)?;
        let http = self.http.with_config(|config| set_header(config, NAMESPACE_HEADER, namespace));
        Ok(Self { http, namespace: Some(Arc::from(namespace)), ..self.clone() })
    }

    /// The namespace every request is sent in (`CONSUL_NAMESPACE`, the
    /// builder or [`ConsulClient::with_namespace`]), if any.
    #[must_use]
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The admin partition every request is sent in (`CONSUL_PARTITION` or
    /// the builder), if any.
    #[must_use]
    pub fn partition(&self) -> Option<&str> {
        self.partition.as_deref()
    }

    /// The datacenter every request names when its options name none
    /// ([`ConsulClientBuilder::datacenter`]); `None`: the agent's own.
    #[must_use]
    pub fn datacenter(&self) -> Option<&str> {
        self.datacenter.as_deref()
    }

    /// The underlying HTTP client (for endpoints this crate does not cover).
    #[must_use]
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Sends a read with the common query options and decodes JSON plus index metadata.
    pub(crate) async fn read<T: DeserializeOwned>(&self, request: Request, opts: &QueryOptions) -> Result<WithMeta<T>> {
        let resp = self.send(opts.apply(request)?).await?;
        Ok(WithMeta { value: resp.json()?, meta: meta(&resp) })
    }

    /// Like [`Self::read`], but a 404 is `None` (Consul answers 404 with an empty body for a missing key).
    pub(crate) async fn read_optional<T: DeserializeOwned>(
        &self,
        request: Request,
        opts: &QueryOptions,
    ) -> Result<WithMeta<Option<T>>> {
        let resp = self.send(opts.apply(request)?.accept_status(&[404])).await?;
        let value = if resp.status.as_u16() == 404 { None } else { Some(resp.json()?) };
        Ok(WithMeta { value, meta: meta(&resp) })
    }

    /// Sends a request and decodes JSON.
    pub(crate) async fn json<T: DeserializeOwned>(&self, request: Request) -> Result<T> {
        Ok(self.send(request).await?.json()?)
    }

    /// Sends a request (every request of this crate passes here): the
    /// client's datacenter is added when the request names none.
    pub(crate) async fn send(&self, request: Request) -> Result<Response> {
        Ok(self.http.send(self.with_datacenter(request)).await?)
    }

    /// Sends a request and returns the live answer (no overall timeout on
    /// the body), with the client's datacenter added like [`Self::send`].
    pub(crate) async fn stream(&self, request: Request) -> Result<client_core::Streaming> {
        Ok(self.http.stream(self.with_datacenter(request)).await?)
    }

    /// Adds the client's datacenter when the request names none.
    fn with_datacenter(&self, mut request: Request) -> Request {
        if let Some(dc) = &self.datacenter {
            if !request.query_pairs().iter().any(|(k, _)| k == "dc") {
                request = request.query("dc", dc);
            }
        }
        request
    }

    /// Sends a write whose answer is `true` or `false`.
    pub(crate) async fn write_bool(&self, request: Request) -> Result<bool> {
        self.json::<bool>(request).await
    }

    /// Sends a write whose answer must be `true` (Consul answers `false` only for CAS/lock writes).
    pub(crate) async fn write_true(&self, request: Request, what: &str) -> Result<()> {
        if self.write_bool(request).await? { Ok(()) } else { Err(Error::NotApplied { what: what.to_owned() }) }
    }
}

/// Builds a [`ConsulClient`]. [`ConsulClient::builder`] starts from the
/// defaults, [`ConsulClientBuilder::from_env`] from the environment; a
/// builder call made afterwards wins over what the environment said.
/// Invalid input is reported by [`ConsulClientBuilder::build`].
///
/// ```
/// use std::time::Duration;
/// use consul_client::ConsulClient;
/// let consul = ConsulClient::builder()
///     .address("consul.example:8500")
///     .token("a-token")
///     .namespace("team-a")
///     .datacenter("dc2")
///     .timeout(Duration::from_secs(10))
///     .build()
///     .unwrap();
/// assert_eq!(consul.namespace(), Some("team-a"));
/// assert_eq!(consul.datacenter(), Some("dc2"));
/// assert!(ConsulClient::builder().address("ftp://consul.example").build().is_err());
/// ```
#[derive(Debug)]
pub struct ConsulClientBuilder {
    config: ClientConfig,
    namespace: Option<String>,
    partition: Option<String>,
    datacenter: Option<String>,
    /// The first invalid input, reported by `build`.
    error: Option<Error>,
}

impl ConsulClientBuilder {
    fn new() -> Self {
        let mut config = ClientConfig::new(ENV_SPEC.default_addr, TOKEN_HEADER).expect("the default address is valid");
        config.env = Some(ENV_SPEC);
        Self::starting_from(config)
    }

    fn starting_from(config: ClientConfig) -> Self {
        Self { config, namespace: None, partition: None, datacenter: None, error: None }
    }

    /// Starts from the environment, read like the `consul` CLI reads it
    /// (every variable in [`ENV_VARS`]); see [`ConsulClient::from_env`].
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`ConsulClientBuilder::from_env`], reading variables through
    /// `lookup` (testable without touching the process environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let mut builder = Self::starting_from(ClientConfig::from_lookup(&ENV_SPEC, &lookup)?);
        if let Some(namespace) = get(NAMESPACE_ENV) {
            validate::name(NAMESPACE_ENV, &namespace)?;
            builder.namespace = Some(namespace);
        }
        if let Some(partition) = get(PARTITION_ENV) {
            validate::name(PARTITION_ENV, &partition)?;
            builder.partition = Some(partition);
        }
        Ok(builder)
    }

    /// The agent's address: `host:port` (plain HTTP), an `http://` or
    /// `https://` URL, or `unix:///path/to/socket`.
    #[must_use]
    pub fn address(mut self, address: &str) -> Self {
        let parsed = client_core::config::unix_socket_path("Consul address", address).and_then(|socket| {
            if socket.is_none() {
                client_core::config::parse_address("Consul address", address, false)?;
            }
            ClientConfig::new(address, TOKEN_HEADER)
        });
        match parsed {
            Ok(parsed) => {
                self.config.address = parsed.address;
                self.config.unix_socket = parsed.unix_socket;
            }
            Err(e) => self.fail(e.into()),
        }
        self
    }

    client_core::builder_setters!(token timeout retry);

    /// The Consul Enterprise namespace of every request (`X-Consul-Namespace`).
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// The Consul Enterprise admin partition of every request (`X-Consul-Partition`).
    #[must_use]
    pub fn partition(mut self, partition: impl Into<String>) -> Self {
        self.partition = Some(partition.into());
        self
    }

    /// The datacenter every request names (`?dc=`) unless its options name
    /// another; unset, the agent's own datacenter answers.
    #[must_use]
    pub fn datacenter(mut self, datacenter: impl Into<String>) -> Self {
        self.datacenter = Some(datacenter.into());
        self
    }

    /// Replaces the connection settings (address, token, TLS, timeouts,
    /// retries, headers) with `config`; the namespace, partition and
    /// datacenter set on this builder stay, and so do later builder calls.
    #[must_use]
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// Builds the client: the first invalid input given to the builder, or
    /// bad TLS material, is reported here.
    pub fn build(self) -> Result<ConsulClient> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut config = self.config;
        if let Some(namespace) = &self.namespace {
            validate::name("namespace", namespace)?;
            set_header(&mut config, NAMESPACE_HEADER, namespace);
        }
        if let Some(partition) = &self.partition {
            validate::name("admin partition", partition)?;
            set_header(&mut config, PARTITION_HEADER, partition);
        }
        if let Some(dc) = &self.datacenter {
            validate::datacenter(dc)?;
        }
        let mut client = ConsulClient::new(config)?;
        client.datacenter = self.datacenter.map(Arc::from);
        Ok(client)
    }

    fn fail(&mut self, error: Error) {
        self.error.get_or_insert(error);
    }
}

/// Sets the default header `name`, replacing any value it had.
fn set_header(config: &mut ClientConfig, name: &str, value: &str) {
    config.default_headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    config.default_headers.push((name.to_owned(), value.to_owned()));
}

/// The value of the default header `name`, if the configuration sends one.
fn header_value(config: &ClientConfig, name: &str) -> Option<Arc<str>> {
    config.default_headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| Arc::from(v.as_str()))
}

/// Index metadata from `X-Consul-*` headers.
pub(crate) fn meta(resp: &Response) -> QueryMeta {
    QueryMeta::from_headers(&resp.headers, "X-Consul")
}

/// Consul sends `null` instead of `[]` in a few places (e.g. filtered reads).
pub(crate) fn null_list<T>(read: WithMeta<Option<Vec<T>>>) -> WithMeta<Vec<T>> {
    WithMeta { value: read.value.unwrap_or_default(), meta: read.meta }
}
