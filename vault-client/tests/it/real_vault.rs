//! What a real Vault 1.8 answers where the first recordings hid it (issue
//! 15): use-limited tokens, decode errors, mounts inside paths, KV v2 calls
//! on a KV v1 mount, wrapped answers, unmounted auth paths, uninitialised
//! and sealed servers, address schemes and TLS mismatches.

use std::time::Duration;

use vault_client::{ClientError, Error, Secret, VaultClient, VaultClientBuilder};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{NoHeader, ROOT, answer, fixture, on_get, setup};

#[tokio::test]
async fn use_limited_token_lookup_decodes_minus_one_on_the_last_use() {
    let (server, vault) = setup().await;
    let token = "s.OyEUmIeDSKzODq7OiB8fLBcy";
    Mock::given(method("GET"))
        .and(path("/v1/auth/token/lookup-self"))
        .and(header("X-Vault-Token", token))
        .respond_with(answer(200, "token-lookup-self-use-limited-1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let limited = vault.with_token(token);
    let info = limited.auth().token().lookup_self().await.unwrap();
    assert_eq!(info.num_uses, -1);
    assert_eq!(info.uses_left(), Some(0), "the lookup spent the last use");
    // A token with two uses: one left after the first lookup.
    Mock::given(method("GET"))
        .and(path("/v1/auth/token/lookup-self"))
        .and(header("X-Vault-Token", "s.GzSOrAdsi3CyDbqrOsl4WCJ2"))
        .respond_with(answer(200, "token-lookup-self-use-limited-2"))
        .mount(&server)
        .await;
    let info = vault.with_token("s.GzSOrAdsi3CyDbqrOsl4WCJ2").auth().token().lookup_self().await.unwrap();
    assert_eq!((info.num_uses, info.uses_left()), (1, Some(1)));
    let mut unlimited = fixture("token-lookup-self-use-limited-2");
    unlimited["data"]["num_uses"] = 0.into();
    let info: vault_client::TokenInfo = serde_json::from_value(unlimited["data"].clone()).unwrap();
    assert_eq!(info.uses_left(), None);
}

#[tokio::test]
async fn decode_errors_carry_no_value_from_the_body() {
    let (server, vault) = setup().await;
    // Lookups whose fields have the wrong types (a number where a string is
    // expected, a secret-looking string where a number is), a wrong shape and
    // a cut-off body: the errors say what and where, never the value.
    let recorded = fixture("token-lookup-self-use-limited-1");
    let mut number_for_string = recorded.clone();
    number_for_string["data"]["accessor"] = 98765.into();
    let mut string_for_number = recorded;
    string_for_number["data"]["ttl"] = "s.98765-secret".into();
    for (raw, kind) in [
        (number_for_string.to_string(), "found integer, expected a string (at line 1 column"),
        (string_for_number.to_string(), "found string, expected u64"),
        ("{\"data\": \"98765\"}".to_owned(), "found string, expected struct TokenInfo"),
        ("{\"data\": {\"id\": \"s.98765".to_owned(), "ends too early"),
    ] {
        Mock::given(method("GET"))
            .and(path("/v1/auth/token/lookup-self"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(raw, "application/json"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        let text = vault.auth().token().lookup_self().await.unwrap_err().to_string();
        assert!(!text.contains("98765") && text.contains(kind), "{text}");
    }
}

#[tokio::test]
async fn kv_on_a_path_inside_a_mount_uses_the_mount_vault_names() {
    let (server, vault) = setup().await;
    on_get(
        &server,
        "/v1/sys/internal/ui/mounts/secret/nomad-cluster/atala-testnet",
        200,
        "sys-internal-ui-mounts-secret-deep-path",
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/data/nomad-cluster/atala-testnet/database"))
        .respond_with(answer(200, "kv2-read"))
        .expect(1)
        .mount(&server)
        .await;
    let kv = vault.kv("secret/nomad-cluster/atala-testnet").await.unwrap();
    assert_eq!((kv.version(), kv.mount()), (2, "secret"));
    assert_eq!(kv.location("database"), "secret/nomad-cluster/atala-testnet/database");
    // A trailing slash names the same folder, and no `//` shows up in messages.
    let slashed = vault.kv("secret/nomad-cluster/atala-testnet/").await.unwrap();
    assert_eq!(slashed.location("database"), "secret/nomad-cluster/atala-testnet/database");
    let data: serde_json::Value = kv.read("database").await.unwrap().unwrap();
    assert_eq!(data["superuser_password"], "s3cr3t-1");
    // A nested mount (ops/nested/) and its first segment alone, which is no mount.
    on_get(
        &server,
        "/v1/sys/internal/ui/mounts/ops/nested/atala-testnet/db",
        200,
        "sys-internal-ui-mounts-nested-mount-subpath",
    )
    .await;
    on_get(&server, "/v1/sys/internal/ui/mounts/ops", 403, "sys-internal-ui-mounts-nested-mount-parent").await;
    let kv = vault.kv("ops/nested/atala-testnet/db").await.unwrap();
    assert_eq!(kv.mount(), "ops/nested");
    let err = vault.kv("ops").await.unwrap_err();
    assert!(matches!(err, Error::NoMount { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with("no secrets engine is mounted at ops/") && !text.contains("expired"), "{text}");
}

#[tokio::test]
async fn kv2_calls_on_a_kv1_mount_are_refused_on_reads_and_before_writes() {
    let (server, vault) = setup().await;
    on_get(&server, "/v1/sys/internal/ui/mounts/kv", 200, "sys-internal-ui-mounts-kv1").await;
    on_get(&server, "/v1/kv/data/atala-testnet/db", 404, "kv1-v2api-read-data-path").await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(204)).expect(0).mount(&server).await;
    let kv = vault.kv2("kv").unwrap();
    let err = kv.read::<serde_json::Value>("atala-testnet/db").await.unwrap_err();
    assert!(matches!(err, Error::WrongKvVersion { .. }), "{err:?}");
    assert!(err.to_string().contains("KV version 1"), "{err}");
    let err = kv.write("atala-testnet/db", &serde_json::json!({"a": "b"})).await.unwrap_err();
    assert!(matches!(err, Error::WrongKvVersion { .. }), "{err:?}");
    // A kv2 handle on a folder inside a mount is told the mount.
    on_get(&server, "/v1/sys/internal/ui/mounts/secret/nomad-cluster", 200, "sys-internal-ui-mounts-secret-deep-path")
        .await;
    let err = vault.kv2("secret/nomad-cluster").unwrap().write("x", &serde_json::json!({})).await.unwrap_err();
    assert!(err.to_string().contains("lies inside the mount secret/"), "{err}");
}

#[tokio::test]
async fn a_wrapped_answer_hands_the_wrapping_token_to_the_caller() {
    let (server, vault) = setup().await;
    for (p, status, name) in [
        ("/v1/secret/data/atala-testnet/dbHA1", 200, "wrap-kv2-read"),
        ("/v1/secret/data/x", 404, "wrap-kv2-read-missing"),
        ("/v1/nomad/creds/admin", 200, "wrap-kv2-read"),
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .and(header("X-Vault-Wrap-TTL", "60s"))
            .respond_with(answer(status, name))
            .mount(&server)
            .await;
    }
    let wrapping = vault.with_wrap_ttl(Duration::from_secs(60)).unwrap();
    let err = wrapping.kv2("secret").unwrap().read::<serde_json::Value>("atala-testnet/dbHA1").await.unwrap_err();
    let info = err.wrap_info().expect("the wrap info is returned");
    assert_eq!(info.token.expose(), "s.IBjoSVXiYMB8BUBdR3PJdZq2");
    assert_eq!(info.creation_path, "secret/data/atala-testnet/dbHA1");
    let text = err.to_string();
    assert!(text.contains("response-wrapped") && text.contains("CT0JC9Y1NR6u1VFGBJW4EwM6"), "{text}");
    assert!(!text.contains("s.IBjoSVXiYMB8BUBdR3PJdZq2") && !format!("{err:?}").contains("s.IBjo"), "{err:?}");
    // Nothing wrapped for a missing path: still "absent".
    assert!(wrapping.kv2("secret").unwrap().read::<serde_json::Value>("x").await.unwrap().is_none());
    // Credentials minted behind a wrap: the wrapping token is the only handle on the lease.
    let err = wrapping.secrets().nomad_creds("admin").await.unwrap_err();
    assert!(err.wrap_info().is_some(), "{err:?}");
}

#[tokio::test]
async fn login_on_an_unmounted_auth_path_says_the_mount_is_missing() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/approle-missing/login"))
        .and(NoHeader("X-Vault-Token"))
        .respond_with(answer(400, "auth-login-unmounted-approle-path"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/nosuch/login"))
        .respond_with(answer(404, "auth-login-unmounted-path-with-token"))
        .mount(&server)
        .await;
    let secret = Secret::new("9b1ca3d0-secret");
    let err = vault.auth().approle("approle-missing").unwrap().login("role", &secret).await.unwrap_err();
    assert!(matches!(err, Error::NoAuthMount { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with("no auth method is mounted at auth/approle-missing/"), "{text}");
    let err = vault.auth().jwt("nosuch").unwrap().login("r", &Secret::new("jwt")).await.unwrap_err();
    assert!(err.to_string().starts_with("no auth method is mounted at auth/nosuch/"), "{err}");
}

#[tokio::test]
async fn sealed_and_uninitialised_vaults_fail_at_once_with_what_to_do() {
    // Every data path of a sealed or uninitialised Vault answers 503 "Vault is
    // sealed"; only sys/seal-status tells the two apart.
    for initialized in [false, true] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v1/sys/leader"))
            .respond_with(answer(503, "raft-uninit-sys-leader"))
            .expect(1)
            .mount(&server)
            .await;
        let mut status = fixture("raft-uninit-sys-seal-status");
        status["initialized"] = initialized.into();
        Mock::given(method("GET"))
            .and(path("/v1/sys/seal-status"))
            .respond_with(ResponseTemplate::new(200).set_body_json(status))
            .mount(&server)
            .await;
        let slow = vault_client::RetryPolicy::default()
            .with_max_retries(5)
            .with_delays(Duration::from_secs(2), Duration::from_secs(2));
        let vault = VaultClient::builder().address(&server.uri()).token(ROOT).retry(slow).build().unwrap();
        let started = std::time::Instant::now();
        let err = vault.sys().leader().await.unwrap_err();
        let text = err.to_string();
        if initialized {
            assert!(matches!(err, Error::Sealed { .. }), "{err:?}");
            assert!(text.starts_with("Vault is sealed") && text.contains("unseal it"), "{text}");
        } else {
            assert!(matches!(err, Error::Uninitialized { .. }), "{err:?}");
            assert!(text.starts_with("Vault is not initialised") && text.contains("vault operator init"), "{text}");
        }
        assert!(started.elapsed() < Duration::from_secs(1), "not retried");
    }
}

#[tokio::test]
async fn a_lease_past_its_max_ttl_is_gone_not_transient() {
    let (server, vault) = setup().await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/leases/renew"))
        .respond_with(answer(400, "consul-maxttl-renew-after-expiry"))
        .expect(1)
        .mount(&server)
        .await;
    let err = vault.sys().leases().renew("consul/creds/short/EjA7cFHDxwNqCmB51t7HtJVH", None).await.unwrap_err();
    assert!(err.is_lease_gone() && !err.is_transient(), "{err:?}");
}

#[test]
fn a_vault_address_without_a_scheme_is_refused() {
    let lookup = |addr: &'static str| move |name: &str| (name == "VAULT_ADDR").then(|| addr.to_owned());
    for addr in ["127.0.0.1:8200", "vault.example:8200"] {
        let err = VaultClientBuilder::from_lookup(lookup(addr)).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("VAULT_ADDR") && text.contains(&format!("https://{addr}")), "{text}");
        let err = VaultClient::builder().address(addr).build().unwrap_err();
        assert!(err.to_string().contains("no scheme"), "{err}");
    }
    let vault = VaultClientBuilder::from_lookup(lookup("http://127.0.0.1:8200")).unwrap().build().unwrap();
    assert_eq!(vault.address().as_str(), "http://127.0.0.1:8200/");
}

#[tokio::test]
async fn an_https_address_on_a_plain_http_server_says_so() {
    let (server, _) = setup().await;
    let https = server.uri().replace("http://", "https://");
    let vault = VaultClient::builder()
        .address(&https)
        .token(ROOT)
        .retry(vault_client::RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = vault.sys().leader().await.unwrap_err();
    let text = err.to_string();
    let host = https.trim_start_matches("https://");
    assert!(
        text.contains(&format!("the server at {host} does not speak TLS; is the address http://{host}?")),
        "{text}"
    );
}

#[tokio::test]
async fn a_failed_consul_read_revokes_the_nomad_lease_already_minted() {
    let (server, vault) = setup().await;
    on_get(&server, "/v1/nomad/creds/admin", 200, "nomad-creds-admin").await;
    on_get(&server, "/v1/consul/creds/admin", 403, "error-403-limited-token-write").await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/leases/revoke"))
        .and(wiremock::matchers::body_json(
            serde_json::json!({"lease_id": "nomad/creds/admin/kRkfb1wM9b7Esv24D8N8QCsJ"}),
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let err = vault.secrets().nomad_and_consul_creds("nomad", "consul", "admin").await.unwrap_err();
    assert!(err.is_permission_denied() && err.to_string().contains("consul/creds/admin"), "{err}");
}
