//! Variables (1.4+) and locks (1.7+) against the documented shapes.

use std::time::Duration;

use futures::TryStreamExt;
use nomad_client::{ClientError, Error, QueryOptions, Variable, VariableLock, WriteOptions};
use serde_json::json;
use wiremock::matchers::{body_json, body_partial_json, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

const LOCK: &str = "670c7248-e2ef-f982-e4c5-f4437f75f1e4";

fn prod() -> WriteOptions {
    WriteOptions::new().namespace("prod")
}

#[tokio::test]
async fn get_decodes_items_and_keeps_their_values_out_of_debug() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/var/example/first"))
        .and(query_is(&[("namespace", "prod")]))
        .respond_with(ok("nomad-docs/var-read.docs.json", 1457))
        .expect(1)
        .mount(&server)
        .await;
    let var = nomad.variables().get("example/first", &QueryOptions::new().namespace("prod")).await.unwrap();
    assert_eq!(var.meta.last_index, 1457);
    assert_eq!(var.value.item_value("password"), Some("passw0rd1"));
    assert_eq!(var.value.modify_time, 1662061225600373000);
    let debug = format!("{var:?}");
    assert!(!debug.contains("passw0rd1") && debug.contains("\"password\": <redacted>"), "{debug}");
    Mock::given(method("GET"))
        .and(path("/v1/var/missing"))
        .respond_with(ResponseTemplate::new(404).set_body_string("variable not found"))
        .mount(&server)
        .await;
    let err = nomad.variables().get("missing", &QueryOptions::new()).await.unwrap_err();
    assert!(err.is_not_found() && err.to_string().contains("\"missing\""), "{err}");
}

/// The docs' answer for `example/first` in `prod`, served for other asks: a
/// rewrite or a confused proxy must not hand one variable's items to a caller
/// who will write them back under another name.
#[tokio::test]
async fn an_answer_for_another_variable_or_namespace_is_refused() {
    let (server, nomad) = server().await;
    for asked in ["example/second", "example"] {
        Mock::given(method("GET"))
            .and(path(format!("/v1/var/{asked}")))
            .respond_with(ok("nomad-docs/var-read.docs.json", 1457))
            .mount(&server)
            .await;
        let err = nomad.variables().get(asked, &QueryOptions::new().namespace("prod")).await.unwrap_err();
        assert!(matches!(err, Error::Refused { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(&format!("{asked:?}")) && text.contains("\"example/first\""), "{text}");
        assert!(!text.contains("passw0rd1"), "no item value in the error: {text}");
    }
    Mock::given(method("GET"))
        .and(path("/v1/var/example/first"))
        .and(query_is(&[("namespace", "staging")]))
        .respond_with(ok("nomad-docs/var-read.docs.json", 1457))
        .mount(&server)
        .await;
    let err = nomad.variables().get("example/first", &QueryOptions::new().namespace("staging")).await.unwrap_err();
    assert!(err.to_string().contains("of namespace \"prod\" for it"), "{err}");
}

#[tokio::test]
async fn list_pages_through_metadata() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/vars"))
        .and(query_is(&[("namespace", "*"), ("prefix", "example"), ("per_page", "2")]))
        .respond_with(ok("nomad-docs/vars-list.docs.json", 1457))
        .expect(1)
        .mount(&server)
        .await;
    let opts = QueryOptions::new().all_namespaces().prefix("example").per_page(2);
    let vars: Vec<Variable> = nomad.variables().list_stream(&opts).unwrap().try_collect().await.unwrap();
    assert_eq!(vars.iter().map(|v| v.path.as_str()).collect::<Vec<_>>(), ["example/first", "example/second"]);
    assert!(vars.iter().all(|v| v.items.is_none()), "list rows carry no items");
}

#[tokio::test]
async fn put_sends_items_and_cas() {
    let (server, nomad) = server().await;
    Mock::given(method("PUT"))
        .and(path("/v1/var/example/first"))
        .and(query_is(&[("namespace", "prod"), ("cas", "0")]))
        .and(body_json(json_fixture("nomad-docs/var-put.request.docs.json")))
        .respond_with(ok("nomad-docs/var-put.docs.json", 1457))
        .expect(1)
        .mount(&server)
        .await;
    let var = Variable { namespace: "prod".into(), ..Variable::new("example/first") }
        .item("user", "me")
        .item("password", "passw0rd1");
    let written = nomad.variables().put(&var, Some(0), &prod()).await.unwrap();
    assert_eq!(written.modify_index, 1457);
    // Without cas no cas= is sent.
    Mock::given(method("PUT"))
        .and(path("/v1/var/example/plain"))
        .and(query_is(&[("namespace", NS)]))
        .respond_with(ok("nomad-docs/var-put.docs.json", 1458))
        .expect(1)
        .mount(&server)
        .await;
    nomad.variables().put(&Variable::new("example/plain").item("k", "v"), None, &WriteOptions::new()).await.unwrap();
}

#[tokio::test]
async fn a_lost_cas_race_is_a_typed_conflict_with_the_current_variable() {
    let (server, nomad) = server().await;
    Mock::given(method("PUT"))
        .and(path("/v1/var/example/first"))
        .and(query_param("cas", "1400"))
        .respond_with(FIXTURES.json_response(409, "nomad-docs/var-put-conflict.docs.json"))
        .expect(1)
        .mount(&server)
        .await;
    let var = Variable::new("example/first").item("user", "you");
    let err = nomad.variables().put(&var, Some(1400), &prod()).await.unwrap_err();
    let Error::CasConflict { path: at, namespace, check_index, current } = &err else { panic!("{err:?}") };
    assert_eq!((at.as_str(), namespace.as_str(), *check_index), ("example/first", "prod", 1400));
    assert_eq!(current.modify_index, 1457);
    assert_eq!(current.item_value("user"), Some("me"));
    let text = err.to_string();
    assert!(text.contains("expected modify index 1400") && text.contains("1457"), "{text}");
    assert!(!format!("{err:?}").contains("passw0rd1"), "the conflict's items stay redacted");

    Mock::given(method("DELETE"))
        .and(path("/v1/var/example/first"))
        .and(query_param("cas", "3"))
        .respond_with(FIXTURES.json_response(409, "nomad-docs/var-delete-conflict.docs.json"))
        .expect(1)
        .mount(&server)
        .await;
    let err = nomad.variables().delete("example/first", Some(3), &prod()).await.unwrap_err();
    assert!(matches!(&err, Error::CasConflict { current, .. } if current.items.is_none()), "{err:?}");
}

#[tokio::test]
async fn delete_accepts_200_and_204() {
    let (server, nomad) = server().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/var/a"))
        .and(query_is(&[("namespace", "prod"), ("cas", "16")]))
        .respond_with(FIXTURES.json_response(200, "nomad-docs/var-delete.docs.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/var/b"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    nomad.variables().delete("a", Some(16), &prod()).await.unwrap();
    nomad.variables().delete("b", None, &prod()).await.unwrap();
}

#[tokio::test]
async fn bad_paths_and_namespaces_are_refused_before_sending() {
    let (server, nomad) = server().await;
    for bad in ["", "a//b", "/a", "a b", "a?b", "..", &"x".repeat(129)] {
        let err = nomad.variables().get(bad, &QueryOptions::new()).await.unwrap_err();
        assert!(err.to_string().contains("variable path"), "{bad:?}: {err}");
    }
    let var = Variable { namespace: "prod".into(), ..Variable::new("a") };
    let err = nomad.variables().put(&var, None, &WriteOptions::new()).await.unwrap_err();
    assert!(err.to_string().contains("differs from the namespace of the call"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn locks_are_acquired_renewed_and_released() {
    let (server, nomad) = server().await;
    Mock::given(method("PUT"))
        .and(path("/v1/var/example/first"))
        .and(query_param("lock-acquire", ""))
        .and(body_partial_json(json!({ "Path": "example/first", "Lock": { "TTL": "15s", "LockDelay": "60s" } })))
        .respond_with(ok("nomad-docs/var-lock-acquire.docs.json", 16))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/var/example/first"))
        .and(query_param("lock-renew", ""))
        .and(body_partial_json(json_fixture("nomad-docs/var-lock-renew.request.docs.json")))
        .respond_with(ok("nomad-docs/var-lock-renew.docs.json", 43))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/var/example/first"))
        .and(query_param("lock-release", ""))
        .and(body_partial_json(json!({ "Lock": { "ID": LOCK } })))
        .respond_with(ok("nomad-docs/var-lock-release.docs.json", 66))
        .expect(1)
        .mount(&server)
        .await;
    let var = Variable::new("example/first").item("user", "me");
    let lock = VariableLock::new(Duration::from_secs(15), Duration::from_secs(60));
    let held = nomad.variables().acquire_lock(&var, &lock, &prod()).await.unwrap();
    let id = held.lock.as_ref().unwrap().id.clone();
    assert_eq!(id, LOCK);
    let renewed = nomad.variables().renew_lock("example/first", &id, &prod()).await.unwrap();
    assert!(renewed.items.is_none() && renewed.lock.is_some());
    let released = nomad.variables().release_lock("example/first", &id, &prod()).await.unwrap();
    assert!(released.lock.is_none());

    let short = VariableLock::new(Duration::from_secs(5), Duration::from_secs(15));
    let err = nomad.variables().acquire_lock(&var, &short, &prod()).await.unwrap_err();
    assert!(err.to_string().contains("lock TTL") && err.to_string().contains("between 10s"), "{err}");
    let err = nomad.variables().renew_lock("example/first", "670c7248", &prod()).await.unwrap_err();
    assert!(err.to_string().contains("lock ID"), "{err}");
}

#[tokio::test]
async fn a_held_lock_is_a_lock_conflict() {
    let (server, nomad) = server().await;
    Mock::given(method("PUT"))
        .and(path("/v1/var/example/first"))
        .respond_with(FIXTURES.json_response(409, "nomad-docs/var-lock-conflict.docs.json"))
        .mount(&server)
        .await;
    let err = nomad.variables().renew_lock("example/first", LOCK, &WriteOptions::new()).await.unwrap_err();
    assert!(matches!(&err, Error::LockConflict { path, .. } if path == "example/first"), "{err:?}");
    assert!(err.to_string().contains("held by someone else"), "{err}");
}
