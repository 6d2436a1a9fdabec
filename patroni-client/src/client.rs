//! The member client: one Patroni member's REST API, how it is built
//! (configuration, builder, environment) and the request helpers the
//! endpoint modules share.

use std::path::Path;
use std::time::Duration;

use client_core::config::{ProxyConfig, SystemRoots};
use client_core::{ClientConfig, EnvVar, HttpClient, Request, RetryPolicy, Secret, Url};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Default per-request timeout. Immediate switchovers and failovers block
/// until done (Patroni polls up to ~2 x max(10, loop_wait) s), so they get
/// [`PatroniClient::OPERATION_TIMEOUT`] instead.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where Patroni's REST API listens unless told otherwise (`restapi.listen`
/// defaults to port 8008).
pub const DEFAULT_ADDRESS: &str = "http://127.0.0.1:8008";

/// The variables that Patroni and `patronictl` read for reaching a member's
/// REST API, as [`PatroniClient::from_lookup`] reads them.
///
/// Patroni has no API-client environment like `NOMAD_ADDR`: the variables are
/// those of its own `restapi` and `ctl` configuration sections
/// (`patroni/config.py`), and the fallbacks are `patronictl`'s
/// (`patroni/request.py`). They do not fit [`client_core::EnvSpec`] (no
/// token; credentials in two variables; a `ctl` variable that falls back to
/// a `restapi` one; an address without a scheme whose scheme comes from
/// whether the server has a certificate), hence this Patroni-specific spec.
/// Where several variables are listed, the first one set wins. Empty values
/// count as unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatroniEnvSpec {
    /// The member's REST API address: `host:port`, as Patroni's
    /// `restapi.connect_address` (a URL is accepted too).
    pub connect_address: &'static str,
    /// The address used when [`PatroniEnvSpec::connect_address`] is unset.
    pub default_address: &'static str,
    /// The REST API's server certificate: when set, Patroni serves `https`,
    /// so a scheme-less address becomes `https://` (as Patroni builds its
    /// `api_url`).
    pub server_certfile: &'static str,
    /// Basic-auth `(username, password)` pairs, `ctl` before `restapi`, as
    /// `patronictl` picks them; the first pair with a username wins and
    /// needs its password.
    pub auth: &'static [(&'static str, &'static str)],
    /// CA file (or directory of PEM files) trusted besides the system store.
    pub cacert: &'static [&'static str],
    /// Client certificate (PEM) for `restapi.verify_client`.
    pub certfile: &'static str,
    /// Client key (PEM); when unset, the key is read from the certificate file.
    pub keyfile: &'static str,
    /// Python-style boolean (`on`/`true`/`yes`/`1`, `off`/`false`/`no`/`0`)
    /// that turns off certificate verification.
    pub insecure: &'static str,
}

/// How the member client reads the environment; see [`PatroniEnvSpec`] and
/// [`ENV_VARS`].
pub const ENV_SPEC: PatroniEnvSpec = PatroniEnvSpec {
    connect_address: "PATRONI_RESTAPI_CONNECT_ADDRESS",
    default_address: DEFAULT_ADDRESS,
    server_certfile: "PATRONI_RESTAPI_CERTFILE",
    auth: &[("PATRONI_CTL_USERNAME", "PATRONI_CTL_PASSWORD"), ("PATRONI_RESTAPI_USERNAME", "PATRONI_RESTAPI_PASSWORD")],
    cacert: &["PATRONI_CTL_CACERT", "PATRONI_RESTAPI_CAFILE"],
    certfile: "PATRONI_CTL_CERTFILE",
    keyfile: "PATRONI_CTL_KEYFILE",
    insecure: "PATRONI_CTL_INSECURE",
};

/// Every variable of Patroni's `restapi` and `ctl` environment sections (and
/// `PATRONICTL_CONFIG_FILE`), and what the SDK does with it (plus
/// [`client_core::config::COMMON_ENV_VARS`]). Precedence, for each setting:
/// a builder call > the variable > the default.
pub const ENV_VARS: &[EnvVar] = &[
    EnvVar::read(
        "PATRONI_RESTAPI_CONNECT_ADDRESS",
        "the member's REST API address, host:port (or a URL); default http://127.0.0.1:8008",
    ),
    EnvVar::read(
        "PATRONI_RESTAPI_CERTFILE",
        "when set, a scheme-less connect address is reached over https (Patroni then serves https); the \
         server's certificate is not presented as a client certificate (patronictl 4.x does not either)",
    ),
    EnvVar::read(
        "PATRONI_CTL_USERNAME",
        "basic-auth user for the unsafe endpoints (wins over PATRONI_RESTAPI_USERNAME)",
    ),
    EnvVar::read("PATRONI_CTL_PASSWORD", "basic-auth password with PATRONI_CTL_USERNAME (redacted)"),
    EnvVar::read("PATRONI_RESTAPI_USERNAME", "basic-auth user when PATRONI_CTL_USERNAME is unset"),
    EnvVar::read("PATRONI_RESTAPI_PASSWORD", "basic-auth password with PATRONI_RESTAPI_USERNAME (redacted)"),
    EnvVar::read("PATRONI_CTL_CACERT", "CA file or directory trusted besides the system store"),
    EnvVar::read("PATRONI_RESTAPI_CAFILE", "CA file or directory trusted when PATRONI_CTL_CACERT is unset"),
    EnvVar::read("PATRONI_CTL_CERTFILE", "client certificate for restapi.verify_client"),
    EnvVar::read("PATRONI_CTL_KEYFILE", "client key (default: the key inside PATRONI_CTL_CERTFILE)"),
    EnvVar::read(
        "PATRONI_CTL_INSECURE",
        "on/true/yes/1 disables certificate verification; with a client certificate verification stays on \
         (patronictl then only skips the host name check, which the SDK does not offer)",
    ),
    EnvVar::not_supported(
        "PATRONI_CTL_KEYFILE_PASSWORD",
        "encrypted private keys are not supported; decrypt the key (openssl pkey) and name it in PATRONI_CTL_KEYFILE",
    ),
    EnvVar::not_supported(
        "PATRONICTL_CONFIG_FILE",
        "the SDK reads no Patroni YAML file; the variables above or the builder give the member's address",
    ),
    EnvVar::not_supported(
        "PATRONI_RESTAPI_LISTEN",
        "where the member listens, often a wildcard address; the address to reach it is PATRONI_RESTAPI_CONNECT_ADDRESS",
    ),
    EnvVar::not_supported("PATRONI_RESTAPI_KEYFILE", "the server's private key; a client never needs it"),
    EnvVar::not_supported("PATRONI_RESTAPI_KEYFILE_PASSWORD", "the password of the server's private key"),
    EnvVar::not_supported("PATRONI_RESTAPI_CIPHERS", "a server setting (the ciphers Patroni accepts)"),
    EnvVar::not_supported("PATRONI_RESTAPI_VERIFY_CLIENT", "a server setting; PATRONI_CTL_CERTFILE answers it"),
    EnvVar::not_supported("PATRONI_RESTAPI_ALLOWLIST", "a server setting (who may call the unsafe endpoints)"),
    EnvVar::not_supported(
        "PATRONI_RESTAPI_ALLOWLIST_INCLUDE_MEMBERS",
        "a server setting (who may call the unsafe endpoints)",
    ),
    EnvVar::not_supported("PATRONI_RESTAPI_HTTP_EXTRA_HEADERS", "a server setting (headers Patroni adds to answers)"),
    EnvVar::not_supported("PATRONI_RESTAPI_HTTPS_EXTRA_HEADERS", "a server setting (headers Patroni adds to answers)"),
    EnvVar::not_supported("PATRONI_RESTAPI_REQUEST_QUEUE_SIZE", "a server setting (Patroni's listen backlog)"),
    EnvVar::not_supported("PATRONI_RESTAPI_SERVER_TOKENS", "a server setting (Patroni's Server header)"),
];

/// A client for one Patroni member's REST API. Cheap to clone: clones share
/// the connection pool.
///
/// ```no_run
/// use patroni_client::PatroniClient;
/// # async fn demo() -> patroni_client::Result<()> {
/// let member = PatroniClient::builder().address("http://10.0.0.4:8008").basic_auth("patroni", "secret").build()?;
/// println!("{} is {}", member.url(), member.status().await?.role);
/// let from_env = PatroniClient::from_env()?; // PATRONI_RESTAPI_CONNECT_ADDRESS, PATRONI_CTL_*...
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PatroniClient {
    http: HttpClient,
    base: String,
}

/// Builds a [`PatroniClient`]: address, basic auth, TLS, timeouts, retries.
///
/// Starts from Patroni's defaults ([`DEFAULT_ADDRESS`], 10 s per request,
/// 3 s to connect, two retries of idempotent reads within 10 s), or from the
/// environment ([`PatroniClientBuilder::from_env`]); each call overrides what
/// came before it. A bad value is reported by [`PatroniClientBuilder::build`].
#[derive(Debug)]
pub struct PatroniClientBuilder {
    config: ClientConfig,
    /// The first invalid value given, reported by `build`.
    error: Option<Error>,
}

impl Default for PatroniClientBuilder {
    fn default() -> Self {
        let address = Url::parse(DEFAULT_ADDRESS).expect("the default address is a URL");
        Self { config: default_config(address), error: None }
    }
}

impl PatroniClientBuilder {
    /// A builder with Patroni's defaults (see the type's docs).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder started from the process environment ([`ENV_VARS`]).
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// A builder started from the variables `lookup` answers, read as
    /// [`ENV_SPEC`] says (testable without touching the process environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        Ok(Self { config: read_env(&ENV_SPEC, lookup)?, error: None })
    }

    /// The member's REST API address: a URL (`http://10.0.0.4:8008`) or
    /// `host:port` (then `http://`). An `api_url` ending in `/patroni`, as
    /// the DCS and `/cluster` report it, is accepted.
    #[must_use]
    pub fn address(mut self, url: &str) -> Self {
        match member_address(url) {
            Ok(address) => self.config.address = address,
            Err(e) => self.fail(e),
        }
        self
    }

    /// Sends `Authorization: Basic` with these credentials (Patroni's
    /// `restapi.authentication`); only unsafe endpoints check them.
    #[must_use]
    pub fn basic_auth(mut self, username: &str, password: impl Into<Secret>) -> Self {
        match check_username("Patroni REST API username", username) {
            Ok(()) => self.config = self.config.with_basic_auth(username, password),
            Err(e) => self.fail(e),
        }
        self
    }

    /// Trusts an extra CA certificate (PEM) for an `https://` REST API.
    #[must_use]
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.config = self.config.with_ca_pem(pem);
        self
    }

    /// Presents a client certificate (Patroni's `restapi.verify_client`).
    #[must_use]
    pub fn client_identity(mut self, cert_pem: impl Into<Vec<u8>>, key_pem: impl Into<Secret>) -> Self {
        self.config = self.config.with_client_identity(cert_pem, key_pem);
        self
    }

    client_core::builder_setters!(timeout retry);

    /// Replaces the whole configuration (address, TLS, timeouts...) with
    /// `config`, taken as given: Patroni's defaults do not apply to it.
    #[must_use]
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// Edits the configuration built so far (connect timeout, body limit, headers...).
    #[must_use]
    pub fn configure(mut self, edit: impl FnOnce(ClientConfig) -> ClientConfig) -> Self {
        self.config = edit(self.config);
        self
    }

    /// Builds the client: the first invalid value given, or bad TLS
    /// material, is reported here.
    pub fn build(self) -> Result<PatroniClient> {
        match self.error {
            Some(e) => Err(e),
            None => PatroniClient::new(self.config),
        }
    }

    fn fail(&mut self, error: Error) {
        self.error.get_or_insert(error);
    }
}

impl PatroniClient {
    /// Timeout given to operations that block until done (switchover,
    /// failover, restart).
    pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(90);

    /// A client for `config`, taken as given (its address may end in
    /// `/patroni`, as an `api_url` does). [`PatroniClient::builder`] starts
    /// from Patroni's shorter timeouts instead.
    pub fn new(mut config: ClientConfig) -> Result<Self> {
        config.address = without_patroni_path(config.address);
        let base = config.address.as_str().trim_end_matches('/').to_owned();
        Ok(Self { http: HttpClient::new(config)?, base })
    }

    /// A builder with Patroni's defaults; see [`PatroniClientBuilder`].
    #[must_use]
    pub fn builder() -> PatroniClientBuilder {
        PatroniClientBuilder::new()
    }

    /// A client read from the process environment, as [`ENV_SPEC`] says:
    /// `PATRONI_RESTAPI_CONNECT_ADDRESS`, credentials (`PATRONI_CTL_USERNAME`
    /// / `PATRONI_CTL_PASSWORD`, else `PATRONI_RESTAPI_USERNAME` /
    /// `PATRONI_RESTAPI_PASSWORD`), TLS (`PATRONI_CTL_CACERT`, else
    /// `PATRONI_RESTAPI_CAFILE`; `PATRONI_CTL_CERTFILE`, `PATRONI_CTL_KEYFILE`,
    /// `PATRONI_CTL_INSECURE`) and the proxy and trust-store variables;
    /// every variable in [`ENV_VARS`].
    pub fn from_env() -> Result<Self> {
        PatroniClientBuilder::from_env()?.build()
    }

    /// Like [`PatroniClient::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        PatroniClientBuilder::from_lookup(lookup)?.build()
    }

    /// A client for another member of the same cluster, with the same
    /// credentials, TLS and timeouts (e.g. the leader found in `/cluster`),
    /// sharing nothing else.
    pub fn for_member(&self, url: &str) -> Result<Self> {
        let mut config = self.http.config().clone();
        config.address = member_address(url)?;
        Self::new(config)
    }

    /// The REST API's base URL.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.base
    }

    /// The shared HTTP client (configuration, raw requests).
    #[must_use]
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// A `GET` of a safe endpoint, decoded.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &'static str) -> Result<T> {
        Ok(self.http.json(Request::get(path)).await?)
    }

    /// Sends an unsafe request; an API error becomes [`Error::Refused`]
    /// carrying Patroni's own text.
    pub(crate) async fn operation(&self, request: Request, action: &str) -> Result<client_core::Response> {
        match self.http.send(request).await {
            Ok(resp) => Ok(resp),
            Err(client_core::Error::Api { status, message, .. }) => {
                Err(Error::Refused { member: self.base.clone(), action: action.to_owned(), status, message })
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Patroni's client defaults for `address`.
fn default_config(address: Url) -> ClientConfig {
    let mut config = ClientConfig::new(DEFAULT_ADDRESS, "Authorization")
        .expect("the default address is valid")
        .with_timeout(DEFAULT_TIMEOUT)
        .with_connect_timeout(Duration::from_secs(3))
        .with_retry(RetryPolicy::default().with_max_retries(2).with_max_elapsed(Duration::from_secs(10)));
    config.address = address;
    config
}

/// Parses a member address given to the builder or `for_member`.
fn member_address(url: &str) -> Result<Url> {
    let trimmed = url.trim().trim_end_matches('/');
    let trimmed = trimmed.strip_suffix("/patroni").unwrap_or(trimmed);
    client_core::config::parse_address("Patroni REST API address", trimmed, false)
        .map_err(|_| Error::invalid("Patroni REST API address", url, "expected a URL such as http://10.0.0.4:8008"))
}

/// The address without the `/patroni` path of an `api_url`.
fn without_patroni_path(mut address: Url) -> Url {
    let path = address.path().trim_end_matches('/');
    if let Some(base) = path.strip_suffix("/patroni") {
        let base = base.to_owned();
        address.set_path(&base);
    }
    address
}

fn check_username(what: &str, username: &str) -> Result<()> {
    if username.contains(':') {
        return Err(Error::invalid(what, username, "must not contain ':' (basic auth splits user and password there)"));
    }
    Ok(())
}

/// A configuration error naming the variable.
fn env_error(var: &str, reason: impl Into<String>) -> Error {
    Error::Core(client_core::Error::config(var, reason))
}

/// Patroni's `parse_bool`: `on`/`true`/`yes`/`1` and `off`/`false`/`no`/`0`,
/// any case. Patroni ignores other words silently; here they are an error.
fn python_bool(var: &str, value: &str) -> Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        _ => Err(env_error(var, format!("{value:?} is not a boolean; expected on/true/yes/1 or off/false/no/0"))),
    }
}

fn read_pem(var: &str, path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| env_error(var, format!("cannot read {path:?}: {e}")))
}

/// Reads a configuration from the environment as `spec` says.
fn read_env(spec: &PatroniEnvSpec, lookup: impl Fn(&str) -> Option<String>) -> Result<ClientConfig> {
    let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let https = get(spec.server_certfile).is_some();
    let address = match get(spec.connect_address) {
        Some(value) => {
            let trimmed = value.trim_end_matches('/');
            let trimmed = trimmed.strip_suffix("/patroni").unwrap_or(trimmed);
            client_core::config::parse_address(spec.connect_address, trimmed, https).map_err(|_| {
                env_error(
                    spec.connect_address,
                    format!("{value:?} is not an address; expected host:port (as restapi.connect_address) or a URL"),
                )
            })?
        }
        None => Url::parse(spec.default_address)
            .map_err(|e| env_error("default address", format!("{:?}: {e}", spec.default_address)))?,
    };
    let mut config = default_config(address);
    config.proxy = ProxyConfig::from_lookup(&[], get)?;
    let roots_file = get("SSL_CERT_FILE").map(Into::into);
    let roots_dirs: Vec<_> = get("SSL_CERT_DIR")
        .map(|d| std::env::split_paths(&d).filter(|p| !p.as_os_str().is_empty()).collect())
        .unwrap_or_default();
    if roots_file.is_some() || !roots_dirs.is_empty() {
        config.tls.system_roots = SystemRoots::Paths { file: roots_file, dirs: roots_dirs };
    }
    for (user_var, password_var) in spec.auth {
        match (get(user_var), lookup(password_var).filter(|p| !p.is_empty())) {
            (Some(user), Some(password)) => {
                check_username(user_var, &user)?;
                config = config.with_basic_auth(user, password);
                break;
            }
            (Some(_), None) => {
                return Err(env_error(password_var, format!("is unset while {user_var} is set; set both or neither")));
            }
            (None, Some(_)) => {
                return Err(env_error(user_var, format!("is unset while {password_var} is set; set both or neither")));
            }
            (None, None) => {}
        }
    }
    if let Some((var, path)) = spec.cacert.iter().find_map(|var| get(var).map(|path| (*var, path))) {
        let named = |e: client_core::Error| match e {
            client_core::Error::Config { reason, .. } => env_error(var, reason),
            other => other.into(),
        };
        config = if Path::new(&path).is_dir() {
            config.with_ca_dir(&path).map_err(named)?
        } else {
            config.with_ca_pem(read_pem(var, &path)?)
        };
    }
    let has_identity = match (get(spec.certfile), get(spec.keyfile)) {
        (Some(cert), key) => {
            let cert_pem = read_pem(spec.certfile, &cert)?;
            let key_pem = match key {
                Some(key) => read_pem(spec.keyfile, &key)?,
                None => cert_pem.clone(),
            };
            config = config.with_client_identity(cert_pem, String::from_utf8_lossy(&key_pem).into_owned());
            true
        }
        (None, Some(_)) => {
            return Err(env_error(spec.keyfile, format!("is set without {}; name the certificate too", spec.certfile)));
        }
        (None, None) => false,
    };
    if let Some(value) = get(spec.insecure) {
        if python_bool(spec.insecure, &value)? && !has_identity {
            config = config.danger_skip_verify(true);
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_urls_lose_their_patroni_path() {
        let url = |s: &str| without_patroni_path(Url::parse(s).unwrap()).to_string();
        assert_eq!(url("http://10.0.0.4:8008/patroni"), "http://10.0.0.4:8008/");
        assert_eq!(url("http://10.0.0.4:8008/patroni/"), "http://10.0.0.4:8008/");
        assert_eq!(url("http://10.0.0.4:8008/"), "http://10.0.0.4:8008/");
        assert_eq!(member_address("10.0.0.4:8008/patroni").unwrap().as_str(), "http://10.0.0.4:8008/");
    }

    #[test]
    fn booleans_are_read_as_patroni_reads_them() {
        for yes in ["on", "TRUE", "Yes", "1"] {
            assert!(python_bool("PATRONI_CTL_INSECURE", yes).unwrap(), "{yes}");
        }
        for no in ["off", "False", "no", "0"] {
            assert!(!python_bool("PATRONI_CTL_INSECURE", no).unwrap(), "{no}");
        }
        let err = python_bool("PATRONI_CTL_INSECURE", "maybe").unwrap_err().to_string();
        assert!(err.contains("PATRONI_CTL_INSECURE") && err.contains("\"maybe\""), "{err}");
    }
}
