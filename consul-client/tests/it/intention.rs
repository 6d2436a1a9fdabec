//! Intentions: the ID-based API on the real Consul 1.8, the exact-name API via wiremock.

use consul_client::{ConsulClient, IntentionAction, IntentionApi, IntentionRequest, QueryOptions};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{consul_or_skip, fixture, name};

#[tokio::test]
async fn id_based_api_on_consul_1_8() {
    let consul = consul_or_skip!();
    let intentions = consul.intentions();
    assert!(matches!(intentions.api().await.unwrap(), IntentionApi::IdBased { .. }));
    let (src, dst) = (name("src"), name("dst"));
    let mut request = IntentionRequest::new(&src, &dst, IntentionAction::Allow);
    request.description = "it test".into();
    let id = intentions.create(&request).await.unwrap();
    let read = intentions.get(&id).await.unwrap().expect("created");
    assert_eq!((read.source_name.as_str(), read.action), (src.as_str(), Some(IntentionAction::Allow)));
    assert!(intentions.check(&src, &dst).await.unwrap());
    let dup = intentions.create(&request).await.unwrap_err();
    assert!(dup.to_string().contains("duplicate intention"), "{dup}");

    // upsert updates the existing pair in place (same ID).
    let deny = IntentionRequest::new(&src, &dst, IntentionAction::Deny);
    assert_eq!(intentions.upsert(&deny).await.unwrap().as_deref(), Some(id.as_str()));
    assert!(!intentions.check(&src, &dst).await.unwrap());
    assert!(intentions.list(&QueryOptions::default()).await.unwrap().value.iter().any(|i| i.id == id));

    let err = intentions.get_exact(&src, &dst).await.unwrap_err();
    assert!(err.to_string().contains("1.9 or newer"), "{err}");

    assert!(intentions.delete_exact(&src, &dst).await.unwrap());
    assert!(intentions.get(&id).await.unwrap().is_none());
    assert!(!intentions.delete_exact(&src, &dst).await.unwrap(), "nothing left to delete");
    let err = intentions.delete(&id).await.unwrap_err();
    assert!(err.to_string().contains("non-existent intention"), "{err}");
}

async fn newer_server(version: &str) -> MockServer {
    let server = MockServer::start().await;
    let mut me: serde_json::Value = serde_json::from_str(&fixture("agent-self.json")).unwrap();
    me["Config"]["Version"] = version.into();
    Mock::given(method("GET"))
        .and(path("/v1/agent/self"))
        .respond_with(ResponseTemplate::new(200).set_body_json(me))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn exact_name_api_on_newer_servers() {
    let server = newer_server("1.12.3").await;
    Mock::given(method("PUT"))
        .and(path("/v1/connect/intentions/exact"))
        .and(query_param("source", "web"))
        .and(query_param("destination", "db"))
        .and(wiremock::matchers::body_json(serde_json::json!({"Action": "deny"})))
        .respond_with(ResponseTemplate::new(200).set_body_string("true"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/connect/intentions/exact"))
        .and(query_param("source", "web"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture("intention-read.json"), "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/connect/intentions/exact"))
        .and(query_param("destination", "db"))
        .respond_with(ResponseTemplate::new(200).set_body_string("true"))
        .expect(1)
        .mount(&server)
        .await;
    let consul = ConsulClient::builder().address(&server.uri()).build().unwrap();
    let intentions = consul.intentions();
    assert_eq!(intentions.api().await.unwrap(), IntentionApi::ExactName { version: "1.12.3".into() });
    let upserted = intentions.upsert(&IntentionRequest::new("web", "db", IntentionAction::Deny)).await.unwrap();
    assert_eq!(upserted, None, "the exact API has no IDs");
    assert!(intentions.delete_exact("web", "db").await.unwrap());
}

#[tokio::test]
async fn ancient_servers_are_named_as_unsupported() {
    let server = newer_server("1.1.0").await;
    let consul = ConsulClient::builder().address(&server.uri()).build().unwrap();
    let err = consul.intentions().upsert(&IntentionRequest::new("a", "b", IntentionAction::Allow)).await.unwrap_err();
    assert!(err.to_string().contains("intentions need Consul 1.2 or newer"), "{err}");
    assert!(matches!(err, consul_client::Error::Unsupported { .. }));
}
