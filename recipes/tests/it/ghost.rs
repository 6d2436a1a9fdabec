//! Ghost cleanup logic on in-memory Consul and Nomad views.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use nomad_client::{AllocClientStatus, NodeStatus};
use recipes::ghost::{GhostCleanup, GhostOptions, Target, task_service_alloc};
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
        Ok(())
    }
}

#[derive(Default)]
struct FakeNomad {
    allocs: Mutex<BTreeMap<String, AllocState>>,
    nodes: Vec<NomadNodeView>,
    purged: Mutex<Vec<String>>,
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
    let targets: Vec<String> = plan.findings.iter().map(|f| f.target.to_string()).collect();
    assert_eq!(
        targets,
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
    let plan = cleanup.plan().await.unwrap();
    // Between plan and run, the failed member came back.
    consul.members.lock().unwrap()[1].status = "alive".into();
    let report = cleanup.run(&plan, Progress::none()).await.unwrap();
    let mut actions = consul.actions.lock().unwrap().clone();
    actions.sort();
    assert_eq!(
        actions,
        [
            "deregister dc1/node-1/".to_owned() + &task_id(GHOST_ALLOC),
            "deregister dc1/old-worker-7".into(),
            "deregister dc1/old-worker-7/api-1".into()
        ],
        "the node's service goes on its own, then the node"
    );
    assert_eq!(report.unguarded_windows_us.len(), 1);
    assert!(report.left_in_place.is_empty());
    assert_eq!(*nomad.purged.lock().unwrap(), ["n-down"]);
    assert_eq!(report.no_longer_ghosts, [Target::FailedMember { name: "node-9".into() }]);
    assert_eq!(report.counts.catalog_node, 1);
    assert_eq!(report.counts.service_instance, 1);
    assert_eq!(report.report.backups.len(), 1);
    let saved: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&report.report.backups[0]).unwrap()).unwrap();
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
