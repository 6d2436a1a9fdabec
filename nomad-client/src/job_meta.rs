//! What surrounds a job: validate (`PUT /v1/validate/job`), the submitted
//! source of a version (`/v1/job/:id/submission`, 1.6+), version tags
//! (`/v1/job/:id/versions/:tag/tag`, 1.9+) and the job's native service
//! registrations (`/v1/job/:id/services`, 1.3+).

use client_core::{Request, WithMeta};
use serde::Serialize;

use crate::error::{Result, not_found};
use crate::jobs::{Jobs, job_path, job_path_buf, job_value};
use crate::models::{Job, JobSubmission, JobValidateResponse, JobVersionTag, ServiceRegistration};
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

fn tag_path(id: &str, tag: &str) -> Result<client_core::path::ApiPath> {
    validate::name("job version tag", tag)?;
    Ok(job_path_buf(id)?.literal("versions").segment("job version tag", tag)?.literal("tag").finish())
}

impl Jobs {
    /// `PUT /v1/validate/job`: what Nomad finds wrong with `job` without
    /// registering it. Problems are the answer ([`JobValidateResponse::is_valid`]),
    /// not an error.
    pub async fn validate(&self, job: &Job, opts: &WriteOptions) -> Result<JobValidateResponse> {
        let id = job.id.as_deref().unwrap_or_default();
        validate::name("job ID", id)?;
        let body = serde_json::json!({ "Job": job_value(job, id)? });
        let req = self.client.write(Request::put("/v1/validate/job").json(&body)?, opts)?;
        self.client.json(req).await
    }

    /// `GET /v1/job/:id/submission?version=`: the source `version` of the job
    /// was submitted with (Nomad 1.6+; only the last 6 are kept, and only when
    /// the submitter sent it). None kept is [`crate::Error::NotFound`].
    pub async fn submission(&self, id: &str, version: u64, opts: &QueryOptions) -> Result<WithMeta<JobSubmission>> {
        let req = Request::get(job_path(id, Some("submission"))?).query("version", version);
        let req = self.client.query_one(req, opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        let what = format!("{id}@v{version}");
        self.client.get_meta(req).await.map_err(not_found("job submission", &what, Some(&ns)))
    }

    /// `POST /v1/job/:id/versions/:tag/tag` (Nomad 1.9+): names `version` of
    /// the job (the latest when `None`) `tag`; the tag must be new for the job.
    pub async fn tag_version(
        &self,
        id: &str,
        tag: &str,
        version: Option<u64>,
        description: &str,
        opts: &WriteOptions,
    ) -> Result<JobVersionTag> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Body<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            version: Option<u64>,
            description: &'a str,
        }
        let req = Request::post(tag_path(id, tag)?).json(&Body { version, description })?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.json(self.client.write(req, opts)?).await.map_err(not_found("job", id, Some(&ns)))
    }

    /// `DELETE /v1/job/:id/versions/:tag/tag` (Nomad 1.9+): removes exactly tag `tag`.
    pub async fn untag_version(&self, id: &str, tag: &str, opts: &WriteOptions) -> Result<()> {
        let req = Request::delete(tag_path(id, tag)?);
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        let what = format!("{id} tag {tag}");
        self.client.send_empty(self.client.write(req, opts)?).await.map_err(not_found(
            "job version tag",
            &what,
            Some(&ns),
        ))
    }

    /// `GET /v1/job/:id/services`: the job's Nomad-native service registrations (1.3+).
    pub async fn services(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<Vec<ServiceRegistration>>> {
        let req = self.client.query_one(Request::get(job_path(id, Some("services"))?), opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.get_meta(req).await.map_err(not_found("job", id, Some(&ns)))
    }
}
