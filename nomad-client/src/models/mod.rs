//! Serde models, cased like the API's JSON and tolerant of unknown fields.

use serde::Deserialize as _;

pub mod acl;
pub mod agent;
pub mod alloc;
pub mod deployment;
pub mod evaluation;
pub mod fs;
pub mod job;
pub mod job_meta;
pub mod namespace;
pub mod node;
pub mod operator;
pub mod quota;
pub mod service;
pub mod variable;
pub mod volume;

pub use acl::{
    AclAuthMethod, AclAuthMethodConfig, AclBindingRule, AclLink, AclPolicy, AclRole, AclToken, OidcAuthUrlRequest,
    OidcCompleteAuthRequest, OneTimeToken,
};
pub use agent::{AgentHealth, AgentHealthResponse, AgentMember, AgentMembers, AgentSelf};
pub use alloc::{AllocStopResponse, Allocation, DesiredTransition, TaskState};
pub use deployment::{Deployment, DeploymentUpdateResponse};
pub use evaluation::Evaluation;
pub use fs::FileInfo;
pub use job::{
    Constraint, FieldDiff, Job, JobChildrenSummary, JobDiff, JobDispatchResponse, JobListStub, JobPlanResponse,
    JobRegisterResponse, JobScaleStatus, JobSummary, JobVersionTag, JobVersions, NetworkResource, ObjectDiff, Port,
    Resources, Service, Task, TaskDiff, TaskGroup, TaskGroupDiff, TaskGroupSummary, VolumeMount, VolumeRequest,
};
pub use job_meta::{AllocCheck, AllocStats, JobSubmission, JobValidateResponse};
pub use namespace::Namespace;
pub use node::{Node, NodeListStub, NodeMeta, NodeUpdateResponse};
pub use operator::{
    AutopilotConfiguration, AutopilotHealth, KeyringKey, PreemptionConfig, RaftConfiguration, RaftServer,
    SchedulerConfiguration, SchedulerSetResponse, ServerHealth, SnapshotSaved,
};
pub use quota::{QuotaLimit, QuotaSpec, QuotaUsage, SentinelPolicy};
pub use service::{NodePool, ServiceNamespace, ServiceRegistration, ServiceStub};
pub use variable::{Variable, VariableItems, VariableLock};
pub use volume::{
    CsiBodyPage, CsiExternalVolume, CsiPlugin, CsiSecrets, CsiSnapshot, CsiVolume, CsiVolumeListStub, HostVolume,
    HostVolumeResponse, VolumeCapability,
};

/// Reads a JSON `null` as the type's default (Go encodes nil slices and maps as `null`).
pub(crate) fn null_is_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Leaves a zero index or time out of a request body (the server sets them).
pub(crate) fn is_zero<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}
