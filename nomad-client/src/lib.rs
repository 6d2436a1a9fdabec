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
//!
//! # Administration and newer Nomads
//!
//! - Paged lists: [`QueryOptions::per_page`](field@QueryOptions::per_page) and
//!   `next_token`; `list_page` returns a [`Page`] with the opaque next token,
//!   `list_stream` every item across pages (it ends when `X-Nomad-NextToken`
//!   is absent, so a server older than paging answers in one page).
//!   `filter` everywhere, `reverse` where the list supports it (refused where
//!   Nomad would ignore it). Stale reads carry `X-Nomad-KnownLeader` and
//!   `X-Nomad-LastContact` in [`QueryMeta`], each header read on its own.
//! - ACL ([`NomadClient::acl`]): bootstrap, policies, tokens and one-time
//!   tokens, roles, auth methods, binding rules, OIDC and JWT logins; every
//!   secret is a [`Secret`]. Variables ([`NomadClient::variables`]) with
//!   check-and-set ([`Error::CasConflict`] carries the current variable) and
//!   locks. Operator ([`NomadClient::operator`]): Raft, autopilot, scheduler,
//!   keyring, snapshots streamed in constant memory. Native services
//!   ([`NomadClient::services`]) and node pools ([`NomadClient::node_pools`]).
//!   Storage ([`NomadClient::csi_volumes`], [`NomadClient::csi_plugins`],
//!   [`NomadClient::host_volumes`]) and the Enterprise quotas and Sentinel
//!   policies ([`NomadClient::quotas`], [`NomadClient::sentinel_policies`]).
//! - More streams, each holding one frame or answer at a time and closing
//!   its connection when dropped: [`Allocations::stream_file`] (`fs/stream`),
//!   [`Agent::monitor`] (log lines), [`Nodes::watch_drain`] (a drain to its
//!   end: the node and each allocation it moves, as the Go `MonitorDrain`).
//! - Destructive calls act on exact targets and refuse unsafe ones before
//!   sending: the last Raft voter, a peer not in the configuration, the
//!   active keyring key, a built-in node pool, a service registration the
//!   service does not have, a restore that is not a snapshot, a CSI or host
//!   volume that allocations still claim, the garbage collection of a live
//!   allocation, the force-leave of an alive or unknown member, an empty
//!   evaluation delete.
//!
//! # Compatibility
//!
//! What the tests check each endpoint group against. **R**: the real Nomad
//! 1.1.2 answers recorded in `tests/fixtures`; **D**: the shapes of the
//! Nomad API documentation of that version or a later one, as
//! `tests/fixtures/nomad-docs/*.docs.json` (their README names the page and
//! version of each); **—**: the version does not have the endpoint; **=**:
//! the endpoint is unchanged from the previous column and not tested again.
//!
//! | group | 1.1 | 1.4 | 1.6 | 1.9 |
//! | --- | --- | --- | --- | --- |
//! | jobs, allocations, evaluations, deployments, nodes, namespaces | R | = | = | D (a 1.9 job round trip; 1.10 list shapes) |
//! | logs, fs, exec, events, agent, status, system | R | = | = | = |
//! | paging (`per_page`, `next_token`), `reverse` | R (ignored: one page) | D (1.3+) | D | D |
//! | `filter` | R (lists ignore it before 1.3) | D | D | D |
//! | ACL bootstrap, policies, tokens, token self | R | D (operator bootstrap secret) | = | D (1.10 token shapes) |
//! | ACL one-time tokens | D | = | = | = |
//! | ACL roles | — | D | = | = |
//! | ACL auth methods, binding rules, OIDC, JWT login | — | — | D (1.5+) | D |
//! | variables | — | D | = | = |
//! | variable locks | — | — | — | D (1.7+) |
//! | operator Raft, autopilot, scheduler, snapshot | D | D | D | D |
//! | operator keyring | — | D | = | = |
//! | native services | — | D (1.3+) | = | = |
//! | node pools | — | — | D | = |
//! | CSI volumes, snapshots, plugins | D | = | = | D (1.10 shapes) |
//! | dynamic host volumes | — | — | — | D (1.10+) |
//! | quotas, Sentinel policies (Enterprise) | D | = | = | D (1.10 shapes) |
//! | jobs validate, allocation stats, node stats, node evaluate, search | R (stats) / D | = | = | D |
//! | dynamic node metadata (`/v1/client/metadata`) | — | — | D (1.5+) | = |
//! | job services, allocation services | — | D (1.3+) | = | = |
//! | allocation checks | — | D | = | = |
//! | job submission | — | — | D (1.6+) | = |
//! | job version tags, allocation pause (Enterprise) | — | — | — | D (1.9+) |
//! | fs/stream, agent monitor, node drain watch | R (framing, node reads) | = | = | = |
//! | agent join, force-leave, host; evaluation delete; deployment alloc-health | Go client shapes, no docs sample | | | |
//!
//! # Coverage against the Go client (`github.com/hashicorp/nomad/api`)
//!
//! | Go handler | here | missing |
//! | --- | --- | --- |
//! | `Jobs` | Y | (actions, `ScaleStatus` events not modelled) |
//! | `Allocations` | Y | |
//! | `AllocFS` | Y | ([`Allocations::stream_file`]) |
//! | `Nodes` | Y | ([`Nodes::meta`], [`Nodes::apply_meta`] for `NodeMeta` 1.5+; `MonitorDrain` is [`Nodes::watch_drain`], typed events for the node and its allocations) |
//! | `Evaluations` | Y | ([`Evaluations::delete`]) |
//! | `Deployments` | Y | ([`Deployments::set_alloc_health`]) |
//! | `Namespaces`, `EventStream`, `Status` | Y | |
//! | `Agent` | Y | ([`Agent::monitor`] yields lines; `log_json`, `plain` not offered) |
//! | `System` | Y | |
//! | `ACLPolicies`, `ACLRoles`, `ACLAuthMethods`, `ACLBindingRules`, `ACLOIDC`, `ACLLogin` | Y | |
//! | `ACLTokens` | Y | |
//! | `Variables` | Y | (`Peek` is [`Variables::get`] with `is_not_found`) |
//! | `Operator` | partial | license, Raft transfer-leadership, autopilot state (Enterprise) |
//! | `Keyring` | Y | |
//! | `Services` | Y | |
//! | `NodePools` | Y | |
//! | `CSIVolumes`, `HostVolumes`, `Quotas`, `SentinelPolicies` | Y | |
//! | `CSIPlugins` | partial | delete (no plugin delete endpoint was found in the plugins docs page read) |
//! | `Regions` | Y | ([`Status::regions`]) |
//! | `Search` | Y | ([`Agent::search`], [`Agent::fuzzy_search`]) |
//! | `Scaling`, `Recommendations` | no | |
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub mod acl;
pub mod agent;
pub mod agent_admin;
pub mod allocations;
pub mod client;
pub mod deployments;
pub mod error;
pub mod evaluations;
pub mod events;
#[cfg(feature = "exec")]
pub mod exec;
pub mod fs;
pub mod job_meta;
pub mod jobs;
pub mod logs;
pub mod models;
pub mod namespaces;
pub mod node_ops;
pub mod node_pools;
pub mod nodes;
pub mod operator;
pub mod options;
pub mod pages;
pub mod plugins;
pub mod quotas;
pub mod services;
pub mod status;
pub mod system;
mod validate;
pub mod variables;
pub mod vocab;
pub mod volumes;

pub use acl::{Acl, AclAuthMethods, AclBindingRules, AclPolicies, AclRoles, AclTokens};
pub use agent::Agent;
pub use agent_admin::{
    AgentTarget, FuzzyMatch, FuzzySearchResponse, HostData, HostDetails, JoinResponse, MAX_MONITOR_LINE,
    MONITOR_LOG_LEVELS, SEARCH_CONTEXTS, SearchResponse,
};
pub use allocations::{Allocations, PauseState};
pub use client::{ENV_SPEC, ENV_VARS, NomadClient, NomadClientBuilder, TOKEN_HEADER};
pub use deployments::Deployments;
pub use error::{Error, Result};
pub use evaluations::{EvalSelection, Evaluations};
pub use events::{Event, EventOptions, Events};
#[cfg(feature = "exec")]
pub use exec::{ExecEvent, ExecOptions, ExecOutput, ExecReader, ExecSession, ExecWriter};
pub use jobs::{DispatchOptions, Jobs, PlanOptions, RegisterOptions, ScaleOptions, StopOptions};
pub use logs::{FrameDecoder, LogFrame, LogFrames, LogType, LogsOptions, Origin};
pub use models::*;
pub use namespaces::Namespaces;
pub use node_ops::{DrainProgress, NodeMetaUpdate};
pub use node_pools::{BUILT_IN_NODE_POOLS, NodePools};
pub use nodes::{DrainOptions, Nodes, PurgeOptions};
pub use operator::{Operator, RESTORE_TIMEOUT, RaftPeer};
pub use options::{ALL_NAMESPACES, QueryOptions, WriteOptions};
pub use pages::{NEXT_TOKEN_HEADER, Page};
pub use plugins::CsiPlugins;
pub use quotas::{ENFORCEMENT_LEVELS, Quotas, SentinelPolicies};
pub use services::Services;
pub use status::Status;
pub use system::System;
pub use variables::Variables;
pub use vocab::{
    AllocClientStatus, AllocDesiredStatus, DeploymentStatus, EvaluationStatus, JobStatus, JobType, NodeStatus,
    SchedulingEligibility, TaskStatus,
};
pub use volumes::{CSI_SECRETS_HEADER, CsiVolumes, HostVolumes};

pub use client_core::{BlockingOptions, ClientError, QueryMeta, Secret, WatchOptions, WithMeta};

// The README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
