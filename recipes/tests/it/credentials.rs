//! Credentials from Vault: tokens reach the built clients, leases are revoked.

use std::time::Duration;

use client_core::ClientConfig;
use recipes::credentials::{Credentials, CredentialsOptions};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/vault/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

async fn vault() -> MockServer {
    let server = MockServer::start().await;
    for (p, f) in
        [("/v1/nomad/creds/admin", "nomad-creds-admin.json"), ("/v1/consul/creds/admin", "consul-creds-admin.json")]
    {
        Mock::given(method("GET"))
            .and(path(p))
            .and(header("X-Vault-Token", "operator-token"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(fixture(f), "application/json"))
            .expect(1)
            .mount(&server)
            .await;
    }
    server
}

#[tokio::test]
async fn tokens_reach_the_clients_and_leases_are_revoked() {
    let vault_server = vault().await;
    for lease in ["nomad/creds/admin/kRkfb1wM9b7Esv24D8N8QCsJ", "consul/creds/admin/kEBKWvguyOSVOIuN3HjppJRw"] {
        Mock::given(method("PUT"))
            .and(path("/v1/sys/leases/revoke"))
            .and(body_json(serde_json::json!({ "lease_id": lease })))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&vault_server)
            .await;
    }
    let nomad_server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/namespace/atala-testnet"))
        .and(header("X-Nomad-Token", "8b19b214-c470-a00f-8e72-03d15fe1c5af"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(
                std::fs::read_to_string(format!(
                    "{}/tests/fixtures/nomad/namespace-read.json",
                    env!("CARGO_MANIFEST_DIR")
                ))
                .unwrap(),
                "application/json",
            ),
        )
        .expect(1)
        .mount(&nomad_server)
        .await;

    let vault =
        vault_client::VaultClient::builder(&vault_server.uri()).unwrap().token("operator-token").build().unwrap();
    let creds = Credentials::obtain(
        &vault,
        &CredentialsOptions::new("admin"),
        ClientConfig::new(&nomad_server.uri(), nomad_client::TOKEN_HEADER).unwrap(),
        ClientConfig::new("http://127.0.0.1:8500", "X-Consul-Token").unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(creds.leases().len(), 2);
    assert_eq!(creds.leases()[0].duration, Duration::from_secs(3600));
    creds.nomad.namespaces().read("atala-testnet").await.unwrap();
    let debug = format!("{creds:?}");
    assert!(!debug.contains("8b19b214") && !debug.contains("cd96c3d8"), "no token in Debug: {debug}");
    creds.revoke().await.unwrap();
}

#[tokio::test]
async fn consul_creds_failure_revokes_the_nomad_lease() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/nomad/creds/developer"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture("nomad-creds-admin.json"), "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/consul/creds/developer"))
        .respond_with(
            ResponseTemplate::new(403).set_body_raw(r#"{"errors":["permission denied"]}"#, "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/leases/revoke"))
        .and(body_json(serde_json::json!({ "lease_id": "nomad/creds/admin/kRkfb1wM9b7Esv24D8N8QCsJ" })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let vault = vault_client::VaultClient::builder(&server.uri()).unwrap().token("t").build().unwrap();
    let err = Credentials::obtain(
        &vault,
        &CredentialsOptions::new("developer").renew(false),
        ClientConfig::new("http://127.0.0.1:4646", nomad_client::TOKEN_HEADER).unwrap(),
        ClientConfig::new("http://127.0.0.1:8500", "X-Consul-Token").unwrap(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().starts_with("Vault consul/creds/developer:"), "{err}");
    assert!(
        Credentials::obtain(
            &vault,
            &CredentialsOptions::new("../root"),
            ClientConfig::new("http://127.0.0.1:4646", nomad_client::TOKEN_HEADER).unwrap(),
            ClientConfig::new("http://127.0.0.1:8500", "X-Consul-Token").unwrap(),
        )
        .await
        .unwrap_err()
        .to_string()
        .starts_with("invalid Vault role")
    );
}
