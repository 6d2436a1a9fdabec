//! The capabilities recipes are built from, as object-safe async traits.
//!
//! Each has an implementation over the SDK's clients and can be replaced by the
//! caller's own (the sandbox's local processes, an in-memory fake in tests).

pub mod replication;
pub mod scheduler;
pub mod scope;
pub mod settings;
pub mod volume;

pub use replication::{MemberApi, PatroniMemberApi, WalSender};
pub use scheduler::{JobDiagnosis, JobSpec, JobState, Scheduler, TaskGroupSpec};
pub use scope::{ClusterStatus, MemberStatus, ScopeEntry, ScopeSnapshot, ScopeStore};
pub use settings::{BootstrapMethod, DatabaseSettings, FileSettings, SettingsStore};
pub use volume::{VolumeCheck, VolumeProbe};
