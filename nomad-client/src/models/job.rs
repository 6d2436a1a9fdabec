//! The job specification (`structs.Job`) and what the job endpoints answer.
//!
//! Every struct on the path from a job to its tasks keeps the fields it does
//! not model in `extra`, and modelled fields that were `null` stay `null`, so
//! a job read, changed and registered again loses nothing.

use std::collections::BTreeMap;

use crate::vocab::{JobStatus, JobType};
use client_core::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A Nomad job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Job {
    /// Job ID (unique within a namespace).
    #[serde(rename = "ID")]
    pub id: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Namespace the job lives in.
    pub namespace: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// `service`, `batch`, `system` or `sysbatch`.
    #[serde(rename = "Type")]
    pub job_type: Option<JobType>,
    /// Scheduling priority (1-100).
    pub priority: Option<i64>,
    /// Datacenters the job may run in.
    pub datacenters: Option<Vec<String>>,
    /// Placement constraints.
    pub constraints: Option<Vec<Constraint>>,
    /// Task groups.
    pub task_groups: Option<Vec<TaskGroup>>,
    /// Free-form metadata.
    pub meta: Option<BTreeMap<String, String>>,
    /// Parameterized-job settings (dispatchable jobs), kept as sent.
    pub parameterized_job: Option<Value>,
    /// ID of the parent of a dispatched or periodic child.
    #[serde(rename = "ParentID")]
    pub parent_id: Option<String>,
    /// True when the job was stopped.
    pub stop: Option<bool>,
    /// `pending`, `running` or `dead`.
    pub status: Option<JobStatus>,
    /// Version, incremented by every register.
    pub version: Option<u64>,
    /// Raft index of the job's creation.
    pub create_index: Option<u64>,
    /// Raft index of the last change (including status changes).
    pub modify_index: Option<u64>,
    /// Raft index of the last change to the specification (use for check-and-set).
    pub job_modify_index: Option<u64>,
    /// Consul token given at submission (redacted in Debug output).
    pub consul_token: Option<Secret>,
    /// Vault token given at submission (redacted in Debug output).
    pub vault_token: Option<Secret>,
    /// Node pool the job runs in (Nomad 1.6+; absent before, and left out
    /// of the encoding when unset so an older job round-trips unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_pool: Option<String>,
    /// Every field not modelled above, kept for the round trip.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Job {
    /// A minimal job with an ID, a name and a type, for building specifications in code.
    #[must_use]
    pub fn new(id: impl Into<String>, job_type: JobType) -> Self {
        let id = id.into();
        Self { name: Some(id.clone()), id: Some(id), job_type: Some(job_type), ..Self::default() }
    }

    /// The tag of this version (`VersionTag`, Nomad 1.9+), read from the
    /// fields kept as sent (so an untagged job's `null` stays `null`).
    #[must_use]
    pub fn version_tag(&self) -> Option<JobVersionTag> {
        self.extra.get("VersionTag").and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// The web UI's description and links (`UI`, Nomad 1.8+), as sent.
    #[must_use]
    pub fn ui(&self) -> Option<&Value> {
        self.extra.get("UI").filter(|v| !v.is_null())
    }

    /// The task group named `name`.
    #[must_use]
    pub fn task_group(&self, name: &str) -> Option<&TaskGroup> {
        self.task_groups.as_deref()?.iter().find(|g| g.name.as_deref() == Some(name))
    }

    /// The task group named `name`, for changing it.
    pub fn task_group_mut(&mut self, name: &str) -> Option<&mut TaskGroup> {
        self.task_groups.as_mut()?.iter_mut().find(|g| g.name.as_deref() == Some(name))
    }
}

/// A named version of a job (`nomad job tag`, Nomad 1.9+).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobVersionTag {
    /// Tag name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// When it was tagged (Unix nanoseconds).
    pub tagged_time: Option<i64>,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A group of tasks placed together on one client.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskGroup {
    /// Group name.
    pub name: Option<String>,
    /// Number of allocations wanted.
    pub count: Option<i64>,
    /// Placement constraints.
    pub constraints: Option<Vec<Constraint>>,
    /// Tasks.
    pub tasks: Option<Vec<Task>>,
    /// Networks (ports) of the group.
    pub networks: Option<Vec<NetworkResource>>,
    /// Services registered at group level.
    pub services: Option<Vec<Service>>,
    /// Volumes requested, by name.
    pub volumes: Option<BTreeMap<String, VolumeRequest>>,
    /// Free-form metadata.
    pub meta: Option<BTreeMap<String, String>>,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TaskGroup {
    /// The task named `name`.
    #[must_use]
    pub fn task(&self, name: &str) -> Option<&Task> {
        self.tasks.as_deref()?.iter().find(|t| t.name.as_deref() == Some(name))
    }
}

/// One task (a process, a container) of a group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Task {
    /// Task name.
    pub name: Option<String>,
    /// Driver, e.g. `docker`, `raw_exec`.
    pub driver: Option<String>,
    /// User to run as.
    pub user: Option<String>,
    /// Driver configuration, free-form.
    pub config: Option<Map<String, Value>>,
    /// Environment variables.
    pub env: Option<BTreeMap<String, String>>,
    /// Services registered by the task.
    pub services: Option<Vec<Service>>,
    /// Placement constraints.
    pub constraints: Option<Vec<Constraint>>,
    /// CPU, memory and other resources.
    pub resources: Option<Resources>,
    /// Volumes mounted into the task.
    pub volume_mounts: Option<Vec<VolumeMount>>,
    /// Free-form metadata.
    pub meta: Option<BTreeMap<String, String>>,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Task {
    /// The default workload identity (`Identity`, Nomad 1.5+), as sent.
    #[must_use]
    pub fn identity(&self) -> Option<&Value> {
        self.extra.get("Identity").filter(|v| !v.is_null())
    }

    /// Further workload identities (`Identities`, Nomad 1.7+), as sent.
    #[must_use]
    pub fn identities(&self) -> &[Value] {
        self.extra.get("Identities").and_then(Value::as_array).map_or(&[], Vec::as_slice)
    }

    /// Time-based execution (`Schedule`, `schedule { cron {...} }`, Nomad 1.9 Enterprise), as sent.
    #[must_use]
    pub fn schedule(&self) -> Option<&Value> {
        self.extra.get("Schedule").filter(|v| !v.is_null())
    }
}

/// A service registered in Consul.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Service {
    /// Service name.
    pub name: Option<String>,
    /// Port label the service advertises.
    pub port_label: Option<String>,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// Health checks, kept as sent.
    pub checks: Option<Vec<Value>>,
    /// Service metadata.
    pub meta: Option<BTreeMap<String, String>>,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A placement constraint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Constraint {
    /// Left side, e.g. `${attr.kernel.name}`.
    #[serde(rename = "LTarget")]
    pub l_target: Option<String>,
    /// Right side, e.g. `linux`.
    #[serde(rename = "RTarget")]
    pub r_target: Option<String>,
    /// Operator, e.g. `=`, `distinct_hosts`.
    #[serde(rename = "Operand")]
    pub operand: Option<String>,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A network of a group or task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkResource {
    /// `host`, `bridge`, ...
    pub mode: Option<String>,
    /// Ports with fixed numbers.
    pub reserved_ports: Option<Vec<Port>>,
    /// Ports chosen by Nomad.
    pub dynamic_ports: Option<Vec<Port>>,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A port of a network.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Port {
    /// Label services refer to.
    pub label: Option<String>,
    /// Host port (0 in a specification for dynamic ports).
    pub value: Option<i64>,
    /// Port inside the task's network namespace.
    pub to: Option<i64>,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A volume a group asks for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VolumeRequest {
    /// Volume name within the group.
    pub name: Option<String>,
    /// `host` or `csi`.
    #[serde(rename = "Type")]
    pub volume_type: Option<String>,
    /// Host volume or CSI volume ID.
    pub source: Option<String>,
    /// Mounted read-only.
    pub read_only: Option<bool>,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Where a task mounts a group volume.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VolumeMount {
    /// Group volume name.
    pub volume: Option<String>,
    /// Path inside the task.
    pub destination: Option<String>,
    /// Mounted read-only.
    pub read_only: Option<bool>,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Resources of a task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resources {
    /// CPU in MHz.
    #[serde(rename = "CPU")]
    pub cpu: Option<i64>,
    /// Memory in MB.
    #[serde(rename = "MemoryMB")]
    pub memory_mb: Option<i64>,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One row of `GET /v1/jobs`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobListStub {
    /// Job ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Parent job ID (dispatched and periodic children).
    #[serde(rename = "ParentID")]
    pub parent_id: String,
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Job type.
    #[serde(rename = "Type")]
    pub job_type: JobType,
    /// Priority.
    pub priority: i64,
    /// True for a parameterized (dispatchable) job.
    pub parameterized_job: bool,
    /// True for a periodic job.
    pub periodic: bool,
    /// True when stopped.
    pub stop: bool,
    /// `pending`, `running` or `dead`.
    pub status: JobStatus,
    /// Why the status is what it is.
    pub status_description: String,
    /// Allocation counts per group.
    pub job_summary: Option<JobSummary>,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
    /// Last specification change index.
    pub job_modify_index: u64,
    /// Submission time (Unix nanoseconds).
    pub submit_time: i64,
    /// Node pool (Nomad 1.6+; empty before).
    pub node_pool: String,
    /// Every field not modelled above (`Datacenters`, `Multiregion`, `Meta`...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Allocation counts of a job, per task group (`GET /v1/job/:id/summary`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobSummary {
    /// Job ID.
    #[serde(rename = "JobID")]
    pub job_id: String,
    /// Namespace.
    pub namespace: String,
    /// Counts per task group.
    pub summary: BTreeMap<String, TaskGroupSummary>,
    /// Counts of child jobs (parameterized and periodic jobs).
    pub children: Option<JobChildrenSummary>,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
}

/// Allocation counts of one task group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TaskGroupSummary {
    /// Waiting for placement.
    pub queued: u64,
    /// Finished successfully.
    pub complete: u64,
    /// Failed.
    pub failed: u64,
    /// Running.
    pub running: u64,
    /// Starting.
    pub starting: u64,
    /// On a lost node.
    pub lost: u64,
}

/// Counts of child jobs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobChildrenSummary {
    /// Pending children.
    pub pending: u64,
    /// Running children.
    pub running: u64,
    /// Finished children.
    pub dead: u64,
}

/// What register, revert, scale and stop answer: the evaluation they created.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobRegisterResponse {
    /// Evaluation created (empty when none was needed).
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    /// Index of the evaluation's creation.
    pub eval_create_index: u64,
    /// New job modify index.
    pub job_modify_index: u64,
    /// Server warnings (deprecated fields and the like), empty when none.
    pub warnings: String,
    /// Raft index of the write.
    pub index: u64,
}

/// What dispatch answers.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobDispatchResponse {
    /// ID of the child job created (contains `/`).
    #[serde(rename = "DispatchedJobID")]
    pub dispatched_job_id: String,
    /// Evaluation created.
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    /// Index of the evaluation's creation.
    pub eval_create_index: u64,
    /// Index of the child job's creation.
    pub job_create_index: u64,
    /// Raft index of the write.
    pub index: u64,
}

/// What plan answers.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobPlanResponse {
    /// Modify index to pass as enforce-index when registering exactly this plan.
    pub job_modify_index: u64,
    /// The diff between the running job and the planned one (when asked for).
    pub diff: Option<JobDiff>,
    /// Scheduler annotations (desired updates per group), kept as sent.
    pub annotations: Option<Value>,
    /// Allocations that could not be placed, per group, kept as sent.
    #[serde(rename = "FailedTGAllocs")]
    pub failed_tg_allocs: Option<Map<String, Value>>,
    /// Server warnings.
    pub warnings: String,
}

/// A diff of two jobs.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobDiff {
    /// `None`, `Added`, `Deleted` or `Edited`.
    #[serde(rename = "Type")]
    pub diff_type: String,
    /// Job ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Changed job fields.
    pub fields: Option<Vec<FieldDiff>>,
    /// Changed job objects.
    pub objects: Option<Vec<ObjectDiff>>,
    /// Changed task groups.
    pub task_groups: Option<Vec<TaskGroupDiff>>,
}

/// A diff of one task group.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TaskGroupDiff {
    /// `None`, `Added`, `Deleted` or `Edited`.
    #[serde(rename = "Type")]
    pub diff_type: String,
    /// Group name.
    pub name: String,
    /// Changed fields.
    pub fields: Option<Vec<FieldDiff>>,
    /// Changed objects.
    pub objects: Option<Vec<ObjectDiff>>,
    /// Changed tasks.
    pub tasks: Option<Vec<TaskDiff>>,
    /// Planned updates by kind (`create`, `destroy`, `in-place update`...).
    pub updates: Option<BTreeMap<String, u64>>,
}

/// A diff of one task.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TaskDiff {
    /// `None`, `Added`, `Deleted` or `Edited`.
    #[serde(rename = "Type")]
    pub diff_type: String,
    /// Task name.
    pub name: String,
    /// Changed fields.
    pub fields: Option<Vec<FieldDiff>>,
    /// Changed objects.
    pub objects: Option<Vec<ObjectDiff>>,
    /// Scheduler annotations such as `forces create/destroy update`.
    pub annotations: Option<Vec<String>>,
}

/// A diff of a nested object (resources, a service...).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ObjectDiff {
    /// `None`, `Added`, `Deleted` or `Edited`.
    #[serde(rename = "Type")]
    pub diff_type: String,
    /// Object name.
    pub name: String,
    /// Changed fields.
    pub fields: Option<Vec<FieldDiff>>,
    /// Changed nested objects.
    pub objects: Option<Vec<ObjectDiff>>,
}

/// A diff of one field.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FieldDiff {
    /// `None`, `Added`, `Deleted` or `Edited`.
    #[serde(rename = "Type")]
    pub diff_type: String,
    /// Field name, e.g. `Meta[revision]`.
    pub name: String,
    /// Old value.
    pub old: String,
    /// New value.
    pub new: String,
    /// Annotations such as `forces create/destroy update`.
    pub annotations: Option<Vec<String>>,
}

impl JobDiff {
    /// True when the plan changes nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.diff_type == "None"
    }

    /// The diff as indented text in the spirit of `nomad job plan`:
    /// `+` added, `-` deleted, `+/-` edited; unchanged fields are left out.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        line(&mut out, 0, &self.diff_type, &format!("Job: {:?}", self.id));
        fields(&mut out, 1, self.fields.as_deref());
        objects(&mut out, 1, self.objects.as_deref());
        for group in self.task_groups.as_deref().unwrap_or_default() {
            if group.diff_type == "None" {
                continue;
            }
            let updates = group
                .updates
                .as_ref()
                .map(|u| u.iter().map(|(k, v)| format!("{v} {k}")).collect::<Vec<_>>().join(", "))
                .filter(|s| !s.is_empty())
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            line(&mut out, 1, &group.diff_type, &format!("Task Group: {:?}{updates}", group.name));
            fields(&mut out, 2, group.fields.as_deref());
            objects(&mut out, 2, group.objects.as_deref());
            for task in group.tasks.as_deref().unwrap_or_default() {
                if task.diff_type == "None" {
                    continue;
                }
                let notes = task.annotations.as_ref().map(|a| format!(" ({})", a.join(", "))).unwrap_or_default();
                line(&mut out, 2, &task.diff_type, &format!("Task: {:?}{notes}", task.name));
                fields(&mut out, 3, task.fields.as_deref());
                objects(&mut out, 3, task.objects.as_deref());
            }
        }
        out
    }
}

fn marker(diff_type: &str) -> &'static str {
    match diff_type {
        "Added" => "+",
        "Deleted" => "-",
        "Edited" => "+/-",
        _ => " ",
    }
}

fn line(out: &mut String, depth: usize, diff_type: &str, text: &str) {
    out.push_str(&"  ".repeat(depth));
    out.push_str(marker(diff_type));
    out.push(' ');
    out.push_str(text);
    out.push('\n');
}

fn fields(out: &mut String, depth: usize, fields: Option<&[FieldDiff]>) {
    for f in fields.unwrap_or_default() {
        let text = match f.diff_type.as_str() {
            "None" => continue,
            "Added" => format!("{}: {:?}", f.name, f.new),
            "Deleted" => format!("{}: {:?}", f.name, f.old),
            _ => format!("{}: {:?} => {:?}", f.name, f.old, f.new),
        };
        line(out, depth, &f.diff_type, &text);
    }
}

fn objects(out: &mut String, depth: usize, list: Option<&[ObjectDiff]>) {
    for o in list.unwrap_or_default() {
        if o.diff_type == "None" {
            continue;
        }
        line(out, depth, &o.diff_type, &format!("{} {{", o.name));
        fields(out, depth + 1, o.fields.as_deref());
        objects(out, depth + 1, o.objects.as_deref());
        out.push_str(&"  ".repeat(depth));
        out.push_str("    }\n");
    }
}

/// One version of a job with the diff to the version before (`GET /v1/job/:id/versions`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobVersions {
    /// The versions, newest first.
    pub versions: Vec<Job>,
    /// With `diffs`: `Diffs[i]` is the change from `Versions[i+1]` to `Versions[i]`.
    pub diffs: Option<Vec<JobDiff>>,
}

/// Scaling status of a job (`GET /v1/job/:id/scale`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobScaleStatus {
    /// Job ID.
    #[serde(rename = "JobID")]
    pub job_id: String,
    /// Namespace.
    pub namespace: String,
    /// True when the job is stopped.
    pub job_stopped: bool,
    /// Per task group: desired, placed, running, healthy counts and scaling events.
    pub task_groups: BTreeMap<String, Value>,
}
