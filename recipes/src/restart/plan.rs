//! The restart's dry run: the cluster's health, each member's `pending_restart`, and the
//! order of the restarts.

use std::sync::Arc;

use super::Restart;
use crate::bootstrap::wait::{Recovery, ReplicasReady};
use crate::ports::{ClusterStatus, MemberStatus, ScopeSnapshot};
use crate::report::{Check, Plan, Step};
use crate::run::Readiness;
use crate::{Error, Result};

/// What the dry run found: who leads, and who waits for a restart.
#[derive(Debug, Clone)]
pub(super) struct Survey {
    /// The leader at the time of the survey.
    pub(super) leader: String,
    /// The replicas with a restart pending, in name order.
    pub(super) pending_replicas: Vec<String>,
    /// The leader has a restart pending.
    pub(super) leader_pending: bool,
}

impl Restart {
    /// Dry run: checks the cluster's health and every member's `pending_restart`, and
    /// returns the restarts in order, or [`Error::Refused`] with every reason.
    pub async fn plan(&self) -> Result<Plan> {
        Ok(self.survey().await?.0)
    }

    pub(super) async fn survey(&self) -> Result<(Plan, Survey)> {
        let o = &self.opts;
        let snapshot = self.caps.scope_store.snapshot(&o.scope).await?;
        let status = snapshot.cluster_status();
        let mut checks = Vec::new();
        let names = member_names(&status);
        if names.is_empty() {
            checks.push(Check::failed(format!("scope {}", o.scope), "no member published itself in the DCS"));
            return Plan::from_checks("restart", checks, Vec::new()).map(|p| (p, Survey::empty()));
        }
        match self.unhealthy(&snapshot, &names).await? {
            Some(reason) => checks.push(Check::failed(format!("cluster {}", o.scope), reason)),
            None => checks.push(Check::passed(
                format!("cluster {}", o.scope),
                format!(
                    "{} leads; replicas {} stream within {} bytes",
                    status.leader.as_deref().unwrap_or_default(),
                    replica_names(&status).join(", "),
                    o.max_lag_bytes
                ),
            )),
        }
        let mut survey = Survey { leader: status.leader.clone().unwrap_or_default(), ..Survey::empty() };
        for m in &status.members {
            let name = format!("member {}", m.name);
            let Some(url) = m.api_url.as_deref() else {
                checks.push(Check::failed(name, "publishes no REST API URL in the DCS"));
                continue;
            };
            match self.caps.control.runtime(url).await {
                Err(e) => {
                    checks.push(Check::failed(name, format!("its REST API does not answer: {}", e.with_causes())));
                }
                Ok(rt) if rt.pending_restart => {
                    let why = if rt.pending_reasons.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", rt.pending_reasons.join(", "))
                    };
                    checks.push(Check::passed(name, format!("restart pending{why}")));
                    if Some(&m.name) == status.leader.as_ref() {
                        survey.leader_pending = true;
                    } else {
                        survey.pending_replicas.push(m.name.clone());
                    }
                }
                Ok(_) => checks.push(Check::passed(name, "no restart pending: left alone")),
            }
        }
        survey.pending_replicas.sort();
        let steps = steps(&survey, &status);
        Plan::from_checks("restart", checks, steps).map(|p| (p, survey))
    }

    /// Why the cluster is not healthy (every member runs, one leads, the others stream within
    /// the lag bound), or `None`.
    pub(crate) async fn unhealthy(&self, snapshot: &ScopeSnapshot, names: &[String]) -> Result<Option<String>> {
        self.ready(names).not_ready(snapshot, &[]).await
    }

    pub(crate) fn ready(&self, names: &[String]) -> ReplicasReady {
        ReplicasReady {
            wanted: names.to_vec(),
            max_lag_bytes: self.opts.max_lag_bytes,
            api: Arc::clone(&self.caps.member_api),
            recovery: Recovery { namespace: self.opts.namespace.clone(), scope: self.opts.scope.clone() },
        }
    }
}

impl Survey {
    fn empty() -> Self {
        Self { leader: String::new(), pending_replicas: Vec::new(), leader_pending: false }
    }
}

fn steps(survey: &Survey, status: &ClusterStatus) -> Vec<Step> {
    let mut steps = Vec::new();
    for m in &survey.pending_replicas {
        steps.push(Step::new(format!("restart {m}"), format!("restart replica {m} (POST /restart)")));
        steps.push(Step::new(format!("wait for {m}"), format!("wait until {m} runs again and streams")));
    }
    if survey.leader_pending {
        let leader = &survey.leader;
        let candidate = best_replica(status, &[]).map_or("the healthiest replica", |m| m.name.as_str());
        steps.push(Step::new(
            format!("switch over from {leader}"),
            format!(
                "switch over from {leader} to {candidate} (the running replica with the least lag, chosen again then)"
            ),
        ));
        steps.push(Step::new(
            format!("wait for {candidate} to lead"),
            format!("wait until {candidate} leads and every replica streams"),
        ));
        steps.push(Step::new(
            format!("restart {leader}"),
            format!("restart the former leader {leader} if still pending"),
        ));
        steps.push(Step::new(format!("wait for {leader}"), format!("wait until {leader} runs again and streams")));
    }
    steps
}

/// Every member that published itself, in name order.
pub(crate) fn member_names(status: &ClusterStatus) -> Vec<String> {
    let mut names: Vec<String> = status.members.iter().map(|m| m.name.clone()).collect();
    names.sort();
    names
}

fn replica_names(status: &ClusterStatus) -> Vec<String> {
    member_names(status).into_iter().filter(|n| Some(n) != status.leader.as_ref()).collect()
}

/// The running replica with the least lag (unknown lag counts as the most), not in `exclude`.
pub(crate) fn best_replica<'a>(status: &'a ClusterStatus, exclude: &[String]) -> Option<&'a MemberStatus> {
    status
        .members
        .iter()
        .filter(|m| Some(&m.name) != status.leader.as_ref() && !exclude.contains(&m.name))
        .filter(|m| m.role == patroni_client::Role::Replica)
        .filter(|m| matches!(m.state, patroni_client::State::Running | patroni_client::State::Streaming))
        .min_by_key(|m| (m.lag_bytes.unwrap_or(u64::MAX), m.name.clone()))
}

/// The error of a run that finds the leader changed under it.
pub(super) fn leader_changed(scope: &str, was: &str, now: Option<&str>) -> Error {
    Error::Conflict(format!(
        "the leader of {scope} changed during the restart: it was {was}, now {}; nothing more was restarted (run \
         the recipe again to continue from the cluster as it is)",
        now.unwrap_or("none")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use patroni_client::{Role, State};

    fn member(name: &str, role: Role, state: State, lag: Option<u64>) -> MemberStatus {
        MemberStatus {
            name: name.into(),
            role,
            state,
            timeline: Some(2),
            xlog_location: None,
            api_url: None,
            lag_bytes: lag,
        }
    }

    /// The switchover target of restart and replace_member: the running replica with the
    /// least lag; an unknown lag counts as the most, a stopped replica is never chosen.
    #[test]
    fn the_least_lagging_running_replica_is_chosen() {
        let status = ClusterStatus {
            leader: Some("dbHA1".into()),
            members: vec![
                member("dbHA1", Role::Primary, State::Running, None),
                member("dbHA2", Role::Replica, State::Streaming, Some(500)),
                member("dbHA3", Role::Replica, State::Running, Some(10)),
                member("dbHA4", Role::Replica, State::Streaming, None),
                member("dbHA5", Role::Replica, State::Stopped, Some(0)),
            ],
        };
        assert_eq!(best_replica(&status, &[]).map(|m| m.name.as_str()), Some("dbHA3"));
        assert_eq!(best_replica(&status, &["dbHA3".into()]).map(|m| m.name.as_str()), Some("dbHA2"));
        let unknown_only = ["dbHA2".into(), "dbHA3".into()];
        assert_eq!(best_replica(&status, &unknown_only).map(|m| m.name.as_str()), Some("dbHA4"));
        let none = ["dbHA2".into(), "dbHA3".into(), "dbHA4".into()];
        assert_eq!(best_replica(&status, &none), None, "a stopped replica is never a target");
    }
}
