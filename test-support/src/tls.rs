//! TLS test servers: certificates made with rcgen and a rustls server on
//! `127.0.0.1:0` (ring provider) that answers every request with one fixed
//! response, or hangs up without answering, optionally asking for a client
//! certificate (mutual TLS).
//!
//! ```no_run
//! # async fn demo() {
//! use test_support::tls::{Ca, TlsServer, Usage};
//!
//! let ca = Ca::new("test CA");
//! let server = TlsServer::new(&ca.issue(&["127.0.0.1"], Usage::Server)).start().await;
//! // A client that trusts `ca.pem()` gets `"tls-ok"` from `server.url()`.
//! # let _ = server;
//! # }
//! ```

use std::sync::{Arc, Mutex};

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};

/// The JSON body of the default answer: the string `"tls-ok"`.
pub const OK_BODY: &str = "\"tls-ok\"";

/// A certificate authority made for one test.
pub struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    /// A fresh self-signed CA with common name `name`.
    pub fn new(name: &str) -> Self {
        let key = KeyPair::generate().expect("generate a CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.self_signed(&key).expect("self-sign the CA");
        Self { cert, key }
    }

    /// The CA certificate in PEM, to trust it.
    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A certificate for `names` (IP strings become IP SANs) signed by this
    /// CA, for a server or a client.
    pub fn issue(&self, names: &[&str], usage: Usage) -> Certificate {
        let key = KeyPair::generate().expect("generate a key");
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).expect("parameters");
        params.extended_key_usages = vec![match usage {
            Usage::Server => ExtendedKeyUsagePurpose::ServerAuth,
            Usage::Client => ExtendedKeyUsagePurpose::ClientAuth,
        }];
        let cert = params.signed_by(&key, &self.cert, &self.key).expect("sign the certificate");
        Certificate { cert, key }
    }

    fn der(&self) -> CertificateDer<'static> {
        CertificateDer::from(self.cert.der().to_vec())
    }
}

/// What an issued certificate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    /// A server certificate (`serverAuth`).
    Server,
    /// A client certificate (`clientAuth`) for mutual TLS.
    Client,
}

/// A certificate and its private key.
pub struct Certificate {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Certificate {
    /// A self-signed certificate for `names` (its own trust anchor).
    pub fn self_signed(names: &[&str]) -> Self {
        let names = names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        let rcgen::CertifiedKey { cert, key_pair } =
            rcgen::generate_simple_self_signed(names).expect("self-signed certificate");
        Self { cert, key: key_pair }
    }

    /// The certificate in PEM.
    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// The private key in PEM (PKCS#8).
    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }
}

/// What the server does once it has read a request head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Answers `200 OK` with this JSON body and `Connection: close`, then
    /// closes the TLS session cleanly.
    Json(String),
    /// Drops the connection without an answer (and without `close_notify`).
    HangUp,
}

impl Default for Reply {
    /// `Reply::Json` with [`OK_BODY`].
    fn default() -> Self {
        Self::Json(OK_BODY.to_owned())
    }
}

/// A TLS server to start: its certificate, whether it wants a client
/// certificate, and its [`Reply`].
pub struct TlsServer {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    cert_pem: String,
    client_ca: Option<CertificateDer<'static>>,
    reply: Reply,
}

impl TlsServer {
    /// A server presenting `cert`, without client authentication, answering
    /// [`Reply::default`].
    pub fn new(cert: &Certificate) -> Self {
        Self {
            chain: vec![CertificateDer::from(cert.cert.der().to_vec())],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key.serialize_der())),
            cert_pem: cert.pem(),
            client_ca: None,
            reply: Reply::default(),
        }
    }

    /// Requires a client certificate signed by `ca` (mutual TLS): a client
    /// without one fails the handshake with rustls' `CertificateRequired`.
    pub fn require_client_cert(mut self, ca: &Ca) -> Self {
        self.client_ca = Some(ca.der());
        self
    }

    /// What to do with each request.
    pub fn reply(mut self, reply: Reply) -> Self {
        self.reply = reply;
        self
    }

    /// Binds `127.0.0.1:0` and serves every connection in a task of the
    /// current tokio runtime, until the runtime ends.
    pub async fn start(self) -> RunningTlsServer {
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("rustls protocol versions");
        let builder = match self.client_ca {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                roots.add(ca).expect("client CA");
                let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .expect("client certificate verifier");
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let config = builder.with_single_cert(self.chain, self.key).expect("server certificate");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let heads: Arc<Mutex<Vec<String>>> = Arc::default();
        let server_names: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
        let (record, reply, names) = (heads.clone(), Arc::new(self.reply), server_names.clone());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, record, reply, names) = (acceptor.clone(), record.clone(), reply.clone(), names.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                    names.lock().unwrap().push(tls.get_ref().1.server_name().map(str::to_owned));
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    record.lock().unwrap().push(String::from_utf8_lossy(&head).into_owned());
                    if let Reply::Json(body) = &*reply {
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = tls.write_all(answer.as_bytes()).await;
                        let _ = tls.shutdown().await;
                    }
                });
            }
        });
        RunningTlsServer { port, cert_pem: self.cert_pem, heads, server_names }
    }
}

/// A started [`TlsServer`].
pub struct RunningTlsServer {
    port: u16,
    cert_pem: String,
    heads: Arc<Mutex<Vec<String>>>,
    server_names: Arc<Mutex<Vec<Option<String>>>>,
}

impl RunningTlsServer {
    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// The PEM of the certificate the server presents (for a self-signed
    /// one, what a client trusts).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The request heads read so far (up to the blank line), oldest first.
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }

    /// The SNI name of each completed handshake, oldest first (`None` when
    /// the client sent none, as for an IP address).
    pub fn server_names(&self) -> Vec<Option<String>> {
        self.server_names.lock().unwrap().clone()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::TlsConnector;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use tokio_rustls::rustls::{ClientConfig, RootCertStore};

    use super::{Ca, Certificate, Reply, TlsServer, Usage};

    /// Sends one GET over TLS trusting `anchor`, with an optional client
    /// certificate; the answer as text, or the I/O error.
    async fn get(port: u16, anchor: &str, client: Option<&Certificate>) -> std::io::Result<String> {
        let mut roots = RootCertStore::empty();
        roots.add(CertificateDer::from_pem_slice(anchor.as_bytes()).unwrap()).unwrap();
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
        let config = match client {
            Some(c) => builder
                .with_client_auth_cert(
                    vec![CertificateDer::from_pem_slice(c.pem().as_bytes()).unwrap()],
                    PrivateKeyDer::from_pem_slice(c.key_pem().as_bytes()).unwrap(),
                )
                .unwrap(),
            None => builder.with_no_client_auth(),
        };
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let mut tls = TlsConnector::from(Arc::new(config)).connect(name, tcp).await?;
        tls.write_all(b"GET /v1/status/leader HTTP/1.1\r\nHost: test\r\nX-Probe: 1\r\n\r\n").await?;
        let mut answer = String::new();
        tls.read_to_string(&mut answer).await?;
        Ok(answer)
    }

    #[tokio::test]
    async fn a_ca_signed_server_answers_and_records_the_head() {
        let ca = Ca::new("test CA");
        let server = TlsServer::new(&ca.issue(&["127.0.0.1"], Usage::Server)).start().await;
        assert_eq!(server.url(), format!("https://127.0.0.1:{}", server.port()));
        let answer = get(server.port(), &ca.pem(), None).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n") && answer.ends_with("\r\n\r\n\"tls-ok\""), "{answer}");
        let heads = server.heads();
        assert_eq!(heads.len(), 1);
        assert!(heads[0].starts_with("GET /v1/status/leader HTTP/1.1\r\n") && heads[0].contains("X-Probe: 1"));
    }

    #[tokio::test]
    async fn a_self_signed_server_is_its_own_anchor_and_an_other_ca_is_refused() {
        let server = TlsServer::new(&Certificate::self_signed(&["127.0.0.1", "localhost"]))
            .reply(Reply::Json("{}".to_owned()))
            .start()
            .await;
        assert!(get(server.port(), server.cert_pem(), None).await.unwrap().ends_with("\r\n\r\n{}"));
        let err = get(server.port(), &Ca::new("stranger").pem(), None).await.unwrap_err();
        assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    }

    #[tokio::test]
    async fn hang_up_answers_nothing() {
        let ca = Ca::new("test CA");
        let server = TlsServer::new(&ca.issue(&["127.0.0.1"], Usage::Server)).reply(Reply::HangUp).start().await;
        match get(server.port(), &ca.pem(), None).await {
            Ok(answer) => assert_eq!(answer, ""),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof, "{e}"),
        }
        assert_eq!(server.heads().len(), 1);
    }

    #[tokio::test]
    async fn mutual_tls_wants_a_certificate_of_the_client_ca() {
        let (ca, client_ca) = (Ca::new("server CA"), Ca::new("client CA"));
        let server =
            TlsServer::new(&ca.issue(&["127.0.0.1"], Usage::Server)).require_client_cert(&client_ca).start().await;
        let err = get(server.port(), &ca.pem(), None).await.unwrap_err();
        assert!(err.to_string().contains("CertificateRequired"), "{err}");
        let stranger = Ca::new("stranger").issue(&["client"], Usage::Client);
        assert!(get(server.port(), &ca.pem(), Some(&stranger)).await.is_err());
        let client = client_ca.issue(&["client"], Usage::Client);
        assert!(get(server.port(), &ca.pem(), Some(&client)).await.unwrap().ends_with("\"tls-ok\""));
        assert_eq!(server.heads().len(), 1, "only the authenticated request was read");
    }
}
