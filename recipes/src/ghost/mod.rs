//! Recipe `ghost_cleanup`: remove what dead nodes and stopped allocations left in Consul
//! and Nomad (RUNBOOK procedure 3).
//!
//! Four kinds of ghost, each listed in the plan with its evidence:
//! 1. catalog nodes that are not alive gossip members (failed, left or missing) and still
//!    carry services (nodes marked `external-node = true` are registered on purpose and skipped);
//! 2. Nomad task services (`_nomad-task-<alloc>-...`) whose allocation is not running or gone
//!    (Nomad's own `_nomad-server-*` / `_nomad-client-*` are never task ghosts, and a failing
//!    check alone proves nothing);
//! 3. gossip members in `failed` state;
//! 4. Nomad client nodes down for longer than a threshold.
//!
//! [`GhostCleanup::run`] acts only on the findings of the plan it is given, re-checks each
//! one just before acting, saves the catalog entries it removes to a backup file first, and
//! acts with bounded parallelism.
//!
//! ```no_run
//! use std::sync::Arc;
//! use recipes::ghost::{ConsulCatalog, GhostCleanup, GhostOptions};
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

mod consul_world;
mod world;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde::{Deserialize, Serialize};

pub use consul_world::ConsulCatalog;
pub use world::{AllocState, CatalogWorld, MemberView, NodeView, NomadNodeView, NomadWorld, ServiceView};

use crate::input::glob_match;
use crate::progress::Progress;
use crate::report::{Check, Plan, Report, Step};
use crate::run::Runner;
use crate::{BackupDir, Error, Result};

/// Filters and limits of a cleanup.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GhostOptions {
    /// Only services whose name contains this namespace (nodes, members and Nomad nodes are
    /// cluster-wide and are left out when a namespace is set).
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
}

impl Default for GhostOptions {
    /// No filter, at most 20 actions, Nomad nodes down for 24 h, 4 actions at once.
    fn default() -> Self {
        Self {
            namespace: None,
            service_pattern: None,
            node_pattern: None,
            max_actions: 20,
            override_max_actions: false,
            nomad_node_down_for: Duration::from_secs(24 * 3600),
            parallelism: 4,
        }
    }
}

impl GhostOptions {
    /// Only services of this namespace.
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
        Ok(())
    }

    fn service_selected(&self, name: &str) -> bool {
        self.namespace.as_deref().is_none_or(|ns| name.contains(ns))
            && self.service_pattern.as_deref().is_none_or(|p| glob_match(p, name))
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

/// The outcome of a cleanup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GhostReport {
    /// Steps, backups and warnings.
    pub report: Report,
    /// Actions taken, per kind (`catalog_node`, `service_instance`, `failed_member`, `nomad_node`).
    pub counts: BTreeMap<String, u64>,
    /// Findings that were no longer ghosts when re-checked, left alone.
    pub no_longer_ghosts: Vec<Target>,
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
    /// Builds the recipe; without a Nomad side, kinds 2 and 4 are skipped (and the plan says so).
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
        let nodes = self.consul.nodes(&dc).await?;
        let mut checks =
            vec![Check::passed("Consul", format!("datacenter {dc}: {} nodes, {} members", nodes.len(), members.len()))];
        let mut findings = Vec::new();
        let mut dead_nodes = BTreeSet::new();
        let cluster_wide = self.opts.namespace.is_none();

        for node in &nodes {
            if let Some(evidence) = self.dead_node_evidence(node, &members) {
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
                if cluster_wide {
                    for n in nomad.nodes().await? {
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

    fn dead_node_evidence(&self, node: &NodeView, members: &[MemberView]) -> Option<Vec<String>> {
        if !self.opts.node_selected(&node.name) || node.services.is_empty() {
            return None;
        }
        if node.meta.get("external-node").is_some_and(|v| v == "true") {
            return None;
        }
        let status = match members.iter().find(|m| m.name == node.name) {
            Some(m) if m.status == "alive" || m.status == "leaving" => return None,
            Some(m) => format!("gossip status is {}", m.status),
            None => "not a gossip member of the cluster".to_owned(),
        };
        let names: Vec<&str> = node.services.iter().map(|s| s.name.as_str()).collect();
        if !names.iter().any(|n| self.opts.service_selected(n)) {
            return None;
        }
        Some(vec![status, format!("still carries {} services: {}", names.len(), names.join(", "))])
    }

    async fn task_ghost_evidence(&self, nomad: &dyn NomadWorld, svc: &ServiceView) -> Result<Option<Vec<String>>> {
        let Some(alloc) = task_service_alloc(&svc.id) else { return Ok(None) };
        if !self.opts.service_selected(&svc.name) {
            return Ok(None);
        }
        Ok(task_evidence(alloc, &nomad.allocation(alloc).await?))
    }

    /// [`Self::task_ghost_evidence`] from states fetched in one batch.
    fn task_ghost_evidence_from(&self, states: &HashMap<String, AllocState>, svc: &ServiceView) -> Option<Vec<String>> {
        let alloc = task_service_alloc(&svc.id)?;
        if !self.opts.service_selected(&svc.name) {
            return None;
        }
        task_evidence(alloc, states.get(alloc).unwrap_or(&AllocState::Gone))
    }

    fn down_nomad_node_evidence(&self, n: &NomadNodeView) -> Option<Vec<String>> {
        if n.status != "down" || !self.opts.node_selected(&n.name) {
            return None;
        }
        let since = n.status_updated_at?;
        let down_for = chrono::Utc::now().timestamp().saturating_sub(since);
        let bound = i64::try_from(self.opts.nomad_node_down_for.as_secs()).unwrap_or(i64::MAX);
        (down_for > bound).then(|| vec![format!("down for {down_for}s (threshold {bound}s)")])
    }

    /// Acts on the plan's findings that are still ghosts now; writes the catalog entries it
    /// removes to a backup file first.
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
        let mut confirmed = Vec::new();
        let mut saved = Vec::new();
        for f in &plan.findings {
            match self.recheck(f, &members).await? {
                Some(nodes) => {
                    for n in nodes {
                        let (Target::CatalogNode { datacenter, .. } | Target::ServiceInstance { datacenter, .. }) =
                            &f.target
                        else {
                            continue;
                        };
                        saved.push(serde_json::json!({
                            "Target": f.target,
                            "Removes": n,
                            "Catalog": self.consul.backup_entry(datacenter, &n.name).await?,
                        }));
                    }
                    confirmed.push(f.clone());
                }
                None => {
                    runner.skip(&action_name(&f.target), format!("{} is no longer a ghost", f.target));
                    out.no_longer_ghosts.push(f.target.clone());
                }
            }
        }
        for f in &confirmed {
            if let Target::ServiceInstance { node, service_id, .. } = &f.target
                && members.iter().any(|m| m.name == *node && m.status == "alive")
            {
                runner.warn(format!(
                    "{service_id} is on {node}, a live node: if that node's agent still holds it (and it is not \
                     the agent this client talks to), anti-entropy puts it back; then deregister it on that agent"
                ));
            }
        }
        if !saved.is_empty() {
            let path = self.backups.save("ghost-cleanup-catalog", &saved).await?;
            runner.report.backups.push(path);
        }
        let results: Vec<(Finding, Result<()>)> = futures::stream::iter(confirmed)
            .map(|f| async move {
                let r = self.act(&f.target).await;
                (f, r)
            })
            .buffer_unordered(self.opts.parallelism)
            .collect()
            .await;
        let mut failures = Vec::new();
        for (f, r) in results {
            let name = action_name(&f.target);
            match r {
                Ok(()) => {
                    runner.report.done.push(format!("{name}: {}", f.target));
                    *out.counts.entry(kind_name(&f.target).to_owned()).or_default() += 1;
                }
                Err(e) => {
                    runner.warn(format!("{name} {} failed: {e}", f.target));
                    failures.push(format!("{}: {e}", f.target));
                }
            }
        }
        out.report = runner.report;
        if failures.is_empty() {
            Ok(out)
        } else {
            Err(Error::Conflict(format!(
                "ghost cleanup removed {} ghosts but {} actions failed (run it again to retry): {}",
                out.counts.values().sum::<u64>(),
                failures.len(),
                failures.join("; ")
            )))
        }
    }

    /// `Some(catalog entries to back up)` when the finding is still a ghost now.
    async fn recheck(&self, f: &Finding, members: &[MemberView]) -> Result<Option<Vec<NodeView>>> {
        Ok(match &f.target {
            Target::CatalogNode { datacenter, node } => {
                let now = self.consul.node(datacenter, node).await?;
                now.filter(|n| self.dead_node_evidence(n, members).is_some()).map(|n| vec![n])
            }
            Target::ServiceInstance { datacenter, node, service_id } => {
                let Some(nomad) = &self.nomad else { return Ok(None) };
                let Some(mut now) = self.consul.node(datacenter, node).await? else { return Ok(None) };
                let Some(svc) = now.services.iter().find(|s| s.id == *service_id).cloned() else { return Ok(None) };
                if self.task_ghost_evidence(nomad.as_ref(), &svc).await?.is_none() {
                    return Ok(None);
                }
                now.services = vec![svc];
                Some(vec![now])
            }
            Target::FailedMember { name } => {
                members.iter().any(|m| m.name == *name && m.status == "failed").then(Vec::new)
            }
            Target::NomadNode { id, .. } => {
                let Some(nomad) = &self.nomad else { return Ok(None) };
                let nodes = nomad.nodes().await?;
                nodes.iter().find(|n| n.id == *id).and_then(|n| self.down_nomad_node_evidence(n)).map(|_| Vec::new())
            }
        })
    }

    async fn act(&self, target: &Target) -> Result<()> {
        match target {
            Target::CatalogNode { datacenter, node } => self.consul.deregister_node(datacenter, node).await,
            Target::ServiceInstance { datacenter, node, service_id } => {
                self.consul.deregister_service(datacenter, node, service_id).await
            }
            Target::FailedMember { name } => self.consul.force_leave(name).await,
            Target::NomadNode { id, .. } => match &self.nomad {
                Some(nomad) => nomad.purge_node(id).await,
                None => Err(Error::backend_msg("Nomad", "no Nomad client was given")),
            },
        }
    }
}

fn kind_name(target: &Target) -> &'static str {
    match target {
        Target::CatalogNode { .. } => "catalog_node",
        Target::ServiceInstance { .. } => "service_instance",
        Target::FailedMember { .. } => "failed_member",
        Target::NomadNode { .. } => "nomad_node",
    }
}

fn action_name(target: &Target) -> String {
    match target {
        Target::CatalogNode { node, .. } => format!("deregister node {node}"),
        Target::ServiceInstance { service_id, .. } => format!("deregister service {service_id}"),
        Target::FailedMember { name } => format!("force-leave {name}"),
        Target::NomadNode { name, .. } => format!("purge Nomad node {name}"),
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
