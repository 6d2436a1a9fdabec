//! The connection variables of the official CLIs beyond TLS and proxies
//! (those are in client-core's tls and proxy tests): Vault's timeout,
//! retries, rate limit, wrapping, redirects, SRV lookup, the agent address,
//! OpenBao's BAO_* fallbacks; Consul's partition and basic auth; Nomad's
//! basic auth. Variables come from maps (`from_lookup`), never the process
//! environment.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |k| map.get(k).cloned()
}

fn vault(pairs: &[(&str, &str)]) -> vault_client::Result<vault_client::VaultClient> {
    vault_client::VaultClientBuilder::from_lookup(env(pairs))?.build()
}

fn leader_body() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({"ha_enabled": false, "is_self": true}))
}

#[tokio::test]
async fn vault_timeout_and_retries() {
    let v = vault(&[("VAULT_ADDR", "http://127.0.0.1:1"), ("VAULT_CLIENT_TIMEOUT", "90")]).unwrap();
    assert_eq!(v.config().timeout, Duration::from_secs(90));
    let v = vault(&[("VAULT_ADDR", "http://127.0.0.1:1"), ("VAULT_CLIENT_TIMEOUT", "1m5s")]).unwrap();
    assert_eq!(v.config().timeout, Duration::from_secs(65));
    let v = vault(&[("VAULT_ADDR", "http://127.0.0.1:1"), ("VAULT_MAX_RETRIES", "0")]).unwrap();
    assert_eq!(v.config().retry.max_retries, 0);
    for (var, bad) in [("VAULT_CLIENT_TIMEOUT", "soon"), ("VAULT_MAX_RETRIES", "-1"), ("VAULT_RATE_LIMIT", "x")] {
        let err = vault(&[("VAULT_ADDR", "http://127.0.0.1:1"), (var, bad)]).unwrap_err().to_string();
        assert!(err.contains(var), "{err}");
    }

    // VAULT_MAX_RETRIES=0: a 500 on a read is not retried.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/leader"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let v = vault(&[("VAULT_ADDR", &server.uri()), ("VAULT_MAX_RETRIES", "0")]).unwrap();
    assert!(v.sys().leader().await.is_err());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn vault_rate_limit_spaces_requests() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path("/v1/sys/leader")).respond_with(leader_body()).mount(&server).await;
    // 20 a second, bursts of 1: six requests take at least 5 × 50 ms.
    let v = vault(&[("VAULT_ADDR", &server.uri()), ("VAULT_RATE_LIMIT", "20:1")]).unwrap();
    let start = Instant::now();
    for _ in 0..6 {
        v.sys().leader().await.unwrap();
    }
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(240), "{took:?}");
}

#[tokio::test]
async fn vault_wrap_ttl_wraps_every_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/leader"))
        .and(header("X-Vault-Wrap-TTL", "300s"))
        .respond_with(leader_body())
        .mount(&server)
        .await;
    let v = vault(&[("VAULT_ADDR", &server.uri()), ("VAULT_WRAP_TTL", "5m")]).unwrap();
    v.sys().leader().await.unwrap();
    let err = vault(&[("VAULT_ADDR", &server.uri()), ("VAULT_WRAP_TTL", "0")]).unwrap_err();
    assert!(err.to_string().contains("wrap TTL"), "{err}");
}

#[tokio::test]
async fn vault_disable_redirects() {
    let server = MockServer::start().await;
    let location = format!("{}/v1/sys/leader", server.uri());
    Mock::given(method("GET"))
        .and(path("/v1/sys/leader"))
        .and(header_exists("X-Vault-Request"))
        .respond_with(ResponseTemplate::new(307).insert_header("Location", location.as_str()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/v1/sys/leader")).respond_with(leader_body()).mount(&server).await;
    // Followed by default (same origin) ...
    vault(&[("VAULT_ADDR", &server.uri())]).unwrap().sys().leader().await.unwrap();
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/leader"))
        .respond_with(ResponseTemplate::new(307).insert_header("Location", location.as_str()))
        .mount(&server)
        .await;
    // ... and not with VAULT_DISABLE_REDIRECTS.
    let v = vault(&[("VAULT_ADDR", &server.uri()), ("VAULT_DISABLE_REDIRECTS", "true")]).unwrap();
    let err = v.sys().leader().await.unwrap_err().to_string();
    assert!(err.to_lowercase().contains("redirect"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[test]
fn vault_srv_lookup_is_refused_with_the_reason() {
    let err = vault(&[("VAULT_ADDR", "https://vault.example:8200"), ("VAULT_SRV_LOOKUP", "true")]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("VAULT_SRV_LOOKUP") && text.contains("not supported") && text.contains("VAULT_ADDR"),
        "{text}"
    );
    assert!(vault(&[("VAULT_ADDR", "https://vault.example:8200"), ("VAULT_SRV_LOOKUP", "false")]).is_ok());
}

#[test]
fn vault_agent_address_and_openbao_fallbacks() {
    let v = vault(&[("VAULT_ADDR", "https://vault:8200"), ("VAULT_AGENT_ADDR", "http://127.0.0.1:8100")]).unwrap();
    assert_eq!(v.address().as_str(), "http://127.0.0.1:8100/");
    // BAO_* is read when VAULT_* is unset ...
    let v = vault(&[("BAO_ADDR", "https://bao:8200"), ("BAO_TOKEN", "s.bao"), ("BAO_NAMESPACE", "team")]).unwrap();
    assert_eq!(v.address().as_str(), "https://bao:8200/");
    assert_eq!(v.token().unwrap().expose(), "s.bao");
    assert_eq!(v.namespace(), Some("team"));
    // ... and VAULT_* wins when both are set.
    let v = vault(&[("BAO_ADDR", "https://bao:8200"), ("VAULT_ADDR", "https://vault:8200"), ("BAO_TOKEN", "s.bao")])
        .unwrap();
    assert_eq!(v.address().as_str(), "https://vault:8200/");
    assert_eq!(v.token().unwrap().expose(), "s.bao");
    let v = vault(&[("BAO_ADDR", "https://bao:8200"), ("BAO_MAX_RETRIES", "0"), ("BAO_SKIP_VERIFY", "true")]).unwrap();
    assert_eq!(v.config().retry.max_retries, 0);
    assert!(v.config().tls.insecure_skip_verify);
}

#[tokio::test]
async fn consul_partition_and_basic_auth_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/status/leader"))
        .and(header("X-Consul-Partition", "ops"))
        .and(header("X-Consul-Namespace", "team"))
        .and(header("Authorization", "Basic dXNlcjpwdw=="))
        .respond_with(ResponseTemplate::new(200).set_body_json("10.0.0.1:8300"))
        .mount(&server)
        .await;
    let consul = consul_client::ConsulClient::from_lookup(env(&[
        ("CONSUL_HTTP_ADDR", &server.uri()),
        ("CONSUL_PARTITION", "ops"),
        ("CONSUL_NAMESPACE", "team"),
        ("CONSUL_HTTP_AUTH", "user:pw"),
    ]))
    .unwrap();
    assert_eq!(consul.status().leader().await.unwrap().as_deref(), Some("10.0.0.1:8300"));
    assert!(!format!("{consul:?}").contains("pw\""));
    let err = consul_client::ConsulClient::from_lookup(env(&[("CONSUL_PARTITION", "a/b")])).unwrap_err();
    assert!(err.to_string().contains("CONSUL_PARTITION"), "{err}");
}

#[tokio::test]
async fn nomad_basic_auth_header() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/status/leader"))
        .and(header("Authorization", "Basic dXNlcjpwdw=="))
        .respond_with(ResponseTemplate::new(200).set_body_json("10.0.0.1:4647"))
        .mount(&server)
        .await;
    let nomad =
        nomad_client::NomadClient::from_lookup(env(&[("NOMAD_ADDR", &server.uri()), ("NOMAD_HTTP_AUTH", "user:pw")]))
            .unwrap();
    let leader: String = nomad.http().json(client_core::Request::get("/v1/status/leader")).await.unwrap();
    assert_eq!(leader, "10.0.0.1:4647");
}
