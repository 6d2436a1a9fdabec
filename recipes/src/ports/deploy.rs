//! Planning, registering and following a job's deployment, and reverting it: the port of
//! the [`deploy`](crate::deploy) recipe, with the typed diff and deployment it speaks in.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use nomad_client::DeploymentStatus;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Result;

/// How a field, object, task, group or job differs between what runs and what is planned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Present only in the planned job.
    Added,
    /// Present only in the running job.
    Deleted,
    /// Present in both, with another value.
    Edited,
    /// Unchanged (shown for context inside an edited object).
    #[default]
    None,
}

impl Change {
    /// Nomad's word (`Added`, `Deleted`, `Edited`, `None`; anything else is `None`).
    #[must_use]
    pub fn from_nomad(word: &str) -> Self {
        match word {
            "Added" => Self::Added,
            "Deleted" => Self::Deleted,
            "Edited" => Self::Edited,
            _ => Self::None,
        }
    }
}

/// One field of a diff, e.g. `MemoryMB: "64" => "128"`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// How it changed.
    pub change: Change,
    /// The field's name, e.g. `Meta[revision]`.
    pub name: String,
    /// The running value (empty when added).
    pub old: String,
    /// The planned value (empty when deleted).
    pub new: String,
    /// The scheduler's notes, e.g. `forces create/destroy update`.
    pub annotations: Vec<String>,
}

/// A nested object of a diff (resources, a service, its checks...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectChange {
    /// How it changed.
    pub change: Change,
    /// The object's name, e.g. `Resources`.
    pub name: String,
    /// Its fields.
    pub fields: Vec<FieldChange>,
    /// Its nested objects.
    pub objects: Vec<ObjectChange>,
}

/// One task of a group's diff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskChange {
    /// How it changed.
    pub change: Change,
    /// The task's name.
    pub name: String,
    /// Its fields.
    pub fields: Vec<FieldChange>,
    /// Its objects.
    pub objects: Vec<ObjectChange>,
    /// The scheduler's notes, e.g. `forces create/destroy update`.
    pub annotations: Vec<String>,
}

/// One task group of a job's diff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupChange {
    /// How it changed.
    pub change: Change,
    /// The group's name.
    pub name: String,
    /// Its fields, e.g. `Count`.
    pub fields: Vec<FieldChange>,
    /// Its objects.
    pub objects: Vec<ObjectChange>,
    /// Its tasks.
    pub tasks: Vec<TaskChange>,
    /// What the scheduler would do to its allocations, by Nomad's words (`create`,
    /// `destroy`, `migrate`, `ignore`, `canary`, `in-place update`, `create/destroy update`)
    /// with their counts; empty without a scheduler dry run.
    pub updates: BTreeMap<String, u64>,
}

/// The diff of a job: what registering the planned job changes in the running one (or,
/// between versions, what a version changed in the one before).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobChange {
    /// How the job changed (`None`: registering it changes nothing).
    pub change: Change,
    /// The job ID.
    pub id: String,
    /// Its fields.
    pub fields: Vec<FieldChange>,
    /// Its objects.
    pub objects: Vec<ObjectChange>,
    /// Its task groups.
    pub groups: Vec<GroupChange>,
}

/// What the scheduler's dry run would do to one group's allocations (Nomad's
/// `DesiredTGUpdates`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacementCounts {
    /// Allocations left as they are.
    pub ignore: u64,
    /// New allocations placed.
    pub place: u64,
    /// Allocations moved off draining nodes.
    pub migrate: u64,
    /// Allocations stopped.
    pub stop: u64,
    /// Allocations updated in place.
    pub in_place_update: u64,
    /// Allocations replaced (stopped, then created anew).
    pub destructive_update: u64,
    /// Canaries placed.
    pub canary: u64,
    /// Allocations of other jobs preempted.
    pub preemptions: u64,
}

/// A group whose allocations the scheduler could not place, with its reasons.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedPlacement {
    /// The task group.
    pub group: String,
    /// How many allocations could not be placed.
    pub allocations: u64,
    /// Why, one reason a line, as `nomad job plan` words them (e.g. `Dimension "memory"
    /// exhausted on 1 nodes`).
    pub reasons: Vec<String>,
}

/// The scheduler's dry run of a job, with its diff against what runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobPlan {
    /// The job ID.
    pub job_id: String,
    /// The namespace the job would be registered in.
    pub namespace: String,
    /// The `JobModifyIndex` of the job the plan compared with (0: the job does not exist):
    /// registering with it as `EnforceIndex` fails if the job changed since.
    pub job_modify_index: u64,
    /// The diff against what runs.
    pub diff: JobChange,
    /// What the scheduler would do, per group.
    pub placements: BTreeMap<String, PlacementCounts>,
    /// The groups that could not be placed.
    pub failed: Vec<FailedPlacement>,
    /// The server's warnings.
    pub warnings: Vec<String>,
}

/// A registration (or revert) Nomad accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registered {
    /// The evaluation it created.
    pub eval_id: String,
    /// The job's new `JobModifyIndex`.
    pub job_modify_index: u64,
    /// The server's warnings.
    pub warnings: Vec<String>,
}

/// What a check-and-set write (register with `EnforceIndex`, revert with
/// `EnforcePriorVersion`) came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Registration {
    /// Nomad wrote it.
    Registered(Registered),
    /// Nomad refused it because the job is no longer the one the index or version names;
    /// nothing was written. The text is Nomad's.
    Conflict {
        /// Nomad's message, e.g. `Enforcing job modify index 20: job exists with
        /// conflicting job modify index: 23`.
        nomad_says: String,
    },
}

/// One task group of a deployment: its allocations' health.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupHealth {
    /// Allocations the group should have at the end.
    pub desired_total: u64,
    /// Allocations placed so far.
    pub placed: u64,
    /// Placed allocations that became healthy.
    pub healthy: u64,
    /// Placed allocations that became unhealthy.
    pub unhealthy: u64,
    /// Canaries wanted.
    pub desired_canaries: u64,
    /// Canaries placed.
    pub placed_canaries: u64,
    /// The canaries were promoted.
    pub promoted: bool,
    /// Nomad itself reverts this group on failure (the job's `update { auto_revert }`).
    pub auto_revert: bool,
}

impl std::fmt::Display for GroupHealth {
    /// `1/1 placed, 1 healthy, 0 unhealthy` (and `canaries 1/1, promoted` when there are).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{} placed, {} healthy, {} unhealthy",
            self.placed, self.desired_total, self.healthy, self.unhealthy
        )?;
        if self.desired_canaries > 0 {
            write!(f, ", canaries {}/{}", self.placed_canaries, self.desired_canaries)?;
            if self.promoted {
                f.write_str(", promoted")?;
            }
        }
        Ok(())
    }
}

/// A deployment of one job version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentView {
    /// Its ID.
    pub id: String,
    /// The job version it deploys.
    pub job_version: u64,
    /// The `JobModifyIndex` of that version.
    pub job_modify_index: u64,
    /// `running`, `successful`, `failed`, `cancelled`, ...
    pub status: DeploymentStatus,
    /// Nomad's explanation, e.g. `Failed due to unhealthy allocations`.
    pub description: String,
    /// The health of each task group.
    pub groups: BTreeMap<String, GroupHealth>,
    /// Its `ModifyIndex` (a blocking query waits for it to move).
    pub modify_index: u64,
}

impl DeploymentView {
    /// `database: 1/1 placed, 1 healthy, 0 unhealthy; ...`, for progress and reports.
    #[must_use]
    pub fn health(&self) -> String {
        let groups: Vec<String> = self.groups.iter().map(|(name, h)| format!("{name}: {h}")).collect();
        groups.join("; ")
    }
}

/// One version Nomad keeps of a job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobVersion {
    /// The version number.
    pub version: u64,
    /// Nomad marked it stable (a deployment of it succeeded, or it was marked by hand).
    pub stable: bool,
    /// Its `JobModifyIndex`.
    pub job_modify_index: u64,
}

/// The versions of a job, newest first, with the diff of each to the one before.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobVersions {
    /// Newest first; empty when the job does not exist.
    pub versions: Vec<JobVersion>,
    /// When asked for: `diffs[i]` is what `versions[i]` changed in `versions[i + 1]`.
    pub diffs: Vec<JobChange>,
}

impl JobVersions {
    /// The newest stable version older than `version`: what a revert goes back to.
    #[must_use]
    pub fn stable_before(&self, version: u64) -> Option<JobVersion> {
        self.versions.iter().find(|v| v.stable && v.version < version).copied()
    }
}

/// Plans, registers, follows and reverts jobs (Nomad, or a fake in tests). Jobs are
/// addressed by exact ID inside a namespace.
#[async_trait]
pub trait Deployer: Send + Sync {
    /// Where the jobs go, for messages (e.g. `Nomad at http://127.0.0.1:4646`).
    fn location(&self) -> String;

    /// A job in HCL as JSON (the value of `"Job"`), parsed by the scheduler; nothing is registered.
    async fn parse_hcl(&self, hcl: &str) -> Result<Value>;

    /// The scheduler's dry run of `job` (JSON, the value of `"Job"`) with its diff
    /// against what runs. `namespace` is the caller's choice; a job that names its own
    /// namespace goes there (and another explicit choice is an error).
    async fn plan(&self, namespace: Option<&str>, job: &Value) -> Result<JobPlan>;

    /// Registers `job` in `namespace` only if its `JobModifyIndex` is still `enforce_index`
    /// (0: only if the job does not exist).
    async fn register(&self, namespace: &str, job: &Value, enforce_index: u64) -> Result<Registration>;

    /// The job's versions, newest first, with their diffs when `diffs`; empty when the
    /// job does not exist.
    async fn versions(&self, namespace: &str, job: &str, diffs: bool) -> Result<JobVersions>;

    /// The job's latest deployment (`None`: it has none yet) and the index to block on next.
    /// With `index` > 0, waits up to `wait` for something newer than `index` first.
    async fn latest_deployment(
        &self,
        namespace: &str,
        job: &str,
        index: u64,
        wait: Duration,
    ) -> Result<(Option<DeploymentView>, u64)>;

    /// One deployment and the index to block on next; with `index` > 0, waits up to `wait`
    /// for a change after `index` first.
    async fn deployment(&self, namespace: &str, id: &str, index: u64, wait: Duration) -> Result<(DeploymentView, u64)>;

    /// Registers version `version` of the job again, only if its current version is still
    /// `prior_version`.
    async fn revert(&self, namespace: &str, job: &str, version: u64, prior_version: u64) -> Result<Registration>;
}
