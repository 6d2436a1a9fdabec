//! Status and operator endpoints against the real Consul.

use consul_client::QueryOptions;

use crate::common::consul_or_skip;

#[tokio::test]
async fn leader_peers_raft_and_autopilot() {
    let consul = consul_or_skip!();
    let leader = consul.status().leader().await.unwrap().expect("the dev agent leads");
    assert_eq!(consul.status().peers().await.unwrap(), vec![leader.clone()]);
    let raft = consul.operator().raft_configuration(&QueryOptions::default()).await.unwrap();
    let raft_leader = raft.leader().expect("a leader");
    assert_eq!(raft_leader.address, leader);
    assert!(raft_leader.voter);
    let stale = QueryOptions::new().stale();
    assert_eq!(consul.operator().raft_configuration(&stale).await.unwrap().servers.len(), 1);
    // A fresh server has no autopilot report yet (no servers, answered with
    // 429) until autopilot's first health pass: both shapes decode; wait for
    // the full one.
    let mut health = consul.operator().autopilot_health(&QueryOptions::default()).await.unwrap();
    for _ in 0..150 {
        if !health.servers.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        health = consul.operator().autopilot_health(&QueryOptions::default()).await.unwrap();
    }
    assert_eq!(health.servers.len(), 1, "{health:?}");
    assert!(health.servers[0].leader && health.servers[0].serf_status == "alive", "{health:?}");
    assert!(consul.catalog().datacenters().await.unwrap().contains(&"dc1".to_owned()));
}

#[tokio::test]
async fn acl_endpoints_say_when_acls_are_disabled() {
    let consul = consul_or_skip!();
    let err = consul.acl().token_self(&QueryOptions::default()).await.unwrap_err();
    assert!(matches!(err, consul_client::Error::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("ACLs are disabled"), "{err}");
}
