//! `POST/DELETE /restart`: restarting PostgreSQL on a member, now or scheduled.

use chrono::{DateTime, FixedOffset};
use client_core::Request;
use serde::Serialize;

use crate::client::PatroniClient;
use crate::error::Result;
use crate::outcome::Outcome;

/// The role filter of a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RestartRole {
    /// Only if the member is the primary (sent as `primary`; 3.x also accepts it).
    Primary,
    /// Only if the member is a standby leader (4.x).
    StandbyLeader,
    /// Only if the member is a replica.
    Replica,
}

/// `POST /restart` conditions; all optional (empty restarts now).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RestartOptions {
    /// Restart only if a restart is pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_pending: Option<bool>,
    /// Restart only if the member has this role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<RestartRole>,
    /// Restart only if PostgreSQL runs a version lower than this (`X.Y` or `X.Y.Z`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postgres_version: Option<String>,
    /// Seconds to wait for PostgreSQL to start (overrides `primary_start_timeout`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// Schedule the restart (time zone mandatory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<DateTime<FixedOffset>>,
}

impl PatroniClient {
    /// `POST /restart` with its conditions. An immediate restart blocks until done.
    pub async fn restart(&self, options: &RestartOptions) -> Result<Outcome> {
        let req = Request::post("/restart").json(options)?.timeout(Self::OPERATION_TIMEOUT);
        self.outcome(req, "restart").await
    }

    /// `DELETE /restart`: cancels a scheduled restart.
    pub async fn cancel_restart(&self) -> Result<Outcome> {
        self.outcome(Request::delete("/restart").idempotent(false), "cancel the scheduled restart").await
    }
}
