//! Recipe `restore`: a fresh cluster from wal-g backups, to the end of a timeline or to a
//! point in time (procedure 2 of the [runbook guide](https://github.com/ops-sdk/ops-sdk/blob/main/docs/runbook.md)).
//!
//! Preflight: the namespace exists, the settings can be read and are not half-way into
//! another restore, and the walg planner finds the target reachable in the live archive
//! (a base backup plus every WAL segment up to the target; every reason is listed).
//! Then: record the current settings (backup file + state file), set the restore method and
//! its keys, stop and purge the database jobs, save and remove the scope's Consul state,
//! run [`crate::bootstrap`] with the restore method, verify the new leader's timeline (and for
//! a point in time, that Patroni's history records a recovery target; a warning otherwise),
//! set the method back to `initdb`.
//!
//! Every step is recorded in a state file in the backup directory, so running the recipe
//! again after a failure continues after the last completed step. [`Restore::abort`] puts the
//! recorded settings back and forgets the state.
//!
//! The bootstrap step needs empty host volumes, as a fresh bootstrap does; when the old
//! cluster's data is still there it stops with that reason, and a re-run continues once
//! the volumes were cleared.//!
//! The recipe's parts: its inputs ([`RestoreMode`], [`RestoreOptions`]) in `mode`, the
//! state file kept between runs ([`Phase`], [`RestoreState`]) in `state`, the dry run in
//! `plan`, and the run with its abort in `run`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use recipes::bootstrap::{BootstrapOptions, Capabilities};
//! use recipes::adapters::local::LocalArchiveSource;
//! use recipes::restore::{Restore, RestoreMode, RestoreOptions};
//! use recipes::{BackupDir, Progress};
//! # async fn demo(caps: Capabilities) -> Result<(), Box<dyn std::error::Error>> {
//! let mode = RestoreMode::point_in_time(2, "2026-11-22T05:12:00Z")?;
//! let opts = RestoreOptions::new(BootstrapOptions::new("atala-testnet"), mode);
//! let archive = Arc::new(LocalArchiveSource::new("/mnt/wal-archive"));
//! let restore = Restore::new(opts, caps, archive, BackupDir::new("./backups"))?;
//! let plan = restore.plan().await?; // refuses with every reason the target is unreachable
//! println!("{} steps", plan.steps.len());
//! let report = restore.run(Progress::none()).await?;
//! println!("{report:?}");
//! # Ok(()) }
//! ```

mod mode;
mod plan;
mod run;
mod state;

use std::sync::Arc;

pub use mode::{RestoreMode, RestoreOptions};
pub use state::{Phase, RestoreState};

use crate::bootstrap::Capabilities;
use crate::ports::ArchiveSource;
use crate::{BackupDir, Result};

/// The restore recipe: see the [module docs](self).
#[derive(Clone)]
pub struct Restore {
    opts: RestoreOptions,
    caps: Capabilities,
    archive: Arc<dyn ArchiveSource>,
    backups: BackupDir,
}

impl std::fmt::Debug for Restore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Restore").field("opts", &self.opts).field("backups", &self.backups).finish_non_exhaustive()
    }
}

impl Restore {
    /// Validates the inputs; nothing is contacted yet.
    pub fn new(
        opts: RestoreOptions,
        caps: Capabilities,
        archive: Arc<dyn ArchiveSource>,
        backups: BackupDir,
    ) -> Result<Self> {
        opts.bootstrap.validate()?;
        opts.mode.validate()?;
        Ok(Self { opts, caps, archive, backups })
    }

    fn ns(&self) -> &str {
        &self.opts.bootstrap.namespace
    }

    fn jobs(&self) -> Vec<String> {
        self.opts.bootstrap.members.iter().chain(&self.opts.bootstrap.backup_job).cloned().collect()
    }
}
