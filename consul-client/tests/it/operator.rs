//! Operator: Raft peers, autopilot and the gossip keyring, on real agents
//! (the keyring on one started with `-encrypt`) and on wiremock for a
//! cluster of several servers the sandbox does not start.

use base64::Engine as _;
use consul_client::{ConsulClient, Error, QueryOptions, RaftPeer, Secret, WriteOptions};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{FIXTURES, consul_or_skip};

fn w() -> WriteOptions {
    WriteOptions::default()
}

fn refused(err: &Error) -> bool {
    matches!(err, Error::Core(client_core::Error::InvalidInput { .. }))
}

#[tokio::test]
async fn removing_the_only_server_or_an_unknown_peer_is_refused_on_the_real_agent() {
    let consul = consul_or_skip!();
    let op = consul.operator();
    let config = op.raft_configuration(&QueryOptions::default()).await.unwrap();
    let only = &config.servers[0];
    let by_address = op.raft_remove_peer(RaftPeer::Address(&only.address), &w()).await.unwrap_err();
    assert!(refused(&by_address) && by_address.to_string().contains("the only server"), "{by_address}");
    let by_id = op.raft_remove_peer(RaftPeer::Id(&only.id), &w()).await.unwrap_err();
    assert!(by_id.to_string().contains("the only server"), "{by_id}");
    let unknown = op.raft_remove_peer(RaftPeer::Address("10.255.0.1:8300"), &w()).await.unwrap_err();
    assert!(
        unknown.to_string().contains("is not in the Raft configuration") && unknown.to_string().contains(&only.address),
        "{unknown}"
    );
    assert_eq!(op.raft_configuration(&QueryOptions::default()).await.unwrap().servers.len(), 1, "still there");
    let bad = op.raft_remove_peer(RaftPeer::Address("10.0.0.1"), &w()).await.unwrap_err();
    assert!(bad.to_string().contains("must be ip:port"), "{bad}");
    assert!(refused(&op.raft_remove_peer(RaftPeer::Id("node-1"), &w()).await.unwrap_err()));
}

fn three_servers(voters: [bool; 3]) -> serde_json::Value {
    let server = |i: usize| {
        serde_json::json!({
            "ID": format!("00000000-0000-4000-8000-00000000000{i}"), "Node": format!("server-{i}"),
            "Address": format!("10.0.0.{i}:8300"), "Leader": i == 1, "ProtocolVersion": "3", "Voter": voters[i - 1]
        })
    };
    serde_json::json!({"Servers": [server(1), server(2), server(3)], "Index": 7})
}

async fn mock_cluster(voters: [bool; 3]) -> (MockServer, ConsulClient) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/operator/raft/configuration"))
        .and(query_param("stale", ""))
        .respond_with(ResponseTemplate::new(200).set_body_json(three_servers(voters)))
        .mount(&server)
        .await;
    let consul = ConsulClient::builder().address(&server.uri()).build().unwrap();
    (server, consul)
}

#[tokio::test]
async fn remove_peer_sends_exactly_the_peer_it_checked() {
    let (server, consul) = mock_cluster([true, true, true]).await;
    Mock::given(method("DELETE"))
        .and(path("/v1/operator/raft/peer"))
        .and(query_param("id", "00000000-0000-4000-8000-000000000003"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/operator/raft/peer"))
        .and(query_param("address", "10.0.0.2:8300"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let removed = consul.operator().raft_remove_peer(RaftPeer::Id("00000000-0000-4000-8000-000000000003"), &w()).await;
    assert_eq!(removed.unwrap().node, "server-3");
    let removed = consul.operator().raft_remove_peer(RaftPeer::Address("10.0.0.2:8300"), &w()).await.unwrap();
    assert_eq!(removed.id, "00000000-0000-4000-8000-000000000002");
}

#[tokio::test]
async fn the_last_voter_is_never_removed() {
    let (server, consul) = mock_cluster([true, false, false]).await;
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;
    let err = consul.operator().raft_remove_peer(RaftPeer::Address("10.0.0.1:8300"), &w()).await.unwrap_err();
    assert!(refused(&err) && err.to_string().contains("the only voter left"), "{err}");
    // The refusal came from the configuration read alone: no DELETE was sent.
    let sent = server.received_requests().await.unwrap();
    assert!(sent.iter().all(|r| r.method.as_str() == "GET"), "only the configuration was read");
}

#[tokio::test]
async fn autopilot_configuration_set_with_cas() {
    let consul = consul_or_skip!();
    let op = consul.operator();
    let read = op.autopilot_configuration(&QueryOptions::default()).await.unwrap();
    let original = read.value.clone();
    assert_eq!(original.last_contact_threshold, "200ms");
    let mut changed = original.clone();
    changed.max_trailing_logs = original.max_trailing_logs + 17;
    assert!(
        !op.autopilot_set_configuration(&changed, Some(original.modify_index + 1000), &w()).await.unwrap(),
        "a stale CAS is refused"
    );
    assert!(op.autopilot_set_configuration(&changed, Some(original.modify_index), &w()).await.unwrap());
    let now = op.autopilot_configuration(&QueryOptions::default()).await.unwrap().value;
    assert_eq!(now.max_trailing_logs, original.max_trailing_logs + 17);
    assert!(now.modify_index > original.modify_index);
    assert!(!op.autopilot_set_configuration(&original, Some(original.modify_index), &w()).await.unwrap(), "used CAS");
    assert!(op.autopilot_set_configuration(&original, None, &w()).await.unwrap());
}

fn keygen() -> Secret {
    let mut key = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key).unwrap();
    Secret::new(base64::engine::general_purpose::STANDARD.encode(key))
}

#[tokio::test]
async fn keyring_install_use_and_remove_refusing_the_key_in_use() {
    let first = keygen();
    let started = sandbox::Consul::start_encrypted(first.expose());
    let Some((_agent, consul)) = crate::common::own_consul(started, "Consul with gossip encryption") else { return };
    let op = consul.operator();
    let q = QueryOptions::default();
    let pools = op.keyring_list(&q).await.unwrap();
    assert_eq!(pools.len(), 2, "the WAN and the LAN pool: {pools:?}");
    assert!(pools.iter().all(|p| p.is_primary(&first) && p.keys.len() == 1));
    assert!(!format!("{pools:?}").contains(first.expose()), "keys never show in Debug");

    let in_use = op.keyring_remove(&first, &w()).await.unwrap_err();
    assert!(refused(&in_use) && in_use.to_string().contains("primary key in use"), "{in_use}");
    assert!(!in_use.to_string().contains(first.expose()), "the key stays out of the error");

    let second = keygen();
    let not_installed = op.keyring_use(&second, &w()).await.unwrap_err();
    assert!(not_installed.to_string().contains("install it first"), "{not_installed}");
    op.keyring_install(&second, &w()).await.unwrap();
    assert!(op.keyring_list(&q).await.unwrap().iter().all(|p| p.has_key(&second) && p.is_primary(&first)));
    op.keyring_use(&second, &w()).await.unwrap();
    let pools = op.keyring_list(&q).await.unwrap();
    assert!(pools.iter().all(|p| p.is_primary(&second) && !p.is_primary(&first)));
    op.keyring_remove(&first, &w()).await.unwrap();
    let pools = op.keyring_list(&q).await.unwrap();
    assert!(pools.iter().all(|p| !p.has_key(&first) && p.keys.len() == 1));

    let gone = op.keyring_remove(&first, &w()).await.unwrap_err();
    assert!(gone.to_string().contains("not installed on any node"), "{gone}");
    let bad = op.keyring_install(&Secret::new("not-base64!"), &w()).await.unwrap_err();
    assert!(
        refused(&bad) && bad.to_string().contains("consul keygen") && !bad.to_string().contains("not-base64"),
        "{bad}"
    );
}

/// A shape from `tests/fixtures/consul-docs/` (see its README).
fn docs(name: &str) -> ResponseTemplate {
    FIXTURES.json_response(200, &format!("consul-docs/{name}"))
}

fn unsupported(err: &Error, version: &str) -> bool {
    matches!(err, Error::Unsupported { .. })
        && err.to_string().contains("not available in this Consul version")
        && err.to_string().contains(&format!("needs Consul {version} or newer"))
}

#[tokio::test]
async fn endpoints_newer_than_the_real_1_8_agent_say_so() {
    let consul = consul_or_skip!();
    let op = consul.operator();
    let state = op.autopilot_state(&QueryOptions::default()).await.unwrap_err();
    assert!(unsupported(&state, "1.9"), "{state}");
    let usage = op.usage(false, &QueryOptions::default()).await.unwrap_err();
    assert!(unsupported(&usage, "1.11"), "{usage}");
    // A single server has nobody to hand leadership to: refused before sending.
    let transfer = op.raft_transfer_leader(None, &w()).await.unwrap_err();
    assert!(refused(&transfer) && transfer.to_string().contains("needs another voting server"), "{transfer}");
    let leader = op.raft_configuration(&QueryOptions::default()).await.unwrap().servers[0].id.clone();
    let to_itself = op.raft_transfer_leader(Some(&leader), &w()).await.unwrap_err();
    assert!(to_itself.to_string().contains("already the leader"), "{to_itself}");
}

#[tokio::test]
async fn transfer_leader_sends_the_checked_target_and_reads_the_answer() {
    let (server, consul) = mock_cluster([true, true, false]).await;
    let op = consul.operator();
    Mock::given(method("POST"))
        .and(path("/v1/operator/raft/transfer-leader"))
        .and(query_param("id", "00000000-0000-4000-8000-000000000002"))
        .respond_with(docs("operator-raft-transfer-leader.docs.json"))
        .expect(1)
        .mount(&server)
        .await;
    op.raft_transfer_leader(Some("00000000-0000-4000-8000-000000000002"), &w()).await.unwrap();
    let non_voter = op.raft_transfer_leader(Some("00000000-0000-4000-8000-000000000003"), &w()).await.unwrap_err();
    assert!(refused(&non_voter) && non_voter.to_string().contains("does not vote"), "{non_voter}");
    let unknown = op.raft_transfer_leader(Some("00000000-0000-4000-8000-000000000009"), &w()).await.unwrap_err();
    assert!(unknown.to_string().contains("is not in the Raft configuration"), "{unknown}");
    for bad in ["", "..", "a/b", "%2F", "server-2"] {
        let err = op.raft_transfer_leader(Some(bad), &w()).await.unwrap_err();
        assert!(refused(&err) && err.to_string().contains("must be a UUID"), "{bad:?}: {err}");
    }
    server.verify().await;
}

#[tokio::test]
async fn transfer_leader_reports_a_refusal_and_an_older_server() {
    let (server, consul) = mock_cluster([true, true, true]).await;
    Mock::given(method("POST"))
        .and(path("/v1/operator/raft/transfer-leader"))
        .and(wiremock::matchers::query_param_is_missing("id"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"Success": false})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let refused_by_consul = consul.operator().raft_transfer_leader(None, &w()).await.unwrap_err();
    assert!(matches!(refused_by_consul, Error::NotApplied { .. }), "{refused_by_consul}");
    Mock::given(method("POST"))
        .and(path("/v1/operator/raft/transfer-leader"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let old = consul.operator().raft_transfer_leader(None, &w()).await.unwrap_err();
    assert!(unsupported(&old, "1.15"), "{old}");
}

#[tokio::test]
async fn autopilot_state_and_usage_decode_the_documented_shapes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/operator/autopilot/state"))
        .respond_with(docs("operator-autopilot-state.docs.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/operator/usage"))
        .and(query_param("global", ""))
        .respond_with(docs("operator-usage-enterprise.docs.json").insert_header("X-Consul-Index", "13"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/operator/usage"))
        .and(wiremock::matchers::query_param_is_missing("global"))
        .respond_with(docs("operator-usage.docs.json"))
        .mount(&server)
        .await;
    let consul = ConsulClient::builder().address(&server.uri()).build().unwrap();
    let op = consul.operator();

    let state = op.autopilot_state(&QueryOptions::default()).await.unwrap();
    assert!(state.healthy);
    assert_eq!((state.failure_tolerance, state.optimistic_failure_tolerance), (1, 4));
    assert_eq!(state.servers.len(), 5);
    assert_eq!(state.leader, "5e26a3af-f4fc-4104-a8bb-4da9f19cb278");
    assert!(state.voters.contains(&state.leader) && state.servers.contains_key(&state.leader));
    assert_eq!(state.read_replicas.len(), 2);
    assert_eq!(state.redundancy_zones.keys().collect::<Vec<_>>(), ["az1", "az2", "az3"]);
    assert!(state.upgrade.is_some());

    let one: consul_client::AutopilotServerState =
        serde_json::from_value(FIXTURES.json("consul-docs/operator-autopilot-state-server.docs.json")).unwrap();
    assert_eq!((one.name.as_str(), one.status.as_str(), one.last_index), ("node1", "voter", 42));
    assert_eq!(one.meta.get("zone").map(String::as_str), Some("az1"));
    let zone: consul_client::AutopilotZone =
        serde_json::from_value(FIXTURES.json("consul-docs/operator-autopilot-state-zone.docs.json")).unwrap();
    assert_eq!((zone.servers.len(), zone.voters.len(), zone.failure_tolerance), (2, 1, 1));
    let upgrade: consul_client::AutopilotUpgrade =
        serde_json::from_value(FIXTURES.json("consul-docs/operator-autopilot-state-upgrade.docs.json")).unwrap();
    assert_eq!((upgrade.target_version.as_str(), upgrade.other_version_voters.len()), ("1.9.1+ent", 3));

    let local = op.usage(false, &QueryOptions::default()).await.unwrap().value;
    let dc1 = &local.usage["dc1"];
    assert_eq!((dc1.services, dc1.service_instances, dc1.connect_service_instances.len()), (1, 1, 5));
    assert!(dc1.partition_namespace_services.is_empty(), "OSS has no partition counts");
    let global = op.usage(true, &QueryOptions::default()).await.unwrap();
    assert_eq!(global.meta.last_index, 13);
    let dc1 = &global.value.usage["dc1"];
    assert_eq!(dc1.partition_namespace_service_instances["default"]["default"], 1);
    assert_eq!(dc1.partition_namespace_connect_service_instances["default"]["default"]["connect-proxy"], 0);
}
