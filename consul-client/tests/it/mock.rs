//! What the real agent cannot show (ACLs, server errors, dropped connections,
//! newer shapes), served by wiremock from recorded fixtures.

use std::time::Duration;

use client_core::{ClientConfig, RetryPolicy};
use consul_client::ClientError as _;
use consul_client::{
    ConsulClient, Error, MemberStatus, PutOptions, QueryOptions, ServiceHealthOptions, TxnOp, WatchOptions,
};
use futures::StreamExt;
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::FIXTURES;

fn client(server: &MockServer) -> ConsulClient {
    let config = ClientConfig::new(&server.uri(), "X-Consul-Token").unwrap().with_retry(RetryPolicy::disabled());
    ConsulClient::new(config).unwrap()
}

#[tokio::test]
async fn permission_denied_carries_the_server_message() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/kv/service/dbHA1/config"))
        .respond_with(FIXTURES.text_response(403, "acl-403-kv-get-no-token.txt"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).kv().get("service/dbHA1/config", &QueryOptions::default()).await.unwrap_err();
    assert!(err.is_permission_denied());
    assert_eq!(err.to_string(), "GET /v1/kv/service/dbHA1/config failed with HTTP 403: Permission denied");
}

#[tokio::test]
async fn server_error_body_is_in_the_error() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/v1/kv/service/dbHA1/x"))
        .respond_with(FIXTURES.text_response(500, "kv-put-bad-flags.txt"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).kv().put("service/dbHA1/x", b"v", &PutOptions::default()).await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert!(err.to_string().contains(FIXTURES.text("kv-put-bad-flags.txt").trim()), "{err}");
}

#[tokio::test]
async fn dropped_connection_is_a_transport_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            drop(socket); // close without answering
        }
    });
    let config =
        ClientConfig::new(&format!("http://{addr}"), "X-Consul-Token").unwrap().with_retry(RetryPolicy::disabled());
    let err = ConsulClient::new(config).unwrap().status().leader().await.unwrap_err();
    assert!(matches!(err, Error::Core(client_core::Error::Transport { .. })), "{err}");
    assert!(err.to_string().contains("/v1/status/leader"), "{err}");
    acceptor.abort();
}

#[tokio::test]
async fn unknown_fields_are_ignored_and_values_decoded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/kv/service/dbHA1/config"))
        .and(query_param("dc", "dc2"))
        .and(query_param("stale", ""))
        .and(query_param("index", "74"))
        .and(query_param("wait", "2000ms"))
        .and(header("X-Consul-Token", "per-request"))
        .respond_with(
            FIXTURES.json_response(200, "derived-kv-get-unknown-fields.json").insert_header("X-Consul-Index", "75"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let opts = QueryOptions::new().datacenter("dc2").stale().blocking(74, Duration::from_secs(2)).token("per-request");
    let read = client(&server).kv().get("service/dbHA1/config", &opts).await.unwrap();
    assert_eq!(read.meta.last_index, 75);
    let pair = read.value.unwrap();
    assert_eq!(pair.value_str(), Some(r#"{"ttl":30,"loop_wait":10}"#));
    assert_eq!((pair.create_index, pair.modify_index, pair.flags), (75, 75, 0));
}

#[tokio::test]
async fn newer_agent_service_shape_decodes_and_ghosts_are_recognisable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/agent/services"))
        .respond_with(FIXTURES.json_response(200, "derived-newer-agent-services.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/catalog/service/atala-testnet-database"))
        .respond_with(FIXTURES.json_response(200, "ghost-4-nomad-gone-65s-catalog-service.json"))
        .mount(&server)
        .await;
    let consul = client(&server);
    let services = consul.agent().services(&QueryOptions::default()).await.unwrap();
    let ghost = services.values().find(|s| s.id.starts_with("_nomad-task-")).expect("the ghost is listed");
    assert_eq!(ghost.service, "atala-testnet-database");
    assert_eq!(ghost.datacenter.as_deref(), Some("dc1"));
    assert_eq!(ghost.namespace.as_deref(), Some("default"));
    let catalog = consul.catalog().service("atala-testnet-database", None, &QueryOptions::default()).await.unwrap();
    assert_eq!(catalog.value[0].node, "node-1");
    assert!(catalog.value[0].service_id.starts_with("_nomad-task-eae4d4fa-"));
}

#[tokio::test]
async fn acl_token_self_read_and_policies() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/acl/token/self"))
        .and(header("X-Consul-Token", "b1gs3cr3t-0000-4000-8000-000000000001"))
        .respond_with(FIXTURES.json_response(200, "acl-token-self.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/acl/token/self"))
        .and(header("X-Consul-Token", "bogus"))
        .respond_with(FIXTURES.text_response(403, "acl-token-self-no-token.txt"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/acl/token/5cacf7ac-4e73-14c9-ece3-45cb7aeafeab"))
        .respond_with(FIXTURES.json_response(200, "acl-token-read.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/acl/policies"))
        .respond_with(FIXTURES.json_response(200, "acl-policies-list.json"))
        .mount(&server)
        .await;

    let consul = client(&server).with_token("b1gs3cr3t-0000-4000-8000-000000000001");
    let acl = consul.acl();
    let me = acl.token_self(&QueryOptions::default()).await.unwrap().value;
    assert_eq!(me.description, "Master Token");
    assert_eq!(me.policies[0].name, "global-management");
    assert_eq!(me.secret_id.as_ref().unwrap().expose(), "b1gs3cr3t-0000-4000-8000-000000000001");
    assert!(!format!("{me:?}").contains("b1gs3cr3t"), "the secret never shows in Debug");

    let err = acl.token_self(&QueryOptions::new().token("bogus")).await.unwrap_err();
    assert!(err.is_permission_denied() && err.to_string().contains("ACL not found"), "{err}");

    let token = acl.token_get("5cacf7ac-4e73-14c9-ece3-45cb7aeafeab", &QueryOptions::default()).await.unwrap().value;
    assert_eq!(token.policies[0].name, "patroni-dbHA1");
    let policies = acl.policy_list(&QueryOptions::default()).await.unwrap().value;
    assert_eq!(policies.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["global-management", "patroni-dbHA1"]);
}

#[tokio::test]
async fn txn_request_body_and_rollback_decoding() {
    let server = MockServer::start().await;
    let expected: serde_json::Value = FIXTURES.json("txn-success.request.json");
    Mock::given(method("PUT"))
        .and(path("/v1/txn"))
        .and(body_json(&expected))
        .and(query_param_is_missing("dc"))
        .respond_with(FIXTURES.json_response(200, "txn-success.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/txn"))
        .and(query_param("dc", "dc9"))
        .respond_with(FIXTURES.json_response(409, "txn-failure.json"))
        .expect(1)
        .mount(&server)
        .await;
    let consul = client(&server);
    let ops = [
        TxnOp::set("service/dbHA1/optime/leader", "33554432"),
        TxnOp::cas("service/dbHA1/config", r#"{"ttl":32}"#, 82),
        TxnOp::get("service/dbHA1/members/node-1"),
    ];
    let result = consul.kv().txn(&ops, None).await.unwrap();
    assert_eq!(result.kv_pairs().nth(2).unwrap().value_str(), Some(r#"{"role":"primary"}"#));
    let err = consul.kv().txn(&ops, Some("dc9")).await.unwrap_err();
    let Error::TxnRolledBack { errors } = &err else { panic!("{err}") };
    assert_eq!(errors.len(), 2);
    assert!(errors[0].what.contains("failed index check"));
}

#[tokio::test]
async fn members_self_raft_autopilot_and_health_decode() {
    let server = MockServer::start().await;
    for (p, f) in [
        ("/v1/agent/members", "agent-members.json"),
        ("/v1/agent/self", "agent-self.json"),
        ("/v1/operator/raft/configuration", "operator-raft-configuration.json"),
        ("/v1/health/service/fake-db", "health-service-fake.json"),
        ("/v1/status/leader", "status-leader.json"),
        ("/v1/status/peers", "status-peers.json"),
    ] {
        Mock::given(method("GET")).and(path(p)).respond_with(FIXTURES.json_response(200, f)).mount(&server).await;
    }
    // An unhealthy cluster answers 429 with the same body shape.
    Mock::given(method("GET"))
        .and(path("/v1/operator/autopilot/health"))
        .respond_with(FIXTURES.json_response(429, "operator-autopilot-health.json"))
        .expect(1)
        .mount(&server)
        .await;
    let consul = client(&server);
    let members = consul.agent().members(false).await.unwrap();
    assert_eq!((members[0].name.as_str(), members[0].status), ("node-1", MemberStatus::Alive));
    assert_eq!(members[0].version(), Some("1.8.7"));
    let me = consul.agent().self_info().await.unwrap();
    assert_eq!((me.config.node_name.as_str(), me.config.version.as_str()), ("node-1", "1.8.7"));
    assert!(me.extra.contains_key("DebugConfig"), "unmodelled sections are kept");
    let raft = consul.operator().raft_configuration(&QueryOptions::default()).await.unwrap();
    assert_eq!(raft.leader().unwrap().address, "127.0.0.1:18300");
    assert_eq!(consul.operator().autopilot_health(&QueryOptions::default()).await.unwrap().servers[0].version, "1.8.7");
    let health = consul.health().service("fake-db", &ServiceHealthOptions::default(), &QueryOptions::default()).await;
    let health = health.unwrap().value;
    assert_eq!(health[0].aggregated_status(), consul_client::HealthStatus::Passing);
    assert!(health[1].checks.is_empty() && health[1].service.meta.is_empty());
    assert_eq!(consul.status().leader().await.unwrap().as_deref(), Some("127.0.0.1:18300"));
    assert_eq!(consul.status().peers().await.unwrap(), ["127.0.0.1:18300"]);
    for status in [0u8, 2, 3, 4, 9] {
        assert_eq!(MemberStatus::from_code(status).code(), status);
    }
    assert_eq!(MemberStatus::from_code(4), MemberStatus::Failed);
}

#[tokio::test]
async fn catalog_query_parameters_are_sent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/catalog/service/fake-db"))
        .and(query_param("tag", "primary"))
        .and(query_param("node-meta", "rack:r1"))
        .and(query_param("near", "_agent"))
        .and(query_param("filter", r#"ServiceMeta.cluster == "dbHA9""#))
        .and(query_param("consistent", ""))
        .respond_with(FIXTURES.json_response(200, "catalog-service.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/agent/force-leave/node-2"))
        .and(query_param("prune", "1"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/agent/force-leave/node-3"))
        .and(query_param_is_missing("prune"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/agent/maintenance"))
        .and(query_param("enable", "true"))
        .and(query_param("reason", "kernel upgrade"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let consul = client(&server);
    let opts = QueryOptions::new()
        .consistent()
        .near("_agent")
        .filter(r#"ServiceMeta.cluster == "dbHA9""#)
        .node_meta("rack", "r1");
    let services = consul.catalog().service("fake-db", Some("primary"), &opts).await.unwrap().value;
    assert_eq!(services[0].service_meta["cluster"], "dbHA9");
    consul.agent().force_leave("node-2", true).await.unwrap();
    consul.agent().force_leave("node-3", false).await.unwrap();
    consul.agent().enable_maintenance("kernel upgrade").await.unwrap();
}

#[tokio::test]
async fn watch_blocks_on_the_index_instead_of_polling() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/kv/service/dbHA1/"))
        .and(query_param("recurse", ""))
        .respond_with(FIXTURES.json_response(200, "kv-get-recurse.json").insert_header("X-Consul-Index", "78"))
        .mount(&server)
        .await;
    let consul = client(&server);
    let options = WatchOptions { wait: Duration::from_secs(5), ..WatchOptions::default() };
    let mut stream = Box::pin(consul.kv().watch_prefix("service/dbHA1/", options));
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.meta.last_index, 78);
    // This server ignores `index` and answers at once with the same index:
    // the watch yields nothing and paces itself instead of spinning.
    assert!(tokio::time::timeout(Duration::from_secs(1), stream.next()).await.is_err());
    let requests = server.received_requests().await.unwrap();
    assert!(requests.len() <= 10, "request storm: {} requests", requests.len());
    assert!(requests.len() >= 2);
    for follow_up in &requests[1..] {
        let query = follow_up.url.query().unwrap_or_default();
        assert!(query.contains("index=78") && query.contains("wait=5000ms"), "{query}");
    }
}

#[tokio::test]
async fn recorded_quirks_decode() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/kv/service/dbHA1/config"))
        .and(query_param("raw", ""))
        .respond_with(ResponseTemplate::new(200).set_body_raw(FIXTURES.text("kv-get-raw.txt"), "text/plain"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/kv/service/dbHA1/config"))
        .and(query_param_is_missing("raw"))
        .respond_with(FIXTURES.json_response(200, "kv-get.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/kv/service/dbHA1/config"))
        .and(query_param("cas", "74"))
        .respond_with(FIXTURES.json_response(200, "kv-cas-conflict.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/session/renew/00000000-0000-0000-0000-000000000000"))
        .respond_with(FIXTURES.text_response(404, "session-renew-missing.txt"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/catalog/node-services/fake-node-1"))
        .respond_with(FIXTURES.json_response(200, "catalog-node-services.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/agent/services"))
        .respond_with(FIXTURES.json_response(200, "ghost-4-nomad-gone-65s-agent-services.json"))
        .mount(&server)
        .await;
    let consul = client(&server);
    let q = QueryOptions::default();
    let raw = consul.kv().get_raw("service/dbHA1/config", &q).await.unwrap().value.unwrap();
    let decoded = consul.kv().get("service/dbHA1/config", &q).await.unwrap().value.unwrap();
    assert_eq!(decoded.value.as_deref(), Some(raw.as_slice()), "?raw and base64 JSON carry the same bytes");
    let stale = PutOptions { cas: Some(74), ..PutOptions::default() };
    assert!(!consul.kv().put("service/dbHA1/config", b"{}", &stale).await.unwrap(), "a CAS conflict is 200 false");
    let renewed = consul.sessions().renew("00000000-0000-0000-0000-000000000000", &Default::default()).await;
    assert!(renewed.unwrap().is_none(), "renewing an unknown session is 404: None");
    let node = consul.catalog().node_services("fake-node-1", &q).await.unwrap().value.unwrap();
    assert_eq!(node.services.iter().map(|s| s.port).collect::<Vec<_>>(), [5432, 5433]);
    assert!(node.services[1].meta.is_empty(), "Meta: null decodes as empty");
    let services = consul.agent().services(&q).await.unwrap();
    let own: Vec<&str> = services.keys().filter(|id| id.starts_with("_nomad-server-")).map(String::as_str).collect();
    assert_eq!(own.len(), 3, "Nomad's own registrations are there too: {services:?}");
}

#[tokio::test]
async fn the_clients_datacenter_and_namespace_apply_unless_a_request_names_its_own() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/catalog/services"))
        .and(query_param("dc", "dc2"))
        .and(query_param_is_missing("ns"))
        .and(header("X-Consul-Namespace", "team-a"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"web": []})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/catalog/services"))
        .and(query_param("dc", "dc3"))
        .and(query_param("ns", "team-b"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"db": []})))
        .expect(1)
        .mount(&server)
        .await;
    let consul = ConsulClient::builder().address(&server.uri()).datacenter("dc2").namespace("team-a").build().unwrap();
    let catalog = consul.catalog();
    assert!(catalog.services(&QueryOptions::new()).await.unwrap().value.contains_key("web"));
    let own = QueryOptions::new().datacenter("dc3").namespace("team-b");
    assert!(catalog.services(&own).await.unwrap().value.contains_key("db"));
    let err = catalog.services(&QueryOptions::new().namespace("a/b")).await.unwrap_err();
    assert!(err.to_string().contains("namespace"), "{err}");
}
