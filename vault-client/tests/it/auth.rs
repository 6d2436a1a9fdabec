//! Auth methods: token, GitHub, AppRole, userpass, JWT/Kubernetes, AWS IAM.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use vault_client::aws::{AwsCredentials, AwsLogin};
use vault_client::{ClientError, Secret, TokenCreateRequest};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Match, Mock, Request};

use crate::common::{EmptyBody, NoHeader, ROOT, answer, doc_answer, fixture, no_content, setup};

const CHILD: &str = "s.GPWYCdtyOHXbnqpBhqe5yH0C";

#[tokio::test]
async fn token_lookup_self_lookup_and_accessor() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/auth/token/lookup-self"))
        .and(header("X-Vault-Token", ROOT))
        .respond_with(answer(200, "token-lookup-self"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/token/lookup"))
        .and(body_json(fixture("token-lookup.request")))
        .respond_with(answer(200, "token-lookup"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/token/lookup-accessor"))
        .and(body_json(fixture("token-lookup-accessor.request")))
        .respond_with(answer(200, "token-lookup-accessor"))
        .expect(1)
        .mount(&server)
        .await;
    let token = vault.auth().token();
    let me = token.lookup_self().await.unwrap();
    assert_eq!(me.policies, ["root"]);
    assert_eq!(me.id.expose(), "root");
    assert!(me.orphan && me.expire_time.is_none() && me.token_type == "service");
    let other = token.lookup(&Secret::new(CHILD)).await.unwrap();
    assert_eq!(other.display_name, "token-atala-testnet-reader");
    let by_accessor = token.lookup_accessor("8M6AUDOJ7kwWkpAIz0JPABK7").await.unwrap();
    assert!(by_accessor.id.is_empty());
    assert_eq!(by_accessor.ttl, 7199);
    assert_eq!(by_accessor.meta.unwrap()["cluster"], "dbHA1");
}

#[tokio::test]
async fn token_create_child_returns_a_client_using_it() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/token/create"))
        .and(header("X-Vault-Token", ROOT))
        .and(body_json(fixture("token-create-child.request")))
        .respond_with(answer(200, "token-create-child"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/auth/token/lookup-self"))
        .and(header("X-Vault-Token", CHILD))
        .respond_with(answer(200, "token-lookup-self-child"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/token/renew-self"))
        .and(header("X-Vault-Token", CHILD))
        .and(body_json(json!({"increment": "7200s"})))
        .respond_with(answer(200, "token-renew-self"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/token/revoke-self"))
        .and(header("X-Vault-Token", CHILD))
        .and(EmptyBody)
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    let request = TokenCreateRequest {
        policies: vec!["atala-read".into()],
        ttl: Some("1h".into()),
        explicit_max_ttl: Some("24h".into()),
        display_name: Some("atala-testnet-reader".into()),
        meta: Some(BTreeMap::from([("cluster".to_owned(), "dbHA1".to_owned())])),
        renewable: Some(true),
        ..TokenCreateRequest::default()
    };
    let child = vault.auth().token().create(&request).await.unwrap();
    assert_eq!(child.auth.accessor, "8M6AUDOJ7kwWkpAIz0JPABK7");
    assert_eq!(child.auth.ttl(), Duration::from_secs(3600));
    assert_eq!(child.client.token().unwrap().expose(), CHILD);
    assert_eq!(child.client.auth().token().lookup_self().await.unwrap().ttl, 3599);
    let renewed = child.client.auth().token().renew_self(Some(Duration::from_secs(7200))).await.unwrap();
    assert_eq!(renewed.lease_duration, 7200);
    child.client.auth().token().revoke_self().await.unwrap();
}

#[tokio::test]
async fn github_login_at_a_custom_mount_sends_no_vault_token() {
    let (server, vault) = setup().await;
    let github_token = Secret::new("ghp_000000000000000000000000000000000000");
    Mock::given(method("POST"))
        .and(path("/v1/auth/github-employees/login"))
        .and(NoHeader("X-Vault-Token"))
        .and(body_json(fixture("github-login-offline.request")))
        .respond_with(doc_answer(200, "github-login"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/auth/token/lookup-self"))
        .and(header("X-Vault-Token", "s.Gh7kQm2ZpL9xR4tW8vN1cB3d"))
        .respond_with(answer(200, "token-lookup-self"))
        .expect(1)
        .mount(&server)
        .await;
    let github = vault.auth().github("github-employees").unwrap();
    let logged_in = github.login(&github_token).await.unwrap();
    assert_eq!(logged_in.auth.metadata.as_ref().unwrap()["username"], "alice");
    assert_eq!(logged_in.auth.policies, ["default", "devops"]);
    logged_in.client.auth().token().lookup_self().await.unwrap();
    // The recording server could not reach GitHub: a POST answering 500 is not retried.
    Mock::given(method("POST"))
        .and(path("/v1/auth/github-employees/login"))
        .respond_with(answer(500, "github-login-offline"))
        .expect(1)
        .mount(&server)
        .await;
    let err = github.login(&github_token).await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert!(err.to_string().contains("lookup api.github.com"), "{err}");
}

#[tokio::test]
async fn approle_login_and_bad_secret() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/approle/login"))
        .and(NoHeader("X-Vault-Token"))
        .and(body_json(fixture("approle-login.request")))
        .respond_with(answer(200, "approle-login"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/approle/login"))
        .and(body_json(fixture("approle-login-bad-secret.request")))
        .respond_with(answer(400, "approle-login-bad-secret"))
        .expect(1)
        .mount(&server)
        .await;
    let approle = vault.auth().approle("approle").unwrap();
    let role_id = "f55b4acb-a9ac-8fab-72bc-0e2138d3ffef";
    let ok = approle.login(role_id, &Secret::new("267003b6-639b-14f2-aa9a-f19dff847fc0")).await.unwrap();
    assert_eq!(ok.client.token().unwrap().expose(), "s.lOorrexW5B6mtKUpjXa706TQ");
    assert_eq!(ok.auth.metadata.unwrap()["role_name"], "atala-testnet");
    let err = approle.login(role_id, &Secret::new("00000000-0000-0000-0000-000000000000")).await.unwrap_err();
    assert_eq!(err.errors(), ["invalid secret id"]);
}

#[tokio::test]
async fn userpass_login_and_bad_password() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/userpass/login/alice"))
        .and(body_json(fixture("userpass-login.request")))
        .respond_with(answer(200, "userpass-login"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/userpass/login/alice"))
        .and(body_json(fixture("userpass-login-bad-password.request")))
        .respond_with(answer(400, "userpass-login-bad-password"))
        .expect(1)
        .mount(&server)
        .await;
    let userpass = vault.auth().userpass("userpass").unwrap();
    let ok = userpass.login("alice", &Secret::new("correct-horse")).await.unwrap();
    assert_eq!(ok.auth.token_policies, ["atala-read", "default"]);
    let bad = fixture("userpass-login-bad-password.request")["password"].as_str().unwrap().to_owned();
    let err = userpass.login("alice", &Secret::new(bad.clone())).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("invalid username or password") && !text.contains(&bad), "{text}");
}

#[tokio::test]
async fn kubernetes_login_sends_role_and_jwt() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/kubernetes/login"))
        .and(body_json(json!({"role": "atala-testnet", "jwt": "eyJhbGciOiJSUzI1NiJ9.e30.sig"})))
        .respond_with(answer(200, "approle-login"))
        .expect(1)
        .mount(&server)
        .await;
    let k8s = vault.auth().kubernetes("kubernetes").unwrap();
    let ok = k8s.login("atala-testnet", &Secret::new("eyJhbGciOiJSUzI1NiJ9.e30.sig")).await.unwrap();
    assert_eq!(ok.auth.accessor, "OGiRGXv3Y6RFJHFUzSAfYLr6");
}

/// Checks the AWS IAM login body: base64 parts of a signed GetCallerIdentity.
struct AwsLoginBody;

impl Match for AwsLoginBody {
    fn matches(&self, request: &Request) -> bool {
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(&request.body) else { return false };
        let decode =
            |k: &str| String::from_utf8(STANDARD.decode(body[k].as_str().unwrap_or_default()).unwrap()).unwrap();
        let headers: BTreeMap<String, Vec<String>> = serde_json::from_str(&decode("iam_request_headers")).unwrap();
        let auth = &headers["authorization"][0];
        body["role"] == "admin"
            && body["iam_http_request_method"] == "POST"
            && decode("iam_request_url") == "https://sts.amazonaws.com/"
            && decode("iam_request_body") == "Action=GetCallerIdentity&Version=2011-06-15"
            && headers["Content-Type"] == ["application/x-www-form-urlencoded; charset=utf-8"]
            && headers["X-Vault-AWS-IAM-Server-ID"] == ["vault.example.com"]
            && headers["x-amz-security-token"] == ["session-token-value"]
            && auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
            && auth.contains("/us-east-1/sts/aws4_request")
            && auth.contains("x-vault-aws-iam-server-id")
    }
}

#[tokio::test]
async fn aws_iam_login_sends_a_signed_get_caller_identity() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/aws/login"))
        .and(NoHeader("X-Vault-Token"))
        .and(AwsLoginBody)
        .respond_with(answer(200, "approle-login"))
        .expect(1)
        .mount(&server)
        .await;
    let creds = AwsCredentials::from_lookup(|name| match name {
        "AWS_ACCESS_KEY_ID" => Some("AKIDEXAMPLE".into()),
        "AWS_SECRET_ACCESS_KEY" => Some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into()),
        "AWS_SESSION_TOKEN" => Some("session-token-value".into()),
        _ => None,
    })
    .unwrap();
    let login = AwsLogin::new("admin", creds).with_server_id("vault.example.com");
    let ok = vault.auth().aws("aws").unwrap().login(&login).await.unwrap();
    assert_eq!(ok.client.token().unwrap().expose(), "s.lOorrexW5B6mtKUpjXa706TQ");
    let err = AwsCredentials::from_lookup(|_| None).unwrap_err();
    assert!(err.to_string().contains("AWS_ACCESS_KEY_ID is not set"), "{err}");
}

#[tokio::test]
async fn token_expired_mid_sequence_is_permission_denied() {
    let (server, vault) = setup().await;
    let vault = vault.with_token(CHILD);
    Mock::given(method("GET"))
        .and(path("/v1/auth/token/lookup-self"))
        .and(header("X-Vault-Token", CHILD))
        .respond_with(answer(200, "token-lookup-self-child"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/data/atala-testnet/dbHA1"))
        .respond_with(answer(200, "kv2-read-with-limited-token"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    // After the first calls the token is revoked: every call answers 403.
    Mock::given(method("GET"))
        .and(path("/v1/secret/data/atala-testnet/dbHA1"))
        .respond_with(answer(403, "error-403-bad-token"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/auth/token/lookup-self"))
        .respond_with(answer(403, "token-lookup-self-revoked"))
        .mount(&server)
        .await;
    let kv = vault.kv2("secret").unwrap();
    vault.auth().token().lookup_self().await.unwrap();
    assert!(kv.read::<serde_json::Value>("atala-testnet/dbHA1").await.unwrap().is_some());
    let err = kv.read::<serde_json::Value>("atala-testnet/dbHA1").await.unwrap_err();
    assert!(err.is_permission_denied(), "{err:?}");
    assert!(err.to_string().starts_with("permission denied on secret/data/atala-testnet/dbHA1"), "{err}");
    assert!(vault.auth().token().lookup_self().await.unwrap_err().is_permission_denied());
}
