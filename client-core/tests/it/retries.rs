use client_core::{Error, Request};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{TOKEN, client};

#[tokio::test]
async fn get_is_retried_on_503_and_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/x"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/x"))
        .and(header("X-Test-Token", TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .mount(&server)
        .await;
    let v: serde_json::Value = client(&server.uri()).json(Request::get("/v1/x")).await.unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn retries_are_bounded_and_the_last_error_is_returned() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).set_body_string("upstream down"))
        .mount(&server)
        .await;
    let err = client(&server.uri()).send(Request::get("/v1/x")).await.unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert!(err.to_string().contains("upstream down"), "{err}");
    // 1 attempt + 3 retries.
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

#[tokio::test]
async fn post_is_never_retried_after_it_was_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let err = client(&server.uri()).send(Request::post("/v1/job")).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn retry_after_zero_is_honoured_and_a_long_one_is_not_waited_for() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("\"fine\""))
        .mount(&server)
        .await;
    let v: String = client(&server.uri()).json(Request::get("/v1/x")).await.unwrap();
    assert_eq!(v, "fine");

    // A Retry-After beyond the retry budget returns the 429 at once.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600").set_body_string("slow down"))
        .mount(&server)
        .await;
    let err = client(&server.uri()).send(Request::get("/v1/x")).await.unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn accepted_statuses_are_returned_not_raised() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(404)).mount(&server).await;
    let resp = client(&server.uri()).send(Request::get("/v1/kv/missing").accept_status(&[404])).await.unwrap();
    assert_eq!(resp.status.as_u16(), 404);
    let err = client(&server.uri()).send(Request::get("/v1/kv/missing")).await.unwrap_err();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn errors_and_debug_never_carry_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(403).set_body_string("Permission denied"))
        .mount(&server)
        .await;
    let http = client(&server.uri());
    let err = http.send(Request::get("/v1/acl/token/self")).await.unwrap_err();
    for text in [err.to_string(), format!("{err:?}"), format!("{http:?}")] {
        assert!(!text.contains(TOKEN), "{text}");
    }
    assert!(matches!(err, Error::Api { status: 403, .. }));
}

#[tokio::test]
async fn query_flags_and_pairs_are_encoded() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_string("[]")).mount(&server).await;
    let req = Request::get("/v1/kv/a%20b").flag("recurse", true).query("dc", "dc 1&x").query_opt("index", None::<u64>);
    let _: Vec<String> = client(&server.uri()).json(req).await.unwrap();
    let seen = &server.received_requests().await.unwrap()[0];
    assert_eq!(seen.url.path(), "/v1/kv/a%20b");
    assert_eq!(seen.url.query(), Some("recurse&dc=dc+1%26x"));
}
