//! TLS mismatches say what is wrong: a server that wants a client
//! certificate (mutual TLS) and gets none, refusing with an alert or just
//! closing the connection.

use test_support::tls::{Ca, Reply, TlsServer, Usage};
use vault_client::{RetryPolicy, VaultClient};

#[tokio::test]
async fn a_server_asking_for_a_client_certificate_says_so() {
    let ca = Ca::new("vault CA");
    let cert = ca.issue(&["127.0.0.1"], Usage::Server);
    for (require, says) in [(true, "asked for a client certificate"), (false, "if it requires a client certificate")] {
        // Requiring a certificate of a CA the client does not have, or
        // closing every connection without answering.
        let server = if require {
            TlsServer::new(&cert).require_client_cert(&Ca::new("client CA"))
        } else {
            TlsServer::new(&cert).reply(Reply::HangUp)
        };
        let server = server.start().await;
        let config = client_core::ClientConfig::new(&server.url(), "X-Vault-Token")
            .unwrap()
            .with_ca_pem(ca.pem().into_bytes())
            .with_token("s.mtls-test-token")
            .with_retry(RetryPolicy::disabled());
        let vault = VaultClient::new(config).unwrap();
        let err = vault.sys().leader().await.unwrap_err();
        let text = err.to_string();
        assert!(text.contains(says) && text.contains("VAULT_CLIENT_CERT"), "{text}");
        assert!(!text.contains("s.mtls-test-token"), "{text}");
    }
}
