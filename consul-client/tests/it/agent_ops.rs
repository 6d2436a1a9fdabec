//! Agent operations against real agents: checks, reload, join, metrics, the
//! log monitor, token update (ACL agent) and leave (an agent of its own).

use std::time::Duration;

use consul_client::{AgentCheckRegistration, AgentTokenKind, ConsulClient, QueryOptions, Secret};
use futures::StreamExt;

use crate::common::{acl_consul_or_skip, consul_or_skip, name};

#[tokio::test]
async fn check_register_and_deregister() {
    let consul = consul_or_skip!();
    let agent = consul.agent();
    let id = name("check");
    let check = AgentCheckRegistration {
        check_id: Some(id.clone()),
        name: "it ttl check".into(),
        ttl: Some("30s".into()),
        status: Some("passing".into()),
        ..AgentCheckRegistration::default()
    };
    agent.check_register(&check).await.unwrap();
    let checks = agent.checks(&QueryOptions::default()).await.unwrap();
    let registered = checks.get(&id).expect("registered");
    assert_eq!(registered.name, "it ttl check");
    agent.check_fail(&id, Some("broken on purpose")).await.unwrap();
    assert_eq!(agent.checks(&QueryOptions::default()).await.unwrap()[&id].output, "broken on purpose");
    agent.check_deregister(&id).await.unwrap();
    assert!(!agent.checks(&QueryOptions::default()).await.unwrap().contains_key(&id));
    let nameless = AgentCheckRegistration { ttl: Some("30s".into()), ..AgentCheckRegistration::default() };
    assert!(agent.check_register(&nameless).await.unwrap_err().to_string().contains("check name"));
}

#[tokio::test]
async fn reload_is_seen_in_the_debug_log_monitor_and_metrics_read() {
    let consul = consul_or_skip!();
    let agent = consul.agent();
    let mut log = Box::pin(agent.monitor("debug").await.unwrap());
    agent.reload().await.unwrap();
    let found = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(line) = log.next().await {
            let line = line.unwrap();
            if line.contains("url=/v1/agent/reload") {
                return line;
            }
        }
        panic!("the monitor ended without the reload line");
    })
    .await
    .expect("the reload shows in the log within 15 s");
    assert!(found.contains("[DEBUG]") && found.contains("Request finished"), "{found}");
    let bad = agent.monitor("loud").await.err().expect("an unknown level is refused");
    assert!(bad.to_string().contains("must be one of"), "{bad}");

    let metrics = agent.metrics().await.unwrap();
    assert!(!metrics.timestamp.is_empty());
    assert!(
        metrics
            .gauges
            .iter()
            .chain(&metrics.samples)
            .any(|m| m["Name"].as_str().is_some_and(|n| n.starts_with("consul.")))
    );
}

#[tokio::test]
async fn join_an_unreachable_address_is_consuls_error() {
    let consul = consul_or_skip!();
    let err = consul.agent().join("127.0.0.1:1", false).await.unwrap_err();
    assert!(err.to_string().contains("127.0.0.1"), "{err}");
    assert!(consul.agent().join("a/b", false).await.unwrap_err().to_string().contains("join address"));
}

#[tokio::test]
async fn update_the_default_token_on_an_acl_agent() {
    let consul = acl_consul_or_skip!();
    let policy = consul
        .acl()
        .policy_create(
            &consul_client::AclPolicyRequest::new(name("dflt"), r#"node_prefix "" { policy = "read" }"#),
            &Default::default(),
        )
        .await
        .unwrap();
    let token = consul
        .acl()
        .token_create(
            &consul_client::AclTokenRequest::new("default").policy(consul_client::AclLink::id(&policy.id)),
            &Default::default(),
        )
        .await
        .unwrap();
    let secret = token.secret_id.clone().unwrap();
    consul.agent().update_token(AgentTokenKind::Default, &secret).await.unwrap();
    // Requests without a token now read with the default token: nodes are visible.
    let anonymous = consul.with_token("");
    let nodes = anonymous.catalog().nodes(&QueryOptions::default()).await.unwrap().value;
    assert!(!nodes.is_empty(), "the default token's node:read applies to anonymous requests");
    consul.agent().update_token(AgentTokenKind::Default, &Secret::new("")).await.unwrap();
    let denied = consul
        .with_token(Secret::new("00000000-0000-4000-8000-00000000dead"))
        .agent()
        .update_token(AgentTokenKind::Agent, &secret)
        .await;
    assert!(denied.is_err(), "an unknown token cannot set agent tokens");
    consul.acl().token_delete(&token.accessor_id, &Default::default()).await.unwrap();
    consul.acl().policy_delete(&policy.id, &Default::default()).await.unwrap();
}

#[tokio::test]
async fn leave_shuts_the_agent_down() {
    let agent = match sandbox::Consul::start() {
        Ok(agent) => agent,
        Err(e) => return sandbox::unavailable("Consul", &e),
    };
    let consul = ConsulClient::builder()
        .address(&agent.http_addr())
        .retry(client_core::RetryPolicy::disabled())
        .build()
        .unwrap();
    consul.agent().leave().await.unwrap();
    let mut gone = false;
    for _ in 0..100 {
        if consul.status().leader().await.is_err() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "the agent stops answering after leave");
}
