//! The replace's dry run: the cluster's health, the floor, the exact target, the volume.

use super::{ReplaceMember, Target};
use crate::Result;
use crate::ports::{ClusterStatus, JobState};
use crate::report::{Check, Plan, Step};
use crate::restart::member_names;

/// What the dry run found: the members to replace in order, and where their volumes are.
#[derive(Debug, Clone, Default)]
pub(super) struct Survey {
    /// The leader at the time of the survey.
    pub(super) leader: String,
    /// Members to replace, replicas first, the leader last.
    pub(super) order: Vec<String>,
    /// The exact volume location of each member to clear (same order), when clearing.
    pub(super) volumes: Vec<(String, String)>,
}

impl ReplaceMember {
    /// Dry run: checks the cluster, the floor, the target and its volume, and returns the
    /// steps, or [`Error::Refused`](crate::Error::Refused) with every reason.
    pub async fn plan(&self) -> Result<Plan> {
        Ok(self.survey().await?.0)
    }

    pub(super) async fn survey(&self) -> Result<(Plan, Survey)> {
        let o = &self.opts;
        let snapshot = self.caps.scope_store.snapshot(&o.scope).await?;
        let status = snapshot.cluster_status();
        let names = member_names(&status);
        let mut checks = Vec::new();
        let cluster = format!("cluster {}", o.scope);
        if status.leader.is_none() || names.len() < 2 {
            checks.push(Check::failed(
                &cluster,
                format!(
                    "needs a leader and at least one other streaming member; it has leader {} and members {}",
                    status.leader.as_deref().unwrap_or("none"),
                    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
                ),
            ));
        } else if let Some(reason) = self.handover.unhealthy(&snapshot, &names).await? {
            checks.push(Check::failed(&cluster, reason));
        } else {
            checks.push(Check::passed(
                &cluster,
                format!(
                    "{} leads; every member of {} runs and streams",
                    status.leader.as_deref().unwrap_or_default(),
                    names.join(", ")
                ),
            ));
        }
        // One member is down while it is replaced.
        let during = names.len().saturating_sub(1);
        let floor = format!("healthy-member floor {}", o.min_healthy);
        if during < o.min_healthy {
            checks.push(Check::failed(
                floor,
                format!(
                    "replacing a member leaves {during} healthy member(s) of {} while it is re-deployed, fewer than \
                     the floor",
                    names.len()
                ),
            ));
        } else {
            checks
                .push(Check::passed(floor, format!("{during} of {} stay healthy while one is replaced", names.len())));
        }
        let leader = status.leader.clone().unwrap_or_default();
        let order = match &o.target {
            Target::All => {
                let mut order: Vec<String> = names.iter().filter(|n| **n != leader).cloned().collect();
                order.extend(names.iter().find(|n| **n == leader).cloned());
                order
            }
            Target::Member(m) => {
                if names.contains(m) {
                    vec![m.clone()]
                } else {
                    let near: Vec<&String> = names.iter().filter(|n| n.eq_ignore_ascii_case(m)).collect();
                    let hint =
                        near.first().map(|n| format!(" (did you mean {n}? names are exact)")).unwrap_or_default();
                    checks.push(Check::failed(
                        format!("member {m}"),
                        format!("is not a member of {}; its members are {}{hint}", o.scope, names.join(", ")),
                    ));
                    Vec::new()
                }
            }
        };
        for m in &order {
            let state = self.caps.scheduler.job_state(&o.namespace, m).await?;
            if state == JobState::Running {
                checks.push(Check::passed(format!("job {m}"), "is running"));
            } else {
                checks.push(Check::failed(format!("job {m}"), format!("is {state}, not running, in {}", o.namespace)));
            }
        }
        let mut volumes = Vec::new();
        if o.clear_volume {
            for m in &order {
                let name = format!("volume of {m}");
                match self.caps.volumes.as_ref().map(|p| p.member_volume(&o.namespace, m)) {
                    None => checks.push(Check::failed(name, "clearing volumes needs a volume probe; none was given")),
                    Some(None) => {
                        checks.push(Check::failed(name, "the volume probe cannot derive or clear this volume"));
                    }
                    Some(Some(location)) => {
                        checks.push(Check::passed(name, format!("{location} is cleared before {m} starts again")));
                        volumes.push((m.clone(), location));
                    }
                }
            }
        }
        let survey = Survey { leader, order, volumes };
        let steps = self.steps(&survey, &status);
        Plan::from_checks("replace_member", checks, steps).map(|p| (p, survey))
    }

    fn steps(&self, survey: &Survey, status: &ClusterStatus) -> Vec<Step> {
        let mut steps = Vec::new();
        for m in &survey.order {
            if *m == survey.leader {
                let to = crate::restart::best_replica(status, std::slice::from_ref(m))
                    .map_or("the healthiest replica", |r| r.name.as_str());
                steps.push(Step::new(format!("switch over from {m}"), format!("hand the leadership of {m} to {to}")));
            }
            steps.push(Step::new(format!("save {m}"), format!("save {m}'s DCS state and the cluster's status")));
            steps.push(Step::new(
                format!("stop and purge {m}"),
                format!("stop and purge job {m} in {}", self.opts.namespace),
            ));
            if let Some((_, location)) = survey.volumes.iter().find(|(v, _)| v == m) {
                steps.push(Step::new(
                    format!("clear the volume of {m}"),
                    format!("remove the PostgreSQL data at {location}"),
                ));
            }
            steps.push(Step::new(format!("start {m}"), format!("start job {m} and wait until it runs")));
            steps.push(Step::new(
                format!("wait for {m}"),
                format!("wait until {m} streams within {} bytes", self.opts.max_lag_bytes),
            ));
        }
        steps
    }
}
