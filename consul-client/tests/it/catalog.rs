//! Catalog and health against the real Consul: a fake external node with two services.

use std::collections::BTreeMap;

use consul_client::ClientError as _;
use consul_client::{
    CatalogDeregistration, CatalogRegistration, CheckState, HealthCheckRegistration, HealthStatus, QueryOptions,
    ServiceHealthOptions, ServiceRegistration,
};

use crate::common::{consul_or_skip, name};

fn registration(node: &str, service: &str, id: &str, tag: &str, port: u16, status: &str) -> CatalogRegistration {
    CatalogRegistration {
        node: node.to_owned(),
        address: "192.0.2.10".to_owned(),
        node_meta: BTreeMap::from([("external-node".to_owned(), "true".to_owned())]),
        service: Some(ServiceRegistration {
            id: Some(id.to_owned()),
            service: service.to_owned(),
            tags: vec![tag.to_owned(), "it".to_owned()],
            port: Some(port),
            meta: BTreeMap::from([("cluster".to_owned(), id.to_owned())]),
            ..ServiceRegistration::default()
        }),
        checks: vec![HealthCheckRegistration {
            node: node.to_owned(),
            check_id: format!("service:{id}"),
            name: "fake check".to_owned(),
            status: status.to_owned(),
            service_id: id.to_owned(),
            ..HealthCheckRegistration::default()
        }],
        ..CatalogRegistration::default()
    }
}

#[tokio::test]
async fn register_read_and_deregister_a_fake_node() {
    let consul = consul_or_skip!();
    let catalog = consul.catalog();
    let q = QueryOptions::default();
    let node = name("node");
    let service = name("svc");
    let (id1, id2) = (format!("{service}-1"), format!("{service}-2"));
    catalog.register(&registration(&node, &service, &id1, "primary", 5432, "passing")).await.unwrap();
    catalog.register(&registration(&node, &service, &id2, "replica", 5433, "critical")).await.unwrap();

    let nodes = catalog.nodes(&q.clone().node_meta("external-node", "true")).await.unwrap().value;
    assert!(nodes.iter().any(|n| n.node == node && n.address == "192.0.2.10"), "{nodes:?}");
    assert!(nodes.iter().all(|n| n.meta.get("external-node").is_some_and(|v| v == "true")));

    let services = catalog.services(&q).await.unwrap().value;
    let tags = services.get(&service).expect("service listed");
    assert!(tags.contains(&"primary".to_owned()) && tags.contains(&"replica".to_owned()));

    let all = catalog.service(&service, None, &q).await.unwrap().value;
    assert_eq!(all.len(), 2);
    let primary = catalog.service(&service, Some("primary"), &q).await.unwrap().value;
    assert_eq!(primary.iter().map(|s| s.service_id.as_str()).collect::<Vec<_>>(), vec![id1.as_str()]);
    let filtered = catalog.service(&service, None, &q.clone().filter("ServicePort == 5433")).await;
    assert_eq!(filtered.unwrap().value.iter().map(|s| s.service_id.clone()).collect::<Vec<_>>(), vec![id2.clone()]);
    assert!(catalog.service(&name("none"), None, &q).await.unwrap().value.is_empty());

    let node_services = catalog.node_services(&node, &q).await.unwrap().value.expect("node exists");
    assert_eq!(node_services.services.len(), 2);
    let by_id = catalog.node(&node, &q).await.unwrap().value.expect("node exists");
    assert_eq!(by_id.services[&id1].port, 5432);

    // Health views of the same registration.
    let health = consul.health();
    let entries = health.service(&service, &ServiceHealthOptions::default(), &q).await.unwrap().value;
    assert_eq!(entries.len(), 2);
    let passing = ServiceHealthOptions { passing: true, ..ServiceHealthOptions::default() };
    let healthy = health.service(&service, &passing, &q).await.unwrap().value;
    assert_eq!(healthy.iter().map(|e| e.service.id.clone()).collect::<Vec<_>>(), vec![id1.clone()]);
    let tagged = ServiceHealthOptions { tags: vec!["replica".into()], ..ServiceHealthOptions::default() };
    let replica = health.service(&service, &tagged, &q).await.unwrap().value;
    assert_eq!(replica.len(), 1);
    assert_eq!(replica[0].aggregated_status(), HealthStatus::Critical);
    let near = QueryOptions { near: Some("_agent".into()), ..QueryOptions::default() };
    assert_eq!(health.service(&service, &ServiceHealthOptions::default(), &near).await.unwrap().value.len(), 2);
    assert_eq!(health.node(&node, &q).await.unwrap().value.len(), 2);
    assert_eq!(health.checks(&service, &q).await.unwrap().value.len(), 2);
    let critical = health.state(CheckState::Critical, &q).await.unwrap().value;
    assert!(critical.iter().any(|c| c.service_id == id2 && c.status == HealthStatus::Critical));

    // Deregister one service, then the check of the other, then the node.
    catalog.deregister(&CatalogDeregistration::service(&node, &id2)).await.unwrap();
    assert_eq!(catalog.service(&service, None, &q).await.unwrap().value.len(), 1);
    catalog.deregister(&CatalogDeregistration::service(&node, "does-not-exist")).await.unwrap();
    catalog.deregister(&CatalogDeregistration::check(&node, &format!("service:{id1}"))).await.unwrap();
    assert!(health.node(&node, &q).await.unwrap().value.is_empty());
    catalog.deregister(&CatalogDeregistration::node(&node)).await.unwrap();
    assert!(catalog.node(&node, &q).await.unwrap().value.is_none());
    assert!(catalog.node_services(&node, &q).await.unwrap().value.is_none());
    assert!(!catalog.services(&q).await.unwrap().value.contains_key(&service));
}

#[tokio::test]
async fn service_watch_fires_on_registration() {
    use futures::StreamExt;
    let consul = consul_or_skip!();
    let node = name("wnode");
    let service = name("wsvc");
    let options = consul_client::WatchOptions { wait: std::time::Duration::from_secs(2), ..Default::default() };
    let mut services = Box::pin(consul.catalog().watch_services(&QueryOptions::default(), options));
    let first = services.next().await.unwrap().unwrap();
    assert!(!first.value.contains_key(&service));
    let mut health = Box::pin(consul.health().watch_service(
        &service,
        &ServiceHealthOptions::default(),
        &QueryOptions::default(),
        options,
    ));
    assert!(health.next().await.unwrap().unwrap().value.is_empty());

    consul
        .catalog()
        .register(&registration(&node, &service, &format!("{service}-1"), "primary", 1, "passing"))
        .await
        .unwrap();
    let deadline = std::time::Duration::from_secs(30);
    let seen = tokio::time::timeout(deadline, async {
        loop {
            let next = services.next().await.unwrap().unwrap();
            if next.value.contains_key(&service) {
                return next;
            }
        }
    })
    .await
    .unwrap();
    assert!(seen.meta.last_index > first.meta.last_index);
    let entries = tokio::time::timeout(deadline, health.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(entries.value.len(), 1);
    consul.catalog().deregister(&CatalogDeregistration::node(&node)).await.unwrap();
}

#[tokio::test]
async fn conditional_deregistration_removes_only_what_was_read() {
    use consul_client::catalog_txn::CatalogTxnOp;
    let consul = consul_or_skip!();
    let catalog = consul.catalog();
    let q = QueryOptions::default();
    let node = name("casnode");
    let service = name("cassvc");
    let (id1, id2) = (format!("{service}-1"), format!("{service}-2"));
    catalog.register(&registration(&node, &service, &id1, "primary", 5432, "passing")).await.unwrap();
    let read = catalog.node_services(&node, &q).await.unwrap().value.unwrap();
    let (node_index, s1_index) = (read.node.modify_index, read.services[0].modify_index);
    let check1 = format!("service:{id1}");
    let c1_index = consul.health().node(&node, &q).await.unwrap().value[0].modify_index;

    // A service registered after the read does not move the node's index: a node
    // delete-cas alone would take it along, which is why services go one by one.
    catalog.register(&registration(&node, &service, &id2, "replica", 5433, "critical")).await.unwrap();
    let again = catalog.node_services(&node, &q).await.unwrap().value.unwrap();
    assert_eq!(again.node.modify_index, node_index, "registering a service leaves the node's index alone");

    // Bad input is refused before anything is sent, naming the input.
    let err = catalog.deregister_cas(&[CatalogTxnOp::delete_node_cas(&node, 0)], None).await.unwrap_err();
    assert!(err.to_string().contains("ModifyIndex") && err.to_string().contains(&node), "{err}");
    let err = catalog.deregister_cas(&[CatalogTxnOp::delete_check_cas("..", "c", 1)], None).await.unwrap_err();
    assert!(err.to_string().contains("node name"), "{err}");
    assert!(catalog.deregister_cas(&[], None).await.is_err());

    // A stale index rolls the whole transaction back: nothing is removed.
    let stale = [
        CatalogTxnOp::delete_check_cas(&node, &check1, c1_index),
        CatalogTxnOp::delete_service_cas(&node, &id1, &service, s1_index - 1),
    ];
    let err = catalog.deregister_cas(&stale, None).await.unwrap_err();
    assert_eq!(err.status(), Some(409), "{err}");
    assert!(err.to_string().contains("index is stale"), "{err}");
    assert_eq!(catalog.node_services(&node, &q).await.unwrap().value.unwrap().services.len(), 2);
    assert_eq!(consul.health().node(&node, &q).await.unwrap().value.len(), 2);

    // The indexes as read: exactly the read service and its check go, the later one stays.
    let ops = [
        CatalogTxnOp::delete_check_cas(&node, &check1, c1_index),
        CatalogTxnOp::delete_service_cas(&node, &id1, &service, s1_index),
    ];
    catalog.deregister_cas(&ops, None).await.unwrap();
    let left = catalog.node_services(&node, &q).await.unwrap().value.unwrap();
    assert_eq!(left.services.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), [id2.as_str()]);
    // Deleting what is already gone is a conflict too, never a silent success.
    assert!(catalog.deregister_cas(&ops[1..], None).await.is_err());

    // Last, the node on its index, in the same transaction as its last service.
    let s2 = &left.services[0];
    let check2 = consul.health().node(&node, &q).await.unwrap().value[0].clone();
    let ops = [
        CatalogTxnOp::delete_check_cas(&node, &check2.check_id, check2.modify_index),
        CatalogTxnOp::delete_service_cas(&node, &id2, &service, s2.modify_index),
        CatalogTxnOp::delete_node_cas(&node, node_index),
    ];
    catalog.deregister_cas(&ops, Some("dc1")).await.unwrap();
    assert!(catalog.node_services(&node, &q).await.unwrap().value.is_none());
}
