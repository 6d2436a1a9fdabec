//! "Does this replica stream from the leader?", asked of the leader's Patroni REST API.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// One WAL sender of a leader, as its `/patroni` lists it under `replication[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalSender {
    /// The replica's `application_name`: Patroni sets it to the member name.
    pub application_name: String,
    /// The sender's state, `streaming` once the replica receives WAL.
    pub state: String,
}

/// Reads a member's `/patroni` status (only the parts the recipes need).
#[async_trait]
pub trait MemberApi: Send + Sync {
    /// The WAL senders of the member whose REST API is at `api_url` (as the DCS publishes
    /// it, e.g. `http://10.0.0.4:8008/patroni`).
    async fn wal_senders(&self, api_url: &str) -> Result<Vec<WalSender>>;
}

/// [`MemberApi`] over `patroni-client`: one short `GET /patroni` per call (3 s, no retry:
/// the caller polls), no credentials (`GET /patroni` needs none).
#[derive(Debug, Clone, Default)]
pub struct PatroniMemberApi {
    _private: (),
}

impl PatroniMemberApi {
    /// The default client.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl MemberApi for PatroniMemberApi {
    async fn wal_senders(&self, api_url: &str) -> Result<Vec<WalSender>> {
        let err = |e: patroni_client::Error| Error::backend(format!("Patroni REST API {api_url}"), e);
        let client = patroni_client::PatroniClient::builder(api_url)
            .map_err(err)?
            .timeout(Duration::from_secs(3))
            .retry(client_core::retry::RetryPolicy::disabled())
            .build()
            .map_err(err)?;
        let status = client.status().await.map_err(err)?;
        Ok(status
            .replication
            .into_iter()
            .map(|c| WalSender { application_name: c.application_name, state: c.state })
            .collect())
    }
}
