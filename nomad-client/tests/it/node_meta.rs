//! Dynamic node metadata (`/v1/client/metadata`, Nomad 1.5+) on the shapes of
//! the Nomad docs' client page: the read decodes, the apply sends the
//! documented payload (plus the `NodeID` the docs list as a parameter), bad
//! updates send nothing, and a server without the endpoint is named as such.

use nomad_client::{ClientError, Error, NodeMetaUpdate, QueryOptions, WriteOptions};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const READ: &str = "nomad-docs/client-metadata-read.docs.json";
const APPLY: &str = "nomad-docs/client-metadata-apply.docs.json";
const IMAGE: &str = "docker.io/envoyproxy/envoy:v${NOMAD_envoy_version}";

/// The documented payload with the node named, as the client sends it.
fn documented_body() -> serde_json::Value {
    let mut body = json_fixture("nomad-docs/client-metadata-apply.request.docs.json");
    body["NodeID"] = NODE.into();
    body
}

/// A POST mock that must see `times` requests.
async fn apply_mock(server: &MockServer, times: u64) {
    Mock::given(method("POST"))
        .and(path("/v1/client/metadata"))
        .respond_with(ok(APPLY, 0))
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn the_read_decodes_static_dynamic_and_merged_metadata() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/client/metadata"))
        .and(query_param("node_id", NODE))
        .and(token())
        .respond_with(ok(READ, 0))
        .expect(1)
        .mount(&server)
        .await;
    let meta = nomad.nodes().meta(NODE, &QueryOptions::new()).await.unwrap();
    assert_eq!(meta.meta.len(), 5);
    assert_eq!(meta.meta["connect.log_level"], "debug");
    assert_eq!(meta.statics["connect.log_level"], "info");
    assert_eq!(meta.statics["connect.sidecar_image"], IMAGE);
    assert_eq!(meta.dynamic["key_to_unset"], None);
    assert_eq!(meta.dynamic["foo"].as_deref(), Some("bar"));
    assert_eq!(meta.dynamic.len(), 3);
    assert!(meta.extra.is_empty());
}

#[tokio::test]
async fn the_apply_sends_exactly_the_documented_body_with_null_for_an_unset_key() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/client/metadata"))
        .and(token())
        .and(body_json(documented_body()))
        .respond_with(ok(APPLY, 0))
        .expect(1)
        .mount(&server)
        .await;
    let update = NodeMetaUpdate::new().set("connect.log_level", "debug").unset("key_to_unset").set("foo", "bar");
    let meta = nomad.nodes().apply_meta(NODE, &update, &WriteOptions::new()).await.unwrap();
    assert_eq!(meta.meta["foo"], "bar");
    assert_eq!(meta.dynamic["key_to_unset"], None);
    assert_eq!(only_body(&server).await["Meta"]["key_to_unset"], serde_json::Value::Null);
}

#[tokio::test]
async fn the_same_change_twice_is_sent_once_and_an_empty_value_is_a_value() {
    let (server, nomad) = server().await;
    apply_mock(&server, 1).await;
    let update = NodeMetaUpdate::new().set("rack", "").set("rack", "").unset("old").unset("old");
    nomad.nodes().apply_meta(NODE, &update, &WriteOptions::new()).await.unwrap();
    let body = only_body(&server).await;
    assert_eq!(body, serde_json::json!({ "NodeID": NODE, "Meta": { "rack": "", "old": null } }));
}

#[tokio::test]
async fn bad_node_ids_and_updates_send_nothing() {
    let (server, nomad) = server().await;
    apply_mock(&server, 0).await;
    Mock::given(method("GET"))
        .and(path("/v1/client/metadata"))
        .respond_with(ok(READ, 0))
        .expect(0)
        .mount(&server)
        .await;
    let nodes = nomad.nodes();
    let one = NodeMetaUpdate::new().set("foo", "bar");
    for id in ["ea4c7b83", "", "ea4c7b83-cf7b-0c33-baf0-487bed6b3ae4/../x"] {
        let err = nodes.meta(id, &QueryOptions::new()).await.unwrap_err().to_string();
        assert!(err.contains("node ID"), "{id:?}: {err}");
        let err = nodes.apply_meta(id, &one, &WriteOptions::new()).await.unwrap_err().to_string();
        assert!(err.contains("node ID"), "{id:?}: {err}");
    }
    let cases = [
        (NodeMetaUpdate::new(), "empty Meta"),
        (NodeMetaUpdate::new().set("", "x"), "must not be empty"),
        (NodeMetaUpdate::new().set("some/path", "x"), "dotted HCL identifier"),
        (NodeMetaUpdate::new().unset("a..b"), "empty part"),
        (NodeMetaUpdate::new().set("rack id", "x"), "dotted HCL identifier"),
        (NodeMetaUpdate::new().set("foo", "bar").unset("foo"), "both set to \"bar\" and unset"),
        (NodeMetaUpdate::new().set("foo", "a").set("foo", "b"), "both set to \"a\" and set to \"b\""),
    ];
    for (update, why) in cases {
        let err = nodes.apply_meta(NODE, &update, &WriteOptions::new()).await.unwrap_err();
        assert!(matches!(err, Error::Core(client_core::Error::InvalidInput { .. })), "{update:?}: {err}");
        assert!(err.to_string().contains(why), "{update:?}: {err}");
    }
}

#[tokio::test]
async fn a_server_without_the_endpoint_is_named_and_an_unreachable_node_is_the_node() {
    let (server, nomad) = server().await;
    // An older Nomad's catch-all answers an unknown path with an empty 404 (recorded for
    // 1.1.2 on /v1/does-not-exist); a 1.5+ one names the node it has no path to.
    Mock::given(path("/v1/client/metadata"))
        .and(query_param("node_id", NODE))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(path("/v1/client/metadata"))
        .respond_with(ResponseTemplate::new(404).set_body_string("No path to node"))
        .mount(&server)
        .await;
    let err = nomad.nodes().meta(NODE, &QueryOptions::new()).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.to_string(), r#"Nomad 1.5+ endpoint "/v1/client/metadata" was not found"#);
    let update = NodeMetaUpdate::new().set("foo", "bar");
    let err = nomad.nodes().apply_meta(NODE, &update, &WriteOptions::new()).await.unwrap_err();
    assert!(matches!(&err, Error::NotFound { kind: "node", name, .. } if name == NODE), "{err}");
}
