//! Ghost cleanup logic on in-memory Consul and Nomad views.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use nomad_client::{AllocClientStatus, NodeStatus};
use recipes::ghost::{GhostCleanup, GhostOptions, GhostPlan, Target, task_service_alloc};
use recipes::ports::{
    AllocState, CatalogEntry, CatalogTxnOp, CatalogWorld, MemberView, NodeView, NomadNodeView, NomadWorld, Removal,
    SavedService, ServiceView,
};
use recipes::{BackupDir, Progress, Result, async_trait};

const GHOST_ALLOC: &str = "eae4d4fa-cbc7-d6c5-602a-f3bcd5ae21df";
const LIVE_ALLOC: &str = "770e47d6-a273-fc9d-bd64-3b7ca2b74ab0";

#[derive(Default)]
struct FakeConsul {
    nodes: Mutex<Vec<NodeView>>,
    members: Mutex<Vec<MemberView>>,
    actions: Mutex<Vec<String>>,
    /// The backup directory the fake looks into when it acts (see [`saved_naming`]).
    backups: Mutex<Option<PathBuf>>,
    /// Per force-leave: the member and the backup files that held it at that moment.
    saved_at_action: Mutex<Vec<(String, Vec<String>)>>,
}

/// The names of the files in `dir` whose text holds `what` (nothing when no `dir`).
fn saved_naming(dir: Option<&Path>, what: &str) -> Vec<String> {
    let Some(dir) = dir else { return Vec::new() };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .map(|e| e.unwrap().path())
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|text| text.contains(&format!("{what:?}"))))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[async_trait]
impl CatalogWorld for FakeConsul {
    async fn datacenter(&self) -> Result<String> {
        Ok("dc1".into())
    }
    async fn nodes(&self, _dc: &str) -> Result<Vec<NodeView>> {
        Ok(self.nodes.lock().unwrap().clone())
    }
    async fn node(&self, _dc: &str, node: &str) -> Result<Option<NodeView>> {
        Ok(self.nodes.lock().unwrap().iter().find(|n| n.name == node).cloned())
    }
    async fn entry(&self, _dc: &str, node: &str) -> Result<Option<CatalogEntry>> {
        let nodes = self.nodes.lock().unwrap();
        Ok(nodes.iter().find(|n| n.name == node).map(|n| CatalogEntry {
            view: n.clone(),
            node_index: 1,
            services: n
                .services
                .iter()
                .map(|s| SavedService { id: s.id.clone(), name: s.name.clone(), modify_index: u64::from(s.port) })
                .collect(),
            checks: Vec::new(),
            raw: serde_json::to_value(n).unwrap(),
        }))
    }
    async fn members(&self) -> Result<Vec<MemberView>> {
        Ok(self.members.lock().unwrap().clone())
    }
    async fn remove(&self, dc: &str, ops: &[CatalogTxnOp]) -> Result<Removal> {
        let mut nodes = self.nodes.lock().unwrap();
        for op in ops {
            match op {
                CatalogTxnOp::DeleteNode { node, .. } => {
                    self.actions.lock().unwrap().push(format!("deregister {dc}/{node}"));
                    nodes.retain(|n| n.name != *node);
                }
                CatalogTxnOp::DeleteService { node, service_id, index, .. } => {
                    let n = nodes.iter_mut().find(|n| n.name == *node).unwrap();
                    assert!(n.services.iter().any(|s| s.id == *service_id && u64::from(s.port) == *index));
                    self.actions.lock().unwrap().push(format!("deregister {dc}/{node}/{service_id}"));
                    n.services.retain(|s| s.id != *service_id);
                }
                CatalogTxnOp::DeleteCheck { .. } => unreachable!("the fake has no checks"),
            }
        }
        Ok(Removal::Done)
    }
    async fn force_leave(&self, member: &str) -> Result<()> {
        self.actions.lock().unwrap().push(format!("force-leave {member}"));
        let saved = saved_naming(self.backups.lock().unwrap().as_deref(), member);
        self.saved_at_action.lock().unwrap().push((member.to_owned(), saved));
        Ok(())
    }
}

#[derive(Default)]
struct FakeNomad {
    allocs: Mutex<BTreeMap<String, AllocState>>,
    nodes: Vec<NomadNodeView>,
    purged: Mutex<Vec<String>>,
    /// As [`FakeConsul`]'s: per purge, the node ID and the backup files that held it then.
    backups: Mutex<Option<PathBuf>>,
    saved_at_action: Mutex<Vec<(String, Vec<String>)>>,
}

#[async_trait]
impl NomadWorld for FakeNomad {
    async fn allocation(&self, alloc_id: &str) -> Result<AllocState> {
        Ok(self.allocs.lock().unwrap().get(alloc_id).cloned().unwrap_or(AllocState::Gone))
    }
    async fn nodes(&self) -> Result<Vec<NomadNodeView>> {
        Ok(self.nodes.clone())
    }
    async fn purge_node(&self, node_id: &str) -> Result<()> {
        self.purged.lock().unwrap().push(node_id.to_owned());
        let saved = saved_naming(self.backups.lock().unwrap().as_deref(), node_id);
        self.saved_at_action.lock().unwrap().push((node_id.to_owned(), saved));
        Ok(())
    }
}

fn svc(id: &str, name: &str) -> ServiceView {
    ServiceView { id: id.into(), name: name.into(), tags: vec![], port: 5432 }
}

fn node(name: &str, services: Vec<ServiceView>) -> NodeView {
    NodeView { name: name.into(), address: "10.0.0.1".into(), meta: BTreeMap::new(), services }
}

fn member(name: &str, status: &str) -> MemberView {
    MemberView { name: name.into(), addr: "10.0.0.1".into(), status: status.into() }
}

fn task_id(alloc: &str) -> String {
    format!("_nomad-task-{alloc}-postgres-patroni-atala-testnet-database-db")
}

/// The shapes of `fixtures/consul/GHOSTS.md`: one lasting task ghost, one live task service,
/// Nomad's own agent services, a dead node, an external node, a failed member.
fn scene() -> (Arc<FakeConsul>, Arc<FakeNomad>) {
    let consul = FakeConsul::default();
    *consul.nodes.lock().unwrap() = vec![
        node(
            "node-1",
            vec![
                svc(&task_id(GHOST_ALLOC), "atala-testnet-database"),
                svc(&task_id(LIVE_ALLOC), "atala-testnet-database"),
                svc("_nomad-server-5fpzvxurt4wharun5dh5alxqmbukh32r", "nomad"),
                svc("_nomad-client-s6pxrvnmilluqd6pbwhivrfgoxn6y2bp", "nomad-client"),
                svc("consul", "consul"),
            ],
        ),
        node("old-worker-7", vec![svc("api-1", "atala-testnet-api")]),
        node("empty-node", vec![]),
        NodeView {
            meta: BTreeMap::from([("external-node".into(), "true".into())]),
            ..node("rds", vec![svc("rds", "rds")])
        },
    ];
    *consul.members.lock().unwrap() = vec![member("node-1", "alive"), member("node-9", "failed")];
    let nomad = FakeNomad {
        nodes: vec![
            NomadNodeView {
                id: "n-down".into(),
                name: "client-3".into(),
                status: NodeStatus::Down,
                status_updated_at: Some(1),
            },
            NomadNodeView {
                id: "n-up".into(),
                name: "client-4".into(),
                status: NodeStatus::Ready,
                status_updated_at: Some(1),
            },
        ],
        ..FakeNomad::default()
    };
    nomad.allocs.lock().unwrap().insert(
        LIVE_ALLOC.into(),
        AllocState::Alive { status: AllocClientStatus::Running, namespace: "atala-testnet".into() },
    );
    (Arc::new(consul), Arc::new(nomad))
}

/// The plan's targets, as the plan prints them.
fn targets(plan: &GhostPlan) -> Vec<String> {
    plan.findings.iter().map(|f| f.target.to_string()).collect()
}

#[test]
fn task_service_ids_are_parsed_strictly() {
    assert_eq!(task_service_alloc(&task_id(GHOST_ALLOC)), Some(GHOST_ALLOC));
    assert_eq!(task_service_alloc("_nomad-server-5fpzvxurt4wharun5dh5alxqmbukh32r"), None);
    assert_eq!(task_service_alloc("_nomad-task-not-a-uuid-postgres"), None);
    assert_eq!(task_service_alloc(&format!("_nomad-task-{GHOST_ALLOC}")), None);
}

#[tokio::test]
async fn plan_finds_each_kind_with_evidence_and_nothing_else() {
    let (consul, nomad) = scene();
    let dir = tempfile::tempdir().unwrap();
    let cleanup =
        GhostCleanup::new(GhostOptions::default(), consul.clone(), Some(nomad), BackupDir::new(dir.path())).unwrap();
    let plan = cleanup.plan().await.unwrap();
    assert_eq!(
        targets(&plan),
        [
            "catalog node old-worker-7 (dc1)".to_owned(),
            format!("service instance {} on node-1 (dc1)", task_id(GHOST_ALLOC)),
            "Nomad node client-3 (n-down)".to_owned(),
            "failed member node-9".to_owned(),
        ]
    );
    assert_eq!(
        plan.findings[0].evidence,
        ["not a gossip member of the cluster", "still carries 1 services: atala-testnet-api"]
    );
    assert_eq!(plan.findings[1].evidence, [format!("allocation {GHOST_ALLOC} is unknown to Nomad")]);
    assert!(consul.actions.lock().unwrap().is_empty());
}

#[tokio::test]
async fn run_backs_up_then_acts_only_on_confirmed_ghosts() {
    let (consul, nomad) = scene();
    let dir = tempfile::tempdir().unwrap();
    let cleanup =
        GhostCleanup::new(GhostOptions::default(), consul.clone(), Some(nomad.clone()), BackupDir::new(dir.path()))
            .unwrap();
    // A second failed member, still failed at the run.
    consul.members.lock().unwrap().push(MemberView { addr: "10.0.0.8".into(), ..member("node-8", "failed") });
    *consul.backups.lock().unwrap() = Some(dir.path().to_owned());
    *nomad.backups.lock().unwrap() = Some(dir.path().to_owned());
    let plan = cleanup.plan().await.unwrap();
    // Between plan and run, the failed member node-9 came back.
    consul.members.lock().unwrap()[1].status = "alive".into();
    let report = cleanup.run(&plan, Progress::none()).await.unwrap();
    let mut actions = consul.actions.lock().unwrap().clone();
    actions.sort();
    assert_eq!(
        actions,
        [
            "deregister dc1/node-1/".to_owned() + &task_id(GHOST_ALLOC),
            "deregister dc1/old-worker-7".into(),
            "deregister dc1/old-worker-7/api-1".into(),
            "force-leave node-8".into(),
        ],
        "the node's service goes on its own, then the node"
    );
    assert_eq!(report.unguarded_windows_us.len(), 1);
    assert!(report.left_in_place.is_empty());
    assert_eq!(*nomad.purged.lock().unwrap(), ["n-down"]);
    assert_eq!(report.no_longer_ghosts, [Target::FailedMember { name: "node-9".into() }]);
    assert_eq!(report.counts.catalog_node, 1);
    assert_eq!(report.counts.service_instance, 1);
    assert_eq!((report.counts.failed_member, report.counts.nomad_node), (1, 1));
    // The instance removed from node-1, a live member, is warned about.
    let live = format!("{} is on node-1, a live node", task_id(GHOST_ALLOC));
    assert!(report.report.warnings.iter().any(|w| w.starts_with(&live)), "{:#?}", report.report.warnings);
    assert_eq!(report.report.warnings.len(), 1, "only that one: {:#?}", report.report.warnings);

    // One backup file per kind, each listed in the report.
    let file = |label: &str| -> (String, Vec<serde_json::Value>) {
        let found: Vec<&PathBuf> = report
            .report
            .backups
            .iter()
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(&format!("{label}-2")))
            .collect();
        assert_eq!(found.len(), 1, "one {label} file in {:?}", report.report.backups);
        let name = found[0].file_name().unwrap().to_string_lossy().into_owned();
        (name, serde_json::from_slice(&std::fs::read(found[0]).unwrap()).unwrap())
    };
    assert_eq!(report.report.backups.len(), 3, "{:?}", report.report.backups);
    let (members_file, members) = file("ghost-cleanup-members");
    assert_eq!(members.len(), 1, "only the member still failed: {members:#?}");
    assert_eq!(members[0]["Target"], serde_json::json!({"kind": "failed_member", "name": "node-8"}));
    let m = &members[0]["Member"];
    assert_eq!((&m["name"], &m["status"], &m["addr"]), (&"node-8".into(), &"failed".into(), &"10.0.0.8".into()));
    let (nodes_file, nodes) = file("ghost-cleanup-nomad-nodes");
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0]["Target"], serde_json::json!({"kind": "nomad_node", "id": "n-down", "name": "client-3"}));
    let n = &nodes[0]["Node"];
    assert_eq!((&n["id"], &n["name"], &n["status"]), (&"n-down".into(), &"client-3".into(), &"down".into()));
    assert_eq!(n["status_updated_at"], 1);
    // Each was on disk when the action ran.
    assert_eq!(*consul.saved_at_action.lock().unwrap(), [("node-8".to_owned(), vec![members_file])]);
    assert_eq!(*nomad.saved_at_action.lock().unwrap(), [("n-down".to_owned(), vec![nodes_file])]);

    let (_, saved) = file("ghost-cleanup-catalog");
    assert_eq!(saved.len(), 2);
    assert_eq!(saved[0]["Removes"]["name"], "old-worker-7");
    assert_eq!(saved[0]["Catalog"]["name"], "old-worker-7", "the catalog's view of the node is saved");
    assert_eq!(saved[1]["Removes"]["services"].as_array().unwrap().len(), 1, "only the ghost instance is removed");
    assert_eq!(saved[1]["Catalog"]["services"].as_array().unwrap().len(), 5, "its whole node is saved");
}

#[tokio::test]
async fn filters_and_action_limit() {
    let (consul, nomad) = scene();
    let dir = tempfile::tempdir().unwrap();
    let backups = BackupDir::new(dir.path());
    let opts = GhostOptions::default().namespace("atala-testnet").service_pattern("*-database");
    let only_db = GhostCleanup::new(opts, consul.clone(), Some(nomad.clone()), backups.clone()).unwrap();
    let plan = only_db.plan().await.unwrap();
    assert_eq!(plan.findings.len(), 1, "{:?}", plan.findings);

    let limited =
        GhostCleanup::new(GhostOptions::default().max_actions(2), consul.clone(), Some(nomad.clone()), backups.clone())
            .unwrap();
    let err = limited.plan().await.unwrap_err().to_string();
    assert!(err.contains("4 ghosts found, more than the limit of 2"), "{err}");
    let allowed = GhostOptions::default().max_actions(2).override_max_actions(true);
    assert_eq!(
        GhostCleanup::new(allowed, consul.clone(), Some(nomad), backups.clone())
            .unwrap()
            .plan()
            .await
            .unwrap()
            .findings
            .len(),
        4
    );

    let no_nomad = GhostCleanup::new(GhostOptions::default().node_pattern("old-*"), consul, None, backups).unwrap();
    let plan = no_nomad.plan().await.unwrap();
    assert_eq!(plan.findings.len(), 1);
    assert!(plan.plan.checks.iter().any(|c| c.name == "Nomad task services and nodes"));
}

/// Allocations Nomad does not know, for the neighbours' task ghosts.
const NEIGHBOUR_ALLOC: &str = "0b5e1c8e-9f0a-4d6e-8a3b-2c1d0e9f8a7b";
const OLD_ALLOC: &str = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a";
/// A stopped allocation of Nomad namespace `batch` whose service is named like the namespace's own.
const OTHER_NS_ALLOC: &str = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d";

#[tokio::test]
async fn a_namespace_selects_its_own_services_exactly_and_leaves_the_neighbours_ghosts() {
    let (consul, nomad) = scene();
    {
        // Ghosts of neighbours whose names contain `atala-testnet`: a task ghost each on the
        // live node-1, and a dead node each.
        let mut nodes = consul.nodes.lock().unwrap();
        nodes[0].services.push(svc(&task_id(NEIGHBOUR_ALLOC), "atala-testnet2-api"));
        nodes[0].services.push(svc(&task_id(OLD_ALLOC), "old-atala-testnet-api"));
        nodes.push(node("old-worker-8", vec![svc("api-2", "atala-testnet2-api")]));
        nodes.push(node("old-worker-9", vec![svc("api-3", "old-atala-testnet-api")]));
        // Named as the namespace's, but its allocation says Nomad namespace `batch`.
        nodes[0].services.push(svc(&task_id(OTHER_NS_ALLOC), "atala-testnet-worker"));
        // A dead node shared by the namespace and a neighbour: deleting it would delete the neighbour's entry.
        nodes.push(node("old-worker-10", vec![svc("api-4", "atala-testnet-api"), svc("api-5", "atala-testnet2-api")]));
    }
    nomad.allocs.lock().unwrap().insert(
        OTHER_NS_ALLOC.into(),
        AllocState::Stopped { status: AllocClientStatus::Complete, namespace: "batch".into() },
    );
    let dir = tempfile::tempdir().unwrap();
    let backups = BackupDir::new(dir.path());
    let neighbours = [
        format!("service instance {} on node-1 (dc1)", task_id(OTHER_NS_ALLOC)),
        format!("service instance {} on node-1 (dc1)", task_id(NEIGHBOUR_ALLOC)),
        format!("service instance {} on node-1 (dc1)", task_id(OLD_ALLOC)),
        "catalog node old-worker-8 (dc1)".to_owned(),
        "catalog node old-worker-9 (dc1)".to_owned(),
        "catalog node old-worker-10 (dc1)".to_owned(),
    ];
    // They are ghosts: without a namespace the plan finds them.
    let everything = GhostOptions::default().override_max_actions(true);
    let all = GhostCleanup::new(everything, consul.clone(), Some(nomad.clone()), backups.clone()).unwrap();
    let found = targets(&all.plan().await.unwrap());
    assert!(neighbours.iter().all(|n| found.contains(n)), "{found:#?}");

    let opts = GhostOptions::default().namespace("atala-testnet");
    let cleanup = GhostCleanup::new(opts, consul.clone(), Some(nomad.clone()), backups).unwrap();
    let plan = cleanup.plan().await.unwrap();
    assert_eq!(
        targets(&plan),
        [
            "catalog node old-worker-7 (dc1)".to_owned(),
            format!("service instance {} on node-1 (dc1)", task_id(GHOST_ALLOC)),
        ],
        "atala-testnet-api and atala-testnet-database only"
    );
    let report = cleanup.run(&plan, Progress::none()).await.unwrap();
    assert_eq!(report.counts.total(), 2, "{report:#?}");
    let actions = consul.actions.lock().unwrap().clone();
    assert!(
        actions.iter().all(|a| !a.contains("old-worker-8")
            && !a.contains("old-worker-9")
            && !a.contains("old-worker-10")
            && !a.contains(NEIGHBOUR_ALLOC)
            && !a.contains(OTHER_NS_ALLOC)
            && !a.contains(OLD_ALLOC)),
        "{actions:?}"
    );
    let nodes = consul.nodes.lock().unwrap();
    let ids_on = |name: &str| -> Vec<String> {
        nodes.iter().find(|n| n.name == name).unwrap().services.iter().map(|s| s.id.clone()).collect()
    };
    assert!(ids_on("node-1").contains(&task_id(NEIGHBOUR_ALLOC)) && ids_on("node-1").contains(&task_id(OLD_ALLOC)));
    assert_eq!((ids_on("old-worker-8"), ids_on("old-worker-9")), (vec!["api-2".to_owned()], vec!["api-3".to_owned()]));
    assert_eq!(
        ids_on("old-worker-10"),
        ["api-4", "api-5"],
        "a shared dead node is left to a run not filtered away from it"
    );
    assert!(nodes.iter().all(|n| n.name != "old-worker-7"), "its own dead node went");
}

#[test]
fn bad_filters_are_rejected() {
    let consul: Arc<FakeConsul> = Arc::default();
    let err =
        GhostCleanup::new(GhostOptions::default().service_pattern(""), consul.clone(), None, BackupDir::new("/tmp"))
            .unwrap_err();
    assert!(err.to_string().starts_with("invalid service pattern"), "{err}");
    let err = GhostCleanup::new(GhostOptions::default().parallelism(0), consul.clone(), None, BackupDir::new("/tmp"))
        .unwrap_err();
    assert!(err.to_string().starts_with("invalid parallelism"), "{err}");
    let err = GhostCleanup::new(GhostOptions::default().read_concurrency(0), consul, None, BackupDir::new("/tmp"))
        .unwrap_err();
    assert!(err.to_string().starts_with("invalid read concurrency"), "{err}");
}

/// Real Consul: the catalog as ghost cleanup sees it, with a registrar that adds a service
/// to the ghost node right after the backup was read (between backup and removal).
struct RegistersAfterBackup {
    inner: recipes::adapters::consul::ConsulCatalog,
    consul: consul_client::ConsulClient,
    node: String,
    late: String,
    fired: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl CatalogWorld for RegistersAfterBackup {
    async fn datacenter(&self) -> Result<String> {
        self.inner.datacenter().await
    }
    async fn nodes(&self, dc: &str) -> Result<Vec<NodeView>> {
        self.inner.nodes(dc).await
    }
    async fn node(&self, dc: &str, node: &str) -> Result<Option<NodeView>> {
        self.inner.node(dc, node).await
    }
    async fn entry(&self, dc: &str, node: &str) -> Result<Option<CatalogEntry>> {
        let entry = self.inner.entry(dc, node).await;
        if node == self.node && !self.fired.swap(true, std::sync::atomic::Ordering::SeqCst) {
            register(&self.consul, &self.node, &self.late, "late").await;
        }
        entry
    }
    async fn members(&self) -> Result<Vec<MemberView>> {
        self.inner.members().await
    }
    async fn remove(&self, dc: &str, ops: &[CatalogTxnOp]) -> Result<Removal> {
        self.inner.remove(dc, ops).await
    }
    async fn force_leave(&self, member: &str) -> Result<()> {
        self.inner.force_leave(member).await
    }
}

/// Registers `service_id` (service `name`, with a check) on catalog node `node`.
async fn register(consul: &consul_client::ConsulClient, node: &str, service_id: &str, name: &str) {
    let reg = consul_client::CatalogRegistration {
        node: node.into(),
        address: "10.255.0.7".into(),
        service: Some(consul_client::ServiceRegistration {
            id: Some(service_id.into()),
            service: name.into(),
            port: Some(5432),
            ..consul_client::ServiceRegistration::default()
        }),
        checks: vec![consul_client::HealthCheckRegistration {
            node: node.into(),
            check_id: format!("{service_id}-check"),
            name: "tcp".into(),
            status: "critical".into(),
            service_id: service_id.into(),
            ..consul_client::HealthCheckRegistration::default()
        }],
        ..consul_client::CatalogRegistration::default()
    };
    consul.catalog().register(&reg).await.unwrap();
}

async fn service_ids_on(consul: &consul_client::ConsulClient, node: &str) -> Option<Vec<String>> {
    let found = consul.catalog().node_services(node, &consul_client::QueryOptions::default()).await.unwrap().value?;
    let mut ids: Vec<String> = found.services.into_iter().map(|s| s.id).collect();
    ids.sort();
    Some(ids)
}

#[tokio::test]
async fn a_service_registered_on_the_ghost_node_after_the_backup_survives_and_is_reported() {
    let Some(agent) = sandbox::shared_consul() else { return };
    let consul = consul_client::ConsulClient::builder().address(&agent.http_addr()).build().unwrap();
    let tag = sandbox::unique_suffix();
    let node = format!("gone-{tag}");
    let (old, late) = (format!("pg-{tag}-old"), format!("pg-{tag}-late"));
    register(&consul, &node, &old, &format!("ghostrace-{tag}")).await;
    let world = Arc::new(RegistersAfterBackup {
        inner: recipes::adapters::consul::ConsulCatalog::new(consul.clone()),
        consul: consul.clone(),
        node: node.clone(),
        late: late.clone(),
        fired: false.into(),
    });
    let dir = tempfile::tempdir().unwrap();
    let opts = GhostOptions::default().node_pattern(node.clone()).node_quiet_period(std::time::Duration::ZERO);
    let cleanup = GhostCleanup::new(opts, world.clone(), None, BackupDir::new(dir.path())).unwrap();
    let plan = cleanup.plan().await.unwrap();
    assert_eq!(plan.findings.len(), 1, "{plan:#?}");

    let report = cleanup.run(&plan, Progress::none()).await.unwrap();
    // The late service is still there (with its check), the node too; the saved one is gone.
    assert_eq!(service_ids_on(&consul, &node).await, Some(vec![late.clone()]));
    let checks = consul.health().node(&node, &Default::default()).await.unwrap().value;
    assert_eq!(checks.iter().map(|c| c.check_id.as_str()).collect::<Vec<_>>(), [format!("{late}-check")]);
    assert!(
        report.left_in_place.iter().any(|s| s.contains(&late) && s.contains("registered after the backup")),
        "{report:#?}"
    );
    assert!(report.report.warnings.iter().any(|w| w.contains(&late)), "the run says so: {report:#?}");
    assert!(report.unguarded_windows_us.is_empty(), "the node was not deleted");
    assert_eq!(report.counts.catalog_node_entries, 1, "{report:#?}");
    // Everything deleted is in the backup; the late service is not (it was not deleted).
    let saved = std::fs::read_to_string(&report.report.backups[0]).unwrap();
    assert!(saved.contains(&old) && saved.contains(&format!("{old}-check")), "{saved}");
    assert!(!saved.contains(&late), "{saved}");

    // A later run, with nobody registering, removes the rest and then the node.
    let second = GhostCleanup::new(
        GhostOptions::default().node_pattern(node.clone()).node_quiet_period(std::time::Duration::from_millis(20)),
        Arc::new(recipes::adapters::consul::ConsulCatalog::new(consul.clone())),
        None,
        BackupDir::new(dir.path().join("second")),
    )
    .unwrap();
    let report = second.run(&second.plan().await.unwrap(), Progress::none()).await.unwrap();
    assert_eq!(report.counts.catalog_node, 1, "{report:#?}");
    assert_eq!(service_ids_on(&consul, &node).await, None);
    let window = report.unguarded_windows_us[0];
    println!("unguarded window (fresh read to node delete-cas answer): {window} us");

    // Both backups together put everything back.
    let catalog = recipes::adapters::consul::ConsulCatalog::new(consul.clone());
    let mut back = Vec::new();
    for backup in std::fs::read_dir(dir.path()).unwrap().chain(std::fs::read_dir(dir.path().join("second")).unwrap()) {
        let path = backup.unwrap().path();
        if path.is_file() {
            back.extend(catalog.reregister_from_backup(&path).await.unwrap());
        }
    }
    assert_eq!(back.len(), 2, "{back:?}");
    assert_eq!(service_ids_on(&consul, &node).await, Some(vec![late.clone(), old.clone()]));
    let checks = consul.health().node(&node, &Default::default()).await.unwrap().value;
    assert_eq!(checks.len(), 2, "{checks:?}");
    consul.catalog().deregister(&consul_client::CatalogDeregistration::node(&node)).await.unwrap();
}

#[tokio::test]
async fn a_service_changed_after_the_backup_is_not_deleted() {
    let Some(agent) = sandbox::shared_consul() else { return };
    let consul = consul_client::ConsulClient::builder().address(&agent.http_addr()).build().unwrap();
    let tag = sandbox::unique_suffix();
    let node = format!("gone-{tag}");
    let svc = format!("pg-{tag}");
    register(&consul, &node, &svc, "ghostchange").await;
    let world = Arc::new(recipes::adapters::consul::ConsulCatalog::new(consul.clone()));
    let saved = world.entry("dc1", &node).await.unwrap().unwrap();
    // Re-registered with another port: a new index.
    let reg_port = consul_client::CatalogRegistration {
        node: node.clone(),
        address: "10.255.0.7".into(),
        service: Some(consul_client::ServiceRegistration {
            id: Some(svc.clone()),
            service: "ghostchange".into(),
            port: Some(6432),
            ..consul_client::ServiceRegistration::default()
        }),
        ..consul_client::CatalogRegistration::default()
    };
    consul.catalog().register(&reg_port).await.unwrap();
    let stale = [
        CatalogTxnOp::delete_check_cas(&node, &saved.checks[0].id, saved.checks[0].modify_index),
        CatalogTxnOp::delete_service_cas(&node, &svc, "ghostchange", saved.services[0].modify_index),
    ];
    let outcome = world.remove("dc1", &stale).await.unwrap();
    assert!(matches!(&outcome, Removal::RolledBack(why) if why.contains("stale")), "{outcome:?}");
    assert_eq!(service_ids_on(&consul, &node).await, Some(vec![svc.clone()]));
    assert_eq!(consul.health().node(&node, &Default::default()).await.unwrap().value.len(), 1, "check kept too");
    consul.catalog().deregister(&consul_client::CatalogDeregistration::node(&node)).await.unwrap();
}

#[tokio::test]
async fn the_consul_side_reads_one_member_by_exact_name_as_the_agent_lists_it() {
    let Some(agent) = sandbox::shared_consul() else { return };
    let consul = consul_client::ConsulClient::builder().address(&agent.http_addr()).build().unwrap();
    let catalog = recipes::adapters::consul::ConsulCatalog::new(consul);
    let me = agent.node_name();
    let record = catalog.member_record(me).await.unwrap().expect("the agent is a member");
    assert_eq!((record.view.name.as_str(), record.view.status.as_str()), (me, "alive"));
    // What is saved is the member as the agent's members call lists it.
    assert_eq!((&record.raw["Name"], &record.raw["Status"]), (&me.into(), &1.into()), "{:#}", record.raw);
    assert!(record.raw["Port"].as_u64().is_some() && record.raw["Tags"]["role"].is_string(), "{:#}", record.raw);
    assert!(catalog.member_record(&me[..me.len() - 1]).await.unwrap().is_none(), "never a prefix");
}

#[tokio::test]
async fn a_nomad_side_that_knows_none_of_the_allocations_is_refused() {
    let (consul, _) = scene();
    let nomad = Arc::new(FakeNomad::default());
    let dir = tempfile::tempdir().unwrap();
    let cleanup =
        GhostCleanup::new(GhostOptions::default(), consul.clone(), Some(nomad), BackupDir::new(dir.path())).unwrap();
    let err = cleanup.plan().await.unwrap_err().to_string();
    assert!(
        err.contains("the Nomad side knows none of the 2 allocations of the task services in Consul datacenter dc1"),
        "{err}"
    );
    assert!(err.contains("not looking at the same cluster"), "{err}");
    assert!(consul.actions.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_node_with_more_entries_than_one_transaction_goes_in_batches_then_the_node() {
    let Some(agent) = sandbox::shared_consul() else { return };
    let consul = consul_client::ConsulClient::builder().address(&agent.http_addr()).build().unwrap();
    let tag = sandbox::unique_suffix();
    let node = format!("gone-{tag}");
    // 40 services with a check each: 80 conditional deletions, more than Consul 1.8's 64 per transaction.
    let mut ids: Vec<String> = (0..40).map(|i| format!("pg-{tag}-{i:02}")).collect();
    ids.sort();
    for id in &ids {
        register(&consul, &node, id, "ghostbatch").await;
    }
    let dir = tempfile::tempdir().unwrap();
    let catalog = recipes::adapters::consul::ConsulCatalog::new(consul.clone());
    let cleanup = GhostCleanup::new(
        GhostOptions::default().node_pattern(node.clone()).node_quiet_period(std::time::Duration::ZERO),
        Arc::new(catalog.clone()),
        None,
        BackupDir::new(dir.path()),
    )
    .unwrap();
    let report = cleanup.run(&cleanup.plan().await.unwrap(), Progress::none()).await.unwrap();
    assert_eq!(report.counts.catalog_node, 1, "{report:#?}");
    assert_eq!(report.unguarded_windows_us.len(), 1, "the node went in its own last transaction");
    assert_eq!(service_ids_on(&consul, &node).await, None);
    let back = catalog.reregister_from_backup(&report.report.backups[0]).await.unwrap();
    assert_eq!(back.len(), 40);
    assert_eq!(service_ids_on(&consul, &node).await, Some(ids));
    assert_eq!(consul.health().node(&node, &Default::default()).await.unwrap().value.len(), 40);
    consul.catalog().deregister(&consul_client::CatalogDeregistration::node(&node)).await.unwrap();
}
