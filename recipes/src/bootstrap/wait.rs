//! What the bootstrap waits for: a leader, then replicas that really stream; and the states
//! of an interrupted first bootstrap that waiting cannot fix.

use std::sync::Arc;

use async_trait::async_trait;
use patroni_client::{State, WalSenderState};
use serde_json::Value;

use crate::ports::{JobDiagnosis, MemberApi, ScopeSnapshot};
use crate::run::{Readiness, scope_facts};
use crate::{Error, Result};

/// Where the recovery commands of an interrupted bootstrap point.
#[derive(Debug, Clone)]
pub(crate) struct Recovery {
    pub(crate) namespace: String,
    pub(crate) scope: String,
}

impl Recovery {
    /// The exact steps that clear an interrupted first bootstrap of `members`.
    pub(crate) fn steps(&self, members: &[String]) -> String {
        let stops: Vec<String> =
            members.iter().map(|m| format!("nomad job stop -purge -namespace {} {m}", self.namespace)).collect();
        format!(
            "to recover: 1) stop and purge {}: `{}`; 2) clear only {} host volume{} (the interrupted \
             bootstrap's data; the bootstrap preflight's volume probe must then find nothing); 3) remove the scope \
             with a backup once the sessions expired (about 30 s): `scope_remove --scope {} --yes`; 4) run \
             bootstrap again without --resume",
            members.join(", "),
            stops.join("; "),
            if members.len() == 1 { format!("{}'s", members[0]) } else { "their".to_owned() },
            if members.len() == 1 { "" } else { "s" },
            self.scope
        )
    }

    /// The state "initialize is empty and no member leads": Patroni began initdb and
    /// died before it finished; a restarted Patroni finds a half-built data directory.
    pub(crate) fn interrupted_initdb(&self, member: &str, seen: &str) -> Error {
        Error::Conflict(format!(
            "the first bootstrap of scope {} was interrupted during initdb: {seen}. Patroni cannot finish it on \
             its own (it reports \"system ID is invalid\"); {}",
            self.scope,
            self.steps(&[member.to_owned()])
        ))
    }
}

/// The log line of a Patroni that found a half-built data directory, if `d` shows one.
pub(crate) fn interrupted_initdb_line(d: Option<&JobDiagnosis>) -> Option<String> {
    stderr_mentions(d, &["system ID is invalid", "consider doing reinitialize"])
}

fn stderr_mentions(d: Option<&JobDiagnosis>, needles: &[&str]) -> Option<String> {
    let d = d?;
    d.stderr_tail.iter().chain(&d.last_event).find(|l| needles.iter().any(|n| l.contains(n))).cloned()
}

fn diag<'a>(jobs: &'a [(String, Option<JobDiagnosis>)], job: &str) -> Option<&'a JobDiagnosis> {
    jobs.iter().find(|(j, _)| j == job).and_then(|(_, d)| d.as_ref())
}

/// The first member leads: it holds the leader key and runs as primary.
pub(crate) struct LeaderReady {
    pub(crate) member: String,
    pub(crate) recovery: Recovery,
}

#[async_trait]
impl Readiness for LeaderReady {
    async fn not_ready(
        &self,
        snapshot: &ScopeSnapshot,
        jobs: &[(String, Option<JobDiagnosis>)],
    ) -> Result<Option<String>> {
        let status = snapshot.cluster_status();
        if status.leader.is_none() {
            // Patroni took the initialize key (empty) and died before initdb finished: once
            // restarted it finds a half-built data directory ("system ID is invalid"), and the
            // key may be left empty or be gone.
            let d = diag(jobs, &self.member);
            let restarted = d.is_some_and(|d| d.restarts > 0);
            let said = interrupted_initdb_line(d);
            if (restarted && snapshot.text("initialize") == Some("")) || said.is_some() {
                let mut seen = format!(
                    "{}; {} restarted {} time(s)",
                    scope_facts(snapshot),
                    self.member,
                    d.map_or(0, |d| d.restarts)
                );
                if let Some(line) = said {
                    seen.push_str(&format!(" and logs {line:?}"));
                }
                return Err(self.recovery.interrupted_initdb(&self.member, &seen));
            }
        }
        Ok(status.unhealthy_reason(std::slice::from_ref(&self.member), u64::MAX))
    }
}

/// Every member of `wanted` runs, one leads, and every other one streams from it within
/// the lag bound: the leader's `/patroni` lists a `streaming` WAL sender for it
/// (`replication[]`, Patroni 3.x and 4.x), or the member publishes `replication_state:
/// streaming` in the DCS (Patroni 4.x).
pub(crate) struct ReplicasReady {
    pub(crate) wanted: Vec<String>,
    pub(crate) max_lag_bytes: u64,
    pub(crate) api: Arc<dyn MemberApi>,
    pub(crate) recovery: Recovery,
}

impl ReplicasReady {
    fn replication_state(snapshot: &ScopeSnapshot, member: &str) -> Option<State> {
        let text = snapshot.text(&format!("members/{member}"))?;
        let data: Value = serde_json::from_str(text).ok()?;
        data.get("replication_state").and_then(Value::as_str).map(State::from)
    }
}

#[async_trait]
impl Readiness for ReplicasReady {
    async fn not_ready(
        &self,
        snapshot: &ScopeSnapshot,
        jobs: &[(String, Option<JobDiagnosis>)],
    ) -> Result<Option<String>> {
        // A leader whose post-bootstrap never ran has no replication user: replicas fail
        // authentication forever.
        for (job, d) in jobs {
            // Only a refusal of the replication user: an application's bad password is not this state.
            let replication = d.as_ref().is_some_and(|d| d.stderr_tail.iter().any(|l| l.contains("replicat")));
            if let Some(line) =
                stderr_mentions(d.as_ref(), &["password authentication failed for user"]).filter(|_| replication)
            {
                return Err(Error::Conflict(format!(
                    "replication is refused by the leader's authentication ({job} logs {line:?}): the first \
                     bootstrap was interrupted before Patroni's post-bootstrap created the replication user ({}); {}",
                    scope_facts(snapshot),
                    self.recovery.steps(&self.wanted)
                )));
            }
        }
        let status = snapshot.cluster_status();
        if let Some(reason) = status.unhealthy_reason(&self.wanted, self.max_lag_bytes) {
            return Ok(Some(reason));
        }
        let Some(leader) = status.running_leader() else { return Ok(Some("no running leader".to_owned())) };
        let mut senders = None;
        for name in self.wanted.iter().filter(|n| **n != leader.name) {
            let dcs = Self::replication_state(snapshot, name);
            if dcs == Some(State::Streaming) {
                continue;
            }
            if senders.is_none() {
                let Some(url) = leader.api_url.as_deref() else {
                    return Ok(Some(format!("the leader {} publishes no REST API URL to ask", leader.name)));
                };
                senders = Some(match self.api.wal_senders(url).await {
                    Ok(s) => s,
                    Err(e) => {
                        return Ok(Some(format!(
                            "cannot ask the leader {} about replication: {}",
                            leader.name,
                            e.with_causes()
                        )));
                    }
                });
            }
            let sender = senders.iter().flatten().find(|s| s.application_name == *name);
            match sender {
                Some(s) if s.state == WalSenderState::Streaming => {}
                Some(s) => {
                    return Ok(Some(format!(
                        "replica {name} runs but its WAL sender on {} is {}",
                        leader.name, s.state
                    )));
                }
                None => {
                    return Ok(Some(format!(
                        "replica {name} runs but does not stream yet: the leader {} lists no WAL sender for it{}",
                        leader.name,
                        dcs.map(|s| format!(" (its replication_state is {s})")).unwrap_or_default()
                    )));
                }
            }
        }
        Ok(None)
    }
}
