//! Ghost cleanup of Nomad-native service registrations (1.3+) against a wiremock Nomad:
//! the docs shapes of `/v1/services` and `/v1/service/:name` (`services-list.docs.json`,
//! `service-read.docs.json`, copied from nomad-client's `nomad-docs`) with the recorded
//! 1.1.2 node and allocation listings.

use std::sync::Arc;

use recipes::adapters::nomad::NomadGhosts;
use recipes::ghost::{GhostCleanup, GhostOptions, GhostPlan, GhostReport, Target};
use recipes::ports::{CatalogEntry, CatalogTxnOp, CatalogWorld, MemberView, NodeView, Removal};
use recipes::{BackupDir, Error, Progress, Result, async_trait};
use serde_json::Value;
use test_support::Fixtures;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NOMAD: Fixtures = Fixtures::new(env!("CARGO_MANIFEST_DIR")).under("nomad");

/// The docs' registrations: the first one's allocation is gone, the second one runs.
const GONE_ALLOC: &str = "177160af-26f6-619f-9c9f-5e46d1104395";
const LIVE_ALLOC: &str = "ba731da0-6df9-9858-ef23-806e9758a899";
const NODE: &str = "7406e90b-de16-d118-80fe-60d0f2730cb3";
const SERVICE: &str = "example-cache-redis";

fn reg_id(alloc: &str) -> String {
    format!("_nomad-task-{alloc}-redis-example-cache-redis-db")
}

/// A Consul side with an empty catalog: only the Nomad side has ghosts here.
struct EmptyConsul;

#[async_trait]
impl CatalogWorld for EmptyConsul {
    async fn datacenter(&self) -> Result<String> {
        Ok("dc1".into())
    }
    async fn nodes(&self, _dc: &str) -> Result<Vec<NodeView>> {
        Ok(Vec::new())
    }
    async fn node(&self, _dc: &str, _node: &str) -> Result<Option<NodeView>> {
        Ok(None)
    }
    async fn entry(&self, _dc: &str, _node: &str) -> Result<Option<CatalogEntry>> {
        Ok(None)
    }
    async fn members(&self) -> Result<Vec<MemberView>> {
        Ok(Vec::new())
    }
    async fn remove(&self, _dc: &str, _ops: &[CatalogTxnOp]) -> Result<Removal> {
        panic!("nothing in the catalog is to be removed")
    }
    async fn force_leave(&self, _member: &str) -> Result<()> {
        panic!("no member is to leave")
    }
}

/// The recorded node listing with its one node as the registrations' node (ready).
fn nodes_list() -> Value {
    let mut list = NOMAD.json("ghost-2-nodes-list.json");
    list[0]["ID"] = NODE.into();
    list
}

/// The recorded allocation listing, as `LIVE_ALLOC` running on `NODE`.
fn live_allocations() -> Value {
    let mut list = NOMAD.json("allocations-list-prefix.json");
    list[0]["ID"] = LIVE_ALLOC.into();
    list[0]["NodeID"] = NODE.into();
    list[0]["Namespace"] = "default".into();
    list
}

/// The docs' registrations, renamed to `service` in `namespace`.
fn registrations(namespace: &str, service: &str) -> Value {
    let mut regs = NOMAD.json("service-read.docs.json");
    for r in regs.as_array_mut().unwrap() {
        r["Namespace"] = namespace.into();
        r["ServiceName"] = service.into();
    }
    regs
}

fn json(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// Mounts a Nomad that lists `service` in `namespace` with `regs` (at the encoded
/// `service_path`), `allocs` as every allocation, and the recorded node.
async fn mount(server: &MockServer, namespace: &str, service: &str, service_path: &str, regs: Value, allocs: Value) {
    let mut list = NOMAD.json("services-list.docs.json");
    list[0]["Namespace"] = namespace.into();
    list[0]["Services"][0]["ServiceName"] = service.into();
    Mock::given(method("GET"))
        .and(path("/v1/services"))
        .and(query_param("namespace", "*"))
        .respond_with(json(list))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(service_path))
        .and(query_param("namespace", namespace))
        .respond_with(json(regs))
        .mount(server)
        .await;
    Mock::given(method("GET")).and(path("/v1/allocations")).respond_with(json(allocs)).mount(server).await;
    Mock::given(method("GET")).and(path("/v1/nodes")).respond_with(json(nodes_list())).mount(server).await;
}

/// The docs' Nomad: one ghost (gone allocation), one live registration.
async fn docs_nomad() -> MockServer {
    let server = MockServer::start().await;
    serve(&server, registrations("default", SERVICE), live_allocations()).await;
    server
}

/// [`mount`] of `regs` and `allocs` for the docs' service in `default`.
async fn serve(server: &MockServer, regs: Value, allocs: Value) {
    mount(server, "default", SERVICE, &format!("/v1/service/{SERVICE}"), regs, allocs).await;
}

/// The live allocation and `GONE_ALLOC` both running.
fn both_running() -> Value {
    let mut allocs = live_allocations();
    let mut back = allocs[0].clone();
    back["ID"] = GONE_ALLOC.into();
    allocs.as_array_mut().unwrap().push(back);
    allocs
}

/// Both allocations run (per the servers), but their node `NODE` is down since its recorded
/// StatusUpdatedAt (2026-11-22), in the listing and in `GET /v1/node/<id>` (the recorded
/// read, changed by `edit`). Mounted before `mount`'s, so they answer first.
async fn serve_down_node(server: &MockServer, edit: impl FnOnce(&mut Value)) {
    let mut list = nodes_list();
    list[0]["Status"] = "down".into();
    Mock::given(method("GET")).and(path("/v1/nodes")).respond_with(json(list)).mount(server).await;
    let mut node = NOMAD.json("node-read.json");
    node["ID"] = NODE.into();
    node["Status"] = "down".into();
    edit(&mut node);
    Mock::given(method("GET")).and(path(format!("/v1/node/{NODE}"))).respond_with(json(node)).mount(server).await;
    serve(server, registrations("default", SERVICE), both_running()).await;
}

fn cleanup(server: &MockServer, dir: &std::path::Path) -> GhostCleanup {
    cleanup_with(GhostOptions::default(), server, dir)
}

fn cleanup_with(opts: GhostOptions, server: &MockServer, dir: &std::path::Path) -> GhostCleanup {
    let nomad = nomad_client::NomadClient::builder().address(&server.uri()).build().unwrap();
    let ghosts = Arc::new(NomadGhosts::new(nomad));
    GhostCleanup::new(opts, Arc::new(EmptyConsul), Some(ghosts), BackupDir::new(dir)).unwrap()
}

async fn deletes(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.unwrap();
    requests.iter().filter(|r| r.method == wiremock::http::Method::DELETE).map(|r| r.url.path().to_owned()).collect()
}

/// Expects exactly one `DELETE` of the ghost's registration under `service_path` in
/// `namespace` (answered 200); returns its path.
async fn expect_one_delete(server: &MockServer, service_path: &str, namespace: &str) -> String {
    let delete_path = format!("{service_path}/{}", reg_id(GONE_ALLOC));
    Mock::given(method("DELETE"))
        .and(path(delete_path.as_str()))
        .and(query_param("namespace", namespace))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(server)
        .await;
    delete_path
}

fn ghost_target(namespace: &str, service: &str) -> Target {
    Target::NomadService { namespace: namespace.into(), service: service.into(), id: reg_id(GONE_ALLOC) }
}

/// The one backup file of the native registrations, read back.
fn native_backup(report: &GhostReport) -> Vec<Value> {
    let file = report.report.backups.iter().find(|p| p.to_string_lossy().contains("ghost-cleanup-nomad-services"));
    serde_json::from_slice(&std::fs::read(file.expect("a native backup file")).unwrap()).unwrap()
}

fn native_findings(plan: &GhostPlan) -> Vec<&Target> {
    plan.findings.iter().map(|f| &f.target).filter(|t| matches!(t, Target::NomadService { .. })).collect()
}

#[tokio::test]
async fn a_registration_of_a_gone_allocation_is_found_saved_and_deleted_and_a_live_one_is_left() {
    let server = docs_nomad().await;
    let delete_path = expect_one_delete(&server, &format!("/v1/service/{SERVICE}"), "default").await;
    let dir = tempfile::tempdir().unwrap();
    let cleanup = cleanup(&server, dir.path());

    let plan = cleanup.plan().await.unwrap();
    assert_eq!(native_findings(&plan), [&ghost_target("default", SERVICE)], "only the gone allocation's: {plan:#?}");
    assert_eq!(plan.findings[0].evidence, [format!("allocation {GONE_ALLOC} is unknown to Nomad")]);
    let check = plan.plan.checks.iter().find(|c| c.name == "Nomad-native services").unwrap();
    assert!(format!("{check:?}").contains("2 registrations, 2 selected, 1 ghosts"), "{check:?}");
    assert!(deletes(&server).await.is_empty(), "the plan deletes nothing");

    let report = cleanup.run(&plan, Progress::none()).await.unwrap();
    assert_eq!(report.counts.nomad_service, 1);
    assert_eq!(report.counts.total(), 1);
    assert_eq!(deletes(&server).await, [delete_path], "exactly the ghost, by namespace, name and ID");
    let saved = native_backup(&report);
    assert_eq!(saved.len(), 1);
    let reg = &saved[0]["Registration"];
    assert_eq!((reg["ID"].as_str(), reg["AllocID"].as_str()), (Some(reg_id(GONE_ALLOC).as_str()), Some(GONE_ALLOC)));
    assert_eq!((reg["Port"].as_u64(), reg["ModifyIndex"].as_u64()), (Some(29702), Some(24)), "as Nomad answered it");
    assert_eq!(saved[0]["Target"]["kind"], "nomad_service");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["counts"]["nomad_service"], 1, "the serializable report counts it");
}

#[tokio::test]
async fn a_registration_of_a_node_down_past_the_threshold_is_a_ghost_even_with_a_running_allocation() {
    let server = MockServer::start().await;
    serve_down_node(&server, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();

    let plan = cleanup(&server, dir.path()).plan().await.unwrap();
    assert_eq!(native_findings(&plan).len(), 2, "{plan:#?}");
    let evidence = &plan.findings.iter().find(|f| matches!(f.target, Target::NomadService { .. })).unwrap().evidence;
    assert!(evidence[0].starts_with("node node-2 (7406e90b-de16-d118-80fe-60d0f2730cb3) is down for "), "{evidence:?}");
    // A threshold longer than the down time: none of them.
    let patient = GhostOptions::default().nomad_node_down_for(std::time::Duration::from_secs(100 * 365 * 86_400));
    assert!(native_findings(&cleanup_with(patient, &server, dir.path()).plan().await.unwrap()).is_empty());
}

#[tokio::test]
async fn a_down_node_purged_by_the_run_is_saved_first_as_nomad_answered_it() {
    let server = MockServer::start().await;
    // The node is down past the threshold: the node and both registrations go.
    serve_down_node(&server, |node| {
        node["Name"] = "node-2".into();
        node["SecretID"] = "not-for-a-backup-file".into();
    })
    .await;
    let purge = format!("/v1/node/{NODE}/purge");
    Mock::given(method("POST"))
        .and(path(purge.as_str()))
        .respond_with(json(
            serde_json::json!({"EvalIDs": [], "EvalCreateIndex": 0, "NodeModifyIndex": 99, "Index": 99}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(200)).expect(2).mount(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let cleanup = cleanup(&server, dir.path());
    let plan = cleanup.plan().await.unwrap();
    let node_target = Target::NomadNode { id: NODE.into(), name: "node-2".into() };
    assert!(plan.findings.iter().any(|f| f.target == node_target), "{plan:#?}");

    let report = cleanup.run(&plan, Progress::none()).await.unwrap();
    assert_eq!((report.counts.nomad_node, report.counts.nomad_service), (1, 2), "{report:#?}");
    let file = report.report.backups.iter().find(|p| p.to_string_lossy().contains("ghost-cleanup-nomad-nodes-"));
    let saved: Vec<Value> = serde_json::from_slice(&std::fs::read(file.expect("a node backup file")).unwrap()).unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0]["Target"], serde_json::to_value(&node_target).unwrap());
    let n = &saved[0]["Node"];
    assert_eq!(
        (n["ID"].as_str(), n["Name"].as_str(), n["Status"].as_str()),
        (Some(NODE), Some("node-2"), Some("down"))
    );
    assert_eq!(n["StatusUpdatedAt"], 1_795_323_742, "fields the SDK does not model are kept");
    assert!(n["Attributes"].is_object() && n["NodeResources"].is_object(), "{n:#}");
    assert_eq!(n["SecretID"], "", "never a node secret in a backup file");
}

#[tokio::test]
async fn a_namespace_selects_native_registrations_by_their_nomad_namespace_exactly() {
    // Registered in Nomad namespace atala-testnet2, under a name that starts with atala-testnet-.
    let server = MockServer::start().await;
    let (namespace, service) = ("atala-testnet2", "atala-testnet-api");
    let service_path = format!("/v1/service/{service}");
    mount(&server, namespace, service, &service_path, registrations(namespace, service), live_allocations()).await;
    let dir = tempfile::tempdir().unwrap();

    let plan = cleanup_with(GhostOptions::default().namespace("atala-testnet"), &server, dir.path()).plan().await;
    let plan = plan.unwrap();
    assert!(native_findings(&plan).is_empty(), "{plan:#?}");
    let check = plan.plan.checks.iter().find(|c| c.name == "Nomad-native services").unwrap();
    assert!(format!("{check:?}").contains("2 registrations, 0 selected, 0 ghosts"), "{check:?}");

    let own = cleanup_with(GhostOptions::default().namespace(namespace), &server, dir.path()).plan().await.unwrap();
    assert_eq!(native_findings(&own), [&ghost_target(namespace, service)], "its own namespace selects it");
    assert!(deletes(&server).await.is_empty());
}

#[tokio::test]
async fn native_ghosts_count_against_the_action_limit_and_the_service_filter_selects_them() {
    let server = docs_nomad().await;
    let dir = tempfile::tempdir().unwrap();
    let err = cleanup_with(GhostOptions::default().max_actions(0), &server, dir.path()).plan().await.unwrap_err();
    assert!(err.to_string().contains("1 ghosts found, more than the limit of 0"), "{err}");
    let other = GhostOptions::default().service_pattern("billing-*");
    let plan = cleanup_with(other, &server, dir.path()).plan().await.unwrap();
    assert!(native_findings(&plan).is_empty());
    let check = plan.plan.checks.iter().find(|c| c.name == "Nomad-native services").unwrap();
    assert!(format!("{check:?}").contains("2 registrations, 0 selected, 0 ghosts"), "{check:?}");
    assert!(deletes(&server).await.is_empty());
}

#[tokio::test]
async fn rows_of_another_namespace_or_service_than_asked_are_not_judged() {
    let server = MockServer::start().await;
    let mut regs = registrations("default", SERVICE);
    regs[0]["Namespace"] = "other".into();
    let mut stray = regs[1].clone();
    stray["ServiceName"] = "another-service".into();
    stray["AllocID"] = GONE_ALLOC.into();
    regs.as_array_mut().unwrap().push(stray);
    serve(&server, regs, live_allocations()).await;
    let dir = tempfile::tempdir().unwrap();
    let plan = cleanup(&server, dir.path()).plan().await.unwrap();
    assert!(native_findings(&plan).is_empty(), "{plan:#?}");
    let check = plan.plan.checks.iter().find(|c| c.name == "Nomad-native services").unwrap();
    assert!(format!("{check:?}").contains("1 registrations"), "only the row that is what was asked: {check:?}");
}

#[tokio::test]
async fn a_registration_whose_allocation_runs_again_by_the_run_is_not_deleted() {
    let server = docs_nomad().await;
    let dir = tempfile::tempdir().unwrap();
    let cleanup = cleanup(&server, dir.path());
    let plan = cleanup.plan().await.unwrap();
    assert_eq!(native_findings(&plan).len(), 1);

    // Between plan and run, the allocation is known and running again (a client that came back).
    server.reset().await;
    serve(&server, registrations("default", SERVICE), both_running()).await;
    let report = cleanup.run(&plan, Progress::none()).await.unwrap();
    assert_eq!(report.no_longer_ghosts, [ghost_target("default", SERVICE)]);
    assert_eq!(report.counts.total(), 0);
    assert!(deletes(&server).await.is_empty());
    assert!(report.report.backups.is_empty(), "nothing to act on, nothing saved");
}

#[tokio::test]
async fn a_registration_changed_after_the_backup_is_left_in_place() {
    let server = docs_nomad().await;
    let dir = tempfile::tempdir().unwrap();
    let cleanup = cleanup(&server, dir.path());
    let plan = cleanup.plan().await.unwrap();

    // The run's re-check reads it as planned (that read is the backup); the read just before
    // the delete shows it re-registered (ModifyIndex 24 -> 25).
    server.reset().await;
    let service_path = format!("/v1/service/{SERVICE}");
    Mock::given(method("GET"))
        .and(path(service_path.as_str()))
        .respond_with(json(registrations("default", SERVICE)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let mut changed = registrations("default", SERVICE);
    changed[0]["ModifyIndex"] = 25.into();
    serve(&server, changed, live_allocations()).await;
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;

    let report = cleanup.run(&plan, Progress::none()).await.unwrap();
    assert_eq!(report.counts.total(), 0);
    assert_eq!(
        report.left_in_place,
        [format!(
            "Nomad service registration {} of {SERVICE} (namespace default) changed after the backup (index 25 now, 24 \
             saved): left in place",
            reg_id(GONE_ALLOC)
        )]
    );
    assert_eq!(native_backup(&report).len(), 1, "what was confirmed was saved first");
    assert!(deletes(&server).await.is_empty());
}

#[tokio::test]
async fn a_refused_or_failed_delete_is_a_partial_failure_naming_the_backup() {
    for status in [403, 500] {
        let server = docs_nomad().await;
        Mock::given(method("DELETE"))
            .respond_with(ResponseTemplate::new(status).set_body_string("Permission denied"))
            .mount(&server)
            .await;
        let dir = tempfile::tempdir().unwrap();
        let cleanup = cleanup(&server, dir.path());
        let plan = cleanup.plan().await.unwrap();
        let err = cleanup.run(&plan, Progress::none()).await.unwrap_err();
        let Error::PartialFailure { failed, .. } = &err else { panic!("{err}") };
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].target, ghost_target("default", SERVICE).to_string());
        let backup = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path();
        let text = err.to_string();
        assert!(text.contains(&format!("deleting the registration saved in {}", backup.display())), "{text}");
        assert!(text.contains(&status.to_string()), "{text}");
        let saved: Vec<Value> = serde_json::from_slice(&std::fs::read(&backup).unwrap()).unwrap();
        assert_eq!(saved[0]["Registration"]["ID"], reg_id(GONE_ALLOC), "the registration is in the backup");
    }
}

#[tokio::test]
async fn odd_names_go_through_the_path_builder() {
    let server = MockServer::start().await;
    let (namespace, service) = ("team a&b", "web api#1?v=2&x%");
    let encoded = "/v1/service/web%20api%231%3Fv%3D2%26x%25";
    mount(&server, namespace, service, encoded, registrations(namespace, service), live_allocations()).await;
    let delete_path = expect_one_delete(&server, encoded, namespace).await;
    let dir = tempfile::tempdir().unwrap();
    let cleanup = cleanup(&server, dir.path());
    let plan = cleanup.plan().await.unwrap();
    assert_eq!(native_findings(&plan), [&ghost_target(namespace, service)]);
    let report = cleanup.run(&plan, Progress::none()).await.unwrap();
    assert_eq!(report.counts.nomad_service, 1);
    assert_eq!(deletes(&server).await, [delete_path], "one segment each, nothing split or cut at # or ?");
}

#[tokio::test]
async fn a_service_name_the_path_builder_refuses_stops_the_plan_before_anything_is_deleted() {
    let server = MockServer::start().await;
    let service = "web/../../v1/node/x";
    mount(&server, "default", service, "/never", registrations("default", service), live_allocations()).await;
    let dir = tempfile::tempdir().unwrap();
    let err = cleanup(&server, dir.path()).plan().await.unwrap_err().with_causes();
    assert!(err.contains(&format!("invalid service name {service:?}")) && err.contains("'/'"), "{err}");
    let requests = server.received_requests().await.unwrap();
    assert!(requests.iter().all(|r| r.method == wiremock::http::Method::GET && r.url.path() != "/never"));
}

#[tokio::test]
async fn a_nomad_without_native_services_is_skipped_in_the_plan() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/services"))
        .respond_with(NOMAD.text_response(404, "error-job-not-found.txt"))
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/v1/nodes")).respond_with(json(nodes_list())).mount(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let plan = cleanup(&server, dir.path()).plan().await.unwrap();
    let check = plan.plan.checks.iter().find(|c| c.name == "Nomad-native services").unwrap();
    assert!(format!("{check:?}").contains("no native service discovery"), "{check:?}");
    assert!(plan.findings.is_empty());
}
