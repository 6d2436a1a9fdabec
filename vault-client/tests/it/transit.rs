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

// ---- batches (batch_input / batch_results)

fn b64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}

fn batch_of(name: &str) -> serde_json::Value {
    json!({ "batch_input": doc_fixture(name) })
}

#[tokio::test]
async fn an_encrypt_batch_with_one_bad_item_is_answered_per_item_on_the_http_400_of_vault_1_10_and_later() {
    let (server, vault) = setup().await;
    // The docs' batch_input, rebuilt from bytes: the SDK encodes plaintexts and contexts.
    let answer = doc_answer(400, "transit-encrypt-batch-partial.source");
    expect_post(&server, "/v1/transit/encrypt/foo", batch_of("transit-encrypt-batch.request.docs"), answer).await;
    let items = [
        vault_client::transit::EncryptItem::new(*b"the quick brown fox").with_context(*b"samplecontext"),
        vault_client::transit::EncryptItem::new(*b"the quick brown fox").with_context(*b"anothersamplecontext"),
    ];
    assert!(!format!("{items:?}").contains("quick"), "{items:?}");
    let results = vault.transit("transit").unwrap().encrypt_batch("foo", &items).await.unwrap();
    assert_eq!(results[0].as_deref(), Ok(CIPHERTEXT));
    let err = results[1].as_ref().unwrap_err();
    assert_eq!((err.index, err.message.as_str()), (1, "illegal base64 data at input byte 4"));
    assert_eq!(err.to_string(), "batch item 1 failed: illegal base64 data at input byte 4");
}

#[tokio::test]
async fn decrypt_and_rewrap_batches_pair_each_answer_with_its_item() {
    let (server, vault) = setup().await;
    let request = batch_of("transit-decrypt-batch.request.docs");
    let decrypted = doc_answer(400, "transit-decrypt-batch-partial.source");
    expect_post(&server, "/v1/transit/decrypt/foo", request.clone(), decrypted).await;
    // Rewrap answers with encrypt's item shape (EncryptBatchResponseItem).
    let rewrapped = doc_answer(400, "transit-encrypt-batch-partial.source");
    expect_post(&server, "/v1/transit/rewrap/foo", request.clone(), rewrapped).await;
    let items: Vec<_> = request["batch_input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            vault_client::transit::CiphertextItem::new(i["ciphertext"].as_str().unwrap())
                .with_context(b64_decode(i["context"].as_str().unwrap()))
        })
        .collect();
    let transit = vault.transit("transit").unwrap();
    let plain = transit.decrypt_batch("foo", &items).await.unwrap();
    assert_eq!(plain[0].as_ref().unwrap().expose(), b"the quick brown fox");
    assert!(!format!("{plain:?}").contains("quick"), "{plain:?}");
    assert_eq!(plain[1].as_ref().unwrap_err().message, "cipher: message authentication failed");
    let rewrapped = transit.rewrap_batch("foo", &items).await.unwrap();
    assert_eq!(rewrapped[0].as_deref(), Ok(CIPHERTEXT));
    assert!(rewrapped[1].is_err());
}

#[tokio::test]
async fn sign_verify_and_hmac_batches_on_the_docs_answers() {
    let (server, vault) = setup().await;
    let sign = json!({"batch_input": [
        {"input": "YWJj", "context": "efgh"},
        {"input": "YWJj", "context": "abcd"},
        {"input": ""},
    ], "hash_algorithm": "sha2-256"});
    expect_post(&server, "/v1/transit/sign/ed", sign, doc_answer(200, "transit-sign-batch.docs")).await;
    let verify = doc_fixture("transit-verify-batch.request.docs")["batch_input"].clone();
    let verify_items: Vec<_> = verify
        .as_array()
        .unwrap()
        .iter()
        .map(|i| vault_client::transit::VerifyItem {
            input: b"abc".to_vec(),
            proof: i["signature"].as_str().unwrap().to_owned(),
            context: Some(b64_decode(i["context"].as_str().unwrap())),
        })
        .collect();
    let mut sent = verify.clone();
    for item in sent.as_array_mut().unwrap() {
        item["input"] = json!("YWJj");
    }
    let verify_body = json!({ "batch_input": sent });
    expect_post(&server, "/v1/transit/verify/ed", verify_body, doc_answer(200, "transit-verify-batch.docs")).await;
    let hmac = json!({"batch_input": [{"input": "YQ=="}, {"input": "Yg=="}, {"input": ""}, {"input": "Yw=="}]});
    expect_post(&server, "/v1/transit/hmac/foo", hmac, doc_answer(200, "transit-hmac-batch.docs")).await;
    let transit = vault.transit("transit").unwrap();

    let mut first = vault_client::transit::SignItem::new(*b"abc");
    first.context = Some(b64_decode("efgh"));
    let mut second = vault_client::transit::SignItem::new(*b"abc");
    second.context = Some(b64_decode("abcd"));
    let signed = transit
        .sign_batch("ed", &[first, second, vault_client::transit::SignItem::new(Vec::new())], Some("sha2-256"))
        .await
        .unwrap();
    let one = signed[0].as_ref().unwrap();
    assert!(one.signature.starts_with("vault:v1:+R3cxAy6"));
    assert_eq!(one.public_key.as_deref(), Some("2fQIaaem7+EhSGs3jUebAS/8qP2+sUrmxOmgqZIZc0c="));
    assert_eq!(signed[2].as_ref().unwrap_err().message, "missing input");

    let valid = transit.verify_batch("ed", &verify_items, None).await.unwrap();
    assert_eq!(valid, [Ok(true), Ok(false), Ok(true)]);

    let inputs: [&[u8]; 4] = [b"a", b"b", b"", b"c"];
    let macs = transit.hmac_batch("foo", &inputs, None).await.unwrap();
    assert!(macs[0].as_ref().unwrap().starts_with("vault:v1:1jFhRY"));
    assert_eq!(macs[2], Err(vault_client::transit::ItemError { index: 2, message: "missing input for HMAC".into() }));
    assert!(macs[3].is_ok());
}

#[tokio::test]
async fn hmac_verify_single_and_batch_and_an_answer_of_the_wrong_length() {
    let (server, vault) = setup().await;
    let docs = doc_fixture("transit-verify-hmac-batch.request.docs");
    let mac = docs["batch_input"][0]["hmac"].as_str().unwrap().to_owned();
    let single = json!({"input": "YWJj", "hmac": mac, "algorithm": "sha2-512"});
    expect_post(&server, "/v1/transit/verify/foo", single, doc_answer(200, "transit-verify.docs")).await;
    // A server that answers three results for two items: refused, not zipped.
    let two = json!({"batch_input": [
        {"input": "YWJj", "hmac": docs["batch_input"][0]["hmac"]},
        {"input": "aGVsbG8gd29ybGQuCg==", "hmac": docs["batch_input"][1]["hmac"]},
    ]});
    expect_post(&server, "/v1/transit/verify/foo", two, doc_answer(200, "transit-verify-batch.docs")).await;
    let transit = vault.transit("transit").unwrap();
    assert!(transit.verify_hmac("foo", b"abc", &mac, Some("sha2-512")).await.unwrap());
    let items = [
        vault_client::transit::VerifyItem::new(*b"abc", docs["batch_input"][0]["hmac"].as_str().unwrap()),
        vault_client::transit::VerifyItem::new(*b"hello world.\n", docs["batch_input"][1]["hmac"].as_str().unwrap()),
    ];
    let err = transit.verify_hmac_batch("foo", &items, None).await.unwrap_err();
    assert_eq!(err.to_string(), "POST /v1/transit/verify/foo: unexpected answer: 3 batch_results for 2 items");
}

#[tokio::test]
async fn a_batch_error_without_results_fails_the_whole_call_with_the_plaintexts_redacted() {
    let (server, vault) = setup().await;
    let echo = json!({"errors": ["encryption key not found; input dGhlIHF1aWNrIGJyb3duIGZveA=="]});
    Mock::given(method("POST"))
        .and(path("/v1/transit/encrypt/gone"))
        .respond_with(ResponseTemplate::new(400).set_body_json(echo))
        .expect(1)
        .mount(&server)
        .await;
    let items = [vault_client::transit::EncryptItem::new(*b"the quick brown fox")];
    let err = vault.transit("transit").unwrap().encrypt_batch("gone", &items).await.unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("POST /v1/transit/encrypt/gone failed with HTTP 400: encryption key not found"), "{text}");
    assert!(!text.contains("dGhlIHF1aWNr"), "{text}");
}

#[tokio::test]
async fn bad_batches_are_refused_before_sending() {
    let (server, vault) = setup().await;
    Mock::given(any()).respond_with(no_content()).expect(0).mount(&server).await;
    let transit = vault.transit("transit").unwrap();
    use vault_client::transit::{CiphertextItem, EncryptItem, VerifyItem};
    let err = transit.encrypt_batch("foo", &[]).await.unwrap_err();
    assert!(err.to_string().contains("transit batch") && err.to_string().contains("is empty"), "{err}");
    let mixed = [EncryptItem::new(*b"a").with_context(*b"c"), EncryptItem::new(*b"b")];
    let err = transit.encrypt_batch("foo", &mixed).await.unwrap_err().to_string();
    assert!(err.contains("transit batch context") && err.contains("item 1"), "{err}");
    let bad = [CiphertextItem::new(CIPHERTEXT), CiphertextItem::new("vault:v1:")];
    let err = transit.decrypt_batch("foo", &bad).await.unwrap_err().to_string();
    assert!(err.contains("transit ciphertext of batch item 1"), "{err}");
    assert!(transit.rewrap_batch("foo", &bad).await.is_err());
    let err = transit.verify_hmac_batch("foo", &[VerifyItem::new(*b"x", "abc")], None).await.unwrap_err();
    assert!(err.to_string().contains("transit HMAC of batch item 0"), "{err}");
    for name in ["", "a/b", ".."] {
        let err = transit.encrypt_batch(name, &[EncryptItem::new(*b"a")]).await.unwrap_err();
        assert!(err.to_string().contains("transit key"), "{name}: {err}");
        assert!(transit.hmac_batch(name, &[b"x"], None).await.is_err());
    }
    assert!(transit.verify_hmac("foo", b"x", "MEUCIQ", None).await.is_err());
}

// ---- export, backup, restore, trim, cache-config

#[tokio::test]
async fn export_returns_each_version_as_a_secret() {
    use vault_client::transit::{ExportKind, ExportVersion};
    let (server, vault) = setup().await;
    let export =
        |p: &'static str| Mock::given(method("GET")).and(path(p)).respond_with(doc_answer(200, "transit-export.docs"));
    export("/v1/transit/export/encryption-key/foo").expect(1).mount(&server).await;
    export("/v1/transit/export/hmac-key/foo/latest").expect(1).mount(&server).await;
    export("/v1/transit/export/signing-key/foo/2").expect(1).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/transit/export/encryption-key/gone"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"errors": []})))
        .mount(&server)
        .await;
    let transit = vault.transit("transit").unwrap();
    let key = transit.export_key("foo", ExportKind::EncryptionKey, ExportVersion::All).await.unwrap().unwrap();
    assert_eq!(key.name, "foo");
    assert_eq!(key.keys.keys().copied().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(key.keys[&1].expose(), "eyXYGHbTmugUJn6EtYD/yVEoF6pCxm4R/cMEutUm3MY=");
    let shown = format!("{key:?} {key:#?}");
    assert!(!shown.contains("eyXYGH") && !shown.contains("Euzymq"), "{shown}");
    transit.export_key("foo", ExportKind::HmacKey, ExportVersion::Latest).await.unwrap().unwrap();
    transit.export_key("foo", ExportKind::SigningKey, ExportVersion::Version(2)).await.unwrap().unwrap();
    assert!(transit.export_key("gone", ExportKind::EncryptionKey, ExportVersion::All).await.unwrap().is_none());
    let err = transit.export_key("foo", ExportKind::EncryptionKey, ExportVersion::Version(0)).await.unwrap_err();
    assert!(err.to_string().contains("versions start at 1"), "{err}");
}

#[tokio::test]
async fn a_key_that_is_not_exportable_says_how_exportability_is_set() {
    use vault_client::ClientError;
    use vault_client::transit::{ExportKind, ExportVersion};
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/transit/export/encryption-key/locked"))
        .respond_with(doc_answer(400, "transit-export-not-exportable.source"))
        .mount(&server)
        .await;
    let transit = vault.transit("transit").unwrap();
    let err = transit.export_key("locked", ExportKind::EncryptionKey, ExportVersion::All).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    let text = err.to_string();
    assert!(text.contains("private key material is not exportable"), "{text}");
    assert!(text.contains("created without exportable=true") && text.contains("cannot be undone"), "{text}");
}

#[tokio::test]
async fn backup_is_a_secret_and_restore_sends_it_back() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/transit/backup/aes"))
        .respond_with(doc_answer(200, "transit-backup.docs"))
        .expect(1)
        .mount(&server)
        .await;
    let restore = doc_fixture("transit-restore.request.docs");
    expect_post(&server, "/v1/transit/restore", restore.clone(), no_content()).await;
    let mut forced = restore.clone();
    forced["force"] = json!(true);
    expect_post(&server, "/v1/transit/restore/aes-copy", forced, no_content()).await;
    let transit = vault.transit("transit").unwrap();
    let backup = transit.backup_key("aes").await.unwrap();
    assert_eq!(backup.expose(), restore["backup"].as_str().unwrap());
    assert_eq!(format!("{backup:?} {backup}"), "<redacted> <redacted>");
    transit.restore_key(&backup, None, false).await.unwrap();
    transit.restore_key(&backup, Some("aes-copy"), true).await.unwrap();
}

#[tokio::test]
async fn backup_and_restore_refusals() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/transit/backup/plain"))
        .respond_with(doc_answer(500, "transit-backup-disallowed.source"))
        .expect(1) // not retried: each backup is recorded in the key
        .mount(&server)
        .await;
    let transit = vault.transit("transit").unwrap();
    let err = transit.backup_key("plain").await.unwrap_err().to_string();
    assert!(err.contains("plaintext backup is disallowed") && err.contains("allow_plaintext_backup=true"), "{err}");
    let backup = vault_client::Secret::new(doc_fixture("transit-backup.docs")["data"]["backup"].as_str().unwrap());
    let err = transit.restore_key(&backup, None, true).await.unwrap_err().to_string();
    assert!(err.contains("force=true without a name"), "{err}");
    let err = transit.restore_key(&vault_client::Secret::new("not base64!"), Some("x"), false).await.unwrap_err();
    assert!(err.to_string().contains("transit key backup") && !err.to_string().contains("not base64!"), "{err}");
    assert!(transit.restore_key(&backup, Some("a/b"), false).await.is_err());
    assert!(transit.backup_key("..").await.is_err());
}

#[tokio::test]
async fn trim_and_cache_config() {
    let (server, vault) = setup().await;
    expect_post(&server, "/v1/transit/keys/foo/trim", doc_fixture("transit-trim.request.docs"), no_content()).await;
    let size = doc_fixture("transit-cache-config.request.docs");
    expect_post(&server, "/v1/transit/cache-config", size, no_content()).await;
    Mock::given(method("GET"))
        .and(path("/v1/transit/cache-config"))
        .respond_with(doc_answer(200, "transit-cache-config-read.docs"))
        .mount(&server)
        .await;
    let transit = vault.transit("transit").unwrap();
    transit.trim_key("foo", 2).await.unwrap();
    transit.set_cache_config(456).await.unwrap();
    assert_eq!(transit.cache_config().await.unwrap().size, 0);
    assert!(transit.trim_key("foo", 0).await.unwrap_err().to_string().contains("versions start at 1"));
    let err = transit.set_cache_config(5).await.unwrap_err().to_string();
    assert!(err.contains("transit cache size") && err.contains("at least 10"), "{err}");
}
