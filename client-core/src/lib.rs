//! Shared plumbing of the ops SDK's HTTP clients (Nomad, Consul, Vault, Patroni).
//!
//! Written once, used by every client:
//! - [`ClientConfig`]: address, token, TLS, timeouts, retry policy, rate
//!   limit, from a builder or from the environment with the official CLIs'
//!   variable names ([`EnvSpec`]).
//! - [`HttpClient`]: the one request pipeline. One pooled rustls client per
//!   client value; one retry loop ([`RetryPolicy`]: jittered exponential
//!   backoff within a time budget, `Retry-After` honoured, the statuses it
//!   retries are configuration); bounded bodies; redirects followed only to
//!   the same resource on allowed hosts; blocking queries
//!   ([`Request::blocking`], their timeout computed here); a [`Hook`] for
//!   what is one server's own (headers per attempt, a final verdict on an
//!   answer); one decode path ([`decode`]) whose errors quote the body only
//!   where the client allows ([`BodyInErrors`]); live answers as the SDK's
//!   own [`Streaming`] / [`ByteStream`] / [`Upgraded`]; a `tracing` span per request.
//! - [`blocking`]: the `index`/`wait` metadata ([`QueryMeta`]) and [`watch`].
//! - [`snapshot`]: the streaming check of a Raft snapshot archive (gzip, tar,
//!   `SHA256SUMS`) that Consul's, Nomad's and Vault's snapshot saves run, so a
//!   snapshot the server cut short is an error, not a backup.
//! - [`Error`]: API, transport, timeout, decode, config and input errors that
//!   never carry a token, and [`ClientError`], the checks every client's
//!   error answers; [`Secret`] prints `<redacted>`.
//!
//! # The client contract
//!
//! `nomad_client::NomadClient`, `consul_client::ConsulClient`,
//! `vault_client::VaultClient` and `patroni_client::PatroniClient` are built,
//! copied and used the same way (`safety-tests` checks it for all four):
//!
//! | | every client |
//! | --- | --- |
//! | build | `Client::new(ClientConfig)`, `Client::from_env()`, `Client::from_lookup(lookup)`, `Client::builder()` → `ClientBuilder` (`address`, `token`, `timeout`, `retry`, `config`, `build`; `ClientBuilder::from_env()` / `from_lookup()` start from the environment, and a builder call wins over it) |
//! | environment | `ENV_SPEC` ([`EnvSpec`]) and `ENV_VARS` (every variable of the official CLI, read or not supported and why) at the crate root (Patroni's `ENV_SPEC` is its own `PatroniEnvSpec`: patronictl's `PATRONI_*` variables) |
//! | copies | `with_token(&self, token) -> Self`, `with_namespace(&self, ns) -> Result<Self>` (the name checked) where the system has namespaces: cheap copies sharing one connection pool |
//! | handlers | `client.jobs()`, `client.kv()`…: each owns a copy of its client, so a handler and the streams it returns are `'static` |
//! | options | `QueryOptions` for reads (`namespace`/`datacenter`/`region`, `stale()`, `consistent()`, `filter`, `blocking(index, wait)`, `token`), `WriteOptions` for writes |
//! | verbs | `get` reads one named thing (an `Option` where absence is a normal answer, else a 404 is an error with `is_not_found()`), `list` lists, and writes use the API's own verb (`register`, `put`, `create`, `delete`, `deregister`) |
//! | metadata | reads that Consul and Nomad index return [`WithMeta`] (`value` + [`QueryMeta`]) |
//! | errors | one `Error` per crate, `Result<T, Error>`, implementing [`ClientError`] (`status`, `is_not_found`, `is_permission_denied`, `is_transient`, `core`) and re-exporting the trait |
//! | files | one module per API area, named for it (`jobs.rs`, `evaluations.rs`, `acl.rs`…), as the Go `api/` packages are |
//! | vocabularies | the API's status, role and type words as enums defined with [`string_enum!`]: a word a newer server sends decodes to `Unknown(word)` and encodes back unchanged |
//!
//! # Connecting
//!
//! Each client reads the variables of its official CLI, with one precedence
//! for every setting: **explicit builder call > environment variable > a file
//! the variable or CLI names > default**.
//!
//! | setting | builder | variables (`*` = `NOMAD`, `CONSUL`, `VAULT`) | default |
//! | --- | --- | --- | --- |
//! | address | [`ClientConfig::new`] | `NOMAD_ADDR`, `CONSUL_HTTP_ADDR`, `VAULT_AGENT_ADDR` > `VAULT_ADDR`; `unix:///path` too | the CLI's |
//! | trust | [`ClientConfig::with_ca_file`], [`ClientConfig::with_ca_dir`], [`ClientConfig::with_system_roots`] | `*_CACERT`, `*_CAPATH`, `VAULT_CACERT_BYTES`, `SSL_CERT_FILE`, `SSL_CERT_DIR` | system store ([`tls`]) |
//! | server name | [`ClientConfig::with_tls_server_name`] | `*_TLS_SERVER_NAME` | the address's host |
//! | client certificate | [`ClientConfig::with_client_identity`] | `*_CLIENT_CERT`, `*_CLIENT_KEY` | none |
//! | basic auth | [`ClientConfig::with_basic_auth`] | `NOMAD_HTTP_AUTH`, `CONSUL_HTTP_AUTH` | none |
//! | proxies | [`ClientConfig::proxy`] | `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, `VAULT_PROXY_ADDR` ([`proxy`]) | none |
//!
//! Every variable of each CLI's documented list, read or not supported and
//! why, is in the clients' `ENV_VARS` and the README's "Connecting"
//! section (a test keeps the three in step).
//!
//! ```no_run
//! use client_core::{ClientConfig, HttpClient, Request};
//! # async fn demo() -> client_core::Result<()> {
//! let cfg = ClientConfig::new("http://127.0.0.1:8500", "X-Consul-Token")?.with_token("secret");
//! let http = HttpClient::new(cfg)?;
//! let leader: String = http.json(Request::get("/v1/status/leader")).await?;
//! println!("leader: {leader}");
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! - `http` (default): the pipeline above. Without it the crate holds only
//!   what a crate with no HTTP of its own shares with the clients: [`Error`]
//!   and [`ClientError`], [`Secret`] and [`secret::redact`], the path and
//!   name checks ([`path`]), the decode path and [`string_enum!`]; `walg`
//!   uses it that way, so it builds without reqwest or rustls.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

// Always built: what a crate without HTTP (walg) shares with the clients.
pub mod decode;
pub mod error;
pub mod path;
pub mod secret;
pub mod vocab;

// The HTTP pipeline (feature `http`, on by default).
#[cfg(feature = "http")]
pub mod blocking;
#[cfg(feature = "http")]
pub mod builder;
#[cfg(feature = "http")]
pub mod config;
#[cfg(feature = "http")]
pub mod hook;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "http")]
pub mod proxy;
#[cfg(feature = "http")]
pub mod ratelimit;
#[cfg(feature = "http")]
pub mod request;
#[cfg(feature = "http")]
pub mod retry;
#[cfg(feature = "http")]
pub mod snapshot;
#[cfg(feature = "http")]
pub mod stream;
#[cfg(feature = "http")]
pub mod tls;

pub use decode::BodyInErrors;
pub use error::{ClientError, Error, Result};
pub use secret::Secret;

#[cfg(feature = "http")]
pub use blocking::{BlockingOptions, QueryMeta, WatchOptions, WithMeta, watch};
#[cfg(feature = "http")]
pub use config::{BasicAuth, ClientConfig, EnvSpec, EnvVar, RedirectPolicy, Support, SystemRoots, TlsConfig};
#[cfg(feature = "http")]
pub use hook::{Answer, Hook, Verdict};
#[cfg(feature = "http")]
pub use http::{HttpClient, Response};
#[cfg(feature = "http")]
pub use request::Request;
#[cfg(feature = "http")]
pub use retry::RetryPolicy;
#[cfg(feature = "http")]
pub use stream::{ByteStream, Streaming, Upgraded};

/// Re-exported so clients and callers name the same versions.
pub use ::http::{HeaderMap, Method, StatusCode};
#[cfg(feature = "http")]
pub use ::url::Url;

/// What [`string_enum!`] expands to names; not an API.
#[doc(hidden)]
pub mod __private {
    pub use serde;
}

// The README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
