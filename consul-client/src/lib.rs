//! Typed async client for the HashiCorp Consul HTTP API: KV, sessions and
//! locks, catalog, health, agent, ACL management, snapshots, operator (Raft,
//! autopilot, keyring), prepared queries, events, coordinates, config
//! entries, intentions, Enterprise namespaces and admin partitions, cluster
//! peering, status, and watches built on blocking queries.
//!
//! Built on [`client_core`]: the environment is read like the `consul` CLI
//! reads it, idempotent requests are retried, tokens never reach logs.
//!
//! ```no_run
//! use consul_client::{ConsulClient, PutOptions, QueryOptions};
//! # async fn demo() -> consul_client::Result<()> {
//! let consul = ConsulClient::from_env()?;
//! consul.kv().put("service/demo/config", br#"{"ttl":30}"#, &PutOptions::default()).await?;
//! if let Some(pair) = consul.kv().get("service/demo/config", &QueryOptions::default()).await?.value {
//!     println!("{} = {:?} (index {})", pair.key, pair.value_str(), pair.modify_index);
//! }
//! for member in consul.agent().members(false).await? {
//!     println!("{} {}", member.name, member.status);
//! }
//! # Ok(()) }
//! ```
//!
//! | handler | API | highlights |
//! |---|---|---|
//! | [`ConsulClient::kv`] | `/v1/kv`, `/v1/txn` | CAS, locks, raw reads, safe tree delete, transactions, [`Kv::watch_prefix`] |
//! | [`ConsulClient::sessions`] | `/v1/session` | sessions and [`Sessions::lock`], a renewed [`LockGuard`] |
//! | [`ConsulClient::catalog`] | `/v1/catalog` | nodes, services, register/deregister, [`Catalog::watch_services`] |
//! | [`ConsulClient::health`] | `/v1/health` | service health (passing, tags, near), checks by state, [`Health::watch_service`] |
//! | [`ConsulClient::agent`] | `/v1/agent` | self, members, join/leave/force-leave, reload, local services and checks, maintenance, token update, metrics, [`Agent::monitor`] |
//! | [`ConsulClient::acl`] | `/v1/acl` | bootstrap, tokens, policies, roles, auth methods, binding rules, login/logout, replication |
//! | [`ConsulClient::snapshot`] | `/v1/snapshot` | [`Snapshot::save`] to an `AsyncWrite`, [`Snapshot::restore`] from an `AsyncRead`, both streamed |
//! | [`ConsulClient::status`] | `/v1/status` | leader, peers |
//! | [`ConsulClient::operator`] | `/v1/operator` | Raft configuration, [`Operator::raft_remove_peer`], [`Operator::raft_transfer_leader`], autopilot configuration (CAS), health and state, keyring, usage |
//! | [`ConsulClient::prepared_queries`] | `/v1/query` | CRUD, templates, execute (near, limit, failover), explain |
//! | [`ConsulClient::events`] | `/v1/event` | fire, list, [`Events::watch`] |
//! | [`ConsulClient::connect`] | `/v1/connect/ca`, `/v1/agent/connect` | CA roots and configuration, leaf certificates, authorize |
//! | [`ConsulClient::coordinates`] | `/v1/coordinate` | datacenters, nodes, one node, update |
//! | [`ConsulClient::config_entries`] | `/v1/config` | typed kinds ([`ConfigEntry`]) and raw JSON, CAS writes |
//! | [`ConsulClient::intentions`] | `/v1/connect/intentions` | ID-based (1.8) and exact-name (1.9+) APIs, [`Intentions::api`] |
//! | [`ConsulClient::namespaces`] | `/v1/namespace` | Enterprise namespaces CRUD (the built-in `default` never deleted) |
//! | [`ConsulClient::partitions`] | `/v1/partition` | Enterprise admin partitions CRUD (the built-in `default` never deleted) |
//! | [`ConsulClient::peerings`] | `/v1/peering` | peering token (a [`Secret`]), establish, read, list, delete by exact name |
//!
//! Reads take [`QueryOptions`] (`datacenter`, `namespace`, `partition`, `stale()` /
//! `consistent()`, `filter`, `blocking(index, wait)`, `token`, and where an
//! endpoint has them `node_meta` and `near`); writes take [`WriteOptions`]
//! (conditional ones [`CasOptions`] or [`PutOptions`]). Reads that Consul
//! indexes return [`WithMeta`] with the index metadata. Errors are one
//! [`Error`] answering the SDK's shared checks ([`ClientError`]).
//!
//! Consul quirks this crate absorbs: a KV CAS conflict is `200 false`
//! ([`Kv::put`] returns `false`), a missing key is `404` with an empty body
//! (`None`), a failed transaction is `409` ([`Error::TxnRolledBack`]), and a
//! recursive delete matches raw prefixes ([`Kv::delete_tree`] refuses a
//! prefix not ending in `/`).
//!
//! # Coverage against the Go client (`github.com/hashicorp/consul/api`)
//!
//! Tested against a real Consul 1.8.7 unless marked *wiremock* (an endpoint
//! or answer 1.8.7 cannot give, in the shape of the current API docs).
//!
//! | endpoint group | covered | what is missing |
//! |---|---|---|
//! | KV, transactions (`KV`, `Txn`) | Y | — |
//! | Sessions, locks (`Session`, `Lock`) | Y | — |
//! | Semaphore (`Semaphore`) | Y | session renewed at TTL/2 in the background, lost slot reported by [`SemaphoreGuard::lost`] |
//! | Catalog (`Catalog`) | Y | — |
//! | Health (`Health`) | Y | — |
//! | Agent (`Agent`) | partial | `agent/host`, `agent/version`, check update by body (`check/update`), the Connect proxy config |
//! | ACL (`ACL`) | Y (1.8 surface) | legacy (pre-1.4) ACL endpoints, OIDC flows (`acl/oidc/*`), templated policies (1.17+) |
//! | Snapshot (`Snapshot`) | Y | — |
//! | Operator: Raft (`OperatorRaft*`) | Y | transfer-leader (1.15+) *wiremock*; 1.8.7's 404 is [`Error::Unsupported`] |
//! | Operator: autopilot (`OperatorAutopilot*`) | Y | `autopilot/state` (1.9+) *wiremock*; 1.8.7's 404 is [`Error::Unsupported`] |
//! | Operator: keyring (`Keyring*`) | Y | keyring options (`relay-factor`, `local-only`) |
//! | Operator: usage (`OperatorUsage`) | Y | *wiremock* (1.11+); 1.8.7's 404 is [`Error::Unsupported`] |
//! | Operator: area, segment, license (`OperatorArea*`, `OperatorSegment*`, `OperatorLicense*`) | no | Enterprise areas, segments, license |
//! | Prepared queries (`PreparedQuery`) | partial | templates ([`QueryTemplate`]) covered; stored `Token` covered (Consul's `<hidden>` refused as a token); `Connect` lookups missing |
//! | Events (`Event`) | Y | — |
//! | Coordinates (`Coordinate`) | Y | — |
//! | Connect CA, leaf, authorize (`Connect().CA*`, `Agent().ConnectCA*`) | Y | — |
//! | Intentions (`Connect().Intention*`) | Y | — |
//! | Config entries (`ConfigEntries`) | Y | — |
//! | Status (`Status`) | Y | — |
//! | Discovery chain (`DiscoveryChain`) | no | `discovery-chain/<service>` |
//! | Namespaces (`Namespaces`) | Y | *wiremock* (Enterprise 1.7+); `?ns=` per request, `X-Consul-Namespace` per client |
//! | Admin partitions (`Partitions`) | Y | *wiremock* (Enterprise 1.11+); `?partition=` per request, `X-Consul-Partition` per client |
//! | Cluster peering (`Peerings`) | Y | *wiremock* (1.13+, GA 1.14): generate-token (a [`Secret`]), establish, read, list, delete |
//! | Exported services, debug, raw (`ExportedServices`, `Debug`, `Raw`) | partial | raw requests through [`ConsulClient::http`]; the rest no |
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

mod b64;
mod de;
mod validate;
mod watch;

pub mod acl;
pub mod agent;
pub mod catalog;
pub mod catalog_txn;
pub mod client;
pub mod config_entry;
pub mod connect;
pub mod coordinate;
pub mod error;
pub mod event;
pub mod health;
pub mod intentions;
pub mod kv;
pub mod lock;
pub mod models;
pub mod namespace;
pub mod operator;
pub mod options;
pub mod partition;
pub mod peering;
pub mod prepared_query;
pub mod semaphore;
pub mod session;
pub mod snapshot;
pub mod status;
pub mod txn;

pub use acl::{
    Acl, AclAuthMethod, AclAuthMethodListEntry, AclBindingRule, AclBindingRuleRequest, AclLink, AclLogin,
    AclNodeIdentity, AclPolicy, AclPolicyListEntry, AclPolicyRequest, AclReplicationStatus, AclRole, AclRoleRequest,
    AclServiceIdentity, AclToken, AclTokenRequest, BindType, TokenListFilter,
};
pub use agent::{
    Agent, AgentCheckRegistration, AgentConfig, AgentMetrics, AgentSelf, AgentServiceRegistration, AgentTokenKind,
    Member, MemberStatus,
};
pub use catalog::{
    Catalog, CatalogDeregistration, CatalogNode, CatalogRegistration, CatalogService, CompoundName, GatewayService,
    HealthCheckRegistration, NodeServices, ServiceRegistration,
};
pub use catalog_txn::CatalogTxnOp;
pub use client::{ConsulClient, ConsulClientBuilder, ENV_SPEC, ENV_VARS};
pub use config_entry::{
    ConfigEntries, ConfigEntry, ConfigWriteOptions, ProxyDefaults, ServiceDefaults, ServiceIntentions, ServiceResolver,
    ServiceRouter, ServiceSplitter,
};
pub use connect::{Authorization, CaConfiguration, CaRoot, CaRoots, Connect, LeafCert};
pub use coordinate::{Coord, Coordinates, DatacenterCoordinates, NodeCoordinate};
pub use error::{Error, IncompleteDelete, Result, TxnError};
pub use event::{EventFilter, Events, UserEvent};
pub use health::{CheckState, Health, ServiceEntry, ServiceHealthOptions};
pub use intentions::{Intention, IntentionAction, IntentionApi, IntentionRequest, Intentions};
pub use kv::{DeleteOptions, Kv, KvPair, PutOptions};
pub use lock::{LockGuard, LockOptions};
pub use models::{AgentService, CheckMap, HealthCheck, HealthStatus, Node};
pub use namespace::{Namespace, NamespaceAcls, NamespaceRequest, Namespaces};
pub use operator::{
    AutopilotConfiguration, AutopilotHealth, AutopilotServer, AutopilotServerState, AutopilotState, AutopilotUpgrade,
    AutopilotZone, KeyringPool, Operator, OperatorUsage, RaftConfiguration, RaftPeer, RaftServer, ServiceUsage,
};
pub use options::{CasOptions, Consistency, QueryOptions, WriteOptions};
pub use partition::{Partition, Partitions};
pub use peering::{Peering, PeeringEstablishRequest, PeeringTokenRequest, Peerings};
pub use prepared_query::{
    ExecuteOptions, HIDDEN_QUERY_TOKEN, PreparedQueries, PreparedQuery, PreparedQueryRequest, QueryDns, QueryExecution,
    QueryFailover, QueryService, QueryTemplate, TemplateType,
};
pub use semaphore::{Semaphore, SemaphoreGuard, SemaphoreOptions};
pub use session::{SessionBehavior, SessionEntry, SessionRequest, Sessions};
pub use snapshot::{Snapshot, SnapshotSaved};
pub use status::Status;
pub use txn::{DeletedSaved, KvVerb, RestoredSaved, TxnKvOp, TxnOp, TxnOpResult, TxnResult};

pub use client_core::{BlockingOptions, ClientConfig, ClientError, QueryMeta, Secret, WatchOptions, WithMeta};

// The README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
