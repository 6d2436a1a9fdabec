//! ACL (read-only): `/v1/acl` tokens and policies.

use client_core::path::PathBuf;
use client_core::{Request, Secret, WithMeta};
use serde::{Deserialize, Serialize};

use crate::client::ConsulClient;
use crate::error::{Error, Result};
use crate::options::QueryOptions;
use crate::validate;

/// A policy linked to a token or role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclLink {
    /// Policy or role ID.
    #[serde(rename = "ID", default)]
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
}

/// An ACL token. The secret is a [`Secret`]: it never shows in `Debug`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclToken {
    /// Public identifier of the token.
    #[serde(rename = "AccessorID")]
    pub accessor_id: String,
    /// The secret (what is sent as `X-Consul-Token`); absent when not readable.
    #[serde(rename = "SecretID", default, skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<Secret>,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Linked policies.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub policies: Vec<AclLink>,
    /// Linked roles.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub roles: Vec<AclLink>,
    /// True when the token is valid only in its own datacenter.
    #[serde(default)]
    pub local: bool,
    /// Creation time (RFC 3339).
    #[serde(default)]
    pub create_time: String,
    /// Expiry time, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<String>,
    /// Raft index of creation.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

/// A policy in the policy list (rules are not included by Consul).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclPolicyListEntry {
    /// Policy ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Datacenters it applies to (empty: all).
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub datacenters: Vec<String>,
    /// Raft index of creation.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

/// The ACL handler: `consul.acl()`.
#[derive(Debug, Clone)]
pub struct Acl {
    client: ConsulClient,
}

impl ConsulClient {
    /// ACL tokens and policies (read-only).
    #[must_use]
    pub fn acl(&self) -> Acl {
        Acl { client: self.clone() }
    }
}

impl Acl {
    /// The token the request is sent with (the client's, or `opts.token`).
    /// A missing, unknown or revoked token is a 403 `ACL not found` error.
    pub async fn token_self(&self, opts: &QueryOptions) -> Result<WithMeta<AclToken>> {
        self.client.read(Request::get("/v1/acl/token/self"), opts).await.map_err(acl_hint)
    }

    /// A token by accessor ID (needs `acl:read`).
    pub async fn token_read(&self, accessor_id: &str, opts: &QueryOptions) -> Result<WithMeta<AclToken>> {
        validate::uuid("ACL accessor ID", accessor_id)?;
        let path = PathBuf::new("/v1/acl/token").segment("ACL accessor ID", accessor_id)?.finish();
        self.client.read(Request::get(path), opts).await.map_err(acl_hint)
    }

    /// Every policy (needs `acl:read`).
    pub async fn policies(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<AclPolicyListEntry>>> {
        let read =
            self.client.read::<Option<Vec<_>>>(Request::get("/v1/acl/policies"), opts).await.map_err(acl_hint)?;
        Ok(crate::client::null_list(read))
    }
}

/// ACLs disabled answers 401 "ACL support disabled": say so plainly.
fn acl_hint(e: Error) -> Error {
    match &e {
        Error::Core(client_core::Error::Api { status: 401, message, .. })
            if message.contains("ACL support disabled") =>
        {
            Error::Unsupported { what: "the ACL API".into(), reason: "ACLs are disabled on this Consul agent".into() }
        }
        _ => e,
    }
}
