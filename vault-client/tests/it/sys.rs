//! sys/: health, seal status, leader, mounts, auth methods, raft, policies, wrapping.

use std::time::Duration;

use vault_client::Secret;
use vault_client::{ClientError, HealthState};
use wiremock::Mock;
use wiremock::matchers::{body_json, header, method, path, query_param};

use crate::common::{EmptyBody, NoHeader, ROOT, answer, doc_answer, fixture, setup};

#[tokio::test]
async fn health_maps_every_status_to_a_state() {
    let cases: [(u16, &str, bool, HealthState); 6] = [
        (200, "sys-health", false, HealthState::Active),
        (429, "sys-health-standby", true, HealthState::Standby),
        (473, "sys-health-standby", true, HealthState::PerformanceStandby),
        (472, "sys-health-standby", true, HealthState::DrSecondary),
        (503, "sys-health-sealed", true, HealthState::Sealed),
        (501, "sys-health-sealed", true, HealthState::Uninitialized),
    ];
    for (status, body, from_docs, expected) in cases {
        let (server, vault) = setup().await;
        let template = if from_docs { doc_answer(status, body) } else { answer(status, body) };
        // Exactly one call: a standby's 429 or a sealed 503 is an answer, not something to retry.
        Mock::given(method("GET")).and(path("/v1/sys/health")).respond_with(template).expect(1).mount(&server).await;
        let health = vault.sys().health().await.unwrap();
        assert_eq!(health.state, expected, "HTTP {status}");
        assert_eq!(health.sealed, body == "sys-health-sealed");
    }
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/health"))
        .respond_with(answer(299, "sys-health-custom-codes"))
        .mount(&server)
        .await;
    let health = vault.sys().health().await.unwrap();
    assert_eq!(health.state, HealthState::Other(299));
    assert_eq!(health.version, "1.8.0-dev");
}

#[tokio::test]
async fn seal_status_and_leader() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/seal-status"))
        .respond_with(answer(200, "sys-seal-status"))
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/v1/sys/leader")).respond_with(answer(200, "sys-leader")).mount(&server).await;
    let seal = vault.sys().seal_status().await.unwrap();
    assert!(!seal.sealed && seal.initialized);
    assert_eq!((seal.seal_type.as_str(), seal.threshold, seal.shares), ("shamir", 1, 1));
    assert_eq!(seal.storage_type.as_deref(), Some("inmem"));
    let leader = vault.sys().leader().await.unwrap();
    assert!(!leader.ha_enabled && leader.leader_address.is_empty());
}

#[tokio::test]
async fn mounts_and_auth_methods() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/mounts"))
        .and(header("X-Vault-Token", ROOT))
        .respond_with(answer(200, "sys-mounts-final"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/auth"))
        .respond_with(answer(200, "sys-auth-after"))
        .mount(&server)
        .await;
    let mounts = vault.sys().mounts().await.unwrap();
    assert_eq!(mounts["secret/"].kv_version(), Some(2));
    assert_eq!(mounts["kv/"].kv_version(), Some(1));
    assert_eq!(mounts["nomad/"].engine_type, "nomad");
    assert_eq!(mounts["consul/"].kv_version(), None);
    let auth = vault.sys().auth_methods().await.unwrap();
    assert_eq!(auth["github-employees/"].engine_type, "github");
    assert_eq!(auth["token/"].engine_type, "token");
}

#[tokio::test]
async fn raft_configuration_lists_peers_and_dev_mode_says_unsupported() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/storage/raft/configuration"))
        .respond_with(doc_answer(200, "sys-storage-raft-configuration"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/storage/raft/configuration"))
        .respond_with(answer(404, "sys-storage-raft-configuration"))
        .mount(&server)
        .await;
    let raft = vault.sys().raft_configuration().await.unwrap();
    assert_eq!(raft.servers.len(), 3);
    assert_eq!(raft.servers.iter().filter(|s| s.leader).map(|s| s.node_id.as_str()).collect::<Vec<_>>(), ["raft1"]);
    let err = vault.sys().raft_configuration().await.unwrap_err();
    assert!(err.is_not_found());
    assert!(err.to_string().ends_with("HTTP 404: unsupported path"), "{err}");
}

#[tokio::test]
async fn policy_read_list_and_missing() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/policies/acl/atala-read"))
        .respond_with(answer(200, "sys-policy-read"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/policies/acl/nope"))
        .respond_with(answer(404, "kv2-read-missing"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/policies/acl"))
        .and(query_param("list", "true"))
        .respond_with(answer(200, "sys-policies-list"))
        .mount(&server)
        .await;
    let policy = vault.sys().policy("atala-read").await.unwrap().unwrap();
    assert!(policy.policy.contains("path \"kv/atala-testnet/*\""));
    assert!(vault.sys().policy("nope").await.unwrap().is_none());
    assert!(vault.sys().policies().await.unwrap().contains(&"atala-read".to_owned()));
}

#[tokio::test]
async fn wrapped_read_then_lookup_and_unwrap_once() {
    let (server, vault) = setup().await;
    let wrapping_token = "s.IBjoSVXiYMB8BUBdR3PJdZq2";
    Mock::given(method("GET"))
        .and(path("/v1/secret/data/atala-testnet/dbHA1"))
        .and(header("X-Vault-Token", ROOT))
        .and(header("X-Vault-Wrap-TTL", "60s"))
        .respond_with(answer(200, "wrap-kv2-read"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/sys/wrapping/lookup"))
        .and(NoHeader("X-Vault-Wrap-TTL"))
        .and(body_json(fixture("wrap-lookup.request")))
        .respond_with(answer(200, "wrap-lookup"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/sys/wrapping/unwrap"))
        .and(header("X-Vault-Token", wrapping_token))
        .and(NoHeader("X-Vault-Wrap-TTL"))
        .and(EmptyBody)
        .respond_with(answer(200, "wrap-unwrap"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/sys/wrapping/unwrap"))
        .respond_with(answer(400, "wrap-unwrap-again"))
        .mount(&server)
        .await;
    let wrapped = vault.with_wrap_ttl(Duration::from_secs(60)).unwrap();
    let resp = wrapped.read::<serde_json::Value>("secret/data/atala-testnet/dbHA1").await.unwrap().unwrap();
    assert!(resp.data.is_none());
    let info = resp.wrap_info.unwrap();
    assert_eq!((info.ttl, info.creation_path.as_str()), (60, "secret/data/atala-testnet/dbHA1"));
    assert_eq!(info.token.expose(), wrapping_token);
    // Wrapping calls made through the wrapping client are not wrapped again.
    let lookup = wrapped.sys().wrapping().lookup(&info.token).await.unwrap();
    assert_eq!(lookup.creation_ttl, 60);
    let unwrapped = wrapped.sys().wrapping().unwrap::<serde_json::Value>(&info.token).await.unwrap();
    assert_eq!(unwrapped.data.unwrap()["data"]["patroni_scope"], "dbHA1");
    let err = vault.sys().wrapping().unwrap::<serde_json::Value>(&Secret::new(wrapping_token)).await.unwrap_err();
    assert_eq!(err.errors(), ["wrapping token is not valid or does not exist"]);
    assert!(!err.to_string().contains(wrapping_token), "{err}");
}

#[tokio::test]
async fn wrap_arbitrary_data() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/sys/wrapping/wrap"))
        .and(header("X-Vault-Wrap-TTL", "300s"))
        .and(body_json(fixture("wrap-wrap-data.request")))
        .respond_with(answer(200, "wrap-wrap-data"))
        .expect(1)
        .mount(&server)
        .await;
    let info = vault.sys().wrapping().wrap(&fixture("wrap-wrap-data.request"), Duration::from_secs(300)).await.unwrap();
    assert_eq!((info.ttl, info.creation_path.as_str()), (300, "sys/wrapping/wrap"));
}

#[tokio::test]
async fn mounts_enable_tune_disable_and_policies_write_delete() {
    let (server, vault) = crate::common::setup().await;
    let expect = |verb: &'static str,
                  p: &'static str,
                  body: Option<serde_json::Value>,
                  status: u16,
                  answer: Option<serde_json::Value>| {
        let mut mock = wiremock::Mock::given(wiremock::matchers::method(verb)).and(wiremock::matchers::path(p));
        if let Some(body) = body {
            mock = mock.and(wiremock::matchers::body_json(body));
        }
        let mut template = wiremock::ResponseTemplate::new(status);
        if let Some(answer) = answer {
            template = template.set_body_json(answer);
        }
        mock.respond_with(template).expect(1)
    };
    let fixture = crate::common::fixture;
    expect("POST", "/v1/sys/mounts/kv", Some(fixture("sys-mount-enable-kv1.request")), 204, None).mount(&server).await;
    expect("POST", "/v1/sys/mounts/secret", None, 400, Some(fixture("error-400-mount-exists"))).mount(&server).await;
    let tune = crate::common::doc_fixture("sys-mount-tune.request.docs");
    let tune = serde_json::json!({"default_lease_ttl": format!("{}s", tune["default_lease_ttl"]), "max_lease_ttl": format!("{}s", tune["max_lease_ttl"])});
    expect("POST", "/v1/sys/mounts/kv/tune", Some(tune), 204, None).mount(&server).await;
    expect("DELETE", "/v1/sys/mounts/ops/nested", None, 204, None).mount(&server).await;
    expect("PUT", "/v1/sys/policies/acl/atala-read", Some(fixture("sys-policy-write.request")), 204, None)
        .mount(&server)
        .await;
    expect("DELETE", "/v1/sys/policies/acl/atala-read", None, 204, None).mount(&server).await;
    let sys = vault.sys();
    let mut kv = vault_client::sys::MountRequest::new("kv");
    kv.description = "KV v1 for atala".into();
    kv.options.insert("version".into(), "1".into());
    sys.enable_mount("kv", &kv).await.unwrap();
    let err = sys.enable_mount("secret/", &kv).await.unwrap_err();
    assert_eq!(err.to_string(), "POST /v1/sys/mounts/secret failed with HTTP 400: path is already in use at kv/");
    let tune = vault_client::sys::MountTune {
        default_lease_ttl: Some(Duration::from_secs(1800)),
        max_lease_ttl: Some(Duration::from_secs(3600)),
        description: None,
    };
    sys.tune_mount("kv", &tune).await.unwrap();
    sys.disable_mount("ops/nested/").await.unwrap();
    let hcl = fixture("sys-policy-write.request")["policy"].as_str().unwrap().to_owned();
    sys.write_policy("atala-read", &hcl).await.unwrap();
    sys.delete_policy("atala-read").await.unwrap();
}

#[tokio::test]
async fn vaults_own_mounts_and_policies_are_refused_before_sending() {
    let (server, vault) = crate::common::setup().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(204))
        .expect(0)
        .mount(&server)
        .await;
    let sys = vault.sys();
    for mount in ["sys", "sys/", "cubbyhole", "identity"] {
        let err = sys.disable_mount(mount).await.unwrap_err();
        assert!(err.to_string().contains("one of Vault's own mounts"), "{mount}: {err}");
    }
    for bad in ["", "a/../b", "."] {
        assert!(sys.disable_mount(bad).await.is_err(), "{bad:?}");
    }
    for name in ["root", "default"] {
        assert!(sys.delete_policy(name).await.unwrap_err().to_string().contains("built-in"));
        assert!(sys.write_policy(name, "path \"x\" {}").await.is_err());
    }
    assert!(sys.write_policy("mine", "  \n").await.unwrap_err().to_string().contains("is empty"));
    assert!(sys.delete_policy("a/b").await.is_err());
}
