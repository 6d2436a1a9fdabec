use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use nomad_client::{
    ClientError, Deployment, FieldDiff, Job, JobDiff, JobRegisterResponse, NomadClient, ObjectDiff, PlanOptions,
    QueryOptions, RegisterOptions, WriteOptions,
};
use serde_json::Value;

use super::err;
use crate::ports::{
    Change, Deployer, DeploymentView, FailedPlacement, FieldChange, GroupChange, GroupHealth, JobChange, JobPlan,
    JobVersion, JobVersions, ObjectChange, PlacementCounts, Registered, Registration, TaskChange,
};
use crate::{Error, Result};

/// The prefix of every error Nomad answers when a register's `EnforceIndex` does not hold
/// (`nomad/job_endpoint.go`, `RegisterEnforceIndexErrPrefix`): `Enforcing job modify index
/// 20: job exists with conflicting job modify index: 23`, `... 0: job already exists`,
/// `... 5: job does not exist`, each an HTTP 500 with a text body.
const ENFORCE_INDEX_PREFIX: &str = "Enforcing job modify index";

/// What Nomad 1.1.2 answers (HTTP 500) when a revert's `EnforcePriorVersion` does not hold:
/// `Current job has version 2; enforcing version 1` (recorded, `job-revert-wrong-prior-version.txt`).
const ENFORCE_VERSION_MARK: &str = "; enforcing version ";

/// [`Deployer`] over [`NomadClient`]: `jobs/parse`, `job/:id/plan` with the diff,
/// `jobs` with `EnforceIndex`, the job's versions, its deployments read with blocking
/// queries, and `job/:id/revert` with `EnforcePriorVersion`.
#[derive(Debug, Clone)]
pub struct NomadDeployer {
    nomad: NomadClient,
}

impl NomadDeployer {
    /// Deploys through `nomad` (its token needs `submit-job` and `read-job` in the namespace).
    #[must_use]
    pub fn new(nomad: NomadClient) -> Self {
        Self { nomad }
    }

    fn query(namespace: &str, index: u64, wait: Duration) -> QueryOptions {
        let q = QueryOptions::new().namespace(namespace);
        if index > 0 { q.blocking(index, wait) } else { q }
    }
}

fn typed_job(job: &Value) -> Result<Job> {
    let id = job.get("ID").and_then(Value::as_str).unwrap_or_default().to_owned();
    serde_json::from_value(job.clone())
        .map_err(|e| Error::invalid("job", id, format!("is not a Nomad job in JSON (the value of \"Job\"): {e}")))
}

/// Nomad's message when `e` is a check-and-set refusal (an API error whose text names it).
fn conflict_text(e: &nomad_client::Error, mark: &str) -> Option<String> {
    match e.core()? {
        client_core::Error::Api { message, .. } if message.contains(mark) => Some(message.trim().to_owned()),
        _ => None,
    }
}

fn registered(r: JobRegisterResponse) -> Registered {
    Registered { eval_id: r.eval_id, job_modify_index: r.job_modify_index, warnings: warnings(&r.warnings) }
}

fn warnings(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

fn u64_of(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or_default()
}

fn map_of<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = (&'a String, &'a Value)> {
    v.get(key).and_then(Value::as_object).into_iter().flatten()
}

fn fields(fields: Option<&[FieldDiff]>) -> Vec<FieldChange> {
    fields
        .unwrap_or_default()
        .iter()
        .map(|f| FieldChange {
            change: Change::from_nomad(&f.diff_type),
            name: f.name.clone(),
            old: f.old.clone(),
            new: f.new.clone(),
            annotations: f.annotations.clone().unwrap_or_default(),
        })
        .collect()
}

fn objects(objects: Option<&[ObjectDiff]>) -> Vec<ObjectChange> {
    objects
        .unwrap_or_default()
        .iter()
        .map(|o| ObjectChange {
            change: Change::from_nomad(&o.diff_type),
            name: o.name.clone(),
            fields: fields(o.fields.as_deref()),
            objects: self::objects(o.objects.as_deref()),
        })
        .collect()
}

/// Nomad's diff, typed.
fn job_change(d: &JobDiff) -> JobChange {
    JobChange {
        change: Change::from_nomad(&d.diff_type),
        id: d.id.clone(),
        fields: fields(d.fields.as_deref()),
        objects: objects(d.objects.as_deref()),
        groups: d
            .task_groups
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|g| GroupChange {
                change: Change::from_nomad(&g.diff_type),
                name: g.name.clone(),
                fields: fields(g.fields.as_deref()),
                objects: objects(g.objects.as_deref()),
                tasks: g
                    .tasks
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .map(|t| TaskChange {
                        change: Change::from_nomad(&t.diff_type),
                        name: t.name.clone(),
                        fields: fields(t.fields.as_deref()),
                        objects: objects(t.objects.as_deref()),
                        annotations: t.annotations.clone().unwrap_or_default(),
                    })
                    .collect(),
                updates: g.updates.clone().unwrap_or_default(),
            })
            .collect(),
    }
}

/// `DesiredTGUpdates` of the plan's annotations.
fn placements(annotations: Option<&Value>) -> BTreeMap<String, PlacementCounts> {
    let Some(a) = annotations else { return BTreeMap::new() };
    map_of(a, "DesiredTGUpdates")
        .map(|(group, u)| {
            let counts = PlacementCounts {
                ignore: u64_of(u, "Ignore"),
                place: u64_of(u, "Place"),
                migrate: u64_of(u, "Migrate"),
                stop: u64_of(u, "Stop"),
                in_place_update: u64_of(u, "InPlaceUpdate"),
                destructive_update: u64_of(u, "DestructiveUpdate"),
                canary: u64_of(u, "Canary"),
                preemptions: u64_of(u, "Preemptions"),
            };
            (group.clone(), counts)
        })
        .collect()
}

/// One group's `AllocMetric` as the reasons `nomad job plan` prints
/// (`command/monitor.go`, `formatAllocMetrics`), map entries in name order.
fn failed_placement(group: &str, m: &Value) -> FailedPlacement {
    let mut reasons = Vec::new();
    if u64_of(m, "NodesEvaluated") == 0 {
        reasons.push("No nodes were eligible for evaluation".to_owned());
    }
    for (dc, n) in map_of(m, "NodesAvailable") {
        if n.as_u64() == Some(0) {
            reasons.push(format!("No nodes are available in datacenter {dc:?}"));
        }
    }
    for (class, n) in map_of(m, "ClassFiltered") {
        reasons.push(format!("Class {class:?}: {} nodes excluded by filter", n.as_u64().unwrap_or_default()));
    }
    for (constraint, n) in map_of(m, "ConstraintFiltered") {
        reasons.push(format!("Constraint {constraint:?}: {} nodes excluded by filter", n.as_u64().unwrap_or_default()));
    }
    let exhausted = u64_of(m, "NodesExhausted");
    if exhausted > 0 {
        reasons.push(format!("Resources exhausted on {exhausted} nodes"));
    }
    for (class, n) in map_of(m, "ClassExhausted") {
        reasons.push(format!("Class {class:?} exhausted on {} nodes", n.as_u64().unwrap_or_default()));
    }
    for (dimension, n) in map_of(m, "DimensionExhausted") {
        reasons.push(format!("Dimension {dimension:?} exhausted on {} nodes", n.as_u64().unwrap_or_default()));
    }
    for quota in m.get("QuotaExhausted").and_then(Value::as_array).into_iter().flatten() {
        reasons.push(format!("Quota limit hit {:?}", quota.as_str().unwrap_or_default()));
    }
    FailedPlacement { group: group.to_owned(), allocations: u64_of(m, "CoalescedFailures") + 1, reasons }
}

fn deployment_view(d: &Deployment) -> DeploymentView {
    let groups = d
        .task_groups
        .iter()
        .map(|(name, g)| {
            let health = GroupHealth {
                desired_total: u64_of(g, "DesiredTotal"),
                placed: u64_of(g, "PlacedAllocs"),
                healthy: u64_of(g, "HealthyAllocs"),
                unhealthy: u64_of(g, "UnhealthyAllocs"),
                desired_canaries: u64_of(g, "DesiredCanaries"),
                placed_canaries: g.get("PlacedCanaries").and_then(Value::as_array).map_or(0, |c| c.len() as u64),
                promoted: g.get("Promoted").and_then(Value::as_bool).unwrap_or(false),
                auto_revert: g.get("AutoRevert").and_then(Value::as_bool).unwrap_or(false),
            };
            (name.clone(), health)
        })
        .collect();
    DeploymentView {
        id: d.id.clone(),
        job_version: d.job_version,
        job_modify_index: d.extra.get("JobModifyIndex").and_then(Value::as_u64).unwrap_or_default(),
        status: d.status.clone(),
        description: d.status_description.clone(),
        groups,
        modify_index: d.modify_index,
    }
}

#[async_trait]
impl Deployer for NomadDeployer {
    fn location(&self) -> String {
        format!("Nomad at {}", self.nomad.http().config().address.origin().ascii_serialization())
    }

    async fn parse_hcl(&self, hcl: &str) -> Result<Value> {
        let job = self.nomad.jobs().parse(hcl, &WriteOptions::default()).await.map_err(err)?;
        serde_json::to_value(&job).map_err(|e| Error::backend("Nomad jobs/parse", e))
    }

    async fn plan(&self, namespace: Option<&str>, job: &Value) -> Result<JobPlan> {
        let typed = typed_job(job)?;
        let write = WriteOptions { namespace: namespace.map(str::to_owned), ..WriteOptions::default() };
        let jobs = self.nomad.jobs();
        let target = jobs.target_namespace(typed.namespace.as_deref(), &write).map_err(err)?;
        let opts = PlanOptions::new().write(write);
        let plan = jobs.plan(&typed, &opts).await.map_err(err)?;
        let mut failed: Vec<FailedPlacement> =
            plan.failed_tg_allocs.iter().flatten().map(|(group, m)| failed_placement(group, m)).collect();
        failed.sort_by(|a, b| a.group.cmp(&b.group));
        Ok(JobPlan {
            job_id: typed.id.clone().unwrap_or_default(),
            namespace: target,
            job_modify_index: plan.job_modify_index,
            diff: plan.diff.as_ref().map(job_change).unwrap_or_default(),
            placements: placements(plan.annotations.as_ref()),
            failed,
            warnings: warnings(&plan.warnings),
        })
    }

    async fn register(&self, namespace: &str, job: &Value, enforce_index: u64) -> Result<Registration> {
        let typed = typed_job(job)?;
        let write = WriteOptions::new().namespace(namespace);
        let opts = RegisterOptions::new().write(write).enforce_index(enforce_index);
        match self.nomad.jobs().register(&typed, &opts).await {
            Ok(r) => Ok(Registration::Registered(registered(r))),
            Err(e) => match conflict_text(&e, ENFORCE_INDEX_PREFIX) {
                Some(nomad_says) => Ok(Registration::Conflict { nomad_says }),
                None => Err(err(e)),
            },
        }
    }

    async fn versions(&self, namespace: &str, job: &str, diffs: bool) -> Result<JobVersions> {
        crate::input::validate_job_name(job)?;
        let found = match self.nomad.jobs().versions(job, diffs, &QueryOptions::new().namespace(namespace)).await {
            Ok(v) => v.value,
            Err(e) if e.is_not_found() => return Ok(JobVersions::default()),
            Err(e) => return Err(err(e)),
        };
        let versions = found
            .versions
            .iter()
            .map(|v| JobVersion {
                version: v.version.unwrap_or_default(),
                stable: v.extra.get("Stable").and_then(Value::as_bool).unwrap_or(false),
                job_modify_index: v.job_modify_index.unwrap_or_default(),
            })
            .collect();
        Ok(JobVersions { versions, diffs: found.diffs.iter().flatten().map(job_change).collect() })
    }

    async fn latest_deployment(
        &self,
        namespace: &str,
        job: &str,
        index: u64,
        wait: Duration,
    ) -> Result<(Option<DeploymentView>, u64)> {
        crate::input::validate_job_name(job)?;
        let found =
            self.nomad.jobs().latest_deployment(job, &Self::query(namespace, index, wait)).await.map_err(err)?;
        let view = found.value.as_ref().map(deployment_view);
        let next = found.meta.last_index.max(view.as_ref().map_or(0, |d| d.modify_index));
        Ok((view, next))
    }

    async fn deployment(&self, namespace: &str, id: &str, index: u64, wait: Duration) -> Result<(DeploymentView, u64)> {
        let found = self.nomad.deployments().get(id, &Self::query(namespace, index, wait)).await.map_err(err)?;
        let view = deployment_view(&found.value);
        let next = found.meta.last_index.max(view.modify_index);
        Ok((view, next))
    }

    async fn revert(&self, namespace: &str, job: &str, version: u64, prior_version: u64) -> Result<Registration> {
        crate::input::validate_job_name(job)?;
        let write = WriteOptions::new().namespace(namespace);
        match self.nomad.jobs().revert(job, version, Some(prior_version), &write).await {
            Ok(r) => Ok(Registration::Registered(registered(r))),
            Err(e) => match conflict_text(&e, ENFORCE_VERSION_MARK) {
                Some(nomad_says) => Ok(Registration::Conflict { nomad_says }),
                None => Err(err(e)),
            },
        }
    }
}
