//! The replace's dry run: the cluster's health, the floor, the exact target, the volume, and
//! a replacement a previous run left midway.

use super::state::{ReplaceState, Todo};
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
    /// Members to replace: a resumed one first, then replicas, the leader last.
    pub(super) order: Vec<String>,
    /// The exact volume location of each member to clear (same order), when clearing.
    pub(super) volumes: Vec<(String, String)>,
    /// The replacement a previous run left midway, and what is left of it.
    pub(super) resume: Option<(ReplaceState, Todo)>,
}

impl ReplaceMember {
    /// Dry run: checks the cluster, the floor, the target and its volume, and returns the
    /// steps, or [`Error::Refused`](crate::Error::Refused) with every reason. A replacement
    /// that a previous run left midway (its state file in the backup directory) is resumed
    /// from the step it stopped at, before any other member is touched.
    pub async fn plan(&self) -> Result<Plan> {
        Ok(self.survey().await?.0)
    }

    pub(super) async fn survey(&self) -> Result<(Plan, Survey)> {
        let o = &self.opts;
        let snapshot = self.caps.scope_store.snapshot(&o.scope).await?;
        let status = snapshot.cluster_status();
        let names = member_names(&status);
        let mut checks = Vec::new();
        let state = self.state().await?;
        // A member being replaced may be gone from the DCS; the others must be healthy.
        let resumed = state.as_ref().map(|s| s.member.as_str());
        let others: Vec<String> = names.iter().filter(|n| Some(n.as_str()) != resumed).cloned().collect();
        let total = others.len() + usize::from(resumed.is_some());
        let cluster = format!("cluster {}", o.scope);
        if status.leader.is_none() || total < 2 {
            checks.push(Check::failed(
                &cluster,
                format!(
                    "needs a leader and at least one other streaming member; it has leader {} and members {}",
                    status.leader.as_deref().unwrap_or("none"),
                    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
                ),
            ));
        } else if let Some(reason) = self.handover.unhealthy(&snapshot, &others).await? {
            checks.push(Check::failed(&cluster, reason));
        } else {
            checks.push(Check::passed(
                &cluster,
                format!(
                    "{} leads; every member of {} runs and streams",
                    status.leader.as_deref().unwrap_or_default(),
                    others.join(", ")
                ),
            ));
        }
        // One member is down while it is replaced.
        let during = total.saturating_sub(1);
        let floor = format!("healthy-member floor {}", o.min_healthy);
        if during < o.min_healthy {
            checks.push(Check::failed(
                floor,
                format!(
                    "replacing a member leaves {during} healthy member(s) of {total} while it is re-deployed, fewer \
                     than the floor"
                ),
            ));
        } else {
            checks.push(Check::passed(floor, format!("{during} of {total} stay healthy while one is replaced")));
        }
        let leader = status.leader.clone().unwrap_or_default();
        let mut order: Vec<String> = resumed.map(str::to_owned).into_iter().collect();
        match (&o.target, &state) {
            (Target::All, _) => {
                order.extend(others.iter().filter(|n| **n != leader).cloned());
                order.extend(others.iter().find(|n| **n == leader).cloned());
            }
            (Target::Member(m), Some(s)) if *m != s.member => checks.push(Check::failed(
                format!("member {m}"),
                format!(
                    "the replacement of {} stopped midway ({}; state file {}): run again for {} or --all to finish \
                     it first",
                    s.member,
                    s.phase,
                    self.caps.backups.path().join(self.state_name()).display(),
                    s.member
                ),
            )),
            (Target::Member(_), Some(_)) => {}
            (Target::Member(m), None) if names.contains(m) => order.push(m.clone()),
            (Target::Member(m), None) => {
                let near: Vec<&String> = names.iter().filter(|n| n.eq_ignore_ascii_case(m)).collect();
                let hint = near.first().map(|n| format!(" (did you mean {n}? names are exact)")).unwrap_or_default();
                checks.push(Check::failed(
                    format!("member {m}"),
                    format!("is not a member of {}; its members are {}{hint}", o.scope, names.join(", ")),
                ));
            }
        }
        let mut volumes = Vec::new();
        let mut resume = None;
        for m in &order {
            let job = self.caps.scheduler.job_state(&o.namespace, m).await?;
            // A resumed member keeps the volume the first run was to clear, unless it passed it.
            let carried = state
                .as_ref()
                .filter(|s| s.member == *m && s.phase < super::Phase::Cleared)
                .and_then(|s| s.volume.clone());
            let volume = if o.clear_volume { self.volume_check(m, &mut checks) } else { carried };
            match state.as_ref().filter(|s| s.member == *m) {
                Some(s) => {
                    let todo = Todo::left(s, volume.is_some(), job == JobState::Running);
                    if Some(m.as_str()) == status.leader.as_deref() {
                        checks.push(Check::failed(
                            format!("replacement of {m}"),
                            format!(
                                "{m} leads although its replacement stopped after {}: look at it by hand, then \
                                 remove the state file {}",
                                s.phase,
                                self.caps.backups.path().join(self.state_name()).display()
                            ),
                        ));
                    } else {
                        checks.push(Check::passed(
                            format!("replacement of {m}"),
                            format!("resumes: a previous run stopped after {} (its job is {job} now)", s.phase),
                        ));
                    }
                    resume = Some((s.clone(), todo));
                }
                None if job == JobState::Running => checks.push(Check::passed(format!("job {m}"), "is running")),
                None => {
                    checks
                        .push(Check::failed(format!("job {m}"), format!("is {job}, not running, in {}", o.namespace)));
                }
            }
            if let Some(location) = volume {
                volumes.push((m.clone(), location));
            }
        }
        let survey = Survey { leader, order, volumes, resume };
        let steps = self.steps(&survey, &status);
        Plan::from_checks("replace_member", checks, steps).map(|p| (p, survey))
    }

    /// The exact location of `member`'s volume from the probe, or a failed check saying why not.
    fn volume_check(&self, member: &str, checks: &mut Vec<Check>) -> Option<String> {
        let name = format!("volume of {member}");
        let Some(probe) = self.caps.volumes.as_ref() else {
            checks.push(Check::failed(name, "clearing volumes needs a volume probe that clears; none was given"));
            return None;
        };
        match probe.member_volume(&self.opts.namespace, member) {
            Ok(location) => {
                checks.push(Check::passed(name, format!("{location} is cleared before {member} starts again")));
                Some(location)
            }
            Err(reason) => {
                checks.push(Check::failed(name, reason));
                None
            }
        }
    }

    /// What is left to do for `member`: all of it, or what a resumed replacement still needs.
    pub(super) fn todo<'a>(survey: &'a Survey, member: &str) -> (Todo, Option<&'a ReplaceState>) {
        match &survey.resume {
            Some((state, todo)) if state.member == member => (*todo, Some(state)),
            _ => (Todo::whole(survey.volumes.iter().any(|(m, _)| m == member)), None),
        }
    }

    fn steps(&self, survey: &Survey, status: &ClusterStatus) -> Vec<Step> {
        let mut steps = Vec::new();
        for m in &survey.order {
            let (todo, resumed) = Self::todo(survey, m);
            if resumed.is_none() {
                if *m == survey.leader {
                    let to = crate::restart::best_replica(status, std::slice::from_ref(m))
                        .map_or("the healthiest replica", |r| r.name.as_str());
                    steps.push(Step::new(
                        format!("switch over from {m}"),
                        format!("hand the leadership of {m} to {to} (the running replica with the least lag, chosen again then)"),
                    ));
                    steps.push(Step::new(
                        format!("wait for {to} to lead"),
                        format!("wait until {to} leads and every replica streams"),
                    ));
                }
                steps.push(Step::new(format!("save {m}"), format!("save {m}'s DCS state and the cluster's status")));
            }
            if todo.stop {
                steps.push(Step::new(
                    format!("stop and purge {m}"),
                    format!("stop and purge job {m} in {}", self.opts.namespace),
                ));
            }
            if let Some((_, location)) = survey.volumes.iter().find(|(v, _)| v == m).filter(|_| todo.clear) {
                steps.push(Step::new(
                    format!("clear the volume of {m}"),
                    format!("remove the PostgreSQL data at {location}"),
                ));
            }
            if todo.start {
                steps.push(Step::new(format!("start {m}"), format!("start job {m} and wait until it runs")));
            }
            steps.push(Step::new(
                format!("wait for {m}"),
                format!("wait until {m} streams within {} bytes", self.opts.max_lag_bytes),
            ));
        }
        steps
    }
}
