//! Generic logical read/write/list/delete, configuration from the
//! environment, error mapping and path validation.

use serde_json::json;
use vault_client::{ClientError, Error, Secret, VaultClient, VaultClientBuilder};
use wiremock::matchers::{any, body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer};

use crate::common::{EmptyBody, NoHeader, ROOT, answer, fast_retry, fixture, no_content, setup};

#[tokio::test]
async fn read_decodes_the_standard_envelope() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/kv/atala-testnet/dbHA1"))
        .and(header("X-Vault-Token", ROOT))
        .and(header("X-Vault-Request", "true"))
        .and(NoHeader("X-Vault-Namespace"))
        .and(NoHeader("X-Vault-Wrap-TTL"))
        .respond_with(answer(200, "kv1-read"))
        .expect(1)
        .mount(&server)
        .await;
    let resp = vault.read::<serde_json::Value>("kv/atala-testnet/dbHA1").await.unwrap().unwrap();
    assert_eq!(resp.request_id, "289cf0bb-3b6f-868e-00e2-b62d32de3949");
    assert_eq!(resp.lease_duration, 2_764_800);
    assert!(!resp.renewable && resp.lease_id.is_empty());
    assert!(resp.warnings().is_empty() && resp.auth.is_none() && resp.wrap_info.is_none());
    assert_eq!(resp.data.unwrap()["patroni_scope"], "dbHA1");
}

#[tokio::test]
async fn read_of_a_missing_path_is_none_but_an_unknown_mount_is_an_error() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/kv/atala-testnet/nothing"))
        .respond_with(answer(404, "error-404-missing-kv1-path"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/no-such-mount/foo"))
        .respond_with(answer(404, "error-404-no-handler"))
        .mount(&server)
        .await;
    assert!(vault.read::<serde_json::Value>("kv/atala-testnet/nothing").await.unwrap().is_none());
    let err = vault.read::<serde_json::Value>("no-such-mount/foo").await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.errors(), ["no handler for route 'no-such-mount/foo'"]);
    assert_eq!(
        err.to_string(),
        "GET /v1/no-such-mount/foo failed with HTTP 404: no handler for route 'no-such-mount/foo'"
    );
}

#[tokio::test]
async fn write_sends_the_body_and_204_is_none() {
    let (server, vault) = setup().await;
    let body = fixture("kv1-write.request");
    Mock::given(method("POST"))
        .and(path("/v1/kv/atala-testnet/dbHA1"))
        .and(header("X-Vault-Token", ROOT))
        .and(header("Content-Type", "application/json"))
        .and(body_json(&body))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    assert!(vault.write("kv/atala-testnet/dbHA1", &body).await.unwrap().is_none());
}

#[tokio::test]
async fn list_uses_get_with_list_true_and_missing_is_empty() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/kv/atala-testnet"))
        .and(query_param("list", "true"))
        .respond_with(answer(200, "kv1-list"))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/kv/nothing-here"))
        .and(query_param("list", "true"))
        .respond_with(answer(404, "kv1-list-missing"))
        .mount(&server)
        .await;
    assert_eq!(vault.list("kv/atala-testnet").await.unwrap(), ["dbHA1", "dbHA2"]);
    assert_eq!(vault.list("kv/atala-testnet/").await.unwrap(), ["dbHA1", "dbHA2"]);
    assert!(vault.list("kv/nothing-here").await.unwrap().is_empty());
}

#[tokio::test]
async fn delete_sends_delete_without_body() {
    let (server, vault) = setup().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/kv/atala-testnet/dbHA1"))
        .and(header("X-Vault-Token", ROOT))
        .and(EmptyBody)
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    vault.delete("kv/atala-testnet/dbHA1").await.unwrap();
}

#[tokio::test]
async fn permission_denied_names_the_path_and_keeps_the_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/secret/data/atala-testnet/dbHA1"))
        .and(header("X-Vault-Token", "s.GPWYCdtyOHXbnqpBhqe5yH0C"))
        .and(body_json(fixture("error-403-limited-token-write.request")))
        .respond_with(answer(403, "error-403-limited-token-write"))
        .expect(1)
        .mount(&server)
        .await;
    let vault = VaultClient::builder().address(&server.uri()).token("s.GPWYCdtyOHXbnqpBhqe5yH0C").build().unwrap();
    let err = vault
        .write("secret/data/atala-testnet/dbHA1", &fixture("error-403-limited-token-write.request"))
        .await
        .unwrap_err();
    assert!(err.is_permission_denied(), "{err:?}");
    assert_eq!(err.errors(), ["1 error occurred:\n\t* permission denied\n\n"]);
    let text = err.to_string();
    assert!(text.starts_with("permission denied on secret/data/atala-testnet/dbHA1 (POST"), "{text}");
    assert!(!text.contains("GPWYCdtyOHXbnqpBhqe5yH0C"), "{text}");
}

#[tokio::test]
async fn missing_token_is_a_400_with_vaults_message() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/data/atala-testnet/dbHA1"))
        .and(NoHeader("X-Vault-Token"))
        .respond_with(answer(400, "error-400-no-token"))
        .mount(&server)
        .await;
    let vault = VaultClient::builder().address(&server.uri()).build().unwrap();
    let err = vault.read::<serde_json::Value>("secret/data/atala-testnet/dbHA1").await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().ends_with("HTTP 400: missing client token"), "{err}");
}

#[tokio::test]
async fn bad_paths_are_rejected_before_any_request() {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(no_content()).expect(0).mount(&server).await;
    let vault = VaultClient::builder().address(&server.uri()).token(ROOT).build().unwrap();
    for bad in ["/kv/x", "kv/../sys/mounts", "kv//x", "", "kv/x\0y", "kv/./x", "kv/x/"] {
        let err = vault.read::<serde_json::Value>(bad).await.unwrap_err();
        assert!(matches!(err, Error::Core(client_core::Error::InvalidInput { .. })), "{bad:?}: {err:?}");
        assert!(vault.write(bad, &json!({})).await.is_err(), "{bad:?}");
        assert!(vault.delete(bad).await.is_err(), "{bad:?}");
    }
    for bad in ["/kv", "kv/../x", "kv//x"] {
        assert!(vault.list(bad).await.is_err(), "{bad:?}");
    }
    let err = vault.read::<serde_json::Value>("kv/../sys/mounts").await.unwrap_err().to_string();
    assert!(err.contains("kv/../sys/mounts") && err.contains("'..'"), "{err}");
    let err = vault.read::<serde_json::Value>("/kv/x").await.unwrap_err().to_string();
    assert!(err.contains("must not start with '/'"), "{err}");
    let kv1 = vault.kv1("kv").unwrap();
    let kv2 = vault.kv2("secret").unwrap();
    assert!(kv1.read::<serde_json::Value>("a/../b").await.is_err());
    assert!(kv2.read::<serde_json::Value>("a//b").await.is_err());
    assert!(kv2.write("/a", &json!({})).await.is_err());
    assert!(kv2.destroy("a", &[]).await.is_err());
    assert!(vault.kv2("../sys").is_err());
    assert!(vault.kv1("").is_err());
    assert!(vault.secrets().nomad_creds("a/b").await.is_err());
    assert!(vault.secrets().consul_creds("").await.is_err());
    assert!(vault.auth().userpass("userpass").unwrap().login("al/ice", &"pw".into()).await.is_err());
    assert!(vault.auth().github("/github").is_err());
    assert!(vault.sys().policy("a/b").await.is_err());
    assert!(vault.sys().leases().revoke("nomad//x").await.is_err());
    assert!(vault.with_namespace("a/../b").is_err());
    assert!(vault.with_wrap_ttl(std::time::Duration::ZERO).is_err());
}

#[tokio::test]
async fn environment_gives_address_token_file_and_namespace() {
    let server = MockServer::start().await;
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join(".vault-token"), "s.from-token-file\n").unwrap();
    Mock::given(method("GET"))
        .and(path("/v1/auth/token/lookup-self"))
        .and(header("X-Vault-Token", "s.from-token-file"))
        .and(header("X-Vault-Namespace", "ops/team"))
        .respond_with(answer(200, "token-lookup-self"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/auth/token/lookup-self"))
        .and(header("X-Vault-Token", "s.from-env"))
        .and(NoHeader("X-Vault-Namespace"))
        .respond_with(answer(200, "token-lookup-self"))
        .expect(1)
        .mount(&server)
        .await;
    let uri = server.uri();
    let home_dir = home.path().to_str().unwrap().to_owned();
    let env = |pairs: Vec<(&'static str, String)>| {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    };
    let from_file = VaultClientBuilder::from_lookup(env(vec![
        ("VAULT_ADDR", uri.clone()),
        ("HOME", home_dir.clone()),
        ("VAULT_NAMESPACE", "/ops/team/".into()),
    ]))
    .unwrap()
    .retry(fast_retry())
    .build()
    .unwrap();
    assert_eq!(from_file.namespace(), Some("ops/team"));
    from_file.auth().token().lookup_self().await.unwrap();
    let from_env = VaultClientBuilder::from_lookup(env(vec![
        ("VAULT_ADDR", uri),
        ("HOME", home_dir),
        ("VAULT_TOKEN", "s.from-env".into()),
    ]))
    .unwrap()
    .build()
    .unwrap();
    from_env.auth().token().lookup_self().await.unwrap();
}

#[tokio::test]
async fn environment_errors_name_the_variable() {
    let err = VaultClientBuilder::from_lookup(|n| (n == "VAULT_ADDR").then(|| "ftp://vault".to_owned())).unwrap_err();
    assert!(err.to_string().contains("VAULT_ADDR"), "{err}");
    let err = VaultClientBuilder::from_lookup(|n| (n == "VAULT_CACERT").then(|| "/nonexistent/ca.pem".to_owned()))
        .unwrap_err();
    assert!(err.to_string().contains("VAULT_CACERT"), "{err}");
    let err = VaultClientBuilder::from_lookup(|n| (n == "VAULT_SKIP_VERIFY").then(|| "maybe".to_owned())).unwrap_err();
    assert!(err.to_string().contains("VAULT_SKIP_VERIFY"), "{err}");
    let ok = VaultClientBuilder::from_lookup(|_| None).unwrap().build().unwrap();
    assert_eq!(ok.address().as_str(), "https://127.0.0.1:8200/");
    assert!(ok.token().is_none());
}

#[tokio::test]
async fn every_constructor_builds_the_same_client_and_a_builder_call_wins_over_the_environment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/auth/token/lookup-self"))
        .and(header("X-Vault-Token", "s.from-builder"))
        .and(header("X-Vault-Namespace", "team"))
        .respond_with(answer(200, "token-lookup-self"))
        .expect(1)
        .mount(&server)
        .await;
    let uri = server.uri();
    let env = move |name: &str| match name {
        "VAULT_ADDR" => Some("https://vault.invalid:8200".to_owned()),
        "VAULT_TOKEN" => Some("s.from-env".to_owned()),
        "VAULT_NAMESPACE" => Some("ops".to_owned()),
        _ => None,
    };
    // The environment gives every setting; the builder calls made afterwards win.
    let vault = VaultClientBuilder::from_lookup(env)
        .unwrap()
        .address(&uri)
        .token("s.from-builder")
        .namespace("team")
        .retry(fast_retry())
        .build()
        .unwrap();
    vault.auth().token().lookup_self().await.unwrap();
    let from_lookup = VaultClient::from_lookup(env).unwrap();
    assert_eq!((from_lookup.address().as_str(), from_lookup.namespace()), ("https://vault.invalid:8200/", Some("ops")));
    assert_eq!(from_lookup.token().map(Secret::expose), Some("s.from-env"));
    let config = vault_client::ClientConfig::new(&uri, "X-Anything").unwrap();
    let from_config = VaultClient::new(config).unwrap();
    assert_eq!(from_config.config().token_header, "X-Vault-Token");
    assert_eq!(VaultClient::builder().build().unwrap().address().as_str(), "https://127.0.0.1:8200/");
    // A Vault agent's socket names its transport instead of a scheme.
    let agent = VaultClient::builder().address("unix:///run/vault/agent.sock").build().unwrap();
    assert_eq!(agent.config().unix_socket.as_deref(), Some(std::path::Path::new("/run/vault/agent.sock")));
    // A bad argument is reported by build, the first one, naming what was wrong.
    for (builder, expected) in [
        (VaultClient::builder().namespace("a/../b"), "Vault namespace"),
        (VaultClient::builder().wrap_ttl(std::time::Duration::ZERO), "wrap TTL"),
        (VaultClient::builder().rate_limit(0.0, 1), "rate limit"),
        (VaultClient::builder().address("vault:8200").namespace("a/../b"), "no scheme"),
    ] {
        let err = builder.build().unwrap_err().to_string();
        assert!(err.contains(expected), "{expected}: {err}");
    }
}
