//! `/v1/jobs` and `/v1/job/:id`: list, get, register, parse, plan, versions,
//! revert, stop, scale, dispatch, summary and the job's allocations,
//! evaluations and deployments.

use std::collections::BTreeMap;

use base64::Engine as _;
use client_core::path::{ApiPath, PathBuf};
use client_core::{Request, WatchOptions, WithMeta};
use futures::Stream;
use serde::Serialize;
use serde_json::Value;

use crate::client::NomadClient;
use crate::error::{Error, Result, not_found};
use crate::models::{
    Allocation, Deployment, Evaluation, Job, JobDispatchResponse, JobListStub, JobPlanResponse, JobRegisterResponse,
    JobScaleStatus, JobSummary, JobVersions,
};
use crate::options::{QueryOptions, WriteOptions};
use crate::pages::Page;
use crate::validate;

/// Options of [`Jobs::register`].
#[derive(Debug, Clone, Default)]
pub struct RegisterOptions {
    /// Namespace, region, token.
    pub write: WriteOptions,
    /// Check-and-set: register only if the job's modify index is still this one
    /// (0 means "only if the job does not exist yet").
    pub enforce_index: Option<u64>,
    /// Override soft-mandatory Sentinel policies (Enterprise).
    pub policy_override: bool,
    /// Keep the current counts of existing task groups.
    pub preserve_counts: bool,
}

impl RegisterOptions {
    /// Registers only if the job's `JobModifyIndex` is still `index` (0: only if it does not exist).
    #[must_use]
    pub fn enforce_index(mut self, index: u64) -> Self {
        self.enforce_index = Some(index);
        self
    }
}

/// Options of [`Jobs::stop`]. Without [`StopOptions::purge`] the job stays
/// visible (status `dead`) and can be started again.
#[derive(Debug, Clone, Default)]
pub struct StopOptions {
    /// Namespace, region, token.
    pub write: WriteOptions,
    /// Also delete the job and its history. Irreversible.
    pub purge: bool,
    /// Stop the job in every region of a multiregion job.
    pub global: bool,
}

impl StopOptions {
    /// Also purges the job: it is deleted with its versions and cannot be reverted. Irreversible.
    #[must_use]
    pub fn purge(mut self) -> Self {
        self.purge = true;
        self
    }
}

/// Adds `new` and `write` builders to an options struct holding `write: WriteOptions`.
macro_rules! write_builders {
    ($($ty:ty),+) => {$(
        impl $ty {
            /// Options with every field at its default (for [`StopOptions`]: no purge).
            #[must_use]
            pub fn new() -> Self {
                Self::default()
            }

            /// Sets namespace, region and token.
            #[must_use]
            pub fn write(mut self, write: WriteOptions) -> Self {
                self.write = write;
                self
            }
        }
    )+};
}

write_builders!(RegisterOptions, StopOptions, ScaleOptions, DispatchOptions, PlanOptions);

/// Options of [`Jobs::scale`].
#[derive(Debug, Clone, Default)]
pub struct ScaleOptions {
    /// Namespace, region, token.
    pub write: WriteOptions,
    /// Why the scaling happened (shown in scaling events).
    pub message: Option<String>,
    /// Metadata recorded with the scaling event.
    pub meta: BTreeMap<String, String>,
    /// Override soft-mandatory Sentinel policies (Enterprise).
    pub policy_override: bool,
}

/// Options of [`Jobs::dispatch`].
#[derive(Debug, Clone, Default)]
pub struct DispatchOptions {
    /// Namespace, region, token.
    pub write: WriteOptions,
    /// Payload given to the dispatched job (at most 16 KiB).
    pub payload: Option<Vec<u8>>,
    /// Metadata required or allowed by the parameterized job.
    pub meta: BTreeMap<String, String>,
}

/// Options of [`Jobs::plan`].
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Namespace, region, token.
    pub write: WriteOptions,
    /// Ask for the diff to the running version (default true).
    pub diff: bool,
    /// Override soft-mandatory Sentinel policies (Enterprise).
    pub policy_override: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self { write: WriteOptions::default(), diff: true, policy_override: false }
    }
}

/// Largest dispatch payload Nomad accepts.
const MAX_DISPATCH_PAYLOAD: usize = 16 * 1024;

/// Handler for jobs; get it with [`NomadClient::jobs`].
#[derive(Debug, Clone)]
pub struct Jobs {
    pub(crate) client: NomadClient,
}

impl NomadClient {
    /// Jobs: list, get, register, plan, stop, scale, dispatch...
    #[must_use]
    pub fn jobs(&self) -> Jobs {
        Jobs { client: self.clone() }
    }
}

/// The endpoints Nomad serves under `/v1/job/<id>/`: Nomad finds them by
/// suffix on the decoded path, so a job ID ending in `/<one of these>` would
/// reach that endpoint of another job.
const JOB_SUBRESOURCES: &[&str] = &[
    "allocations",
    "evaluate",
    "evaluations",
    "deployment",
    "deployments",
    "dispatch",
    "force",
    "plan",
    "revert",
    "scale",
    "services",
    "stable",
    "submission",
    "summary",
    "tag",
    "versions",
];

pub(crate) fn job_path(id: &str, sub: Option<&'static str>) -> Result<ApiPath> {
    let mut path = job_path_buf(id)?;
    if let Some(sub) = sub {
        path = path.literal(sub);
    }
    Ok(path.finish())
}

/// `/v1/job/<id>`, to go on with more parts.
pub(crate) fn job_path_buf(id: &str) -> Result<PathBuf> {
    validate::name("job ID", id)?;
    if let Some((parent, last)) = id.rsplit_once('/') {
        if JOB_SUBRESOURCES.contains(&last) {
            return Err(client_core::Error::invalid(
                "job ID",
                id,
                format!("ends in '/{last}', which Nomad reads as the {last} endpoint of job {parent:?}"),
            )
            .into());
        }
    }
    Ok(PathBuf::new("/v1/job").segment_with_slashes("job ID", id)?)
}

impl Jobs {
    /// `GET /v1/jobs`: jobs of the namespace (`*` for all), filtered by prefix or expression.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<JobListStub>>> {
        self.client.get_meta(self.list_request(opts)?).await
    }

    /// One page of `GET /v1/jobs` (`per_page`, `next_token`, `filter`; Nomad 1.3+).
    /// `/v1/jobs` cannot list in reverse: [`QueryOptions::reverse`] is refused.
    pub async fn list_page(&self, opts: &QueryOptions) -> Result<Page<JobListStub>> {
        self.client.page(self.list_request(opts)?).await
    }

    /// Every job of `GET /v1/jobs`, page after page of `per_page` (or in one
    /// page when it is unset or the server does not page), as items arrive.
    ///
    /// ```no_run
    /// # async fn demo(nomad: nomad_client::NomadClient) -> nomad_client::Result<()> {
    /// use futures::TryStreamExt;
    /// use nomad_client::QueryOptions;
    /// let opts = QueryOptions::new().all_namespaces().per_page(100).filter(r#"Status == "dead""#);
    /// let mut jobs = std::pin::pin!(nomad.jobs().list_stream(&opts)?);
    /// while let Some(job) = jobs.try_next().await? {
    ///     println!("{} {}", job.namespace, job.id);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_stream(&self, opts: &QueryOptions) -> Result<impl Stream<Item = Result<JobListStub>> + Send + 'static> {
        self.client.paged(opts, |o| self.list_request(o))
    }

    fn list_request(&self, opts: &QueryOptions) -> Result<Request> {
        validate::no_reverse("/v1/jobs", opts)?;
        self.client.query(Request::get("/v1/jobs"), opts)
    }

    /// `GET /v1/job/:id`. A missing job is [`Error::NotFound`] naming the job and namespace.
    pub async fn get(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<Job>> {
        let req = self.client.query_one(Request::get(job_path(id, None)?), opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.get_meta(req).await.map_err(not_found("job", id, Some(&ns)))
    }

    /// `POST /v1/jobs` with a typed job. Unknown fields read from Nomad are sent back unchanged.
    ///
    /// The job lands in the namespace [`Jobs::target_namespace`] picks, and the body's
    /// `Namespace` is set to it (Nomad 1.1 registers into the body's namespace, whatever
    /// `?namespace=` says).
    pub async fn register(&self, job: &Job, opts: &RegisterOptions) -> Result<JobRegisterResponse> {
        let id = job.id.as_deref().unwrap_or_default();
        validate::name("job ID", id)?;
        self.register_inner(job_value(job, id)?, opts).await
    }

    /// `POST /v1/jobs` with a job as raw JSON (the value of `"Job"`, e.g. from [`Jobs::parse`] output).
    /// The namespace is chosen as for [`Jobs::register`].
    pub async fn register_json(&self, job: &Value, opts: &RegisterOptions) -> Result<JobRegisterResponse> {
        let id = job.get("ID").and_then(Value::as_str).unwrap_or_default();
        validate::name("job ID", id)?;
        self.register_inner(job.clone(), opts).await
    }

    async fn register_inner(&self, mut job: Value, opts: &RegisterOptions) -> Result<JobRegisterResponse> {
        let write = self.place(&mut job, &opts.write)?;
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Body<'a> {
            job: &'a Value,
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            enforce_index: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            job_modify_index: Option<u64>,
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            policy_override: bool,
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            preserve_counts: bool,
        }
        let body = Body {
            job: &job,
            enforce_index: opts.enforce_index.is_some(),
            job_modify_index: opts.enforce_index,
            policy_override: opts.policy_override,
            preserve_counts: opts.preserve_counts,
        };
        let req = self.client.write(Request::post("/v1/jobs").json(&body)?, &write)?;
        self.client.json(req).await
    }

    /// `POST /v1/jobs/parse`: HCL to JSON on the server (canonicalized, defaults filled in).
    ///
    /// Canonicalizing fills in `Namespace: "default"` when the HCL names no namespace, so
    /// the answer cannot tell "no namespace" from an explicit `namespace = "default"`.
    /// [`Jobs::register`] and [`Jobs::plan`] therefore treat `"default"` as unset (see
    /// [`Jobs::target_namespace`]).
    pub async fn parse(&self, hcl: &str, opts: &WriteOptions) -> Result<Job> {
        if hcl.trim().is_empty() {
            return Err(client_core::Error::invalid("job HCL", "", "must not be empty").into());
        }
        let body = serde_json::json!({ "JobHCL": hcl, "Canonicalize": true });
        // Parsing changes nothing on the server, so a retry is safe.
        let req = self.client.write(Request::post("/v1/jobs/parse").json(&body)?.idempotent(true), opts)?;
        self.client.json(req).await
    }

    /// `POST /v1/job/:id/plan`: what registering `job` would change, with the diff. The job
    /// is compared with the one in the namespace [`Jobs::register`] would write to.
    pub async fn plan(&self, job: &Job, opts: &PlanOptions) -> Result<JobPlanResponse> {
        let id = job.id.as_deref().unwrap_or_default();
        let path = job_path(id, Some("plan"))?;
        let mut job = job_value(job, id)?;
        let write = self.place(&mut job, &opts.write)?;
        let body = serde_json::json!({ "Job": job, "Diff": opts.diff, "PolicyOverride": opts.policy_override });
        let req = self.client.write(Request::post(path).json(&body)?.idempotent(true), &write)?;
        self.client.json(req).await
    }

    /// The namespace [`Jobs::register`] and [`Jobs::plan`] write `job` to, following the
    /// `nomad job run` rule:
    ///
    /// 1. a namespace the job names itself (any value but `"default"`) wins over the
    ///    client's default namespace (`NOMAD_NAMESPACE`, [`NomadClient::with_namespace`]);
    ///    an explicit [`WriteOptions::namespace`] naming another one is refused;
    /// 2. otherwise (no namespace, or `"default"`, which `jobs/parse` fills in when the
    ///    HCL names none) [`WriteOptions::namespace`], then the client's default
    ///    namespace, then `"default"`.
    ///
    /// So an HCL file without a `namespace` line goes where `-namespace` /
    /// `NOMAD_NAMESPACE` say. An HCL file that says `namespace = "default"` cannot be
    /// told apart from one that names none after parsing: a client whose default is
    /// another namespace writes it there unless the call names `"default"` explicitly.
    pub fn target_namespace(&self, job_namespace: Option<&str>, opts: &WriteOptions) -> Result<String> {
        let named = named_namespace(job_namespace);
        match (opts.namespace.as_deref(), named) {
            (Some(explicit), Some(in_job)) if explicit != in_job => Err(Error::Core(client_core::Error::invalid(
                "namespace",
                explicit,
                format!("the job says Namespace {in_job:?}; pass the same namespace or leave it unset"),
            ))),
            (_, Some(in_job)) => Ok(in_job.to_owned()),
            (explicit, None) => Ok(self.client.effective_namespace(explicit)),
        }
    }

    /// Picks the job's namespace, writes it into the body's `Namespace` and returns the
    /// write options that target it.
    fn place(&self, job: &mut Value, opts: &WriteOptions) -> Result<WriteOptions> {
        let namespace = self.target_namespace(job.get("Namespace").and_then(Value::as_str), opts)?;
        if let Some(fields) = job.as_object_mut() {
            fields.insert("Namespace".to_owned(), Value::String(namespace.clone()));
        }
        Ok(WriteOptions { namespace: Some(namespace), ..opts.clone() })
    }

    /// `GET /v1/job/:id/versions`, with the diff between consecutive versions when `diffs`.
    pub async fn versions(&self, id: &str, diffs: bool, opts: &QueryOptions) -> Result<WithMeta<JobVersions>> {
        let req = Request::get(job_path(id, Some("versions"))?);
        let req = self.client.query_one(if diffs { req.query("diffs", "true") } else { req }, opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.get_meta(req).await.map_err(not_found("job", id, Some(&ns)))
    }

    /// `POST /v1/job/:id/revert` to `version`; with `enforce_prior_version`, only if the
    /// current version is still that one.
    pub async fn revert(
        &self,
        id: &str,
        version: u64,
        enforce_prior_version: Option<u64>,
        opts: &WriteOptions,
    ) -> Result<JobRegisterResponse> {
        let path = job_path(id, Some("revert"))?;
        let mut body = serde_json::json!({ "JobID": id, "JobVersion": version });
        if let Some(prior) = enforce_prior_version {
            body["EnforcePriorVersion"] = prior.into();
        }
        let req = self.client.write(Request::post(path).json(&body)?, opts)?;
        self.client.json(req).await
    }

    /// `DELETE /v1/job/:id`: stops the job; with [`StopOptions::purge`] also deletes it.
    ///
    /// Nomad answers 200 even when purging a job that does not exist.
    pub async fn stop(&self, id: &str, opts: &StopOptions) -> Result<JobRegisterResponse> {
        let mut req = Request::delete(job_path(id, None)?);
        if opts.purge {
            req = req.query("purge", "true");
        }
        if opts.global {
            req = req.query("global", "true");
        }
        let req = self.client.write(req, &opts.write)?;
        self.client.json(req).await
    }

    /// `POST /v1/job/:id/scale`: sets the count of `group`.
    pub async fn scale(&self, id: &str, group: &str, count: i64, opts: &ScaleOptions) -> Result<JobRegisterResponse> {
        let path = job_path(id, Some("scale"))?;
        validate::name("task group", group)?;
        if count < 0 {
            return Err(client_core::Error::invalid("count", count.to_string(), "must be zero or more").into());
        }
        let mut body = serde_json::json!({ "Count": count, "Target": { "Group": group } });
        if let Some(message) = &opts.message {
            body["Message"] = message.as_str().into();
        }
        if !opts.meta.is_empty() {
            body["Meta"] = serde_json::to_value(&opts.meta).unwrap_or_default();
        }
        if opts.policy_override {
            body["PolicyOverride"] = true.into();
        }
        let req = self.client.write(Request::post(path).json(&body)?, &opts.write)?;
        self.client.json(req).await
    }

    /// `GET /v1/job/:id/scale`: desired, placed and healthy counts per group.
    pub async fn scale_status(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<JobScaleStatus>> {
        let req = self.client.query_one(Request::get(job_path(id, Some("scale"))?), opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.get_meta(req).await.map_err(not_found("job", id, Some(&ns)))
    }

    /// `POST /v1/job/:id/dispatch`: starts a child of a parameterized job.
    pub async fn dispatch(&self, id: &str, opts: &DispatchOptions) -> Result<JobDispatchResponse> {
        let path = job_path(id, Some("dispatch"))?;
        let mut body = serde_json::Map::new();
        if let Some(payload) = &opts.payload {
            if payload.len() > MAX_DISPATCH_PAYLOAD {
                return Err(client_core::Error::invalid(
                    "dispatch payload",
                    format!("{} bytes", payload.len()),
                    format!("must be at most {MAX_DISPATCH_PAYLOAD} bytes"),
                )
                .into());
            }
            body.insert("Payload".into(), base64::engine::general_purpose::STANDARD.encode(payload).into());
        }
        if !opts.meta.is_empty() {
            body.insert("Meta".into(), serde_json::to_value(&opts.meta).unwrap_or_default());
        }
        let req = self.client.write(Request::post(path).json(&body)?, &opts.write)?;
        self.client.json(req).await
    }

    /// `POST /v1/job/:id/evaluate`: a new evaluation of the job now (`nomad job
    /// eval`); with `force_reschedule`, failed allocations are rescheduled
    /// even if their reschedule policy is spent.
    pub async fn evaluate(&self, id: &str, force_reschedule: bool, opts: &WriteOptions) -> Result<JobRegisterResponse> {
        let body = serde_json::json!({ "JobID": id, "EvalOptions": { "ForceReschedule": force_reschedule } });
        let req = self.client.write(Request::post(job_path(id, Some("evaluate"))?).json(&body)?, opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.json(req).await.map_err(not_found("job", id, Some(&ns)))
    }

    /// `POST /v1/job/:id/periodic/force`: launches a periodic job's child now
    /// (`nomad job periodic force`). Not retried: a retry could launch two.
    pub async fn periodic_force(&self, id: &str, opts: &WriteOptions) -> Result<JobRegisterResponse> {
        let req = self.client.write(Request::post(job_path(id, Some("periodic/force"))?), opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.json(req).await.map_err(not_found("job", id, Some(&ns)))
    }

    /// `POST /v1/job/:id/stable`: marks `version` stable or not (what
    /// auto-revert goes back to). Answers the Raft index of the write.
    pub async fn set_stable(&self, id: &str, version: u64, stable: bool, opts: &WriteOptions) -> Result<u64> {
        #[derive(serde::Deserialize)]
        struct Answer {
            #[serde(rename = "Index", default)]
            index: u64,
        }
        let body = serde_json::json!({ "JobID": id, "JobVersion": version, "Stable": stable });
        let req =
            self.client.write(Request::post(job_path(id, Some("stable"))?).json(&body)?.idempotent(true), opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        let answer: Answer = self.client.json(req).await.map_err(not_found("job", id, Some(&ns)))?;
        Ok(answer.index)
    }

    /// `GET /v1/job/:id/summary`: allocation counts per group.
    pub async fn summary(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<JobSummary>> {
        let req = self.client.query_one(Request::get(job_path(id, Some("summary"))?), opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.get_meta(req).await.map_err(not_found("job", id, Some(&ns)))
    }

    /// `GET /v1/job/:id/allocations`; `all` includes allocations of older job instances.
    pub async fn allocations(&self, id: &str, all: bool, opts: &QueryOptions) -> Result<WithMeta<Vec<Allocation>>> {
        let req = Request::get(job_path(id, Some("allocations"))?);
        let req = self.client.query_one(if all { req.query("all", "true") } else { req }, opts)?;
        self.client.get_meta(req).await
    }

    /// `GET /v1/job/:id/evaluations`.
    pub async fn evaluations(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<Vec<Evaluation>>> {
        let req = self.client.query_one(Request::get(job_path(id, Some("evaluations"))?), opts)?;
        self.client.get_meta(req).await
    }

    /// `GET /v1/job/:id/deployments`.
    pub async fn deployments(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<Vec<Deployment>>> {
        let req = self.client.query_one(Request::get(job_path(id, Some("deployments"))?), opts)?;
        self.client.get_meta(req).await
    }

    /// `GET /v1/job/:id/deployment`: the latest deployment, `None` when the job never had one.
    pub async fn latest_deployment(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<Option<Deployment>>> {
        let req = self.client.query_one(Request::get(job_path(id, Some("deployment"))?), opts)?;
        self.client.get_meta(req).await
    }

    /// A stream yielding the job's allocations each time they change (blocking queries).
    pub fn watch_allocations(
        &self,
        id: &str,
        opts: &QueryOptions,
        watch: WatchOptions,
    ) -> Result<impl Stream<Item = Result<WithMeta<Vec<Allocation>>>> + Send + 'static> {
        let req = self.client.query_one(Request::get(job_path(id, Some("allocations"))?), &opts.without_blocking())?;
        Ok(self.client.watch(req, watch))
    }

    /// A stream yielding the job's summary each time it changes (blocking queries).
    pub fn watch_summary(
        &self,
        id: &str,
        opts: &QueryOptions,
        watch: WatchOptions,
    ) -> Result<impl Stream<Item = Result<WithMeta<JobSummary>>> + Send + 'static> {
        let req = self.client.query_one(Request::get(job_path(id, Some("summary"))?), &opts.without_blocking())?;
        Ok(self.client.watch(req, watch))
    }
}

/// A job as the JSON body of a register, plan or validate.
pub(crate) fn job_value(job: &Job, id: &str) -> Result<Value> {
    serde_json::to_value(job)
        .map_err(|e| client_core::Error::invalid("job", id, format!("cannot be encoded as JSON: {e}")).into())
}

/// The namespace a job names itself: `None` for none, empty, or `"default"` (which
/// `jobs/parse` fills in when the HCL names none, so it is treated as unset).
fn named_namespace(job_namespace: Option<&str>) -> Option<&str> {
    job_namespace.filter(|ns| !ns.is_empty() && *ns != "default")
}
