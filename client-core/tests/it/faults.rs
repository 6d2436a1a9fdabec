use std::time::Duration;

use client_core::{ClientConfig, Error, HttpClient, Request, RetryPolicy};
use sandbox::faults::{Fault, FaultServer};

use crate::{TOKEN, client};

#[tokio::test]
async fn connection_refused_is_a_transport_error_naming_the_host() {
    let port = sandbox::ports::free_port();
    let err = client(&format!("http://127.0.0.1:{port}")).send(Request::get("/v1/x")).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains(&format!("127.0.0.1:{port}")), "{err}");
}

#[tokio::test]
async fn reset_before_response_is_retried_for_get_only() {
    let server = FaultServer::start(vec![Fault::ResetBeforeResponse, Fault::json(200, "[1]")]).await;
    let v: Vec<u32> = client(&server.url()).json(Request::get("/v1/x")).await.unwrap();
    assert_eq!(v, vec![1]);
    assert_eq!(server.seen().len(), 2);

    let server = FaultServer::start(vec![Fault::ResetBeforeResponse, Fault::json(200, "{}")]).await;
    let err = client(&server.url()).send(Request::post("/v1/job")).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(server.seen().len(), 1, "a POST that reached the server must not be sent twice");
}

#[tokio::test]
async fn reset_mid_body_is_retried_for_get() {
    let server =
        FaultServer::start(vec![Fault::ResetMidBody { announced: 1000, sent: 100 }, Fault::json(200, "[2]")]).await;
    let v: Vec<u32> = client(&server.url()).json(Request::get("/v1/x")).await.unwrap();
    assert_eq!(v, vec![2]);
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn reset_mid_body_is_a_transport_error() {
    let server = FaultServer::start(vec![Fault::ResetMidBody { announced: 1000, sent: 100 }]).await;
    let http =
        HttpClient::new(ClientConfig::new(&server.url(), "X").unwrap().with_retry(RetryPolicy::disabled())).unwrap();
    let err = http.send(Request::get("/v1/x")).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn a_server_that_never_answers_hits_the_timeout() {
    let server = FaultServer::start(vec![Fault::Hang]).await;
    let http = HttpClient::new(
        ClientConfig::new(&server.url(), "X")
            .unwrap()
            .with_timeout(Duration::from_millis(300))
            .with_retry(RetryPolicy::disabled()),
    )
    .unwrap();
    let err = http.send(Request::get("/v1/x")).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("no answer within 300ms"), "{err}");
}

#[tokio::test]
async fn a_slow_trickle_body_hits_the_timeout() {
    let body = br#"{"a": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}"#.to_vec();
    let server = FaultServer::start(vec![Fault::Trickle { body, interval: Duration::from_millis(50) }]).await;
    let http = HttpClient::new(
        ClientConfig::new(&server.url(), "X")
            .unwrap()
            .with_timeout(Duration::from_millis(400))
            .with_retry(RetryPolicy::disabled()),
    )
    .unwrap();
    let err = http.send(Request::get("/v1/x")).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. } | Error::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn truncated_and_non_json_bodies_are_decode_errors_with_an_excerpt() {
    let server = FaultServer::start(vec![
        Fault::json(200, r#"{"Key": "a", "Val"#),
        Fault::with_headers(200, &[("Content-Type", "text/html")], "<html>oops</html>"),
    ])
    .await;
    let http = client(&server.url());
    let err = http.json::<serde_json::Value>(Request::get("/v1/x")).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains(r#"{"Key": "a", "Val"#), "{err}");
    let err = http.json::<serde_json::Value>(Request::get("/v1/x")).await.unwrap_err();
    assert!(err.to_string().contains("<html>oops</html>"), "{err}");
}

#[tokio::test]
async fn an_oversized_body_is_refused_not_buffered() {
    // 300 MiB announced through chunks; the client stops at its 1 MiB limit.
    let server = FaultServer::start(vec![Fault::Oversized { bytes: 300 * 1024 * 1024 }]).await;
    let http =
        HttpClient::new(ClientConfig::new(&server.url(), "X").unwrap().with_max_body_bytes(1024 * 1024)).unwrap();
    let err = http.send(Request::get("/v1/x")).await.unwrap_err();
    assert!(matches!(err, Error::BodyTooLarge { limit: 1_048_576, .. }), "{err:?}");
}

#[tokio::test]
async fn redirects_to_a_foreign_host_are_refused_and_get_no_token() {
    let foreign = FaultServer::start_on("127.0.0.2", vec![Fault::json(200, "{}")]).await;
    let location = format!("http://127.0.0.2:{}/v1/x", foreign.port());
    let server = FaultServer::start(vec![Fault::with_headers(307, &[("Location", &location)], "")]).await;
    let err = client(&server.url()).send(Request::get("/v1/x")).await.unwrap_err();
    assert!(matches!(err, Error::Redirect { .. }), "{err:?}");
    assert!(foreign.seen().is_empty(), "the foreign host must not be contacted");
    assert!(!err.to_string().contains(TOKEN));
}

#[tokio::test]
async fn a_redirect_to_another_path_is_refused_and_its_body_never_read() {
    // What Consul does with `/v1/agent/service/..%2F..%2Facl%2Ftoken%2Fself`:
    // it cleans the decoded path and redirects to the token endpoint, whose
    // body holds the caller's SecretID. The client must never go there.
    let server = FaultServer::start(vec![
        Fault::with_headers(301, &[("Location", "/v1/acl/token/self")], ""),
        Fault::json(200, &format!(r#"{{"SecretID":"{TOKEN}"}}"#)),
    ])
    .await;
    let err = client(&server.url()).json::<String>(Request::get("/v1/moved/x")).await.unwrap_err();
    assert!(matches!(err, Error::Redirect { .. }), "{err:?}");
    assert!(err.to_string().contains("another path"), "{err}");
    assert!(!err.to_string().contains(TOKEN));
    assert_eq!(server.seen().len(), 1, "the redirect target must not be requested");
}

#[tokio::test]
async fn a_redirect_to_the_same_path_encoded_otherwise_is_followed() {
    // A Go server (Vault's standby) writes the decoded path back with its own
    // escaping: the SDK's `a%3Db` comes back as `a=b`, the same resource.
    let server = FaultServer::start(vec![
        Fault::with_headers(307, &[("Location", "/v1/kv/a=b?x=1%202")], ""),
        Fault::json(200, "\"here\""),
    ])
    .await;
    let path = client_core::path::PathBuf::new("/v1/kv").key("KV key", "a=b").unwrap().finish();
    let v: String = client(&server.url()).json(Request::get(path).query("x", "1 2")).await.unwrap();
    assert_eq!(v, "here");
    assert_eq!(server.seen().len(), 2);
    // A difference in what is decoded is another resource, still refused.
    let server = FaultServer::start(vec![Fault::with_headers(307, &[("Location", "/v1/kv/a=c")], "")]).await;
    let path = client_core::path::PathBuf::new("/v1/kv").key("KV key", "a=b").unwrap().finish();
    let err = client(&server.url()).json::<String>(Request::get(path)).await.unwrap_err();
    assert!(matches!(err, Error::Redirect { .. }), "{err:?}");
}

#[tokio::test]
async fn a_redirect_that_keeps_the_path_is_followed_with_the_token() {
    // Vault's standby answers with the same path on the active node.
    let server = FaultServer::start(vec![
        Fault::with_headers(307, &[("Location", "/v1/x?a=1")], ""),
        Fault::json(200, "\"here\""),
    ])
    .await;
    let v: String = client(&server.url()).json(Request::get("/v1/x").query("a", 1)).await.unwrap();
    assert_eq!(v, "here");
    let seen = server.seen();
    assert_eq!(seen[1].target, "/v1/x?a=1");
    assert!(seen[1].headers.to_ascii_lowercase().contains(&format!("x-test-token: {TOKEN}")));
}
