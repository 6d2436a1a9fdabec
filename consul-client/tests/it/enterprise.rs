//! Namespaces and admin partitions (Consul Enterprise) and cluster peering
//! (1.13+), which the 1.8.7 sandbox does not have: wiremock answers with the
//! shapes of the API docs (`tests/fixtures/consul-docs/`, README there).

use consul_client::ClientError as _;
use consul_client::{
    AclLink, ConsulClient, Error, NamespaceAcls, NamespaceRequest, PeeringEstablishRequest, PeeringTokenRequest,
    QueryOptions, Secret, WriteOptions,
};
use wiremock::matchers::{body_json, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::FIXTURES;

fn docs(name: &str) -> ResponseTemplate {
    FIXTURES.json_response(200, &format!("consul-docs/{name}"))
}

fn docs_json(name: &str) -> serde_json::Value {
    FIXTURES.json(&format!("consul-docs/{name}"))
}

async fn mock() -> (MockServer, ConsulClient) {
    let server = MockServer::start().await;
    let consul = ConsulClient::builder().address(&server.uri()).build().unwrap();
    (server, consul)
}

fn q() -> QueryOptions {
    QueryOptions::default()
}
fn w() -> WriteOptions {
    WriteOptions::default()
}

fn refused(err: &Error, what: &str) -> bool {
    matches!(err, Error::Core(client_core::Error::InvalidInput { .. })) && err.to_string().contains(what)
}

/// Names that are not DNS labels, refused before anything is sent.
const BAD_NAMES: &[&str] = &["", "..", ".", "a/b", "%2F", "team 1", " team", "-team", "team-", "team_1", "tëam"];

#[tokio::test]
async fn namespaces_crud_in_the_documented_shapes() {
    let (server, consul) = mock().await;
    Mock::given(method("PUT"))
        .and(path("/v1/namespace"))
        .and(body_json(docs_json("namespace-create.request.docs.json")))
        .respond_with(docs("namespace-read.docs.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/namespace/team-1"))
        .respond_with(docs("namespace-read.docs.json").insert_header("X-Consul-Index", "55"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/namespace/team-9"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/namespaces"))
        .respond_with(docs("namespace-list.docs.json"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/namespace/team-1"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let namespaces = consul.namespaces();

    let mut request = NamespaceRequest::new("team-1");
    request.description = "Namespace for Team 1".into();
    request.acls = Some(NamespaceAcls {
        policy_defaults: vec![
            AclLink { id: "77117cf6-d976-79b0-d63b-5a36ac69c8f1".into(), name: String::new() },
            AclLink { id: String::new(), name: "node-read".into() },
        ],
        role_defaults: vec![
            AclLink { id: "69748856-ae69-d620-3ec4-07844b3c6be7".into(), name: String::new() },
            AclLink { id: String::new(), name: "ns-team-2-read".into() },
        ],
    });
    request.meta.insert("foo".into(), "bar".into());
    let created = namespaces.create(&request, &w()).await.unwrap();
    assert_eq!((created.name.as_str(), created.create_index), ("team-1", 55));
    let acls = created.acls.as_ref().unwrap();
    assert_eq!(acls.policy_defaults[1].name, "node-read", "names resolved to IDs by Consul");
    assert_eq!(acls.role_defaults[0].name, "service-discovery");

    let read = namespaces.get("team-1", &q()).await.unwrap();
    assert_eq!((read.value.as_ref(), read.meta.last_index), (Some(&created), 55));
    assert_eq!(read.value.unwrap().deleted_at, None);
    assert!(namespaces.get("team-9", &q()).await.unwrap().value.is_none());
    let all = namespaces.list(&q()).await.unwrap().value;
    assert_eq!(all.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["default", "team-1"]);
    assert!(all[0].acls.is_none() && all[0].meta.is_empty());
    namespaces.delete("team-1", &w()).await.unwrap();

    let marked: consul_client::Namespace = serde_json::from_value(docs_json("namespace-deleted.docs.json")).unwrap();
    assert_eq!(marked.deleted_at.as_deref(), Some("2019-12-02T23:00:00Z"));

    // Refused before sending: the built-in namespace, bad names, a body naming another namespace.
    assert!(refused(&namespaces.delete("default", &w()).await.unwrap_err(), "built-in namespace"));
    for bad in BAD_NAMES {
        assert!(refused(&namespaces.get(bad, &q()).await.unwrap_err(), "namespace name"), "{bad:?}");
        assert!(refused(&namespaces.delete(bad, &w()).await.unwrap_err(), "namespace name"), "{bad:?}");
        assert!(refused(&namespaces.create(&NamespaceRequest::new(*bad), &w()).await.unwrap_err(), "namespace name"));
    }
    let other = namespaces.update("team-2", &request, &w()).await.unwrap_err();
    assert!(refused(&other, "must be empty or the namespace updated"), "{other}");
    server.verify().await;
}

#[tokio::test]
async fn namespace_update_sends_the_documented_payload() {
    let (server, consul) = mock().await;
    let mut payload = docs_json("namespace-create.request.docs.json");
    payload.as_object_mut().unwrap().remove("Name");
    Mock::given(method("PUT"))
        .and(path("/v1/namespace/team-1"))
        .and(body_json(&payload))
        .respond_with(docs("namespace-read.docs.json"))
        .expect(1)
        .mount(&server)
        .await;
    let mut request: NamespaceRequest = NamespaceRequest::new("");
    request.description = "Namespace for Team 1".into();
    request.acls = Some(serde_json::from_value(payload["ACLs"].clone()).unwrap());
    request.meta.insert("foo".into(), "bar".into());
    let updated = consul.namespaces().update("team-1", &request, &w()).await.unwrap();
    assert_eq!(updated.modify_index, 55);
    server.verify().await;
}

#[tokio::test]
async fn partitions_crud_in_the_documented_shapes() {
    let (server, consul) = mock().await;
    Mock::given(method("PUT"))
        .and(path("/v1/partition"))
        .and(body_json(docs_json("partition-create.request.docs.json")))
        .respond_with(docs("partition-create.docs.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/partition/na-west"))
        .and(body_json(docs_json("partition-update.request.docs.json")))
        .respond_with(docs("partition-update.docs.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/partition/na-west"))
        .respond_with(docs("partition-deleted.docs.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/partition/nowhere"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/partitions"))
        .respond_with(docs("partition-list.docs.json"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/partition/na-west"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let partitions = consul.partitions();
    let created = partitions.create("na-west", "Partition for North America West", &w()).await.unwrap();
    assert_eq!((created.name.as_str(), created.modify_index), ("na-west", 55));
    let updated = partitions.update("na-west", "North America West Partition", &w()).await.unwrap();
    assert_eq!((updated.description.as_str(), updated.modify_index), ("North America West Partition", 60));
    partitions.delete("na-west", &w()).await.unwrap();
    let marked = partitions.get("na-west", &q()).await.unwrap().value.unwrap();
    assert_eq!(marked.deleted_at.as_deref(), Some("2021-12-14T23:00:00Z"), "still readable while being deleted");
    assert!(partitions.get("nowhere", &q()).await.unwrap().value.is_none());
    let all = partitions.list(&q()).await.unwrap().value;
    assert_eq!(all.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["default", "na-west"]);

    assert!(refused(&partitions.delete("default", &w()).await.unwrap_err(), "built-in partition"));
    for bad in BAD_NAMES {
        assert!(refused(&partitions.delete(bad, &w()).await.unwrap_err(), "admin partition name"), "{bad:?}");
        assert!(refused(&partitions.create(bad, "", &w()).await.unwrap_err(), "admin partition name"), "{bad:?}");
    }
    server.verify().await;
}

#[tokio::test]
async fn generate_token_and_establish_keep_the_token_secret() {
    let (server, consul) = mock().await;
    Mock::given(method("POST"))
        .and(path("/v1/peering/token"))
        .and(body_json(docs_json("peering-token.request.docs.json")))
        .respond_with(docs("peering-token.docs.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/peering/establish"))
        .and(body_json(docs_json("peering-establish.request.docs.json")))
        .respond_with(docs("peering-establish.docs.json"))
        .expect(1)
        .mount(&server)
        .await;
    let peerings = consul.peerings();
    let mut request = PeeringTokenRequest::new("cluster-02");
    request.meta.insert("env".into(), "production".into());
    let token = peerings.generate_token(&request, &w()).await.unwrap();
    assert_eq!(token.expose(), "eyJDQSI6bnVsbCwiU2V...");
    assert!(!format!("{token:?} {token}").contains("eyJ"), "the token never prints");

    let mut establish = PeeringEstablishRequest::new("cluster-01", token.clone());
    establish.meta.insert("env".into(), "production".into());
    assert!(!format!("{establish:?}").contains("eyJ"), "{establish:?}");
    peerings.establish(&establish, &w()).await.unwrap();

    let blank = PeeringEstablishRequest::new("cluster-01", Secret::new("  "));
    assert!(refused(&peerings.establish(&blank, &w()).await.unwrap_err(), "peering token"));
    for bad in BAD_NAMES {
        let err = peerings.generate_token(&PeeringTokenRequest::new(*bad), &w()).await.unwrap_err();
        assert!(refused(&err, "peer name"), "{bad:?}: {err}");
        let err = peerings.establish(&PeeringEstablishRequest::new(*bad, token.clone()), &w()).await.unwrap_err();
        assert!(refused(&err, "peer name") && !err.to_string().contains("eyJ"), "{bad:?}: {err}");
    }
    server.verify().await;
}

#[tokio::test]
async fn a_server_error_echoing_the_peering_token_is_redacted() {
    let (server, consul) = mock().await;
    let token = Secret::new("eyJ-a-real-looking-peering-token");
    Mock::given(method("POST"))
        .and(path("/v1/peering/establish"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_string(format!("failed to decode peering token {:?}: illegal base64 data", token.expose())),
        )
        .mount(&server)
        .await;
    let err = consul.peerings().establish(&PeeringEstablishRequest::new("cluster-01", token), &w()).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("eyJ-a-real") && shown.contains("<redacted>"), "{shown}");
}

#[tokio::test]
async fn peerings_read_list_and_delete_by_exact_name_in_a_partition() {
    let (server, consul) = mock().await;
    Mock::given(method("GET"))
        .and(path("/v1/peering/cluster-02"))
        .and(query_param("partition", "na-west"))
        .respond_with(docs("peering-read.docs.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/peering/cluster-09"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/peerings"))
        .and(query_param_is_missing("partition"))
        .respond_with(docs("peering-list.docs.json"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/peering/cluster-02"))
        .and(query_param("partition", "na-west"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let peerings = consul.peerings();
    let in_west = QueryOptions::new().partition("na-west");
    let peering = peerings.get("cluster-02", &in_west).await.unwrap().value.unwrap();
    assert_eq!(
        (peering.state.as_str(), peering.peer_server_addresses.as_slice()),
        ("INITIAL", &["10.0.0.1:8300".to_owned()][..])
    );
    assert!(peerings.get("cluster-09", &q()).await.unwrap().value.is_none());
    let all = peerings.list(&q()).await.unwrap().value;
    assert_eq!(
        all.iter().map(|p| (p.name.as_str(), p.state.as_str())).collect::<Vec<_>>(),
        [("cluster-02", "ACTIVE"), ("cluster-03", "INITIAL")]
    );
    assert_eq!(all[1].meta.get("env").map(String::as_str), Some("production"));
    assert!(all[1].peer_server_addresses.is_empty());

    let deleted = peerings.delete("cluster-02", &WriteOptions::new().partition("na-west")).await.unwrap();
    assert_eq!(deleted.id, "462c45e8-018e-f19d-85eb-1fc1bcc2ef12");
    // An unknown name is refused after the read, before any DELETE; it lists what exists.
    let unknown = peerings.delete("cluster-09", &w()).await.unwrap_err();
    assert!(
        refused(&unknown, "is not a peering of this cluster") && unknown.to_string().contains("cluster-03"),
        "{unknown}"
    );
    for bad in BAD_NAMES {
        assert!(refused(&peerings.delete(bad, &w()).await.unwrap_err(), "peer name"), "{bad:?}");
    }
    let bad_partition = peerings.list(&QueryOptions::new().partition("a/b")).await.unwrap_err();
    assert!(refused(&bad_partition, "admin partition"), "{bad_partition}");
    let terminated: consul_client::Peering = serde_json::from_value(docs_json("peering-deleted.docs.json")).unwrap();
    assert_eq!(
        (terminated.state.as_str(), terminated.deleted_at.as_deref()),
        ("TERMINATED", Some("2022-12-14T23:00:00Z"))
    );
    server.verify().await;
}

#[tokio::test]
async fn the_partition_option_reaches_other_endpoints_and_the_client_header_stays() {
    let (server, _) = mock().await;
    Mock::given(method("GET"))
        .and(path("/v1/kv/app/config"))
        .and(query_param("partition", "na-west"))
        .and(query_param("ns", "team-1"))
        .and(wiremock::matchers::header("X-Consul-Partition", "default"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let consul = ConsulClient::builder().address(&server.uri()).partition("default").build().unwrap();
    let opts = QueryOptions::new().partition("na-west").namespace("team-1");
    assert!(consul.kv().get("app/config", &opts).await.unwrap().value.is_none());
    server.verify().await;
}
