//! "Does this replica stream from the leader?", asked of the leader's Patroni REST API.

use async_trait::async_trait;
use patroni_client::WalSenderState;
use serde::{Deserialize, Serialize};

use crate::Result;

/// One WAL sender of a leader, as its `/patroni` lists it under `replication[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalSender {
    /// The replica's `application_name`: Patroni sets it to the member name.
    pub application_name: String,
    /// The sender's state, [`WalSenderState::Streaming`] once the replica receives WAL.
    pub state: WalSenderState,
}

/// Reads a member's `/patroni` status (only the parts the recipes need).
#[async_trait]
pub trait MemberApi: Send + Sync {
    /// The WAL senders of the member whose REST API is at `api_url` (as the DCS publishes
    /// it, e.g. `http://10.0.0.4:8008/patroni`).
    async fn wal_senders(&self, api_url: &str) -> Result<Vec<WalSender>>;
}
