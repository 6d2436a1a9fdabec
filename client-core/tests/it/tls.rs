//! Real TLS servers (rcgen certificates, rustls): a CA trusted only through
//! `SSL_CERT_FILE` / `SSL_CERT_DIR`, a CA directory (`*_CAPATH`),
//! `VAULT_CACERT_BYTES`, a certificate whose name is not the address's host
//! (`*_TLS_SERVER_NAME`), mutual TLS and HTTP basic auth; each failure names
//! the setting to use. Variables are passed with `from_lookup`, never set in
//! the process environment.

use std::collections::HashMap;
use std::path::Path;

use client_core::{ClientConfig, EnvSpec, HttpClient, Request, RetryPolicy};
use test_support::tls::{Ca, RunningTlsServer, TlsServer, Usage};

/// A Nomad-like spec (scheme required) with every TLS variable.
pub const NOMAD: EnvSpec = EnvSpec {
    addr: "NOMAD_ADDR",
    default_addr: "http://127.0.0.1:4646",
    token: "NOMAD_TOKEN",
    token_file: None,
    cacert: "NOMAD_CACERT",
    client_cert: "NOMAD_CLIENT_CERT",
    client_key: "NOMAD_CLIENT_KEY",
    skip_verify: Some("NOMAD_SKIP_VERIFY"),
    ssl_verify: None,
    use_tls: None,
    token_header: "X-Nomad-Token",
    capath: Some("NOMAD_CAPATH"),
    cacert_bytes: Some("VAULT_CACERT_BYTES"),
    tls_server_name: Some("NOMAD_TLS_SERVER_NAME"),
    http_auth: Some("NOMAD_HTTP_AUTH"),
    proxy: &["VAULT_PROXY_ADDR"],
    agent_addr: Some("VAULT_AGENT_ADDR"),
};

/// An HTTPS server on 127.0.0.1 with a certificate for `names` signed by
/// `ca`; with `client_ca`, it requires a client certificate signed by it.
pub async fn server(ca: &Ca, names: &[&str], client_ca: Option<&Ca>) -> RunningTlsServer {
    let server = TlsServer::new(&ca.issue(names, Usage::Server));
    match client_ca {
        Some(client_ca) => server.require_client_cert(client_ca),
        None => server,
    }
    .start()
    .await
}

pub fn lookup(pairs: &[(&str, String)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    move |k| map.get(k).cloned()
}

/// Builds the client from `vars` and asks for the leader once.
pub async fn get(vars: &[(&str, String)]) -> client_core::Result<String> {
    let mut cfg = ClientConfig::from_lookup(&NOMAD, lookup(vars))?;
    cfg.retry = RetryPolicy::disabled();
    HttpClient::new(cfg)?.json::<String>(Request::get("/v1/status/leader")).await
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_ca_trusted_only_through_ssl_cert_file_or_dir() {
    let ca = Ca::new("ops-sdk test CA");
    let port = server(&ca, &["127.0.0.1"], None).await.port();
    let addr = ("NOMAD_ADDR", format!("https://127.0.0.1:{port}"));
    let dir = tempfile::tempdir().unwrap();
    let bundle = write(dir.path(), "bundle.pem", &ca.pem());

    // Not trusted: the message names the settings that would trust it.
    let err = get(std::slice::from_ref(&addr)).await.unwrap_err().to_string();
    assert!(err.contains("not signed by a trusted CA") && err.contains("NOMAD_CACERT"), "{err}");
    assert!(err.contains("NOMAD_CAPATH") && err.contains("SSL_CERT_FILE"), "{err}");

    // SSL_CERT_FILE replaces the system bundle, as for OpenSSL and Go.
    assert_eq!(get(&[addr.clone(), ("SSL_CERT_FILE", bundle)]).await.unwrap(), "tls-ok");

    // SSL_CERT_DIR: a directory of PEM files (several, `:`-separated).
    let certs = tempfile::tempdir().unwrap();
    write(certs.path(), "other.pem", &Ca::new("another CA").pem());
    write(certs.path(), "ours.pem", &ca.pem());
    let dirs = format!("/nonexistent-but-listed-first:{}", certs.path().display());
    let err = get(&[addr.clone(), ("SSL_CERT_DIR", dirs)]).await.unwrap_err().to_string();
    assert!(err.contains("SSL_CERT_DIR"), "an unreadable SSL_CERT_DIR entry is named: {err}");
    let ok = get(&[addr.clone(), ("SSL_CERT_DIR", certs.path().display().to_string())]).await.unwrap();
    assert_eq!(ok, "tls-ok");

    // A missing SSL_CERT_FILE is named for an https address.
    let err = get(&[addr, ("SSL_CERT_FILE", "/nonexistent/bundle.pem".into())]).await.unwrap_err().to_string();
    assert!(err.contains("SSL_CERT_FILE") && err.contains("/nonexistent/bundle.pem"), "{err}");
}

#[tokio::test]
async fn the_system_store_stays_trusted_next_to_a_configured_ca() {
    // SSL_CERT_FILE stands for the system store here: a CA "installed on the
    // machine" and a CA from NOMAD_CACERT are both trusted at once.
    let system_ca = Ca::new("company CA in the system store");
    let own_ca = Ca::new("cluster CA");
    let system_port = server(&system_ca, &["127.0.0.1"], None).await.port();
    let own_port = server(&own_ca, &["127.0.0.1"], None).await.port();
    let dir = tempfile::tempdir().unwrap();
    let system = ("SSL_CERT_FILE", write(dir.path(), "system.pem", &system_ca.pem()));
    let cacert = ("NOMAD_CACERT", write(dir.path(), "cluster.pem", &own_ca.pem()));
    for port in [system_port, own_port] {
        let addr = ("NOMAD_ADDR", format!("https://127.0.0.1:{port}"));
        assert_eq!(get(&[addr, system.clone(), cacert.clone()]).await.unwrap(), "tls-ok");
    }
}

#[tokio::test]
async fn a_ca_directory_and_ca_bytes() {
    let ca = Ca::new("ops-sdk test CA");
    let port = server(&ca, &["127.0.0.1"], None).await.port();
    let addr = ("NOMAD_ADDR", format!("https://127.0.0.1:{port}"));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a-other.pem", &Ca::new("another CA").pem());
    write(dir.path(), "b-ours.crt", &ca.pem());
    assert_eq!(get(&[addr.clone(), ("NOMAD_CAPATH", dir.path().display().to_string())]).await.unwrap(), "tls-ok");
    assert_eq!(get(&[addr.clone(), ("VAULT_CACERT_BYTES", ca.pem())]).await.unwrap(), "tls-ok");

    // Bad material is named when the configuration is read.
    write(dir.path(), "c-notes.txt", "not a certificate");
    let err = get(&[addr.clone(), ("NOMAD_CAPATH", dir.path().display().to_string())]).await.unwrap_err();
    assert!(err.to_string().contains("NOMAD_CAPATH") && err.to_string().contains("c-notes.txt"), "{err}");
    let err = get(&[addr.clone(), ("NOMAD_CAPATH", "/nonexistent/ca.d".into())]).await.unwrap_err();
    assert!(err.to_string().contains("NOMAD_CAPATH"), "{err}");
    let err = get(&[addr, ("VAULT_CACERT_BYTES", "garbage".into())]).await.unwrap_err();
    assert!(err.to_string().contains("VAULT_CACERT_BYTES"), "{err}");
}

#[tokio::test]
async fn a_certificate_for_another_name_needs_the_tls_server_name() {
    // Nomad's own certificates name server.<region>.nomad, not the address.
    let ca = Ca::new("nomad CA");
    let nomad = server(&ca, &["server.global.nomad"], None).await;
    let port = nomad.port();
    let dir = tempfile::tempdir().unwrap();
    let base =
        [("NOMAD_ADDR", format!("https://127.0.0.1:{port}")), ("NOMAD_CACERT", write(dir.path(), "ca.pem", &ca.pem()))];
    let err = get(&base).await.unwrap_err().to_string();
    assert!(err.contains("NOMAD_TLS_SERVER_NAME") && err.contains("not issued for the host"), "{err}");

    let with = |name: &str| {
        let mut vars = base.to_vec();
        vars.push(("NOMAD_TLS_SERVER_NAME", name.to_owned()));
        vars
    };
    assert_eq!(get(&with("server.global.nomad")).await.unwrap(), "tls-ok");
    // As Go's client does: the name goes out as SNI (without it an IP
    // address sends none), the address stays in Host.
    let names = nomad.server_names();
    assert_eq!(names.last(), Some(&Some("server.global.nomad".to_owned())), "{names:?}");
    let head = nomad.heads().last().cloned().unwrap_or_default().to_lowercase();
    assert!(head.contains(&format!("host: 127.0.0.1:{port}\r\n")), "{head}");
    // The name only replaces the host: the chain is still verified, and
    // another name is still refused.
    let err = get(&with("server.other.nomad")).await.unwrap_err().to_string();
    assert!(err.contains("NOMAD_TLS_SERVER_NAME"), "{err}");
    let stranger = Ca::new("a CA nobody trusts");
    let other_port = server(&stranger, &["server.global.nomad"], None).await.port();
    let mut vars = with("server.global.nomad");
    vars[0].1 = format!("https://127.0.0.1:{other_port}");
    let err = get(&vars).await.unwrap_err().to_string();
    assert!(err.contains("not signed by a trusted CA"), "{err}");
}

#[tokio::test]
async fn mutual_tls_with_the_client_certificate_files() {
    let ca = Ca::new("server CA");
    let client_ca = Ca::new("client CA");
    let port = server(&ca, &["127.0.0.1"], Some(&client_ca)).await.port();
    let client = client_ca.issue(&["client.ops-sdk"], Usage::Client);
    let dir = tempfile::tempdir().unwrap();
    let base = [
        ("NOMAD_ADDR", format!("https://127.0.0.1:{port}")),
        ("NOMAD_CACERT", write(dir.path(), "ca.pem", &ca.pem())),
        ("NOMAD_TOKEN", "mtls-secret-token".to_owned()),
    ];
    let err = get(&base).await.unwrap_err().to_string();
    assert!(err.contains("client certificate") && err.contains("NOMAD_CLIENT_CERT"), "{err}");
    assert!(!err.contains("mtls-secret-token"), "{err}");
    let mut vars = base.to_vec();
    vars.push(("NOMAD_CLIENT_CERT", write(dir.path(), "client.pem", &client.pem())));
    vars.push(("NOMAD_CLIENT_KEY", write(dir.path(), "client-key.pem", &client.key_pem())));
    assert_eq!(get(&vars).await.unwrap(), "tls-ok");
}

#[tokio::test]
async fn skip_verify_accepts_any_certificate() {
    let ca = Ca::new("untrusted");
    let port = server(&ca, &["elsewhere.example"], None).await.port();
    let vars = [("NOMAD_ADDR", format!("https://127.0.0.1:{port}")), ("NOMAD_SKIP_VERIFY", "true".to_owned())];
    assert_eq!(get(&vars).await.unwrap(), "tls-ok");
}

#[tokio::test]
async fn http_basic_auth_is_sent_and_never_shown() {
    let ca = Ca::new("ops-sdk test CA");
    let tls = server(&ca, &["127.0.0.1"], None).await;
    let port = tls.port();
    let vars = [
        ("NOMAD_ADDR", format!("https://127.0.0.1:{port}")),
        ("VAULT_CACERT_BYTES", ca.pem()),
        ("NOMAD_HTTP_AUTH", "ops:s3cret:pass".to_owned()),
    ];
    let cfg = ClientConfig::from_lookup(&NOMAD, lookup(&vars)).unwrap();
    let debug = format!("{cfg:?}");
    assert!(debug.contains("ops") && !debug.contains("s3cret"), "{debug}");
    let http = HttpClient::new(cfg).unwrap();
    assert!(!format!("{http:?}").contains("s3cret"));
    assert_eq!(http.json::<String>(Request::get("/v1/status/leader")).await.unwrap(), "tls-ok");
    let head = tls.heads().pop().unwrap().to_lowercase();
    // base64("ops:s3cret:pass")
    assert!(head.contains("authorization: basic b3bzonmzy3jlddpwyxnz"), "{head}");
    let err = ClientConfig::from_lookup(&NOMAD, lookup(&[("NOMAD_HTTP_AUTH", ":pw".into())])).unwrap_err();
    assert!(err.to_string().contains("NOMAD_HTTP_AUTH") && !err.to_string().contains("pw\""), "{err}");
}
