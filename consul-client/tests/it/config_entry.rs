//! Config entries against the real Consul (and one newer kind via wiremock).

use std::collections::BTreeMap;

use consul_client::config_entry::{ResolverSubset, RouteDestination, ServiceRoute, ServiceSplit};
use consul_client::{
    ConfigWriteOptions, Error, ProxyDefaults, QueryOptions, ServiceDefaults, ServiceIntentions, ServiceResolver,
    ServiceRouter, ServiceSplitter, WriteOptions,
};
use serde_json::json;

use crate::common::{consul_or_skip, name};

#[tokio::test]
async fn service_defaults_round_trip_with_cas() {
    let consul = consul_or_skip!();
    let entries = consul.config_entries();
    let q = QueryOptions::default();
    let service = name("cfg");
    let create_only = ConfigWriteOptions { cas: Some(0), ..ConfigWriteOptions::default() };
    let entry = ServiceDefaults { name: service.clone(), protocol: "http".into(), ..ServiceDefaults::default() };
    assert!(entries.put(&entry, &create_only).await.unwrap());
    assert!(!entries.put(&entry, &create_only).await.unwrap(), "cas=0 refuses an existing entry");

    let read = entries.get::<ServiceDefaults>(&service, &q).await.unwrap().value.expect("written");
    assert_eq!(read.protocol, "http");
    assert!(read.extra.contains_key("MeshGateway") && !read.extra.contains_key("Kind"), "{:?}", read.extra);
    let listed = entries.list::<ServiceDefaults>(&q).await.unwrap().value;
    assert!(listed.iter().any(|e| e.name == service));

    // Read-modify-write with CAS: a stale index is refused, the fresh one wins.
    let mut changed = read.clone();
    changed.protocol = "grpc".into();
    let stale = ConfigWriteOptions { cas: Some(read.modify_index - 1), ..ConfigWriteOptions::default() };
    assert!(!entries.put(&changed, &stale).await.unwrap());
    let fresh = ConfigWriteOptions { cas: Some(read.modify_index), ..ConfigWriteOptions::default() };
    assert!(entries.put(&changed, &fresh).await.unwrap());
    assert_eq!(entries.get::<ServiceDefaults>(&service, &q).await.unwrap().value.unwrap().protocol, "grpc");

    let raw = entries.get_raw("service-defaults", &service, &q).await.unwrap().value.unwrap();
    assert_eq!(raw["Kind"], "service-defaults");
    entries.delete::<ServiceDefaults>(&service, &WriteOptions::default()).await.unwrap();
    assert!(entries.get::<ServiceDefaults>(&service, &q).await.unwrap().value.is_none());
    entries.delete::<ServiceDefaults>(&service, &WriteOptions::default()).await.unwrap();
}

#[tokio::test]
async fn l7_chain_resolver_splitter_router_round_trip() {
    let consul = consul_or_skip!();
    let entries = consul.config_entries();
    let q = QueryOptions::default();
    let w = ConfigWriteOptions::default();
    let service = name("chain");
    let defaults = ServiceDefaults { name: service.clone(), protocol: "http".into(), ..ServiceDefaults::default() };
    assert!(entries.put(&defaults, &w).await.unwrap());
    let subset =
        |version: &str| ResolverSubset { filter: format!("Service.Meta.version == {version}"), only_passing: false };
    let resolver = ServiceResolver {
        name: service.clone(),
        default_subset: "v1".into(),
        subsets: BTreeMap::from([("v1".into(), subset("v1")), ("v2".into(), subset("v2"))]),
        connect_timeout: "5s".into(),
        ..ServiceResolver::default()
    };
    assert!(entries.put(&resolver, &w).await.unwrap());
    let split =
        |weight, subset: &str| ServiceSplit { weight, service_subset: subset.into(), ..ServiceSplit::default() };
    let splitter = ServiceSplitter {
        name: service.clone(),
        splits: vec![split(90.0, "v1"), split(10.0, "v2")],
        ..Default::default()
    };
    assert!(entries.put(&splitter, &w).await.unwrap());
    let router = ServiceRouter {
        name: service.clone(),
        routes: vec![ServiceRoute {
            route_match: Some(json!({"HTTP": {"PathPrefix": "/v2/"}})),
            destination: Some(RouteDestination { service_subset: "v2".into(), ..RouteDestination::default() }),
            ..ServiceRoute::default()
        }],
        ..ServiceRouter::default()
    };
    assert!(entries.put(&router, &w).await.unwrap());

    let r = entries.get::<ServiceResolver>(&service, &q).await.unwrap().value.unwrap();
    assert_eq!((r.default_subset.as_str(), r.connect_timeout.as_str(), r.subsets.len()), ("v1", "5s", 2));
    let s = entries.get::<ServiceSplitter>(&service, &q).await.unwrap().value.unwrap();
    assert_eq!(s.splits.iter().map(|s| s.weight).collect::<Vec<_>>(), vec![90.0, 10.0]);
    let rt = entries.get::<ServiceRouter>(&service, &q).await.unwrap().value.unwrap();
    assert_eq!(rt.routes[0].route_match, Some(json!({"HTTP": {"PathPrefix": "/v2/"}})));
    assert_eq!(rt.routes[0].destination.as_ref().unwrap().service_subset, "v2");

    // Consul protects the chain: the defaults cannot go while a router needs http.
    let err = entries.delete::<ServiceDefaults>(&service, &WriteOptions::default()).await.unwrap_err();
    assert!(err.to_string().contains("does not permit advanced routing"), "{err}");

    // A splitter whose weights do not add up is refused before sending.
    let bad = ServiceSplitter { name: service.clone(), splits: vec![split(50.0, "v1")], ..Default::default() };
    let err = entries.put(&bad, &w).await.unwrap_err();
    assert!(
        matches!(err, Error::Core(client_core::Error::InvalidInput { .. })) && err.to_string().contains("sum to 50")
    );

    let wo = WriteOptions::default();
    entries.delete::<ServiceRouter>(&service, &wo).await.unwrap();
    entries.delete::<ServiceSplitter>(&service, &wo).await.unwrap();
    entries.delete::<ServiceResolver>(&service, &wo).await.unwrap();
    entries.delete::<ServiceDefaults>(&service, &wo).await.unwrap();
    assert!(entries.get::<ServiceResolver>(&service, &q).await.unwrap().value.is_none());
}

#[tokio::test]
async fn proxy_defaults_and_raw_kinds() {
    let consul = consul_or_skip!();
    let entries = consul.config_entries();
    let q = QueryOptions::default();
    let mut config = serde_json::Map::new();
    config.insert("protocol".into(), json!("tcp"));
    let global = ProxyDefaults { name: ProxyDefaults::GLOBAL.into(), config, ..ProxyDefaults::default() };
    assert!(entries.put(&global, &ConfigWriteOptions::default()).await.unwrap());
    let read = entries.get::<ProxyDefaults>("global", &q).await.unwrap().value.unwrap();
    assert_eq!(read.config["protocol"], "tcp");
    entries.delete::<ProxyDefaults>("global", &WriteOptions::default()).await.unwrap();

    // The escape hatch: a raw entry of a kind written as JSON.
    let service = name("raw");
    let raw = json!({"Kind": "service-defaults", "Name": service, "Protocol": "http2"});
    assert!(entries.put_raw(&raw, &ConfigWriteOptions::default()).await.unwrap());
    let listed = entries.list_raw("service-defaults", &q).await.unwrap().value;
    assert!(listed.iter().any(|e| e["Name"] == json!(service) && e["Protocol"] == "http2"));
    entries.delete_raw("service-defaults", &service, &WriteOptions::default()).await.unwrap();

    let err = entries.list_raw("not-a-kind", &q).await.unwrap_err();
    assert!(err.to_string().contains("invalid config entry kind"), "{err}");
    assert!(entries.list_raw("Bad Kind", &q).await.unwrap_err().to_string().contains("lowercase"));
    assert!(entries.put_raw(&json!({"Name": "x"}), &ConfigWriteOptions::default()).await.is_err());
}

#[tokio::test]
async fn service_intentions_entry_is_sent_with_its_kind() {
    use wiremock::matchers::{body_json, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/v1/config"))
        .and(query_param("cas", "7"))
        .and(body_json(json!({
            "Kind": "service-intentions",
            "Name": "db",
            "Sources": [{"Name": "api", "Action": "allow"}, {"Name": "*", "Action": "deny"}],
        })))
        .respond_with(ResponseTemplate::new(200).set_body_string("true"))
        .expect(1)
        .mount(&server)
        .await;
    let consul = consul_client::ConsulClient::builder().address(&server.uri()).build().unwrap();
    let source = |name: &str, action: &str| consul_client::config_entry::SourceIntention {
        name: name.into(),
        action: action.into(),
        ..Default::default()
    };
    let entry = ServiceIntentions {
        name: "db".into(),
        sources: vec![source("api", "allow"), source("*", "deny")],
        modify_index: 7,
        ..ServiceIntentions::default()
    };
    let cas = ConfigWriteOptions { cas: Some(entry.modify_index), ..ConfigWriteOptions::default() };
    assert!(consul.config_entries().put(&entry, &cas).await.unwrap());
}
