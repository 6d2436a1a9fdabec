//! sys/init, sys/unseal, sys/seal, sys/step-down: recorded uninitialised
//! raft Vault 1.8 bodies and the API docs' shapes.

use vault_client::Secret;
use vault_client::seal::InitRequest;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{answer, doc_answer, doc_fixture, no_content, setup};

#[tokio::test]
async fn init_status_reads_the_recorded_uninitialised_server() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/init"))
        .respond_with(answer(200, "raft-uninit-sys-init"))
        .mount(&server)
        .await;
    assert!(!vault.sys().init_status().await.unwrap());
}

#[tokio::test]
async fn init_sends_the_documented_body_and_keeps_keys_and_root_token_secret() {
    let (server, vault) = setup().await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/init"))
        .and(body_json(doc_fixture("sys-init.request.docs")))
        .respond_with(doc_answer(200, "sys-init.docs"))
        .expect(1)
        .mount(&server)
        .await;
    let init = vault.sys().init(&InitRequest::shamir(10, 5)).await.unwrap();
    let keys: Vec<&str> = init.keys.iter().map(Secret::expose).collect();
    assert_eq!(keys, ["one", "two", "three"]);
    assert_eq!(init.keys_base64[0].expose(), "cR9No5cBC");
    assert_eq!(init.root_token.expose(), "foo");
    assert!(init.recovery_keys.is_empty());
    let debug = format!("{init:?}");
    for secret in ["one", "two", "three", "cR9No5cBC", "F3VLrkOo", "zIDSZNGv", "\"foo\""] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
    assert!(debug.contains("<redacted>"));
}

#[tokio::test]
async fn auto_unseal_init_returns_recovery_keys_and_pgp_keys_go_as_strings() {
    let (server, vault) = setup().await;
    // The Go client's InitResponse fields (api/sys_init.go); the docs print no auto-unseal answer.
    let body = serde_json::json!({
        "keys": [], "keys_base64": [],
        "recovery_keys": ["rk-hex-1", "rk-hex-2"], "recovery_keys_base64": ["cmsx", "cmsy"],
        "root_token": "s.rootrootroot"
    });
    let expected = serde_json::json!({
        "recovery_shares": 2, "recovery_threshold": 2,
        "recovery_pgp_keys": ["keybase:alice", "keybase:bob"], "root_token_pgp_key": "keybase:carol"
    });
    Mock::given(method("PUT"))
        .and(path("/v1/sys/init"))
        .and(body_json(expected))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let request = InitRequest::auto_unseal(2, 2)
        .recovery_pgp_keys(["keybase:alice", "keybase:bob"])
        .root_token_pgp_key("keybase:carol");
    let init = vault.sys().init(&request).await.unwrap();
    assert_eq!(init.recovery_keys.len(), 2);
    assert_eq!(init.recovery_keys_base64[1].expose(), "cmsy");
    let debug = format!("{init:?}");
    assert!(!debug.contains("rk-hex") && !debug.contains("cmsx") && !debug.contains("rootroot"), "{debug}");
}

#[tokio::test]
async fn init_is_never_retried() {
    let (server, vault) = setup().await;
    // A retry after a lost answer would meet "already initialized" and lose the keys.
    Mock::given(method("PUT"))
        .and(path("/v1/sys/init"))
        .respond_with(ResponseTemplate::new(500).set_body_json(serde_json::json!({"errors": ["boom"]})))
        .expect(1)
        .mount(&server)
        .await;
    let err = vault.sys().init(&InitRequest::shamir(1, 1)).await.unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
}

#[tokio::test]
async fn bad_init_requests_are_refused_before_sending() {
    let (server, vault) = setup().await;
    let cases = [
        (InitRequest::default(), "no key shares"),
        (InitRequest::shamir(0, 0), "no key shares"),
        (InitRequest::shamir(2, 0), "a threshold of at least one"),
        (InitRequest::shamir(3, 5), "threshold larger"),
        (InitRequest::shamir(256, 3), "at most 255"),
        (InitRequest::shamir(3, 1), "threshold above one"),
        (InitRequest::shamir(3, 2).pgp_keys(["a", "b"]), "2 PGP keys"),
        (InitRequest::shamir(2, 2).pgp_keys(["a", " "]), "empty PGP key at position 1"),
        (InitRequest::auto_unseal(5, 6), "recovery shares"),
    ];
    for (request, expected) in cases {
        let err = vault.sys().init(&request).await.unwrap_err();
        assert!(err.to_string().contains(expected), "{request:?}: {err}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn unseal_reports_progress_then_unsealed_and_never_prints_the_key() {
    let (server, vault) = setup().await;
    let key = Secret::new("abcd1234...");
    Mock::given(method("PUT"))
        .and(path("/v1/sys/unseal"))
        .and(body_json(doc_fixture("sys-unseal.request.docs")))
        .respond_with(doc_answer(200, "sys-unseal-progress.docs"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/unseal"))
        .respond_with(doc_answer(200, "sys-unseal-done.docs"))
        .mount(&server)
        .await;
    let status = vault.sys().unseal(&key).await.unwrap();
    assert!(status.sealed);
    assert_eq!((status.progress, status.threshold, status.shares), (2, 3, 5));
    let status = vault.sys().unseal(&key).await.unwrap();
    assert!(!status.sealed);
    assert_eq!(status.cluster_name.as_deref(), Some("vault-cluster-d6ec3c7f"));
}

#[tokio::test]
async fn an_unseal_error_echoing_the_key_is_redacted() {
    let (server, vault) = setup().await;
    let key = Secret::new("c2VjcmV0LXNoYXJl");
    Mock::given(method("PUT"))
        .and(path("/v1/sys/unseal"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "errors": ["'key' must be a valid hex or base64 string: c2VjcmV0LXNoYXJl"]
        })))
        .mount(&server)
        .await;
    let err = vault.sys().unseal(&key).await.unwrap_err();
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains("c2VjcmV0LXNoYXJl"), "{text}");
        assert!(text.contains("must be a valid hex"), "{text}");
    }
}

#[tokio::test]
async fn unseal_reset_and_migrate_send_their_flags_and_an_empty_key_is_refused() {
    let (server, vault) = setup().await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/unseal"))
        .and(body_json(serde_json::json!({"reset": true})))
        .respond_with(answer(200, "raft-uninit-sys-seal-status"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/unseal"))
        .and(body_json(serde_json::json!({"key": "k1", "migrate": true})))
        .respond_with(answer(200, "sys-seal-status"))
        .expect(1)
        .mount(&server)
        .await;
    let reset = vault.sys().unseal_reset().await.unwrap();
    assert_eq!((reset.progress, reset.storage_type.as_deref()), (0, Some("raft")));
    assert!(!vault.sys().unseal_migrate(&Secret::new("k1")).await.unwrap().sealed);
    for key in ["", "  "] {
        let err = vault.sys().unseal(&Secret::new(key)).await.unwrap_err();
        assert!(err.to_string().contains("unseal key") && err.to_string().contains("empty"), "{err}");
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn seal_and_step_down_are_bodiless_puts() {
    let (server, vault) = setup().await;
    for endpoint in ["/v1/sys/seal", "/v1/sys/step-down"] {
        Mock::given(method("PUT")).and(path(endpoint)).respond_with(no_content()).expect(1).mount(&server).await;
    }
    vault.sys().seal().await.unwrap();
    vault.sys().step_down().await.unwrap();
    let (server, vault) = setup().await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/seal"))
        .respond_with(answer(403, "error-403-bad-token"))
        .mount(&server)
        .await;
    let err = vault.sys().seal().await.unwrap_err();
    assert!(matches!(err, vault_client::Error::PermissionDenied { .. }), "{err}");
}
