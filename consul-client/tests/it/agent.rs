//! The local agent against the real Consul.

use consul_client::{AgentCheckRegistration, AgentServiceRegistration, HealthStatus, MemberStatus, QueryOptions};

use crate::common::{consul_or_skip, name};

#[tokio::test]
async fn self_and_members() {
    let consul = consul_or_skip!();
    let me = consul.agent().self_info().await.unwrap();
    assert_eq!(me.config.datacenter, "dc1");
    assert!(me.config.server);
    assert!(me.config.version.starts_with("1."), "{}", me.config.version);
    let lan = consul.agent().members(false).await.unwrap();
    let member = lan.iter().find(|m| m.name == me.config.node_name).expect("self is a member");
    assert_eq!(member.status, MemberStatus::Alive);
    assert!(member.is_server());
    let wan = consul.agent().members(true).await.unwrap();
    assert!(wan.iter().any(|m| m.name == format!("{}.dc1", me.config.node_name)), "{wan:?}");
}

#[tokio::test]
async fn force_leave_of_an_unknown_node_is_an_error_naming_it() {
    let consul = consul_or_skip!();
    let ghost = name("gone");
    let err = consul.agent().force_leave(&ghost, true).await.unwrap_err();
    assert!(err.to_string().contains("force-leave"), "{err}");
}

#[tokio::test]
async fn local_service_with_ttl_check_and_maintenance() {
    let consul = consul_or_skip!();
    let agent = consul.agent();
    let service = name("local");
    let id = format!("{service}-1");
    let check_id = format!("{id}-ttl");
    let registration = AgentServiceRegistration {
        id: Some(id.clone()),
        name: service.clone(),
        tags: vec!["replica".into()],
        port: Some(18008),
        address: "127.0.0.1".into(),
        check: Some(AgentCheckRegistration {
            check_id: Some(check_id.clone()),
            name: "ttl".into(),
            ttl: Some("30s".into()),
            ..AgentCheckRegistration::default()
        }),
        ..AgentServiceRegistration::default()
    };
    agent.service_register(&registration).await.unwrap();
    let read = agent.service(&id).await.unwrap().expect("registered");
    assert_eq!((read.service.as_str(), read.port), (service.as_str(), 18008));
    assert!(agent.services(&QueryOptions::default()).await.unwrap().contains_key(&id));
    let filtered = agent.services(&QueryOptions::new().filter(format!("Service == \"{service}\""))).await;
    assert_eq!(filtered.unwrap().len(), 1);

    let status = |checks: &consul_client::CheckMap| checks.get(&check_id).map(|c| c.status.clone());
    agent.check_pass(&check_id, Some("all good")).await.unwrap();
    let checks = agent.checks(&QueryOptions::default()).await.unwrap();
    assert_eq!(status(&checks), Some(HealthStatus::Passing));
    assert_eq!(checks[&check_id].output, "all good");
    agent.check_warn(&check_id, None).await.unwrap();
    assert_eq!(status(&agent.checks(&QueryOptions::default()).await.unwrap()), Some(HealthStatus::Warning));
    agent.check_fail(&check_id, Some("down")).await.unwrap();
    assert_eq!(status(&agent.checks(&QueryOptions::default()).await.unwrap()), Some(HealthStatus::Critical));

    agent.service_maintenance(&id, true, Some("it test")).await.unwrap();
    let checks = agent.checks(&QueryOptions::default()).await.unwrap();
    // Consul 1.8 reports maintenance as a critical check of type "maintenance".
    let maintenance = &checks[&format!("_service_maintenance:{id}")];
    assert_eq!((maintenance.status.clone(), maintenance.notes.as_str()), (HealthStatus::Critical, "it test"));
    agent.service_maintenance(&id, false, None).await.unwrap();
    let err = agent.service_maintenance(&name("absent"), true, None).await.unwrap_err();
    assert!(err.to_string().contains("not registered on this agent"), "{err}");

    agent.service_deregister(&id).await.unwrap();
    assert!(agent.service(&id).await.unwrap().is_none());
    agent.service_deregister(&id).await.unwrap();
}
