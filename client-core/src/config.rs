//! Client configuration: address, token, TLS, timeouts, retries, read from a
//! builder or from the environment the way the official CLIs read it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::error::{Error, Result};
pub use crate::proxy::ProxyConfig;
use crate::retry::RetryPolicy;
use crate::secret::Secret;
pub use crate::tls::SystemRoots;

/// TLS settings. Verification is on unless [`TlsConfig::insecure_skip_verify`] is set.
///
/// Trusted: the system trust store ([`TlsConfig::system_roots`]) plus every
/// configured CA ([`TlsConfig::ca_pem`]); see [`crate::tls`].
#[derive(Clone, Default)]
pub struct TlsConfig {
    /// CA certificates (PEM, possibly several concatenated: CA file, CA
    /// directory, `VAULT_CACERT_BYTES`) trusted besides the system store.
    pub ca_pem: Option<Vec<u8>>,
    /// Where the system trust store comes from (`SSL_CERT_FILE` / `SSL_CERT_DIR`).
    pub system_roots: SystemRoots,
    /// Name the server certificate is verified against instead of the
    /// address's host (`*_TLS_SERVER_NAME`).
    pub server_name: Option<String>,
    /// Client certificate (PEM) for mutual TLS.
    pub client_cert_pem: Option<Vec<u8>>,
    /// Client private key (PEM) for mutual TLS.
    pub client_key_pem: Option<Secret>,
    /// Disables certificate verification. Only when explicitly asked for.
    pub insecure_skip_verify: bool,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("ca_pem", &self.ca_pem.as_ref().map(|_| "<pem>"))
            .field("system_roots", &self.system_roots)
            .field("server_name", &self.server_name)
            .field("client_cert_pem", &self.client_cert_pem.as_ref().map(|_| "<pem>"))
            .field("client_key_pem", &self.client_key_pem)
            .field("insecure_skip_verify", &self.insecure_skip_verify)
            .finish()
    }
}

/// Which redirects the client follows. The token header is only ever sent
/// to the hosts allowed here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RedirectPolicy {
    /// Never follow; a redirect is an [`Error::Redirect`].
    Never,
    /// Follow only to the same scheme, host and port as the configured address.
    #[default]
    SameOrigin,
    /// Follow to the configured origin or to any of these `host:port` values.
    AllowHosts(Vec<String>),
}

/// The environment variable names one system's CLI reads.
#[derive(Debug, Clone, Copy)]
pub struct EnvSpec {
    /// Address variable, e.g. `NOMAD_ADDR`.
    pub addr: &'static str,
    /// Address used when the variable is unset.
    pub default_addr: &'static str,
    /// Token variable, e.g. `NOMAD_TOKEN`.
    pub token: &'static str,
    /// Variable naming a file holding the token (`CONSUL_HTTP_TOKEN_FILE`).
    pub token_file: Option<&'static str>,
    /// CA certificate file variable.
    pub cacert: &'static str,
    /// Client certificate file variable.
    pub client_cert: &'static str,
    /// Client key file variable.
    pub client_key: &'static str,
    /// "Skip verification" variable (true disables verification).
    pub skip_verify: Option<&'static str>,
    /// "SSL verify" variable (false disables verification), Consul's style.
    pub ssl_verify: Option<&'static str>,
    /// Variable that turns a scheme-less address into https (`CONSUL_HTTP_SSL`).
    pub use_tls: Option<&'static str>,
    /// Header that carries the token, e.g. `X-Nomad-Token`.
    pub token_header: &'static str,
    /// CA directory variable (`NOMAD_CAPATH`).
    pub capath: Option<&'static str>,
    /// Variable holding CA certificates as PEM text (`VAULT_CACERT_BYTES`).
    pub cacert_bytes: Option<&'static str>,
    /// TLS server name variable (`NOMAD_TLS_SERVER_NAME`).
    pub tls_server_name: Option<&'static str>,
    /// HTTP basic auth variable, `user:password` (`NOMAD_HTTP_AUTH`).
    pub http_auth: Option<&'static str>,
    /// The system's own proxy variables, first set wins, used for every
    /// request (`VAULT_PROXY_ADDR`, `VAULT_HTTP_PROXY`); `HTTP_PROXY` /
    /// `HTTPS_PROXY` / `NO_PROXY` are read for every system.
    pub proxy: &'static [&'static str],
    /// Address variable that wins over [`EnvSpec::addr`] (`VAULT_AGENT_ADDR`).
    pub agent_addr: Option<&'static str>,
}

/// One environment variable of an official CLI's documented list, and what
/// the SDK does with it. Each client lists all of them (`ENV_VARS`); a test
/// compares that list with the CLI's and checks every read one is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvVar {
    /// The variable, e.g. `NOMAD_ADDR`.
    pub name: &'static str,
    /// Read or not, and what for or why not.
    pub support: Support,
}

/// Whether the SDK reads a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Read by `from_env`; the text says what it sets.
    Read(&'static str),
    /// Not read; the text says why.
    NotSupported(&'static str),
}

impl EnvVar {
    /// A variable `from_env` reads.
    #[must_use]
    pub const fn read(name: &'static str, what: &'static str) -> Self {
        Self { name, support: Support::Read(what) }
    }

    /// A variable the SDK does not read, with the reason.
    #[must_use]
    pub const fn not_supported(name: &'static str, why: &'static str) -> Self {
        Self { name, support: Support::NotSupported(why) }
    }
}

/// The variables every client reads the way Go's `net/http` and
/// `crypto/x509` read them (proxies, the system trust store).
pub const COMMON_ENV_VARS: &[EnvVar] = &[
    EnvVar::read("HTTP_PROXY", "proxy for http addresses (also http_proxy)"),
    EnvVar::read("HTTPS_PROXY", "proxy for https addresses, through a CONNECT tunnel (also https_proxy)"),
    EnvVar::read("NO_PROXY", "hosts reached without a proxy (also no_proxy); loopback always is"),
    EnvVar::read("SSL_CERT_FILE", "CA bundle replacing the system trust store's file"),
    EnvVar::read("SSL_CERT_DIR", "CA directories replacing the system trust store's (':'-separated)"),
];

/// HTTP basic authentication (`NOMAD_HTTP_AUTH` / `CONSUL_HTTP_AUTH`), sent
/// as an `Authorization: Basic` header on every request. `Debug` never shows
/// the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicAuth {
    /// User name.
    pub username: String,
    /// Password (may be empty, as `user` alone means in the Go clients).
    pub password: Secret,
}

impl BasicAuth {
    /// Parses `user:password` (or `user`), as the Go clients split it: at the first `:`.
    ///
    /// ```
    /// use client_core::config::BasicAuth;
    /// let auth = BasicAuth::parse("NOMAD_HTTP_AUTH", "ops:pa:ss").unwrap();
    /// assert_eq!((auth.username.as_str(), auth.password.expose()), ("ops", "pa:ss"));
    /// assert!(!format!("{auth:?}").contains("pa:ss"));
    /// ```
    pub fn parse(source: &str, value: &str) -> Result<Self> {
        let (user, pass) = value.split_once(':').unwrap_or((value, ""));
        if user.is_empty() {
            return Err(Error::config(source, "expected user:password, the user name is empty"));
        }
        Ok(Self { username: user.to_owned(), password: Secret::new(pass) })
    }
}

/// Everything an HTTP client needs to reach its server.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base address, e.g. `http://127.0.0.1:4646`.
    pub address: Url,
    /// Token sent in [`ClientConfig::token_header`] on every request.
    pub token: Option<Secret>,
    /// Header carrying the token.
    pub token_header: String,
    /// TLS settings.
    pub tls: TlsConfig,
    /// Time limit for one ordinary request, body included.
    pub timeout: Duration,
    /// Time limit for establishing a connection.
    pub connect_timeout: Duration,
    /// Retry policy for idempotent requests.
    pub retry: RetryPolicy,
    /// Largest response body read into memory.
    pub max_body_bytes: u64,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Redirect handling.
    pub redirect: RedirectPolicy,
    /// Headers added to every request (e.g. `X-Vault-Namespace`).
    pub default_headers: Vec<(String, String)>,
    /// HTTP basic authentication sent on every request.
    pub basic_auth: Option<BasicAuth>,
    /// Unix socket every connection goes to (`unix:///path` addresses); the
    /// address is then `http://localhost` and no proxy applies.
    pub unix_socket: Option<PathBuf>,
    /// Proxies ([`crate::proxy`]). [`ClientConfig::new`] reads `HTTP_PROXY` /
    /// `HTTPS_PROXY` / `NO_PROXY` from the process environment (as reqwest
    /// did before); `from_lookup` reads them through its lookup.
    pub proxy: ProxyConfig,
    /// The variable names of the system this configuration is for, so error
    /// hints name the setting to change (set by `from_lookup` and the clients).
    pub env: Option<EnvSpec>,
    /// Requests wait for their turn under this limit (`VAULT_RATE_LIMIT`);
    /// shared by every copy of the client.
    pub rate_limit: Option<std::sync::Arc<crate::ratelimit::RateLimit>>,
    /// What a decode error may quote from the body.
    pub body_in_errors: crate::decode::BodyInErrors,
}

impl ClientConfig {
    /// Default per-request timeout.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default limit for a response body read into memory (64 MiB).
    pub const DEFAULT_MAX_BODY: u64 = 64 * 1024 * 1024;

    /// A configuration for `address` with defaults: no token, TLS verification
    /// on, 30 s timeout, retries on.
    ///
    /// ```
    /// use client_core::ClientConfig;
    /// let cfg = ClientConfig::new("http://127.0.0.1:8500", "X-Consul-Token").unwrap();
    /// assert_eq!(cfg.address.as_str(), "http://127.0.0.1:8500/");
    /// assert!(ClientConfig::new("not a url", "X").is_err());
    /// ```
    pub fn new(address: &str, token_header: &str) -> Result<Self> {
        let (address, unix_socket) = match unix_socket_path("address", address)? {
            Some(path) => (Url::parse(UNIX_BASE).expect("a valid URL"), Some(path)),
            None => (parse_address("address", address, false)?, None),
        };
        Ok(Self {
            address,
            unix_socket,
            token: None,
            token_header: token_header.to_owned(),
            tls: TlsConfig::default(),
            timeout: Self::DEFAULT_TIMEOUT,
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            max_body_bytes: Self::DEFAULT_MAX_BODY,
            user_agent: concat!("ops-sdk/", env!("CARGO_PKG_VERSION")).to_owned(),
            redirect: RedirectPolicy::default(),
            default_headers: Vec::new(),
            basic_auth: None,
            proxy: process_env_proxies(),
            env: None,
            rate_limit: None,
            body_in_errors: crate::decode::BodyInErrors::default(),
        })
    }

    /// Reads the configuration from the process environment.
    pub fn from_env(spec: &EnvSpec) -> Result<Self> {
        Self::from_lookup(spec, |name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (testable without touching
    /// the process environment). Empty values count as unset, as in the CLIs.
    pub fn from_lookup(spec: &EnvSpec, lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let use_tls = match spec.use_tls {
            Some(var) => get(var).map(|v| parse_bool(var, &v)).transpose()?.unwrap_or(false),
            None => false,
        };
        let agent = spec.agent_addr.and_then(|var| get(var).map(|a| (a, var)));
        let (addr, addr_source) = match agent.or_else(|| get(spec.addr).map(|a| (a, spec.addr))) {
            Some(found) => found,
            None => (spec.default_addr.to_owned(), "default address"),
        };
        let mut cfg = Self::new(spec.default_addr, spec.token_header)?;
        cfg.env = Some(*spec);
        cfg.unix_socket = unix_socket_path(addr_source, &addr)?;
        cfg.address = match spec.use_tls {
            // `unix:///path`: every connection goes to the socket.
            _ if cfg.unix_socket.is_some() => Url::parse(UNIX_BASE).expect("a valid URL"),
            // Consul's rule: `host:port` is fine, its scheme comes from the TLS switch.
            Some(_) => parse_address(addr_source, &addr, use_tls)?,
            // Vault's and Nomad's rule: Go's url.Parse, so the address must name its scheme.
            None => parse_address_with_scheme(addr_source, &addr)?,
        };
        cfg.token = match get(spec.token) {
            Some(t) => Some(Secret::new(t.trim())),
            None => match spec.token_file.and_then(|var| get(var).map(|path| (var, path))) {
                Some((var, path)) => Some(read_token_file(var, Path::new(&path))?),
                None => None,
            },
        };
        let mut ca = Vec::new();
        if let Some(path) = get(spec.cacert) {
            let pem = read_file(spec.cacert, &path)?;
            crate::tls::parse_pem_certs(spec.cacert, &pem)?;
            ca.extend_from_slice(&pem);
            ca.push(b'\n');
        }
        if let Some(var) = spec.capath {
            if let Some(dir) = get(var) {
                ca.extend(crate::tls::read_ca_dir(var, Path::new(&dir))?);
            }
        }
        if let Some(var) = spec.cacert_bytes {
            if let Some(pem) = get(var) {
                crate::tls::parse_pem_certs(var, pem.as_bytes())?;
                ca.extend_from_slice(pem.as_bytes());
                ca.push(b'\n');
            }
        }
        if !ca.is_empty() {
            cfg.tls.ca_pem = Some(ca);
        }
        let (cert_file, cert_dirs) = (get("SSL_CERT_FILE"), get("SSL_CERT_DIR"));
        if cert_file.is_some() || cert_dirs.is_some() {
            cfg.tls.system_roots = SystemRoots::Paths {
                file: cert_file.map(PathBuf::from),
                dirs: cert_dirs
                    .map(|d| std::env::split_paths(&d).filter(|p| !p.as_os_str().is_empty()).collect())
                    .unwrap_or_default(),
            };
        }
        if let Some(var) = spec.tls_server_name {
            cfg.tls.server_name = get(var).map(|n| n.trim().to_owned());
        }
        if let Some(var) = spec.http_auth {
            if let Some(v) = get(var) {
                cfg.basic_auth = Some(BasicAuth::parse(var, &v)?);
            }
        }
        cfg.proxy = ProxyConfig::from_lookup(spec.proxy, get)?;
        if let Some(path) = get(spec.client_cert) {
            cfg.tls.client_cert_pem = Some(read_file(spec.client_cert, &path)?);
        }
        if let Some(path) = get(spec.client_key) {
            let key = read_file(spec.client_key, &path)?;
            cfg.tls.client_key_pem = Some(Secret::new(String::from_utf8_lossy(&key).into_owned()));
        }
        if let Some(var) = spec.skip_verify {
            if let Some(v) = get(var) {
                cfg.tls.insecure_skip_verify = parse_bool(var, &v)?;
            }
        }
        if let Some(var) = spec.ssl_verify {
            if let Some(v) = get(var) {
                cfg.tls.insecure_skip_verify = !parse_bool(var, &v)?;
            }
        }
        Ok(cfg)
    }

    /// Sets the token.
    #[must_use]
    pub fn with_token(mut self, token: impl Into<Secret>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Sets the per-request timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the connect timeout.
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Makes every request wait for its turn under `limit`.
    #[must_use]
    pub fn with_rate_limit(mut self, limit: crate::ratelimit::RateLimit) -> Self {
        self.rate_limit = Some(std::sync::Arc::new(limit));
        self
    }

    /// Sets what decode errors may quote from a body ([`crate::BodyInErrors::Hidden`]
    /// for servers whose answers hold secrets).
    #[must_use]
    pub fn with_body_in_errors(mut self, policy: crate::decode::BodyInErrors) -> Self {
        self.body_in_errors = policy;
        self
    }

    /// Sets the retry policy ([`RetryPolicy::disabled`] turns retries off).
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Trusts an extra CA certificate (PEM bytes).
    #[must_use]
    pub fn with_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls.ca_pem = Some(pem.into());
        self
    }

    /// Reads an extra CA certificate from a PEM file.
    pub fn with_ca_file(mut self, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        self.tls.ca_pem = Some(read_file("CA file", &path.to_string_lossy())?);
        Ok(self)
    }

    /// Trusts every CA certificate of a directory of PEM files (replacing
    /// the CA file or PEM set before).
    pub fn with_ca_dir(mut self, dir: impl AsRef<Path>) -> Result<Self> {
        self.tls.ca_pem = Some(crate::tls::read_ca_dir("CA directory", dir.as_ref())?);
        Ok(self)
    }

    /// Verifies the server certificate against `name` instead of the
    /// address's host (Go's `tls.Config.ServerName`, `*_TLS_SERVER_NAME`).
    #[must_use]
    pub fn with_tls_server_name(mut self, name: impl Into<String>) -> Self {
        self.tls.server_name = Some(name.into());
        self
    }

    /// Chooses where the system trust store is read from.
    #[must_use]
    pub fn with_system_roots(mut self, roots: SystemRoots) -> Self {
        self.tls.system_roots = roots;
        self
    }

    /// Sends HTTP basic authentication on every request.
    #[must_use]
    pub fn with_basic_auth(mut self, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.basic_auth = Some(BasicAuth { username: username.into(), password: password.into() });
        self
    }

    /// Sets a client certificate and key (PEM) for mutual TLS.
    #[must_use]
    pub fn with_client_identity(mut self, cert_pem: impl Into<Vec<u8>>, key_pem: impl Into<Secret>) -> Self {
        self.tls.client_cert_pem = Some(cert_pem.into());
        self.tls.client_key_pem = Some(key_pem.into());
        self
    }

    /// Disables TLS certificate verification. Only for test servers.
    #[must_use]
    pub fn danger_skip_verify(mut self, skip: bool) -> Self {
        self.tls.insecure_skip_verify = skip;
        self
    }

    /// Sets the largest response body read into memory.
    #[must_use]
    pub fn with_max_body_bytes(mut self, limit: u64) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Sets the redirect policy.
    #[must_use]
    pub fn with_redirect(mut self, policy: RedirectPolicy) -> Self {
        self.redirect = policy;
        self
    }

    /// Adds a header sent on every request.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.default_headers.push((name.into(), value.into()));
        self
    }
}

/// The base URL of a unix-socket address (the host only fills the Host header).
const UNIX_BASE: &str = "http://localhost";

/// The socket path of a `unix:///path` address, `None` for any other address.
///
/// ```
/// use client_core::config::unix_socket_path;
/// let path = unix_socket_path("CONSUL_HTTP_ADDR", "unix:///run/consul/http.sock").unwrap();
/// assert_eq!(path.unwrap().to_str(), Some("/run/consul/http.sock"));
/// assert!(unix_socket_path("CONSUL_HTTP_ADDR", "http://127.0.0.1:8500").unwrap().is_none());
/// assert!(unix_socket_path("CONSUL_HTTP_ADDR", "unix://").is_err());
/// ```
pub fn unix_socket_path(source: &str, value: &str) -> Result<Option<PathBuf>> {
    let Some(path) = value.trim().strip_prefix("unix://") else { return Ok(None) };
    if path.is_empty() {
        return Err(Error::config(source, "the unix socket address names no path; expected unix:///path/to/socket"));
    }
    if cfg!(not(unix)) {
        return Err(Error::config(source, "unix socket addresses are only supported on unix"));
    }
    Ok(Some(PathBuf::from(path)))
}

/// The proxies of the process environment; an invalid one is ignored with
/// a warning here (`from_lookup` reports it as an error naming the variable).
fn process_env_proxies() -> ProxyConfig {
    let get = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    ProxyConfig::from_lookup(&[], get).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "ignoring the proxy settings of the environment");
        ProxyConfig::default()
    })
}

/// Parses an address the way the CLIs accept it: a full URL, or `host:port`
/// (then `http://`, or `https://` when `use_tls`).
pub fn parse_address(source: &str, value: &str, use_tls: bool) -> Result<Url> {
    let value = value.trim();
    if value.starts_with("unix://") {
        return Err(Error::config(
            source,
            format!("{value:?} is a unix socket address; only http:// and https:// addresses are supported"),
        ));
    }
    let with_scheme = if value.contains("://") {
        value.to_owned()
    } else if use_tls {
        format!("https://{value}")
    } else {
        format!("http://{value}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| {
        Error::config(source, format!("{value:?} is not a valid address ({e}); expected e.g. http://127.0.0.1:8500"))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::config(source, format!("{value:?} uses scheme {:?}; expected http or https", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::config(source, format!("{value:?} has no host")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(source, format!("{value:?} must not carry a query or fragment")));
    }
    Ok(url)
}

/// Parses an address that must name its scheme, the rule of the `vault` and
/// `nomad` CLIs (Go's `url.Parse`): `127.0.0.1:8200` is refused instead of
/// silently becoming `http://`, which would send the token in clear text.
///
/// ```
/// use client_core::config::parse_address_with_scheme;
/// assert!(parse_address_with_scheme("VAULT_ADDR", "https://127.0.0.1:8200").is_ok());
/// let err = parse_address_with_scheme("VAULT_ADDR", "127.0.0.1:8200").unwrap_err();
/// assert!(err.to_string().contains("https://127.0.0.1:8200"), "{err}");
/// ```
pub fn parse_address_with_scheme(source: &str, value: &str) -> Result<Url> {
    let trimmed = value.trim();
    if !trimmed.contains("://") {
        return Err(Error::config(
            source,
            format!(
                "{trimmed:?} has no scheme; write https://{trimmed} (or http://{trimmed} for a server without TLS): \
                 an address without a scheme is refused, as the official CLI refuses it"
            ),
        ));
    }
    parse_address(source, trimmed, false)
}

/// Parses an address as the `nomad` and `vault` CLIs do — `http(s)://host:port`
/// with its scheme required ([`parse_address_with_scheme`]) or `unix:///path`
/// — into the URL and socket a [`ClientConfig`] holds for it.
///
/// ```
/// use client_core::config::parse_address_or_socket;
/// let (url, socket) = parse_address_or_socket("NOMAD_ADDR", "https://10.0.0.7:4646").unwrap();
/// assert_eq!((url.as_str(), socket), ("https://10.0.0.7:4646/", None));
/// let (_, socket) = parse_address_or_socket("NOMAD_ADDR", "unix:///run/nomad.sock").unwrap();
/// assert_eq!(socket.unwrap().to_str(), Some("/run/nomad.sock"));
/// assert!(parse_address_or_socket("NOMAD_ADDR", "10.0.0.7:4646").is_err());
/// ```
pub fn parse_address_or_socket(source: &str, value: &str) -> Result<(Url, Option<PathBuf>)> {
    match unix_socket_path(source, value)? {
        Some(path) => Ok((Url::parse(UNIX_BASE).expect("a valid URL"), Some(path))),
        None => Ok((parse_address_with_scheme(source, value)?, None)),
    }
}

/// Parses a duration the way Vault's `parseutil.ParseDurationSecond` does:
/// a bare number is seconds (`"90"`), otherwise Go's `time.ParseDuration`
/// syntax (decimal numbers with the units `ns`, `us`/`µs`, `ms`, `s`, `m`,
/// `h`, as in `"1.5s"` or `"1h2m3.5s"`) plus parseutil's `d` for days.
/// Negative durations are refused.
///
/// ```
/// use client_core::config::parse_duration_seconds;
/// use std::time::Duration;
/// assert_eq!(parse_duration_seconds("VAULT_CLIENT_TIMEOUT", "90").unwrap(), Duration::from_secs(90));
/// assert_eq!(parse_duration_seconds("VAULT_CLIENT_TIMEOUT", "1m30s").unwrap(), Duration::from_secs(90));
/// assert_eq!(parse_duration_seconds("VAULT_CLIENT_TIMEOUT", "1.5s").unwrap(), Duration::from_millis(1500));
/// assert!(parse_duration_seconds("VAULT_CLIENT_TIMEOUT", "soon").is_err());
/// ```
pub fn parse_duration_seconds(source: &str, value: &str) -> Result<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    go_duration(value).ok_or_else(|| {
        Error::config(source, format!("{value:?} is not a duration; expected e.g. 30, 1.5s, 500ms or 1h2m3s"))
    })
}

/// Go's `time.ParseDuration` grammar (and `d`), non-negative values only.
fn go_duration(value: &str) -> Option<Duration> {
    const UNITS: [(&str, f64); 9] = [
        ("ns", 1e-9),
        ("us", 1e-6),
        ("\u{b5}s", 1e-6),
        ("\u{3bc}s", 1e-6),
        ("ms", 1e-3),
        ("s", 1.0),
        ("m", 60.0),
        ("h", 3600.0),
        ("d", 86400.0),
    ];
    let mut rest = value.strip_prefix('+').unwrap_or(value);
    if rest == "0" {
        return Some(Duration::ZERO);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number = &rest[..digits];
        if number.is_empty() || number == "." {
            return None;
        }
        let amount: f64 = number.parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let factor = UNITS.iter().find(|(u, _)| *u == &rest[..unit_len])?.1;
        total += amount * factor;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).ok()
}

/// Parses a boolean the way Go's `strconv.ParseBool` does.
pub fn parse_bool(source: &str, value: &str) -> Result<bool> {
    match value.trim() {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        other => Err(Error::config(source, format!("{other:?} is not a boolean; expected true or false"))),
    }
}

fn read_file(source: &str, path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::config(source, format!("cannot read {path:?}: {e}")))
}

/// Reads a token from a file (whitespace trimmed), naming `source` on error.
pub fn read_token_file(source: &str, path: &Path) -> Result<Secret> {
    let raw = std::fs::read_to_string(path)
        .map_err(|e| Error::config(source, format!("cannot read token file {}: {e}", path.display())))?;
    Ok(Secret::new(raw.trim()))
}

/// The user's home directory, from `HOME`.
#[must_use]
pub fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn durations_parse_as_vault_and_go_do() {
        let d = |v: &str| parse_duration_seconds("VAULT_CLIENT_TIMEOUT", v);
        assert_eq!(d("0").unwrap(), Duration::ZERO);
        assert_eq!(d("45").unwrap(), Duration::from_secs(45));
        assert_eq!(d("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(d("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(d("1h2m3.5s").unwrap(), Duration::from_millis(3_723_500));
        assert_eq!(d("2d").unwrap(), Duration::from_secs(172_800));
        assert_eq!(d("10\u{b5}s").unwrap(), Duration::from_micros(10));
        assert_eq!(d(".5m").unwrap(), Duration::from_secs(30));
        for bad in ["", "soon", "1.5", "-1s", "1x", "s", "1s2", "..5s", "1 s"] {
            let err = d(bad).unwrap_err().to_string();
            assert!(err.contains("VAULT_CLIENT_TIMEOUT"), "{bad:?}: {err}");
        }
    }

    const SPEC: EnvSpec = EnvSpec {
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

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_when_unset() {
        let cfg = ClientConfig::from_lookup(&SPEC, env(&[])).unwrap();
        assert_eq!(cfg.address.as_str(), "http://127.0.0.1:8500/");
        assert!(cfg.token.is_none());
        assert!(!cfg.tls.insecure_skip_verify);
    }

    #[test]
    fn scheme_less_address_and_tls_switch() {
        let cfg = ClientConfig::from_lookup(
            &SPEC,
            env(&[("CONSUL_HTTP_ADDR", "10.0.0.1:8501"), ("CONSUL_HTTP_SSL", "true")]),
        )
        .unwrap();
        assert_eq!(cfg.address.as_str(), "https://10.0.0.1:8501/");
        let cfg = ClientConfig::from_lookup(&SPEC, env(&[("CONSUL_HTTP_ADDR", "10.0.0.1:8500")])).unwrap();
        assert_eq!(cfg.address.scheme(), "http");
    }

    #[test]
    fn scheme_less_address_is_refused_without_a_tls_switch() {
        // Vault's and Nomad's specs have no TLS switch: their CLIs refuse `host:port`.
        let spec = EnvSpec { addr: "VAULT_ADDR", use_tls: None, ..SPEC };
        for value in ["127.0.0.1:8200", "vault.example:8200", "vault.example"] {
            let err = ClientConfig::from_lookup(&spec, env(&[("VAULT_ADDR", value)])).unwrap_err();
            let text = err.to_string();
            assert!(text.contains("VAULT_ADDR") && text.contains("no scheme"), "{text}");
            assert!(text.contains(&format!("https://{value}")), "{text}");
        }
        let cfg = ClientConfig::from_lookup(&spec, env(&[("VAULT_ADDR", "https://127.0.0.1:8200")])).unwrap();
        assert_eq!(cfg.address.as_str(), "https://127.0.0.1:8200/");
    }

    #[test]
    fn bad_address_names_the_variable() {
        let err = ClientConfig::from_lookup(&SPEC, env(&[("CONSUL_HTTP_ADDR", "http://")])).unwrap_err();
        assert!(err.to_string().contains("CONSUL_HTTP_ADDR"), "{err}");
        let cfg = ClientConfig::from_lookup(&SPEC, env(&[("CONSUL_HTTP_ADDR", "unix:///tmp/consul.sock")])).unwrap();
        assert_eq!(cfg.unix_socket.as_deref(), Some(Path::new("/tmp/consul.sock")));
        assert_eq!(cfg.address.as_str(), "http://localhost/");
        let err = ClientConfig::from_lookup(&SPEC, env(&[("CONSUL_HTTP_ADDR", "unix://")])).unwrap_err();
        assert!(err.to_string().contains("CONSUL_HTTP_ADDR") && err.to_string().contains("no path"), "{err}");
        let err = ClientConfig::from_lookup(&SPEC, env(&[("CONSUL_HTTP_ADDR", "ftp://x")])).unwrap_err();
        assert!(err.to_string().contains("scheme"), "{err}");
    }

    #[test]
    fn unreadable_ca_names_the_variable() {
        let err = ClientConfig::from_lookup(&SPEC, env(&[("CONSUL_CACERT", "/nonexistent/ca.pem")])).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("CONSUL_CACERT") && text.contains("/nonexistent/ca.pem"), "{text}");
    }

    #[test]
    fn token_beats_token_file_and_file_is_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "file-token\n").unwrap();
        let path = file.to_str().unwrap();
        let cfg = ClientConfig::from_lookup(&SPEC, env(&[("CONSUL_HTTP_TOKEN_FILE", path)])).unwrap();
        assert_eq!(cfg.token.unwrap().expose(), "file-token");
        let cfg = ClientConfig::from_lookup(
            &SPEC,
            env(&[("CONSUL_HTTP_TOKEN_FILE", path), ("CONSUL_HTTP_TOKEN", "env-token")]),
        )
        .unwrap();
        assert_eq!(cfg.token.unwrap().expose(), "env-token");
    }

    #[test]
    fn ssl_verify_false_disables_verification() {
        let cfg = ClientConfig::from_lookup(&SPEC, env(&[("CONSUL_HTTP_SSL_VERIFY", "false")])).unwrap();
        assert!(cfg.tls.insecure_skip_verify);
        assert!(ClientConfig::from_lookup(&SPEC, env(&[("CONSUL_HTTP_SSL_VERIFY", "maybe")])).is_err());
    }

    #[test]
    fn debug_never_shows_the_token_or_key() {
        let cfg = ClientConfig::new("http://x:1", "X-T")
            .unwrap()
            .with_token("supersecret")
            .with_client_identity(b"cert".to_vec(), "PRIVATE KEY");
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains("supersecret") && !dbg.contains("PRIVATE KEY"), "{dbg}");
    }
}
