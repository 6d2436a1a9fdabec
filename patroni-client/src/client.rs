//! The member client: one Patroni REST API endpoint.

use std::time::Duration;

use base64::Engine as _;
use client_core::{ClientConfig, HttpClient, Request, RetryPolicy, Secret};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::cluster::ClusterInfo;
use crate::config::{ConfigPatch, DynamicConfig};
use crate::error::{Error, Result};
use crate::history::HistoryEntry;
use crate::status::MemberStatus;

/// Default per-request timeout. Immediate switchovers and failovers block
/// until done (Patroni polls up to ~2 x max(10, loop_wait) s), so they get
/// [`PatroniClient::OPERATION_TIMEOUT`] instead.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client for one Patroni member's REST API. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PatroniClient {
    http: HttpClient,
    base: String,
}

/// Builds a [`PatroniClient`] with basic auth, TLS and timeouts.
#[derive(Debug, Clone)]
pub struct PatroniClientBuilder {
    config: ClientConfig,
    auth: Option<(String, Secret)>,
}

impl PatroniClientBuilder {
    /// Sends `Authorization: Basic` with these credentials (Patroni's
    /// `restapi.authentication`); only unsafe endpoints check them.
    #[must_use]
    pub fn basic_auth(mut self, username: &str, password: impl Into<Secret>) -> Self {
        self.auth = Some((username.to_owned(), password.into()));
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

    /// Sets the per-request timeout (default 10 s; operations that block
    /// until done use at least [`PatroniClient::OPERATION_TIMEOUT`]).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config = self.config.with_timeout(timeout);
        self
    }

    /// Sets the retry policy of idempotent reads.
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.config = self.config.with_retry(retry);
        self
    }

    /// Edits the underlying configuration (TLS, connect timeout, headers...).
    #[must_use]
    pub fn configure(mut self, edit: impl FnOnce(ClientConfig) -> ClientConfig) -> Self {
        self.config = edit(self.config);
        self
    }

    /// Builds the client; bad TLS material is reported here.
    pub fn build(self) -> Result<PatroniClient> {
        let mut config = self.config;
        if let Some((user, password)) = &self.auth {
            if user.contains(':') {
                return Err(Error::invalid("Patroni REST API username", user, "must not contain ':'"));
            }
            let raw = format!("{user}:{}", password.expose());
            config.token_header = "Authorization".to_owned();
            config.token =
                Some(Secret::new(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))));
        }
        let base = config.address.as_str().trim_end_matches('/').to_owned();
        Ok(PatroniClient { http: HttpClient::new(config)?, base })
    }
}

impl PatroniClient {
    /// Timeout given to operations that block until done (switchover,
    /// failover, restart).
    pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(90);

    /// A client for the REST API at `url` (`http://10.0.0.4:8008`; an
    /// `api_url` ending in `/patroni`, as the DCS stores it, is accepted).
    pub fn new(url: &str) -> Result<Self> {
        Self::builder(url)?.build()
    }

    /// A builder for the REST API at `url`.
    pub fn builder(url: &str) -> Result<PatroniClientBuilder> {
        let trimmed = url.trim().trim_end_matches('/');
        let trimmed = trimmed.strip_suffix("/patroni").unwrap_or(trimmed);
        let config = ClientConfig::new(trimmed, "Authorization")
            .map_err(|_| {
                Error::invalid("Patroni REST API address", url, "expected a URL such as http://10.0.0.4:8008")
            })?
            .with_timeout(DEFAULT_TIMEOUT)
            .with_connect_timeout(Duration::from_secs(3))
            .with_retry(RetryPolicy::default().with_max_retries(2).with_max_elapsed(Duration::from_secs(10)));
        Ok(PatroniClientBuilder { config, auth: None })
    }

    /// A client for another member of the same cluster, with the same
    /// credentials, TLS and timeouts (e.g. the leader found in `/cluster`).
    pub fn for_member(&self, url: &str) -> Result<Self> {
        let trimmed = url.trim().trim_end_matches('/');
        let trimmed = trimmed.strip_suffix("/patroni").unwrap_or(trimmed);
        let mut config = self.http.config().clone();
        config.address = client_core::config::parse_address("member API URL", trimmed, false)?;
        Ok(Self { base: config.address.as_str().trim_end_matches('/').to_owned(), http: HttpClient::new(config)? })
    }

    /// The REST API's base URL.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.base
    }

    /// The shared HTTP client.
    #[must_use]
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// `GET /patroni`: this member's status.
    pub async fn status(&self) -> Result<MemberStatus> {
        self.get("/patroni").await
    }

    /// `GET /cluster`: every member as the DCS sees it.
    pub async fn cluster(&self) -> Result<ClusterInfo> {
        self.get("/cluster").await
    }

    /// `GET /history`: the timeline history.
    pub async fn history(&self) -> Result<Vec<HistoryEntry>> {
        self.get("/history").await
    }

    /// `GET /config`: the dynamic configuration.
    pub async fn config(&self) -> Result<DynamicConfig> {
        self.get("/config").await
    }

    /// `GET /config` as raw JSON.
    pub async fn config_raw(&self) -> Result<Value> {
        self.get("/config").await
    }

    /// `PATCH /config`: merges `patch` into the configuration; returns the
    /// new configuration.
    pub async fn patch_config(&self, patch: &ConfigPatch) -> Result<DynamicConfig> {
        self.patch_config_as(&patch.as_json()).await
    }

    /// `PATCH /config` with a raw JSON object (`null` deletes a key);
    /// returns the new configuration as raw JSON.
    pub async fn patch_config_raw(&self, patch: &Value) -> Result<Value> {
        self.patch_config_as(patch).await
    }

    async fn patch_config_as<T: DeserializeOwned>(&self, patch: &Value) -> Result<T> {
        if !patch.is_object() {
            return Err(Error::invalid("config patch", &patch.to_string(), "must be a JSON object"));
        }
        let request = Request::patch("/config").json(patch)?;
        Ok(self.operation(request, "patch the configuration").await?.json()?)
    }

    /// `PUT /config`: replaces the whole configuration unconditionally;
    /// returns what Patroni stored.
    pub async fn replace_config(&self, config: &DynamicConfig) -> Result<DynamicConfig> {
        let request = Request::put("/config").json(config)?;
        let resp = self.operation(request, "replace the configuration").await?;
        Ok(resp.json()?)
    }

    async fn get<T: DeserializeOwned>(&self, path: &'static str) -> Result<T> {
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
