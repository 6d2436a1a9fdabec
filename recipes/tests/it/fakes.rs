//! In-memory capabilities: a scheduler whose "jobs" publish Patroni state into a fake DCS.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use recipes::ports::{
    JobDiagnosis, JobSpec, JobState, MemberApi, Scheduler, ScopeEntry, ScopeSnapshot, ScopeStore, TaskGroupSpec,
    VolumeProbe, WalSender,
};
use recipes::{Result, async_trait};

/// Patroni's DCS for one scope, in memory.
#[derive(Default)]
pub struct FakeScope {
    pub entries: Mutex<BTreeMap<String, String>>,
    pub index: Mutex<u64>,
    pub deleted: Mutex<Vec<String>>,
    /// Blocking queries made (`wait_change` calls).
    pub waits: std::sync::atomic::AtomicUsize,
    /// Timeline members publish (1 when unset).
    pub timeline: Mutex<u32>,
}

impl FakeScope {
    pub fn put(&self, key: &str, value: &str) {
        self.entries.lock().unwrap().insert(key.to_owned(), value.to_owned());
        *self.index.lock().unwrap() += 1;
    }

    /// A member as Patroni 4.x publishes it: a replica says `replication_state: streaming`.
    pub fn member(&self, scope: &str, name: &str, role: &str, xlog: u64) {
        let mut v = self.member_json(name, role, xlog);
        if role == "replica" {
            v["replication_state"] = "streaming".into();
        }
        self.put(&format!("service/{scope}/members/{name}"), &v.to_string());
    }

    /// A member as Patroni 3.0.2 publishes it: no replication state, whatever it does.
    pub fn member_3(&self, scope: &str, name: &str, role: &str, xlog: u64) {
        let v = self.member_json(name, role, xlog);
        self.put(&format!("service/{scope}/members/{name}"), &v.to_string());
    }

    fn member_json(&self, name: &str, role: &str, xlog: u64) -> serde_json::Value {
        let timeline = (*self.timeline.lock().unwrap()).max(1);
        serde_json::json!({"role": role, "state": "running", "xlog_location": xlog, "timeline": timeline,
            "api_url": format!("http://127.0.0.1:8008/{name}")})
    }
}

#[async_trait]
impl ScopeStore for FakeScope {
    fn prefix(&self, scope: &str) -> String {
        format!("service/{scope}/")
    }
    async fn snapshot(&self, scope: &str) -> Result<ScopeSnapshot> {
        let prefix = self.prefix(scope);
        let entries = self
            .entries
            .lock()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| ScopeEntry::new(k.clone(), 0, Some(v.clone().into_bytes())))
            .collect();
        Ok(ScopeSnapshot { prefix, index: *self.index.lock().unwrap(), entries })
    }
    /// Answers after 5 ms as if a key had changed (Patroni touching its member key), and
    /// counts the calls.
    async fn wait_change(&self, scope: &str, _index: u64, _max_wait: Duration) -> Result<ScopeSnapshot> {
        self.waits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(5)).await;
        *self.index.lock().unwrap() += 1;
        self.snapshot(scope).await
    }
    async fn delete_scope(&self, scope: &str, _saved: &ScopeSnapshot) -> Result<()> {
        let prefix = self.prefix(scope);
        self.entries.lock().unwrap().retain(|k, _| !k.starts_with(&prefix));
        self.deleted.lock().unwrap().push(prefix);
        Ok(())
    }
    async fn restore(&self, entries: &[ScopeEntry]) -> Result<()> {
        for e in entries {
            self.put(&e.key, &String::from_utf8(e.value()).unwrap());
        }
        Ok(())
    }
    async fn look_alikes(&self, scope: &str) -> Result<Vec<String>> {
        let raw = format!("service/{scope}");
        let own = self.prefix(scope);
        let set: BTreeSet<String> = self
            .entries
            .lock()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with(&raw) && !k.starts_with(&own))
            .filter_map(|k| {
                k.find('/').and_then(|first| k[first + 1..].find('/').map(|i| k[..first + 1 + i + 1].to_owned()))
            })
            .collect();
        Ok(set.into_iter().collect())
    }
}

/// A scheduler that records every call; starting a member makes it publish itself
/// (the first as leader) unless `silent` lists it.
pub struct FakeScheduler {
    pub namespaces: Vec<String>,
    pub scope: String,
    pub states: Mutex<BTreeMap<String, JobState>>,
    pub calls: Mutex<Vec<String>>,
    pub dcs: Arc<FakeScope>,
    pub silent: Mutex<BTreeSet<String>>,
    /// Jobs whose next start fails like a refused scheduler API call (nothing started).
    pub fail_once: Mutex<BTreeSet<String>>,
    /// Specs the job source holds; a job missing here has a default member spec unless it
    /// is listed in `no_spec`.
    pub specs: Mutex<BTreeMap<String, JobSpec>>,
    /// Jobs the job source has no spec for.
    pub no_spec: Mutex<BTreeSet<String>>,
    /// What `diagnose` answers per job (none: no allocation).
    pub diagnoses: Mutex<BTreeMap<String, JobDiagnosis>>,
    /// Members publish themselves as Patroni 3.0.2 does (no `replication_state`).
    pub patroni_3: std::sync::atomic::AtomicBool,
}

/// The `initialize` value (system ID) the fake first member writes.
pub const SYSTEM_ID: &str = "7710851854280831279";

/// The spec of a member job as the runbook names it: group = job, task `postgres-patroni`.
pub fn member_spec(job: &str, namespace: Option<&str>) -> JobSpec {
    JobSpec {
        id: job.to_owned(),
        namespace: namespace.map(str::to_owned),
        groups: vec![TaskGroupSpec { name: job.to_owned(), tasks: vec!["postgres-patroni".to_owned()] }],
    }
}

impl FakeScheduler {
    pub fn new(namespace: &str, dcs: Arc<FakeScope>) -> Self {
        Self {
            namespaces: vec![namespace.to_owned()],
            scope: format!("{namespace}-database"),
            states: Mutex::default(),
            calls: Mutex::default(),
            dcs,
            silent: Mutex::default(),
            fail_once: Mutex::default(),
            specs: Mutex::default(),
            no_spec: Mutex::default(),
            diagnoses: Mutex::default(),
            patroni_3: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    pub fn set(&self, job: &str, state: JobState) {
        self.states.lock().unwrap().insert(job.to_owned(), state);
    }
}

#[async_trait]
impl Scheduler for FakeScheduler {
    async fn namespace_exists(&self, namespace: &str) -> Result<bool> {
        Ok(self.namespaces.iter().any(|n| n == namespace))
    }
    async fn job_state(&self, _namespace: &str, job: &str) -> Result<JobState> {
        Ok(self.states.lock().unwrap().get(job).copied().unwrap_or(JobState::Absent))
    }
    async fn start_job(&self, _namespace: &str, job: &str) -> Result<()> {
        if self.fail_once.lock().unwrap().remove(job) {
            self.calls.lock().unwrap().push(format!("start {job} failed"));
            return Err(recipes::Error::backend_msg("Nomad", format!("POST /v1/jobs for {job} failed with HTTP 500")));
        }
        self.calls.lock().unwrap().push(format!("start {job}"));
        self.set(job, JobState::Running);
        if job.starts_with("dbHA") && !self.silent.lock().unwrap().contains(job) {
            let has_leader = self.dcs.entries.lock().unwrap().contains_key(&format!("service/{}/leader", self.scope));
            let patroni_3 = self.patroni_3.load(std::sync::atomic::Ordering::SeqCst);
            let role = if has_leader { "replica" } else { "master" };
            if patroni_3 {
                self.dcs.member_3(&self.scope, job, role, 1000);
            } else {
                self.dcs.member(&self.scope, job, role, 1000);
            }
            if !has_leader {
                let init = format!("service/{}/initialize", self.scope);
                if !self.dcs.entries.lock().unwrap().contains_key(&init) {
                    self.dcs.put(&init, SYSTEM_ID);
                }
                self.dcs.put(&format!("service/{}/leader", self.scope), job);
            }
        }
        Ok(())
    }
    async fn stop_job(&self, _namespace: &str, job: &str, purge: bool) -> Result<()> {
        self.calls.lock().unwrap().push(format!("stop {job} purge={purge}"));
        self.set(job, if purge { JobState::Absent } else { JobState::Dead });
        Ok(())
    }
    async fn wait_running(&self, _namespace: &str, job: &str, _timeout: Duration) -> Result<()> {
        self.calls.lock().unwrap().push(format!("wait {job}"));
        Ok(())
    }
    async fn job_spec(&self, namespace: &str, job: &str) -> Result<Option<JobSpec>> {
        if self.no_spec.lock().unwrap().contains(job) {
            return Ok(None);
        }
        Ok(Some(self.specs.lock().unwrap().get(job).cloned().unwrap_or_else(|| member_spec(job, Some(namespace)))))
    }
    async fn diagnose(&self, _namespace: &str, job: &str) -> Result<Option<JobDiagnosis>> {
        Ok(self.diagnoses.lock().unwrap().get(job).cloned())
    }
}

/// A leader's REST API answering with fixed WAL senders, counting the calls.
#[derive(Default)]
pub struct FakeMemberApi {
    pub senders: Mutex<Vec<WalSender>>,
    pub calls: Mutex<Vec<String>>,
}

#[async_trait]
impl MemberApi for FakeMemberApi {
    async fn wal_senders(&self, api_url: &str) -> Result<Vec<WalSender>> {
        self.calls.lock().unwrap().push(api_url.to_owned());
        Ok(self.senders.lock().unwrap().clone())
    }
}

/// A volume probe with a fixed answer.
pub struct FixedProbe(pub Vec<String>);

#[async_trait]
impl VolumeProbe for FixedProbe {
    async fn leftover_data(&self, _namespace: &str) -> Result<Vec<String>> {
        Ok(self.0.clone())
    }
}
