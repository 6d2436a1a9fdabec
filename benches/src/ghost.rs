//! Bench 5: the ghost_cleanup recipe at scale on a real Consul: nodes and service
//! instances registered through the catalog API, 1% of the instances Nomad task services
//! whose allocation is gone. Plan time at read concurrency 1 (the sequential plan) and
//! at the default side by side, HTTP requests of each (through a counting proxy), peak
//! memory, then the cleanup with bounded parallelism.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use consul_client::{CatalogRegistration, ConsulClient, ServiceRegistration};
use futures::StreamExt;
use nomad_client::AllocClientStatus;
use recipes::adapters::consul::ConsulCatalog;
use recipes::ghost::{DEFAULT_READ_CONCURRENCY, GhostCleanup, GhostOptions};
use recipes::ports::{AllocState, NomadNodeView, NomadWorld};
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
            AllocState::Alive { status: AllocClientStatus::Running, namespace: "default".to_owned() }
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

fn cleanup(
    client: ConsulClient,
    nomad: &Arc<FakeNomad>,
    backups: &std::path::Path,
    read_concurrency: usize,
) -> anyhow::Result<GhostCleanup> {
    let opts = GhostOptions::default()
        .max_actions(usize::MAX)
        .override_max_actions(true)
        .parallelism(16)
        .read_concurrency(read_concurrency);
    let nomad: Arc<dyn NomadWorld> = nomad.clone();
    Ok(GhostCleanup::new(opts, Arc::new(ConsulCatalog::new(client)), Some(nomad), BackupDir::new(backups))?)
}

/// The size issue 17's target names; the full run uses at least this much.
const TARGET_NODES: usize = 2_000;
const TARGET_INSTANCES: usize = 40_000;

/// Interleaved pairs (one plan at read concurrency 1, one at the default) timed directly.
const TIMED_PAIRS: usize = 5;

/// CPU time (ns) the threads of process `pid` have run, from `/proc/<pid>/task/*/schedstat`.
fn cpu_ns(pid: &str) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return 0 };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// This process's and its `consul` children's CPU time so far (ns): where a plan's time goes.
fn cpu_now() -> (u64, u64) {
    let me = std::process::id().to_string();
    let mut consul = 0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // pid (comm) state ppid ...
        let Some((head, rest)) = stat.rsplit_once(") ") else { continue };
        let ppid = rest.split_whitespace().nth(1);
        if head.ends_with("(consul") && ppid == Some(me.as_str()) {
            consul += cpu_ns(&pid);
        }
    }
    (cpu_ns("self"), consul)
}

/// Times `plan` and the CPU this process and Consul spent on it (all in ms).
async fn timed<F: Future<Output = recipes::Result<recipes::ghost::GhostPlan>>>(
    plan: F,
) -> anyhow::Result<(recipes::ghost::GhostPlan, [f64; 3])> {
    let (client0, consul0) = cpu_now();
    let t = Instant::now();
    let out = plan.await?;
    let wall = t.elapsed().as_secs_f64() * 1000.0;
    let (client1, consul1) = cpu_now();
    let ms = |a: u64, b: u64| b.saturating_sub(a) as f64 / 1e6;
    Ok((out, [wall, ms(client0, client1), ms(consul0, consul1)]))
}

/// `inner` answering `delay` later: a Consul one network round trip away instead of on loopback.
fn delayed(inner: server::Handler, delay: std::time::Duration) -> server::Handler {
    Arc::new(move |req| {
        let answer = inner(req);
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            answer.await
        })
    })
}

/// Round trip added in front of Consul for the plan pair that shows what the concurrency buys
/// when the time is waiting, not CPU (a Consul on another host of the LAN).
const INJECTED_RTT: std::time::Duration = std::time::Duration::from_millis(1);

/// The median of `values` (not empty).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 0 { (values[mid - 1] + values[mid]) / 2.0 } else { values[mid] }
}

/// Runs the ghost-cleanup benchmark against the Consul at `url`.
pub async fn run(url: &str, sizes: &Sizes) -> anyhow::Result<Section> {
    let mut section = Section::new("ghost");
    let direct = ConsulClient::builder().address(url).build()?;
    let prefix = format!("bench{}", sandbox::unique_suffix());
    let (nodes, instances) = if sizes.mode == "full" {
        (sizes.ghost_nodes.max(TARGET_NODES), sizes.ghost_instances.max(TARGET_INSTANCES))
    } else {
        (sizes.ghost_nodes, sizes.ghost_instances)
    };
    let per_node = instances / nodes;
    let start = Instant::now();
    let ghosts = load(&direct, &prefix, nodes, per_node).await?;
    let load_secs = start.elapsed().as_secs_f64();
    let instances = nodes * per_node;
    section.figure("catalog nodes registered", nodes as f64, "nodes");
    section.figure("service instances registered", instances as f64, "instances");
    section.figure("registration rate (32 at once)", instances as f64 / load_secs, "registrations/s");

    let backups = std::env::temp_dir().join(format!("ops-bench-ghost-{prefix}"));
    let nomad = Arc::new(FakeNomad { gone: ghosts.clone(), lookups: AtomicU64::new(0) });
    let parallel = DEFAULT_READ_CONCURRENCY;

    // Both plans through a counting proxy: every HTTP request each sends to Consul.
    let proxy = LocalServer::start(server::proxy(url))?;
    let counted_sequential =
        cleanup(ConsulClient::builder().address(&proxy.url()).build()?, &nomad, &backups, 1)?.plan().await?;
    let sequential_requests = proxy.requests();
    let counted =
        cleanup(ConsulClient::builder().address(&proxy.url()).build()?, &nomad, &backups, parallel)?.plan().await?;
    let plan_requests = proxy.requests() - sequential_requests;
    drop(proxy);
    let lookups = nomad.lookups.swap(0, Ordering::Relaxed) / 2;
    let catalog_nodes = direct.catalog().nodes(&consul_client::QueryOptions::default()).await?.value.len();

    // Then directly, for time: interleaved pairs, the speedup as the median of the pairs' ratios.
    let sequential = cleanup(direct.clone(), &nomad, &backups, 1)?;
    let recipe = cleanup(direct.clone(), &nomad, &backups, parallel)?;
    let (mut sequential_ms, mut parallel_ms, mut speedups) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..TIMED_PAIRS {
        let (one, seq) = timed(sequential.plan()).await?;
        let (other, par) = timed(recipe.plan()).await?;
        anyhow::ensure!(one == other, "the plans at read concurrency 1 and {parallel} differ");
        sequential_ms.push(seq);
        parallel_ms.push(par);
        speedups.push(seq[0] / par[0]);
    }
    let column = |runs: &[[f64; 3]], i: usize| median(runs.iter().map(|r| r[i]).collect());
    nomad.lookups.swap(0, Ordering::Relaxed);

    // One more pair through a proxy that adds a round trip: the same plans, the same requests.
    let far = LocalServer::start(delayed(server::proxy(url), INJECTED_RTT))?;
    let (far_one, far_seq) =
        timed(cleanup(ConsulClient::builder().address(&far.url()).build()?, &nomad, &backups, 1)?.plan()).await?;
    let far_seq_requests = far.requests();
    let far_recipe = cleanup(ConsulClient::builder().address(&far.url()).build()?, &nomad, &backups, parallel)?;
    let (far_other, far_par) = timed(far_recipe.plan()).await?;
    let far_par_requests = far.requests() - far_seq_requests;
    drop(far);
    anyhow::ensure!(far_one == far_other, "the plans at read concurrency 1 and {parallel} differ");
    nomad.lookups.swap(0, Ordering::Relaxed);

    // And once more, at the default, for memory.
    let rss_before = machine::current_rss().unwrap_or(0);
    machine::reset_peak_rss();
    let t = Instant::now();
    let plan_direct = recipe.plan().await?;
    let plan_secs = t.elapsed().as_secs_f64();
    let peak = machine::peak_rss().unwrap_or(0);
    for (concurrency, runs) in [(1, &sequential_ms), (parallel, &parallel_ms)] {
        section.figure(format!("plan time, read concurrency {concurrency} (median)"), column(runs, 0), "ms");
        section.figure(format!("plan CPU in the client, read concurrency {concurrency}"), column(runs, 1), "ms");
        section.figure(format!("plan CPU in Consul, read concurrency {concurrency}"), column(runs, 2), "ms");
    }
    section.figure("plan time (the memory run)", plan_secs * 1000.0, "ms");
    section.figure("plan: Consul HTTP requests, read concurrency 1", sequential_requests as f64, "requests");
    section.figure(
        format!("plan: Consul HTTP requests, read concurrency {parallel}"),
        plan_requests as f64,
        "requests",
    );
    section.figure("plan: catalog nodes (incl. the agent's own)", catalog_nodes as f64, "nodes");
    section.figure("plan: Nomad allocation lookups", lookups as f64, "lookups");
    section.figure("plan: ghosts found", plan_direct.findings.len() as f64, "findings");
    section.figure("plan: process RSS before", rss_before as f64 / (1024.0 * 1024.0), "MiB");
    section.figure("plan: process peak RSS", peak as f64 / (1024.0 * 1024.0), "MiB");
    let speedup = median(speedups);
    section.ratio(
        format!("plan speedup: read concurrency {parallel} vs 1 (median of {TIMED_PAIRS} pairs)"),
        speedup,
        ">= 4.0",
        speedup >= 4.0,
    );
    let rtt_ms = INJECTED_RTT.as_secs_f64() * 1000.0;
    section.figure(format!("plan time with {rtt_ms} ms added per request, read concurrency 1"), far_seq[0], "ms");
    section.figure(
        format!("plan time with {rtt_ms} ms added per request, read concurrency {parallel}"),
        far_par[0],
        "ms",
    );
    for (concurrency, requests) in [(1, far_seq_requests), (parallel, far_par_requests)] {
        let name = format!("plan: Consul HTTP requests with {rtt_ms} ms added, read concurrency {concurrency}");
        section.figure(name, requests as f64, "requests");
    }
    let far_speedup = far_seq[0] / far_par[0];
    section.ratio(
        format!("plan speedup with {rtt_ms} ms added per request: read concurrency {parallel} vs 1"),
        far_speedup,
        ">= 4.0",
        far_speedup >= 4.0,
    );
    // O(nodes): one read per catalog node plus three fixed reads (agent self, members, node list).
    let per_node = plan_requests as f64 / (catalog_nodes + 3) as f64;
    section.ratio("plan Consul requests / (catalog nodes + 3)", per_node, "<= 1.0 (O(nodes))", per_node <= 1.0);
    let same = plan_requests == sequential_requests && counted == counted_sequential;
    section.ratio(
        format!("plan requests at read concurrency {parallel} / at 1 (plans identical)"),
        plan_requests as f64 / sequential_requests as f64,
        "= 1.0, same plan",
        same,
    );
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
    let actions = report.counts.total();
    section.figure("cleanup: actions taken (parallelism 16)", actions as f64, "actions");
    section.figure("cleanup: time", run_secs * 1000.0, "ms");
    section.figure("cleanup: actions/s", actions as f64 / run_secs, "actions/s");
    section.note(format!(
        "the plan reads the catalog node by node (3 + nodes requests), {parallel} reads in flight by default \
         (GhostOptions::read_concurrency; 1 is the sequential plan of before), so Consul requests grow with nodes, \
         not services, and do not depend on the concurrency; it looks up each Nomad task service's allocation \
         once, so Nomad lookups grow with task services (here answered by an in-memory Nomad, counted, not timed \
         over HTTP)"
    ));
    section.note(format!(
        "plan requests are counted through a proxy (one plan at each concurrency); plan times are {TIMED_PAIRS} \
         interleaved pairs of direct plans (concurrency 1, then {parallel}; each pair checked to give the same \
         plan), memory comes from one more direct plan; the full run uses {TARGET_NODES} nodes / \
         {TARGET_INSTANCES} instances at least (issue 17's target size)"
    ));
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get) as f64;
    let (seq_wall, seq_cpu) = (column(&sequential_ms, 0), column(&sequential_ms, 1) + column(&sequential_ms, 2));
    let par_cpu = column(&parallel_ms, 1) + column(&parallel_ms, 2);
    section.note(format!(
        "on loopback the plan is CPU-bound, not waiting: the sequential plan spends {seq_cpu:.0} ms of CPU (client \
         and Consul) in {seq_wall:.0} ms, the concurrent one {par_cpu:.0} ms, so on {cores} cores no concurrency \
         can make it more than {:.1}x faster (CPU from /proc schedstat of this process and the Consul agent); the \
         pair with {rtt_ms} ms added per request shows the concurrency where requests wait",
        seq_wall / (par_cpu / cores)
    ));
    let _ = std::fs::remove_dir_all(&backups);
    Ok(section)
}
