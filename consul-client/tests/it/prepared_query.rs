//! Prepared queries against the real Consul.

use consul_client::ClientError as _;
use consul_client::{
    AgentServiceRegistration, ExecuteOptions, PreparedQueryRequest, QueryOptions, QueryTemplate, TemplateType,
    WriteOptions,
};

use crate::common::{FIXTURES, consul_or_skip, name};

fn q() -> QueryOptions {
    QueryOptions::default()
}
fn w() -> WriteOptions {
    WriteOptions::default()
}

#[tokio::test]
async fn create_get_list_update_execute_explain_and_delete() {
    let consul = consul_or_skip!();
    let service = name("pq-svc");
    for (i, tag) in ["primary", "replica"].into_iter().enumerate() {
        let reg = AgentServiceRegistration {
            id: Some(format!("{service}-{i}")),
            name: service.clone(),
            tags: vec![tag.into()],
            port: Some(5432 + u16::try_from(i).unwrap()),
            ..AgentServiceRegistration::default()
        };
        consul.agent().service_register(&reg).await.unwrap();
    }
    let queries = consul.prepared_queries();
    let query_name = name("pq");
    let mut request = PreparedQueryRequest::new(&query_name, &service);
    request.service.only_passing = true;
    request.service.near = "_agent".into();
    request.dns.ttl = "10s".into();
    let id = queries.create(&request, &w()).await.unwrap();

    let read = queries.get(&id, &q()).await.unwrap();
    assert_eq!(read.value.name, query_name);
    assert_eq!(read.value.service.service, service);
    assert_eq!(read.value.dns.ttl, "10s");
    assert!(queries.list(&q()).await.unwrap().value.iter().any(|p| p.id == id));

    let by_name = queries.execute(&query_name, &ExecuteOptions::default(), &q()).await.unwrap().value;
    assert_eq!(by_name.nodes.len(), 2);
    assert_eq!(
        (by_name.service.as_str(), by_name.failovers, by_name.datacenter.as_str()),
        (service.as_str(), 0, "dc1")
    );
    let near = ExecuteOptions { near: Some("_agent".into()), limit: Some(1) };
    assert_eq!(queries.execute(&id, &near, &q()).await.unwrap().value.nodes.len(), 1, "limit applies");

    request.service.tags = vec!["primary".into()];
    queries.update(&id, &request, &w()).await.unwrap();
    let primary = queries.execute(&id, &ExecuteOptions::default(), &q()).await.unwrap().value;
    assert_eq!(primary.nodes.iter().map(|n| n.service.id.as_str()).collect::<Vec<_>>(), [format!("{service}-0")]);
    let explained = queries.explain(&query_name, &q()).await.unwrap().value;
    assert_eq!(explained.service.tags, ["primary"]);

    queries.delete(&id, &w()).await.unwrap();
    let gone = queries.get(&id, &q()).await.unwrap_err();
    assert!(gone.is_not_found(), "{gone}");
    for i in 0..2 {
        consul.agent().service_deregister(&format!("{service}-{i}")).await.unwrap();
    }
}

#[tokio::test]
async fn failover_to_an_unknown_datacenter_is_skipped_and_bad_input_refused() {
    let consul = consul_or_skip!();
    let queries = consul.prepared_queries();
    let mut request = PreparedQueryRequest::new(name("pq-failover"), name("nowhere"));
    request.service.failover.datacenters = vec!["dc2".into()];
    request.service.failover.nearest_n = 1;
    let id = queries.create(&request, &w()).await.unwrap();
    let read = queries.get(&id, &q()).await.unwrap().value;
    assert_eq!(read.service.failover.datacenters, ["dc2"]);
    let run = queries.execute(&id, &ExecuteOptions::default(), &q()).await.unwrap().value;
    assert!(run.nodes.is_empty(), "no instance anywhere: {run:?}");
    assert_eq!(
        (run.failovers, run.datacenter.as_str()),
        (0, "dc1"),
        "Consul 1.8.7 skips a datacenter it does not know"
    );
    queries.delete(&id, &w()).await.unwrap();

    let mut bad = PreparedQueryRequest::new("x", "db");
    bad.service.failover.datacenters = vec!["DC 2".into()];
    assert!(queries.create(&bad, &w()).await.unwrap_err().to_string().contains("datacenter"));
    assert!(queries.create(&PreparedQueryRequest::new("x", " "), &w()).await.is_err(), "a query names a service");
}

/// A failover the single-datacenter sandbox cannot produce, in the shape of the
/// API docs' execute example (tests/fixtures/README.md names the version).
#[tokio::test]
async fn an_execution_answered_by_a_failover_datacenter_says_so() {
    use wiremock::matchers::{method, path, query_param};
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("GET"))
        .and(path("/v1/query/db-primary/execute"))
        .and(query_param("near", "_agent"))
        .respond_with(FIXTURES.json_response(200, "query-execute-failover.docs.json"))
        .expect(1)
        .mount(&server)
        .await;
    let consul = consul_client::ConsulClient::builder().address(&server.uri()).build().unwrap();
    let near = ExecuteOptions { near: Some("_agent".into()), limit: None };
    let run = consul.prepared_queries().execute("db-primary", &near, &q()).await.unwrap().value;
    assert_eq!((run.datacenter.as_str(), run.failovers, run.dns.ttl.as_str()), ("dc3", 2, "10s"));
    assert_eq!(run.nodes[0].service.service, "redis");
    assert_eq!(run.nodes[0].node.node, "foobar");
}

#[tokio::test]
async fn a_template_answers_every_name_under_its_prefix() {
    let consul = consul_or_skip!();
    let service = name("pq-tpl-svc");
    for (i, tag) in ["primary", "replica"].into_iter().enumerate() {
        let reg = AgentServiceRegistration {
            id: Some(format!("{service}-{i}")),
            name: service.clone(),
            tags: vec![tag.into()],
            ..AgentServiceRegistration::default()
        };
        consul.agent().service_register(&reg).await.unwrap();
    }
    let queries = consul.prepared_queries();
    // `<prefix><service>` or `<prefix><service>.<tag>`: the service and an optional tag, captured.
    let prefix = format!("{}-", name("pq-tpl"));
    let mut request = PreparedQueryRequest::new(&prefix, "${match(1)}");
    request.service.tags = vec!["${match(3)}".into()];
    request.template =
        Some(QueryTemplate::name_prefix_match(format!("^{prefix}([^.]+)(\\.(.+))?$")).remove_empty_tags());
    let id = queries.create(&request, &w()).await.unwrap();

    let stored = queries.get(&id, &q()).await.unwrap().value;
    let template = stored.template.expect("stored as a template");
    assert_eq!((template.kind, template.remove_empty_tags), (TemplateType::NamePrefixMatch, true));
    assert_eq!(template.regexp, format!("^{prefix}([^.]+)(\\.(.+))?$"));
    assert_eq!(stored.service.service, "${match(1)}", "stored uninterpolated");

    // No tag in the name: the empty tag is removed, both instances answer.
    let all = queries.execute(&format!("{prefix}{service}"), &ExecuteOptions::default(), &q()).await.unwrap().value;
    assert_eq!((all.service.as_str(), all.nodes.len()), (service.as_str(), 2), "{all:?}");
    let tagged = format!("{prefix}{service}.replica");
    let replica = queries.execute(&tagged, &ExecuteOptions::default(), &q()).await.unwrap().value;
    assert_eq!(replica.nodes.iter().map(|n| n.service.id.as_str()).collect::<Vec<_>>(), [format!("{service}-1")]);
    let explained = queries.explain(&tagged, &q()).await.unwrap().value;
    assert_eq!(
        (explained.service.service.as_str(), explained.service.tags.as_slice()),
        (service.as_str(), &["replica".to_owned()][..])
    );
    let none = queries.execute(&format!("{prefix}{}", name("absent")), &ExecuteOptions::default(), &q()).await.unwrap();
    assert!(none.value.nodes.is_empty(), "an unknown service interpolated: no instance");

    // A plain query reads back without a template.
    let plain = queries.create(&PreparedQueryRequest::new(name("pq-plain"), &service), &w()).await.unwrap();
    assert_eq!(queries.get(&plain, &q()).await.unwrap().value.template, None);
    queries.delete(&plain, &w()).await.unwrap();
    queries.delete(&id, &w()).await.unwrap();
    for i in 0..2 {
        consul.agent().service_deregister(&format!("{service}-{i}")).await.unwrap();
    }
}

/// On the ACL agent: a query's own token is kept when given, shown only to a
/// management token, and Consul's `<hidden>` placeholder is never written
/// back as the token by a read-modify-write.
#[tokio::test]
async fn a_stored_token_is_shown_to_management_only_and_its_placeholder_is_never_written() {
    use consul_client::{AclLink, AclPolicyRequest, AclTokenRequest, HIDDEN_QUERY_TOKEN, Secret};
    let consul = crate::common::acl_consul_or_skip!();
    let acl = consul.acl();
    let rules = r#"query_prefix "" { policy = "write" }
service_prefix "" { policy = "read" }"#;
    let policy = acl.policy_create(&AclPolicyRequest::new(name("pq-policy"), rules), &w()).await.unwrap();
    let writer =
        acl.token_create(&AclTokenRequest::new("pq writer").policy(AclLink::id(&policy.id)), &w()).await.unwrap();
    let runs_as =
        acl.token_create(&AclTokenRequest::new("pq runs as").policy(AclLink::id(&policy.id)), &w()).await.unwrap();
    let runs_as_secret = runs_as.secret_id.clone().expect("a created token carries its secret");

    let queries = consul.prepared_queries();
    let mut request = PreparedQueryRequest::new(name("pq-token"), "consul");
    request.token = Some(runs_as_secret.clone());
    let id = queries.create(&request, &w()).await.unwrap();
    let read = queries.get(&id, &q()).await.unwrap().value;
    assert_eq!(read.token.as_ref().map(Secret::expose), Some(runs_as_secret.expose()), "management sees the token");
    assert!(!format!("{read:?}").contains(runs_as_secret.expose()), "never in Debug");

    // A token that may write queries but is not management reads the placeholder.
    let other = consul.with_token(writer.secret_id.clone().unwrap());
    let seen = other.prepared_queries().get(&id, &q()).await.unwrap().value;
    assert_eq!(seen.token.as_ref().map(Secret::expose), Some(HIDDEN_QUERY_TOKEN));
    // Writing back what it read would store "<hidden>" as the token: refused before sending.
    let mut rewrite = PreparedQueryRequest::new(&seen.name, &seen.service.service);
    rewrite.token = seen.token.clone();
    let refused = other.prepared_queries().update(&id, &rewrite, &w()).await.unwrap_err();
    assert!(refused.to_string().contains("Consul's placeholder"), "{refused}");
    let still = queries.get(&id, &q()).await.unwrap().value;
    assert_eq!(still.token.as_ref().map(Secret::expose), Some(runs_as_secret.expose()), "the stored token is intact");

    // An update without a token clears it, as the docs say.
    request.token = None;
    queries.update(&id, &request, &w()).await.unwrap();
    assert_eq!(queries.get(&id, &q()).await.unwrap().value.token, None, "the query now runs with the caller's token");

    queries.delete(&id, &w()).await.unwrap();
    for t in [&writer, &runs_as] {
        acl.token_delete(&t.accessor_id, &w()).await.unwrap();
    }
    acl.policy_delete(&policy.id, &w()).await.unwrap();
}
