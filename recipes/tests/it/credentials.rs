//! Credentials from Vault: tokens reach the built clients, leases are
//! revoked on every way out (explicit, drop at runtime shutdown, error,
//! panic), and the renewer stops and says so when a lease is gone.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use client_core::ClientConfig;
use futures::FutureExt as _;
use recipes::credentials::{Credentials, CredentialsOptions, LeaseStatus};
use test_support::Fixtures;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NOMAD_LEASE: &str = "nomad/creds/admin/kRkfb1wM9b7Esv24D8N8QCsJ";
const CONSUL_LEASE: &str = "consul/creds/admin/kEBKWvguyOSVOIuN3HjppJRw";

/// This crate's `tests/fixtures`.
const FIXTURES: Fixtures = Fixtures::new(env!("CARGO_MANIFEST_DIR"));
/// The recorded Vault answers.
const VAULT: Fixtures = FIXTURES.under("vault");

async fn vault() -> MockServer {
    let server = MockServer::start().await;
    for (p, f) in
        [("/v1/nomad/creds/admin", "nomad-creds-admin.json"), ("/v1/consul/creds/admin", "consul-creds-admin.json")]
    {
        Mock::given(method("GET"))
            .and(path(p))
            .and(header("X-Vault-Token", "operator-token"))
            .respond_with(VAULT.json_response(200, f))
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
        .respond_with(FIXTURES.json_response(200, "nomad/namespace-read.json"))
        .expect(1)
        .mount(&nomad_server)
        .await;

    let vault =
        vault_client::VaultClient::builder().address(&vault_server.uri()).token("operator-token").build().unwrap();
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
    creds.nomad().unwrap().namespaces().get("atala-testnet", &nomad_client::QueryOptions::new()).await.unwrap();
    let debug = format!("{creds:?}");
    assert!(!debug.contains("8b19b214") && !debug.contains("cd96c3d8"), "no token in Debug: {debug}");
    creds.revoke().await.unwrap();
}

#[tokio::test]
async fn consul_creds_failure_revokes_the_nomad_lease() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/nomad/creds/developer"))
        .respond_with(VAULT.json_response(200, "nomad-creds-admin.json"))
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
    let vault = vault_client::VaultClient::builder().address(&server.uri()).token("t").build().unwrap();
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

/// A Vault answering `nomad/creds/admin` and `consul/creds/admin` with the
/// recordings, and 204 to every revocation (counted by [`revoked`]).
async fn revoking_vault() -> MockServer {
    let server = vault().await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/leases/revoke"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    server
}

/// The lease IDs Vault was asked to revoke, in order.
async fn revoked(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .filter(|r| r.url.path() == "/v1/sys/leases/revoke")
        .map(|r| serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["lease_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn obtain(vault_server: &MockServer, opts: CredentialsOptions) -> Credentials {
    let vault =
        vault_client::VaultClient::builder().address(&vault_server.uri()).token("operator-token").build().unwrap();
    Credentials::obtain(
        &vault,
        &opts,
        ClientConfig::new("http://127.0.0.1:4646", nomad_client::TOKEN_HEADER).unwrap(),
        ClientConfig::new("http://127.0.0.1:8500", "X-Consul-Token").unwrap(),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn drop_revokes_even_when_the_runtime_shuts_down_right_after() {
    let server = revoking_vault().await;
    let uri = server.uri();
    // A program's main: obtain, return (or `?`), runtime gone.
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let vault = vault_client::VaultClient::builder().address(&uri).token("operator-token").build().unwrap();
            let creds = Credentials::obtain(
                &vault,
                &CredentialsOptions::new("admin").revoke_on_drop(true),
                ClientConfig::new("http://127.0.0.1:4646", nomad_client::TOKEN_HEADER).unwrap(),
                ClientConfig::new("http://127.0.0.1:8500", "X-Consul-Token").unwrap(),
            )
            .await
            .unwrap();
            drop(creds);
        });
        drop(rt);
    })
    .join()
    .unwrap();
    assert_eq!(revoked(&server).await, [NOMAD_LEASE, CONSUL_LEASE]);
}

#[tokio::test]
async fn revoke_after_revokes_on_error_and_on_panic() {
    let server = revoking_vault().await;
    // The opts say nothing about drop: revoke_after revokes by itself.
    let creds = obtain(&server, CredentialsOptions::new("admin").renew(false)).await;
    let finished = creds.revoke_after(async |_| Err::<(), _>("the command could not start")).await;
    assert_eq!(finished.outcome.unwrap(), Err("the command could not start"));
    finished.revoked.unwrap();
    assert_eq!(revoked(&server).await, [NOMAD_LEASE, CONSUL_LEASE]);

    let server = revoking_vault().await;
    let creds = obtain(&server, CredentialsOptions::new("admin").renew(false)).await;
    let panicked =
        AssertUnwindSafe(creds.revoke_after(async |_| -> () { panic!("bug in the work") })).catch_unwind().await;
    assert!(panicked.is_err(), "the panic goes on");
    assert_eq!(revoked(&server).await, [NOMAD_LEASE, CONSUL_LEASE]);
}

#[tokio::test]
async fn a_lease_gone_at_max_ttl_stops_the_renewer_and_the_holder_is_told() {
    // The Consul lease: 2 s, max TTL 4 s. The first renewal is capped to 1 s,
    // the next answers "lease not found" (recorded past the max TTL).
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/nomad/creds/admin"))
        .respond_with(VAULT.json_response(200, "nomad-creds-admin.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/consul/creds/admin"))
        .respond_with(VAULT.json_response(200, "consul-maxttl-creds.json"))
        .mount(&server)
        .await;
    let lease = "consul/creds/short/EjA7cFHDxwNqCmB51t7HtJVH";
    for (status, name) in [(200, "consul-maxttl-second-renew-2.json"), (400, "consul-maxttl-renew-after-expiry.json")] {
        Mock::given(method("PUT"))
            .and(path("/v1/sys/leases/renew"))
            .respond_with(VAULT.json_response(status, name))
            .up_to_n_times(1)
            .mount(&server)
            .await;
    }
    let creds = obtain(&server, CredentialsOptions::new("admin")).await;
    assert_eq!(*creds.status().borrow(), LeaseStatus::Renewing);
    let mut status = creds.status();
    let lost = tokio::time::timeout(Duration::from_secs(8), status.wait_for(|s| !s.is_usable())).await;
    let state = lost.expect("the renewer reports the lost lease").unwrap().clone();
    assert!(
        matches!(&state, LeaseStatus::Lost { lease: l, reason } if l == lease && reason.contains("lease not found")),
        "{state:?}"
    );
    let err = creds.consul().unwrap_err().to_string();
    assert!(err.contains(lease) && err.contains("obtain new credentials"), "{err}");
    assert!(creds.nomad().is_err());
    // It gave up: no renewal every second after the lease is gone.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let renewals =
        server.received_requests().await.unwrap().iter().filter(|r| r.url.path() == "/v1/sys/leases/renew").count();
    assert_eq!(renewals, 2);
}

#[test]
fn address_scheme_rules_follow_each_cli() {
    let only = |name: &'static str, value: &'static str| move |n: &str| (n == name).then(|| value.to_owned());
    // Nomad: api.NewClient url.Parse()s NOMAD_ADDR, so host:port is refused.
    let err = nomad_client::NomadClient::from_lookup(only("NOMAD_ADDR", "127.0.0.1:4646")).unwrap_err();
    assert!(err.to_string().contains("NOMAD_ADDR") && err.to_string().contains("https://127.0.0.1:4646"), "{err}");
    let nomad = nomad_client::NomadClient::from_lookup(only("NOMAD_ADDR", "http://127.0.0.1:4646")).unwrap();
    assert_eq!(nomad.http().config().address.as_str(), "http://127.0.0.1:4646/");
    // Consul: host:port is fine, the scheme comes from CONSUL_HTTP_SSL.
    let consul = consul_client::ConsulClient::from_lookup(only("CONSUL_HTTP_ADDR", "127.0.0.1:8500")).unwrap();
    assert_eq!(consul.http().config().address.as_str(), "http://127.0.0.1:8500/");
    let tls = |n: &str| match n {
        "CONSUL_HTTP_ADDR" => Some("127.0.0.1:8501".to_owned()),
        "CONSUL_HTTP_SSL" => Some("true".to_owned()),
        _ => None,
    };
    let consul = consul_client::ConsulClient::from_lookup(tls).unwrap();
    assert_eq!(consul.http().config().address.as_str(), "https://127.0.0.1:8501/");
    // Vault: refused like the vault CLI does.
    let err = vault_client::VaultClient::builder().address("127.0.0.1:8200").build().unwrap_err();
    assert!(err.to_string().contains("no scheme"), "{err}");
}
