//! Nomad Enterprise resource quotas (`/v1/quotas`, `/v1/quota/:name`,
//! `/v1/quota-usages`) and Sentinel policies (`/v1/sentinel/policies`,
//! `/v1/sentinel/policy/:name`). Community servers answer these paths 404.

use client_core::path::{ApiPath, PathBuf};
use client_core::{Request, WithMeta};

use crate::client::NomadClient;
use crate::error::{Result, not_found};
use crate::models::{QuotaSpec, QuotaUsage, SentinelPolicy};
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

/// The enforcement levels Nomad knows.
pub const ENFORCEMENT_LEVELS: [&str; 3] = ["advisory", "soft-mandatory", "hard-mandatory"];

/// Handler for quotas; get it with [`NomadClient::quotas`].
#[derive(Debug, Clone)]
pub struct Quotas {
    client: NomadClient,
}

/// Handler for Sentinel policies; get it with [`NomadClient::sentinel_policies`].
#[derive(Debug, Clone)]
pub struct SentinelPolicies {
    client: NomadClient,
}

impl NomadClient {
    /// Quotas (Enterprise): list, get, upsert, delete, usage.
    #[must_use]
    pub fn quotas(&self) -> Quotas {
        Quotas { client: self.clone() }
    }

    /// Sentinel policies (Enterprise): list, get, upsert, delete.
    #[must_use]
    pub fn sentinel_policies(&self) -> SentinelPolicies {
        SentinelPolicies { client: self.clone() }
    }
}

fn named(base: &'static str, what: &str, name: &str) -> Result<ApiPath> {
    validate::name(what, name)?;
    Ok(PathBuf::new(base).segment(what, name)?.finish())
}

impl Quotas {
    /// `GET /v1/quotas` (`prefix` applies).
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<QuotaSpec>>> {
        self.client.get_meta(self.client.query_global(Request::get("/v1/quotas"), opts)?).await
    }

    /// `GET /v1/quota/:name`.
    pub async fn get(&self, name: &str, opts: &QueryOptions) -> Result<WithMeta<QuotaSpec>> {
        let req = self.client.query_global(Request::get(named("/v1/quota", "quota name", name)?), opts)?;
        self.client.get_meta(req).await.map_err(not_found("quota", name, None))
    }

    /// `POST /v1/quota/:name`: creates or replaces quota `spec.name`; a spec
    /// without limits is refused (it would limit nothing).
    pub async fn upsert(&self, spec: &QuotaSpec, opts: &WriteOptions) -> Result<()> {
        let path = named("/v1/quota", "quota name", &spec.name)?;
        if spec.limits.is_empty() {
            return Err(client_core::Error::invalid("quota limits", "[]", "give at least one region's limit").into());
        }
        for limit in &spec.limits {
            validate::name("quota limit region", &limit.region)?;
        }
        let req = Request::post(path).json(spec)?.idempotent(true);
        self.client.send_empty(self.client.write_global(req, opts)?).await
    }

    /// `DELETE /v1/quota/:name` of exactly this quota (Nomad refuses one a namespace still uses).
    pub async fn delete(&self, name: &str, opts: &WriteOptions) -> Result<()> {
        let req = Request::delete(named("/v1/quota", "quota name", name)?);
        self.client.send_empty(self.client.write_global(req, opts)?).await.map_err(not_found("quota", name, None))
    }

    /// `GET /v1/quota-usages` (`prefix` applies).
    pub async fn usages(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<QuotaUsage>>> {
        self.client.get_meta(self.client.query_global(Request::get("/v1/quota-usages"), opts)?).await
    }

    /// `GET /v1/quota/usage/:name`.
    pub async fn usage(&self, name: &str, opts: &QueryOptions) -> Result<WithMeta<QuotaUsage>> {
        let req = self.client.query_global(Request::get(named("/v1/quota/usage", "quota name", name)?), opts)?;
        self.client.get_meta(req).await.map_err(not_found("quota", name, None))
    }
}

impl SentinelPolicies {
    /// `GET /v1/sentinel/policies` (rows without the policy text).
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<SentinelPolicy>>> {
        self.client.get_meta(self.client.query_global(Request::get("/v1/sentinel/policies"), opts)?).await
    }

    /// `GET /v1/sentinel/policy/:name`.
    pub async fn get(&self, name: &str, opts: &QueryOptions) -> Result<WithMeta<SentinelPolicy>> {
        let path = named("/v1/sentinel/policy", "Sentinel policy name", name)?;
        let req = self.client.query_global(Request::get(path), opts)?;
        self.client.get_meta(req).await.map_err(not_found("Sentinel policy", name, None))
    }

    /// `POST /v1/sentinel/policy/:name`: creates or replaces `policy.name`.
    /// An enforcement level other than [`ENFORCEMENT_LEVELS`], an empty scope
    /// or empty policy text is refused before sending.
    pub async fn upsert(&self, policy: &SentinelPolicy, opts: &WriteOptions) -> Result<()> {
        let path = named("/v1/sentinel/policy", "Sentinel policy name", &policy.name)?;
        if !ENFORCEMENT_LEVELS.contains(&policy.enforcement_level.as_str()) {
            return Err(client_core::Error::invalid(
                "enforcement level",
                &policy.enforcement_level,
                "must be advisory, soft-mandatory or hard-mandatory",
            )
            .into());
        }
        validate::name("Sentinel policy scope", &policy.scope)?;
        if policy.policy.trim().is_empty() {
            return Err(client_core::Error::invalid("Sentinel policy text", "", "must hold the policy's rules").into());
        }
        let req = Request::post(path).json(policy)?.idempotent(true);
        self.client.send_empty(self.client.write_global(req, opts)?).await
    }

    /// `DELETE /v1/sentinel/policy/:name` of exactly this policy.
    pub async fn delete(&self, name: &str, opts: &WriteOptions) -> Result<()> {
        let req = Request::delete(named("/v1/sentinel/policy", "Sentinel policy name", name)?);
        self.client.send_empty(self.client.write_global(req, opts)?).await.map_err(not_found(
            "Sentinel policy",
            name,
            None,
        ))
    }
}
