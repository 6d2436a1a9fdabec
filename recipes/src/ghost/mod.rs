//! Recipe `ghost_cleanup`: remove what dead nodes and stopped allocations left in Consul
//! and Nomad (procedure 3 of the [runbook guide](https://github.com/ops-sdk/ops-sdk/blob/main/docs/runbook.md)).
//!
//! Five kinds of ghost, each listed in the plan with its evidence:
//! 1. catalog nodes that are not alive gossip members (failed, left or missing) and still
//!    carry services (nodes marked `external-node = true` are registered on purpose and skipped);
//! 2. Nomad task services (`_nomad-task-<alloc>-...`) whose allocation is not running or gone
//!    (Nomad's own `_nomad-server-*` / `_nomad-client-*` are never task ghosts, and a failing
//!    check alone proves nothing);
//! 3. gossip members in `failed` state;
//! 4. Nomad client nodes down for longer than a threshold;
//! 5. Nomad-native service registrations (Nomad 1.3+, `provider = "nomad"`, every namespace)
//!    whose allocation is not running or gone, or whose node is gone or down for longer than
//!    [`GhostOptions::nomad_node_down_for`]: what a gone-for-good client or a long-stopped
//!    allocation leaves behind (a Nomad before 1.3 answers 404 and the plan says it skipped
//!    them).
//!
//! **Reading.** The plan reads the catalog once per node (plus the agent, its members and
//! the node list: requests grow with nodes, not services), with at most
//! [`GhostOptions::read_concurrency`] reads in flight ([`DEFAULT_READ_CONCURRENCY`] by
//! default); nodes keep the catalog's order, so the plan is the same at any concurrency.
//!
//! **Which cluster.** With a Nomad side, the plan first checks that Nomad and Consul look at
//! the same cluster, and refuses (one sentence, nothing touched) when the Nomad it was given
//! knows none of the task services' allocations, knows neither a Consul node that carries
//! task services (no Nomad node with its name, address or `unique.consul.name`) nor any of
//! that node's allocations, or has a matching node whose `consul.datacenter` is another
//! datacenter; the sentence names the Nomad address and region. A wrong `NOMAD_ADDR`, another
//! region or a rebuilt cluster would otherwise make every task service a ghost.
//! [`GhostOptions::override_cluster_check`] plans anyway, for an operator who knows why.
//!
//! **What is removed.** [`GhostCleanup::run`] acts only on the findings of the plan it is
//! given, re-checks each one just before acting (that read *is* the backup: for a catalog
//! target, node, services and checks with their `ModifyIndex`), writes the backup files
//! (every one before the first action, each listed in the report's `backups`), then removes
//! exactly what it saved, with bounded parallelism:
//! - a dead node's services and checks go one by one, each as a `delete-cas` on its saved
//!   index in a Consul transaction (checks first; 64 operations per transaction); an entry
//!   registered or changed after the backup is left in place and reported
//!   ([`GhostReport::left_in_place`], and a warning), and so is the node then;
//! - the node itself goes (a node `delete-cas` on its saved index, in the same transaction
//!   as its entries) only when it showed no change for at least
//!   [`GhostOptions::node_quiet_period`] (250 ms by default): from the backup read to a fresh
//!   read just before the transaction, which must show exactly the saved entries at their
//!   saved indexes;
//! - a task service goes with its checks, each on its saved index (on this client's own
//!   agent through the agent API, after checking the catalog still holds it at that index);
//! - a native registration is re-read by its exact namespace, service name and ID (that
//!   read is its backup, in a `ghost-cleanup-nomad-services-*.json` file of its own), read
//!   again just before the delete, and deleted only when that read shows the same
//!   allocation, node and `ModifyIndex`; otherwise it is left in place and reported. Nomad
//!   has no conditional delete, so a re-registration between that read and the `DELETE`
//!   (two requests) is deleted; the client re-registers a live allocation's services at its
//!   next sync. A failed delete names the backup file in its error;
//! - a failed member and a down Nomad node are read again just before acting (the
//!   member as the agent's members call lists it; the node by exact ID, `GET
//!   /v1/node/<id>`, the whole JSON the client returns), and that read, which must still
//!   show the member `failed` or the node down past the threshold, is its backup, in a
//!   `ghost-cleanup-members-*.json` or `ghost-cleanup-nomad-nodes-*.json` file of its own
//!   written before any action; then `force-leave -prune` or the purge. Neither Consul nor
//!   Nomad has a conditional force-leave or purge: the save is the record as read and the
//!   re-check is the only guard, so a member or node that comes back between that read
//!   and the action is still acted on. A failed action names the backup file in its error.
//!
//! **The window that remains.** Deleting a node deletes whatever is on it, and registering a
//! service does not move the node's `ModifyIndex` (Consul 1.8.7), so no transaction can make
//! the node deletion conditional on "nothing new on it". A service registered on the node
//! between the fresh read and the transaction's commit is deleted without being in the
//! backup. [`GhostReport::unguarded_windows_us`] reports that time for every node deleted
//! (from the start of the fresh read, two requests, to the transaction's answer): measured
//! 6 to 23 ms, median about 8 ms, on a loopback Consul 1.8.7 dev agent on a busy 2-core host
//! (30 node deletions over three runs of `safety-tests` `concurrent_ghost`; the test prints
//! it). Only a registration that follows at least
//! a quiet period of silence on that node can fall into it: a registrar that keeps
//! registering is seen and keeps the node. [`ConsulCatalog::reregister_from_backup`](crate::adapters::consul::ConsulCatalog::reregister_from_backup) puts
//! back what a backup saved.
//!
//! ```no_run
//! use std::sync::Arc;
//! use recipes::adapters::consul::ConsulCatalog;
//! use recipes::ghost::{GhostCleanup, GhostOptions};
//! use recipes::{BackupDir, Progress};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let consul = consul_client::ConsulClient::from_env()?;
//! let opts = GhostOptions::default().service_pattern("atala-testnet-*").max_actions(10);
//! let cleanup = GhostCleanup::new(opts, Arc::new(ConsulCatalog::new(consul)), None, BackupDir::new("./backups"))?;
//! let plan = cleanup.plan().await?;
//! for f in &plan.findings {
//!     println!("{}: {}", f.target, f.evidence.join("; "));
//! }
//! let report = cleanup.run(&plan, Progress::none()).await?;
//! println!("removed {:?}, backups {:?}", report.counts, report.report.backups);
//! # Ok(()) }
//! ```

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod backup;

use consul_client::txn::MAX_TXN_OPS;

use futures::StreamExt;
use nomad_client::NodeStatus;
use serde::{Deserialize, Serialize};

pub use backup::{BackupIndexes, CatalogBackupRow, MemberBackupRow, NomadNodeBackupRow, NomadServiceBackupRow};

use crate::input::glob_match;
use crate::ports::{
    AllocState, CatalogEntry, CatalogTxnOp, CatalogWorld, MemberView, NodeView, NomadClusterNode, NomadClusterView,
    NomadNodeView, NomadWorld, Removal, SavedCheck, ServiceRegistration, ServiceView,
};
use crate::progress::Progress;
use crate::report::{Check, Plan, Report, Step};
use crate::run::Runner;
use crate::{BackupDir, Error, FailedAction, Result};

/// How many catalog reads a plan has in flight at once unless told otherwise
/// ([`GhostOptions::read_concurrency`]).
pub const DEFAULT_READ_CONCURRENCY: usize = 16;

/// The gossip members by name (the first one listed when a name repeats), so that a
/// node's status is one lookup, not a scan of every member.
struct Members<'a>(HashMap<&'a str, &'a MemberView>);

impl<'a> Members<'a> {
    fn new(members: &'a [MemberView]) -> Self {
        let mut by_name = HashMap::with_capacity(members.len());
        for m in members {
            by_name.entry(m.name.as_str()).or_insert(m);
        }
        Self(by_name)
    }

    fn get(&self, name: &str) -> Option<&'a MemberView> {
        self.0.get(name).copied()
    }
}

/// Filters and limits of a cleanup.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GhostOptions {
    /// Only this namespace's services, by exact name: a Consul catalog service whose name is
    /// the namespace or starts with `<namespace>-` (the runbook's `<namespace>-<role>`, such
    /// as `atala-testnet-database`; `atala-testnet` never selects `atala-testnet2-api` or
    /// `old-atala-testnet-api`; a `_nomad-task-…` instance whose allocation Nomad still knows
    /// must also be of this Nomad namespace), and a Nomad-native registration whose Nomad
    /// namespace is exactly this one. Members and Nomad nodes are cluster-wide and are left out when a
    /// namespace is set; a dead catalog node is taken only when every service on it is
    /// selected (deleting it deletes them all), the same rule as for a service pattern.
    pub namespace: Option<String>,
    /// Only services whose name matches this glob (`*` wildcard).
    pub service_pattern: Option<String>,
    /// Only nodes and members whose name matches this glob.
    pub node_pattern: Option<String>,
    /// Refuse to act on more findings than this...
    pub max_actions: usize,
    /// ...unless this is set.
    pub override_max_actions: bool,
    /// A Nomad node counts as a ghost when down for longer than this.
    pub nomad_node_down_for: Duration,
    /// How many actions run at once.
    pub parallelism: usize,
    /// How many catalog reads the plan has in flight at once (one per node; the number of
    /// requests and the plan do not depend on it, only its time does).
    pub read_concurrency: usize,
    /// A catalog node is deleted only when it showed no change for at least this long
    /// (from its backup to the read just before the deletion); see the [module docs](self).
    pub node_quiet_period: Duration,
    /// Plan even when the Nomad side does not look like the cluster whose task services
    /// are in Consul (see the [module docs](self)); for an operator who knows why.
    pub override_cluster_check: bool,
}

impl Default for GhostOptions {
    /// No filter, at most 20 actions, Nomad nodes down for 24 h, 4 actions at once,
    /// [`DEFAULT_READ_CONCURRENCY`] plan reads at once, nodes quiet for 250 ms before
    /// deletion, the cluster check on.
    fn default() -> Self {
        Self {
            namespace: None,
            service_pattern: None,
            node_pattern: None,
            max_actions: 20,
            override_max_actions: false,
            nomad_node_down_for: Duration::from_secs(24 * 3600),
            parallelism: 4,
            read_concurrency: DEFAULT_READ_CONCURRENCY,
            node_quiet_period: Duration::from_millis(250),
            override_cluster_check: false,
        }
    }
}

impl GhostOptions {
    /// Only services of this namespace (see [`GhostOptions::namespace`](#structfield.namespace)).
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }
    /// Only services matching this glob.
    #[must_use]
    pub fn service_pattern(mut self, pattern: impl Into<String>) -> Self {
        self.service_pattern = Some(pattern.into());
        self
    }
    /// Only nodes/members matching this glob.
    #[must_use]
    pub fn node_pattern(mut self, pattern: impl Into<String>) -> Self {
        self.node_pattern = Some(pattern.into());
        self
    }
    /// Sets the action limit.
    #[must_use]
    pub fn max_actions(mut self, max: usize) -> Self {
        self.max_actions = max;
        self
    }
    /// Allows acting on more findings than the limit.
    #[must_use]
    pub fn override_max_actions(mut self, yes: bool) -> Self {
        self.override_max_actions = yes;
        self
    }
    /// Sets the down-time after which a Nomad node is a ghost.
    #[must_use]
    pub fn nomad_node_down_for(mut self, d: Duration) -> Self {
        self.nomad_node_down_for = d;
        self
    }
    /// Sets how many actions run at once (at least 1).
    #[must_use]
    pub fn parallelism(mut self, n: usize) -> Self {
        self.parallelism = n;
        self
    }

    /// Sets how many catalog reads the plan has in flight at once (at least 1; 1 reads
    /// node after node).
    #[must_use]
    pub fn read_concurrency(mut self, n: usize) -> Self {
        self.read_concurrency = n;
        self
    }

    /// Sets how long a catalog node must show no change before it is deleted.
    #[must_use]
    pub fn node_quiet_period(mut self, d: Duration) -> Self {
        self.node_quiet_period = d;
        self
    }
    /// Plans even when the Nomad side does not know the task services' nodes or allocations.
    #[must_use]
    pub fn override_cluster_check(mut self, yes: bool) -> Self {
        self.override_cluster_check = yes;
        self
    }

    fn validate(&self) -> Result<()> {
        if let Some(ns) = &self.namespace {
            crate::input::validate_namespace(ns)?;
        }
        for (what, p) in [("service pattern", &self.service_pattern), ("node pattern", &self.node_pattern)] {
            if p.as_deref().is_some_and(str::is_empty) {
                return Err(Error::invalid(what, "", "must not be empty; leave it unset to match everything"));
            }
        }
        if self.parallelism == 0 {
            return Err(Error::invalid("parallelism", "0", "must be at least 1"));
        }
        if self.read_concurrency == 0 {
            return Err(Error::invalid("read concurrency", "0", "must be at least 1"));
        }
        Ok(())
    }

    /// A Consul catalog service: its name is the namespace or `<namespace>-...`, and it
    /// matches the pattern.
    fn service_selected(&self, name: &str) -> bool {
        self.namespace.as_deref().is_none_or(|ns| in_namespace(name, ns))
            && self.service_pattern.as_deref().is_none_or(|p| glob_match(p, name))
    }

    /// A Nomad-native registration: its own Nomad namespace is exactly the namespace, and
    /// its service name matches the pattern.
    fn native_selected(&self, reg: &ServiceRegistration) -> bool {
        self.namespace.as_deref().is_none_or(|ns| reg.namespace == ns)
            && self.service_pattern.as_deref().is_none_or(|p| glob_match(p, &reg.service_name))
    }

    fn node_selected(&self, name: &str) -> bool {
        self.node_pattern.as_deref().is_none_or(|p| glob_match(p, name))
    }
}

/// What a finding is about: the exact thing an action removes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// A catalog node and everything on it.
    CatalogNode {
        /// Datacenter.
        datacenter: String,
        /// Node name.
        node: String,
    },
    /// One service instance.
    ServiceInstance {
        /// Datacenter.
        datacenter: String,
        /// Node name.
        node: String,
        /// Service ID.
        service_id: String,
    },
    /// A failed gossip member.
    FailedMember {
        /// Member name.
        name: String,
    },
    /// A Nomad client node that is down.
    NomadNode {
        /// Node ID.
        id: String,
        /// Node name.
        name: String,
    },
    /// One Nomad-native service registration (`provider = "nomad"`).
    NomadService {
        /// Its Nomad namespace.
        namespace: String,
        /// Service name.
        service: String,
        /// Registration ID.
        id: String,
    },
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::CatalogNode { datacenter, node } => write!(f, "catalog node {node} ({datacenter})"),
            Self::ServiceInstance { datacenter, node, service_id } => {
                write!(f, "service instance {service_id} on {node} ({datacenter})")
            }
            Self::FailedMember { name } => write!(f, "failed member {name}"),
            Self::NomadNode { id, name } => write!(f, "Nomad node {name} ({id})"),
            Self::NomadService { namespace, service, id } => {
                write!(f, "Nomad service registration {id} of {service} (namespace {namespace})")
            }
        }
    }
}

/// One ghost, with the evidence that makes it one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What would be removed.
    pub target: Target,
    /// Why it is a ghost, one observation per entry.
    pub evidence: Vec<String>,
}

/// The dry run of a cleanup: the generic plan plus the findings `run` may act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GhostPlan {
    /// Checks and steps (one step per finding).
    pub plan: Plan,
    /// The ghosts found.
    pub findings: Vec<Finding>,
}

/// How many ghosts a cleanup removed, per kind (in JSON: `{"catalog_node": 1, ...}`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GhostCounts {
    /// Dead catalog nodes removed with their services and checks.
    pub catalog_node: u64,
    /// Dead catalog nodes whose saved services and checks were removed while the node
    /// itself stayed (something on it was registered or changed after the backup).
    pub catalog_node_entries: u64,
    /// Nomad task service instances removed.
    pub service_instance: u64,
    /// Failed gossip members forced to leave.
    pub failed_member: u64,
    /// Down Nomad client nodes purged.
    pub nomad_node: u64,
    /// Nomad-native service registrations deleted.
    pub nomad_service: u64,
}

impl GhostCounts {
    /// Every action taken, all kinds together.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.iter().map(|(_, n)| n).sum()
    }

    /// The kinds with at least one action, by their JSON name, in a fixed order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> {
        [
            ("catalog_node", self.catalog_node),
            ("catalog_node_entries", self.catalog_node_entries),
            ("service_instance", self.service_instance),
            ("failed_member", self.failed_member),
            ("nomad_node", self.nomad_node),
            ("nomad_service", self.nomad_service),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
    }

    fn count(&mut self, target: &Target, partly: bool) {
        let n = match target {
            Target::CatalogNode { .. } if partly => &mut self.catalog_node_entries,
            Target::CatalogNode { .. } => &mut self.catalog_node,
            Target::ServiceInstance { .. } => &mut self.service_instance,
            Target::FailedMember { .. } => &mut self.failed_member,
            Target::NomadNode { .. } => &mut self.nomad_node,
            Target::NomadService { .. } => &mut self.nomad_service,
        };
        *n += 1;
    }
}

/// The outcome of a cleanup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GhostReport {
    /// Steps, backups and warnings.
    pub report: Report,
    /// Actions taken, per kind.
    pub counts: GhostCounts,
    /// Findings that were no longer ghosts when re-checked, left alone.
    pub no_longer_ghosts: Vec<Target>,
    /// Catalog entries on a ghost's node that were not removed because they were registered
    /// or changed after the backup, one sentence each (the node then stays too); and native
    /// registrations that changed after the backup.
    pub left_in_place: Vec<String>,
    /// For each catalog node deleted: microseconds from the start of the read that showed
    /// nothing unsaved on it to the answer of the transaction that deleted it. A service
    /// registered on that node within this time is deleted without being in the backup.
    pub unguarded_windows_us: Vec<u64>,
}

/// The ghost cleanup recipe: see the [module docs](self).
#[derive(Clone)]
pub struct GhostCleanup {
    opts: GhostOptions,
    consul: Arc<dyn CatalogWorld>,
    nomad: Option<Arc<dyn NomadWorld>>,
    backups: BackupDir,
}

impl std::fmt::Debug for GhostCleanup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GhostCleanup").field("opts", &self.opts).field("nomad", &self.nomad.is_some()).finish()
    }
}

const NOMAD_TASK_PREFIX: &str = "_nomad-task-";

/// The plan's check for Nomad-native service registrations.
const NATIVE_CHECK: &str = "Nomad-native services";

/// The allocation ID inside a Nomad task service ID (`_nomad-task-<uuid>-...`), if it is one.
#[must_use]
pub fn task_service_alloc(service_id: &str) -> Option<&str> {
    let rest = service_id.strip_prefix(NOMAD_TASK_PREFIX)?;
    let alloc = rest.get(..36)?;
    let is_uuid =
        alloc.char_indices().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() });
    (is_uuid && rest[36..].starts_with('-')).then_some(alloc)
}

impl GhostCleanup {
    /// Builds the recipe; without a Nomad side, kinds 2, 4 and 5 are skipped (and the plan says so).
    pub fn new(
        opts: GhostOptions,
        consul: Arc<dyn CatalogWorld>,
        nomad: Option<Arc<dyn NomadWorld>>,
        backups: BackupDir,
    ) -> Result<Self> {
        opts.validate()?;
        Ok(Self { opts, consul, nomad, backups })
    }

    /// Finds the ghosts; refuses when there are more than `max_actions` without override.
    pub async fn plan(&self) -> Result<GhostPlan> {
        let dc = self.consul.datacenter().await?;
        let members = self.consul.members().await?;
        let nodes = self.consul.nodes_concurrently(&dc, self.opts.read_concurrency).await?;
        let mut checks =
            vec![Check::passed("Consul", format!("datacenter {dc}: {} nodes, {} members", nodes.len(), members.len()))];
        let mut findings = Vec::new();
        let mut dead_nodes = BTreeSet::new();
        let cluster_wide = self.opts.namespace.is_none();

        let by_name = Members::new(&members);
        for node in &nodes {
            if let Some(evidence) = self.dead_node_evidence(node, &by_name) {
                dead_nodes.insert(node.name.clone());
                findings.push(Finding {
                    target: Target::CatalogNode { datacenter: dc.clone(), node: node.name.clone() },
                    evidence,
                });
            }
        }
        match &self.nomad {
            None => checks.push(Check::skipped("Nomad task services and nodes", "no Nomad client was given")),
            Some(nomad) => {
                let live_nodes = || nodes.iter().filter(|n| !dead_nodes.contains(&n.name));
                let alloc_ids: BTreeSet<String> = live_nodes()
                    .flat_map(|n| &n.services)
                    .filter(|svc| self.opts.service_selected(&svc.name))
                    .filter_map(|svc| task_service_alloc(&svc.id).map(str::to_owned))
                    .collect();
                let states = nomad.allocations(&alloc_ids.into_iter().collect::<Vec<_>>()).await?;
                let carriers: Vec<NodeView> =
                    live_nodes().filter(|n| n.services.iter().any(|s| self.is_selected_task(s))).cloned().collect();
                if !carriers.is_empty() {
                    let cluster = nomad.cluster(&carriers).await?;
                    checks.push(self.cluster_check(&dc, &carriers, &states, cluster.as_ref()));
                }
                for node in live_nodes() {
                    for svc in &node.services {
                        if let Some(evidence) = self.task_ghost_evidence_from(&states, svc) {
                            let target = Target::ServiceInstance {
                                datacenter: dc.clone(),
                                node: node.name.clone(),
                                service_id: svc.id.clone(),
                            };
                            findings.push(Finding { target, evidence });
                        }
                    }
                }
                let native = nomad.native_services().await?;
                let wants_nodes = cluster_wide || native.as_ref().is_some_and(|r| !r.is_empty());
                let nomad_nodes = if wants_nodes { nomad.nodes().await? } else { Vec::new() };
                match native {
                    None => {
                        checks.push(Check::skipped(NATIVE_CHECK, "this Nomad has no native service discovery (1.3+)"));
                    }
                    Some(registrations) => {
                        let (check, found) = self.native_findings(nomad.as_ref(), registrations, &nomad_nodes).await?;
                        checks.push(check);
                        findings.extend(found);
                    }
                }
                if cluster_wide {
                    for n in nomad_nodes {
                        if let Some(evidence) = self.down_nomad_node_evidence(&n) {
                            findings.push(Finding { target: Target::NomadNode { id: n.id, name: n.name }, evidence });
                        }
                    }
                }
            }
        }
        if cluster_wide {
            for m in members.iter().filter(|m| m.status == "failed" && self.opts.node_selected(&m.name)) {
                let evidence = vec![format!("gossip status is failed (address {})", m.addr)];
                findings.push(Finding { target: Target::FailedMember { name: m.name.clone() }, evidence });
            }
        }

        if findings.len() > self.opts.max_actions && !self.opts.override_max_actions {
            checks.push(Check::failed(
                "action limit",
                format!(
                    "{} ghosts found, more than the limit of {}; narrow the filters or set the override",
                    findings.len(),
                    self.opts.max_actions
                ),
            ));
        } else {
            checks.push(Check::passed(
                "action limit",
                format!("{} of at most {}", findings.len(), self.opts.max_actions),
            ));
        }
        let steps = findings
            .iter()
            .map(|f| Step::new(action_name(&f.target), format!("{}: {}", f.target, f.evidence.join("; "))))
            .collect();
        let plan = Plan::from_checks("ghost_cleanup", checks, steps)?;
        Ok(GhostPlan { plan, findings })
    }

    fn is_selected_task(&self, svc: &ServiceView) -> bool {
        task_service_alloc(&svc.id).is_some() && self.opts.service_selected(&svc.name)
    }

    /// Whether the Nomad side is the cluster whose task services are in Consul: it must
    /// know some of their allocations, know each carrying Consul node (a Nomad node with
    /// its name, its address or it as `unique.consul.name`) or one of its allocations, and
    /// the Nomad nodes that match must use this Consul datacenter.
    fn cluster_check(
        &self,
        dc: &str,
        carriers: &[NodeView],
        states: &HashMap<String, AllocState>,
        cluster: Option<&NomadClusterView>,
    ) -> Check {
        const NAME: &str = "Nomad cluster";
        let known = |alloc: &str| states.get(alloc).is_some_and(|s| *s != AllocState::Gone);
        let allocs: BTreeSet<&str> = carriers
            .iter()
            .flat_map(|n| &n.services)
            .filter(|s| self.is_selected_task(s))
            .filter_map(|s| task_service_alloc(&s.id))
            .collect();
        let known_allocs = allocs.iter().filter(|a| known(a)).count();
        let which = match cluster {
            Some(c) => format!("the Nomad at {} (region {})", c.address, c.region),
            None => "the Nomad side".to_owned(),
        };
        let mut reasons = Vec::new();
        if known_allocs == 0 {
            reasons.push(format!(
                "knows none of the {} allocations of the task services in Consul datacenter {dc}",
                allocs.len()
            ));
        }
        let mut matched = 0;
        if let Some(c) = cluster {
            // The Nomad nodes that match a carrier (it as `unique.consul.name`, its name or
            // its address), in the cluster's order, from three indexes instead of a scan.
            let mut by_key: [HashMap<&str, Vec<usize>>; 3] = Default::default();
            for (i, n) in c.nodes.iter().enumerate() {
                if let Some(name) = n.consul_name.as_deref() {
                    by_key[0].entry(name).or_default().push(i);
                }
                by_key[1].entry(n.name.as_str()).or_default().push(i);
                by_key[2].entry(n.address.as_str()).or_default().push(i);
            }
            let matching = |carrier: &NodeView| {
                let keys = [carrier.name.as_str(), carrier.name.as_str(), carrier.address.as_str()];
                let mut found: Vec<usize> =
                    by_key.iter().zip(keys).filter_map(|(index, key)| index.get(key)).flatten().copied().collect();
                found.sort_unstable();
                found.dedup();
                found.into_iter().map(|i| &c.nodes[i]).collect::<Vec<&NomadClusterNode>>()
            };
            let mut unknown = Vec::new();
            for carrier in carriers {
                let nomad_nodes = matching(carrier);
                matched += nomad_nodes.len();
                let has_known_alloc = carrier.services.iter().filter_map(|s| task_service_alloc(&s.id)).any(&known);
                if nomad_nodes.is_empty() && !has_known_alloc {
                    unknown.push(carrier.name.as_str());
                }
                for n in nomad_nodes {
                    if let Some(other) = n.consul_datacenter.as_deref().filter(|d| *d != dc) {
                        reasons.push(format!("has node {} that uses Consul datacenter {other}, not {dc}", n.name));
                    }
                }
            }
            if !unknown.is_empty() {
                reasons.push(format!(
                    "knows neither the Consul nodes that carry task services ({}) nor any of their allocations",
                    unknown.join(", ")
                ));
            }
        }
        if reasons.is_empty() {
            let nodes = cluster.map_or_else(String::new, |c| {
                format!(", {matched} of its {} nodes match the carrying Consul nodes", c.nodes.len())
            });
            return Check::passed(NAME, format!("{which} knows {known_allocs} of {} allocations{nodes}", allocs.len()));
        }
        let sentence = format!(
            "{which} {}: Nomad and Consul are not looking at the same cluster (a wrong NOMAD_ADDR or NOMAD_REGION, or a \
             rebuilt Nomad cluster), so no task service can be judged a ghost; point the Nomad client at the cluster \
             that registered them",
            reasons.join(", and ")
        );
        if self.opts.override_cluster_check {
            Check::passed(NAME, format!("overridden: {sentence}"))
        } else {
            Check::failed(NAME, format!("{sentence}, or set the cluster-check override if you know why"))
        }
    }

    fn dead_node_evidence(&self, node: &NodeView, members: &Members<'_>) -> Option<Vec<String>> {
        if !self.opts.node_selected(&node.name) || node.services.is_empty() {
            return None;
        }
        if node.meta.get("external-node").is_some_and(|v| v == "true") {
            return None;
        }
        let status = match members.get(&node.name) {
            Some(m) if m.status == "alive" || m.status == "leaving" => return None,
            Some(m) => format!("gossip status is {}", m.status),
            None => "not a gossip member of the cluster".to_owned(),
        };
        let names: Vec<&str> = node.services.iter().map(|s| s.name.as_str()).collect();
        // Deleting a node deletes everything on it: a filtered run (namespace, service pattern)
        // takes a dead node only when every service on it is selected, so a neighbour's
        // entries are never removed by a run that was not asked about them.
        if !names.iter().all(|n| self.opts.service_selected(n)) {
            return None;
        }
        Some(vec![status, format!("still carries {} services: {}", names.len(), names.join(", "))])
    }

    async fn task_ghost_evidence(&self, nomad: &dyn NomadWorld, svc: &ServiceView) -> Result<Option<Vec<String>>> {
        let Some(alloc) = task_service_alloc(&svc.id) else { return Ok(None) };
        if !self.opts.service_selected(&svc.name) {
            return Ok(None);
        }
        let state = nomad.allocation(alloc).await?;
        Ok(self.alloc_selected(&state).then(|| task_evidence(alloc, &state)).flatten())
    }

    /// [`Self::task_ghost_evidence`] from states fetched in one batch.
    fn task_ghost_evidence_from(&self, states: &HashMap<String, AllocState>, svc: &ServiceView) -> Option<Vec<String>> {
        let alloc = task_service_alloc(&svc.id)?;
        if !self.opts.service_selected(&svc.name) {
            return None;
        }
        let state = states.get(alloc).unwrap_or(&AllocState::Gone);
        self.alloc_selected(state).then(|| task_evidence(alloc, state)).flatten()
    }

    /// A task service's allocation, when Nomad still knows it, carries its real Nomad
    /// namespace: a namespaced run leaves one of another namespace alone whatever the
    /// service's name says. A gone allocation has only the name to go by.
    fn alloc_selected(&self, state: &AllocState) -> bool {
        let alloc_ns = match state {
            AllocState::Alive { namespace, .. } | AllocState::Stopped { namespace, .. } => namespace,
            AllocState::Gone => return true,
        };
        self.opts.namespace.as_deref().is_none_or(|ns| alloc_ns == ns)
    }

    fn down_nomad_node_evidence(&self, n: &NomadNodeView) -> Option<Vec<String>> {
        if !self.opts.node_selected(&n.name) {
            return None;
        }
        self.down_too_long(n).map(|e| vec![e])
    }

    /// `down for <n>s (threshold <t>s)` when the node has been down for longer than
    /// [`GhostOptions::nomad_node_down_for`].
    fn down_too_long(&self, n: &NomadNodeView) -> Option<String> {
        if n.status != NodeStatus::Down {
            return None;
        }
        let since = n.status_updated_at?;
        let down_for = chrono::Utc::now().timestamp().saturating_sub(since);
        let bound = i64::try_from(self.opts.nomad_node_down_for.as_secs()).unwrap_or(i64::MAX);
        (down_for > bound).then(|| format!("down for {down_for}s (threshold {bound}s)"))
    }

    /// The selected native registrations that are ghosts, with the plan's check: the
    /// allocations in one batch, the nodes from the one listing the plan read.
    async fn native_findings(
        &self,
        nomad: &dyn NomadWorld,
        registrations: Vec<ServiceRegistration>,
        nodes: &[NomadNodeView],
    ) -> Result<(Check, Vec<Finding>)> {
        let total = registrations.len();
        let selected: Vec<ServiceRegistration> =
            registrations.into_iter().filter(|r| self.opts.native_selected(r)).collect();
        let allocs: BTreeSet<String> = selected.iter().map(|r| r.alloc_id.clone()).filter(|a| !a.is_empty()).collect();
        let states = nomad.allocations(&allocs.into_iter().collect::<Vec<_>>()).await?;
        let nodes = nodes_by_id(nodes);
        let findings: Vec<Finding> = selected
            .iter()
            .filter_map(|r| {
                let state = states.get(&r.alloc_id).unwrap_or(&AllocState::Gone);
                let evidence = self.native_evidence(r, state, &nodes)?;
                Some(Finding { target: native_target(r), evidence })
            })
            .collect();
        let check = Check::passed(
            NATIVE_CHECK,
            format!("{total} registrations, {} selected, {} ghosts", selected.len(), findings.len()),
        );
        Ok((check, findings))
    }

    /// Why a native registration is a ghost: its allocation is not running or gone, or its
    /// node is gone or down for longer than the threshold. `None` when it is none of these.
    fn native_evidence(
        &self,
        reg: &ServiceRegistration,
        alloc: &AllocState,
        nodes: &HashMap<&str, &NomadNodeView>,
    ) -> Option<Vec<String>> {
        // Nomad always records the allocation; a row without one is not judged by it.
        let mut evidence =
            if reg.alloc_id.is_empty() { Vec::new() } else { task_evidence(&reg.alloc_id, alloc).unwrap_or_default() };
        match nodes.get(reg.node_id.as_str()) {
            Some(n) => evidence.extend(self.down_too_long(n).map(|e| format!("node {} ({}) is {e}", n.name, n.id))),
            None if reg.node_id.is_empty() => {}
            None => evidence.push(format!("node {} is unknown to Nomad", reg.node_id)),
        }
        (!evidence.is_empty()).then_some(evidence)
    }

    /// Acts on the plan's findings that are still ghosts now; writes what it removes (catalog
    /// entries, native registrations, members, Nomad nodes, each as just re-read) to backup
    /// files first, then removes exactly those (see the [module docs](self)).
    ///
    /// # Errors
    /// [`Error::PartialFailure`] when some actions failed (with what was done and what
    /// failed, each with its error); running it again with a new plan retries what failed.
    pub async fn run(&self, plan: &GhostPlan, progress: Progress) -> Result<GhostReport> {
        let mut runner = Runner::new(&plan.plan, progress);
        let mut out = GhostReport::default();
        if plan.findings.is_empty() {
            runner.skip("ghost cleanup", "no ghosts found");
            out.report = runner.report;
            return Ok(out);
        }
        // Re-check everything first, then back up what will be removed, then act.
        let members = self.consul.members().await?;
        let members = Members::new(&members);
        let nomad_nodes = tokio::sync::OnceCell::new();
        let mut confirmed = Vec::new();
        let mut saved = Vec::new();
        let mut native_saved = Vec::new();
        let mut members_saved = Vec::new();
        let mut nodes_saved = Vec::new();
        for f in &plan.findings {
            match self.recheck(f, &members, &nomad_nodes).await? {
                Recheck::Member(member) => {
                    members_saved.push(MemberBackupRow::new(f.target.clone(), *member));
                    confirmed.push((f.clone(), Saved::Record));
                }
                Recheck::NomadNode(node) => {
                    nodes_saved.push(NomadNodeBackupRow::new(f.target.clone(), *node));
                    confirmed.push((f.clone(), Saved::Record));
                }
                Recheck::Native(registration) => {
                    native_saved.push(NomadServiceBackupRow::new(f.target.clone(), (*registration).clone()));
                    confirmed.push((f.clone(), Saved::Native(registration)));
                }
                Recheck::Saved { removes, entry } => {
                    saved.push(CatalogBackupRow {
                        target: f.target.clone(),
                        datacenter: datacenter_of(&f.target).map(str::to_owned),
                        removes,
                        indexes: BackupIndexes {
                            node: entry.node_index,
                            services: entry.services.clone(),
                            checks: entry.checks.clone(),
                        },
                        catalog: entry.raw.clone(),
                    });
                    confirmed.push((f.clone(), Saved::Catalog(Box::new((*entry, Instant::now())))));
                }
                Recheck::NoLonger => {
                    runner.skip(&action_name(&f.target), format!("{} is no longer a ghost", f.target));
                    out.no_longer_ghosts.push(f.target.clone());
                }
            }
        }
        for (f, _) in &confirmed {
            let Target::ServiceInstance { node, service_id, .. } = &f.target else { continue };
            if members.get(node).is_some_and(|m| m.status == "alive") {
                runner.warn(format!(
                    "{service_id} is on {node}, a live node: if that node's agent still holds it (and it is not \
                     the agent this client talks to), anti-entropy puts it back; then deregister it on that agent"
                ));
            }
        }
        // Every backup is written (and flushed) before the first action.
        self.save_rows("ghost-cleanup-catalog", &saved, &mut runner.report).await?;
        let native_backup = self.save_rows("ghost-cleanup-nomad-services", &native_saved, &mut runner.report).await?;
        let members_backup = self.save_rows("ghost-cleanup-members", &members_saved, &mut runner.report).await?;
        let nodes_backup = self.save_rows("ghost-cleanup-nomad-nodes", &nodes_saved, &mut runner.report).await?;
        let results: Vec<(Finding, Result<Acted>)> = futures::stream::iter(confirmed)
            .map(|(f, saved)| async move {
                let r = self.act(&f.target, saved).await;
                (f, r)
            })
            .buffer_unordered(self.opts.parallelism)
            .collect()
            .await;
        let mut failed = Vec::new();
        for (f, r) in results {
            let name = action_name(&f.target);
            match r {
                Ok(acted) => {
                    for sentence in &acted.left_in_place {
                        runner.warn(sentence.clone());
                    }
                    out.left_in_place.extend(acted.left_in_place);
                    out.unguarded_windows_us.extend(acted.window.map(micros));
                    match acted.kind {
                        ActedKind::Gone => {
                            runner.skip(&name, format!("{} was gone when acted on", f.target));
                            out.no_longer_ghosts.push(f.target.clone());
                            continue;
                        }
                        ActedKind::Nothing => continue,
                        ActedKind::Partly => out.counts.count(&f.target, true),
                        ActedKind::Done => out.counts.count(&f.target, false),
                    }
                    runner.report.done.push(format!("{name}: {}", f.target));
                }
                Err(e) => {
                    // What failed was saved first (a registration, a member, a node): the error says where.
                    let saved_in = match &f.target {
                        Target::NomadService { .. } => {
                            native_backup.as_ref().map(|p| ("Nomad", "deleting the registration", p))
                        }
                        Target::FailedMember { .. } => {
                            members_backup.as_ref().map(|p| ("Consul", "forcing the member to leave", p))
                        }
                        Target::NomadNode { .. } => nodes_backup.as_ref().map(|p| ("Nomad", "purging the node", p)),
                        Target::CatalogNode { .. } | Target::ServiceInstance { .. } => None,
                    };
                    let e = match saved_in {
                        Some((system, what, path)) => {
                            Error::backend_step(system, &format!("{what} saved in {}", path.display()), e)
                        }
                        None => e,
                    };
                    runner.warn(format!("{name} {} failed: {}", f.target, e.with_causes()));
                    failed.push(FailedAction { target: f.target.to_string(), error: e });
                }
            }
        }
        out.report = runner.report;
        if failed.is_empty() {
            Ok(out)
        } else {
            Err(Error::PartialFailure { recipe: "ghost cleanup".into(), done: out.report.done.clone(), failed })
        }
    }

    /// Writes `rows` to a new backup file named after `label` (nothing when there are
    /// none), lists it in the report and returns its path.
    async fn save_rows<T: Serialize + Sync>(
        &self,
        label: &str,
        rows: &[T],
        report: &mut Report,
    ) -> Result<Option<std::path::PathBuf>> {
        if rows.is_empty() {
            return Ok(None);
        }
        let path = self.backups.save(label, &rows).await?;
        report.backups.push(path.clone());
        Ok(Some(path))
    }

    /// Whether the finding is still a ghost now; for catalog targets, with what will be
    /// removed and the node's whole [`CatalogEntry`] (the backup); for a member or a Nomad
    /// node, with its record as just read (the backup).
    /// For a native registration, its fresh read is the backup (`nomad_nodes` is the one
    /// node listing the re-checks share).
    async fn recheck(
        &self,
        f: &Finding,
        members: &Members<'_>,
        nomad_nodes: &tokio::sync::OnceCell<Vec<NomadNodeView>>,
    ) -> Result<Recheck> {
        Ok(match &f.target {
            Target::CatalogNode { datacenter, node } => {
                // One read: what proves it is still a ghost is what is saved and removed.
                let Some(entry) = self.consul.entry(datacenter, node).await? else { return Ok(Recheck::NoLonger) };
                if self.dead_node_evidence(&entry.view, members).is_none() {
                    return Ok(Recheck::NoLonger);
                }
                Recheck::Saved { removes: entry.view.clone(), entry: Box::new(entry) }
            }
            Target::ServiceInstance { datacenter, node, service_id } => {
                let Some(nomad) = &self.nomad else { return Ok(Recheck::NoLonger) };
                let Some(entry) = self.consul.entry(datacenter, node).await? else { return Ok(Recheck::NoLonger) };
                let Some(svc) = entry.view.services.iter().find(|s| s.id == *service_id).cloned() else {
                    return Ok(Recheck::NoLonger);
                };
                if self.task_ghost_evidence(nomad.as_ref(), &svc).await?.is_none() {
                    return Ok(Recheck::NoLonger);
                }
                let removes = NodeView { services: vec![svc], ..entry.view.clone() };
                Recheck::Saved { removes, entry: Box::new(entry) }
            }
            Target::FailedMember { name } => {
                // The member as listed now is both the proof and the backup.
                let Some(member) = self.consul.member_record(name).await? else { return Ok(Recheck::NoLonger) };
                if member.view.name != *name || member.view.status != "failed" {
                    return Ok(Recheck::NoLonger);
                }
                Recheck::Member(Box::new(member.raw))
            }
            Target::NomadNode { id, .. } => {
                let Some(nomad) = &self.nomad else { return Ok(Recheck::NoLonger) };
                // The node as read now is both the proof and the backup.
                let Some(node) = nomad.node_record(id).await? else { return Ok(Recheck::NoLonger) };
                if node.view.id != *id || self.down_nomad_node_evidence(&node.view).is_none() {
                    return Ok(Recheck::NoLonger);
                }
                Recheck::NomadNode(Box::new(node.raw))
            }
            Target::NomadService { namespace, service, id } => {
                let Some(nomad) = &self.nomad else { return Ok(Recheck::NoLonger) };
                let Some(reg) = nomad.native_service(namespace, service, id).await? else {
                    return Ok(Recheck::NoLonger);
                };
                // Exactly the registration the plan named, or nothing.
                if reg.namespace != *namespace || reg.service_name != *service || reg.id != *id {
                    return Ok(Recheck::NoLonger);
                }
                let alloc =
                    if reg.alloc_id.is_empty() { AllocState::Gone } else { nomad.allocation(&reg.alloc_id).await? };
                let nodes = nomad_nodes.get_or_try_init(|| nomad.nodes()).await?;
                match self.native_evidence(&reg, &alloc, &nodes_by_id(nodes)) {
                    Some(_) => Recheck::Native(Box::new(reg)),
                    None => Recheck::NoLonger,
                }
            }
        })
    }

    async fn act(&self, target: &Target, saved: Saved) -> Result<Acted> {
        match (target, saved) {
            (Target::CatalogNode { datacenter, node }, Saved::Catalog(saved)) => {
                let (saved, saved_at) = *saved;
                self.remove_node(datacenter, node, &saved, saved_at).await
            }
            (Target::ServiceInstance { datacenter, node, service_id }, Saved::Catalog(saved)) => {
                let (saved, _) = *saved;
                let Some(fresh) = self.consul.entry(datacenter, node).await? else { return Ok(Acted::gone()) };
                if !fresh.services.iter().any(|s| s.id == *service_id) {
                    return Ok(Acted::gone());
                }
                let (ops, mut left_in_place) = removal_ops(&saved, &fresh, node, Some(service_id));
                let mut kind = ActedKind::Nothing;
                if ops.iter().any(|op| matches!(op, CatalogTxnOp::DeleteService { .. })) {
                    match self.remove_batches(datacenter, &ops).await? {
                        (_, None) => kind = ActedKind::Done,
                        (_, Some(why)) => left_in_place.push(rolled_back(&format!("{service_id} on {node}"), &why)),
                    }
                }
                Ok(Acted { kind, left_in_place, window: None })
            }
            // Saved as read at the re-check; neither Consul nor Nomad has a conditional
            // force-leave or purge, so that re-check is the guard.
            (Target::FailedMember { name }, Saved::Record) => {
                self.consul.force_leave(name).await?;
                Ok(Acted::done())
            }
            (Target::NomadNode { id, .. }, Saved::Record) => match &self.nomad {
                Some(nomad) => nomad.purge_node(id).await.map(|()| Acted::done()),
                None => Err(Error::backend_msg("Nomad", "no Nomad client was given")),
            },
            (Target::NomadService { .. }, Saved::Native(saved)) => self.delete_registration(&saved).await,
            (target, _) => Err(Error::backend_msg("ghost cleanup", format!("{target} has no saved entry"))),
        }
    }

    /// Deletes a native registration only when a read just before still shows it as saved
    /// (same allocation, node and `ModifyIndex`); Nomad has no conditional delete.
    async fn delete_registration(&self, saved: &ServiceRegistration) -> Result<Acted> {
        let Some(nomad) = &self.nomad else { return Err(Error::backend_msg("Nomad", "no Nomad client was given")) };
        let (ns, name, id) = (&saved.namespace, &saved.service_name, &saved.id);
        let Some(fresh) = nomad.native_service(ns, name, id).await? else { return Ok(Acted::gone()) };
        if (fresh.modify_index, &fresh.alloc_id, &fresh.node_id)
            != (saved.modify_index, &saved.alloc_id, &saved.node_id)
        {
            let left = format!(
                "Nomad service registration {id} of {name} (namespace {ns}) changed after the backup (index {} now, \
                 {} saved): left in place",
                fresh.modify_index, saved.modify_index
            );
            return Ok(Acted { kind: ActedKind::Nothing, left_in_place: vec![left], window: None });
        }
        match nomad.delete_native_service(saved).await {
            Ok(()) => Ok(Acted::done()),
            // Gone meanwhile (its node purged by this run, say): there is nothing left to delete.
            Err(e) => match nomad.native_service(ns, name, id).await {
                Ok(None) => Ok(Acted::gone()),
                _ => Err(e),
            },
        }
    }
}

impl GhostCleanup {
    /// Removes a dead node's saved services and checks, each on its saved index, and the
    /// node itself only when it has shown no change since the backup for at least the
    /// quiet period (in the same transaction when it fits in one).
    async fn remove_node(&self, dc: &str, node: &str, saved: &CatalogEntry, saved_at: Instant) -> Result<Acted> {
        let quiet = self.opts.node_quiet_period.saturating_sub(saved_at.elapsed());
        if !quiet.is_zero() {
            tokio::time::sleep(quiet).await;
        }
        let started = Instant::now();
        let Some(fresh) = self.consul.entry(dc, node).await? else { return Ok(Acted::gone()) };
        let (mut ops, mut left_in_place) = removal_ops(saved, &fresh, node, None);
        let unchanged = left_in_place.is_empty() && fresh.same_items(saved);
        if !unchanged {
            left_in_place.push(if fresh.node_index == saved.node_index {
                format!("node {node} was left in place: it no longer holds exactly what the backup saved")
            } else {
                format!(
                    "node {node} changed after the backup (index {} now, {} saved): left in place",
                    fresh.node_index, saved.node_index
                )
            });
        }
        if unchanged && ops.len() < MAX_TXN_OPS {
            ops.push(CatalogTxnOp::delete_node_cas(node, saved.node_index));
            return Ok(match self.consul.remove(dc, &ops).await? {
                Removal::Done => Acted { kind: ActedKind::Done, left_in_place, window: Some(started.elapsed()) },
                Removal::RolledBack(why) => {
                    left_in_place.push(rolled_back(&format!("node {node}"), &why));
                    Acted { kind: ActedKind::Nothing, left_in_place, window: None }
                }
            });
        }
        // The node stays, or its entries need more than one transaction: entries first.
        let (applied, rollback) = self.remove_batches(dc, &ops).await?;
        let partly = if applied > 0 { ActedKind::Partly } else { ActedKind::Nothing };
        if let Some(why) = rollback {
            left_in_place.push(rolled_back(&format!("the rest of node {node}"), &why));
            return Ok(Acted { kind: partly, left_in_place, window: None });
        }
        if !unchanged {
            return Ok(Acted { kind: partly, left_in_place, window: None });
        }
        let started = Instant::now();
        let Some(now) = self.consul.entry(dc, node).await? else { return Ok(Acted::done()) };
        if !(now.services.is_empty() && now.checks.is_empty() && now.node_index == saved.node_index) {
            left_in_place.push(format!("node {node} was left in place: entries appeared on it during the removal"));
            return Ok(Acted { kind: partly, left_in_place, window: None });
        }
        Ok(match self.consul.remove(dc, &[CatalogTxnOp::delete_node_cas(node, saved.node_index)]).await? {
            Removal::Done => Acted { kind: ActedKind::Done, left_in_place, window: Some(started.elapsed()) },
            Removal::RolledBack(why) => {
                left_in_place.push(rolled_back(&format!("node {node}"), &why));
                Acted { kind: partly, left_in_place, window: None }
            }
        })
    }

    /// Sends `ops` in transactions of at most [`MAX_TXN_OPS`]; stops at the first one
    /// rolled back. Returns how many operations applied and why it stopped, if it did.
    async fn remove_batches(&self, dc: &str, ops: &[CatalogTxnOp]) -> Result<(usize, Option<String>)> {
        let mut applied = 0;
        for batch in ops.chunks(MAX_TXN_OPS) {
            match self.consul.remove(dc, batch).await? {
                Removal::Done => applied += batch.len(),
                Removal::RolledBack(why) => return Ok((applied, Some(why))),
            }
        }
        Ok((applied, None))
    }
}

/// What a re-check just before acting found.
enum Recheck {
    /// Not a ghost any more (or gone): left alone.
    NoLonger,
    /// Still a failed member; the member as the agent's members call just listed it is the
    /// backup.
    Member(Box<serde_json::Value>),
    /// Still a Nomad node down past the threshold; the node as just read (the whole JSON
    /// the client returned) is the backup.
    NomadNode(Box<serde_json::Value>),
    /// Still a ghost; `entry` (the node's whole catalog state) is the backup, `removes`
    /// what the action removes.
    Saved { removes: NodeView, entry: Box<CatalogEntry> },
    /// Still a ghost; the registration as just read is the backup.
    Native(Box<ServiceRegistration>),
}

/// What an action acts on, as saved: a catalog entry with when it was read, a native
/// registration, or a record (a member, a Nomad node) whose backup row holds it.
enum Saved {
    Catalog(Box<(CatalogEntry, Instant)>),
    Native(Box<ServiceRegistration>),
    Record,
}

/// What one action did.
struct Acted {
    kind: ActedKind,
    left_in_place: Vec<String>,
    window: Option<Duration>,
}

enum ActedKind {
    /// The target is gone (node deleted, service deregistered, member left, node purged).
    Done,
    /// A node's saved entries were (partly) removed but the node stays.
    Partly,
    /// Nothing was removed (everything changed since the backup).
    Nothing,
    /// The target was already gone when acted on.
    Gone,
}

impl Acted {
    fn done() -> Self {
        Self { kind: ActedKind::Done, left_in_place: Vec::new(), window: None }
    }
    fn gone() -> Self {
        Self { kind: ActedKind::Gone, left_in_place: Vec::new(), window: None }
    }
}

/// The conditional deletions that remove, of what `fresh` shows on `node` (all of it, or
/// only service `only` and its checks), exactly the entries that are in `saved` at the
/// same index, checks before services; and one sentence per entry that is left in place.
/// A service is left in place with all its checks when it, or one of its checks, is not
/// in the backup as it is now (deleting a service deletes its checks).
fn removal_ops(
    saved: &CatalogEntry,
    fresh: &CatalogEntry,
    node: &str,
    only: Option<&str>,
) -> (Vec<CatalogTxnOp>, Vec<String>) {
    let saved_check = |c: &SavedCheck| saved.checks.iter().any(|s| s.id == c.id && s.modify_index == c.modify_index);
    let mut left = Vec::new();
    let mut kept = BTreeSet::new();
    let mut service_ops = Vec::new();
    for svc in fresh.services.iter().filter(|s| only.is_none_or(|id| s.id == id)) {
        let why = match saved.services.iter().find(|s| s.id == svc.id) {
            None => Some("was registered after the backup"),
            Some(s) if s.modify_index != svc.modify_index => Some("changed after the backup"),
            Some(_) if fresh.checks.iter().any(|c| c.service_id == svc.id && !saved_check(c)) => {
                Some("has a check that is not in the backup")
            }
            Some(_) => None,
        };
        match why {
            Some(why) => {
                left.push(format!("service {} on node {node} {why}: left in place", svc.id));
                kept.insert(svc.id.as_str());
            }
            None => service_ops.push(CatalogTxnOp::delete_service_cas(node, &svc.id, &svc.name, svc.modify_index)),
        }
    }
    let mut ops = Vec::new();
    for c in fresh.checks.iter().filter(|c| only.is_none_or(|id| c.service_id == id)) {
        if kept.contains(c.service_id.as_str()) {
            continue; // stays with its service (reported above)
        }
        if saved_check(c) {
            ops.push(CatalogTxnOp::delete_check_cas(node, &c.id, c.modify_index));
        } else {
            left.push(format!(
                "check {} on node {node} was registered or changed after the backup: left in place",
                c.id
            ));
        }
    }
    ops.extend(service_ops);
    (ops, left)
}

fn rolled_back(what: &str, why: &str) -> String {
    format!("nothing of {what} was removed: it changed while being removed ({why}); run the cleanup again")
}

fn datacenter_of(target: &Target) -> Option<&str> {
    match target {
        Target::CatalogNode { datacenter, .. } | Target::ServiceInstance { datacenter, .. } => Some(datacenter),
        Target::FailedMember { .. } | Target::NomadNode { .. } | Target::NomadService { .. } => None,
    }
}

fn native_target(reg: &ServiceRegistration) -> Target {
    Target::NomadService { namespace: reg.namespace.clone(), service: reg.service_name.clone(), id: reg.id.clone() }
}

/// Whether a Consul service name belongs to namespace `ns` by the runbook's naming
/// (`<namespace>-<role>`): it is `ns` or starts with `ns-`. Never a substring or a bare prefix:
/// `atala-testnet2-api` and `old-atala-testnet-api` are not `atala-testnet`'s.
fn in_namespace(name: &str, ns: &str) -> bool {
    name.strip_prefix(ns).is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
}

fn nodes_by_id(nodes: &[NomadNodeView]) -> HashMap<&str, &NomadNodeView> {
    nodes.iter().map(|n| (n.id.as_str(), n)).collect()
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn action_name(target: &Target) -> String {
    match target {
        Target::CatalogNode { node, .. } => format!("deregister node {node}"),
        Target::ServiceInstance { service_id, .. } => format!("deregister service {service_id}"),
        Target::FailedMember { name } => format!("force-leave {name}"),
        Target::NomadNode { name, .. } => format!("purge Nomad node {name}"),
        Target::NomadService { service, id, .. } => format!("delete Nomad service registration {id} of {service}"),
    }
}

fn task_evidence(alloc: &str, state: &AllocState) -> Option<Vec<String>> {
    match state {
        AllocState::Alive { .. } => None,
        AllocState::Stopped { status, namespace } => {
            Some(vec![format!("allocation {alloc} (namespace {namespace}) is {status}, not running")])
        }
        AllocState::Gone => Some(vec![format!("allocation {alloc} is unknown to Nomad")]),
    }
}
