//! Operator: Raft peers, autopilot and the gossip keyring, on real agents
//! (the keyring on one started with `-encrypt`) and on wiremock for a
//! cluster of several servers the sandbox does not start.

use base64::Engine as _;
use consul_client::{ConsulClient, Error, QueryOptions, RaftPeer, Secret, WriteOptions};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::consul_or_skip;

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
