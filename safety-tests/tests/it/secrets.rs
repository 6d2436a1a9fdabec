//! No secret reaches logs, errors or Debug output: a run that uses tokens,
//! passwords and Vault answers holding secrets is captured at TRACE level
//! (every span and event of the SDK and its HTTP stack), and every captured
//! string is searched for every secret.

use std::io::Write;
use std::sync::{Arc, Mutex};

use client_core::Secret;
use test_support::Fixtures;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A `MakeWriter` that appends everything to one shared buffer.
#[derive(Clone, Default)]
pub(crate) struct Capture(pub(crate) Arc<Mutex<Vec<u8>>>);

/// Keeps a [`Capture::trace`] capture on.
pub(crate) struct TraceGuard {
    _default: tracing::subscriber::DefaultGuard,
    _other: tracing::Dispatch,
}

impl Capture {
    /// Captures every span and event at TRACE level on this thread until the
    /// guard drops.
    pub(crate) fn trace() -> (Self, TraceGuard) {
        // With a single scoped dispatcher alive, tracing-core asks only the
        // registering thread's default about a new callsite: a span first hit
        // by a test on another thread (no subscriber) would stay disabled
        // here. A second live dispatcher makes every callsite ask them all.
        let other = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
        let capture = Self::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(capture.clone())
            .with_ansi(false)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .finish();
        let default = tracing::subscriber::set_default(subscriber);
        (capture, TraceGuard { _default: default, _other: other })
    }

    /// Everything captured so far, as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

const VAULT_TOKEN: &str = "hvs.root-token-never-printed";
const PASSWORD: &str = "alice-password-never-printed";
const PATRONI_PASSWORD: &str = "patroni-rest-password-never-printed";
const CONSUL_TOKEN: &str = "consul-token-never-printed-0000";
/// Secrets inside the recorded Vault answers.
const RESPONSE_SECRETS: [&str; 3] =
    ["8b19b214-c470-a00f-8e72-03d15fe1c5af", "cd96c3d8-f413-6c1b-a8b4-8af2843146a9", "s.cSraLfhm2LQSMOi2a0MRQEfO"];

/// The recorded Vault answers.
const VAULT: Fixtures = Fixtures::new(env!("CARGO_MANIFEST_DIR")).under("vault");

#[tokio::test(flavor = "current_thread")]
async fn no_secret_appears_in_logs_errors_or_debug_output() {
    let (capture, _guard) = Capture::trace();
    let mut texts: Vec<String> = Vec::new();

    // Vault: login with a password, dynamic credentials, then a revoked token.
    let vault_server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/userpass/login/alice"))
        .respond_with(VAULT.json_response(200, "userpass-login.json"))
        .mount(&vault_server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/nomad/creds/admin"))
        .respond_with(VAULT.json_response(200, "nomad-creds-admin.json"))
        .mount(&vault_server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/consul/creds/admin"))
        .respond_with(VAULT.json_response(200, "consul-creds-admin.json"))
        .mount(&vault_server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/denied"))
        .respond_with(VAULT.json_response(403, "error-403-bad-token.json"))
        .mount(&vault_server)
        .await;
    let vault = vault_client::VaultClient::builder().address(&vault_server.uri()).token(VAULT_TOKEN).build().unwrap();
    texts.push(format!("{vault:?}"));
    let logged_in = vault.auth().userpass("userpass").unwrap().login("alice", &Secret::new(PASSWORD)).await.unwrap();
    texts.push(format!("{logged_in:?}"));
    texts.push(format!("{:#?}", logged_in.client));
    let nomad_creds = logged_in.client.secrets().nomad_creds("admin").await.unwrap();
    let consul_creds = logged_in.client.secrets().consul_creds("admin").await.unwrap();
    texts.push(format!("{nomad_creds:?} {consul_creds:#?}"));
    let err = vault.read::<serde_json::Value>("secret/denied").await.unwrap_err();
    texts.push(err.to_string());
    texts.push(format!("{err:?}"));

    // Consul: a token-bearing client against the real agent, and an error.
    if let Some(agent) = sandbox::shared_consul() {
        let consul = consul_client::ConsulClient::builder()
            .address(&agent.http_addr())
            .build()
            .unwrap()
            .with_token(CONSUL_TOKEN);
        texts.push(format!("{consul:?}"));
        let _ = consul.kv().get("safety/secrets-test", &consul_client::QueryOptions::default()).await.unwrap();
        let err = consul.kv().get("", &consul_client::QueryOptions::default()).await.unwrap_err();
        texts.push(format!("{err} {err:?}"));
    }

    // Patroni: basic auth refused with 401.
    let patroni_server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", "Basic realm=\"Patroni\"")
                .set_body_string("not authenticated"),
        )
        .mount(&patroni_server)
        .await;
    let patroni = patroni_client::PatroniClient::builder()
        .address(&patroni_server.uri())
        .basic_auth("patroni", PATRONI_PASSWORD)
        .build()
        .unwrap();
    texts.push(format!("{patroni:?}"));
    let err = patroni.switchover(&patroni_client::Switchover::from_leader("dbHA1")).await.unwrap_err();
    texts.push(format!("{err} {err:?}"));

    // Nomad: a client built from the Vault-issued secret ID.
    let nomad_cfg = client_core::ClientConfig::new("http://127.0.0.1:1", "X-Nomad-Token")
        .unwrap()
        .with_token(nomad_creds.data.secret_id.clone())
        .with_retry(client_core::RetryPolicy::disabled());
    let nomad = nomad_client::NomadClient::new(nomad_cfg).unwrap();
    texts.push(format!("{nomad:?}"));
    let err = nomad.jobs().list(&nomad_client::QueryOptions::default()).await.unwrap_err();
    texts.push(format!("{err} {err:?}"));

    drop(_guard);
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("http"), "the capture must have seen the SDK's request spans:\n{logs}");
    let mut secrets = vec![VAULT_TOKEN, PASSWORD, PATRONI_PASSWORD, CONSUL_TOKEN];
    secrets.extend(RESPONSE_SECRETS);
    let basic = base64_basic("patroni", PATRONI_PASSWORD);
    secrets.push(&basic);
    texts.push(logs);
    for text in &texts {
        for secret in &secrets {
            assert!(!text.contains(secret), "secret {secret:?} leaked into:\n{text}");
        }
    }
    // The secrets were really used: the wire carried them.
    let sent = vault_server.received_requests().await.unwrap();
    let token_of = |p: &str| {
        sent.iter()
            .find(|r| r.url.path() == p)
            .and_then(|r| r.headers.get("X-Vault-Token"))
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert!(String::from_utf8_lossy(&sent[0].body).contains(PASSWORD));
    assert_eq!(token_of("/v1/auth/userpass/login/alice"), None, "a login sends no token");
    assert_eq!(
        token_of("/v1/nomad/creds/admin").as_deref(),
        Some(RESPONSE_SECRETS[2]),
        "the login's token is used after it"
    );
    assert_eq!(token_of("/v1/secret/denied").as_deref(), Some(VAULT_TOKEN));
    assert_eq!(nomad_creds.data.secret_id.expose(), RESPONSE_SECRETS[0]);
}

fn base64_basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}
