//! Typed async client for the HashiCorp Nomad HTTP API: jobs, allocations, logs, exec, nodes, events.
//!
//! Build a [`NomadClient`] the way every client of this SDK is built (see
//! client-core's "client contract"): from the environment the way the `nomad`
//! CLI reads it ([`NomadClient::from_env`]: `NOMAD_ADDR`, `NOMAD_TOKEN`,
//! `NOMAD_NAMESPACE`, ..., listed in [`ENV_VARS`]), with [`NomadClient::builder`],
//! or from a [`client_core::ClientConfig`]; [`NomadClient::with_token`] and
//! [`NomadClient::with_namespace`] make cheap copies. Reach the API through
//! handlers named like the API docs, one module each: [`NomadClient::jobs`],
//! [`NomadClient::allocations`], [`NomadClient::nodes`], ...
//!
//! - Every call takes the client's namespace and region unless its options
//!   ([`QueryOptions`], [`WriteOptions`]) name others; list calls accept the
//!   wildcard namespace [`ALL_NAMESPACES`]. Reads return [`WithMeta`] with the
//!   `X-Nomad-Index`, and [`QueryOptions::blocking`] makes them blocking queries.
//! - Jobs round-trip: [`Job`] keeps every field it does not model, so a job
//!   read, changed and registered again loses nothing.
//! - Streams: logs ([`Allocations::logs`], and [`Allocations::follow_lines`] for
//!   `tail -n N -f`), events ([`Events::stream`], which reconnects from the last
//!   index), watches ([`Jobs::watch_allocations`], [`Allocations::wait_running`]).
//! - Exec over WebSocket: [`Allocations::exec`] for an interactive session
//!   ([`ExecSession::attach`] wires it to local stdin/stdout/stderr),
//!   [`Allocations::exec_output`] to run a command to completion.
//! - Register and plan follow `nomad job run` on namespaces: see [`Jobs::target_namespace`].
//! - Statuses and types are enums ([`JobStatus`], [`AllocClientStatus`],
//!   [`NodeStatus`]...) that keep a word a newer Nomad sends as `Unknown(word)`.
//! - A 404 on a named object becomes [`Error::NotFound`] naming it; bad input is
//!   refused before any request. [`ClientError`] asks any error the questions
//!   every client answers (`is_not_found`, `is_permission_denied`, `is_transient`).
//!
//! ```no_run
//! use nomad_client::{ExecOptions, NomadClient, QueryOptions};
//! # async fn demo() -> nomad_client::Result<()> {
//! let nomad = NomadClient::from_env()?.with_namespace("atala-testnet")?;
//! nomad.namespaces().get("atala-testnet", &QueryOptions::new()).await?; // NotFound names the namespace
//! let alloc = nomad.allocations().find_running("dbHA1", "database", &QueryOptions::new()).await?;
//! println!("dbHA1 runs as {} on {}", alloc.id, alloc.node_name);
//!
//! let cmd = ["wal-g".to_owned(), "backup-list".to_owned(), "--json".to_owned()];
//! let out = nomad.allocations().exec_output(&alloc.id, "postgres-patroni", &cmd, &ExecOptions::default()).await?;
//! println!("exit {}: {}", out.exit_code, String::from_utf8_lossy(&out.stdout));
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod acl;
pub mod agent;
pub mod allocations;
pub mod client;
pub mod deployments;
pub mod error;
pub mod evaluations;
pub mod events;
pub mod exec;
pub mod fs;
pub mod jobs;
pub mod logs;
pub mod models;
pub mod namespaces;
pub mod node_pools;
pub mod nodes;
pub mod operator;
pub mod options;
pub mod pages;
pub mod services;
pub mod status;
pub mod system;
mod validate;
pub mod variables;
pub mod vocab;

pub use acl::{Acl, AclAuthMethods, AclBindingRules, AclPolicies, AclRoles, AclTokens};
pub use agent::Agent;
pub use allocations::Allocations;
pub use client::{ENV_SPEC, ENV_VARS, NomadClient, NomadClientBuilder, TOKEN_HEADER};
pub use deployments::Deployments;
pub use error::{Error, Result};
pub use evaluations::Evaluations;
pub use events::{Event, EventOptions, Events};
pub use exec::{ExecEvent, ExecOptions, ExecOutput, ExecReader, ExecSession, ExecWriter};
pub use jobs::{DispatchOptions, Jobs, PlanOptions, RegisterOptions, ScaleOptions, StopOptions};
pub use logs::{FrameDecoder, LogFrame, LogFrames, LogType, LogsOptions, Origin};
pub use models::*;
pub use namespaces::Namespaces;
pub use node_pools::{BUILT_IN_NODE_POOLS, NodePools};
pub use nodes::{DrainOptions, Nodes, PurgeOptions};
pub use operator::{Operator, RESTORE_TIMEOUT, RaftPeer};
pub use options::{ALL_NAMESPACES, QueryOptions, WriteOptions};
pub use pages::{NEXT_TOKEN_HEADER, Page};
pub use services::Services;
pub use status::Status;
pub use system::System;
pub use variables::Variables;
pub use vocab::{
    AllocClientStatus, AllocDesiredStatus, DeploymentStatus, EvaluationStatus, JobStatus, JobType, NodeStatus,
    SchedulingEligibility, TaskStatus,
};

pub use client_core::{BlockingOptions, ClientError, QueryMeta, Secret, WatchOptions, WithMeta};
