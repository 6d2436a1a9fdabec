//! Recipe capabilities over the sandbox's local Patroni processes, for the demo and the
//! end-to-end tests: each Patroni member is a "job", the namespace is a name the scheduler
//! was given, and the backup job is a no-op that is only recorded as running (wal-g is not
//! installed in the sandbox).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nomad_client::{AllocClientStatus, TaskStatus};
use recipes::ports::{JobDiagnosis, JobSpec, JobState, Scheduler, TaskGroupSpec, VolumeProbe};
use recipes::{Error, Result, async_trait};
use sandbox::PatroniCluster;

/// [`Scheduler`] whose jobs are the members of one [`PatroniCluster`] (`dbHA1`, `dbHA2`, ...).
#[derive(Debug, Clone)]
pub struct LocalScheduler {
    namespace: String,
    backup_job: String,
    cluster: Arc<Mutex<PatroniCluster>>,
    /// Jobs stopped without purge: they count as dead, as in Nomad.
    dead: Arc<Mutex<BTreeSet<String>>>,
    backup_running: Arc<Mutex<bool>>,
    /// Member jobs started and not stopped since, with their restarts and where their log
    /// stood at the start (a fresh "allocation" shows only its own lines): a member whose
    /// process exited meanwhile is a dead task.
    started: Arc<Mutex<BTreeMap<String, Started>>>,
}

/// A member job's "allocation": restarts of its task and the log offset it began at.
#[derive(Debug, Clone, Copy, Default)]
struct Started {
    restarts: u64,
    log_offset: u64,
}

/// The task name the local "jobs" run, as the runbook's member jobs name it.
pub const MEMBER_TASK: &str = "postgres-patroni";

impl LocalScheduler {
    /// Schedules the members of `cluster` as the jobs of `namespace`; `backup_job` names the
    /// no-op backup job.
    pub fn new(namespace: &str, backup_job: &str, cluster: PatroniCluster) -> Self {
        Self {
            namespace: namespace.to_owned(),
            backup_job: backup_job.to_owned(),
            cluster: Arc::new(Mutex::new(cluster)),
            dead: Arc::default(),
            backup_running: Arc::default(),
            started: Arc::default(),
        }
    }

    /// Starts a member's Patroni again as Nomad restarts a task whose process exited
    /// (counted in the diagnosis' restarts), e.g. after a test killed it.
    pub async fn restart_member(&self, job: &str) -> Result<()> {
        let i = self.member_index(job).ok_or_else(|| self.unknown_job(job))?;
        self.count_restart(job);
        self.with_cluster(move |c| c.start_member(i)).await?.map_err(|e| Error::backend("local scheduler", e))
    }

    /// Counts one restart of `job`'s task, for a test that restarted the member itself (under
    /// the cluster's lock, so that no diagnosis sees it dead in between).
    pub fn count_restart(&self, job: &str) {
        self.started_map().entry(job.to_owned()).or_default().restarts += 1;
    }

    fn started_map(&self) -> MutexGuard<'_, BTreeMap<String, Started>> {
        self.started.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cluster, for tests that need to crash a member or read its data directory.
    #[must_use]
    pub fn cluster(&self) -> Arc<Mutex<PatroniCluster>> {
        Arc::clone(&self.cluster)
    }

    fn lock(&self) -> MutexGuard<'_, PatroniCluster> {
        self.cluster.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn member_index(&self, job: &str) -> Option<usize> {
        let cluster = self.lock();
        (0..cluster.len()).find(|&i| cluster.member_name(i) == job)
    }

    fn check_namespace(&self, namespace: &str) -> Result<()> {
        if namespace == self.namespace {
            Ok(())
        } else {
            Err(Error::invalid("namespace", namespace, format!("the local scheduler only has {:?}", self.namespace)))
        }
    }

    fn unknown_job(&self, job: &str) -> Error {
        Error::invalid("job name", job, "is neither a member of the local Patroni cluster nor the backup job")
    }

    fn set_dead(&self, job: &str, dead: bool) {
        let mut set = self.dead.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if dead {
            set.insert(job.to_owned());
        } else {
            set.remove(job);
        }
    }

    fn is_dead(&self, job: &str) -> bool {
        self.dead.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains(job)
    }

    fn backup_flag(&self) -> MutexGuard<'_, bool> {
        self.backup_running.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs a blocking operation on the cluster off the async runtime's threads.
    async fn with_cluster<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut PatroniCluster) -> T + Send + 'static,
    ) -> Result<T> {
        let cluster = Arc::clone(&self.cluster);
        tokio::task::spawn_blocking(move || f(&mut cluster.lock().unwrap_or_else(std::sync::PoisonError::into_inner)))
            .await
            .map_err(|e| Error::backend("local scheduler", e))
    }
}

#[async_trait]
impl Scheduler for LocalScheduler {
    async fn namespace_exists(&self, namespace: &str) -> Result<bool> {
        Ok(namespace == self.namespace)
    }

    async fn job_state(&self, namespace: &str, job: &str) -> Result<JobState> {
        self.check_namespace(namespace)?;
        let running = if job == self.backup_job {
            *self.backup_flag()
        } else {
            let i = self.member_index(job).ok_or_else(|| self.unknown_job(job))?;
            self.lock().is_running(i)
        };
        Ok(match (running, self.is_dead(job)) {
            (true, _) => JobState::Running,
            (false, true) => JobState::Dead,
            (false, false) => JobState::Absent,
        })
    }

    async fn start_job(&self, namespace: &str, job: &str) -> Result<()> {
        self.check_namespace(namespace)?;
        self.set_dead(job, false);
        if job == self.backup_job {
            *self.backup_flag() = true;
            return Ok(());
        }
        let i = self.member_index(job).ok_or_else(|| self.unknown_job(job))?;
        let log_offset = std::fs::metadata(self.lock().log_file(i)).map_or(0, |m| m.len());
        self.started_map().entry(job.to_owned()).or_insert(Started { restarts: 0, log_offset });
        self.with_cluster(move |c| c.start_member(i)).await?.map_err(|e| Error::backend("local scheduler", e))
    }

    async fn job_spec(&self, namespace: &str, job: &str) -> Result<Option<JobSpec>> {
        self.check_namespace(namespace)?;
        let task = if job == self.backup_job {
            "backup".to_owned()
        } else {
            self.member_index(job).ok_or_else(|| self.unknown_job(job))?;
            MEMBER_TASK.to_owned()
        };
        // The local "spec" is what this scheduler runs: one group, one task.
        Ok(Some(JobSpec {
            id: job.to_owned(),
            namespace: Some(namespace.to_owned()),
            groups: vec![TaskGroupSpec { name: job.to_owned(), tasks: vec![task] }],
        }))
    }

    async fn diagnose(&self, namespace: &str, job: &str) -> Result<Option<JobDiagnosis>> {
        self.check_namespace(namespace)?;
        let Some(started) = self.started_map().get(job).copied() else { return Ok(None) };
        let i = self.member_index(job).ok_or_else(|| self.unknown_job(job))?;
        let (running, file) = self.with_cluster(move |c| (c.is_running(i), c.log_file(i))).await?;
        let bytes = std::fs::read(file).unwrap_or_default();
        let own = bytes.get(usize::try_from(started.log_offset).unwrap_or(usize::MAX)..).unwrap_or_default();
        let log = String::from_utf8_lossy(own);
        let mut d = JobDiagnosis::new();
        d.allocation = Some(format!("local process of {job}"));
        d.status = Some(if running { AllocClientStatus::Running } else { AllocClientStatus::Failed });
        d.task_state = Some(if running { TaskStatus::Running } else { TaskStatus::Dead });
        d.failed = !running;
        d.restarts = started.restarts;
        let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
        d.set_stderr(&lines[lines.len().saturating_sub(5)..]);
        Ok(Some(d))
    }

    async fn stop_job(&self, namespace: &str, job: &str, purge: bool) -> Result<()> {
        self.check_namespace(namespace)?;
        if job == self.backup_job {
            *self.backup_flag() = false;
        } else {
            let i = self.member_index(job).ok_or_else(|| self.unknown_job(job))?;
            self.with_cluster(move |c| c.stop_member(i)).await?;
        }
        self.started_map().remove(job);
        self.set_dead(job, !purge);
        Ok(())
    }

    async fn wait_running(&self, namespace: &str, job: &str, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        while self.job_state(namespace, job).await? != JobState::Running {
            if started.elapsed() >= timeout {
                return Err(Error::Timeout { what: format!("job {job} to run"), after: timeout });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }
}

/// [`VolumeProbe`] over the members' data directories: data is "left" when a directory
/// holds `PG_VERSION`.
#[derive(Debug, Clone)]
pub struct LocalVolumeProbe {
    namespace: String,
    members: Vec<String>,
    data_dirs: Vec<PathBuf>,
}

impl LocalVolumeProbe {
    /// Probes the data directories of every member of the scheduler's cluster.
    #[must_use]
    pub fn new(scheduler: &LocalScheduler) -> Self {
        let cluster = scheduler.lock();
        Self {
            namespace: scheduler.namespace.clone(),
            members: (0..cluster.len()).map(|i| cluster.member_name(i).to_owned()).collect(),
            data_dirs: (0..cluster.len()).map(|i| cluster.data_dir(i)).collect(),
        }
    }
}

#[async_trait]
impl VolumeProbe for LocalVolumeProbe {
    async fn leftover_data(&self, _namespace: &str) -> Result<Vec<String>> {
        Ok(self
            .data_dirs
            .iter()
            .map(|d| d.join("PG_VERSION"))
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect())
    }

    /// The member's data directory, when `namespace` is the scheduler's and `member` one of
    /// its members.
    fn member_volume(&self, namespace: &str, member: &str) -> std::result::Result<String, String> {
        match self.members.iter().position(|m| m == member).filter(|_| namespace == self.namespace) {
            Some(i) => Ok(self.data_dirs[i].display().to_string()),
            None => Err(format!("{member} is not a member of the local cluster of {namespace}")),
        }
    }

    async fn clear_member_volume(&self, namespace: &str, member: &str, location: &str) -> Result<()> {
        let exact = self.member_volume(namespace, member).map_err(|why| Error::invalid("member", member, why))?;
        if location != exact {
            return Err(Error::invalid(
                "volume location",
                location,
                format!("is not the volume of {member} in {namespace}; only {exact} may be cleared"),
            ));
        }
        match std::fs::remove_dir_all(&exact) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => {
                Err(Error::Io { action: "remove the member's data directory".into(), path: exact.into(), source: e })
            }
        }
    }
}
