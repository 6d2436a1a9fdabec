//! Token roles and orphan/periodic/role tokens: the API docs' token-role and
//! token-create shapes (tests/fixtures/vault-docs/token-*), the recorded
//! 1.8 bad-TTL error (tests/fixtures/vault/token-create-orphan-bad-ttl).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;
use vault_client::auth::TokenRole;
use vault_client::{ClientError, TokenCreateRequest};
use wiremock::matchers::header;

use crate::auth_support::{BAD_NAMES, assert_hidden, expect, nothing_sent};
use crate::common::{ROOT, answer, doc_answer, doc_fixture, fixture, setup};

const DOC_TOKEN: &str = "s.wOrq9dO9kzOcuvB06CMviJhZ";

#[tokio::test]
async fn token_roles_crud() {
    let (server, vault) = setup().await;
    // The docs' payload, without `name` (it is in the path) and with the
    // legacy `bound_cidrs` under its current name.
    let mut written = doc_fixture("token-role-write.request.docs");
    let object = written.as_object_mut().unwrap();
    object.remove("name");
    let cidrs = object.remove("bound_cidrs").unwrap();
    object.insert("token_bound_cidrs".into(), cidrs);
    expect(&server, "POST", "/v1/auth/token/roles/nomad", Some(written), None).await;
    expect(&server, "GET", "/v1/auth/token/roles/nomad", None, Some(doc_answer(200, "token-role-read.docs"))).await;
    expect(&server, "LIST", "/v1/auth/token/roles", None, Some(doc_answer(200, "token-role-list.docs"))).await;
    expect(&server, "DELETE", "/v1/auth/token/roles/nomad", None, None).await;

    let tokens = vault.auth().token();
    let role = TokenRole {
        allowed_policies: Some(vec!["dev".into()]),
        orphan: Some(false),
        renewable: Some(true),
        token_bound_cidrs: Some(vec!["127.0.0.1/32".into(), "128.252.0.0/16".into()]),
        allowed_entity_aliases: Some(vec!["web-entity-alias".into(), "app-entity-*".into()]),
        ..TokenRole::default()
    };
    tokens.write_role("nomad", &role).await.unwrap();
    let read = tokens.read_role("nomad").await.unwrap().expect("the role");
    assert_eq!(read.allowed_entity_aliases, Some(vec!["my-entity-alias".to_owned()]));
    assert_eq!(read.token_type.as_deref(), Some("default-service"));
    assert_eq!(read.token_period, Some(Duration::ZERO));
    assert_eq!(tokens.list_roles().await.unwrap(), ["role1", "role2"]);
    tokens.delete_role("nomad").await.unwrap();
}

#[tokio::test]
async fn orphan_periodic_and_role_tokens() {
    let (server, vault) = setup().await;
    let orphan_request = doc_fixture("token-create-orphan.request.docs");
    let orphan_answer = {
        let mut body = doc_fixture("token-create.docs");
        body["auth"]["orphan"] = json!(true); // what create-orphan answers (see the README)
        wiremock::ResponseTemplate::new(200).set_body_json(body)
    };
    expect(&server, "POST", "/v1/auth/token/create-orphan", Some(orphan_request), Some(orphan_answer)).await;
    let periodic = json!({"period": "259200s", "renewable": true, "explicit_max_ttl": "720h"});
    expect(
        &server,
        "POST",
        "/v1/auth/token/create/nomad-cluster",
        Some(periodic),
        Some(doc_answer(200, "token-create.docs")),
    )
    .await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/v1/auth/token/create-orphan"))
        .and(header("X-Vault-Token", ROOT))
        .and(wiremock::matchers::body_json(fixture("token-create-orphan-bad-ttl.request")))
        .respond_with(answer(400, "token-create-orphan-bad-ttl"))
        .expect(1)
        .mount(&server)
        .await;

    let tokens = vault.auth().token();
    let request = TokenCreateRequest {
        policies: vec!["web".into(), "stage".into()],
        meta: Some(BTreeMap::from([("user".to_owned(), "armon".to_owned())])),
        ttl: Some("1h".into()),
        renewable: Some(true),
        ..TokenCreateRequest::default()
    };
    let orphan = tokens.create_orphan(&request).await.unwrap();
    assert!(orphan.auth.orphan);
    assert_eq!(orphan.client.token().unwrap().expose(), DOC_TOKEN);
    assert_hidden("orphan LoggedIn", &orphan, DOC_TOKEN);
    assert_hidden("orphan AuthInfo", &orphan.auth, DOC_TOKEN);

    let periodic = TokenCreateRequest {
        explicit_max_ttl: Some("720h".into()),
        ..TokenCreateRequest::periodic(Duration::from_secs(72 * 3600))
    };
    let through_role = tokens.create_with_role("nomad-cluster", &periodic).await.unwrap();
    assert_eq!(through_role.auth.ttl(), Duration::from_secs(3600));
    assert_hidden("role LoggedIn", &through_role, DOC_TOKEN);

    let bad =
        TokenCreateRequest { policies: vec!["atala-read".into()], ttl: Some("banana".into()), ..Default::default() };
    let err = tokens.create_orphan(&bad).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().contains("banana"), "{err}");
}

#[tokio::test]
async fn bad_role_names_are_refused_before_sending() {
    let (server, vault) = setup().await;
    nothing_sent(&server).await;
    let tokens = vault.auth().token();
    for name in BAD_NAMES {
        let err = tokens.delete_role(name).await.unwrap_err();
        assert!(err.to_string().contains("token role"), "{name:?}: {err}");
        assert!(tokens.read_role(name).await.is_err());
        assert!(tokens.write_role(name, &TokenRole::default()).await.is_err());
        assert!(tokens.create_with_role(name, &TokenCreateRequest::default()).await.is_err());
    }
}
