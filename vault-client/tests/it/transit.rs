//! The transit secrets engine: answers (and, where they are valid base64,
//! requests) from the Vault API docs (tests/fixtures/vault-docs/transit-*).

use serde_json::json;
use vault_client::transit::{KeyConfig, KeyOptions, KeyType};
use wiremock::matchers::{any, body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{doc_answer, doc_fixture, no_content, setup};

/// The docs' plaintext, `dGhlIHF1aWNrIGJyb3duIGZveAo=` decoded.
const FOX: &[u8] = b"the quick brown fox\n";
const CIPHERTEXT: &str = "vault:v1:XjsPWPjqPrBi1N2Ms2s1QM798YyFWnO4TR4lsFA=";

async fn expect_post(server: &MockServer, p: &str, body: serde_json::Value, answer: ResponseTemplate) {
    Mock::given(method("POST")).and(path(p)).and(body_json(body)).respond_with(answer).expect(1).mount(server).await;
}

#[tokio::test]
async fn keys_create_read_list_rotate_config_delete() {
    let (server, vault) = setup().await;
    let created = doc_fixture("transit-key-create.request.docs");
    expect_post(&server, "/v1/transit/keys/signer", created, no_content()).await;
    let config = doc_fixture("transit-key-config.request.docs");
    expect_post(&server, "/v1/transit/keys/foo/config", config, no_content()).await;
    Mock::given(method("POST"))
        .and(path("/v1/transit/keys/foo/rotate"))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/transit/keys/foo"))
        .respond_with(doc_answer(200, "transit-key-read.docs"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/transit/keys"))
        .and(query_param("list", "true"))
        .respond_with(doc_answer(200, "transit-key-list.docs"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/transit/keys/foo"))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    let transit = vault.transit("transit").unwrap();
    let options = KeyOptions { key_type: Some(KeyType::Ed25519), derived: Some(true), ..KeyOptions::default() };
    transit.create_key("signer", &options).await.unwrap();
    let key = transit.get_key("foo").await.unwrap().unwrap();
    assert_eq!((key.name.as_str(), &key.key_type, key.latest_version()), ("foo", &KeyType::Aes256Gcm96, Some(1)));
    assert!(key.supports_encryption && !key.supports_signing && !key.deletion_allowed);
    assert_eq!(transit.list_keys().await.unwrap(), ["foo", "bar"]);
    transit.rotate_key("foo").await.unwrap();
    transit.configure_key("foo", &KeyConfig { deletion_allowed: Some(true), ..KeyConfig::default() }).await.unwrap();
    transit.delete_key("foo").await.unwrap();
}

#[tokio::test]
async fn encrypt_decrypt_rewrap_handle_base64_and_hide_the_plaintext() {
    let (server, vault) = setup().await;
    let encrypt = doc_fixture("transit-encrypt.request.docs");
    expect_post(&server, "/v1/transit/encrypt/foo", encrypt, doc_answer(200, "transit-encrypt.docs")).await;
    let decrypt = doc_fixture("transit-decrypt.request.docs");
    expect_post(&server, "/v1/transit/decrypt/foo", decrypt, doc_answer(200, "transit-decrypt.docs")).await;
    let rewrap = doc_fixture("transit-rewrap.request.docs");
    expect_post(&server, "/v1/transit/rewrap/foo", rewrap, doc_answer(200, "transit-rewrap.docs")).await;
    let transit = vault.transit("transit").unwrap();
    assert_eq!(transit.encrypt("foo", FOX, None).await.unwrap(), CIPHERTEXT);
    let plaintext = transit.decrypt("foo", CIPHERTEXT, None).await.unwrap();
    assert_eq!(plaintext.expose(), FOX);
    let shown = format!("{plaintext:?} {plaintext}");
    assert_eq!(shown, "<redacted> <redacted>");
    assert_eq!(transit.rewrap("foo", CIPHERTEXT, None).await.unwrap(), "vault:v2:abcdefgh");
}

#[tokio::test]
async fn datakeys_with_and_without_the_plaintext() {
    let (server, vault) = setup().await;
    // The docs' request context "Ab3==" is not base64; the SDK encodes the caller's bytes.
    let context = json!({"context": "Y3R4"});
    expect_post(
        &server,
        "/v1/transit/datakey/plaintext/foo",
        context.clone(),
        doc_answer(200, "transit-datakey-plaintext.docs"),
    )
    .await;
    let wrapped = ResponseTemplate::new(200).set_body_json(json!({"data": {"ciphertext": "vault:v1:abcdefgh"}}));
    expect_post(&server, "/v1/transit/datakey/wrapped/foo", json!({"bits": 512}), wrapped).await;
    let transit = vault.transit("transit").unwrap();
    let key = transit.datakey("foo", true, None, Some(b"ctx")).await.unwrap();
    assert_eq!(key.ciphertext, "vault:v1:abcdefgh");
    assert_eq!(key.plaintext.as_ref().unwrap().expose(), FOX);
    assert!(!format!("{key:?}").contains("quick"), "{key:?}");
    let key = transit.datakey("foo", false, Some(512), None).await.unwrap();
    assert!(key.plaintext.is_none());
}

#[tokio::test]
async fn sign_verify_and_hmac() {
    let (server, vault) = setup().await;
    expect_post(&server, "/v1/transit/sign/signer", json!({"input": "YWJj"}), doc_answer(200, "transit-sign.docs"))
        .await;
    let signature = doc_fixture("transit-sign.docs")["data"]["signature"].as_str().unwrap().to_owned();
    let verify = json!({"input": "YWJj", "signature": signature, "hash_algorithm": "sha2-256"});
    expect_post(&server, "/v1/transit/verify/signer", verify, doc_answer(200, "transit-verify.docs")).await;
    let hmac = json!({"input": "YWJj", "algorithm": "sha2-512"});
    expect_post(&server, "/v1/transit/hmac/foo", hmac, doc_answer(200, "transit-hmac.docs")).await;
    let transit = vault.transit("transit").unwrap();
    assert_eq!(transit.sign("signer", b"abc", None).await.unwrap(), signature);
    assert!(transit.verify("signer", b"abc", &signature, Some("sha2-256")).await.unwrap());
    assert_eq!(transit.hmac("foo", b"abc", Some("sha2-512")).await.unwrap(), "dGhlIHF1aWNrIGJyb3duIGZveAo=");
}

#[tokio::test]
async fn bad_names_and_ciphertexts_are_refused_before_sending_and_errors_hide_the_plaintext() {
    let (server, vault) = setup().await;
    let transit = vault.transit("transit").unwrap();
    Mock::given(method("POST"))
        .and(path("/v1/transit/encrypt/foo"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"errors": ["bad input dGhlIHF1aWNrIGJyb3duIGZveAo="]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = transit.encrypt("foo", FOX, None).await.unwrap_err();
    assert!(!err.to_string().contains("dGhlIHF1aWNr"), "Vault's echo of the plaintext is redacted: {err}");
    Mock::given(any()).respond_with(no_content()).expect(0).named("nothing else").mount(&server).await;
    for name in ["", "a/b", ".."] {
        assert!(transit.encrypt(name, FOX, None).await.unwrap_err().to_string().contains("transit key"));
        assert!(transit.delete_key(name).await.is_err());
    }
    for bad in ["XjsPWPjq", "vault:v:abc", "vault:v1:", "vault:vx:abc"] {
        let err = transit.decrypt("foo", bad, None).await.unwrap_err();
        assert!(err.to_string().contains("transit ciphertext"), "{bad}: {err}");
    }
    // The docs' verify sample cuts its signature with "..."; the form is still checked.
    assert!(transit.verify("signer", b"abc", "MEUCIQ", None).await.is_err());
}
