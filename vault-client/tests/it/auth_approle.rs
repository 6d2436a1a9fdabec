//! AppRole management: the recorded Vault 1.8 role, role-id, secret-id and
//! lookup bodies (tests/fixtures/vault), and the API docs' shapes for the
//! endpoints the recording did not reach (tests/fixtures/vault-docs/approle-*).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;
use vault_client::auth::{AppRoleSettings, SecretIdRequest, TokenParams};
use vault_client::{ClientError, Secret};
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request};

use crate::auth_support::{BAD_NAMES, assert_hidden, expect, nothing_sent};
use crate::common::{answer, doc_answer, doc_fixture, fixture, setup};

const ROLE: &str = "/v1/auth/approle/role/atala-testnet";

#[tokio::test]
async fn role_crud_and_role_id() {
    let (server, vault) = setup().await;
    // The recorded write sent durations as "1h"; this client sends seconds.
    let mut written = fixture("approle-role-write.request");
    written["token_ttl"] = json!("3600s");
    written["token_max_ttl"] = json!("14400s");
    written["secret_id_ttl"] = json!("86400s");
    expect(&server, "POST", ROLE, Some(written), None).await;
    expect(&server, "GET", ROLE, None, Some(answer(200, "approle-role-read"))).await;
    expect(&server, "LIST", "/v1/auth/approle/role", None, Some(answer(200, "approle-role-list"))).await;
    expect(&server, "GET", &format!("{ROLE}/role-id"), None, Some(answer(200, "approle-role-id"))).await;
    let set = doc_fixture("approle-role-id-write.request.docs");
    expect(&server, "POST", &format!("{ROLE}/role-id"), Some(set), None).await;
    expect(&server, "DELETE", ROLE, None, None).await;
    expect(&server, "GET", "/v1/auth/approle/role/gone", None, Some(wiremock::ResponseTemplate::new(404))).await;

    let approle = vault.auth().approle("approle").unwrap();
    let settings = AppRoleSettings {
        secret_id_ttl: Some(Duration::from_secs(86400)),
        secret_id_num_uses: Some(0),
        token: TokenParams {
            token_ttl: Some(Duration::from_secs(3600)),
            token_max_ttl: Some(Duration::from_secs(4 * 3600)),
            ..TokenParams::with_policies(["atala-read"])
        },
        ..AppRoleSettings::default()
    };
    approle.write_role("atala-testnet", &settings).await.unwrap();
    let read = approle.read_role("atala-testnet").await.unwrap().expect("the role");
    assert_eq!(read.bind_secret_id, Some(true));
    assert_eq!(read.secret_id_bound_cidrs, None); // recorded `null`
    assert_eq!(read.secret_id_ttl, Some(Duration::from_secs(86400)));
    assert_eq!(read.token.token_policies.as_deref(), Some(&["atala-read".to_owned()][..]));
    assert_eq!(read.token.token_max_ttl, Some(Duration::from_secs(14400)));
    assert_eq!(read.token.token_type.as_deref(), Some("default"));
    assert!(approle.read_role("gone").await.unwrap().is_none());
    assert_eq!(approle.list_roles().await.unwrap(), ["atala-testnet"]);
    assert_eq!(approle.role_id("atala-testnet").await.unwrap(), "f55b4acb-a9ac-8fab-72bc-0e2138d3ffef");
    approle.set_role_id("atala-testnet", "custom-role-id").await.unwrap();
    approle.delete_role("atala-testnet").await.unwrap();
}

/// The recorded secret-id request's `metadata` is a JSON string; the
/// client's string may differ in spacing, so it is compared parsed.
struct MetadataIs(serde_json::Value);

impl wiremock::Match for MetadataIs {
    fn matches(&self, request: &Request) -> bool {
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let parsed = body["metadata"].as_str().and_then(|m| serde_json::from_str::<serde_json::Value>(m).ok());
        parsed.as_ref() == Some(&self.0) && body.as_object().is_some_and(|o| o.len() == 1)
    }
}

#[tokio::test]
async fn secret_ids_generate_lookup_destroy_and_tidy() {
    let (server, vault) = setup().await;
    let recorded = fixture("approle-secret-id.request");
    let metadata: serde_json::Value = serde_json::from_str(recorded["metadata"].as_str().unwrap()).unwrap();
    Mock::given(method("POST"))
        .and(path(format!("{ROLE}/secret-id")))
        .and(MetadataIs(metadata))
        .respond_with(answer(200, "approle-secret-id"))
        .expect(1)
        .mount(&server)
        .await;
    let lookup = fixture("approle-secret-id-lookup.request");
    expect(
        &server,
        "POST",
        &format!("{ROLE}/secret-id/lookup"),
        Some(lookup.clone()),
        Some(answer(200, "approle-secret-id-lookup")),
    )
    .await;
    let by_accessor = doc_fixture("approle-secret-id-accessor-lookup.request.docs");
    expect(
        &server,
        "POST",
        &format!("{ROLE}/secret-id-accessor/lookup"),
        Some(by_accessor),
        Some(doc_answer(200, "approle-secret-id-accessor-lookup.docs")),
    )
    .await;
    expect(&server, "LIST", &format!("{ROLE}/secret-id"), None, Some(doc_answer(200, "approle-secret-id-list.docs")))
        .await;
    let destroy = doc_fixture("approle-secret-id-destroy.request.docs");
    expect(&server, "POST", &format!("{ROLE}/secret-id/destroy"), Some(destroy.clone()), None).await;
    let destroy_accessor = doc_fixture("approle-secret-id-accessor-destroy.request.docs");
    expect(&server, "POST", &format!("{ROLE}/secret-id-accessor/destroy"), Some(destroy_accessor), None).await;
    expect(&server, "POST", "/v1/auth/approle/tidy/secret-id", None, Some(doc_answer(202, "approle-tidy.docs"))).await;

    let approle = vault.auth().approle("approle").unwrap();
    let request =
        SecretIdRequest { metadata: BTreeMap::from([("env".to_owned(), "testnet".to_owned())]), ..Default::default() };
    let secret_id = approle.generate_secret_id("atala-testnet", &request).await.unwrap();
    assert_eq!(secret_id.secret_id.expose(), "267003b6-639b-14f2-aa9a-f19dff847fc0");
    assert_eq!(secret_id.secret_id_accessor, "6ce7c8a7-4fe7-7058-28de-769d996c3829");
    assert_eq!(secret_id.secret_id_ttl, Duration::from_secs(86400));
    assert_eq!(secret_id.secret_id_num_uses, None); // 1.8 does not answer it
    assert_hidden("SecretId", &secret_id, secret_id.secret_id.expose());

    let info = approle.lookup_secret_id("atala-testnet", &secret_id.secret_id).await.unwrap().expect("known");
    assert_eq!(info.secret_id_accessor, secret_id.secret_id_accessor);
    assert_eq!(info.metadata.as_ref().unwrap()["env"], "testnet");
    assert!(!format!("{info:?}").contains(secret_id.secret_id.expose()));
    let info = approle.lookup_secret_id_accessor("atala-testnet", "84896a0c-1347-aa90-a4f6-aca8b7558780").await;
    assert_eq!(info.unwrap().unwrap().expiration_time, "0001-01-01T00:00:00Z");
    assert_eq!(approle.list_secret_id_accessors("atala-testnet").await.unwrap().len(), 5);
    let docs_secret = Secret::new(destroy["secret_id"].as_str().unwrap());
    approle.destroy_secret_id("atala-testnet", &docs_secret).await.unwrap();
    approle.destroy_secret_id_accessor("atala-testnet", "84896a0c-1347-aa90-a4f6-aca8b7558780").await.unwrap();
    let warnings = approle.tidy_secret_ids().await.unwrap();
    assert!(warnings[0].starts_with("Tidy operation successfully started"), "{warnings:?}");
}

#[tokio::test]
async fn a_secret_id_unknown_to_the_role_is_none() {
    // Vault answers a lookup of a secret ID the role does not have with 204.
    let (server, vault) = setup().await;
    expect(&server, "POST", &format!("{ROLE}/secret-id/lookup"), None, None).await;
    let approle = vault.auth().approle("approle").unwrap();
    assert!(approle.lookup_secret_id("atala-testnet", &Secret::new("nope")).await.unwrap().is_none());
}

#[tokio::test]
async fn custom_and_1_13_secret_ids() {
    let (server, vault) = setup().await;
    let custom = doc_fixture("approle-custom-secret-id.request.docs");
    let mut sent = custom.clone();
    sent["ttl"] = json!("600s");
    expect(
        &server,
        "POST",
        "/v1/auth/approle/role/application1/custom-secret-id",
        Some(sent),
        Some(doc_answer(200, "approle-custom-secret-id.docs")),
    )
    .await;
    let mut generate = doc_fixture("approle-secret-id-generate.request.docs");
    generate["ttl"] = json!("600s");
    generate.as_object_mut().unwrap().remove("metadata");
    expect(
        &server,
        "POST",
        "/v1/auth/approle/role/application1/secret-id",
        Some(generate),
        Some(doc_answer(200, "approle-secret-id-generate.docs")),
    )
    .await;

    let approle = vault.auth().approle("approle").unwrap();
    let request = SecretIdRequest { num_uses: Some(50), ttl: Some(Duration::from_secs(600)), ..Default::default() };
    let pushed = Secret::new(custom["secret_id"].as_str().unwrap());
    let answer = approle.custom_secret_id("application1", &pushed, &request).await.unwrap();
    assert_eq!(answer.secret_id.expose(), "testsecretid");
    assert_eq!(answer.secret_id_num_uses, Some(50));
    assert_hidden("custom SecretId", &answer, "testsecretid");
    let generated = approle.generate_secret_id("application1", &request).await.unwrap();
    assert_eq!(generated.secret_id_ttl, Duration::from_secs(600));
    assert_hidden("SecretId", &generated, "841771dc-11c9-bbc7-bcac-6a3945a69cd9");
}

#[tokio::test]
async fn a_failed_generate_is_not_retried_and_hides_the_secret() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/approle/role/r/custom-secret-id"))
        .respond_with(wiremock::ResponseTemplate::new(500).set_body_json(json!({"errors": ["boom: s3cr3t-pushed"]})))
        .expect(1)
        .mount(&server)
        .await;
    let approle = vault.auth().approle("approle").unwrap();
    let pushed = Secret::new("s3cr3t-pushed");
    let err = approle.custom_secret_id("r", &pushed, &SecretIdRequest::default()).await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    let text = format!("{err} {err:?}");
    assert!(!text.contains("s3cr3t-pushed"), "{text}");
}

#[tokio::test]
async fn bad_names_and_empty_secrets_are_refused_before_sending() {
    let (server, vault) = setup().await;
    nothing_sent(&server).await;
    let approle = vault.auth().approle("approle").unwrap();
    let secret = Secret::new("s");
    for name in BAD_NAMES {
        let err = approle.delete_role(name).await.unwrap_err();
        assert!(err.to_string().contains("AppRole role"), "{name:?}: {err}");
        assert!(approle.write_role(name, &AppRoleSettings::default()).await.is_err());
        assert!(approle.read_role(name).await.is_err());
        assert!(approle.role_id(name).await.is_err());
        assert!(approle.set_role_id(name, "x").await.is_err());
        assert!(approle.generate_secret_id(name, &SecretIdRequest::default()).await.is_err());
        assert!(approle.custom_secret_id(name, &secret, &SecretIdRequest::default()).await.is_err());
        assert!(approle.list_secret_id_accessors(name).await.is_err());
        assert!(approle.lookup_secret_id(name, &secret).await.is_err());
        assert!(approle.lookup_secret_id_accessor(name, "a").await.is_err());
        assert!(approle.destroy_secret_id(name, &secret).await.is_err());
        assert!(approle.destroy_secret_id_accessor(name, "a").await.is_err());
    }
    let empty = Secret::new("");
    let err = approle.destroy_secret_id("r", &empty).await.unwrap_err();
    assert_eq!(err.to_string(), "invalid secret ID \"\": must not be empty");
    assert!(approle.custom_secret_id("r", &empty, &SecretIdRequest::default()).await.is_err());
    assert!(approle.lookup_secret_id("r", &empty).await.is_err());
    let err = approle.destroy_secret_id_accessor("r", "").await.unwrap_err();
    assert!(err.to_string().contains("secret ID accessor"), "{err}");
    assert!(approle.set_role_id("r", "").await.unwrap_err().to_string().contains("AppRole role ID"));
    assert!(vault.auth().approle("../sys").is_err());
}
