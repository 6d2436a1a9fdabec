//! Typed async client for the HashiCorp Vault HTTP API: auth methods, KV v1/v2,
//! dynamic credentials, sys.
//!
//! - [`VaultClient`]: configured from the environment like the `vault` CLI
//!   (`VAULT_ADDR`, `VAULT_TOKEN` or `~/.vault-token`, `VAULT_NAMESPACE`, TLS
//!   variables) or with [`VaultClientBuilder`]; generic logical
//!   [`read`](VaultClient::read)/[`write`](VaultClient::write)/[`list`](VaultClient::list)/[`delete`](VaultClient::delete)
//!   returning the standard envelope [`VaultResponse`].
//! - KV: [`VaultClient::kv1`], [`VaultClient::kv2`], or [`VaultClient::kv`] which
//!   detects the mount's version.
//! - Auth: [`VaultClient::auth`] (token, GitHub, AppRole, userpass, LDAP, TLS
//!   certificates, JWT/Kubernetes, AWS IAM), with the management of roles,
//!   users and secret IDs; enabling and tuning methods under [`auth::mounts`]. A login returns [`LoggedIn`], whose client sends the new token.
//! - Dynamic credentials: [`VaultClient::secrets`] (`nomad/creds`, `consul/creds`)
//!   and [`VaultClient::database`] (PostgreSQL: connections, roles, static
//!   roles, creds) with their [`Lease`]; certificates from
//!   [`VaultClient::pki`]; encryption with [`VaultClient::transit`]; tokens and leases kept alive (and revoked on
//!   close) by [`lifetime::LifetimeWatcher`]; health, seal status, mounts, raft peers and
//!   policies under [`VaultClient::sys`], with its [`Leases`]
//!   (`sys().leases()`) and response [`Wrapping`] (`sys().wrapping()`).
//! - Requests go through client-core's one pipeline: its retry loop with
//!   Vault's statuses (412, `X-Vault-Index` not yet replicated, for every
//!   request; 429 and 5xx for reads, never a sealed 503) and Vault's hook
//!   (namespace, wrap TTL and read-your-writes headers on every attempt).
//!   A standby's 307 to the active node is followed only to the hosts listed
//!   with [`VaultClientBuilder::cluster_nodes`].
//! - Errors: one [`Error`], answering the SDK's [`ClientError`] checks.
//!
//! Tokens, passwords and secret IDs are [`Secret`]s: `Debug` and `Display`
//! print `<redacted>`, and Vault's error messages are scrubbed of them.
//!
//! ```no_run
//! use serde::{Deserialize, Serialize};
//! use vault_client::VaultClient;
//!
//! #[derive(Debug, Serialize, Deserialize)]
//! struct DbSettings {
//!     #[serde(rename = "patroniBootstrapMethod")]
//!     bootstrap_method: String,
//! }
//!
//! # async fn demo() -> vault_client::Result<()> {
//! let vault = VaultClient::from_env()?;
//! let kv = vault.kv("kv").await?;
//! let path = "nomad-cluster/atala-testnet/database";
//! let settings: Option<DbSettings> = kv.read(path).await?;
//! if settings.is_none() {
//!     kv.write(path, &DbSettings { bootstrap_method: "initdb".into() }).await?;
//! }
//! let nomad = vault.secrets().nomad_creds("developer").await?;
//! println!("nomad token accessor {} (lease {})", nomad.data.accessor_id, nomad.lease.id);
//! # Ok(()) }
//! ```
//!
//! # Coverage against the Go client (`github.com/hashicorp/vault/api`)
//!
//! Per endpoint group: **Y** typed and tested, **partial** (what is
//! missing), **no**. The Go client reaches the secrets engines only through
//! its untyped `Logical()`; here they are typed.
//!
//! | group | status |
//! | --- | --- |
//! | logical read/write/list/delete | Y ([`VaultClient::read`]…) |
//! | KV v1 / v2 (Go `KVv1`/`KVv2`) | Y: read, versions, write, CAS, patch and patch with CAS (1.9+), `subkeys` (1.10+), delete/undelete/destroy, metadata read/write/patch with `custom_metadata` (1.9+; Vault's limits checked first) and `delete_version_after`; tested on the 1.8 recordings and 1.10 / OpenBao 2.x docs shapes; no `detailed-metadata` list (OpenBao) |
//! | token auth (Go `Auth().Token()`) | partial: create, create-orphan, create with a role, periodic tokens ([`TokenCreateRequest::periodic`]), roles CRUD ([`auth::TokenRole`]), lookup(-self/-accessor), renew-self, revoke-self/-accessor; no renew or revoke of another token |
//! | logins (Go `api/auth/*`) | Y for GitHub, AppRole, userpass, LDAP ([`auth::Ldap`]), TLS cert over the client's certificate ([`auth::Cert`]; no certificate or a non-https address refused), JWT/OIDC (with the OIDC `auth_url` + `callback` steps, the code a `Secret`) and Kubernetes, AWS IAM |
//! | auth method management (Go: untyped `Logical()` only) | partial: AppRole ([`auth::AppRole`]: roles CRUD, role ID read/set, secret IDs generate/custom (a `Secret`), list accessors, lookup and destroy by value or accessor, tidy), userpass ([`auth::Userpass`]: users CRUD, password, policies), LDAP (config read/write with `bindpass` a `Secret`, groups and users CRUD), cert roles CRUD (`certs/<name>`, PEM checked), JWT/OIDC ([`auth::Jwt`]: roles CRUD, config read/write with the OIDC client secret a `Secret`); no cert CRLs, no Kubernetes role management, no per-field AppRole endpoints |
//! | `LifetimeWatcher` | Y: [`lifetime::LifetimeWatcher`] (Go's schedule; a watch channel instead of `RenewCh`, re-login and revoke-on-close beyond Go) |
//! | database secrets engine | Y for PostgreSQL ([`database::Database`]: connection config write/get/list/delete/reset/rotate-root, roles and static roles CRUD, creds with lease, static-creds, rotate-role); other plugins through [`VaultClient::write`] |
//! | PKI | partial ([`pki::Pki`]: issue, sign, roles CRUD, CA chain, revoke, tidy and tidy-status, root generation and intermediate CSR (internal/exported, key a `Secret`), set-signed, sign-intermediate, sign-verbatim, CRL rotate and PEM, config/urls, certs list and read by serial, issuers list/read and keys list (1.11+)); no per-issuer issue/sign, issuer update/delete, key import, CRL/auto-tidy configuration, OCSP, delta CRLs |
//! | Nomad / Consul creds | Y ([`Secrets`]) |
//! | transit | Y ([`transit::Transit`]: keys create/get/list/delete/rotate/config/trim, encrypt/decrypt/rewrap, datakey, sign/verify, hmac and HMAC verify, each also batched with per-item errors ([`transit::ItemError`]), export, backup/restore, cache-config); no BYOK import, random, hash |
//! | AWS secrets engine creds | Y ([`Secrets::aws_creds_at`] IAM user, [`Secrets::aws_sts_creds_at`] STS, with lease) |
//! | sys health, seal-status, leader | Y |
//! | sys mounts and auth methods | partial: mounts list, info, enable, disable (Vault's own refused), tune; auth methods list, enable, disable (`token` refused), tune read/write ([`auth::mounts`]); remount (Vault's own mounts and same source/target refused; done on answer before 1.13, a migration ID and [`Sys::remount_status`] after) |
//! | sys policies | Y for ACL policies: get, list, write (HCL), delete (root/default refused) |
//! | sys seal/unseal/init/step-down | partial ([`seal`]: seal-status, init status and init (keys, recovery keys, root token as Secrets; PGP keys), unseal (reset, migrate), seal, step-down); no generate-root, rekey |
//! | sys leases | Y ([`Leases`]: renew, revoke, lookup, list, revoke-prefix, revoke-force, tidy; prefixes are folders) |
//! | sys wrapping | Y ([`Wrapping`]: wrap, unwrap, lookup, rewrap) |
//! | sys audit | Y ([`audit`]: list, enable file/syslog/socket, disable, audit-hash) |
//! | raft (snapshot, peers, autopilot) | partial ([`raft::Raft`]: configuration, remove-peer (unknown ID, only server and last voter refused), autopilot state and configuration get/set, snapshot save/restore/force-restore streamed, a save checked as it streams: non-empty `SHA256SUMS.sealed` as Go's, and beyond Go the gzip CRC and `SHA256SUMS`); no join |
//! | sys metrics, host-info, config/state | Y ([`diagnostics`]: metrics JSON and Prometheus (1.1+), host-info (1.3+), config/state/sanitized (1.8+)) |
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub mod audit;
pub mod auth;
#[cfg(feature = "aws")]
pub mod aws;
pub mod client;
pub mod database;
pub mod diagnostics;
pub mod error;
mod hook;
pub mod kv;
pub mod leases;
pub mod lifetime;
pub mod pki;
pub mod raft;
pub mod response;
pub mod seal;
pub mod secrets;
pub mod sys;
pub mod transit;
pub mod wrapping;

pub use auth::{Auth, TokenAuth, TokenCreateRequest, TokenInfo};
pub use client::{ENV_SPEC, ENV_VARS, VaultClient, VaultClientBuilder};
pub use client_core::{ClientConfig, ClientError, RetryPolicy, Secret};
pub use error::{Error, Result};
pub use kv::{Kv, Kv1, Kv2, KvMetadata, KvSecret, KvSubkeys, MetadataOptions, MetadataPatch, VersionMetadata};
pub use leases::{LeaseInfo, Leases};
pub use response::{AuthInfo, Lease, Leased, LoggedIn, VaultResponse, WrapInfo};
pub use secrets::{AwsCreds, ConsulCreds, NomadCreds, Secrets, StsRequest};
pub use sys::{Health, HealthState, Sys};
pub use wrapping::{WrapLookup, Wrapping};

// The README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
