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
    revoke_all(&server).await;
    server
}

/// Answers 204 to every revocation.
async fn revoke_all(server: &MockServer) {
    Mock::given(method("PUT"))
        .and(path("/v1/sys/leases/revoke"))
        .respond_with(ResponseTemplate::new(204))
        .mount(server)
        .await;
}

/// The lease IDs sent to `endpoint` (`revoke`, `renew`), in order.
async fn lease_ids(server: &MockServer, endpoint: &str) -> Vec<String> {
    let requests = server.received_requests().await.unwrap_or_default();
    let path = format!("/v1/sys/leases/{endpoint}");
    requests
        .iter()
        .filter(|r| r.url.path() == path)
        .map(|r| serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["lease_id"].as_str().unwrap().to_owned())
        .collect()
}

/// The lease IDs Vault was asked to revoke, in order.
async fn revoked(server: &MockServer) -> Vec<String> {
    lease_ids(server, "revoke").await
}

async fn obtain(vault_server: &MockServer, opts: CredentialsOptions) -> Credentials {
    let vault =
        vault_client::VaultClient::builder().address(&vault_server.uri()).token("operator-token").build().unwrap();
    obtain_from(&vault, &opts).await.unwrap()
}

/// [`Credentials::obtain`] with local Nomad and Consul addresses.
async fn obtain_from(vault: &vault_client::VaultClient, opts: &CredentialsOptions) -> recipes::Result<Credentials> {
    Credentials::obtain(
        vault,
        opts,
        ClientConfig::new("http://127.0.0.1:4646", nomad_client::TOKEN_HEADER).unwrap(),
        ClientConfig::new("http://127.0.0.1:8500", "X-Consul-Token").unwrap(),
    )
    .await
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

/// A Vault issuing Nomad and Consul tokens (and, at `database/creds/readonly`,
/// a PostgreSQL user) on leases of `ttl` seconds, renewing each lease with
/// `renew` and revoking with 204. The creds bodies are the recordings'
/// shape; the PostgreSQL one is the API docs' `database/creds` data in the
/// standard lease envelope.
async fn short_lease_vault(ttl: u64, renew: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    let envelope = |lease: &str, data: serde_json::Value| {
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "request_id": "5e0d4d1e-6b2a-4a57-a3e8-6c1d1c5b0f01",
            "lease_id": lease,
            "renewable": true,
            "lease_duration": ttl,
            "data": data,
            "wrap_info": null,
            "warnings": null,
            "auth": null,
        }))
    };
    let creds = [
        (
            "/v1/nomad/creds/admin",
            envelope(
                NOMAD_LEASE,
                serde_json::json!({ "accessor_id": "0e021640-0c71-b05b-9365-0827b8c57f3c", "secret_id": "8b19b214-c470-a00f-8e72-03d15fe1c5af" }),
            ),
        ),
        (
            "/v1/consul/creds/admin",
            envelope(
                CONSUL_LEASE,
                serde_json::json!({ "accessor": "4573d8ad-bca0-5fe3-92e9-48941e6aad76", "local": false, "token": "cd96c3d8-f413-6c1b-a8b4-8af2843146a9" }),
            ),
        ),
        (
            "/v1/database/creds/readonly",
            envelope(
                DATABASE_LEASE,
                serde_json::json!({ "username": "root-1430158508-126", "password": "132ae3ef-5a64-7499-351e-bfe59f3a2a21" }),
            ),
        ),
    ];
    for (p, answer) in creds {
        Mock::given(method("GET")).and(path(p)).respond_with(answer).mount(&server).await;
    }
    Mock::given(method("PUT")).and(path("/v1/sys/leases/renew")).respond_with(renew).mount(&server).await;
    revoke_all(&server).await;
    server
}

const DATABASE_LEASE: &str = "database/creds/readonly/2f6a614c-4aa2-7b19-24b9-ad944a8d4de6";

/// The lease IDs Vault was asked to renew, in order.
async fn renewed(server: &MockServer) -> Vec<String> {
    lease_ids(server, "renew").await
}

/// The renewal answer for a lease of `ttl` seconds.
fn renewal(ttl: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "request_id": "a2c5b1a4-3f0e-4e55-9a7b-1f0c0c0c0c01",
        "lease_id": NOMAD_LEASE,
        "renewable": true,
        "lease_duration": ttl,
        "data": null,
        "wrap_info": null,
        "warnings": null,
        "auth": null,
    }))
}

#[tokio::test]
async fn renewals_follow_the_lifetime_watchers_schedule() {
    // 3 s leases renewed for 3 s each time. The watcher renews at once, then
    // at 70-73% of the TTL (2.1-2.2 s later); the recipe's old loop renewed
    // first at two thirds (2 s) and never at once.
    let server = short_lease_vault(3, renewal(3)).await;
    let start = std::time::Instant::now();
    let creds = obtain(&server, CredentialsOptions::new("admin")).await;
    let at = |secs: f64| tokio::time::sleep_until((start + Duration::from_secs_f64(secs)).into());
    at(0.6).await;
    assert_eq!(renewed(&server).await, [NOMAD_LEASE, CONSUL_LEASE], "each lease renewed at once, in lease order");
    assert_eq!(*creds.status().borrow(), LeaseStatus::Renewing);
    at(1.9).await;
    assert_eq!(renewed(&server).await.len(), 2, "no renewal before 70% of the TTL");
    at(3.0).await;
    let mut second = renewed(&server).await.split_off(2);
    // Each watcher draws its own jitter: the second round comes in either order.
    second.sort();
    assert_eq!(second, [CONSUL_LEASE, NOMAD_LEASE], "one more renewal of each by 73% of the TTL");
    assert_eq!(*creds.status().borrow(), LeaseStatus::Renewing);
    creds.revoke().await.unwrap();
    assert_eq!(revoked(&server).await, [NOMAD_LEASE, CONSUL_LEASE], "closing the watchers revokes the leases");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(renewed(&server).await.len(), 4, "no renewal after revoke");
}

#[tokio::test]
async fn a_sealed_vault_is_retried_on_the_watchers_backoff_and_the_tokens_stay_usable() {
    let sealed = ResponseTemplate::new(503).set_body_raw(r#"{"errors":["Vault is sealed"]}"#, "application/json");
    let server = short_lease_vault(3600, sealed).await;
    // No retries inside the client: the watcher's backoff is what retries.
    let vault = vault_client::VaultClient::builder()
        .address(&server.uri())
        .token("operator-token")
        .retry(client_core::RetryPolicy::disabled())
        .build()
        .unwrap();
    let creds = obtain_from(&vault, &CredentialsOptions::new("admin")).await.unwrap();
    let mut status = creds.status();
    let retrying = tokio::time::timeout(Duration::from_secs(5), status.wait_for(|s| *s != LeaseStatus::Renewing))
        .await
        .expect("the renewer reports the failure")
        .unwrap()
        .clone();
    assert!(
        matches!(&retrying, LeaseStatus::Retrying { error, .. } if error.contains("sealed")),
        "a sealed Vault is transient: {retrying:?}"
    );
    assert!(retrying.is_usable() && creds.nomad().is_ok() && creds.consul().is_ok());
    // The backoff's first wait is at least 5 s (10 s ±50%): no tight loop.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(renewed(&server).await, [NOMAD_LEASE, CONSUL_LEASE]);
    assert!(matches!(*creds.status().borrow(), LeaseStatus::Retrying { .. }));
    creds.revoke().await.unwrap();
    assert_eq!(revoked(&server).await, [NOMAD_LEASE, CONSUL_LEASE]);
}

#[tokio::test]
async fn a_postgresql_user_is_a_third_lease_renewed_and_revoked_with_the_tokens() {
    let server = short_lease_vault(3600, renewal(3600)).await;
    let creds = obtain(&server, CredentialsOptions::new("admin").database("database", "readonly")).await;
    let user = creds.database().unwrap();
    assert_eq!(user.username, "root-1430158508-126");
    assert_eq!(user.password.expose(), "132ae3ef-5a64-7499-351e-bfe59f3a2a21");
    let url = user.postgres_url_redacted("pg.service.consul", 5432, "app").unwrap();
    assert_eq!(url, "postgresql://root-1430158508-126:REDACTED@pg.service.consul:5432/app");
    let ids: Vec<&str> = creds.leases().iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, [NOMAD_LEASE, CONSUL_LEASE, DATABASE_LEASE]);
    let debug = format!("{creds:?}");
    assert!(!debug.contains("132ae3ef") && debug.contains(DATABASE_LEASE), "no password in Debug: {debug}");
    let mut status = creds.status();
    tokio::time::timeout(Duration::from_secs(5), async {
        while renewed(&server).await.len() < 3 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the three leases are renewed");
    assert_eq!(renewed(&server).await, [NOMAD_LEASE, CONSUL_LEASE, DATABASE_LEASE]);
    assert_eq!(*status.borrow_and_update(), LeaseStatus::Renewing);
    creds.revoke().await.unwrap();
    assert_eq!(revoked(&server).await, [NOMAD_LEASE, CONSUL_LEASE, DATABASE_LEASE]);

    // Without the option there is no PostgreSQL user, and a failed database
    // read revokes the two tokens already issued.
    let creds = obtain(&server, CredentialsOptions::new("admin").renew(false)).await;
    assert!(creds.database().unwrap_err().to_string().contains("no PostgreSQL user was asked for"));
    drop(creds);
    let server = short_lease_vault(3600, renewal(3600)).await;
    let vault = vault_client::VaultClient::builder().address(&server.uri()).token("operator-token").build().unwrap();
    let err = obtain_from(&vault, &CredentialsOptions::new("admin").database("database", "missing")).await.unwrap_err();
    assert!(err.to_string().starts_with("Vault database/creds/missing:"), "{err}");
    assert_eq!(revoked(&server).await, [NOMAD_LEASE, CONSUL_LEASE]);
}
