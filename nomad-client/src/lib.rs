//! Typed async client for the HashiCorp Nomad HTTP API: jobs, allocations, logs, exec, nodes, events.
//!
//! Build a [`NomadClient`] from the environment the way the `nomad` CLI does
//! (`NOMAD_ADDR`, `NOMAD_TOKEN`, `NOMAD_NAMESPACE`, ...) and reach the API
//! through handlers grouped like the API docs: [`NomadClient::jobs`],
//! [`NomadClient::allocations`], [`NomadClient::nodes`], ...
//!
//! ```no_run
//! use nomad_client::{NomadClient, QueryOptions};
//! # async fn demo() -> nomad_client::Result<()> {
//! let nomad = NomadClient::from_env()?.with_namespace("atala-testnet");
//! nomad.namespaces().read("atala-testnet").await?; // NotFound names the namespace
//! let alloc = nomad.allocations().find_running("dbHA1", "database", &QueryOptions::new()).await?;
//! println!("dbHA1 runs as {} on {}", alloc.id, alloc.node_name);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod allocations;
pub mod client;
pub mod deployments;
pub mod error;
pub mod events;
pub mod exec;
pub mod fs;
pub mod jobs;
pub mod logs;
pub mod models;
pub mod namespaces;
pub mod nodes;
pub mod operator;
pub mod options;
mod validate;

pub use allocations::Allocations;
pub use client::{NomadClient, TOKEN_HEADER};
pub use deployments::{Deployments, Evaluations};
pub use error::{Error, Result};
pub use events::{Event, EventOptions, Events};
pub use exec::{ExecEvent, ExecOptions, ExecOutput, ExecReader, ExecSession, ExecWriter};
pub use jobs::{DispatchOptions, Jobs, PlanOptions, RegisterOptions, ScaleOptions, StopOptions};
pub use logs::{FrameDecoder, LogFrame, LogFrames, LogType, LogsOptions, Origin};
pub use models::*;
pub use namespaces::Namespaces;
pub use nodes::{DrainOptions, Nodes};
pub use operator::{Acl, Agent, Status, System};
pub use options::{ALL_NAMESPACES, QueryOptions, WriteOptions};

pub use client_core::{BlockingOptions, QueryMeta, Secret, WatchOptions, WithMeta};
