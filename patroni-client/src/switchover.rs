//! `POST/DELETE /switchover` and `POST /failover`: changing the leader.

use chrono::{DateTime, FixedOffset};
use client_core::Request;
use serde::Serialize;

use crate::client::PatroniClient;
use crate::error::{Error, Result};
use crate::outcome::Outcome;

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
}

fn check_member_name(what: &str, name: &str) -> Result<()> {
    client_core::path::validate_name(what, name, 256)?;
    if name.trim() != name {
        return Err(Error::invalid(what, name, "must not start or end with whitespace"));
    }
    Ok(())
}
