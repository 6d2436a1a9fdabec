//! Enabling, tuning and disabling auth methods (`sys/auth/<path>`), and
//! moving any mount, auth method or secrets engine (`sys/remount`).
//!
//! ```no_run
//! # async fn demo() -> vault_client::Result<()> {
//! use vault_client::VaultClient;
//! use vault_client::sys::MountRequest;
//!
//! let vault = VaultClient::from_env()?;
//! vault.sys().enable_auth("approle", &MountRequest::new("approle")).await?;
//! let tune = vault.sys().auth_tune("approle").await?;
//! println!("default lease TTL {:?}", tune.default_lease_ttl);
//! if let Some(id) = vault.sys().remount("auth/approle", "auth/machines").await? {
//!     println!("moving: {}", vault.sys().remount_status(&id).await?.migration_info.status.as_str());
//! }
//! # Ok(()) }
//! ```

use std::time::Duration;

use client_core::Method;
use serde::{Deserialize, Serialize};

use crate::client::decode;
use crate::error::{Error, Result};
use crate::kv::mount_name;
use crate::response::seconds;
use crate::sys::{MountRequest, MountTune, Sys};

/// What [`Sys::tune_auth`] changes; unset fields are left as they are.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuthTune {
    /// TTLs and description, as for a secrets engine.
    #[serde(flatten)]
    pub mount: MountTune,
    /// Token type of the method's logins (`default-service`, `default-batch`, `service`, `batch`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// `unauth` lists the method on the UI's login page, `hidden` does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listing_visibility: Option<String>,
    /// Request keys the audit log shows without HMAC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_non_hmac_request_keys: Option<Vec<String>>,
    /// Response keys the audit log shows without HMAC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_non_hmac_response_keys: Option<Vec<String>>,
    /// Request headers passed to the method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passthrough_request_headers: Option<Vec<String>>,
    /// Response headers the method may set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_response_headers: Option<Vec<String>>,
}

/// An auth method's tuning as [`Sys::auth_tune`] reads it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct AuthTuneInfo {
    /// Default lease TTL of the method's tokens.
    #[serde(default, deserialize_with = "seconds::deserialize")]
    pub default_lease_ttl: Duration,
    /// Longest lease TTL of the method's tokens.
    #[serde(default, deserialize_with = "seconds::deserialize")]
    pub max_lease_ttl: Duration,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Whether caching is off for the mount.
    #[serde(default)]
    pub force_no_cache: bool,
    /// Token type of the method's logins.
    #[serde(default)]
    pub token_type: Option<String>,
    /// Fields not modelled here (`listing_visibility`, audit keys, `user_lockout_config`...).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

client_core::string_enum! {
    /// Where an asynchronous remount is (Vault 1.13+).
    MigrationStatus {
        /// Still moving.
        InProgress => "in-progress",
        /// Done.
        Success => "success",
        /// Failed; the mount stays at its source (Vault's log says why).
        Failure => "failure",
    }
}

/// One remount as [`Sys::remount_status`] reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct RemountStatus {
    /// The ID [`Sys::remount`] returned.
    pub migration_id: String,
    /// What moves where, and how far it got.
    pub migration_info: MigrationInfo,
}

/// The source, target and state of a remount.
#[derive(Debug, Clone, Deserialize)]
pub struct MigrationInfo {
    /// The mount moved (with its namespace path).
    pub source_mount: String,
    /// Where it goes.
    pub target_mount: String,
    /// How far it got.
    pub status: MigrationStatus,
}

#[derive(Serialize)]
struct RemountBody<'a> {
    from: &'a str,
    to: &'a str,
}

#[derive(Deserialize)]
struct MigrationId {
    migration_id: String,
}

/// Mounts Vault itself owns, as the first part of a path: never moved.
const SYSTEM_MOUNTS: [&str; 3] = ["sys", "cubbyhole", "identity"];

/// `sys/auth/<path>` after checking the path.
fn auth_path(path: &str) -> Result<String> {
    Ok(format!("sys/auth/{}", mount_name(path)?))
}

/// The mount path of one side of a remount, refused when Vault owns it.
fn remount_side(what: &str, path: &str) -> Result<String> {
    let mount = mount_name(path).map_err(|_| {
        Error::invalid(what, path, "must be a mount path (no empty, '.' or '..' part), e.g. `secret` or `auth/approle`")
    })?;
    let first = mount.split('/').next().unwrap_or_default();
    if SYSTEM_MOUNTS.contains(&first) || mount == "auth/token" {
        return Err(Error::invalid(
            what,
            &mount,
            "is one of Vault's own mounts (sys, cubbyhole, identity, auth/token); it cannot be moved",
        ));
    }
    Ok(mount)
}

/// Reads `data` when the answer has the envelope, else the top level (the
/// API pages print some answers without it).
fn data_or_top<T: serde::de::DeserializeOwned>(resp: &client_core::Response, method: &Method, path: &str) -> Result<T> {
    let mut body: serde_json::Value = decode(resp)?;
    let data = match body.get_mut("data") {
        Some(data) if data.is_object() => data.take(),
        _ => body,
    };
    serde_json::from_value(data).map_err(|e| Error::UnexpectedResponse {
        method: method.to_string(),
        path: path.to_owned(),
        reason: format!("the answer does not have the documented shape: {e}"),
    })
}

impl Sys {
    /// Enables an auth method at `path` (`POST sys/auth/<path>`); the
    /// request's `engine_type` is the method (`approle`, `userpass`,
    /// `ldap`, `cert`, `jwt`, `oidc`...). Vault refuses a path in use.
    pub async fn enable_auth(&self, path: &str, request: &MountRequest) -> Result<()> {
        let full = auth_path(path)?;
        let req = self.client.request(Method::POST, "mount", &full)?.json(request)?;
        self.client.send(req, &full, &[]).await.map(drop)
    }

    /// Disables the auth method at exactly `path` (`DELETE sys/auth/<path>`):
    /// **every token it issued is revoked and its roles and users are
    /// deleted.** The `token` method is refused before sending (Vault
    /// needs it).
    pub async fn disable_auth(&self, path: &str) -> Result<()> {
        let full = auth_path(path)?;
        if full == "sys/auth/token" {
            return Err(Error::invalid(
                "mount",
                path,
                "is the token auth method, which Vault cannot run without; it is never disabled",
            ));
        }
        let req = self.client.request(Method::DELETE, "mount", &full)?;
        self.client.send(req, &full, &[]).await.map(drop)
    }

    /// The tuning of the auth method at `path` (`GET sys/auth/<path>/tune`).
    pub async fn auth_tune(&self, path: &str) -> Result<AuthTuneInfo> {
        let full = format!("{}/tune", auth_path(path)?);
        let req = self.client.request(Method::GET, "mount", &full)?;
        data_or_top(&self.client.send(req, &full, &[]).await?, &Method::GET, &full)
    }

    /// Tunes the auth method at `path` (`POST sys/auth/<path>/tune`).
    pub async fn tune_auth(&self, path: &str, tune: &AuthTune) -> Result<()> {
        let full = format!("{}/tune", auth_path(path)?);
        let req = self.client.request(Method::POST, "mount", &full)?.json(tune)?;
        self.client.send(req, &full, &[]).await.map(drop)
    }

    /// Moves the mount at `from` to `to` (`POST sys/remount`; an auth
    /// method is `auth/<path>`). Vault 1.13+ moves in the background and
    /// this returns the migration ID for [`Sys::remount_status`]; older
    /// servers move before answering and this returns `None`. Refused
    /// before sending: Vault's own mounts (`sys`, `cubbyhole`, `identity`,
    /// `auth/token`) on either side, and `from` equal to `to`.
    pub async fn remount(&self, from: &str, to: &str) -> Result<Option<String>> {
        let (from, to) = (remount_side("remount source", from)?, remount_side("remount target", to)?);
        if from == to {
            return Err(Error::invalid("remount target", &to, "is the source itself; name another path"));
        }
        let path = "sys/remount";
        let req = self.client.request(Method::POST, "Vault path", path)?.json(&RemountBody { from: &from, to: &to })?;
        let resp = self.client.send(req, path, &[]).await?;
        if resp.body.is_empty() {
            return Ok(None);
        }
        Ok(Some(data_or_top::<MigrationId>(&resp, &Method::POST, path)?.migration_id))
    }

    /// Where remount `migration_id` is (`GET sys/remount/status/<id>`, Vault 1.13+).
    pub async fn remount_status(&self, migration_id: &str) -> Result<RemountStatus> {
        client_core::path::check_segment("migration ID", migration_id)?;
        let path = format!("sys/remount/status/{migration_id}");
        let req = self.client.request(Method::GET, "Vault path", &path)?;
        data_or_top(&self.client.send(req, &path, &[]).await?, &Method::GET, &path)
    }
}
