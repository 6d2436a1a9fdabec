//! TLS mismatches say what is wrong: a server that wants a client
//! certificate (mutual TLS) and gets none, refusing with an alert or just
//! closing the connection.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};
use vault_client::{RetryPolicy, VaultClient};

/// An HTTPS server (self-signed for 127.0.0.1) that requires a client
/// certificate signed by a CA the client does not have (`require`), or that
/// closes every connection without answering; returns its port and its
/// certificate PEM.
async fn mutual_tls_server(require: bool) -> (u16, String) {
    let server = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let client_ca = rcgen::generate_simple_self_signed(vec!["client-ca".into()]).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(client_ca.cert.der().to_vec())).unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().unwrap();
    let builder = ServerConfig::builder_with_provider(provider).with_safe_default_protocol_versions().unwrap();
    let builder = if require { builder.with_client_cert_verifier(verifier) } else { builder.with_no_client_auth() };
    let config = builder
        .with_single_cert(
            vec![CertificateDer::from(server.cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server.key_pair.serialize_der())),
        )
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
                if require {
                    let _ = tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}").await;
                }
            });
        }
    });
    (port, server.cert.pem())
}

#[tokio::test]
async fn a_server_asking_for_a_client_certificate_says_so() {
    for (require, says) in [(true, "asked for a client certificate"), (false, "if it requires a client certificate")] {
        let (port, pem) = mutual_tls_server(require).await;
        let config = client_core::ClientConfig::new(&format!("https://127.0.0.1:{port}"), "X-Vault-Token")
            .unwrap()
            .with_ca_pem(pem.into_bytes())
            .with_token("s.mtls-test-token")
            .with_retry(RetryPolicy::disabled());
        let vault = VaultClient::new(config).unwrap();
        let err = vault.sys().leader().await.unwrap_err();
        let text = err.to_string();
        assert!(text.contains(says) && text.contains("VAULT_CLIENT_CERT"), "{text}");
        assert!(!text.contains("s.mtls-test-token"), "{text}");
    }
}
