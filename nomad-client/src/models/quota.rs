//! Resource quotas and Sentinel policies (Nomad Enterprise).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A quota specification (`GET /v1/quota/:name`, and what upsert sends).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct QuotaSpec {
    /// Name (also the path segment).
    pub name: String,
    /// Description.
    pub description: String,
    /// One limit per region.
    pub limits: Vec<QuotaLimit>,
    /// Creation index.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub create_index: u64,
    /// Last modification index.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub modify_index: u64,
    /// Every field not modelled above (`Hash`...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The limit of a quota in one region; in a usage, what is used there.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct QuotaLimit {
    /// Region.
    pub region: String,
    /// The resources (`CPU`, `MemoryMB`, `Devices`, ... kept as Nomad sends them).
    pub region_limit: Map<String, Value>,
    /// How many variables the namespaces may hold (responses put it here;
    /// the docs' request sample puts it inside `RegionLimit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables_limit: Option<i64>,
    /// Every field not modelled above (`Hash`...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What the namespaces of a quota use (`GET /v1/quota/usage/:name`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct QuotaUsage {
    /// The quota's name.
    pub name: String,
    /// Usage per limit, keyed by the limit's hash.
    pub used: BTreeMap<String, QuotaLimit>,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A Sentinel policy (list rows carry no `policy` text).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SentinelPolicy {
    /// Name (also the path segment).
    pub name: String,
    /// Description.
    pub description: String,
    /// Where it applies, e.g. `submit-job`.
    pub scope: String,
    /// `advisory`, `soft-mandatory` or `hard-mandatory`.
    pub enforcement_level: String,
    /// The policy text.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub policy: String,
    /// Creation index.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub create_index: u64,
    /// Last modification index.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub modify_index: u64,
    /// Every field not modelled above (`Hash`...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
