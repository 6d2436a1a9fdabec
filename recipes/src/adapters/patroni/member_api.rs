//! [`MemberApi`] over the Patroni REST API client.

use std::time::Duration;

use async_trait::async_trait;

use crate::ports::{MemberApi, WalSender};
use crate::{Error, Result};

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
        let client = patroni_client::PatroniClient::builder()
            .address(api_url)
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
