//! Drive wal-g, parse WAL names, LSNs and timeline histories natively, and plan point-in-time restores.
//!
//! - **Native parsing**, no wal-g needed: [`Lsn`], [`WalSegment`] with [`WalSegmentSize`] (LSN <->
//!   segment number <-> file name, previous-segment rule), [`TimelineHistory`] and [`TimelineTree`],
//!   [`BackupLabel`] (`.backup` files), [`BackupName`] (`base_...`, `_D_` deltas),
//!   [`parse_timestamp`] (the formats wal-g and PostgreSQL print; naive times are refused), archive
//!   listings ([`WalInventory`], [`LocalArchive`]).
//! - **PITR planner** ([`ArchiveState::plan`]): for a [`RestoreTarget`], either a [`RestorePlan`]
//!   (base backup, WAL ranges per timeline, recovery settings) or [`Refused`] with every [`Refusal`].
//! - **wal-g commands** as typed calls ([`WalG`]) through a [`Runner`]: a local process
//!   ([`LocalRunner`]) or a Nomad allocation (`NomadRunner`, feature `nomad`), configured by a [`WalgConfig`]
//!   whose secrets travel only in the environment and never appear in errors.
//!
//! Planning from an archive listing and a history file:
//!
//! ```
//! use walg::{ArchiveState, BackupInfo, RestoreTarget, TimelineHistory, TimelineTree, WalInventory, WalSegmentSize};
//!
//! let wal = WalInventory::from_listing("000000010000000000000002\n000000010000000000000003\n00000002.history\n");
//! let tree = TimelineTree::new([TimelineHistory::parse(2, "1\t0/40000A0\tno recovery target specified").unwrap()]);
//! let backup = BackupInfo {
//!     name: "base_000000010000000000000002".into(),
//!     start_segment: "000000010000000000000002".parse().unwrap(),
//!     start_lsn: None, finish_lsn: None, start_time: None, finish_time: None,
//! };
//! let state = ArchiveState { backups: vec![backup], wal, timelines: tree, segment_size: WalSegmentSize::default() };
//! // Timeline 1 can be restored; timeline 2 lacks its first segment.
//! assert!(state.plan(&RestoreTarget::timeline(1)).is_ok());
//! let refused = state.plan(&RestoreTarget::latest()).unwrap_err();
//! assert!(refused.to_string().contains("WAL is missing on timeline 2: 000000020000000000000004"));
//! ```
//!
//! Asking wal-g itself:
//!
//! ```no_run
//! use walg::{ArchiveState, BackupListOptions, LocalRunner, RestoreTarget, WalG, WalgConfig, parse_timestamp};
//! # async fn demo() -> anyhow::Result<()> {
//! let config = WalgConfig::from_vars(std::env::vars())?; // exactly one WALG_*_PREFIX
//! let size = config.wal_segment_size()?;
//! let walg = WalG::new(LocalRunner::new("wal-g"), config);
//! let backups = walg.backup_list(&BackupListOptions { detail: true, ..Default::default() }).await?;
//! let wal = walg.wal_show().await?;
//! let state = ArchiveState::from_walg(&backups, &wal, [], size)?;
//! let target = RestoreTarget::timeline(2).at(parse_timestamp("2026-11-22 04:50:00+00")?);
//! match state.plan(&target) {
//!     Ok(plan) => println!("{plan}"),
//!     Err(refused) => println!("{refused}"),
//! }
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub mod archive;
pub mod backup_label;
pub mod backup_name;
pub mod client;
pub mod config;
pub mod error;
pub mod log;
pub mod lsn;
pub mod models;
#[cfg(feature = "nomad")]
pub mod nomad;
pub mod pitr;
pub mod runner;
pub mod segment;
pub mod time;
pub mod timeline;

pub use archive::{ArchiveFile, LocalArchive, WalInventory};
pub use backup_label::BackupLabel;
pub use backup_name::BackupName;
pub use client::{
    BackupFetchOptions, BackupListOptions, BackupPushOptions, BackupPushOutcome, BackupSelector, DeleteOptions,
    DeleteReport, DeleteTarget, ListFormat, RetainMode, WalG, WalVerifyCheck, WalVerifyOptions, WalgVersion,
};
pub use config::{PgSettings, Storage, WalgConfig};
pub use error::{Error, Result};
pub use lsn::Lsn;
pub use models::{BackupListEntry, CheckStatus, WalShowTimeline, WalVerifyReport};
#[cfg(feature = "nomad")]
pub use nomad::NomadRunner;
pub use pitr::{ArchiveState, BackupInfo, Refusal, Refused, RestorePlan, RestoreTarget, TargetTimeline, WalRange};
pub use runner::{CommandOutput, EnvValue, LocalRunner, Runner};
pub use segment::{TimelineId, WalSegment, WalSegmentSize};
pub use time::{Timestamp, format_pg_timestamp, parse_timestamp};
pub use timeline::{TimelineHistory, TimelineTree};

// The README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
