//! Operations procedures as safe programs: bootstrap a Patroni HA cluster, restore it,
//! clean up Consul ghosts, get short-lived credentials.
#![deny(missing_docs)]

pub mod backup;
pub mod bootstrap;
pub mod capability;
pub mod consul;
pub mod credentials;
pub mod error;
pub mod ghost;
pub mod input;
pub mod nomad;
pub mod progress;
pub mod report;
pub mod restore;
mod run;
pub mod vault_settings;

pub use async_trait::async_trait;
pub use backup::BackupDir;
pub use error::{Error, Result};
pub use progress::{Event, Progress};
pub use report::{Check, Outcome, Plan, Report, Skipped, Step};
