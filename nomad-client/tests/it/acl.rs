//! ACL: bootstrap, policies, tokens, one-time tokens (1.1.2 recordings),
//! roles, auth methods, binding rules, OIDC and JWT logins (docs shapes).

use client_core::Secret;
use nomad_client::{
    AclAuthMethod, AclBindingRule, AclLink, AclPolicy, AclRole, AclToken, ClientError, Error, OidcAuthUrlRequest,
    OidcCompleteAuthRequest, QueryOptions, WriteOptions,
};
use serde_json::json;
use wiremock::matchers::{body_json, body_partial_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

const ALICE: &str = "8456d79c-bfaf-2425-6ae4-d519cf282636";
const ALICE_SECRET: &str = "c4ec7677-5b6c-210e-e06c-931e99698423";

fn w() -> WriteOptions {
    WriteOptions::new()
}

fn q() -> QueryOptions {
    QueryOptions::new()
}

/// The secret is nowhere in the Debug output of `value`.
fn assert_redacted(value: &impl std::fmt::Debug, secret: &str) {
    let debug = format!("{value:?}");
    assert!(!debug.contains(secret), "secret in Debug: {debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
}

#[tokio::test]
async fn bootstrap_answers_the_management_token_as_a_secret() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/acl/bootstrap"))
        .respond_with(ok("acl-bootstrap.json", 16))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let token = nomad.acl().bootstrap(None, &w()).await.unwrap();
    assert_eq!(
        (token.token_type.as_str(), token.accessor_id.as_str()),
        ("management", "86f79aa0-2204-1e6e-46af-8adaa97a9290")
    );
    assert_eq!(token.secret_id.expose(), TOKEN);
    assert_redacted(&token, TOKEN);
    assert!(server.received_requests().await.unwrap()[0].body.is_empty(), "no body without an operator secret");
    // Bootstrapping again is Nomad's 400, with its reset index.
    Mock::given(method("POST"))
        .and(path("/v1/acl/bootstrap"))
        .respond_with(text(400, "acl-bootstrap-again.txt"))
        .mount(&server)
        .await;
    let err = nomad.acl().bootstrap(None, &w()).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().contains("ACL bootstrap already done (reset index: 16)"), "{err}");
}

#[tokio::test]
async fn bootstrap_with_an_operator_secret_sends_it_and_refuses_a_non_uuid() {
    let (server, nomad) = server().await;
    let operator = "2b778dd9-f5f1-6f29-b4b4-9a5fa948757a";
    Mock::given(method("POST"))
        .and(path("/v1/acl/bootstrap"))
        .and(body_json(json_fixture("nomad-docs/acl-bootstrap-operator.request.docs.json")))
        .respond_with(ok("nomad-docs/acl-bootstrap-operator.docs.json", 5))
        .expect(1)
        .mount(&server)
        .await;
    let token = nomad.acl().bootstrap(Some(&Secret::new(operator)), &w()).await.unwrap();
    assert_eq!(token.secret_id.expose(), operator);
    assert_redacted(&token, operator);
    let err = nomad.acl().bootstrap(Some(&Secret::new("my-password")), &w()).await.unwrap_err();
    assert!(err.to_string().contains("bootstrap secret") && !err.to_string().contains("my-password"), "{err}");
}

#[tokio::test]
async fn policies_put_get_list_delete() {
    let (server, nomad) = server().await;
    let request = json_fixture("acl-policy-create.request.json");
    Mock::given(method("POST"))
        .and(path("/v1/acl/policy/developer"))
        .and(body_partial_json(request.clone()))
        .and(token())
        .respond_with(ResponseTemplate::new(200).insert_header("X-Nomad-Index", "17"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/acl/policy/developer"))
        .respond_with(ok("acl-policy-read.json", 17))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/acl/policies"))
        .and(query_is(&[]))
        .respond_with(ok("acl-policies-list.json", 17))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/acl/policy/developer"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/acl/policy/nope"))
        .respond_with(ResponseTemplate::new(404).set_body_string("ACL policy not found"))
        .mount(&server)
        .await;

    let policy: AclPolicy = serde_json::from_value(request).unwrap();
    nomad.acl().policies().put(&policy, &w()).await.unwrap();
    let read = nomad.acl().policies().get("developer", &q()).await.unwrap();
    assert_eq!(read.meta.last_index, 17);
    assert_eq!(read.value.rules, policy.rules);
    assert!(read.value.extra.contains_key("RulesJSON"), "unmodelled fields are kept");
    let list = nomad.acl().policies().list(&q()).await.unwrap().value;
    assert_eq!((list.len(), list[0].name.as_str(), list[0].rules.as_str()), (1, "developer", ""));
    nomad.acl().policies().delete("developer", &w()).await.unwrap();
    let err = nomad.acl().policies().get("nope", &q()).await.unwrap_err();
    assert!(matches!(&err, Error::NotFound { kind: "ACL policy", name, .. } if name == "nope"), "{err}");
}

#[tokio::test]
async fn an_invalid_policy_is_the_servers_error() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/acl/policy/broken"))
        .respond_with(text(400, "acl-policy-create-invalid.txt"))
        .mount(&server)
        .await;
    let policy: AclPolicy = serde_json::from_value(json_fixture("acl-policy-create-invalid.request.json")).unwrap();
    let err = nomad.acl().policies().put(&policy, &w()).await.unwrap_err();
    assert!(err.to_string().contains("Invalid namespace policy"), "{err}");
}

#[tokio::test]
async fn tokens_create_get_update_delete_with_secrets_redacted() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/acl/token"))
        .and(body_partial_json(json_fixture("acl-token-create-client.request.json")))
        .respond_with(ok("acl-token-create-client.json", 19))
        .expect(1)
        .mount(&server)
        .await;
    let created = nomad.acl().tokens().create(&AclToken::client("dev-alice", &["developer"]), &w()).await.unwrap();
    assert_eq!(created.accessor_id, ALICE);
    assert_eq!(created.secret_id.expose(), ALICE_SECRET);
    assert_redacted(&created, ALICE_SECRET);
    let body = &server.received_requests().await.unwrap()[0].body;
    assert!(!String::from_utf8_lossy(body).contains("SecretID"), "an empty secret is left out of the create body");

    Mock::given(method("GET"))
        .and(path(format!("/v1/acl/token/{ALICE}")))
        .respond_with(ok("acl-token-read.json", 19))
        .mount(&server)
        .await;
    let read = nomad.acl().tokens().get(ALICE, &q()).await.unwrap();
    assert_redacted(&read, ALICE_SECRET);
    assert_eq!(read.value.extra["Hash"], "LS7jRVbMRbjCIi95887ueZa6fHXCJGVT+TdkbuY7AYw=");

    let update: AclToken =
        serde_json::from_value(json_fixture("nomad-docs/acl-token-update.request.docs.json")).unwrap();
    Mock::given(method("POST"))
        .and(path(format!("/v1/acl/token/{}", update.accessor_id)))
        .and(body_partial_json(json!({ "Name": "Read-write token", "Policies": ["readwrite"] })))
        .respond_with(ok("nomad-docs/acl-token-update.docs.json", 20))
        .expect(1)
        .mount(&server)
        .await;
    let updated = nomad.acl().tokens().update(&update, &w()).await.unwrap();
    assert_redacted(&updated, updated.secret_id.expose());
    Mock::given(method("DELETE"))
        .and(path(format!("/v1/acl/token/{ALICE}")))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    nomad.acl().tokens().delete(ALICE, &w()).await.unwrap();

    // Refused before sending: a create naming an accessor, an update without one, a short ID.
    let err = nomad.acl().tokens().create(&read.value, &w()).await.unwrap_err();
    assert!(err.to_string().contains("must be empty on create"), "{err}");
    let err = nomad.acl().tokens().update(&AclToken::management("x"), &w()).await.unwrap_err();
    assert!(err.to_string().contains("ACL token accessor ID") && err.to_string().contains("empty"), "{err}");
    let err = nomad.acl().tokens().delete("8456d79c", &w()).await.unwrap_err();
    assert!(err.to_string().contains("36-character"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

#[tokio::test]
async fn one_time_tokens_are_created_and_exchanged() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/acl/token/onetime"))
        .and(token())
        .respond_with(ok("nomad-docs/acl-token-onetime-create.docs.json", 15))
        .expect(1)
        .mount(&server)
        .await;
    let one_time = nomad.acl().tokens().create_one_time(&w()).await.unwrap();
    assert_eq!(one_time.accessor_id, "b780e702-98ce-521f-2e5f-c6b87de05b24");
    assert_redacted(&one_time, "3f4a0fcd-7c42-773c-25db-2d31ba0c05fe");
    let request = json_fixture("nomad-docs/acl-token-onetime-exchange.request.docs.json");
    Mock::given(method("POST"))
        .and(path("/v1/acl/token/onetime/exchange"))
        .and(body_json(request.clone()))
        .respond_with(ok("nomad-docs/acl-token-onetime-exchange.docs.json", 17))
        .expect(1)
        .mount(&server)
        .await;
    let secret = Secret::new(request["OneTimeSecretID"].as_str().unwrap());
    let token = nomad.acl().tokens().exchange_one_time(&secret, &w()).await.unwrap();
    assert_eq!(token.policies, Some(vec!["developer".to_owned()]));
    assert_redacted(&token, "3f4a0fcd-7c42-773c-25db-2d31ba0c05fe");
}

#[tokio::test]
async fn roles_crud_by_id_and_name() {
    let (server, nomad) = server().await;
    let id = "77c50812-fcdd-701b-9f1a-6cf55387b09d";
    Mock::given(method("POST"))
        .and(path("/v1/acl/role"))
        .and(body_partial_json(json_fixture("nomad-docs/acl-role-create.request.docs.json")))
        .respond_with(ok("nomad-docs/acl-role-create.docs.json", 26))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/acl/roles"))
        .respond_with(ok("nomad-docs/acl-roles-list.docs.json", 26))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/acl/role/{id}")))
        .respond_with(ok("nomad-docs/acl-role-read.docs.json", 26))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/acl/role/name/example-acl-role"))
        .respond_with(ok("nomad-docs/acl-role-read-by-name.docs.json", 26))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/acl/role/{id}")))
        .and(body_partial_json(json_fixture("nomad-docs/acl-role-update.request.docs.json")))
        .respond_with(ok("nomad-docs/acl-role-update.docs.json", 26))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v1/acl/role/{id}")))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;

    let role = AclRole {
        name: "example-acl-role".into(),
        description: "my example ACL Role".into(),
        policies: vec![AclLink::name("example-acl-policy")],
        ..AclRole::default()
    };
    let created = nomad.acl().roles().create(&role, &w()).await.unwrap();
    assert_eq!(created.id, id);
    assert_eq!(nomad.acl().roles().list(&q()).await.unwrap().value, vec![created.clone()]);
    assert_eq!(nomad.acl().roles().get(id, &q()).await.unwrap().value, created);
    assert_eq!(nomad.acl().roles().get_by_name("example-acl-role", &q()).await.unwrap().value, created);
    let mut update: AclRole =
        serde_json::from_value(json_fixture("nomad-docs/acl-role-update.request.docs.json")).unwrap();
    update.id = id.into();
    nomad.acl().roles().update(&update, &w()).await.unwrap();
    nomad.acl().roles().delete(id, &w()).await.unwrap();
    let err = nomad.acl().roles().create(&created, &w()).await.unwrap_err();
    assert!(err.to_string().contains("ACL role ID"), "{err}");
}

#[tokio::test]
async fn auth_methods_keep_the_client_secret_out_of_debug() {
    let (server, nomad) = server().await;
    let request = json_fixture("nomad-docs/acl-auth-method-create.request.docs.json");
    Mock::given(method("POST"))
        .and(path("/v1/acl/auth-method"))
        .and(body_partial_json(request.clone()))
        .respond_with(ok("nomad-docs/acl-auth-method-create.docs.json", 12))
        .expect(1)
        .mount(&server)
        .await;
    let method_: AclAuthMethod = serde_json::from_value(request).unwrap();
    assert_redacted(&method_, "example-client-secret");
    let created = nomad.acl().auth_methods().create(&method_, &w()).await.unwrap();
    assert_eq!(created.config.as_ref().unwrap().oidc_client_secret.as_ref().unwrap().expose(), "redacted");
    assert_eq!(created.max_token_ttl, "1h0m0s");

    Mock::given(method("GET"))
        .and(path("/v1/acl/auth-methods"))
        .respond_with(ok("nomad-docs/acl-auth-methods-list.docs.json", 32))
        .mount(&server)
        .await;
    let list = nomad.acl().auth_methods().list(&q()).await.unwrap().value;
    assert!(list[0].default && list[0].config.is_none());
    Mock::given(method("GET"))
        .and(path("/v1/acl/auth-method/example-acl-auth-method"))
        .respond_with(ok("nomad-docs/acl-auth-method-read.docs.json", 12))
        .mount(&server)
        .await;
    let read = nomad.acl().auth_methods().get("example-acl-auth-method", &q()).await.unwrap();
    let secret = read.value.config.as_ref().unwrap().oidc_client_secret.clone().unwrap();
    assert_redacted(&read, secret.expose());
    Mock::given(method("POST"))
        .and(path("/v1/acl/auth-method/example-acl-auth-method"))
        .and(body_partial_json(json!({ "TokenLocality": "global", "MaxTokenTTL": "2h" })))
        .respond_with(ok("nomad-docs/acl-auth-method-update.docs.json", 13))
        .expect(1)
        .mount(&server)
        .await;
    let changed = AclAuthMethod { token_locality: "global".into(), max_token_ttl: "2h".into(), ..read.value };
    nomad.acl().auth_methods().update(&changed, &w()).await.unwrap();
    Mock::given(method("DELETE"))
        .and(path("/v1/acl/auth-method/example-acl-auth-method"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    nomad.acl().auth_methods().delete("example-acl-auth-method", &w()).await.unwrap();
}

#[tokio::test]
async fn binding_rules_crud() {
    let (server, nomad) = server().await;
    let id = "5da76548-1a60-b8fb-f9be-c7736a5bca09";
    let request = json_fixture("nomad-docs/acl-binding-rule-create.request.docs.json");
    Mock::given(method("POST"))
        .and(path("/v1/acl/binding-rule"))
        .and(body_partial_json(request.clone()))
        .respond_with(ok("nomad-docs/acl-binding-rule-create.docs.json", 16))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/acl/binding-rules"))
        .respond_with(ok("nomad-docs/acl-binding-rules-list.docs.json", 17))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/acl/binding-rule/{id}")))
        .respond_with(ok("nomad-docs/acl-binding-rule-read.docs.json", 17))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/acl/binding-rule/{id}")))
        .and(body_partial_json(json!({ "ID": id, "Description": "new description" })))
        .respond_with(ok("nomad-docs/acl-binding-rule-update.docs.json", 18))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v1/acl/binding-rule/{id}")))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;

    let rule: AclBindingRule = serde_json::from_value(request).unwrap();
    let created = nomad.acl().binding_rules().create(&rule, &w()).await.unwrap();
    assert_eq!(created.bind_type, "role");
    let list = nomad.acl().binding_rules().list(&q()).await.unwrap().value;
    assert_eq!(list[0].id, id);
    let read = nomad.acl().binding_rules().get(id, &q()).await.unwrap().value;
    assert_eq!(read.selector, "engineering in list.roles");
    let changed = AclBindingRule { description: "new description".into(), ..read };
    nomad.acl().binding_rules().update(&changed, &w()).await.unwrap();
    nomad.acl().binding_rules().delete(id, &w()).await.unwrap();
}

#[tokio::test]
async fn oidc_and_jwt_logins_answer_tokens_with_secrets_redacted() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/acl/oidc/auth-url"))
        .and(body_json(json_fixture("nomad-docs/acl-oidc-auth-url.request.docs.json")))
        .respond_with(ok("nomad-docs/acl-oidc-auth-url.docs.json", 0))
        .expect(1)
        .mount(&server)
        .await;
    let url_request = OidcAuthUrlRequest {
        auth_method_name: "auth0".into(),
        redirect_uri: "http://localhost:4649/oidc/callback".into(),
        client_nonce: "fpSPuaodKevKfDU3IeXb".into(),
    };
    let url = nomad.acl().oidc_auth_url(&url_request, &w()).await.unwrap();
    assert!(
        url.starts_with("https://some-domain.uk.auth0.com/authorize?") && url.contains("state=st_4i68Nt7FcxDsomestate")
    );

    Mock::given(method("POST"))
        .and(path("/v1/acl/oidc/complete-auth"))
        .and(body_json(json_fixture("nomad-docs/acl-oidc-complete-auth.request.docs.json")))
        .respond_with(ok("nomad-docs/acl-oidc-complete-auth.docs.json", 18))
        .expect(1)
        .mount(&server)
        .await;
    let complete = OidcCompleteAuthRequest {
        auth_method_name: "auth0".into(),
        redirect_uri: url_request.redirect_uri.clone(),
        client_nonce: url_request.client_nonce.clone(),
        state: "st_4i68Nt7FcxDsomestate".into(),
        code: Secret::new("SplxlOBeZQQYbYS6WxSbIA"),
    };
    assert_redacted(&complete, "SplxlOBeZQQYbYS6WxSbIA");
    let token = nomad.acl().oidc_complete_auth(&complete, &w()).await.unwrap();
    assert_eq!(token.roles.as_ref().unwrap()[0].name, "engineering-read");
    assert_eq!(token.expiration_time.as_deref(), Some("2023-01-18T11:03:29.460987Z"));
    assert_redacted(&token, "1fce464c-06d1-4020-8564-631c25201ea7");

    let login = json_fixture("nomad-docs/acl-login.request.docs.json");
    Mock::given(method("POST"))
        .and(path("/v1/acl/login"))
        .and(body_json(login.clone()))
        .respond_with(ok("nomad-docs/acl-login.docs.json", 18))
        .expect(1)
        .mount(&server)
        .await;
    let jwt = Secret::new(login["LoginToken"].as_str().unwrap());
    let token = nomad.acl().login("github", &jwt, &w()).await.unwrap();
    assert_eq!(token.name, "JWT-github");
    assert_redacted(&token, "1fce464c-06d1-4020-8564-631c25201ea7");
    let err = nomad.acl().login("", &jwt, &w()).await.unwrap_err();
    assert!(err.to_string().contains("auth method") && !err.to_string().contains(jwt.expose()), "{err}");
}

#[tokio::test]
async fn a_denied_list_is_permission_denied() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/acl/tokens"))
        .respond_with(text(403, "acl-403-client-token-acl-tokens.txt"))
        .mount(&server)
        .await;
    let err = nomad.acl().tokens().list(&q()).await.unwrap_err();
    assert!(err.is_permission_denied(), "{err}");
    Mock::given(method("GET"))
        .and(path("/v1/acl/policies"))
        .respond_with(text(400, "acl-policies-acl-disabled.txt"))
        .mount(&server)
        .await;
    let err = nomad.acl().policies().list(&q()).await.unwrap_err();
    assert!(err.to_string().contains("ACL support disabled"), "{err}");
}
