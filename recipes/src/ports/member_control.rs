//! Acting on one Patroni member through its REST API: read what it runs, restart it, hand
//! its leadership to another member.

use async_trait::async_trait;
use patroni_client::{Role, State};
use serde::{Deserialize, Serialize};

use crate::Result;

/// What one member reports about itself (its `GET /patroni`), as the restart and replace
/// recipes need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRuntime {
    /// The member's role ([`Role::Primary`] on the leader).
    pub role: Role,
    /// PostgreSQL's state ([`State::Running`] once it serves).
    pub state: State,
    /// A changed parameter waits for a restart of this member.
    pub pending_restart: bool,
    /// The parameters waiting for the restart, e.g. `max_connections: 20 -> 33` (Patroni
    /// 4.x says which; empty when it does not).
    pub pending_reasons: Vec<String>,
    /// When the postmaster started (Patroni's text): a restart changes it.
    pub postmaster_start_time: Option<String>,
}

/// Reads and acts on Patroni members by their REST API URL (as the DCS publishes it, e.g.
/// `http://10.0.0.4:8008/patroni`).
#[async_trait]
pub trait MemberControl: Send + Sync {
    /// The member's own status.
    async fn runtime(&self, api_url: &str) -> Result<MemberRuntime>;

    /// Restarts the member's PostgreSQL (`POST /restart`) and returns Patroni's answer once
    /// it is done.
    async fn restart(&self, api_url: &str) -> Result<String>;

    /// Asks the leader `leader` (at `api_url`) to hand over to `candidate`
    /// (`POST /switchover`) and returns Patroni's answer once it is done.
    async fn switchover(&self, api_url: &str, leader: &str, candidate: &str) -> Result<String>;
}
