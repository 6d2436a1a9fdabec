//! Namespaces, nodes, deployments, evaluations, ACL, agent, status, system, configuration.

use std::time::Duration;

use client_core::RetryPolicy;
use nomad_client::{
    ClientError, DeploymentStatus, DrainOptions, Error, EvaluationStatus, NodeStatus, NomadClient, NomadClientBuilder,
    PurgeOptions, QueryOptions, SchedulingEligibility, WriteOptions,
};
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

#[tokio::test]
async fn from_lookup_reads_the_cli_variables() {
    let env = |name: &str| match name {
        "NOMAD_ADDR" => Some("https://nomad.example:4646".to_owned()),
        "NOMAD_TOKEN" => Some("s3cr3t-token".to_owned()),
        "NOMAD_NAMESPACE" => Some("atala-prod".to_owned()),
        "NOMAD_REGION" => Some("eu".to_owned()),
        "NOMAD_SKIP_VERIFY" => Some("true".to_owned()),
        _ => None,
    };
    let nomad = NomadClient::from_lookup(env).unwrap();
    assert_eq!(nomad.namespace(), Some("atala-prod"));
    assert_eq!(nomad.region(), Some("eu"));
    let cfg = nomad.http().config();
    assert_eq!(cfg.address.as_str(), "https://nomad.example:4646/");
    assert_eq!(cfg.token.as_ref().unwrap().expose(), "s3cr3t-token");
    assert!(cfg.tls.insecure_skip_verify);
    assert!(!format!("{nomad:?}").contains("s3cr3t-token"));
    let err =
        NomadClient::from_lookup(|n| (n == "NOMAD_CACERT").then(|| "/nonexistent/ca.pem".to_owned())).unwrap_err();
    assert!(err.to_string().contains("NOMAD_CACERT"), "{err}");
    let defaults = NomadClient::from_lookup(|_| None).unwrap();
    assert_eq!(defaults.http().config().address.as_str(), "http://127.0.0.1:4646/");
    assert_eq!(defaults.namespace(), None);
}

#[tokio::test]
async fn builder_starts_from_the_environment_and_a_later_call_wins() {
    let env = |name: &str| match name {
        "NOMAD_ADDR" => Some("https://nomad.example:4646".to_owned()),
        "NOMAD_TOKEN" => Some("env-token".to_owned()),
        "NOMAD_NAMESPACE" => Some("atala-prod".to_owned()),
        "NOMAD_REGION" => Some("eu".to_owned()),
        _ => None,
    };
    let nomad = NomadClientBuilder::from_lookup(env)
        .unwrap()
        .address("http://10.0.0.7:4646")
        .token("builder-token")
        .namespace("atala-testnet")
        .timeout(Duration::from_secs(7))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let cfg = nomad.http().config();
    assert_eq!(cfg.address.as_str(), "http://10.0.0.7:4646/");
    assert_eq!(cfg.token.as_ref().unwrap().expose(), "builder-token");
    assert_eq!(cfg.token_header, "X-Nomad-Token");
    assert_eq!(cfg.timeout, Duration::from_secs(7));
    assert_eq!(cfg.retry, RetryPolicy::disabled());
    assert_eq!(nomad.namespace(), Some("atala-testnet"));
    assert_eq!(nomad.region(), Some("eu"), "a setting the builder leaves alone keeps the environment's value");

    // A blank token sends none, as a blank NOMAD_TOKEN does; config() keeps namespace and region.
    let config = client_core::ClientConfig::new("http://127.0.0.1:1", "X-Other").unwrap();
    let nomad = NomadClient::builder().region("us").token("  ").config(config).build().unwrap();
    assert_eq!(nomad.http().config().token_header, "X-Nomad-Token");
    assert_eq!(nomad.http().config().address.as_str(), "http://127.0.0.1:1/");
    assert_eq!(nomad.region(), Some("us"));
    let nomad = NomadClient::builder().token("  ").build().unwrap();
    assert!(nomad.http().config().token.is_none());
    assert_eq!(nomad.http().config().address.as_str(), "http://127.0.0.1:4646/");
}

#[test]
fn builder_refuses_bad_settings_by_name() {
    let err = NomadClient::builder().address("nomad.example:4646").build().unwrap_err();
    assert!(err.to_string().contains("address"), "{err}");
    let err = NomadClient::builder().namespace("").build().unwrap_err();
    assert!(err.to_string().contains("namespace"), "{err}");
    let err = NomadClient::builder().region("eu\n1").build().unwrap_err();
    assert!(err.to_string().contains("region"), "{err}");
    let err = NomadClientBuilder::from_lookup(|n| (n == "NOMAD_NAMESPACE").then(|| "a\u{0}b".to_owned())).unwrap_err();
    assert!(err.to_string().contains("NOMAD_NAMESPACE"), "{err}");
    let socket = NomadClient::builder().address("unix:///run/nomad.sock").build().unwrap();
    assert!(socket.http().config().unix_socket.is_some());
    let builder = NomadClient::builder().token("s3cr3t-builder-token");
    assert!(!format!("{builder:?}").contains("s3cr3t-builder-token"), "the token never shows in Debug");
}

#[tokio::test]
async fn copies_share_the_pool_and_change_one_default() {
    let base = NomadClient::builder().token("base-token").namespace("a").region("eu").build().unwrap();
    let other = base.with_token("other-token").with_namespace("b").unwrap().with_region("us").unwrap();
    assert_eq!(base.http().config().token.as_ref().unwrap().expose(), "base-token");
    assert_eq!(other.http().config().token.as_ref().unwrap().expose(), "other-token");
    assert_eq!((base.namespace(), base.region()), (Some("a"), Some("eu")));
    assert_eq!((other.namespace(), other.region()), (Some("b"), Some("us")));
}

#[tokio::test]
async fn namespaces_list_read_create_delete() {
    let (server, nomad) = server().await;
    // Namespace endpoints are global: the client's default namespace is not sent.
    Mock::given(method("GET"))
        .and(path("/v1/namespaces"))
        .and(query_is(&[]))
        .and(token())
        .respond_with(ok("namespaces-list.json", 10))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/namespace/atala-testnet"))
        .and(query_is(&[]))
        .and(token())
        .respond_with(ok("namespace-read.json", 10))
        .expect(2) // read, and delete checks the namespace exists
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/namespace/atala-testnet"))
        .and(query_is(&[]))
        .and(token())
        .and(body_json(json_fixture("namespace-create.request.json")))
        .respond_with(ResponseTemplate::new(200).insert_header("X-Nomad-Index", "10"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/namespace/atala-testnet"))
        .and(token())
        .respond_with(text(500, "namespace-delete-nonempty.txt"))
        .expect(1)
        .mount(&server)
        .await;
    let namespaces = nomad.namespaces();
    let names: Vec<_> =
        namespaces.list(&QueryOptions::new()).await.unwrap().value.into_iter().map(|n| n.name).collect();
    assert_eq!(names, ["atala-testnet", "default"]);
    let ns = namespaces.get(NS, &QueryOptions::new()).await.unwrap();
    assert_eq!((ns.value.description.as_str(), ns.meta.last_index), ("Atala PRISM testnet databases", 10));
    namespaces.create(NS, "Atala PRISM testnet databases", &WriteOptions::new()).await.unwrap();
    let err = namespaces.delete(NS, &WriteOptions::new()).await.unwrap_err().to_string();
    assert!(err.contains("has non-terminal jobs"), "{err}");
}

#[tokio::test]
async fn deleting_a_missing_namespace_is_not_found() {
    // Row 187: Nomad answers 200 with no body to deleting a namespace that does not exist.
    let (server, nomad) = server().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/namespace/does-not-exist"))
        .respond_with(ResponseTemplate::new(200).insert_header("X-Nomad-Index", "28"))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/namespace/does-not-exist"))
        .respond_with(text(404, "namespace-read-missing.txt"))
        .mount(&server)
        .await;
    let err = nomad.namespaces().delete("does-not-exist", &WriteOptions::new()).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.to_string(), "namespace \"does-not-exist\" was not found");
}

#[tokio::test]
async fn nodes_list_read_allocations() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/nodes"))
        .and(query_is(&[("resources", "true")]))
        .and(token())
        .respond_with(ok("nodes-list.json", 9))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/node/{NODE}")))
        .and(query_is(&[]))
        .and(token())
        .respond_with(ok("node-read.json", 9))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/node/{NODE}/allocations")))
        .and(token())
        .respond_with(ok("node-allocations.json", 25))
        .expect(1)
        .mount(&server)
        .await;
    let nodes = nomad.nodes().list_with_resources(&QueryOptions::new()).await.unwrap().value;
    assert_eq!(nodes.len(), 1);
    assert_eq!((nodes[0].name.as_str(), &nodes[0].status, nodes[0].is_down()), ("node-1", &NodeStatus::Ready, false));
    assert!(nodes[0].extra.contains_key("NodeResources"));
    let node = nomad.nodes().get(NODE, &QueryOptions::new()).await.unwrap().value;
    assert_eq!(node.scheduling_eligibility, SchedulingEligibility::Eligible);
    assert_eq!(node.attributes.as_ref().unwrap()["nomad.version"], "1.1.2");
    // The recorded node has an empty SecretID; a real one must never show in Debug output.
    let mut with_secret = json_fixture("node-read.json");
    with_secret["SecretID"] = json!("5e1f6a2c-node-secret");
    let node: nomad_client::Node = serde_json::from_value(with_secret).unwrap();
    assert!(!format!("{node:?}").contains("node-secret"));
    let allocs = nomad.nodes().allocations(NODE, &QueryOptions::new()).await.unwrap().value;
    assert_eq!(allocs.len(), 2);
}

#[tokio::test]
async fn node_drain_cancel_eligibility_purge() {
    let (server, nomad) = server().await;
    let post = |sub: &str, body: serde_json::Value, file: &str, index: u64| {
        Mock::given(method("POST"))
            .and(path(format!("/v1/node/{NODE}/{sub}")))
            .and(query_is(&[]))
            .and(token())
            .and(body_json(body))
            .respond_with(ok(file, index))
            .expect(1)
    };
    post("drain", json_fixture("node-drain-enable.request.json"), "node-drain-enable.json", 72).mount(&server).await;
    post("drain", json_fixture("node-drain-disable.request.json"), "node-drain-disable.json", 79).mount(&server).await;
    post("eligibility", json_fixture("node-eligibility-eligible.request.json"), "node-eligibility-eligible.json", 67)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/node/{NODE}/purge")))
        .and(query_is(&[]))
        .and(token())
        .respond_with(ok("node-purge-ready.json", 43))
        .expect(1)
        .mount(&server)
        .await;
    let nodes = nomad.nodes();
    let w = WriteOptions::new();
    let drain = DrainOptions {
        deadline: Some(Duration::from_secs(15)),
        meta: [("message".to_owned(), "maintenance".to_owned())].into(),
        ..DrainOptions::default()
    };
    assert_eq!(nodes.drain(NODE, &drain).await.unwrap().node_modify_index, 72);
    let cancelled = nodes.cancel_drain(NODE, true, &w).await.unwrap();
    assert_eq!(cancelled.eval_ids.unwrap().len(), 3);
    assert_eq!(nodes.set_eligibility(NODE, true, &w).await.unwrap().eval_create_index, 68);
    // NODE is ready in the recordings: purging it must be asked for explicitly.
    let purged = nodes.purge_with(NODE, &PurgeOptions::new().even_if_not_down()).await.unwrap();
    assert_eq!(purged.eval_ids.unwrap()[0], "0b398d56-77e2-90c2-ff7b-c27b3cf11ab0");
}

/// The node of rows 174-206 (the fresh dev agent).
const FRESH_NODE: &str = "076c2a89-64e3-87d0-80b1-9a234c561b61";

/// Serves `GET /v1/node/FRESH_NODE` with the recorded ready node (row 202), its status set to `status`.
async fn mount_fresh_node(server: &wiremock::MockServer, status: &str) {
    let mut node = json_fixture("node-read-right-after-purge.json");
    node["Status"] = json!(status);
    Mock::given(method("GET"))
        .and(path(format!("/v1/node/{FRESH_NODE}")))
        .respond_with(ok("node-read-right-after-purge.json", 50).set_body_json(node))
        .mount(server)
        .await;
}

/// Expects `times` purges of FRESH_NODE, answered as recorded (row 201).
async fn expect_purge(server: &wiremock::MockServer, times: u64) {
    Mock::given(method("POST"))
        .and(path(format!("/v1/node/{FRESH_NODE}/purge")))
        .respond_with(ok("node-purge-ready.json", 43))
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn purging_a_ready_node_is_refused_unless_asked_explicitly() {
    // Row 201: Nomad purges a READY node (200); the live client re-registers at once
    // (rows 202-203) and its allocations are stopped as lost (row 204).
    let (server, nomad) = server().await;
    mount_fresh_node(&server, "ready").await;
    expect_purge(&server, 1).await;
    let err = nomad.nodes().purge(FRESH_NODE, &WriteOptions::new()).await.unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(FRESH_NODE) && text.contains("node-1") && text.contains("ready, not down"), "{text}");
    assert!(text.contains("even_if_not_down"), "says how to go ahead: {text}");
    let purged = nomad.nodes().purge_with(FRESH_NODE, &PurgeOptions::new().even_if_not_down()).await.unwrap();
    assert_eq!(purged.eval_ids.unwrap().len(), 3);
}

#[tokio::test]
async fn purging_a_down_node_needs_no_option() {
    let (server, nomad) = server().await;
    mount_fresh_node(&server, "down").await;
    expect_purge(&server, 1).await;
    let purged = nomad.nodes().purge(FRESH_NODE, &WriteOptions::new()).await.unwrap();
    assert_eq!(purged.node_modify_index, 43);
}

#[tokio::test]
async fn empty_or_odd_node_prefixes_are_refused_before_any_request() {
    // An empty prefix= lists every node (row 194 for allocations), so `node_purge ''`
    // matched them all; an odd one is Nomad's 500 (rows 192-193).
    let (server, nomad) = server().await;
    for (prefix, why) in [("", "must not be empty"), ("076", "odd number of hex digits")] {
        let err = nomad.nodes().list(&QueryOptions::new().prefix(prefix)).await.unwrap_err();
        assert!(matches!(err, Error::Core(client_core::Error::InvalidInput { .. })), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("node ID prefix") && text.contains(why), "{text}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn missing_node_is_not_found() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/node/{NODE}/purge")))
        .respond_with(text(404, "error-node-not-found.txt"))
        .mount(&server)
        .await;
    let err = nomad.nodes().purge(NODE, &WriteOptions::new()).await.unwrap_err();
    assert_eq!(err.to_string(), format!("node \"{NODE}\" was not found"));
}

#[tokio::test]
async fn deployments_and_evaluations() {
    let (server, nomad) = server().await;
    let deployment = "9dd9b9f2-398e-c158-eabc-af9aa840009d";
    let eval = "4f4587d3-e976-f884-892e-fea40e988895";
    for (p, file) in [
        ("/v1/deployments".to_owned(), "deployments-list.json"),
        (format!("/v1/deployment/{deployment}"), "deployment-read.json"),
        (format!("/v1/deployment/allocations/{deployment}"), "job-allocations.json"),
        ("/v1/evaluations".to_owned(), "evaluations-list.json"),
        (format!("/v1/evaluation/{eval}"), "evaluation-read.json"),
        (format!("/v1/evaluation/{eval}/allocations"), "evaluation-allocations.json"),
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_is(&[("namespace", NS)]))
            .and(token())
            .respond_with(ok(file, 28))
            .expect(1)
            .mount(&server)
            .await;
    }
    let update = ResponseTemplate::new(200).set_body_json(json!({
        "EvalID": "2f0c05d1-1d8b-3a4e-8f0e-7b1b2c9c4f6a", "EvalCreateIndex": 90, "DeploymentModifyIndex": 90, "Index": 90
    }));
    Mock::given(method("POST"))
        .and(path(format!("/v1/deployment/promote/{deployment}")))
        .and(token())
        .and(body_json(json!({ "DeploymentID": deployment, "All": true })))
        .respond_with(update.clone())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/deployment/fail/{deployment}")))
        .and(token())
        .and(body_json(json!({ "DeploymentID": deployment })))
        .respond_with(update)
        .expect(1)
        .mount(&server)
        .await;
    let q = QueryOptions::new();
    let w = WriteOptions::new();
    assert_eq!(nomad.deployments().list(&q).await.unwrap().value[0].id, deployment);
    let d = nomad.deployments().get(deployment, &q).await.unwrap().value;
    assert_eq!((d.job_id.as_str(), d.job_version, &d.status), ("dbHA1", 1, &DeploymentStatus::Successful));
    assert_eq!(nomad.deployments().allocations(deployment, &q).await.unwrap().value.len(), 2);
    assert_eq!(nomad.deployments().promote(deployment, &[], &w).await.unwrap().index, 90);
    assert_eq!(nomad.deployments().fail(deployment, &w).await.unwrap().eval_create_index, 90);
    assert_eq!(nomad.evaluations().list(&q).await.unwrap().value.len(), 4);
    let e = nomad.evaluations().get(eval, &q).await.unwrap().value;
    assert_eq!((e.triggered_by.as_str(), &e.status), ("deployment-watcher", &EvaluationStatus::Complete));
    assert!(nomad.evaluations().allocations(eval, &q).await.unwrap().value.is_empty());
}

#[tokio::test]
async fn acl_agent_status_system() {
    let (server, nomad) = server().await;
    for (p, file) in [
        ("/v1/acl/token/self", "acl-token-self.json"),
        ("/v1/agent/self", "agent-self.json"),
        ("/v1/agent/members", "agent-members.json"),
        ("/v1/status/leader", "status-leader.json"),
        ("/v1/status/peers", "status-peers.json"),
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_is(&[]))
            .and(token())
            .respond_with(ok(file, 16))
            .expect(1)
            .mount(&server)
            .await;
    }
    for p in ["/v1/system/gc", "/v1/system/reconcile/summaries"] {
        Mock::given(method("PUT"))
            .and(path(p))
            .and(query_is(&[]))
            .and(token())
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(&server)
            .await;
    }
    let me = nomad.acl().token_self(&QueryOptions::new()).await.unwrap();
    assert_eq!((me.name.as_str(), me.token_type.as_str()), ("Bootstrap Token", "management"));
    assert_eq!(me.secret_id.expose(), TOKEN);
    assert!(!format!("{me:?}").contains(TOKEN), "the token secret must not show in Debug output");
    let agent = nomad.agent().self_info().await.unwrap();
    assert_eq!(agent.member.unwrap().tags["build"], "1.1.2");
    let members = nomad.agent().members().await.unwrap();
    assert_eq!((members.server_region.as_str(), members.members[0].status.as_str()), ("global", "alive"));
    assert_eq!(nomad.status().leader().await.unwrap(), "127.0.0.1:4647");
    assert_eq!(nomad.status().peers().await.unwrap(), ["127.0.0.1:4647"]);
    nomad.system().gc(&WriteOptions::new()).await.unwrap();
    nomad.system().reconcile_summaries(&WriteOptions::new()).await.unwrap();
}

#[tokio::test]
async fn revoked_token_is_a_clear_error() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/acl/token/self"))
        .respond_with(text(404, "acl-token-self-vault-revoked.txt"))
        .mount(&server)
        .await;
    let err = nomad.acl().token_self(&QueryOptions::new()).await.unwrap_err();
    assert!(matches!(err, Error::Token { .. }) && !err.is_not_found(), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the Nomad ACL token does not work: Nomad does not know it: it was revoked, deleted or never issued (HTTP 404)"
    );
}

#[tokio::test]
async fn token_problems_are_token_errors_never_not_found() {
    // Rows 198-200 (ACL agent): a malformed token and no token are 500s on 1.1.2, a
    // well-formed unknown one is a 404; a refused one is a 403.
    let (server, nomad) = server().await;
    let unknown = "3f1c2a9e-7b4d-4e8a-9c61-2d5f8b0e4a17";
    let self_path = || Mock::given(method("GET")).and(path("/v1/acl/token/self"));
    self_path()
        .and(wiremock::matchers::header(nomad_client::TOKEN_HEADER, unknown))
        .respond_with(text(404, "acl-token-self-unknown-token.txt"))
        .mount(&server)
        .await;
    self_path()
        .and(wiremock::matchers::header(nomad_client::TOKEN_HEADER, "not-a-uuid"))
        .respond_with(text(500, "acl-token-self-malformed-token.txt"))
        .mount(&server)
        .await;
    self_path().and(token()).respond_with(text(403, "acl-403-jobs-no-token.txt")).mount(&server).await;
    self_path().respond_with(text(500, "acl-token-self-empty-token-header.txt")).mount(&server).await;
    let acl = nomad.acl();
    let no_token = NomadClient::builder().address(&server.uri()).build().unwrap();
    let cases = [
        (acl.token_self(&QueryOptions::new().token(unknown)).await, "does not know it"),
        (acl.token_self(&QueryOptions::new()).await, "refused it (HTTP 403: Permission denied)"),
        (acl.token_self(&QueryOptions::new().token("not-a-uuid")).await, "not a Nomad secret ID"),
        (no_token.acl().token_self(&QueryOptions::new()).await, "no token is set"),
    ];
    for (result, why) in cases {
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Token { .. }) && !err.is_not_found(), "{err:?}");
        let text = format!("{err} {err:?}");
        assert!(text.contains(why) && !text.contains(unknown) && !text.contains("not-a-uuid"), "{text}");
    }
    // The malformed and the missing token were refused before sending.
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}
