//! Operations on a member: switchover, failover, restart, reload,
//! reinitialize, and cancelling scheduled ones.

use chrono::{DateTime, FixedOffset};
use client_core::Request;
use serde::Serialize;

use crate::client::PatroniClient;
use crate::error::{Error, Result};

/// What Patroni answered to an accepted operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// 200 done, 202 scheduled/accepted.
    pub status: u16,
    /// Patroni's text, e.g. `Successfully switched over to "dbHA2"`.
    pub message: String,
}

impl Outcome {
    /// True when Patroni scheduled the operation for later (HTTP 202).
    #[must_use]
    pub fn is_scheduled(&self) -> bool {
        self.status == 202
    }
}

/// `POST /switchover`: hand the leader role from `leader` to a replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Switchover {
    /// The current leader (Patroni refuses when it does not match).
    pub leader: String,
    /// The new leader; Patroni picks the best replica when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate: Option<String>,
    /// Perform it later (time zone mandatory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_at: Option<DateTime<FixedOffset>>,
}

impl Switchover {
    /// A switchover away from `leader`, to whichever replica Patroni picks.
    #[must_use]
    pub fn from_leader(leader: &str) -> Self {
        Self { leader: leader.to_owned(), candidate: None, scheduled_at: None }
    }

    /// Names the new leader.
    #[must_use]
    pub fn to(mut self, candidate: &str) -> Self {
        self.candidate = Some(candidate.to_owned());
        self
    }

    /// Schedules it.
    #[must_use]
    pub fn at(mut self, when: DateTime<FixedOffset>) -> Self {
        self.scheduled_at = Some(when);
        self
    }
}

/// `POST /failover`: promote `candidate` (works without a healthy leader).
///
/// A failover is meant for a cluster that lost its leader. While a healthy
/// leader runs, [`PatroniClient::failover`] refuses unless the caller says
/// explicitly that this is meant ([`Failover::despite_healthy_leader`]), as
/// `patronictl failover` asks for confirmation; a planned change of leader is
/// a [`Switchover`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failover {
    /// The member to promote.
    pub candidate: String,
    /// The current leader, when known (turns it into a switchover).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader: Option<String>,
    /// Fail over even though the cluster has a healthy leader (not sent).
    #[serde(skip)]
    pub despite_healthy_leader: bool,
}

impl Failover {
    /// A failover to `candidate`, refused while a healthy leader runs.
    #[must_use]
    pub fn to(candidate: &str) -> Self {
        Self { candidate: candidate.to_owned(), leader: None, despite_healthy_leader: false }
    }

    /// Says that a failover is meant although the cluster has a healthy
    /// leader: that leader is demoted without the checks of a switchover.
    #[must_use]
    pub fn despite_healthy_leader(mut self) -> Self {
        self.despite_healthy_leader = true;
        self
    }
}

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
    /// `POST /switchover`. An immediate switchover blocks until done.
    pub async fn switchover(&self, request: &Switchover) -> Result<Outcome> {
        check_member_name("switchover leader", &request.leader)?;
        if let Some(candidate) = &request.candidate {
            check_member_name("switchover candidate", candidate)?;
        }
        let req = Request::post("/switchover").json(request)?.timeout(Self::OPERATION_TIMEOUT);
        self.outcome(req, "switch over").await
    }

    /// `POST /failover`. Blocks until done.
    ///
    /// First reads `GET /cluster` from this member: while a leader runs
    /// there, the failover is refused before anything is sent
    /// ([`Error::Guarded`], pointing to [`PatroniClient::switchover`]), unless
    /// [`Failover::despite_healthy_leader`] says it is meant. A cluster view
    /// that cannot be read refuses too: the guard never guesses.
    pub async fn failover(&self, request: &Failover) -> Result<Outcome> {
        check_member_name("failover candidate", &request.candidate)?;
        if let Some(leader) = &request.leader {
            check_member_name("failover leader", leader)?;
        }
        if !request.despite_healthy_leader {
            self.refuse_failover_over_healthy_leader(request).await?;
        }
        let req = Request::post("/failover").json(request)?.timeout(Self::OPERATION_TIMEOUT);
        self.outcome(req, "fail over").await
    }

    /// `DELETE /switchover`: cancels a scheduled switchover.
    pub async fn cancel_switchover(&self) -> Result<Outcome> {
        self.outcome(Request::delete("/switchover").idempotent(false), "cancel the scheduled switchover").await
    }

    /// `POST /restart` with its conditions. An immediate restart blocks until done.
    pub async fn restart(&self, options: &RestartOptions) -> Result<Outcome> {
        let req = Request::post("/restart").json(options)?.timeout(Self::OPERATION_TIMEOUT);
        self.outcome(req, "restart").await
    }

    /// `DELETE /restart`: cancels a scheduled restart.
    pub async fn cancel_restart(&self) -> Result<Outcome> {
        self.outcome(Request::delete("/restart").idempotent(false), "cancel the scheduled restart").await
    }

    /// `POST /reload`: re-reads the configuration (like SIGHUP).
    pub async fn reload(&self) -> Result<Outcome> {
        self.outcome(Request::post("/reload"), "reload").await
    }

    /// `POST /reinitialize`: wipes this replica and re-creates it from the leader.
    pub async fn reinitialize(&self, options: &ReinitializeOptions) -> Result<Outcome> {
        let req = Request::post("/reinitialize").json(options)?;
        self.outcome(req, "reinitialize").await
    }

    async fn refuse_failover_over_healthy_leader(&self, request: &Failover) -> Result<()> {
        let refuse =
            |reason: String| Error::Guarded { member: self.url().to_owned(), action: "fail over".to_owned(), reason };
        let cluster = self.cluster().await.map_err(|e| {
            refuse(format!(
                "the cluster's state could not be read to check that it has no healthy leader ({e}); nothing was \
                 sent. Use switchover for a planned change of leader, or Failover::despite_healthy_leader to fail \
                 over regardless"
            ))
        })?;
        match cluster.leader().filter(|l| l.state.is_running()) {
            Some(leader) => Err(refuse(format!(
                "the cluster has a healthy leader, {} ({}); nothing was sent. A failover demotes it without the \
                 checks of a switchover: use switchover (Switchover::from_leader({:?}).to({:?})), or say \
                 Failover::despite_healthy_leader if a failover is really meant",
                leader.name, leader.state, leader.name, request.candidate
            ))),
            None => Ok(()),
        }
    }

    async fn outcome(&self, request: Request, action: &str) -> Result<Outcome> {
        let resp = self.operation(request, action).await?;
        let message = String::from_utf8_lossy(&resp.body).trim().to_owned();
        Ok(Outcome { status: resp.status.as_u16(), message })
    }
}

fn check_member_name(what: &str, name: &str) -> Result<()> {
    client_core::path::validate_name(what, name, 256)?;
    if name.trim() != name {
        return Err(Error::invalid(what, name, "must not start or end with whitespace"));
    }
    Ok(())
}
