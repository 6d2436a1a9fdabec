//! Connect intentions: the ID-based API of Consul 1.2-1.8 and the exact-name
//! API of 1.9+, with [`Intentions::api`] telling which one a server has.

use std::collections::BTreeMap;

use client_core::path::{ApiPath, PathBuf};
use client_core::{ClientError as _, Request, WithMeta};
use serde::{Deserialize, Serialize};

use crate::client::ConsulClient;
use crate::error::{Error, Result};
use crate::options::QueryOptions;
use crate::validate;

/// `allow` or `deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntentionAction {
    /// Connections are allowed.
    Allow,
    /// Connections are denied.
    Deny,
}

/// An intention as Consul reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Intention {
    /// ID (empty for intentions created through config entries in 1.9+).
    #[serde(rename = "ID", default)]
    pub id: String,
    /// Source service (`*` for all).
    pub source_name: String,
    /// Destination service (`*` for all).
    pub destination_name: String,
    /// `allow` or `deny` (absent for L7 intentions with permissions).
    #[serde(default)]
    pub action: Option<IntentionAction>,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Metadata.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub meta: BTreeMap<String, String>,
    /// Precedence (higher wins).
    #[serde(default)]
    pub precedence: u32,
    /// `SourceNS`, `CreatedAt`, `Permissions`, indexes... as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// An intention to create or update.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IntentionRequest {
    /// Source service (`*` for all).
    pub source_name: String,
    /// Destination service (`*` for all).
    pub destination_name: String,
    /// `allow` or `deny`.
    pub action: IntentionAction,
    /// Description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Metadata.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
}

impl IntentionRequest {
    /// `source` may (or may not) connect to `destination`.
    #[must_use]
    pub fn new(source: &str, destination: &str, action: IntentionAction) -> Self {
        Self {
            source_name: source.to_owned(),
            destination_name: destination.to_owned(),
            action,
            description: String::new(),
            meta: BTreeMap::new(),
        }
    }

    fn check(&self) -> Result<()> {
        validate::name("intention source", &self.source_name)?;
        validate::name("intention destination", &self.destination_name)
    }
}

/// Which intentions API a server offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntentionApi {
    /// Consul 1.2-1.8: intentions are addressed by ID.
    IdBased {
        /// The server's version.
        version: String,
    },
    /// Consul 1.9+: intentions are addressed by source and destination name
    /// (`/v1/connect/intentions/exact`); the ID API is deprecated.
    ExactName {
        /// The server's version.
        version: String,
    },
}

/// The intentions handler: `consul.intentions()`.
#[derive(Debug, Clone)]
pub struct Intentions {
    client: ConsulClient,
}

impl ConsulClient {
    /// Connect intentions.
    #[must_use]
    pub fn intentions(&self) -> Intentions {
        Intentions { client: self.clone() }
    }
}

/// Parses `major.minor` from a version such as `1.8.7` or `1.12.0+ent`.
fn major_minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.trim_start_matches('v').split(['.', '-', '+']);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

fn exact_path() -> &'static str {
    "/v1/connect/intentions/exact"
}

fn id_path(id: &str) -> Result<ApiPath> {
    validate::uuid("intention ID", id)?;
    Ok(PathBuf::new("/v1/connect/intentions").segment("intention ID", id)?.finish())
}

impl Intentions {
    /// Asks the agent for its version and says which API fits. A version
    /// without intentions (before 1.2) is [`Error::Unsupported`].
    pub async fn api(&self) -> Result<IntentionApi> {
        let version = self.client.agent().self_info().await?.config.version;
        match major_minor(&version) {
            Some((1, minor)) if minor >= 9 => Ok(IntentionApi::ExactName { version }),
            Some((major, _)) if major > 1 => Ok(IntentionApi::ExactName { version }),
            Some((1, minor)) if minor >= 2 => Ok(IntentionApi::IdBased { version }),
            _ => Err(Error::Unsupported {
                what: "Connect intentions".into(),
                reason: format!(
                    "the agent reports version {version:?}; intentions need Consul 1.2 or newer (ID-based API up to \
                     1.8, exact-name API from 1.9)"
                ),
            }),
        }
    }

    /// Every intention.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<Intention>>> {
        let read = self.client.read::<Option<Vec<Intention>>>(Request::get("/v1/connect/intentions"), opts).await?;
        Ok(crate::client::null_list(read))
    }

    /// Whether `source` may connect to `destination` under the current intentions
    /// (and the default ACL policy when none matches).
    pub async fn check(&self, source: &str, destination: &str) -> Result<bool> {
        validate::name("intention source", source)?;
        validate::name("intention destination", destination)?;
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Check {
            allowed: bool,
        }
        let request =
            Request::get("/v1/connect/intentions/check").query("source", source).query("destination", destination);
        Ok(self.client.json::<Check>(request).await?.allowed)
    }

    /// Creates an intention through the ID-based API and returns its ID. A
    /// duplicate source/destination pair is an error; see [`Intentions::upsert`].
    pub async fn create(&self, intention: &IntentionRequest) -> Result<String> {
        intention.check()?;
        #[derive(Deserialize)]
        struct Created {
            #[serde(rename = "ID")]
            id: String,
        }
        // Never retried once sent: a second POST would create a duplicate.
        let request = Request::post("/v1/connect/intentions").json(intention)?;
        Ok(self.client.json::<Created>(request).await?.id)
    }

    /// Reads an intention by ID; `None` when it does not exist.
    pub async fn get(&self, id: &str) -> Result<Option<Intention>> {
        let resp = self.client.send(Request::get(id_path(id)?).accept_status(&[404])).await?;
        if resp.status.as_u16() == 404 { Ok(None) } else { Ok(Some(resp.json()?)) }
    }

    /// Replaces an intention by ID.
    pub async fn update(&self, id: &str, intention: &IntentionRequest) -> Result<()> {
        intention.check()?;
        self.client.send(Request::put(id_path(id)?).json(intention)?).await.map(drop)
    }

    /// Deletes an intention by ID. A missing ID is an error (Consul answers 500).
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.client.send(Request::delete(id_path(id)?)).await.map(drop)
    }

    /// Reads the intention for an exact source/destination pair (Consul 1.9+ API).
    pub async fn get_exact(&self, source: &str, destination: &str) -> Result<Option<Intention>> {
        validate::name("intention source", source)?;
        validate::name("intention destination", destination)?;
        let request = Request::get(exact_path()).query("source", source).query("destination", destination);
        let resp = self.client.send(request.accept_status(&[404])).await.map_err(exact_hint)?;
        if resp.status.as_u16() == 404 { Ok(None) } else { Ok(Some(resp.json()?)) }
    }

    /// Creates or replaces the intention for its source/destination pair, with
    /// whichever API the server has: the exact-name API on 1.9+, else the ID
    /// API (an existing pair is updated in place). Returns the ID where the
    /// ID API was used.
    pub async fn upsert(&self, intention: &IntentionRequest) -> Result<Option<String>> {
        intention.check()?;
        match self.api().await? {
            IntentionApi::ExactName { .. } => {
                let request = Request::put(exact_path())
                    .query("source", &intention.source_name)
                    .query("destination", &intention.destination_name)
                    .json(&ExactBody::from(intention))?;
                self.client.write_true(request, "the intention upsert").await?;
                Ok(None)
            }
            IntentionApi::IdBased { .. } => {
                match self.find(&intention.source_name, &intention.destination_name).await? {
                    Some(existing) => {
                        self.update(&existing.id, intention).await?;
                        Ok(Some(existing.id))
                    }
                    None => self.create(intention).await.map(Some),
                }
            }
        }
    }

    /// Deletes the intention for a source/destination pair with whichever API
    /// the server has. Returns `false` when there was none.
    pub async fn delete_exact(&self, source: &str, destination: &str) -> Result<bool> {
        validate::name("intention source", source)?;
        validate::name("intention destination", destination)?;
        match self.api().await? {
            IntentionApi::ExactName { .. } => {
                if self.get_exact(source, destination).await?.is_none() {
                    return Ok(false);
                }
                let request = Request::delete(exact_path()).query("source", source).query("destination", destination);
                self.client.send(request).await?;
                Ok(true)
            }
            IntentionApi::IdBased { .. } => match self.find(source, destination).await? {
                Some(existing) => self.delete(&existing.id).await.map(|()| true),
                None => Ok(false),
            },
        }
    }

    async fn find(&self, source: &str, destination: &str) -> Result<Option<Intention>> {
        let all = self.list(&QueryOptions::default()).await?.value;
        Ok(all.into_iter().find(|i| i.source_name == source && i.destination_name == destination))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ExactBody<'a> {
    action: IntentionAction,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    meta: &'a BTreeMap<String, String>,
}

impl<'a> From<&'a IntentionRequest> for ExactBody<'a> {
    fn from(i: &'a IntentionRequest) -> Self {
        Self { action: i.action, description: &i.description, meta: &i.meta }
    }
}

/// Before 1.9, `/exact` is read as an intention ID: explain instead.
fn exact_hint(e: Error) -> Error {
    match e.status() {
        Some(400 | 405 | 500) => Error::Unsupported {
            what: "the exact-name intentions API (/v1/connect/intentions/exact)".into(),
            reason: format!("it needs Consul 1.9 or newer; use the ID-based methods or upsert/delete_exact ({e})"),
        },
        _ => e,
    }
}

#[cfg(test)]
mod tests {
    use super::major_minor;

    #[test]
    fn versions_parse() {
        assert_eq!(major_minor("1.8.7"), Some((1, 8)));
        assert_eq!(major_minor("1.12.0+ent"), Some((1, 12)));
        assert_eq!(major_minor("v1.9.0-beta1"), Some((1, 9)));
        assert_eq!(major_minor("garbage"), None);
    }
}
