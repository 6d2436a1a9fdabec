//! TLS verification is on unless explicitly disabled: a self-signed server is
//! refused with a message that says why, and accepted once its CA is trusted.

use client_core::{ClientConfig, Error, HttpClient, Request, RetryPolicy};
use test_support::tls::{Certificate, TlsServer};

/// Starts an HTTPS server with a fresh self-signed certificate for
/// 127.0.0.1/localhost; returns its port and the certificate PEM.
async fn self_signed_server() -> (u16, String) {
    let server = TlsServer::new(&Certificate::self_signed(&["127.0.0.1", "localhost"])).start().await;
    (server.port(), server.cert_pem().to_owned())
}

fn config(port: u16) -> ClientConfig {
    ClientConfig::new(&format!("https://127.0.0.1:{port}"), "X-Token")
        .unwrap()
        .with_token("tls-test-token")
        .with_retry(RetryPolicy::disabled())
}

#[tokio::test]
async fn self_signed_server_is_refused_by_default_with_a_clear_message() {
    let (port, _pem) = self_signed_server().await;
    let err = HttpClient::new(config(port)).unwrap().send(Request::get("/v1/status/leader")).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let text = err.to_string().to_lowercase();
    assert!(text.contains("certificate") || text.contains("unknownissuer"), "message should say why: {text}");
    assert!(!text.contains("tls-test-token"));
}

#[tokio::test]
async fn trusting_the_ca_or_skipping_verification_explicitly_works() {
    let (port, pem) = self_signed_server().await;
    let trusted = HttpClient::new(config(port).with_ca_pem(pem.into_bytes())).unwrap();
    let v: String = trusted.json(Request::get("/v1/status/leader")).await.unwrap();
    assert_eq!(v, "tls-ok");
    let skipping = HttpClient::new(config(port).danger_skip_verify(true)).unwrap();
    let v: String = skipping.json(Request::get("/v1/status/leader")).await.unwrap();
    assert_eq!(v, "tls-ok");
}

#[test]
fn garbage_ca_material_is_a_config_error_at_build_time() {
    let err = HttpClient::new(config(1).with_ca_pem(b"not a pem".to_vec())).unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(err.to_string().contains("CA certificate"), "{err}");
}
