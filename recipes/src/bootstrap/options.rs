//! The inputs of [`Bootstrap`](super::Bootstrap): its options and the ports it runs on.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::input;
use crate::ports::{BootstrapMethod, Scheduler, ScopeStore, SettingsStore, VolumeCheck};
use crate::{Error, Result};

/// Inputs of [`Bootstrap`](super::Bootstrap), with the runbook's values as defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BootstrapOptions {
    /// The Nomad namespace (environment).
    pub namespace: String,
    /// Patroni's scope; `<namespace>-database` by default.
    pub scope: String,
    /// Member jobs in start order (`dbHA1`, `dbHA2` by default); at least 2.
    pub members: Vec<String>,
    /// The wal-g backup job started last (`backup` by default); `None` for none.
    pub backup_job: Option<String>,
    /// The task running Patroni in each member's spec (`postgres-patroni` by default).
    pub member_task: String,
    /// The bootstrap method the settings must hold (`initdb` unless restoring).
    pub method: BootstrapMethod,
    /// Bound of the wait for a job's allocation to run.
    pub job_timeout: Duration,
    /// Bound of the wait for the first member to lead.
    pub leader_timeout: Duration,
    /// Bound of the wait for each further member to stream from the leader.
    pub replica_timeout: Duration,
    /// Largest replica lag accepted, in bytes of WAL.
    pub max_lag_bytes: u64,
    /// A task restarted this many times while the recipe waits for it is in a loop: the
    /// wait fails at once with what the scheduler saw (0: never).
    pub restart_limit: u64,
    /// Where the run keeps its state file (`bootstrap-<scope>.state.json`); resume needs it.
    pub state_dir: Option<PathBuf>,
    /// Continue the interrupted run recorded in the state file instead of refusing its
    /// leftovers.
    pub resume: bool,
}

impl BootstrapOptions {
    /// The runbook's defaults for `namespace`: scope `<namespace>-database`, members `dbHA1`
    /// and `dbHA2` (task `postgres-patroni`), backup job `backup`, method `initdb`, 5 min per
    /// job, 5 min for a leader, 10 min per replica, lag under 16 MiB, 3 restarts make a loop,
    /// no state directory.
    pub fn new(namespace: impl Into<String>) -> Self {
        let namespace = namespace.into();
        Self {
            scope: input::default_scope(&namespace),
            namespace,
            members: vec!["dbHA1".to_owned(), "dbHA2".to_owned()],
            backup_job: Some("backup".to_owned()),
            member_task: "postgres-patroni".to_owned(),
            method: BootstrapMethod::Initdb,
            job_timeout: Duration::from_secs(300),
            leader_timeout: Duration::from_secs(300),
            replica_timeout: Duration::from_secs(600),
            max_lag_bytes: 16 << 20,
            restart_limit: 3,
            state_dir: None,
            resume: false,
        }
    }

    /// Sets the scope.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// Sets the member jobs, in start order.
    #[must_use]
    pub fn members<I: IntoIterator<Item = S>, S: Into<String>>(mut self, members: I) -> Self {
        self.members = members.into_iter().map(Into::into).collect();
        self
    }

    /// Sets (or removes, with `None`) the backup job.
    #[must_use]
    pub fn backup_job(mut self, job: Option<&str>) -> Self {
        self.backup_job = job.map(str::to_owned);
        self
    }

    /// Sets the task that runs Patroni in each member's spec.
    #[must_use]
    pub fn member_task(mut self, task: impl Into<String>) -> Self {
        self.member_task = task.into();
        self
    }

    /// Sets the bootstrap method the settings must hold.
    #[must_use]
    pub fn method(mut self, method: BootstrapMethod) -> Self {
        self.method = method;
        self
    }

    /// Sets the three wait bounds at once (job, leader, each replica).
    #[must_use]
    pub fn timeouts(mut self, job: Duration, leader: Duration, replica: Duration) -> Self {
        self.job_timeout = job;
        self.leader_timeout = leader;
        self.replica_timeout = replica;
        self
    }

    /// Sets the largest accepted replica lag in bytes.
    #[must_use]
    pub fn max_lag_bytes(mut self, bytes: u64) -> Self {
        self.max_lag_bytes = bytes;
        self
    }

    /// Sets how many restarts of a task make a restart loop (0: never fail early on restarts).
    #[must_use]
    pub fn restart_limit(mut self, restarts: u64) -> Self {
        self.restart_limit = restarts;
        self
    }

    /// Keeps the run's state file in `dir`, so that an interrupted run can be resumed.
    #[must_use]
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// Continue the interrupted bootstrap recorded in the state file instead of refusing
    /// its leftovers.
    #[must_use]
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

    /// Checks every input; the error names the one at fault.
    pub fn validate(&self) -> Result<()> {
        input::validate_namespace(&self.namespace)?;
        input::validate_scope(&self.scope)?;
        input::validate_member_count(self.members.len())?;
        for job in self.members.iter().chain(&self.backup_job) {
            input::validate_job_name(job)?;
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = self.jobs().into_iter().find(|j| !seen.insert(j.clone())) {
            return Err(Error::invalid("job name", dup, "is listed twice"));
        }
        if self.member_task.trim().is_empty() {
            return Err(Error::invalid("member task", &self.member_task, "must not be empty"));
        }
        Ok(())
    }

    pub(super) fn jobs(&self) -> Vec<String> {
        self.members.iter().chain(&self.backup_job).cloned().collect()
    }
}

/// The capabilities [`Bootstrap`](super::Bootstrap) works with.
#[derive(Clone)]
pub struct Capabilities {
    /// Starts the jobs.
    pub scheduler: Arc<dyn Scheduler>,
    /// Holds the namespace's database settings.
    pub settings: Arc<dyn SettingsStore>,
    /// Patroni's state in the DCS.
    pub scope_store: Arc<dyn ScopeStore>,
    /// The host-volume check (or its explicit skip).
    pub volumes: VolumeCheck,
}

impl std::fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capabilities").field("volumes", &self.volumes).finish_non_exhaustive()
    }
}
