//! Connect-aware catalog and health reads and gateway associations on the real agent.

use consul_client::{AgentServiceRegistration, QueryOptions, ServiceHealthOptions};

use crate::common::{consul_or_skip, name};

fn q() -> QueryOptions {
    QueryOptions::default()
}

#[tokio::test]
async fn connect_instances_and_gateway_services() {
    let consul = consul_or_skip!();
    let svc = name("mesh");
    let mut reg =
        AgentServiceRegistration { name: svc.clone(), port: Some(9090), ..AgentServiceRegistration::default() };
    reg.extra.insert("Connect".into(), serde_json::json!({"SidecarService": {}}));
    consul.agent().service_register(&reg).await.unwrap();

    let proxies = consul.catalog().connect(&svc, None, &q()).await.unwrap().value;
    assert_eq!(proxies.len(), 1, "the sidecar proxy is the Connect instance");
    assert_eq!(proxies[0].service_name, format!("{svc}-sidecar-proxy"));
    assert!(consul.catalog().service(&svc, None, &q()).await.unwrap().value.len() == 1);
    let healthy = consul.health().connect(&svc, &ServiceHealthOptions::default(), &q()).await.unwrap().value;
    assert_eq!(healthy[0].service.service, format!("{svc}-sidecar-proxy"));

    let gateway = name("igw");
    let entry = serde_json::json!({
        "Kind": "ingress-gateway", "Name": gateway,
        "Listeners": [{"Port": 8080, "Protocol": "tcp", "Services": [{"Name": svc}]}]
    });
    assert!(consul.config_entries().put_raw(&entry, &Default::default()).await.unwrap());
    let routed = consul.catalog().gateway_services(&gateway, &q()).await.unwrap().value;
    assert_eq!(routed.len(), 1, "{routed:?}");
    assert_eq!(
        (routed[0].service.name.as_str(), routed[0].gateway_kind.as_str(), routed[0].port),
        (svc.as_str(), "ingress-gateway", 8080)
    );

    let mut gw =
        AgentServiceRegistration { name: gateway.clone(), port: Some(8080), ..AgentServiceRegistration::default() };
    gw.extra.insert("Kind".into(), "ingress-gateway".into());
    consul.agent().service_register(&gw).await.unwrap();
    let ingress = consul.health().ingress(&svc, &ServiceHealthOptions::default(), &q()).await.unwrap().value;
    assert_eq!(ingress.iter().map(|e| e.service.service.as_str()).collect::<Vec<_>>(), [gateway.as_str()]);
    assert!(consul.catalog().gateway_services(&name("no-gw"), &q()).await.unwrap().value.is_empty());

    consul.agent().service_deregister(&gateway).await.unwrap();
    consul.config_entries().delete_raw("ingress-gateway", &gateway, &Default::default()).await.unwrap();
    consul.agent().service_deregister(&svc).await.unwrap();
    consul.agent().service_deregister(&format!("{svc}-sidecar-proxy")).await.unwrap();
}
