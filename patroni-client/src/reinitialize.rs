//! `POST /reinitialize`: a replica is wiped and re-created from the leader.

use client_core::Request;
use serde::Serialize;

use crate::client::PatroniClient;
use crate::error::Result;
use crate::outcome::Outcome;

/// `POST /reinitialize` options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReinitializeOptions {
    /// Cancel a running operation first.
    pub force: bool,
    /// Take the base backup from the leader (4.1+).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub from_leader: bool,
}

impl PatroniClient {
    /// `POST /reinitialize`: wipes this replica and re-creates it from the leader.
    pub async fn reinitialize(&self, options: &ReinitializeOptions) -> Result<Outcome> {
        let req = Request::post("/reinitialize").json(options)?;
        self.outcome(req, "reinitialize").await
    }
}
