//! JWT/OIDC management: roles, config and the OIDC auth_url/callback steps,
//! on the API docs' shapes (tests/fixtures/vault-docs/jwt-*).

use serde_json::json;
use vault_client::auth::{JwtConfig, JwtRole, OidcCallback, TokenParams};
use vault_client::{ClientError, Secret};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::auth_support::{BAD_NAMES, assert_hidden, expect, nothing_sent};
use crate::common::{NoHeader, doc_answer, doc_fixture, setup};

#[tokio::test]
async fn roles_crud_and_config() {
    let (server, vault) = setup().await;
    // The docs' payload with current names: `token_policies` for the legacy
    // `policies`, and `bound_audiences` as the list Vault reads back.
    let mut written = doc_fixture("jwt-role-write.request.docs");
    let object = written.as_object_mut().unwrap();
    let policies = object.remove("policies").unwrap();
    object.insert("token_policies".into(), policies);
    object.insert("bound_audiences".into(), json!(["https://myco.test"]));
    expect(&server, "POST", "/v1/auth/jwt/role/dev-role", Some(written), None).await;
    expect(&server, "GET", "/v1/auth/jwt/role/dev-role", None, Some(doc_answer(200, "jwt-role-read.docs"))).await;
    expect(&server, "LIST", "/v1/auth/jwt/role", None, Some(doc_answer(200, "jwt-role-list.docs"))).await;
    expect(&server, "DELETE", "/v1/auth/jwt/role/dev-role", None, None).await;
    let mut config = doc_fixture("jwt-config-write.request.docs");
    config["oidc_client_secret"] = json!("oidc-client-secret");
    expect(&server, "POST", "/v1/auth/jwt/config", Some(config), None).await;
    expect(&server, "GET", "/v1/auth/jwt/config", None, Some(doc_answer(200, "jwt-config-read.docs"))).await;

    let jwt = vault.auth().jwt("jwt").unwrap();
    let claims = json!({"department": "engineering", "sector": "7g"});
    let role = JwtRole {
        bound_subject: Some("sl29dlldsfj3uECzsU3Sbmh0F29Fios1@clients".into()),
        bound_audiences: Some(vec!["https://myco.test".into()]),
        user_claim: Some("https://vault/user".into()),
        groups_claim: Some("https://vault/groups".into()),
        bound_claims: Some(claims.as_object().unwrap().clone()),
        claim_mappings: Some(
            [("preferred_language", "language"), ("group", "group")].map(|(k, v)| (k.into(), v.into())).into(),
        ),
        token: TokenParams::with_policies(["dev", "prod"]),
        ..JwtRole::default()
    };
    jwt.write_role("dev-role", &role).await.unwrap();
    let read = jwt.read_role("dev-role").await.unwrap().expect("the role");
    assert_eq!(read.bound_audiences, Some(vec!["https://myco.test".to_owned()]));
    assert_eq!(read.user_claim.as_deref(), Some("https://vault/user"));
    assert_eq!(jwt.list_roles().await.unwrap(), ["dev-role", "prod-role"]);
    jwt.delete_role("dev-role").await.unwrap();

    let config = JwtConfig {
        oidc_discovery_url: Some("https://myco.auth0.com/".into()),
        bound_issuer: Some("https://myco.auth0.com/".into()),
        oidc_client_secret: Some(Secret::new("oidc-client-secret")),
        ..JwtConfig::default()
    };
    assert_hidden("JwtConfig", &config, "oidc-client-secret");
    jwt.write_config(&config).await.unwrap();
    let read = jwt.read_config().await.unwrap().expect("a config");
    assert_eq!(read.oidc_discovery_url.as_deref(), Some("https://myco.auth0.com/"));
    assert_eq!(read.oidc_discovery_ca_pem, None); // the docs print `[]`
    assert_eq!(read.jwt_validation_pubkeys, Some(vec![]));
}

#[tokio::test]
async fn oidc_auth_url_then_callback_without_a_vault_token() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/jwt/oidc/auth_url"))
        .and(NoHeader("X-Vault-Token"))
        .and(body_json(doc_fixture("jwt-oidc-auth-url.request.docs")))
        .respond_with(doc_answer(200, "jwt-oidc-auth-url.docs"))
        .expect(1)
        .mount(&server)
        .await;
    // The docs' sample request: state, code and nonce in the query.
    Mock::given(method("GET"))
        .and(path("/v1/auth/jwt/oidc/callback"))
        .and(NoHeader("X-Vault-Token"))
        .and(query_param("state", "n2kfh3nsl"))
        .and(query_param("code", "mn2ldl2nv98h2jl"))
        .and(query_param("nonce", "ni42i2idj2jj"))
        .respond_with(doc_answer(200, "jwt-oidc-callback.docs"))
        .expect(1)
        .mount(&server)
        .await;
    let jwt = vault.auth().jwt("jwt").unwrap();
    let redirect = "https://vault.myco.com:8200/ui/vault/auth/jwt/oidc/callback";
    let url = jwt.oidc_auth_url("dev-role", redirect, None).await.unwrap();
    assert!(url.starts_with("https://myco.auth0.com/authorize?client_id="), "{url}");
    let callback = OidcCallback::new("n2kfh3nsl", "ni42i2idj2jj", Secret::new("mn2ldl2nv98h2jl"));
    assert_hidden("OidcCallback", &callback, "mn2ldl2nv98h2jl");
    let logged_in = jwt.oidc_callback(&callback).await.unwrap();
    assert_eq!(logged_in.client.token().unwrap().expose(), "f33f8c72-924e-11f8-cb43-ac59d697597c");
    assert_eq!(logged_in.auth.policies, ["default", "dev", "prod"]);
}

#[tokio::test]
async fn a_refused_callback_is_sent_once_and_hides_the_code() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/auth/jwt/oidc/callback"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"errors": ["bad code mn2ldl2nv98h2jl"]})))
        .expect(1)
        .mount(&server)
        .await;
    let jwt = vault.auth().jwt("jwt").unwrap();
    let callback = OidcCallback::new("s", "n", Secret::new("mn2ldl2nv98h2jl"));
    let err = jwt.oidc_callback(&callback).await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    let text = format!("{err} {err:?}");
    assert!(!text.contains("mn2ldl2nv98h2jl"), "{text}");
}

#[tokio::test]
async fn bad_names_and_empty_codes_are_refused_before_sending() {
    let (server, vault) = setup().await;
    nothing_sent(&server).await;
    let jwt = vault.auth().jwt("jwt").unwrap();
    for name in BAD_NAMES {
        assert!(jwt.delete_role(name).await.unwrap_err().to_string().contains("JWT role"), "{name:?}");
        assert!(jwt.read_role(name).await.is_err());
        assert!(jwt.write_role(name, &JwtRole::default()).await.is_err());
    }
    assert!(jwt.oidc_auth_url("", "https://x/cb", None).await.unwrap_err().to_string().contains("JWT role"));
    assert!(jwt.oidc_auth_url("r", "", None).await.unwrap_err().to_string().contains("OIDC redirect URI"));
    let err = jwt.oidc_callback(&OidcCallback::new("s", "n", Secret::new(""))).await.unwrap_err();
    assert_eq!(err.to_string(), "invalid OIDC authorization code \"\": must not be empty");
    assert!(jwt.oidc_callback(&OidcCallback::new("", "n", Secret::new("c"))).await.is_err());
}
