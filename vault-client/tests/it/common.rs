//! Shared helpers: fixtures, a mock server with a client, request matchers.

use std::time::Duration;

use test_support::Fixtures;
use vault_client::{RetryPolicy, VaultClient};
use wiremock::{Match, MockServer, Request, ResponseTemplate};

pub const ROOT: &str = "root";

/// This crate's `tests/fixtures`.
pub const FIXTURES: Fixtures = Fixtures::new(env!("CARGO_MANIFEST_DIR"));

/// A recorded Vault 1.8 body (`tests/fixtures/vault/<name>.json`).
pub fn fixture(name: &str) -> serde_json::Value {
    FIXTURES.under("vault").json(&format!("{name}.json"))
}

/// A body from the API docs (`tests/fixtures/vault-docs/<name>.json`).
pub fn doc_fixture(name: &str) -> serde_json::Value {
    FIXTURES.under("vault-docs").json(&format!("{name}.json"))
}

/// A raw fixture file (e.g. SigV4 test vectors).
pub fn raw(dir: &str, name: &str) -> String {
    FIXTURES.text(&format!("{dir}/{name}"))
}

/// An answer with `status` and a recorded body.
pub fn answer(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(fixture(name))
}

/// An answer with `status` and a documented body.
pub fn doc_answer(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(doc_fixture(name))
}

/// Vault's "204 No Content".
pub fn no_content() -> ResponseTemplate {
    ResponseTemplate::new(204)
}

/// Fast retries so fault-path tests stay quick.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default().with_max_retries(2).with_delays(Duration::from_millis(1), Duration::from_millis(5))
}

/// A mock server and a client for it with the root token.
pub async fn setup() -> (MockServer, VaultClient) {
    let server = MockServer::start().await;
    let vault = VaultClient::builder().address(&server.uri()).token(ROOT).retry(fast_retry()).build().unwrap();
    (server, vault)
}

/// Matches requests that do NOT carry `header`.
pub struct NoHeader(pub &'static str);

impl Match for NoHeader {
    fn matches(&self, request: &Request) -> bool {
        !request.headers.contains_key(self.0)
    }
}

/// Matches requests without a body.
pub struct EmptyBody;

impl Match for EmptyBody {
    fn matches(&self, request: &Request) -> bool {
        request.body.is_empty()
    }
}

/// Answers every `GET path` with `status` and a recorded body.
pub async fn on_get(server: &MockServer, path: &str, status: u16, name: &str) {
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path(path))
        .respond_with(answer(status, name))
        .mount(server)
        .await;
}
