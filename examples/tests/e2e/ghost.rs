//! Ghost cleanup against a real Consul agent: planted ghosts go, everything else stays.

use std::sync::Arc;

use consul_client::{AgentServiceRegistration, CatalogRegistration, ConsulClient, QueryOptions, ServiceRegistration};
use nomad_client::AllocClientStatus;
use recipes::adapters::consul::ConsulCatalog;
use recipes::ghost::{GhostCleanup, GhostOptions, Target};
use recipes::ports::{AllocState, NomadNodeView, NomadWorld};
use recipes::{BackupDir, Progress, Result, async_trait};

/// Nomad as the ghosts' allocations see it: one running allocation, every other one gone.
struct OneLiveAlloc(String);

#[async_trait]
impl NomadWorld for OneLiveAlloc {
    async fn allocation(&self, alloc_id: &str) -> Result<AllocState> {
        Ok(if alloc_id == self.0 {
            AllocState::Alive { status: AllocClientStatus::Running, namespace: "default".into() }
        } else {
            AllocState::Gone
        })
    }
    async fn nodes(&self) -> Result<Vec<NomadNodeView>> {
        Ok(Vec::new())
    }
    async fn purge_node(&self, node_id: &str) -> Result<()> {
        panic!("no Nomad node may be purged, asked for {node_id}")
    }
}

async fn service_ids(consul: &ConsulClient, name: &str) -> Vec<String> {
    let found = consul.catalog().service(name, None, &QueryOptions::default()).await.unwrap().value;
    let mut ids: Vec<String> = found.into_iter().map(|s| s.service_id).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn planted_ghosts_are_removed_and_nothing_else() {
    let Some(agent) = sandbox::shared_consul() else { return };
    let consul = ConsulClient::builder().address(&agent.http_addr()).build().unwrap();
    let tag = sandbox::unique_suffix();
    let name = format!("ghosttest-{tag}-database");
    let ghost_node = format!("gone-{tag}");

    // (1) a node that is no gossip member and still carries a service, registered through the catalog API.
    let reg = CatalogRegistration {
        node: ghost_node.clone(),
        address: "10.255.0.9".into(),
        service: Some(ServiceRegistration {
            id: Some(format!("{name}-1")),
            service: name.clone(),
            port: Some(5432),
            ..ServiceRegistration::default()
        }),
        ..CatalogRegistration::default()
    };
    consul.catalog().register(&reg).await.unwrap();
    // (2) task services on the live agent: one whose allocation is gone, one whose allocation runs,
    // and a healthy, similarly named plain service.
    let gone_alloc = uuid_like(&tag, 1);
    let live_alloc = uuid_like(&tag, 2);
    let ghost_task = format!("_nomad-task-{gone_alloc}-postgres-patroni-{name}-db");
    let live_task = format!("_nomad-task-{live_alloc}-postgres-patroni-{name}-db");
    let healthy = format!("{name}-healthy");
    for id in [&ghost_task, &live_task, &healthy] {
        let svc = AgentServiceRegistration {
            id: Some(id.clone()),
            name: name.clone(),
            port: Some(5432),
            ..AgentServiceRegistration::default()
        };
        consul.agent().service_register(&svc).await.unwrap();
    }

    let dir = std::env::temp_dir().join(format!("recipes-e2e-ghost-{tag}"));
    let cleanup = GhostCleanup::new(
        GhostOptions::default().service_pattern(format!("ghosttest-{tag}-*")),
        Arc::new(ConsulCatalog::new(consul.clone())),
        Some(Arc::new(OneLiveAlloc(live_alloc.clone()))),
        BackupDir::new(&dir),
    )
    .unwrap();
    let plan = cleanup.plan().await.unwrap();
    let mut targets: Vec<Target> = plan.findings.iter().map(|f| f.target.clone()).collect();
    targets.sort();
    let dc = "dc1".to_owned();
    assert_eq!(
        targets,
        [
            Target::CatalogNode { datacenter: dc.clone(), node: ghost_node.clone() },
            Target::ServiceInstance {
                datacenter: dc,
                node: agent.node_name().to_owned(),
                service_id: ghost_task.clone()
            },
        ]
    );

    let report = cleanup.run(&plan, Progress::none()).await.unwrap();
    assert_eq!(report.counts.total(), 2, "{report:#?}");
    let mut expected = vec![healthy.clone(), live_task.clone()];
    expected.sort();
    assert_eq!(service_ids(&consul, &name).await, expected);
    assert!(consul.catalog().node_services(&ghost_node, &QueryOptions::default()).await.unwrap().value.is_none());
    let backup: serde_json::Value = serde_json::from_slice(&std::fs::read(&report.report.backups[0]).unwrap()).unwrap();
    assert!(backup.to_string().contains(&ghost_task), "{backup}");
    let node_backup = backup.as_array().unwrap().iter().find(|b| b["Removes"]["name"] == ghost_node.as_str()).unwrap();
    assert_eq!(node_backup["Catalog"]["NodeServices"]["Node"]["Address"], "10.255.0.9", "{node_backup}");
    assert!(node_backup["Catalog"]["Checks"].is_array(), "{node_backup}");

    // Nothing is left to do.
    assert!(cleanup.plan().await.unwrap().findings.is_empty());
    for id in [&live_task, &healthy] {
        consul.agent().service_deregister(id).await.unwrap();
    }
    drop(std::fs::remove_dir_all(dir));
}

/// A UUID-shaped allocation ID unique to this test.
fn uuid_like(tag: &str, n: u8) -> String {
    let hex: String = tag.chars().filter(char::is_ascii_hexdigit).chain(std::iter::repeat('0')).take(12).collect();
    format!("{n:08x}-0000-4000-8000-{hex}")
}
