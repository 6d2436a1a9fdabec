//! Bench 5: the ghost_cleanup recipe at scale on a real Consul: nodes and service
//! instances registered through the catalog API, 1% of the instances Nomad task services
//! whose allocation is gone. Plan time, HTTP requests (through a counting proxy), peak
//! memory, then the cleanup with bounded parallelism.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use consul_client::{CatalogRegistration, ConsulClient, ServiceRegistration};
use futures::StreamExt;
use recipes::ghost::{AllocState, ConsulCatalog, GhostCleanup, GhostOptions, NomadNodeView, NomadWorld};
use recipes::{BackupDir, Progress};

use crate::report::Section;
use crate::server::{self, LocalServer};
use crate::{Sizes, machine, uuid_like};

/// An in-memory Nomad: the allocations of ghost services are gone, all others run.
/// Counts the lookups the plan makes (each would be one HTTP request to a real Nomad).
struct FakeNomad {
    gone: HashSet<String>,
    lookups: AtomicU64,
}

#[recipes::async_trait]
impl NomadWorld for FakeNomad {
    async fn allocation(&self, alloc_id: &str) -> recipes::Result<AllocState> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        Ok(if self.gone.contains(alloc_id) {
            AllocState::Gone
        } else {
            AllocState::Alive { status: "running".to_owned(), namespace: "default".to_owned() }
        })
    }

    async fn nodes(&self) -> recipes::Result<Vec<NomadNodeView>> {
        Ok(Vec::new())
    }

    async fn purge_node(&self, _node_id: &str) -> recipes::Result<()> {
        Ok(())
    }
}

/// Registers `nodes` x `per_node` task services; returns the allocation IDs of the ghosts.
async fn load(client: &ConsulClient, prefix: &str, nodes: usize, per_node: usize) -> anyhow::Result<HashSet<String>> {
    let total = nodes * per_node;
    let ghosts: HashSet<String> = (0..total).step_by(100).map(|i| uuid_like(i as u64)).collect();
    futures::stream::iter(0..total)
        .map(|i| {
            let client = client.clone();
            let (node, port) = (i / per_node, 20_000 + (i % per_node) as u16);
            let registration = CatalogRegistration {
                node: format!("{prefix}-node-{node:04}"),
                address: format!("10.9.{}.{}", node / 250, node % 250),
                // Registered on purpose (not gossip members): only task ghosts are in play.
                node_meta: BTreeMap::from([("external-node".to_owned(), "true".to_owned())]),
                service: Some(ServiceRegistration {
                    id: Some(format!("_nomad-task-{}-database-patroni-patroni-{port}", uuid_like(i as u64))),
                    service: format!("{prefix}-svc-{}", i % per_node),
                    port: Some(port),
                    ..ServiceRegistration::default()
                }),
                skip_node_update: i % per_node != 0,
                ..CatalogRegistration::default()
            };
            async move { client.catalog().register(&registration).await }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ghosts)
}

fn cleanup(client: ConsulClient, nomad: &Arc<FakeNomad>, backups: &std::path::Path) -> anyhow::Result<GhostCleanup> {
    let opts = GhostOptions::default().max_actions(usize::MAX).override_max_actions(true).parallelism(16);
    let nomad: Arc<dyn NomadWorld> = nomad.clone();
    Ok(GhostCleanup::new(opts, Arc::new(ConsulCatalog::new(client)), Some(nomad), BackupDir::new(backups))?)
}

/// Runs the ghost-cleanup benchmark against the Consul at `url`.
pub async fn run(url: &str, sizes: &Sizes) -> anyhow::Result<Section> {
    let mut section = Section::new("ghost");
    let direct = ConsulClient::from_addr(url)?;
    let prefix = format!("bench{}", sandbox::unique_suffix());
    let (nodes, per_node) = (sizes.ghost_nodes, sizes.ghost_instances / sizes.ghost_nodes);
    let start = Instant::now();
    let ghosts = load(&direct, &prefix, nodes, per_node).await?;
    let load_secs = start.elapsed().as_secs_f64();
    let instances = nodes * per_node;
    section.figure("catalog nodes registered", nodes as f64, "nodes");
    section.figure("service instances registered", instances as f64, "instances");
    section.figure("registration rate (32 at once)", instances as f64 / load_secs, "registrations/s");

    let backups = std::env::temp_dir().join(format!("ops-bench-ghost-{prefix}"));
    let nomad = Arc::new(FakeNomad { gone: ghosts.clone(), lookups: AtomicU64::new(0) });

    // Plan through a counting proxy: every HTTP request the plan sends to Consul.
    let proxy = LocalServer::start(server::proxy(url))?;
    let counted = cleanup(ConsulClient::from_addr(&proxy.url())?, &nomad, &backups)?;
    let plan = counted.plan().await?;
    let plan_requests = proxy.requests();
    drop(proxy);
    let lookups = nomad.lookups.swap(0, Ordering::Relaxed);
    let catalog_nodes = direct.catalog().nodes(&consul_client::QueryOptions::default()).await?.value.len();

    // Plan again directly for time and memory.
    let recipe = cleanup(direct.clone(), &nomad, &backups)?;
    let rss_before = machine::current_rss().unwrap_or(0);
    machine::reset_peak_rss();
    let t = Instant::now();
    let plan_direct = recipe.plan().await?;
    let plan_secs = t.elapsed().as_secs_f64();
    let peak = machine::peak_rss().unwrap_or(0);
    section.figure("plan time", plan_secs * 1000.0, "ms");
    section.figure("plan: Consul HTTP requests", plan_requests as f64, "requests");
    section.figure("plan: catalog nodes (incl. the agent's own)", catalog_nodes as f64, "nodes");
    section.figure("plan: Nomad allocation lookups", lookups as f64, "lookups");
    section.figure("plan: ghosts found", plan.findings.len() as f64, "findings");
    section.figure("plan: process RSS before", rss_before as f64 / (1024.0 * 1024.0), "MiB");
    section.figure("plan: process peak RSS", peak as f64 / (1024.0 * 1024.0), "MiB");
    // O(nodes): one read per catalog node plus three fixed reads (agent self, members, node list).
    let per_node = plan_requests as f64 / (catalog_nodes + 3) as f64;
    section.ratio("plan Consul requests / (catalog nodes + 3)", per_node, "<= 1.0 (O(nodes))", per_node <= 1.0);
    let found_all = plan_direct.findings.len() == ghosts.len();
    section.ratio(
        "ghosts found / ghosts planted",
        plan_direct.findings.len() as f64 / ghosts.len() as f64,
        "= 1.0",
        found_all,
    );

    let t = Instant::now();
    let report = recipe.run(&plan_direct, Progress::none()).await?;
    let run_secs = t.elapsed().as_secs_f64();
    let actions = report.counts.values().sum::<u64>();
    section.figure("cleanup: actions taken (parallelism 16)", actions as f64, "actions");
    section.figure("cleanup: time", run_secs * 1000.0, "ms");
    section.figure("cleanup: actions/s", actions as f64 / run_secs, "actions/s");
    section.note(
        "the plan reads the catalog node by node (1 + nodes requests), so Consul requests grow with nodes, not \
         services; it looks up each Nomad task service's allocation once, so Nomad lookups grow with task \
         services (here answered by an in-memory Nomad, counted, not timed over HTTP)",
    );
    section.note("plan requests are counted through a proxy; plan time and memory come from a second, direct plan");
    let _ = std::fs::remove_dir_all(&backups);
    Ok(section)
}
