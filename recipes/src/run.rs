//! Executing a plan's steps: progress events, the report, and bounded waits.

use std::future::Future;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::ports::{ClusterStatus, JobDiagnosis, Scheduler, ScopeSnapshot, ScopeStore};
use crate::progress::{Event, Progress};
use crate::report::{Plan, Report, Skipped};
use crate::{Error, Result};

/// Runs steps, emitting events and filling the [`Report`].
#[derive(Debug)]
pub(crate) struct Runner {
    pub(crate) progress: Progress,
    pub(crate) report: Report,
}

impl Runner {
    pub(crate) fn new(plan: &Plan, progress: Progress) -> Self {
        Self { progress, report: Report::new(plan) }
    }

    /// Runs one step and records it as done.
    pub(crate) async fn step<T, F>(&mut self, name: &str, f: F) -> Result<T>
    where
        F: Future<Output = Result<T>>,
    {
        self.progress.emit(Event::StepStarted { step: name.to_owned() });
        let started = Instant::now();
        let out = match f.await {
            Ok(out) => out,
            Err(e) => {
                self.progress.emit(Event::StepFailed { step: name.to_owned(), error: e.with_causes() });
                return Err(e);
            }
        };
        self.progress.emit(Event::StepFinished { step: name.to_owned(), elapsed: started.elapsed() });
        self.report.done.push(name.to_owned());
        Ok(out)
    }

    /// Records a step that is not needed.
    pub(crate) fn skip(&mut self, name: &str, reason: impl Into<String>) {
        let reason = reason.into();
        self.progress.emit(Event::StepSkipped { step: name.to_owned(), reason: reason.clone() });
        self.report.skipped.push(Skipped { step: name.to_owned(), reason });
    }

    /// Records a warning.
    pub(crate) fn warn(&mut self, message: impl Into<String>) {
        let message = message.into();
        self.progress.warn(message.clone());
        self.report.warnings.push(message);
    }
}

/// Decides whether what a wait awaits has happened.
#[async_trait]
pub(crate) trait Readiness: Send + Sync {
    /// `None` when ready, else why not (in a sentence). An error ends the wait at once (a
    /// state that waiting cannot fix, or a failed read).
    async fn not_ready(
        &self,
        snapshot: &ScopeSnapshot,
        jobs: &[(String, Option<JobDiagnosis>)],
    ) -> Result<Option<String>>;
}

/// A wait on Patroni's state of a scope, watching the jobs that should make it happen.
pub(crate) struct ScopeWait<'a> {
    pub(crate) progress: &'a Progress,
    pub(crate) store: &'a dyn ScopeStore,
    /// Reads the jobs' allocations; `None` for a wait that watches no job (a restart).
    pub(crate) scheduler: Option<&'a dyn Scheduler>,
    pub(crate) namespace: &'a str,
    pub(crate) scope: &'a str,
    /// The jobs whose allocations are read (status, restarts, last event, stderr) each round.
    pub(crate) jobs: &'a [String],
    /// A task restarted this many times is in a loop: the wait fails at once (0: never).
    pub(crate) restart_limit: u64,
}

impl ScopeWait<'_> {
    /// Waits until `ready` says so, for at most `timeout`. Each round is a blocking query on
    /// the scope (returning as soon as a key changes) bounded by [`ROUND`], and rounds start
    /// at least [`MIN_ROUND`] apart, so the wake-ups stay bounded whatever Patroni writes.
    /// Every round reads the jobs' allocations: a task that is dead or restarting in a loop
    /// ends the wait at once; the progress events and the timeout error carry what was seen.
    pub(crate) async fn until(&self, what: &str, timeout: Duration, ready: &dyn Readiness) -> Result<ClusterStatus> {
        let started = Instant::now();
        let mut index = 0;
        loop {
            let round_start = Instant::now();
            let round = timeout.saturating_sub(started.elapsed()).min(ROUND);
            let snapshot = if index == 0 {
                self.store.snapshot(self.scope).await?
            } else {
                self.store.wait_change(self.scope, index, round).await?
            };
            // An index that goes backwards (store restored, leader change) restarts the wait
            // from a fresh read rather than blocking on an index that will never come.
            index = if snapshot.index < index { 0 } else { snapshot.index.max(1) };
            let jobs = self.diagnose().await;
            let seen: Vec<String> = std::iter::once(scope_facts(&snapshot)).chain(jobs_facts(&jobs)).collect();
            // The readiness check first: it names the specific states (an interrupted bootstrap)
            // that a dead or looping task would otherwise only be reported as.
            let Some(last_reason) = ready.not_ready(&snapshot, &jobs).await? else {
                return Ok(snapshot.cluster_status());
            };
            for (job, d) in &jobs {
                let Some(d) = d else { continue };
                if d.is_dead() {
                    return Err(Error::Conflict(format!(
                        "job {job} in {} is dead and will not be restarted: {} ({}); waiting for {what} \
                         cannot succeed",
                        self.namespace,
                        d.summary(),
                        scope_facts(&snapshot)
                    )));
                }
                if d.is_restart_loop(self.restart_limit) {
                    return Err(Error::Conflict(format!(
                        "job {job} in {} restarts in a loop: {} ({}); waiting for {what} cannot succeed",
                        self.namespace,
                        d.summary(),
                        scope_facts(&snapshot)
                    )));
                }
            }
            if started.elapsed() >= timeout {
                return Err(Error::Timeout {
                    what: format!("{what} (last seen: {last_reason}; {})", seen.join("; ")),
                    after: timeout,
                });
            }
            self.progress.emit(Event::Waiting {
                what: format!("{what} ({last_reason})"),
                elapsed: started.elapsed(),
                timeout,
                seen,
            });
            // A store without indexes cannot block, and a busy scope must not make us spin.
            let pause = if snapshot.index == 0 { ROUND.min(Duration::from_millis(500)) } else { MIN_ROUND };
            let left = timeout.saturating_sub(started.elapsed());
            if let Some(rest) = pause.checked_sub(round_start.elapsed()) {
                tokio::time::sleep(rest.min(left)).await;
            }
        }
    }

    async fn diagnose(&self) -> Vec<(String, Option<JobDiagnosis>)> {
        let mut out = Vec::with_capacity(self.jobs.len());
        for job in self.jobs {
            // Diagnostics explain a wait; a scheduler that cannot answer must not end it.
            let Some(scheduler) = self.scheduler else {
                out.push((job.clone(), None));
                continue;
            };
            let d = match scheduler.diagnose(self.namespace, job).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::debug!(%job, error = %e, "cannot read the job's allocation");
                    None
                }
            };
            out.push((job.clone(), d));
        }
        out
    }
}

/// `initialize <value>|empty|absent, leader <name>|none, members a, b`.
pub(crate) fn scope_facts(snapshot: &ScopeSnapshot) -> String {
    let initialize = match snapshot.text("initialize") {
        None => "initialize absent".to_owned(),
        Some("") => "initialize empty".to_owned(),
        Some(v) => format!("initialize {v}"),
    };
    let status = snapshot.cluster_status();
    let members: Vec<&str> = status.members.iter().map(|m| m.name.as_str()).collect();
    format!(
        "scope {}: {initialize}, leader {}, member keys {}",
        snapshot.prefix,
        status.leader.as_deref().unwrap_or("none"),
        if members.is_empty() { "none".to_owned() } else { members.join(", ") }
    )
}

fn jobs_facts(jobs: &[(String, Option<JobDiagnosis>)]) -> impl Iterator<Item = String> + '_ {
    jobs.iter().map(|(job, d)| match d {
        Some(d) => format!("{job}: {}", d.summary()),
        None => format!("{job}: no allocation"),
    })
}

/// Longest single blocking query: short enough to read the jobs and report progress regularly.
const ROUND: Duration = Duration::from_secs(5);

/// Shortest time between two rounds: a scope whose keys change all the time (Patroni
/// touching its member key every `loop_wait`) cannot make the wait spin.
const MIN_ROUND: Duration = Duration::from_millis(250);
