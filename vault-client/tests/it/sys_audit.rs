//! sys/audit and sys/audit-hash on the API docs' shapes, and sys/wrapping/rewrap.

use vault_client::Secret;
use vault_client::audit::AuditRequest;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{ROOT, answer, doc_answer, doc_fixture, no_content, setup};

#[tokio::test]
async fn audit_devices_are_read_from_the_envelopes_data() {
    let (server, vault) = setup().await;
    // The docs print the device map alone; Vault sends it as the envelope's
    // `data`, which is where the Go client (api/sys_audit.go) reads it.
    let body = serde_json::json!({ "data": doc_fixture("sys-audit-list.docs") });
    Mock::given(method("GET"))
        .and(path("/v1/sys/audit"))
        .and(header("X-Vault-Token", ROOT))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let devices = vault.sys().audit_devices().await.unwrap();
    let file = &devices["file"];
    assert_eq!((file.device_type.as_str(), file.description.as_str()), ("file", "Store logs in a file"));
    assert_eq!(file.options["file_path"], "/var/log/vault.log");
    assert!(!file.local);
}

#[tokio::test]
async fn enable_sends_the_documented_body_and_disable_deletes_the_exact_path() {
    let (server, vault) = setup().await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/audit/file"))
        .and(body_json(doc_fixture("sys-audit-enable.request.docs")))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/audit/ops/socket"))
        .and(body_json(serde_json::json!({
            "type": "socket", "description": "to the log shipper",
            "options": {"address": "logs.example:9090", "socket_type": "tcp", "format": "jsonx"}
        })))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/sys/audit/file"))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    vault.sys().enable_audit("file", &AuditRequest::file("/var/log/vault/log")).await.unwrap();
    let socket =
        AuditRequest::socket("logs.example:9090", "tcp").option("format", "jsonx").description("to the log shipper");
    vault.sys().enable_audit("ops/socket/", &socket).await.unwrap();
    vault.sys().disable_audit("file/").await.unwrap();
}

#[tokio::test]
async fn a_path_in_use_is_vaults_error() {
    let (server, vault) = setup().await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/audit/file"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({"errors": ["path already in use"]})))
        .mount(&server)
        .await;
    let err = vault.sys().enable_audit("file", &AuditRequest::syslog()).await.unwrap_err();
    assert!(err.to_string().contains("path already in use"), "{err}");
}

#[tokio::test]
async fn bad_audit_input_is_refused_before_sending() {
    let (server, vault) = setup().await;
    let sys = vault.sys();
    let mut kafka = AuditRequest::syslog();
    kafka.device_type = "kafka".into();
    let errors = [
        sys.enable_audit("file", &AuditRequest::file("")).await.unwrap_err(),
        sys.enable_audit("file", &AuditRequest::file("  ")).await.unwrap_err(),
        sys.enable_audit("socket", &AuditRequest::socket("", "tcp")).await.unwrap_err(),
        sys.enable_audit("kafka", &kafka).await.unwrap_err(),
        sys.enable_audit("", &AuditRequest::syslog()).await.unwrap_err(),
        sys.enable_audit("../sys", &AuditRequest::syslog()).await.unwrap_err(),
        sys.disable_audit("").await.unwrap_err(),
        sys.disable_audit("a//b").await.unwrap_err(),
        sys.audit_hash("..", &Secret::new("x")).await.unwrap_err(),
    ];
    for (err, expected) in errors.iter().zip([
        "lack \"file_path\"",
        "lack \"file_path\"",
        "lack \"address\"",
        "not one of file, syslog, socket",
        "audit device path",
        "audit device path",
        "audit device path",
        "audit device path",
        "audit device path",
    ]) {
        assert!(err.to_string().contains(expected), "{err}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn audit_hash_reads_data_or_the_documented_top_level_and_hides_the_input() {
    let (server, vault) = setup().await;
    let input = Secret::new("my-secret-vault");
    Mock::given(method("POST"))
        .and(path("/v1/sys/audit-hash/example-audit"))
        .and(body_json(doc_fixture("sys-audit-hash.request.docs")))
        .respond_with(doc_answer(200, "sys-audit-hash.docs"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/sys/audit-hash/example-audit"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": doc_fixture("sys-audit-hash.docs")})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/sys/audit-hash/example-audit"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "errors": ["cannot hash my-secret-vault"]
        })))
        .mount(&server)
        .await;
    for _ in 0..2 {
        assert_eq!(vault.sys().audit_hash("example-audit", &input).await.unwrap(), "hmac-sha256:08ba35...");
    }
    let err = vault.sys().audit_hash("example-audit", &input).await.unwrap_err();
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains("my-secret-vault") && text.contains("cannot hash"), "{text}");
    }
}

#[tokio::test]
async fn rewrap_sends_the_token_in_the_body_and_returns_the_new_one_redacted() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/sys/wrapping/rewrap"))
        .and(header("X-Vault-Token", ROOT))
        .and(body_json(doc_fixture("sys-wrapping-rewrap.request.docs")))
        .respond_with(doc_answer(200, "sys-wrapping-rewrap.docs"))
        .expect(1)
        .mount(&server)
        .await;
    let wrapped = vault.sys().wrapping().rewrap(&Secret::new("abcd1234...")).await.unwrap();
    assert_eq!(wrapped.token.expose(), "3b6f1193-0707-ac17-284d-e41032e74d1f");
    assert_eq!((wrapped.ttl, wrapped.creation_path.as_str()), (300, "sys/wrapping/wrap"));
    let debug = format!("{wrapped:?} {}", wrapped.token);
    assert!(!debug.contains("3b6f1193"), "{debug}");
}

#[tokio::test]
async fn rewrap_of_a_used_token_is_not_retried_and_hides_the_token() {
    let (server, vault) = setup().await;
    let token = Secret::new("s.IBjoSVXiYMB8BUBdR3PJdZq2");
    Mock::given(method("POST"))
        .and(path("/v1/sys/wrapping/rewrap"))
        .respond_with(answer(400, "wrap-unwrap-again"))
        .expect(1)
        .mount(&server)
        .await;
    let err = vault.sys().wrapping().rewrap(&token).await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains("IBjoSVXiYMB8BUBdR3PJdZq2"), "{err:?}");
    // Single use: a 500 is not retried either.
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/sys/wrapping/rewrap"))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&server)
        .await;
    assert!(vault.sys().wrapping().rewrap(&token).await.is_err());
}

#[tokio::test]
async fn an_empty_wrapping_token_is_refused_before_sending() {
    let (server, vault) = setup().await;
    let wrapping = vault.sys().wrapping();
    let empty = Secret::new("");
    let errors = [
        wrapping.rewrap(&empty).await.unwrap_err(),
        wrapping.lookup(&empty).await.unwrap_err(),
        wrapping.unwrap::<serde_json::Value>(&empty).await.unwrap_err(),
    ];
    for err in errors {
        assert!(err.to_string().contains("wrapping token"), "{err}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}
