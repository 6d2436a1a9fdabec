//! Status: `/v1/status` (the Raft leader and peers as this agent's server sees them).

use client_core::Request;

use crate::client::ConsulClient;
use crate::error::Result;

/// The status handler: `consul.status()`.
#[derive(Debug, Clone)]
pub struct Status {
    client: ConsulClient,
}

impl ConsulClient {
    /// Raft leader and peers.
    #[must_use]
    pub fn status(&self) -> Status {
        Status { client: self.clone() }
    }
}

impl Status {
    /// The leader's Raft address (`ip:port`); `None` when there is no leader.
    pub async fn leader(&self) -> Result<Option<String>> {
        let leader: String = self.client.json(Request::get("/v1/status/leader")).await?;
        Ok(Some(leader).filter(|l| !l.is_empty()))
    }

    /// Raft addresses of the voting servers.
    pub async fn peers(&self) -> Result<Vec<String>> {
        Ok(self.client.json::<Option<Vec<String>>>(Request::get("/v1/status/peers")).await?.unwrap_or_default())
    }
}
