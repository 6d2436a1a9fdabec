//! `/v1/deployments` and `/v1/deployment/:id`: list, get, allocations, promote, fail.

use client_core::path::PathBuf;
use client_core::{Request, WithMeta};
use futures::Stream;
use serde_json::json;

use crate::client::NomadClient;
use crate::error::{Result, not_found};
use crate::models::{Allocation, Deployment, DeploymentUpdateResponse};
use crate::options::{QueryOptions, WriteOptions};
use crate::pages::Page;
use crate::validate;

/// Handler for deployments; get it with [`NomadClient::deployments`].
#[derive(Debug, Clone)]
pub struct Deployments {
    client: NomadClient,
}

impl NomadClient {
    /// Deployments: list, get, allocations, promote, fail.
    #[must_use]
    pub fn deployments(&self) -> Deployments {
        Deployments { client: self.clone() }
    }
}

impl Deployments {
    /// `GET /v1/deployments`.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<Deployment>>> {
        self.client.get_meta(self.list_request(opts)?).await
    }

    /// One page of `GET /v1/deployments` (`per_page`, `next_token`, `filter`, `reverse`; Nomad 1.3+).
    pub async fn list_page(&self, opts: &QueryOptions) -> Result<Page<Deployment>> {
        self.client.page(self.list_request(opts)?).await
    }

    /// Every item of `GET /v1/deployments`, page after page of `per_page` (or in one
    /// page when it is unset or the server does not page), as items arrive.
    pub fn list_stream(&self, opts: &QueryOptions) -> Result<impl Stream<Item = Result<Deployment>> + Send + 'static> {
        self.client.paged(opts, |o| self.list_request(o))
    }

    fn list_request(&self, opts: &QueryOptions) -> Result<Request> {
        validate::id_prefix_option("deployment ID prefix", opts)?;
        self.client.query(Request::get("/v1/deployments"), opts)
    }

    /// `GET /v1/deployment/:id`.
    pub async fn get(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<Deployment>> {
        let req = self
            .client
            .query_one(Request::get(validate::uuid_path("/v1/deployment", "deployment ID", id, None)?), opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.get_meta(req).await.map_err(not_found("deployment", id, Some(&ns)))
    }

    /// `GET /v1/deployment/allocations/:id`.
    pub async fn allocations(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<Vec<Allocation>>> {
        let path = validate::uuid_path("/v1/deployment/allocations", "deployment ID", id, None)?;
        self.client.get_meta(self.client.query_one(Request::get(path), opts)?).await
    }

    /// `POST /v1/deployment/promote/:id`: promotes the canaries of `groups`, or of every group when empty.
    pub async fn promote(&self, id: &str, groups: &[String], opts: &WriteOptions) -> Result<DeploymentUpdateResponse> {
        for group in groups {
            validate::name("task group", group)?;
        }
        let body = if groups.is_empty() {
            json!({ "DeploymentID": id, "All": true })
        } else {
            json!({ "DeploymentID": id, "Groups": groups })
        };
        self.post("promote", id, &body, opts).await
    }

    /// `POST /v1/deployment/fail/:id`: marks the deployment failed (auto-revert applies).
    pub async fn fail(&self, id: &str, opts: &WriteOptions) -> Result<DeploymentUpdateResponse> {
        self.post("fail", id, &json!({ "DeploymentID": id }), opts).await
    }

    /// `POST /v1/deployment/pause/:id`: pauses (`true`) or resumes (`false`) the rollout.
    pub async fn pause(&self, id: &str, pause: bool, opts: &WriteOptions) -> Result<DeploymentUpdateResponse> {
        self.post("pause", id, &json!({ "DeploymentID": id, "Pause": pause }), opts).await
    }

    /// `POST /v1/deployment/unblock/:id`: marks a multi-region deployment's
    /// blocked region successful so the next region starts (Enterprise).
    pub async fn unblock(&self, id: &str, opts: &WriteOptions) -> Result<DeploymentUpdateResponse> {
        self.post("unblock", id, &json!({ "DeploymentID": id }), opts).await
    }

    async fn post(
        &self,
        action: &'static str,
        id: &str,
        body: &serde_json::Value,
        opts: &WriteOptions,
    ) -> Result<DeploymentUpdateResponse> {
        validate::uuid("deployment ID", id)?;
        let path = PathBuf::new("/v1/deployment").literal(action).segment("deployment ID", id)?.finish();
        let req = self.client.write(Request::post(path).json(body)?, opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.json(req).await.map_err(not_found("deployment", id, Some(&ns)))
    }

    /// `POST /v1/deployment/allocation-health/:id`: marks allocations of the
    /// deployment healthy or unhealthy by hand (`nomad deployment ...` for a
    /// deployment with `health_check = "manual"`). Both lists empty, an ID that
    /// is not a full UUID, or an ID in both lists is refused before sending.
    pub async fn set_alloc_health(
        &self,
        id: &str,
        healthy: &[&str],
        unhealthy: &[&str],
        opts: &WriteOptions,
    ) -> Result<DeploymentUpdateResponse> {
        let path = validate::uuid_path("/v1/deployment/allocation-health", "deployment ID", id, None)?;
        if healthy.is_empty() && unhealthy.is_empty() {
            return Err(client_core::Error::invalid("allocation IDs", "[]", "name at least one allocation").into());
        }
        for alloc in healthy.iter().chain(unhealthy) {
            validate::uuid("allocation ID", alloc)?;
        }
        if let Some(both) = healthy.iter().find(|a| unhealthy.contains(a)) {
            return Err(client_core::Error::invalid(
                "allocation ID",
                *both,
                "is in both the healthy and unhealthy list",
            )
            .into());
        }
        let body = serde_json::json!({
            "DeploymentID": id,
            "HealthyAllocationIDs": healthy,
            "UnhealthyAllocationIDs": unhealthy,
        });
        let req = self.client.write(Request::post(path).json(&body)?, opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.json(req).await.map_err(not_found("deployment", id, Some(&ns)))
    }
}
