//! Serde models, cased like the API's JSON and tolerant of unknown fields.

pub mod alloc;
pub mod job;
pub mod misc;
pub mod node;

pub use alloc::{AllocStopResponse, Allocation, TaskState};
pub use job::{
    Constraint, FieldDiff, Job, JobChildrenSummary, JobDiff, JobDispatchResponse, JobListStub, JobPlanResponse,
    JobRegisterResponse, JobScaleStatus, JobSummary, JobVersions, NetworkResource, ObjectDiff, Port, Resources,
    Service, Task, TaskDiff, TaskGroup, TaskGroupDiff, TaskGroupSummary, VolumeMount, VolumeRequest,
};
pub use misc::{
    AclToken, AgentMember, AgentMembers, AgentSelf, Deployment, DeploymentUpdateResponse, Evaluation, FileInfo,
    Namespace,
};
pub use node::{Node, NodeListStub, NodeUpdateResponse};
