//! The ports recipes are built from: every capability a recipe needs, as an object-safe
//! async trait, with the types it speaks in.
//!
//! Each has implementations in [`adapters`](crate::adapters) (over the SDK's clients, or
//! in-process over local files) and can be replaced by the caller's own (the sandbox's
//! local processes, an in-memory fake in tests).

pub mod archive;
pub mod database;
pub mod deploy;
pub mod ghost;
pub mod job_source;
pub mod member_control;
pub mod replication;
pub mod scheduler;
pub mod scope;
pub mod settings;
pub mod volume;

pub use archive::ArchiveSource;
pub use database::{DatabaseInfo, DatabaseServer, PgAddress, RoleSettings, SessionRole};
pub use deploy::{
    Change, Deployer, DeploymentView, FailedPlacement, FieldChange, GroupChange, GroupHealth, JobChange, JobPlan,
    JobVersion, JobVersions, ObjectChange, PlacementCounts, Registered, Registration, TaskChange,
};
pub use ghost::{
    AllocState, CatalogEntry, CatalogTxnOp, CatalogWorld, MemberRecord, MemberView, NodeView, NomadClusterNode,
    NomadClusterView, NomadNodeRecord, NomadNodeView, NomadWorld, Removal, SavedCheck, SavedService,
    ServiceRegistration, ServiceView,
};
pub use job_source::JobSource;
pub use member_control::{MemberControl, MemberRuntime};
pub use replication::{MemberApi, WalSender};
pub use scheduler::{JobDiagnosis, JobSpec, JobState, Scheduler, TaskGroupSpec};
pub use scope::{ClusterStatus, MemberStatus, ScopeEntry, ScopeSnapshot, ScopeStore};
pub use settings::{BootstrapMethod, DatabaseSettings, SettingsStore};
pub use volume::{VolumeCheck, VolumeProbe};
