//! Typed async client for Patroni's REST API and Patroni's cluster state in
//! Consul KV, tolerant of Patroni 3.x and 4.x.
//!
//! - [`PatroniClient`]: one member's REST API — status, cluster, history,
//!   config (GET/PATCH/PUT), every health check as a yes/no with the status,
//!   switchover, failover (refused while a healthy leader runs unless
//!   [`Failover::despite_healthy_leader`]), restart, reload, reinitialize.
//!   Patroni's refusal text becomes [`Error::Refused`]. Built as every
//!   client of the SDK is (client-core's "client contract"):
//!   [`PatroniClient::new`] from a `ClientConfig`, [`PatroniClient::builder`],
//!   or [`PatroniClient::from_env`] with the variables Patroni and
//!   `patronictl` read ([`ENV_SPEC`], [`ENV_VARS`]); errors answer
//!   [`ClientError`].
//! - [`ClusterView`]: several members; find the leader, wait until a
//!   [`ClusterCondition`] such as [`Healthy`] holds.
//! - [`DcsView`]: the scope's keys in Consul KV as typed values, a leader
//!   watch on blocking queries, and [`DcsView::remove_scope_state`] /
//!   [`DcsView::restore_scope_state`] with a JSON backup file; deletes are
//!   conditional on what was saved ([`Error::IncompleteRemoval`]).
//! - [`validate_scope`]: the one scope check of the SDK (the recipes use it).
//! - [`render_table`]: a `patronictl list`-like table.
//! - Roles and states map to [`Role`], [`State`], [`WalSenderState`] and
//!   [`SenderSyncState`], with an `Unknown` fallback, so a new Patroni word
//!   never breaks decoding.
//!
//! ```no_run
//! use std::time::Duration;
//! use patroni_client::{ClusterView, Healthy, PatroniClient, Switchover};
//! # async fn demo() -> patroni_client::Result<()> {
//! let view = ClusterView::new(&["http://10.0.0.4:8008", "http://10.0.0.5:8008"])?;
//! let cluster = view.wait_until(&Healthy::new(2, 1024 * 1024), Duration::from_secs(120)).await?;
//! let leader = cluster.leader().expect("Healthy implies a leader");
//! let replica = cluster.replicas().next().expect("two members");
//! let client = PatroniClient::builder().address("http://10.0.0.4:8008").basic_auth("patroni", "secret").build()?;
//! let outcome = client.switchover(&Switchover::from_leader(&leader.name).to(&replica.name)).await?;
//! println!("{}", outcome.message);
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

#[cfg(feature = "consul")]
pub mod backup;
pub mod client;
pub mod cluster;
pub mod config;
#[cfg(feature = "consul")]
pub mod dcs;
pub mod error;
pub mod health;
pub mod history;
pub mod outcome;
pub mod reinitialize;
pub mod reload;
pub mod restart;
pub mod status;
pub mod switchover;
pub mod table;
pub mod view;
pub mod vocab;

#[cfg(feature = "consul")]
pub use backup::{BackupKey, RemoveOptions, ScopeBackup};
pub use client::{DEFAULT_ADDRESS, ENV_SPEC, ENV_VARS, PatroniClient, PatroniClientBuilder, PatroniEnvSpec};
pub use client_core::ClientError;
pub use cluster::{ClusterInfo, ClusterMember, Lag, ScheduledSwitchover};
pub use config::{ConfigPatch, DynamicConfig, PostgresqlConfig};
#[cfg(feature = "consul")]
pub use dcs::{DcsMember, DcsState, DcsView, FailoverKey, StatusKey, SyncState, validate_scope};
pub use error::{Error, Result};
pub use health::{Health, HealthCheck, HealthOptions};
pub use history::HistoryEntry;
pub use outcome::Outcome;
pub use reinitialize::ReinitializeOptions;
pub use restart::{RestartOptions, RestartRole};
pub use status::{MemberStatus, PatroniInfo, ReplicationConnection, Xlog};
pub use switchover::{Failover, Switchover};
pub use table::render_table;
pub use view::{ClusterCondition, ClusterView, Healthy, LeaderIs};
pub use vocab::{Role, SenderSyncState, State, WalSenderState};

// The README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
