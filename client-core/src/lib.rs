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
pub use config::{BasicAuth, ClientConfig, EnvSpec, RedirectPolicy, SystemRoots, TlsConfig};
pub use error::{Error, Result};
pub use http::{HttpClient, Response};
pub use request::Request;
pub use retry::RetryPolicy;
pub use secret::Secret;

/// Re-exported so clients and callers name the same versions.
pub use ::http::{HeaderMap, Method, StatusCode};
pub use ::url::Url;
