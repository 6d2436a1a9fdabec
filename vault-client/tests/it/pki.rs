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
