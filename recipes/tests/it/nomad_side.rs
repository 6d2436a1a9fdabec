//! The Nomad side of ghost cleanup and the volume probe against wiremock.

use std::sync::Arc;

use nomad_client::{AllocClientStatus, NodeStatus};
use recipes::BackupDir;
use recipes::adapters::consul::ConsulCatalog;
use recipes::adapters::nomad::{NomadGhosts, NomadVolumeProbe};
use recipes::ghost::{GhostCleanup, GhostOptions};
use recipes::ports::VolumeProbe;
use recipes::ports::{AllocState, NomadWorld};
use test_support::Fixtures;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The recorded Nomad answers.
const NOMAD: Fixtures = Fixtures::new(env!("CARGO_MANIFEST_DIR")).under("nomad");

const RUNNING: &str = "9df9c84d-e72a-b42f-b5da-5df98da53bda";

#[tokio::test]
async fn allocations_are_looked_up_by_exact_id_across_namespaces() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/allocations"))
        .and(query_param("namespace", "*"))
        .and(query_param("prefix", RUNNING))
        .respond_with(NOMAD.json_response(200, "allocations-list-prefix.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/allocations"))
        .and(query_param("namespace", "*"))
        .and(query_param("prefix", "eae4d4fa-cbc7-d6c5-602a-f3bcd5ae21df"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("[]", "application/json"))
        .mount(&server)
        .await;
    let ghosts = NomadGhosts::new(nomad_client::NomadClient::builder().address(&server.uri()).build().unwrap());
    assert_eq!(
        ghosts.allocation(RUNNING).await.unwrap(),
        AllocState::Alive { status: AllocClientStatus::Running, namespace: "atala-testnet".into() }
    );
    assert_eq!(ghosts.allocation("eae4d4fa-cbc7-d6c5-602a-f3bcd5ae21df").await.unwrap(), AllocState::Gone);
    // A Nomad that cannot answer is an error, never "gone".
    let down = NomadGhosts::new(nomad_client::NomadClient::builder().address("http://127.0.0.1:9").build().unwrap());
    assert!(down.allocation(RUNNING).await.is_err());
}

#[tokio::test]
async fn many_allocations_are_classified_from_one_listing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/allocations"))
        .and(query_param("namespace", "*"))
        .respond_with(NOMAD.json_response(200, "allocations-list-prefix.json"))
        .expect(1)
        .mount(&server)
        .await;
    let ghosts = NomadGhosts::new(nomad_client::NomadClient::builder().address(&server.uri()).build().unwrap());
    let gone = "eae4d4fa-cbc7-d6c5-602a-f3bcd5ae21df".to_owned();
    let states = ghosts.allocations(&[RUNNING.to_owned(), gone.clone()]).await.unwrap();
    assert_eq!(
        states[RUNNING],
        AllocState::Alive { status: AllocClientStatus::Running, namespace: "atala-testnet".into() }
    );
    assert_eq!(states[&gone], AllocState::Gone);
    let listing = &server.received_requests().await.unwrap()[0];
    assert!(listing.url.query_pairs().all(|(k, _)| k != "prefix"), "one listing, not a lookup per ID");
}

#[tokio::test]
async fn volume_probe_without_running_probe_allocation_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/job/volume-probe/allocations"))
        .and(query_param("namespace", "ops"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("[]", "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let nomad = nomad_client::NomadClient::builder().address(&server.uri()).build().unwrap();
    let probe: Arc<dyn VolumeProbe> =
        Arc::new(NomadVolumeProbe::new(nomad.clone(), "volume-probe", "probe").job_namespace("ops"));
    let err = probe.leftover_data("atala-testnet").await.unwrap_err().to_string();
    assert!(err.contains("no running allocation of probe job volume-probe in ops"), "{err}");
    assert!(NomadVolumeProbe::new(nomad, "p", "t").path_template("/data/'$(rm)'").is_err());
}

#[tokio::test]
async fn down_nodes_carry_their_status_time_and_ready_ones_are_not_read() {
    let server = MockServer::start().await;
    let mut list: serde_json::Value = NOMAD.json("ghost-2-nodes-list.json");
    let mut down = list[0].clone();
    down["ID"] = "ea4c7b83-cf7b-0c33-baf0-487bed6b3ae4".into();
    down["Name"] = "node-1".into();
    down["Status"] = "down".into();
    list.as_array_mut().unwrap().push(down);
    serve_json(&server, "/v1/nodes", list).await;
    let mut node: serde_json::Value = NOMAD.json("node-read.json");
    node["Status"] = "down".into();
    Mock::given(method("GET"))
        .and(path("/v1/node/ea4c7b83-cf7b-0c33-baf0-487bed6b3ae4"))
        .respond_with(ResponseTemplate::new(200).set_body_json(node))
        .expect(1)
        .mount(&server)
        .await;
    let ghosts = NomadGhosts::new(nomad_client::NomadClient::builder().address(&server.uri()).build().unwrap());
    let nodes = ghosts.nodes().await.unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(
        (nodes[0].name.as_str(), &nodes[0].status, nodes[0].status_updated_at),
        ("node-2", &NodeStatus::Ready, None)
    );
    assert_eq!(
        (nodes[1].name.as_str(), &nodes[1].status, nodes[1].status_updated_at),
        ("node-1", &NodeStatus::Down, Some(1_795_323_742))
    );
}

/// Answers every `GET at` with `body`.
async fn serve_json(server: &MockServer, at: &str, body: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// A Nomad wiremock on recorded 1.1.2 shapes: `/v1/agent/self` (region `global`), `/v1/nodes`
/// (`ghost-2-nodes-list.json`, with `node_address` as the node's address), the node's read
/// (`node-read.json`, with `consul_dc` as its `consul.datacenter`) and the all-namespace
/// allocation listing (`allocations`).
async fn recorded_nomad(node_address: &str, consul_dc: &str, allocations: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/agent/self"))
        .respond_with(NOMAD.json_response(200, "agent-self.json"))
        .mount(&server)
        .await;
    let mut list: serde_json::Value = NOMAD.json("ghost-2-nodes-list.json");
    list[0]["Address"] = node_address.into();
    let id = list[0]["ID"].as_str().unwrap().to_owned();
    serve_json(&server, "/v1/nodes", list).await;
    let mut node: serde_json::Value = NOMAD.json("node-read.json");
    node["ID"] = id.clone().into();
    node["Attributes"]["consul.datacenter"] = consul_dc.into();
    serve_json(&server, &format!("/v1/node/{id}"), node).await;
    Mock::given(method("GET"))
        .and(path("/v1/allocations"))
        .and(query_param("namespace", "*"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(allocations.to_owned(), "application/json"))
        .mount(&server)
        .await;
    server
}

/// Every service on the agent's node, as (ID, ModifyIndex).
async fn agent_node_services(consul: &consul_client::ConsulClient, node: &str) -> Vec<(String, u64)> {
    let q = consul_client::QueryOptions::default();
    let found = consul.catalog().node_services(node, &q).await.unwrap().value.unwrap();
    let mut ids: Vec<(String, u64)> = found.services.into_iter().map(|s| (s.id, s.modify_index)).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_nomad_that_knows_none_of_the_nodes_or_allocations_is_refused_and_nothing_is_deleted() {
    let Some(agent) = sandbox::shared_consul() else { return };
    let consul = consul_client::ConsulClient::builder().address(&agent.http_addr()).build().unwrap();
    let tag = sandbox::unique_suffix();
    let name = format!("wrongnomad-{tag}-database");
    let gone = "eae4d4fa-cbc7-d6c5-602a-f3bcd5ae21df";
    let ids = [RUNNING, gone].map(|alloc| format!("_nomad-task-{alloc}-postgres-patroni-{name}-db"));
    for id in &ids {
        let svc = consul_client::AgentServiceRegistration {
            id: Some(id.clone()),
            name: name.clone(),
            port: Some(5432),
            ..consul_client::AgentServiceRegistration::default()
        };
        consul.agent().service_register(&svc).await.unwrap();
    }
    let before = agent_node_services(&consul, agent.node_name()).await;
    let dir = tempfile::tempdir().unwrap();
    let cleanup = |nomad: &MockServer, opts: GhostOptions| {
        let client = nomad_client::NomadClient::builder().address(&nomad.uri()).build().unwrap();
        GhostCleanup::new(
            opts.service_pattern(format!("wrongnomad-{tag}-*")),
            Arc::new(ConsulCatalog::new(consul.clone())),
            Some(Arc::new(NomadGhosts::new(client))),
            BackupDir::new(dir.path()),
        )
        .unwrap()
    };

    // 1. Another cluster: its only node has another name and address, and it knows no allocation.
    let other = recorded_nomad("10.77.0.2", "dc1", "[]").await;
    let err = cleanup(&other, GhostOptions::default()).plan().await.unwrap_err().to_string();
    println!("{err}");
    assert!(
        err.contains(&format!("the Nomad at {} (region global) knows none of the 2 allocations", other.uri())),
        "{err}"
    );
    assert!(
        err.contains(&format!("knows neither the Consul nodes that carry task services ({})", agent.node_name())),
        "{err}"
    );
    assert!(err.contains("Nomad and Consul are not looking at the same cluster"), "{err}");
    let requests = other.received_requests().await.unwrap();
    assert!(requests.iter().all(|r| r.method == wiremock::http::Method::GET), "the plan only reads");

    // 2. A rebuilt cluster on the same host: the node matches by address, no allocation is known.
    let rebuilt = recorded_nomad("127.0.0.1", "dc1", "[]").await;
    let err = cleanup(&rebuilt, GhostOptions::default()).plan().await.unwrap_err().to_string();
    assert!(err.contains("knows none of the 2 allocations") && !err.contains("knows neither"), "{err}");

    // 3. Another region's Nomad: its matching node uses another Consul datacenter.
    let known = NOMAD.text("allocations-list-prefix.json");
    let region = recorded_nomad("127.0.0.1", "dc-eu", &known).await;
    let err = cleanup(&region, GhostOptions::default()).plan().await.unwrap_err().to_string();
    assert!(err.contains("(region global) has node node-2 that uses Consul datacenter dc-eu, not dc1"), "{err}");

    // Nothing was deleted by any of them.
    assert_eq!(agent_node_services(&consul, agent.node_name()).await, before, "the catalog is unchanged");

    // 4. The right cluster (knows the running allocation): the plan goes through, with the check.
    let right = recorded_nomad("127.0.0.1", "dc1", &known).await;
    let plan = cleanup(&right, GhostOptions::default()).plan().await.unwrap();
    assert_eq!(plan.findings.len(), 1, "{plan:#?}");
    let check = plan.plan.checks.iter().find(|c| c.name == "Nomad cluster").unwrap();
    assert!(format!("{check:?}").contains("knows 1 of 2 allocations, 1 of its 1 nodes match"), "{check:?}");
    // ... and the override lets an operator who knows why plan against the wrong one.
    assert!(cleanup(&other, GhostOptions::default().override_cluster_check(true)).plan().await.is_ok());
    for id in &ids {
        consul.agent().service_deregister(id).await.unwrap();
    }
}

/// A Consul (wiremock, Consul 1.8 shapes) with `nodes` catalog nodes of 3 services each:
/// every third one a dead node (no gossip member), every fifth one marked `external-node`,
/// one task service per node. Each node's read answers after its own delay, so reads in
/// flight together finish out of order.
async fn catalog_of(nodes: usize) -> (MockServer, Vec<String>) {
    let server = MockServer::start().await;
    let json = |body: serde_json::Value| ResponseTemplate::new(200).set_body_json(body);
    let self_info = serde_json::json!({
        "Config": { "Datacenter": "dc1", "NodeName": "agent-0", "Version": "1.8.7" },
        "Member": { "Name": "agent-0", "Addr": "127.0.0.1", "Port": 8301, "Status": 1 }
    });
    Mock::given(method("GET")).and(path("/v1/agent/self")).respond_with(json(self_info)).mount(&server).await;
    let name = |i: usize| format!("node-{i:03}");
    let members: Vec<serde_json::Value> = (0..nodes)
        .filter(|i| i % 3 != 0)
        .map(|i| serde_json::json!({ "Name": name(i), "Addr": format!("10.1.0.{i}"), "Port": 8301, "Status": 1 }))
        .collect();
    Mock::given(method("GET")).and(path("/v1/agent/members")).respond_with(json(members.into())).mount(&server).await;
    let node = |i: usize| {
        let meta = if i % 5 == 0 { serde_json::json!({ "external-node": "true" }) } else { serde_json::json!({}) };
        serde_json::json!({ "Node": name(i), "Address": format!("10.1.0.{i}"), "Datacenter": "dc1", "Meta": meta })
    };
    let listing: Vec<serde_json::Value> = (0..nodes).map(node).collect();
    Mock::given(method("GET")).and(path("/v1/catalog/nodes")).respond_with(json(listing.into())).mount(&server).await;
    let mut allocs = Vec::new();
    for i in 0..nodes {
        let alloc = format!("{:08x}-0000-4000-8000-{i:012x}", 0xa110_c000_u32 + u32::try_from(i).unwrap());
        let services = serde_json::json!([
            { "ID": format!("_nomad-task-{alloc}-db-patroni-5432"), "Service": "atala-db", "Port": 5432, "ModifyIndex": 7 },
            { "ID": format!("web-{i}"), "Service": "web", "Port": 80, "ModifyIndex": 8 },
            { "ID": format!("metrics-{i}"), "Service": "metrics", "Port": 9100, "ModifyIndex": 9 },
        ]);
        let delay = std::time::Duration::from_millis(u64::try_from((i * 7) % 11).unwrap());
        Mock::given(method("GET"))
            .and(path(format!("/v1/catalog/node-services/{}", name(i))))
            .respond_with(json(serde_json::json!({ "Node": node(i), "Services": services })).set_delay(delay))
            .mount(&server)
            .await;
        allocs.push(alloc);
    }
    (server, allocs)
}

/// Allocations: every other one gone, the rest running (in memory; the count is of Consul requests).
struct HalfGone(Vec<String>);

#[recipes::async_trait]
impl NomadWorld for HalfGone {
    async fn allocation(&self, alloc_id: &str) -> recipes::Result<AllocState> {
        let i = self.0.iter().position(|a| a == alloc_id);
        Ok(match i {
            Some(i) if i % 2 == 1 => {
                AllocState::Alive { status: AllocClientStatus::Running, namespace: "default".into() }
            }
            _ => AllocState::Gone,
        })
    }
    async fn nodes(&self) -> recipes::Result<Vec<recipes::ports::NomadNodeView>> {
        Ok(Vec::new())
    }
    async fn purge_node(&self, _node_id: &str) -> recipes::Result<()> {
        Ok(())
    }
}

/// A plan at `concurrency` against a fresh [`catalog_of`]: the plan, the Consul requests
/// it sent and its time.
async fn counted_plan(nodes: usize, concurrency: usize) -> (recipes::ghost::GhostPlan, usize, std::time::Duration) {
    let (server, allocs) = catalog_of(nodes).await;
    let consul = consul_client::ConsulClient::builder().address(&server.uri()).build().unwrap();
    let opts = GhostOptions::default().max_actions(usize::MAX).read_concurrency(concurrency);
    let nomad: Arc<dyn NomadWorld> = Arc::new(HalfGone(allocs));
    let backups = BackupDir::new(std::env::temp_dir());
    let cleanup = GhostCleanup::new(opts, Arc::new(ConsulCatalog::new(consul)), Some(nomad), backups).unwrap();
    let t = std::time::Instant::now();
    let plan = cleanup.plan().await.unwrap();
    let elapsed = t.elapsed();
    (plan, server.received_requests().await.unwrap().len(), elapsed)
}

#[tokio::test]
async fn the_plan_reads_nodes_concurrently_with_the_same_requests_and_the_same_plan() {
    const NODES: usize = 60;
    let (sequential, sequential_requests, sequential_time) = counted_plan(NODES, 1).await;
    let (concurrent, concurrent_requests, concurrent_time) = counted_plan(NODES, 16).await;

    // Agent self, members, the node list, then one read per node: the same at any concurrency.
    assert_eq!(sequential_requests, NODES + 3);
    assert_eq!(concurrent_requests, sequential_requests);
    assert_eq!(concurrent, sequential, "the plan does not depend on the concurrency");
    // Dead nodes (every third one that is not external) and task ghosts on the live ones.
    let dead: Vec<String> = (0..NODES).filter(|i| i % 3 == 0 && i % 5 != 0).map(|i| format!("node-{i:03}")).collect();
    let planned_dead: Vec<String> = sequential
        .findings
        .iter()
        .filter_map(|f| match &f.target {
            recipes::ghost::Target::CatalogNode { node, .. } => Some(node.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(planned_dead, dead, "in catalog order");
    let tasks =
        sequential.findings.iter().filter(|f| matches!(f.target, recipes::ghost::Target::ServiceInstance { .. }));
    assert!(tasks.count() > 0, "{sequential:#?}");
    assert!(
        concurrent_time < sequential_time,
        "16 reads at once ({concurrent_time:?}) are faster than one at a time ({sequential_time:?})"
    );
}
