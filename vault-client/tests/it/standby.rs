//! Standbys and consistency: 307 redirects, 412 with X-Vault-Index, 429,
//! sealed 503 and 500 on reads.

use vault_client::{ClientError, Error, VaultClient};
use wiremock::matchers::{any, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{NoHeader, ROOT, answer, doc_answer, fast_retry, fixture, setup};

const SECRET: &str = "/v1/secret/data/atala-testnet/dbHA1";

fn redirect_to(server: &MockServer) -> ResponseTemplate {
    ResponseTemplate::new(307).insert_header("Location", format!("{}{SECRET}", server.uri()).as_str())
}

fn host_port(server: &MockServer) -> String {
    server.uri().trim_start_matches("http://").to_owned()
}

#[tokio::test]
async fn standby_redirect_is_followed_to_a_node_of_the_cluster() {
    let standby = MockServer::start().await;
    let active = MockServer::start().await;
    Mock::given(method("GET")).and(path(SECRET)).respond_with(redirect_to(&active)).expect(1).mount(&standby).await;
    Mock::given(method("GET"))
        .and(path(SECRET))
        .and(header("X-Vault-Token", ROOT))
        .and(header("X-Vault-Namespace", "ops"))
        .respond_with(answer(200, "kv2-read"))
        .expect(1)
        .mount(&active)
        .await;
    let vault = VaultClient::builder()
        .address(&standby.uri())
        .token(ROOT)
        .namespace("ops")
        .cluster_nodes([host_port(&active)])
        .build()
        .unwrap();
    let data: serde_json::Value = vault.kv2("secret").unwrap().read("atala-testnet/dbHA1").await.unwrap().unwrap();
    assert_eq!(data["patroni_scope"], "dbHA1");
}

#[tokio::test]
async fn standby_redirect_to_a_foreign_host_is_refused_and_the_token_never_leaves() {
    let standby = MockServer::start().await;
    let foreign = MockServer::start().await;
    let other_node = MockServer::start().await;
    Mock::given(method("GET")).and(path(SECRET)).respond_with(redirect_to(&foreign)).expect(1).mount(&standby).await;
    Mock::given(any()).respond_with(answer(200, "kv2-read")).expect(0).mount(&foreign).await;
    let vault = VaultClient::builder()
        .address(&standby.uri())
        .token(ROOT)
        .cluster_nodes([format!("http://{}", host_port(&other_node))])
        .build()
        .unwrap();
    let err = vault.kv2("secret").unwrap().read::<serde_json::Value>("atala-testnet/dbHA1").await.unwrap_err();
    assert!(matches!(err, Error::Core(client_core::Error::Redirect { .. })), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("refusing to follow a redirect") && text.contains(&host_port(&foreign)), "{text}");
}

#[tokio::test]
async fn a_412_is_retried_with_the_last_index_seen() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SECRET))
        .and(NoHeader("X-Vault-Index"))
        .respond_with(answer(200, "kv2-write").insert_header("X-Vault-Index", "v1:abc123"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(SECRET))
        .and(header("X-Vault-Index", "v1:abc123"))
        .respond_with(ResponseTemplate::new(412))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(SECRET))
        .and(header("X-Vault-Index", "v1:abc123"))
        .respond_with(answer(200, "kv2-read"))
        .expect(1)
        .mount(&server)
        .await;
    let vault = VaultClient::builder()
        .address(&server.uri())
        .token(ROOT)
        .retry(fast_retry())
        .read_your_writes(true)
        .build()
        .unwrap();
    let kv = vault.kv2("secret").unwrap();
    kv.write("atala-testnet/dbHA1", &fixture("kv2-write.request")["data"]).await.unwrap();
    let data: serde_json::Value = kv.read("atala-testnet/dbHA1").await.unwrap().unwrap();
    assert_eq!(data["patroni_scope"], "dbHA1");
}

#[tokio::test]
async fn rate_limited_429_is_retried_then_reported() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path(SECRET))
        .respond_with(doc_answer(429, "error-429-rate-limited"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(SECRET))
        .respond_with(answer(200, "kv2-read"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let kv = vault.kv2("secret").unwrap();
    assert!(kv.read::<serde_json::Value>("atala-testnet/dbHA1").await.unwrap().is_some());
    // From now on the quota stays exceeded: 1 attempt + 2 retries, then a typed error.
    Mock::given(method("GET"))
        .and(path(SECRET))
        .respond_with(doc_answer(429, "error-429-rate-limited"))
        .expect(3)
        .mount(&server)
        .await;
    let err = kv.read::<serde_json::Value>("atala-testnet/dbHA1").await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert!(err.to_string().contains("rate limit quota exceeded"), "{err}");
}

#[tokio::test]
async fn sealed_vault_is_a_typed_error() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path(SECRET))
        .respond_with(doc_answer(503, "error-503-sealed"))
        // A sealed Vault stays sealed until an operator unseals it: no retry.
        .expect(1)
        .mount(&server)
        .await;
    let err = vault.kv2("secret").unwrap().read::<serde_json::Value>("atala-testnet/dbHA1").await.unwrap_err();
    assert!(matches!(err, Error::Sealed { .. }), "{err:?}");
    assert!(err.to_string().starts_with("Vault is sealed"), "{err}");
}

#[tokio::test]
async fn a_500_is_retried_for_reads_only() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path(SECRET))
        .respond_with(answer(500, "github-login-offline"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path(SECRET)).respond_with(answer(200, "kv2-read")).expect(1).mount(&server).await;
    Mock::given(method("POST"))
        .and(path(SECRET))
        .respond_with(answer(500, "github-login-offline"))
        .expect(1)
        .mount(&server)
        .await;
    let kv = vault.kv2("secret").unwrap();
    assert!(kv.read::<serde_json::Value>("atala-testnet/dbHA1").await.unwrap().is_some());
    let err = kv.write("atala-testnet/dbHA1", &fixture("kv2-write.request")["data"]).await.unwrap_err();
    assert_eq!(err.status(), Some(500));
}

#[test]
fn cluster_nodes_are_normalised_to_host_and_port() {
    let vault = VaultClient::builder()
        .address("https://vault-1.example:8200")
        .cluster_nodes(["vault-2.example", "https://vault-3.example:8300", "vault-4.example:8200"])
        .build()
        .unwrap();
    let debug = format!("{vault:?}");
    assert!(
        debug.contains(r#"AllowHosts(["vault-2.example:8200", "vault-3.example:8300", "vault-4.example:8200"])"#),
        "{debug}"
    );
    assert!(VaultClient::builder().address("https://vault-1.example:8200").cluster_nodes(["ftp://x"]).build().is_err());
}

#[tokio::test]
async fn every_attempt_goes_through_the_hook_and_a_retry_carries_the_newest_index() {
    let server = MockServer::start().await;
    // The first attempt carries no index yet; its 503 (a node that is not
    // sealed, only busy) brings one, and the retry sends it.
    Mock::given(method("GET"))
        .and(path(SECRET))
        .and(NoHeader("X-Vault-Index"))
        .and(header("X-Vault-Request", "true"))
        .and(header("X-Vault-Namespace", "ops"))
        .respond_with(ResponseTemplate::new(503).insert_header("X-Vault-Index", "v1:first"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(SECRET))
        .and(header("X-Vault-Index", "v1:first"))
        .and(header("X-Vault-Request", "true"))
        .and(header("X-Vault-Namespace", "ops"))
        .respond_with(answer(200, "kv2-read"))
        .expect(1)
        .mount(&server)
        .await;
    let vault = VaultClient::builder()
        .address(&server.uri())
        .token(ROOT)
        .namespace("ops")
        .retry(fast_retry())
        .read_your_writes(true)
        .build()
        .unwrap();
    let data: serde_json::Value = vault.kv2("secret").unwrap().read("atala-testnet/dbHA1").await.unwrap().unwrap();
    assert_eq!(data["patroni_scope"], "dbHA1");
}

/// Answers the first `verb` on the secret with `first`, the next one with `then`.
async fn first_then(server: &MockServer, verb: &str, first: ResponseTemplate, then: ResponseTemplate) {
    Mock::given(method(verb)).and(path(SECRET)).respond_with(first).up_to_n_times(1).expect(1).mount(server).await;
    Mock::given(method(verb)).and(path(SECRET)).respond_with(then).expect(1).mount(server).await;
}

#[tokio::test]
async fn a_412_is_retried_for_a_write_too_and_retries_stop_after_max_retries() {
    let (server, vault) = setup().await;
    // 412 says the write was not applied: it is retried although a POST is not idempotent.
    first_then(&server, "POST", ResponseTemplate::new(412), answer(200, "kv2-write")).await;
    let kv = vault.kv2("secret").unwrap();
    kv.write("atala-testnet/dbHA1", &fixture("kv2-write.request")["data"]).await.unwrap();
    // A node that never catches up: 1 attempt + max_retries (2), then the 412 is reported.
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path(SECRET))
        .respond_with(ResponseTemplate::new(412))
        .expect(3)
        .mount(&server)
        .await;
    let err = vault.kv2("secret").unwrap().read::<serde_json::Value>("atala-testnet/dbHA1").await.unwrap_err();
    assert_eq!(err.status(), Some(412), "{err:?}");
}

#[tokio::test]
async fn a_sealed_read_and_a_sealed_write_are_tried_once_whatever_the_retries() {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(doc_answer(503, "error-503-sealed")).mount(&server).await;
    let many = vault_client::RetryPolicy::default()
        .with_max_retries(5)
        .with_delays(std::time::Duration::from_millis(1), std::time::Duration::from_millis(2));
    let vault = VaultClient::builder().address(&server.uri()).token(ROOT).retry(many).build().unwrap();
    let kv = vault.kv2("secret").unwrap();
    let err = kv.read::<serde_json::Value>("atala-testnet/dbHA1").await.unwrap_err();
    assert!(matches!(err, Error::Sealed { .. }), "{err:?}");
    let err = kv.write("atala-testnet/dbHA1", &fixture("kv2-write.request")["data"]).await.unwrap_err();
    assert!(matches!(err, Error::Sealed { .. }), "{err:?}");
    // Besides, each sealed answer asks sys/seal-status once (initialised or not).
    let requests = server.received_requests().await.unwrap();
    let count = |verb: &str| requests.iter().filter(|r| r.method.as_str() == verb && r.url.path() == SECRET).count();
    assert_eq!((count("GET"), count("POST")), (1, 1), "{requests:?}");
}

#[tokio::test]
async fn the_rate_limit_applies_to_every_attempt() {
    let (server, _) = setup().await;
    first_then(&server, "GET", ResponseTemplate::new(502), answer(200, "kv2-read")).await;
    // 10 requests a second, no burst: the retry waits ~100 ms for its turn.
    let vault = VaultClient::builder()
        .address(&server.uri())
        .token(ROOT)
        .retry(fast_retry())
        .rate_limit(10.0, 1)
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    assert!(vault.kv2("secret").unwrap().read::<serde_json::Value>("atala-testnet/dbHA1").await.unwrap().is_some());
    assert!(started.elapsed() >= std::time::Duration::from_millis(90), "{:?}", started.elapsed());
}
