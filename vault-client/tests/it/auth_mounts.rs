//! Auth methods enable/disable/tune (`sys/auth`) and `sys/remount`: the
//! recorded 1.8 enable bodies (tests/fixtures/vault/auth-enable-*) and the
//! API docs' tune and remount shapes (tests/fixtures/vault-docs/sys-*).

use std::time::Duration;

use serde_json::json;
use vault_client::auth::mounts::{AuthTune, MigrationStatus};
use vault_client::sys::{MountRequest, MountTune};

use crate::auth_support::{expect, nothing_sent};
use crate::common::{answer, doc_answer, doc_fixture, fixture, no_content, setup};

#[tokio::test]
async fn enable_tune_read_and_disable() {
    let (server, vault) = setup().await;
    expect(&server, "POST", "/v1/sys/auth/approle", Some(fixture("auth-enable-approle.request")), None).await;
    let mut tune = doc_fixture("sys-auth-tune.request.docs");
    tune.as_object_mut().unwrap().remove("user_lockout_config"); // 1.13+, not modelled
    tune["default_lease_ttl"] = json!("1800s");
    tune["max_lease_ttl"] = json!("86400s");
    expect(&server, "POST", "/v1/sys/auth/approle/tune", Some(tune), None).await;
    expect(&server, "GET", "/v1/sys/auth/approle/tune", None, Some(doc_answer(200, "sys-auth-tune-read.docs"))).await;
    // The envelope form, as the recorded 1.8 mount tune answers it.
    expect(&server, "GET", "/v1/sys/auth/deep/path/tune", None, Some(answer(200, "sys-mount-tune-read"))).await;
    expect(&server, "DELETE", "/v1/sys/auth/approle", None, None).await;

    let sys = vault.sys();
    let mut enable = MountRequest::new("approle");
    enable.description = "machines".into();
    sys.enable_auth("approle/", &enable).await.unwrap();
    let tune = AuthTune {
        mount: MountTune {
            default_lease_ttl: Some(Duration::from_secs(1800)),
            max_lease_ttl: Some(Duration::from_secs(86400)),
            ..MountTune::default()
        },
        audit_non_hmac_request_keys: Some(vec!["client_nonce".into()]),
        ..AuthTune::default()
    };
    sys.tune_auth("approle", &tune).await.unwrap();
    let read = sys.auth_tune("approle").await.unwrap();
    assert_eq!(read.default_lease_ttl, Duration::from_secs(2_764_800));
    assert_eq!(read.token_type.as_deref(), Some("default-service"));
    let enveloped = sys.auth_tune("deep/path").await.unwrap();
    assert_eq!(enveloped.description, "key/value secret storage");
    assert!(enveloped.extra.contains_key("options"), "{enveloped:?}");
    sys.disable_auth("approle").await.unwrap();
}

#[tokio::test]
async fn remount_async_sync_and_status() {
    let (server, vault) = setup().await;
    // 1.13+: queued, the ID under `data` (Vault's handler) ...
    let mut queued = fixture("approle-role-id");
    queued["data"] = doc_fixture("sys-remount.docs");
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/v1/sys/remount"))
        .and(wiremock::matchers::body_json(doc_fixture("sys-remount.request.docs")))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(queued))
        .expect(1)
        .mount(&server)
        .await;
    // ... or top-level as the docs print it; 1.8 moved at once and answered 204.
    let top = doc_answer(200, "sys-remount.docs");
    expect(&server, "POST", "/v1/sys/remount", Some(json!({"from": "kv", "to": "kv2"})), Some(top)).await;
    expect(
        &server,
        "POST",
        "/v1/sys/remount",
        Some(json!({"from": "auth/approle", "to": "auth/machines"})),
        Some(no_content()),
    )
    .await;
    let id = "ef3ba21c-8be8-4e5f-8d00-cb46a532c665";
    expect(
        &server,
        "GET",
        &format!("/v1/sys/remount/status/{id}"),
        None,
        Some(doc_answer(200, "sys-remount-status.docs")),
    )
    .await;

    let sys = vault.sys();
    assert_eq!(sys.remount("secret", "new-secret/").await.unwrap().as_deref(), Some(id));
    assert_eq!(sys.remount("kv/", "kv2").await.unwrap().as_deref(), Some(id));
    assert_eq!(sys.remount("auth/approle", "auth/machines").await.unwrap(), None);
    let status = sys.remount_status(id).await.unwrap();
    assert_eq!(status.migration_info.status, MigrationStatus::InProgress);
    assert_eq!(status.migration_info.source_mount, "ns1/ns2/secret");
    assert_eq!(status.migration_info.target_mount, "ns1/ns3/new-secret");
}

#[tokio::test]
async fn dangerous_and_malformed_paths_are_refused_before_sending() {
    let (server, vault) = setup().await;
    nothing_sent(&server).await;
    let sys = vault.sys();
    for token in ["token", "token/"] {
        let err = sys.disable_auth(token).await.unwrap_err();
        assert!(err.to_string().contains("token auth method"), "{err}");
    }
    for bad in ["", "..", "a/../b", "/x", "a//b"] {
        assert!(sys.disable_auth(bad).await.is_err(), "{bad:?}");
        assert!(sys.enable_auth(bad, &MountRequest::new("approle")).await.is_err(), "{bad:?}");
        assert!(sys.auth_tune(bad).await.is_err(), "{bad:?}");
        assert!(sys.tune_auth(bad, &AuthTune::default()).await.is_err(), "{bad:?}");
        let err = sys.remount(bad, "x").await.unwrap_err();
        assert!(err.to_string().contains("remount source"), "{bad:?}: {err}");
        assert!(sys.remount("x", bad).await.unwrap_err().to_string().contains("remount target"));
    }
    for own in ["sys", "sys/", "identity", "cubbyhole/x", "auth/token", "auth/token/"] {
        let err = sys.remount(own, "elsewhere").await.unwrap_err();
        assert!(err.to_string().contains("Vault's own mounts"), "{own}: {err}");
        assert!(sys.remount("elsewhere", own).await.is_err(), "{own}");
    }
    let err = sys.remount("secret/", "secret").await.unwrap_err();
    assert!(err.to_string().contains("is the source itself"), "{err}");
    for id in ["", "..", "a/b"] {
        assert!(sys.remount_status(id).await.unwrap_err().to_string().contains("migration ID"), "{id:?}");
    }
}
