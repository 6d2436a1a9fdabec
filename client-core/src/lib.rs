//! Shared plumbing of the ops SDK's HTTP clients (Nomad, Consul, Vault, Patroni).
//!
//! Written once, used by every client:
//! - [`ClientConfig`]: address, token, TLS and timeouts from a builder or from
//!   the environment with the official CLIs' variable names ([`EnvSpec`]).
//! - [`HttpClient`]: one pooled rustls client per client value, retries with
//!   jittered exponential backoff for idempotent requests only (honouring
//!   `Retry-After`), bounded response bodies, redirects followed only to
//!   allowed hosts, a `tracing` span per request.
//! - [`blocking`]: the `index`/`wait` blocking-query protocol and [`watch`].
//! - [`Error`]: API, transport, timeout, decode, config and input errors that
//!   never carry a token; [`Secret`] prints `<redacted>`.
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
//! why, is in the clients' `client::ENV_VARS` and the README's "Connecting"
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
#![deny(missing_docs)]

pub mod blocking;
pub mod config;
pub mod error;
pub mod http;
pub mod path;
pub mod proxy;
pub mod ratelimit;
pub mod request;
pub mod retry;
pub mod secret;
pub mod tls;

pub use blocking::{BlockingOptions, QueryMeta, WatchOptions, WithMeta, watch};
pub use config::{BasicAuth, ClientConfig, EnvSpec, EnvVar, RedirectPolicy, Support, SystemRoots, TlsConfig};
pub use error::{Error, Result};
pub use http::{HttpClient, Response};
pub use request::Request;
pub use retry::RetryPolicy;
pub use secret::Secret;

/// Re-exported so clients and callers name the same versions.
pub use ::http::{HeaderMap, Method, StatusCode};
pub use ::url::Url;
