//! The rustls configuration every client uses: which roots are trusted, the
//! name the server's certificate is checked against, the client identity.
//!
//! Trust, as the Go CLIs trust on the same machine:
//! - the **system trust store**, read with `rustls-native-certs` (on Linux the
//!   files OpenSSL and Go read, found with `openssl-probe`; the Keychain on
//!   macOS; the system store on Windows). `SSL_CERT_FILE` / `SSL_CERT_DIR`
//!   replace the system locations, as they do for OpenSSL and Go;
//! - **plus** every configured CA: the CA file (`*_CACERT`), the CA directory
//!   (`*_CAPATH`) and `VAULT_CACERT_BYTES`. The Go clients trust *only* the
//!   configured CA once one is set; trusting both is a superset, so whatever
//!   the CLI reaches the SDK reaches too;
//! - the roots **bundled** with `webpki-roots` only where the system store
//!   holds no certificate at all (a scratch container without a CA bundle).
//!
//! The server name (`*_TLS_SERVER_NAME`) is the name the certificate is
//! verified against instead of the address's host: the certificate chain and
//! the handshake signatures are verified by rustls' own WebPKI verifier, only
//! the expected name changes. For an IP-literal address the name is also
//! sent as SNI (see `HttpClient`'s SNI route: the request goes to the name,
//! resolved to the address's IP by the client, `Host` keeping the address);
//! for a DNS-name address the SNI stays that name.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::config::TlsConfig;
use crate::error::{Error, Result};

/// Where the system trust store is read from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SystemRoots {
    /// The platform's store (on Linux the CA bundle files OpenSSL and Go use).
    #[default]
    Platform,
    /// The file and directories named by `SSL_CERT_FILE` / `SSL_CERT_DIR`,
    /// which replace the platform's locations.
    Paths {
        /// `SSL_CERT_FILE`: a PEM bundle.
        file: Option<PathBuf>,
        /// `SSL_CERT_DIR`: directories of PEM files (`:`-separated in the variable).
        dirs: Vec<PathBuf>,
    },
    /// No system roots: only the configured CAs are trusted.
    Disabled,
}

/// The platform store, read once per process (it is a ~200 KiB bundle to parse).
fn platform_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        for e in &loaded.errors {
            tracing::debug!(error = %e, "reading the system trust store");
        }
        loaded.certs
    })
}

/// Parses every certificate of a PEM bundle, naming `source` on error.
pub(crate) fn parse_pem_certs(source: &str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::config(source, format!("not a valid PEM certificate bundle: {e}")))?;
    if certs.is_empty() {
        return Err(Error::config(source, "the PEM data holds no certificate"));
    }
    Ok(certs)
}

/// Reads every PEM file of a CA directory (`*_CAPATH`), as Go's go-rootcerts
/// does: each regular file, not recursively; a file without a certificate is
/// an error naming it.
pub(crate) fn read_ca_dir(source: &str, dir: &std::path::Path) -> Result<Vec<u8>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::config(source, format!("cannot read CA directory {}: {e}", dir.display())))?;
    let mut paths: Vec<PathBuf> =
        entries.filter_map(std::result::Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect();
    paths.sort();
    let mut all = Vec::new();
    for path in paths {
        let pem =
            std::fs::read(&path).map_err(|e| Error::config(source, format!("cannot read {}: {e}", path.display())))?;
        parse_pem_certs(&format!("{source} ({})", path.display()), &pem)?;
        all.extend_from_slice(&pem);
        all.push(b'\n');
    }
    if all.is_empty() {
        return Err(Error::config(source, format!("the CA directory {} holds no certificate file", dir.display())));
    }
    Ok(all)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The trusted roots: system (or `SSL_CERT_*`) plus configured, bundled
/// ones only when the system store is empty. `strict` (an https address)
/// turns unreadable `SSL_CERT_*` paths into errors.
fn root_store(tls: &TlsConfig, strict: bool) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    let system_count = match &tls.system_roots {
        SystemRoots::Platform => roots.add_parsable_certificates(platform_roots().iter().cloned()).0,
        SystemRoots::Paths { file, dirs } => {
            let mut count = 0;
            let mut problems = Vec::new();
            if let Some(file) = file {
                let loaded = rustls_native_certs::load_certs_from_paths(Some(file), None);
                problems.extend(loaded.errors.iter().map(|e| ("SSL_CERT_FILE", e.to_string())));
                count += roots.add_parsable_certificates(loaded.certs).0;
            }
            for dir in dirs {
                let loaded = rustls_native_certs::load_certs_from_paths(None, Some(dir));
                problems.extend(loaded.errors.iter().map(|e| ("SSL_CERT_DIR", e.to_string())));
                count += roots.add_parsable_certificates(loaded.certs).0;
            }
            if let (true, Some((var, problem))) = (strict, problems.first()) {
                return Err(Error::config(*var, format!("cannot load the trust store it names: {problem}")));
            }
            count
        }
        SystemRoots::Disabled => 0,
    };
    if system_count == 0 && tls.system_roots == SystemRoots::Platform {
        tracing::debug!("the system trust store is empty; trusting the bundled webpki roots");
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if let Some(pem) = &tls.ca_pem {
        for cert in parse_pem_certs("CA certificate", pem)? {
            roots
                .add(cert)
                .map_err(|e| Error::config("CA certificate", format!("not a usable CA certificate: {e}")))?;
        }
    }
    if roots.is_empty() {
        if strict {
            return Err(Error::config(
                "TLS",
                "no trusted CA certificate: SSL_CERT_FILE/SSL_CERT_DIR hold none and no CA file is configured",
            ));
        }
        // An http address never verifies a certificate; the store only has to be non-empty.
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    Ok(roots)
}

/// Builds the rustls client configuration for `tls`. `strict` is true for
/// an https address: trust-store problems are errors then, not notes.
pub(crate) fn client_config(tls: &TlsConfig, strict: bool) -> Result<rustls::ClientConfig> {
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config("TLS", e.to_string()))?;
    let webpki = if tls.insecure_skip_verify {
        None
    } else {
        let roots = root_store(tls, strict)?;
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| Error::config("TLS", format!("cannot build the certificate verifier: {e}")))?;
        Some(webpki)
    };
    let name = match &tls.server_name {
        Some(name) => Some(
            ServerName::try_from(name.clone())
                .map_err(|e| Error::config("TLS server name", format!("{name:?} is not a valid name: {e}")))?,
        ),
        None => None,
    };
    let verifier = Arc::new(Verifier { webpki, name, provider });
    let builder = builder.dangerous().with_custom_certificate_verifier(verifier);
    let mut config = match (&tls.client_cert_pem, &tls.client_key_pem) {
        (Some(cert), Some(key)) => {
            let chain = parse_pem_certs("client certificate", cert)?;
            let key = PrivateKeyDer::from_pem_slice(key.expose().as_bytes())
                .map_err(|_| Error::config("client key", "not a valid PEM private key (PKCS#8, PKCS#1 or SEC1)"))?;
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                Error::config("client certificate", format!("certificate and key are not a valid pair: {e}"))
            })?
        }
        (Some(_), None) => return Err(Error::config("client certificate", "a client certificate needs a client key")),
        (None, Some(_)) => return Err(Error::config("client key", "a client key needs a client certificate")),
        (None, None) => builder.with_no_client_auth(),
    };
    // What reqwest offers with its own rustls setup (http2 feature on).
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The server-certificate check: WebPKI (chain to a trusted root, validity,
/// name), against the configured name instead of the address's host when
/// one is set (Go's `tls.Config.ServerName`); or nothing at all for
/// `*_SKIP_VERIFY`. The handshake signatures are checked in every case.
#[derive(Debug)]
struct Verifier {
    /// `None`: any certificate is accepted (skip-verify).
    webpki: Option<Arc<WebPkiServerVerifier>>,
    /// The name to verify against instead of the address's host.
    name: Option<ServerName<'static>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match &self.webpki {
            None => Ok(ServerCertVerified::assertion()),
            Some(webpki) => {
                let name = self.name.as_ref().unwrap_or(server_name);
                webpki.verify_server_cert(end_entity, intermediates, name, ocsp_response, now)
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// What a certificate-verification failure means, in one sentence naming
/// the setting that fixes it (the system's variable names when known).
pub(crate) fn verification_hint(host: &str, cause: &str, env: Option<&crate::EnvSpec>) -> Option<String> {
    let (cacert, capath, server_name) = match env {
        Some(spec) => {
            (spec.cacert, spec.capath.unwrap_or("a CA directory"), spec.tls_server_name.unwrap_or("a TLS server name"))
        }
        None => (
            "the CA file (ClientConfig::with_ca_file)",
            "a CA directory (ClientConfig::with_ca_dir)",
            "ClientConfig::with_tls_server_name",
        ),
    };
    if cause.contains("UnknownIssuer") {
        return Some(format!(
            "the certificate of {host} is not signed by a trusted CA; set {cacert} (a CA file) or {capath} \
             to the CA that signed it, or add that CA to the system trust store (SSL_CERT_FILE/SSL_CERT_DIR)"
        ));
    }
    if cause.contains("not valid for name") || cause.contains("NotValidForName") {
        return Some(format!(
            "the certificate of {host} is not issued for the host in the address; set {server_name} to a name \
             the certificate carries{}",
            if server_name.starts_with("NOMAD") {
                " (Nomad's own certificates carry server.<region>.nomad)"
            } else {
                ""
            }
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_platform_store_is_read_and_bundled_roots_fill_an_empty_one() {
        let roots = root_store(&TlsConfig::default(), true).unwrap();
        assert!(!roots.is_empty(), "system store or bundled roots");
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let tls = TlsConfig {
            system_roots: SystemRoots::Paths { file: Some(empty), dirs: Vec::new() },
            ..TlsConfig::default()
        };
        // SSL_CERT_FILE naming an empty bundle trusts nothing: an error for
        // https, never a silent fallback to the bundled roots.
        let err = root_store(&tls, true).unwrap_err().to_string();
        assert!(err.contains("no trusted CA") && err.contains("SSL_CERT_FILE"), "{err}");
        assert!(client_config(&tls, false).is_ok(), "an http address does not need roots");
    }

    #[test]
    fn hints_name_the_system_variables() {
        let spec = crate::EnvSpec {
            addr: "VAULT_ADDR",
            default_addr: "https://127.0.0.1:8200",
            token: "VAULT_TOKEN",
            token_file: None,
            cacert: "VAULT_CACERT",
            client_cert: "VAULT_CLIENT_CERT",
            client_key: "VAULT_CLIENT_KEY",
            skip_verify: None,
            ssl_verify: None,
            use_tls: None,
            token_header: "X-Vault-Token",
            capath: Some("VAULT_CAPATH"),
            cacert_bytes: None,
            tls_server_name: Some("VAULT_TLS_SERVER_NAME"),
            http_auth: None,
            proxy: &[],
            agent_addr: None,
        };
        let hint = verification_hint("h:1", "invalid peer certificate: UnknownIssuer", Some(&spec)).unwrap();
        assert!(hint.contains("VAULT_CACERT") && hint.contains("VAULT_CAPATH"), "{hint}");
        let hint = verification_hint("h:1", "certificate not valid for name \"h\"", Some(&spec)).unwrap();
        assert!(hint.contains("VAULT_TLS_SERVER_NAME"), "{hint}");
        let hint = verification_hint("h:1", "UnknownIssuer", None).unwrap();
        assert!(hint.contains("with_ca_file"), "{hint}");
        assert!(verification_hint("h:1", "connection reset", None).is_none());
    }
}
