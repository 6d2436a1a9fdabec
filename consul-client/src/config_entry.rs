//! Config entries: `/v1/config` (service-defaults, proxy-defaults, routers,
//! splitters, resolvers, service-intentions), typed, with a raw JSON escape hatch.

use std::collections::BTreeMap;

use client_core::path::{ApiPath, PathBuf};
use client_core::{Request, WithMeta};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::ConsulClient;
use crate::error::{Error, Result};
use crate::options::{CasOptions, QueryOptions, WriteOptions};
use crate::validate;

/// Fields Consul does not model here, kept so a read-modify-write loses nothing.
pub type Extra = Map<String, Value>;

/// A typed config entry kind.
pub trait ConfigEntry: Serialize + DeserializeOwned + Send + Sync {
    /// The `Kind` Consul uses, e.g. `service-defaults`.
    const KIND: &'static str;
    /// The entry's name.
    fn name(&self) -> &str;
    /// The entry's `ModifyIndex` (pass it as a CAS index to update safely).
    fn modify_index(&self) -> u64;
    /// Unmodelled fields (where the decoded `Kind` is removed).
    fn extra_mut(&mut self) -> &mut Extra;
    /// Checks Consul would otherwise answer with a 500, run before a write.
    fn check(&self) -> Result<()> {
        Ok(())
    }
}

macro_rules! config_entry {
    ($ty:ident, $kind:literal, $check:path) => {
        config_entry!(@impl $ty, $kind, fn check(&self) -> Result<()> { $check(self) });
    };
    ($ty:ident, $kind:literal) => {
        config_entry!(@impl $ty, $kind,);
    };
    (@impl $ty:ident, $kind:literal, $($check:item)?) => {
        impl ConfigEntry for $ty {
            const KIND: &'static str = $kind;
            fn name(&self) -> &str {
                &self.name
            }
            fn modify_index(&self) -> u64 {
                self.modify_index
            }
            fn extra_mut(&mut self) -> &mut Extra {
                &mut self.extra
            }
            $($check)?
        }
    };
}

/// `service-defaults`: protocol and defaults of one service.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceDefaults {
    /// Service name.
    pub name: String,
    /// `tcp`, `http`, `http2` or `grpc`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub protocol: String,
    /// Metadata.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
    /// Raft index of creation (ignored on write).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub create_index: u64,
    /// Raft index of the last change (ignored on write; use CAS).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub modify_index: u64,
    /// `MeshGateway`, `Expose`, `ExternalSNI`... as sent.
    #[serde(flatten)]
    pub extra: Extra,
}
config_entry!(ServiceDefaults, "service-defaults");

/// `proxy-defaults`: global proxy configuration (the name is always `global`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProxyDefaults {
    /// Always `global`.
    pub name: String,
    /// Opaque proxy configuration (`protocol`, `envoy_*`...).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub config: Map<String, Value>,
    /// Metadata.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
    /// Raft index of creation (ignored on write).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub modify_index: u64,
    /// `MeshGateway`, `Expose`, `Mode`... as sent.
    #[serde(flatten)]
    pub extra: Extra,
}
config_entry!(ProxyDefaults, "proxy-defaults");

impl ProxyDefaults {
    /// The only valid name of a proxy-defaults entry.
    pub const GLOBAL: &'static str = "global";
}

/// Where a route sends matching requests.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteDestination {
    /// Target service (default: the router's service).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service: String,
    /// Subset of the target service.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service_subset: String,
    /// Path prefix rewrite.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prefix_rewrite: String,
    /// Request timeout, e.g. `10s`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub request_timeout: String,
    /// `NumRetries`, `RetryOnStatusCodes`... as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One route of a `service-router`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceRoute {
    /// The match (`{"HTTP": {"PathPrefix": ...}}`), as Consul spells it.
    #[serde(rename = "Match", default, skip_serializing_if = "Option::is_none")]
    pub route_match: Option<Value>,
    /// Where matching requests go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<RouteDestination>,
    /// Other fields, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `service-router`: L7 routes of one service (needs an http-like protocol).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceRouter {
    /// Service name.
    pub name: String,
    /// Routes, first match wins.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub routes: Vec<ServiceRoute>,
    /// Raft index of creation.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub modify_index: u64,
    /// Other fields, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}
config_entry!(ServiceRouter, "service-router");

/// One split of a `service-splitter`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceSplit {
    /// Percentage of traffic (all splits must sum to 100).
    pub weight: f32,
    /// Target service (default: the splitter's service).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service: String,
    /// Subset of the target service.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service_subset: String,
    /// Other fields, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `service-splitter`: weighted traffic split of one service.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceSplitter {
    /// Service name.
    pub name: String,
    /// Splits; weights must sum to 100.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub splits: Vec<ServiceSplit>,
    /// Raft index of creation.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub modify_index: u64,
    /// Other fields, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}
config_entry!(ServiceSplitter, "service-splitter", check_split_weights);

/// A subset of a `service-resolver`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResolverSubset {
    /// Filter expression selecting instances, e.g. `Service.Meta.version == v1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub filter: String,
    /// Only passing instances.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub only_passing: bool,
}

/// `service-resolver`: subsets, redirects and failover of one service.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceResolver {
    /// Service name.
    pub name: String,
    /// Subset used when none is asked for.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub default_subset: String,
    /// Subsets by name.
    #[serde(default, deserialize_with = "crate::de::null_default", skip_serializing_if = "BTreeMap::is_empty")]
    pub subsets: BTreeMap<String, ResolverSubset>,
    /// Connect timeout, e.g. `5s`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub connect_timeout: String,
    /// Raft index of creation.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub modify_index: u64,
    /// `Redirect`, `Failover`, `LoadBalancer`... as sent.
    #[serde(flatten)]
    pub extra: Extra,
}
config_entry!(ServiceResolver, "service-resolver");

/// One source of a `service-intentions` entry.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SourceIntention {
    /// Source service name (`*` for all).
    pub name: String,
    /// `allow` or `deny` (L4); absent when `Permissions` are used.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub action: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `Permissions`, `Precedence`, `LegacyID`... as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `service-intentions` (Consul 1.9+): who may talk to one destination service.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceIntentions {
    /// Destination service name.
    pub name: String,
    /// Sources.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub sources: Vec<SourceIntention>,
    /// Metadata.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
    /// Raft index of creation.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub modify_index: u64,
    /// Other fields, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}
config_entry!(ServiceIntentions, "service-intentions");

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// Options of a config entry write: `cas` is the entry's `ModifyIndex` to
/// match (0: only if absent).
pub type ConfigWriteOptions = CasOptions;

/// The config entries handler: `consul.config_entries()`.
#[derive(Debug, Clone)]
pub struct ConfigEntries {
    client: ConsulClient,
}

impl ConsulClient {
    /// Config entries.
    #[must_use]
    pub fn config_entries(&self) -> ConfigEntries {
        ConfigEntries { client: self.clone() }
    }
}

fn validate_kind(kind: &str) -> Result<()> {
    if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
        return Err(Error::invalid(
            "config entry kind",
            kind,
            "must be lowercase letters and '-', e.g. service-defaults",
        ));
    }
    Ok(())
}

fn entry_path(kind: &str, name: &str) -> Result<ApiPath> {
    validate_kind(kind)?;
    validate::name("config entry name", name)?;
    Ok(PathBuf::new("/v1/config").segment("config entry kind", kind)?.segment("config entry name", name)?.finish())
}

impl ConfigEntries {
    /// Reads one typed entry; `None` when it does not exist.
    pub async fn get<T: ConfigEntry>(&self, name: &str, opts: &QueryOptions) -> Result<WithMeta<Option<T>>> {
        let read = self.get_raw(T::KIND, name, opts).await?;
        let value = read.value.map(from_value::<T>).transpose()?;
        Ok(WithMeta { value, meta: read.meta })
    }

    /// Lists every entry of a typed kind.
    pub async fn list<T: ConfigEntry>(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<T>>> {
        let read = self.list_raw(T::KIND, opts).await?;
        let value = read.value.into_iter().map(from_value::<T>).collect::<Result<_>>()?;
        Ok(WithMeta { value, meta: read.meta })
    }

    /// Writes a typed entry. Returns `false` when `opts.cas` no longer matches.
    pub async fn put<T: ConfigEntry>(&self, entry: &T, opts: &ConfigWriteOptions) -> Result<bool> {
        entry.check()?;
        let mut value = serde_json::to_value(entry)
            .map_err(|e| Error::invalid("config entry", entry.name(), format!("cannot be encoded: {e}")))?;
        if let Value::Object(map) = &mut value {
            map.insert("Kind".into(), Value::String(T::KIND.into()));
            map.remove("CreateIndex");
            map.remove("ModifyIndex");
        }
        self.put_raw(&value, opts).await
    }

    /// Deletes a typed entry (deleting a missing entry succeeds).
    pub async fn delete<T: ConfigEntry>(&self, name: &str, opts: &WriteOptions) -> Result<()> {
        self.delete_raw(T::KIND, name, opts).await
    }

    /// Reads one entry of any kind as JSON; `None` when it does not exist.
    pub async fn get_raw(&self, kind: &str, name: &str, opts: &QueryOptions) -> Result<WithMeta<Option<Value>>> {
        self.client.read_optional(Request::get(entry_path(kind, name)?), opts).await
    }

    /// Lists every entry of any kind as JSON.
    pub async fn list_raw(&self, kind: &str, opts: &QueryOptions) -> Result<WithMeta<Vec<Value>>> {
        validate_kind(kind)?;
        let path = PathBuf::new("/v1/config").segment("config entry kind", kind)?.finish();
        Ok(crate::client::null_list(self.client.read(Request::get(path), opts).await?))
    }

    /// Writes an entry given as JSON (it must hold `Kind` and `Name`).
    /// Returns `false` when `opts.cas` no longer matches.
    pub async fn put_raw(&self, entry: &Value, opts: &ConfigWriteOptions) -> Result<bool> {
        let field = |f: &str| entry.get(f).and_then(Value::as_str).unwrap_or_default().to_owned();
        let (kind, name) = (field("Kind"), field("Name"));
        validate_kind(&kind)?;
        validate::name("config entry name", &name)?;
        let mut request = Request::put("/v1/config").json(entry)?.query_opt("cas", opts.cas);
        if opts.cas.is_some() {
            request = request.idempotent(false);
        }
        let request = opts.apply_scope(request)?;
        self.client.write_bool(request).await
    }

    /// Deletes an entry of any kind (deleting a missing entry succeeds).
    pub async fn delete_raw(&self, kind: &str, name: &str, opts: &WriteOptions) -> Result<()> {
        let request = opts.apply(Request::delete(entry_path(kind, name)?))?;
        self.client.send(request).await.map(drop)
    }
}

fn from_value<T: ConfigEntry>(value: Value) -> Result<T> {
    let name = value.get("Name").and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut entry: T = serde_json::from_value(value)
        .map_err(|e| Error::invalid("config entry", name, format!("is not a valid {} entry: {e}", T::KIND)))?;
    entry.extra_mut().remove("Kind");
    Ok(entry)
}

/// Consul refuses weights not summing to 100 with a 500; say it before sending.
fn check_split_weights(splitter: &ServiceSplitter) -> Result<()> {
    let sum: f32 = splitter.splits.iter().map(|s| s.weight).sum();
    if (sum - 100.0).abs() > 0.01 {
        return Err(Error::invalid(
            "service-splitter",
            splitter.name.clone(),
            format!("split weights sum to {sum}, they must sum to 100"),
        ));
    }
    Ok(())
}
