//! Operations procedures as safe programs: bootstrap a Patroni HA cluster, restore it,
//! clean up Consul ghosts, get short-lived credentials.
//!
//! Every recipe is a value built from its inputs and the capabilities it needs, passed as
//! trait objects: the [`ports`]. Their implementations are the [`adapters`], one folder per
//! system: a [`Scheduler`](ports::Scheduler) (Nomad through
//! [`NomadScheduler`](adapters::nomad::NomadScheduler), or the sandbox's local processes), a
//! [`SettingsStore`](ports::SettingsStore) ([`VaultSettings`](adapters::vault::VaultSettings) or
//! [`FileSettings`](adapters::local::FileSettings)), a [`VolumeProbe`](ports::VolumeProbe) (or an
//! explicit, reasoned skip) and Patroni's state in Consul
//! ([`ConsulScopeStore`](adapters::consul::ConsulScopeStore)).
//!
//! Each recipe offers `plan()`, a dry run that checks every precondition against the live
//! systems and returns the steps or [`Error::Refused`] with *every* reason, and `run()`, which
//! executes step by step, reports typed [`Event`]s through [`Progress`], and returns a
//! serde-serializable [`Report`]. Steps look at the world first, so a re-run continues where
//! the world stands (each recipe's docs say how it is re-run: `bootstrap` with its resume state,
//! `replace_member` from its state file; `restore_database` cannot continue once it dropped its
//! database and says how to finish by hand). Destructive steps act on exact names only and write what they remove to
//! a [`BackupDir`] first. Waits are event-driven (Consul blocking queries) and bounded.
//!
//! Procedure numbers are those of the repository's
//! [runbook guide](https://github.com/ops-sdk/ops-sdk/blob/main/docs/runbook.md), which says for each
//! what is done by hand and what the recipe checks, saves and refuses.
//!
//! | recipe | module |
//! |---|---|
//! | bootstrap a new HA cluster (procedure 1) | [`bootstrap`] |
//! | restore to a timeline or a point in time (procedure 2) | [`restore`] |
//! | clean up ghost nodes, services, members (procedure 3) | [`ghost`] |
//! | replace one HA member at a time (procedure 5) | [`replace_member`] |
//! | apply settings that need a restart (procedure 6) | [`restart`] |
//! | restore one database in place (procedure 7) | [`restore_database`] |
//! | deploy a job with a diff, follow it, revert on failure (procedure 4) | [`deploy`] |
//! | Nomad and Consul tokens from Vault | [`credentials`] |
//!
//! ```no_run
//! use std::sync::Arc;
//! use recipes::bootstrap::{Bootstrap, BootstrapOptions, Capabilities};
//! use recipes::adapters::consul::ConsulScopeStore;
//! use recipes::adapters::local::DirJobSource;
//! use recipes::adapters::nomad::NomadScheduler;
//! use recipes::adapters::vault::VaultSettings;
//! use recipes::ports::VolumeCheck;
//! use recipes::Progress;
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let nomad = nomad_client::NomadClient::from_env()?;
//! let caps = Capabilities {
//!     scheduler: Arc::new(NomadScheduler::new(nomad, Arc::new(DirJobSource::new("deploy/jobs")))),
//!     settings: Arc::new(VaultSettings::new(vault_client::VaultClient::from_env()?)),
//!     scope_store: Arc::new(ConsulScopeStore::new(consul_client::ConsulClient::from_env()?)),
//!     volumes: VolumeCheck::skip("new clients, volumes created empty by terraform"),
//! };
//! let recipe = Bootstrap::new(BootstrapOptions::new("atala-testnet"), caps)?;
//! match recipe.plan().await {
//!     Ok(plan) => println!("{} steps", plan.steps.len()),
//!     Err(e) => {
//!         for reason in e.refusal_reasons() {
//!             eprintln!("refused: {reason}");
//!         }
//!         return Err(e.into());
//!     }
//! }
//! let report = recipe.run(Progress::callback(|e| eprintln!("{e:?}"))).await?;
//! println!("{}", serde_json::to_string_pretty(&report)?);
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub mod adapters;
pub mod backup;
pub mod bootstrap;
pub mod credentials;
pub mod deploy;
pub mod error;
pub mod ghost;
pub mod input;
pub mod ports;
pub mod progress;
pub mod replace_member;
pub mod report;
pub mod restart;
pub mod restore;
pub mod restore_database;
mod run;

pub use async_trait::async_trait;
pub use backup::BackupDir;
pub use error::{Error, FailedAction, Result};
pub use progress::{Event, Progress};
pub use report::{Check, Outcome, Plan, Report, Skipped, Step};

// The README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
