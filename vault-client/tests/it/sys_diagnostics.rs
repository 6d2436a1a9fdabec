//! sys/metrics (JSON and Prometheus), sys/host-info, sys/config/state/sanitized.

use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{FIXTURES, doc_fixture, setup};

#[tokio::test]
async fn metrics_json_decodes_go_metrics_summary() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/metrics"))
        .respond_with(ResponseTemplate::new(200).set_body_json(doc_fixture("sys-metrics.source")))
        .mount(&server)
        .await;
    let metrics = vault.sys().metrics().await.unwrap();
    assert_eq!(metrics.timestamp, "2026-12-01 15:00:00 +0000 UTC");
    let leases = metrics.gauges.iter().find(|g| g.name == "vault.expire.num_leases").unwrap();
    assert_eq!(leases.value, 12.0);
    assert_eq!(metrics.counters[0].labels["mount_point"], "secret/");
    assert_eq!((metrics.samples[0].count, metrics.samples[0].max), (4, 0.297));
}

#[tokio::test]
async fn metrics_prometheus_returns_the_text_as_sent() {
    let (server, vault) = setup().await;
    let text = FIXTURES.under("vault-docs").text("sys-metrics-prometheus.docs.txt");
    Mock::given(method("GET"))
        .and(path("/v1/sys/metrics"))
        .and(query_param("format", "prometheus"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(text.clone(), "text/plain; version=0.0.4"))
        .mount(&server)
        .await;
    let got = vault.sys().metrics_prometheus().await.unwrap();
    assert_eq!(got, text);
    assert!(got.contains("vault_audit_log_request_count 2"));
}

#[tokio::test]
async fn metrics_prometheus_without_retention_is_vaults_400() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/metrics"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(serde_json::json!({"errors": ["prometheus is not enabled"]})),
        )
        .mount(&server)
        .await;
    let err = vault.sys().metrics_prometheus().await.unwrap_err();
    assert!(err.to_string().contains("prometheus is not enabled"), "{err}");
}

#[tokio::test]
async fn host_info_reads_the_documented_fields() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/host-info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(doc_fixture("sys-host-info.docs")))
        .mount(&server)
        .await;
    let info = vault.sys().host_info().await.unwrap();
    let host = info.host.unwrap();
    assert_eq!((host.hostname.as_str(), host.boot_time, host.procs), ("vault-server-1", 1_570_114_491, 439));
    assert_eq!(info.memory.unwrap().total, 17_179_869_184);
    assert_eq!(info.cpu[0]["vendorId"], "GenuineIntel");
    assert_eq!(info.timestamp, "2019-10-03T22:51:49.715927Z");
}

#[tokio::test]
async fn config_state_reads_the_documented_object_from_data() {
    let (server, vault) = setup().await;
    // The docs print the object alone; Vault's handler answers it as `data`.
    let body = serde_json::json!({ "data": doc_fixture("sys-config-state-sanitized.docs") });
    Mock::given(method("GET"))
        .and(path("/v1/sys/config/state/sanitized"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let config = vault.sys().config_state().await.unwrap();
    assert_eq!(config.api_addr, "http://127.0.0.1:8200");
    assert!(config.enable_ui);
    assert_eq!(config.listeners[0]["type"], "tcp");
    assert_eq!(config.extra["plugin_directory"], "/opt/vault/plugins");
}
