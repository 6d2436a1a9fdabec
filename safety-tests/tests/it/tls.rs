//! TLS verification is on unless explicitly disabled: a self-signed server is
//! refused with a message that says why, and accepted once its CA is trusted.

use std::sync::Arc;

use client_core::{ClientConfig, Error, HttpClient, Request, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Starts an HTTPS server with a fresh self-signed certificate for
/// 127.0.0.1/localhost; returns its port and the certificate PEM.
async fn self_signed_server() -> (u16, String) {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let pem = cert.cert.pem();
    let der = CertificateDer::from(cert.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = [0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let body = "\"tls-ok\"";
                let resp =
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, pem)
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
