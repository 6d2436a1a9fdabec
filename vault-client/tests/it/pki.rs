//! The PKI secrets engine: answers and requests from the Vault API docs
//! (tests/fixtures/vault-docs/pki-*.docs.json), their PEM blocks (cut with
//! `...` in the docs) replaced by the locally generated certificates of
//! tests/fixtures/pki (see its README).

use std::time::Duration;

use serde_json::json;
use vault_client::pki::{Certificate, IssueRequest, PkiRole, TidyRequest};
use wiremock::matchers::{any, body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{FIXTURES, doc_answer, doc_fixture, no_content, setup};

const LEAF_SERIAL: &str = "39:dd:2e:90:b7:23:1f:8d:d3:7d:31:c5:1b:da:84:d0:5b:65:31:58";
const DOC_KEY_LINE: &str = "MIIEowIBAAKCAQEAnVHfwoKsUG1GDVyWB1AFroaKl2ImMBO8EnvGLRrmobIkQvh+";

fn pem(name: &str) -> String {
    FIXTURES.text(&format!("pki/{name}.pem"))
}

/// A docs answer of issue/sign with real certificates in place of the cut ones.
fn with_real_pems(name: &str) -> serde_json::Value {
    let mut body = doc_fixture(name);
    body["data"]["certificate"] = json!(pem("leaf"));
    body["data"]["issuing_ca"] = json!(pem("ca"));
    body["data"]["ca_chain"] = json!([pem("ca")]);
    body
}

async fn respond(server: &MockServer, verb: &str, p: &str, answer: ResponseTemplate) {
    Mock::given(method(verb)).and(path(p)).respond_with(answer).mount(server).await;
}

#[test]
fn serial_and_validity_are_parsed_from_the_pem() {
    let leaf = Certificate::from_pem(&pem("leaf")).unwrap();
    assert_eq!(leaf.serial, LEAF_SERIAL);
    assert_eq!(leaf.not_before.to_rfc3339(), "2026-12-01T13:11:45+00:00");
    assert_eq!(leaf.not_after.to_rfc3339(), "2036-11-28T13:11:45+00:00");
    let chain = Certificate::chain_from_pem(&format!("{}{}", pem("leaf"), pem("ca"))).unwrap();
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[1].serial, "a3:3e:cf:83:12:7f:0d:a6");
    assert_eq!(chain[1].not_after.to_rfc3339(), "2046-11-26T13:11:45+00:00");
    assert_eq!(chain[0].pem, pem("leaf"));
    let cut = doc_fixture("pki-issue.docs")["data"]["certificate"].as_str().unwrap().to_owned();
    let err = Certificate::from_pem(&cut).unwrap_err();
    assert!(err.to_string().contains("certificate PEM"), "{err}");
}

#[tokio::test]
async fn issue_returns_the_certificate_parsed_and_the_key_as_a_secret() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/pki/issue/test"))
        .and(body_json(doc_fixture("pki-issue.request.docs")))
        .respond_with(ResponseTemplate::new(200).set_body_json(with_real_pems("pki-issue.docs")))
        .expect(1)
        .mount(&server)
        .await;
    let issued = vault.pki("pki").unwrap().issue("test", &IssueRequest::new("www.example.com")).await.unwrap();
    assert_eq!(issued.certificate.serial, LEAF_SERIAL);
    assert_eq!(issued.certificate.not_after.to_rfc3339(), "2036-11-28T13:11:45+00:00");
    assert_eq!(issued.issuing_ca.serial, "a3:3e:cf:83:12:7f:0d:a6");
    assert_eq!(issued.ca_chain.len(), 1);
    assert_eq!(issued.private_key_type, "rsa");
    assert!(issued.private_key.expose().contains(DOC_KEY_LINE));
    let shown = format!("{issued:?} {issued:#?} {}", issued.private_key);
    assert!(!shown.contains(DOC_KEY_LINE) && !shown.contains("PRIVATE KEY"), "{shown}");
}

#[tokio::test]
async fn an_unreadable_certificate_is_a_sentence_not_a_panic() {
    let (server, vault) = setup().await;
    // The docs' own answer: its PEM blocks are cut with "...".
    respond(&server, "POST", "/v1/pki/issue/test", doc_answer(200, "pki-issue.docs")).await;
    let err = vault.pki("pki").unwrap().issue("test", &IssueRequest::new("www.example.com")).await.unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("POST /v1/pki/issue/test: unexpected answer: the certificate cannot be read"), "{text}");
    assert!(!text.contains(DOC_KEY_LINE), "{text}");
}

#[tokio::test]
async fn sign_sends_the_csr_and_returns_no_key() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/pki/sign/test"))
        .and(body_json(doc_fixture("pki-sign.request.docs")))
        .respond_with(ResponseTemplate::new(200).set_body_json(with_real_pems("pki-sign.docs")))
        .expect(1)
        .mount(&server)
        .await;
    let signed = vault.pki("pki").unwrap().sign("test", "...", &IssueRequest::new("example.com")).await.unwrap();
    assert_eq!(signed.certificate.serial, LEAF_SERIAL);
}

#[tokio::test]
async fn roles_crud() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/pki/roles/web"))
        .and(body_json(doc_fixture("pki-role-write.request.docs")))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    respond(&server, "GET", "/v1/pki/roles/web", doc_answer(200, "pki-role-read.docs")).await;
    Mock::given(method("GET"))
        .and(path("/v1/pki/roles"))
        .and(query_param("list", "true"))
        .respond_with(doc_answer(200, "pki-role-list.docs"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/pki/roles/web"))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    let pki = vault.pki("pki").unwrap();
    let role =
        PkiRole { allowed_domains: vec!["example.com".into()], allow_subdomains: Some(true), ..PkiRole::default() };
    pki.write_role("web", &role).await.unwrap();
    let read = pki.get_role("web").await.unwrap().unwrap();
    // The page prints "6h"/"12h"; Vault answers seconds: both read.
    assert_eq!((read.ttl, read.max_ttl), (Duration::from_secs(6 * 3600), Duration::from_secs(12 * 3600)));
    assert_eq!(read.allowed_domains, ["example.com", "foobar.com"]);
    assert_eq!(pki.list_roles().await.unwrap(), ["dev", "prod"]);
    pki.delete_role("web").await.unwrap();
    assert!(pki.delete_role("a/b").await.is_err());
}

#[tokio::test]
async fn ca_chain_revoke_and_tidy() {
    let (server, vault) = setup().await;
    let mut chain = doc_fixture("pki-cert-read.docs");
    chain["data"]["certificate"] = json!(format!("{}{}", pem("leaf"), pem("ca")));
    respond(&server, "GET", "/v1/pki/cert/ca_chain", ResponseTemplate::new(200).set_body_json(chain)).await;
    Mock::given(method("POST"))
        .and(path("/v1/pki/revoke"))
        .and(body_json(json!({ "serial_number": LEAF_SERIAL })))
        .respond_with(doc_answer(200, "pki-revoke.docs"))
        .expect(1)
        .mount(&server)
        .await;
    // Vault's tidy handler answers 202 with this warning (see the docs README).
    let started = "Tidy operation successfully started. Any information from the operation will be printed to Vault's server logs.";
    Mock::given(method("POST"))
        .and(path("/v1/pki/tidy"))
        .and(body_json(json!({"tidy_cert_store": true, "tidy_revoked_certs": true, "safety_buffer": "86400s"})))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"data": null, "warnings": [started]})))
        .expect(1)
        .mount(&server)
        .await;
    let pki = vault.pki("pki").unwrap();
    let chain = pki.ca_chain().await.unwrap();
    assert_eq!(chain.iter().map(|c| c.serial.as_str()).collect::<Vec<_>>(), [LEAF_SERIAL, "a3:3e:cf:83:12:7f:0d:a6"]);
    assert_eq!(pki.revoke(LEAF_SERIAL).await.unwrap().revocation_time, 1_433_269_787);
    let tidy = TidyRequest { safety_buffer: Some(Duration::from_secs(86400)), ..TidyRequest::default() };
    assert_eq!(pki.tidy(&tidy).await.unwrap(), [started]);
}

#[tokio::test]
async fn unsafe_revoke_and_tidy_are_refused_before_sending() {
    let (server, vault) = setup().await;
    Mock::given(any()).respond_with(no_content()).expect(0).mount(&server).await;
    let pki = vault.pki("pki").unwrap();
    // The docs' truncated serial is not a serial.
    for serial in ["39:dd:2e...", "", "../x", "39:dd/2e"] {
        let err = pki.revoke(serial).await.unwrap_err();
        assert!(err.to_string().contains("certificate serial"), "{serial:?}: {err}");
    }
    let nothing = TidyRequest { tidy_cert_store: false, tidy_revoked_certs: false, safety_buffer: None };
    assert!(pki.tidy(&nothing).await.unwrap_err().to_string().contains("nothing to tidy"));
    let zero = TidyRequest { safety_buffer: Some(Duration::ZERO), ..TidyRequest::default() };
    assert!(pki.tidy(&zero).await.unwrap_err().to_string().contains("must be positive"));
    assert!(pki.issue("a/b", &IssueRequest::new("x")).await.is_err());
}

// ---- CA generation, CRLs, URLs, stored certificates, multi-issuer (1.11+)

const CSR: &str = "-----BEGIN CERTIFICATE REQUEST-----\nMIIDzDCCAragAwIBAgIU\n-----END CERTIFICATE REQUEST-----\n";

#[tokio::test]
async fn generate_root_exported_returns_the_key_as_a_secret_and_internal_none() {
    use vault_client::pki::{CaRequest, KeySource};
    let (server, vault) = setup().await;
    // The docs' answer (serial 39:dd:...) with the real certificate of that serial.
    let mut exported = doc_fixture("pki-root-generate.docs");
    exported["data"]["certificate"] = json!(pem("leaf"));
    exported["data"]["issuing_ca"] = json!(pem("leaf"));
    let mut internal = exported.clone();
    exported["data"]["private_key"] =
        json!("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIKEY\n-----END EC PRIVATE KEY-----\n");
    exported["data"]["private_key_type"] = json!("ec");
    internal["data"]["serial_number"] = json!(LEAF_SERIAL);
    let request = doc_fixture("pki-root-generate.request.docs");
    for (source, body) in [("exported", exported), ("internal", internal)] {
        Mock::given(method("POST"))
            .and(path(format!("/v1/pki/root/generate/{source}")))
            .and(body_json(request.clone()))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
    }
    let pki = vault.pki("pki").unwrap();
    let root = pki.generate_root(KeySource::Exported, &CaRequest::new("example.com")).await.unwrap();
    assert_eq!(root.certificate.serial, LEAF_SERIAL);
    assert_eq!(root.issuer_id.as_deref(), Some("7b493f17-6c08-ff73-cf1a-99bfcc448a73"));
    assert!(root.private_key.as_ref().unwrap().expose().contains("MHcCAQEEIKEY"));
    let shown = format!("{root:?}");
    assert!(!shown.contains("MHcCAQEEIKEY") && !shown.contains("PRIVATE KEY"), "{shown}");
    let root = pki.generate_root(KeySource::Internal, &CaRequest::new("example.com")).await.unwrap();
    assert!(root.private_key.is_none());
}

#[tokio::test]
async fn intermediate_csr_sign_and_set_signed() {
    use vault_client::pki::{CaRequest, KeySource};
    let (server, vault) = setup().await;
    let request = doc_fixture("pki-intermediate-generate.request.docs");
    Mock::given(method("POST"))
        .and(path("/v1/pki/intermediate/generate/exported"))
        .and(body_json(request))
        .respond_with(doc_answer(200, "pki-intermediate-generate.docs"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/pki/root/sign-intermediate"))
        .and(body_json(json!({"csr": CSR, "common_name": "www.example.com", "ttl": "86400s"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(with_real_pems("pki-sign.docs")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/pki/sign-verbatim/web"))
        .and(body_json(json!({"csr": CSR})))
        .respond_with(ResponseTemplate::new(200).set_body_json(with_real_pems("pki-sign.docs")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/pki/intermediate/set-signed"))
        .and(body_json(json!({"certificate": pem("leaf")})))
        .respond_with(doc_answer(200, "pki-set-signed.docs"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    // Vault before 1.11 answers set-signed with nothing.
    Mock::given(method("POST"))
        .and(path("/v1/pki/intermediate/set-signed"))
        .respond_with(no_content())
        .mount(&server)
        .await;
    let pki = vault.pki("pki").unwrap();
    let csr = pki.generate_intermediate(KeySource::Exported, &CaRequest::new("www.example.com")).await.unwrap();
    assert!(csr.csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
    assert!(csr.private_key.as_ref().unwrap().expose().contains("MIIEpAIBAAKCAQEAwsANtGz9gS3o5SwTSlOG1l"));
    assert!(!format!("{csr:?}").contains("MIIEpAIB"), "{csr:?}");
    let mut request = CaRequest::new("www.example.com");
    request.ttl = Some(Duration::from_secs(86400));
    let signed = pki.sign_intermediate(CSR, &request).await.unwrap();
    assert_eq!(signed.certificate.serial, LEAF_SERIAL);
    assert_eq!(pki.sign_verbatim(CSR, Some("web"), None).await.unwrap().issuing_ca.serial, "a3:3e:cf:83:12:7f:0d:a6");
    let imported = pki.set_signed(&pem("leaf")).await.unwrap();
    assert_eq!(imported.imported_issuers, ["1ae8ce9d-2f70-0761-a465-8c9840a247a2"]);
    assert_eq!(imported.mapping["1ae8ce9d-2f70-0761-a465-8c9840a247a2"], "97be2525-717a-e2f7-88da-0a20e11aad88");
    assert_eq!(pki.set_signed(&pem("leaf")).await.unwrap(), vault_client::pki::ImportedIssuers::default());
}

#[tokio::test]
async fn crl_urls_certs_and_tidy_status() {
    let (server, vault) = setup().await;
    respond(&server, "GET", "/v1/pki/crl/rotate", doc_answer(200, "pki-crl-rotate.docs")).await;
    let crl = "-----BEGIN X509 CRL-----\nMIIBizB1AgEBMA0GCSqGSIb3DQEBCwUAMBIxEDAOBgNVBAMTB3Jvb3QgeDEXDTIy\n-----END X509 CRL-----\n";
    respond(&server, "GET", "/v1/pki/crl/pem", ResponseTemplate::new(200).set_body_string(crl)).await;
    respond(&server, "GET", "/v1/pki/config/urls", doc_answer(200, "pki-urls-read.docs")).await;
    respond(&server, "GET", "/v1/pki/tidy-status", doc_answer(200, "pki-tidy-status.docs")).await;
    Mock::given(method("GET"))
        .and(path("/v1/pki/certs"))
        .and(query_param("list", "true"))
        .respond_with(doc_answer(200, "pki-certs-list.docs"))
        .mount(&server)
        .await;
    let mut stored = doc_fixture("pki-cert-read.docs");
    stored["data"]["certificate"] = json!(pem("leaf"));
    respond(&server, "GET", &format!("/v1/pki/cert/{LEAF_SERIAL}"), ResponseTemplate::new(200).set_body_json(stored))
        .await;
    respond(&server, "GET", "/v1/pki/cert/00:01", ResponseTemplate::new(404).set_body_json(json!({"errors": []})))
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/pki/config/urls"))
        // The docs' payload shape: only the list being set.
        .and(body_json(json!({"ocsp_servers": ["https://ocsp.example.com"]})))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    let pki = vault.pki("pki").unwrap();
    assert!(pki.rotate_crl().await.unwrap());
    assert_eq!(pki.crl_pem().await.unwrap(), crl);
    assert_eq!(pki.urls().await.unwrap().ocsp_servers, ["<url1>", "<url2>"]);
    let urls =
        vault_client::pki::PkiUrls { ocsp_servers: vec!["https://ocsp.example.com".into()], ..Default::default() };
    pki.set_urls(&urls).await.unwrap();
    assert_eq!(pki.list_certs().await.unwrap().len(), 2);
    let cert = pki.cert(LEAF_SERIAL).await.unwrap().unwrap();
    assert_eq!(cert.certificate.serial, LEAF_SERIAL);
    assert!(pki.cert("00:01").await.unwrap().is_none());
    let status = pki.tidy_status().await.unwrap();
    assert_eq!((status.state.as_str(), status.cert_store_deleted_count), ("Running", 2));
    assert!(status.time_finished.is_none() && status.extra["safety_buffer"] == 60);
}

#[tokio::test]
async fn issuers_and_keys_of_a_multi_issuer_mount_and_an_older_server() {
    let (server, vault) = setup().await;
    for (kind, body) in [("issuers", "pki-issuers-list.docs"), ("keys", "pki-keys-list.docs")] {
        Mock::given(method("GET"))
            .and(path(format!("/v1/pki/{kind}")))
            .and(query_param("list", "true"))
            .respond_with(doc_answer(200, body))
            .mount(&server)
            .await;
    }
    let mut issuer = doc_fixture("pki-issuer-read.docs");
    issuer["data"]["certificate"] = json!(pem("ca"));
    issuer["data"]["ca_chain"] = json!([pem("ca")]);
    respond(&server, "GET", "/v1/pki/issuer/default", ResponseTemplate::new(200).set_body_json(issuer)).await;
    // The docs' own answer, PEMs cut with "...": a sentence, not a panic.
    respond(&server, "GET", "/v1/pki/issuer/root-x1", doc_answer(200, "pki-issuer-read.docs")).await;
    let unsupported = json!({"errors": ["1 error occurred:\n\t* unsupported path\n\n"]});
    respond(&server, "GET", "/v1/old/issuers", ResponseTemplate::new(404).set_body_json(unsupported)).await;
    let pki = vault.pki("pki").unwrap();
    let issuers = pki.issuers().await.unwrap();
    assert_eq!(issuers.len(), 2);
    assert_eq!(
        (issuers[1].id.as_str(), issuers[1].issuer_name.as_str()),
        ("3dc79a5a-7a6c-70e2-1123-94b88557ba12", "root-x1")
    );
    assert_eq!(pki.keys().await.unwrap()[0].key_name, "imported-root-key");
    let default = pki.issuer("default").await.unwrap().unwrap();
    assert_eq!((default.issuer_name.as_str(), default.leaf_not_after_behavior.as_str()), ("root-x1", "truncate"));
    assert_eq!(default.certificate.serial, "a3:3e:cf:83:12:7f:0d:a6");
    assert!(default.usage.contains("crl-signing"));
    let err = pki.issuer("root-x1").await.unwrap_err().to_string();
    assert!(err.contains("the certificate cannot be read"), "{err}");
    let err = vault.pki("old").unwrap().issuers().await.unwrap_err();
    assert!(matches!(err, vault_client::Error::Unsupported { .. }) && err.to_string().contains("1.11"), "{err}");
}

#[tokio::test]
async fn bad_ca_input_is_refused_before_sending() {
    use vault_client::pki::{CaRequest, KeySource, PkiUrls};
    let (server, vault) = setup().await;
    Mock::given(any()).respond_with(no_content()).expect(0).mount(&server).await;
    let pki = vault.pki("pki").unwrap();
    assert!(
        pki.generate_root(KeySource::Internal, &CaRequest::new(" "))
            .await
            .unwrap_err()
            .to_string()
            .contains("common_name")
    );
    let mut named = CaRequest::new("x");
    named.issuer_name = Some("default".into());
    assert!(pki.generate_root(KeySource::Internal, &named).await.unwrap_err().to_string().contains("reserved"));
    for csr in ["", "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"] {
        assert!(pki.sign_intermediate(csr, &CaRequest::new("x")).await.unwrap_err().to_string().contains("PKI CSR"));
        assert!(pki.sign_verbatim(csr, None, None).await.is_err());
    }
    assert!(pki.sign_verbatim(CSR, Some("a/b"), None).await.unwrap_err().to_string().contains("PKI role"));
    assert!(pki.set_signed("not a pem").await.unwrap_err().to_string().contains("PKI signed certificate"));
    for url in ["ocsp.example.com", "file:///etc/passwd", "https://"] {
        let urls = PkiUrls { ocsp_servers: vec![url.into()], ..PkiUrls::default() };
        assert!(pki.set_urls(&urls).await.unwrap_err().to_string().contains("PKI URL"), "{url}");
    }
    for serial in ["ca", "crl", "ca_chain", "../x", ""] {
        assert!(pki.cert(serial).await.unwrap_err().to_string().contains("certificate serial"), "{serial}");
    }
    for reference in ["", "..", "a/b"] {
        assert!(pki.issuer(reference).await.unwrap_err().to_string().contains("PKI issuer"));
    }
}
