//! Executing a plan's steps: progress events, the report, and bounded waits.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::capability::{ClusterStatus, ScopeStore};
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
                self.progress.emit(Event::StepFailed { step: name.to_owned(), error: e.to_string() });
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

/// Waits until the cluster status Patroni publishes for `scope` satisfies `ready`
/// (returning `None`) for at most `timeout`. Event-driven: each round is a blocking query
/// that returns as soon as any key of the scope changes. `ready` returns why the cluster
/// is not ready yet; the last reason ends up in the timeout error.
pub(crate) async fn wait_for_scope<F>(
    progress: &Progress,
    store: &dyn ScopeStore,
    scope: &str,
    what: &str,
    timeout: Duration,
    ready: F,
) -> Result<ClusterStatus>
where
    F: Fn(&ClusterStatus) -> Option<String>,
{
    let started = Instant::now();
    let mut index = 0;
    let mut last_reason = String::from("nothing read yet");
    loop {
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            return Err(Error::Timeout { what: format!("{what} (last seen: {last_reason})"), after: timeout });
        }
        let round = (timeout - elapsed).min(MAX_BLOCK);
        let snapshot =
            if index == 0 { store.snapshot(scope).await? } else { store.wait_change(scope, index, round).await? };
        // An index that goes backwards (store restored, leader change) restarts the wait
        // from a fresh read rather than blocking on an index that will never come.
        index = if snapshot.index < index { 0 } else { snapshot.index.max(1) };
        let status = snapshot.cluster_status();
        match ready(&status) {
            None => return Ok(status),
            Some(reason) => last_reason = reason,
        }
        progress.emit(Event::Waiting { what: format!("{what} ({last_reason})"), elapsed: started.elapsed(), timeout });
        if snapshot.index == 0 {
            // A store without indexes cannot block: do not spin.
            tokio::time::sleep(Duration::from_millis(500).min(round)).await;
        }
    }
}

/// Longest single blocking query: short enough to report progress regularly.
const MAX_BLOCK: Duration = Duration::from_secs(30);
