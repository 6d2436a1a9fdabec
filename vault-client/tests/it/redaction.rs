//! No token, password or secret ID ever shows in Debug or Display output.

use std::time::SystemTime;

use vault_client::aws::{AwsCredentials, AwsLogin};
use vault_client::{Error, Secret, VaultClient, VaultClientBuilder};
use wiremock::Mock;
use wiremock::matchers::{method, path};

use crate::common::{ROOT, answer, doc_answer, setup};

/// Every secret the fixtures below carry.
const SECRETS: [&str; 9] = [
    "s.GPWYCdtyOHXbnqpBhqe5yH0C",
    "s.IBjoSVXiYMB8BUBdR3PJdZq2",
    "8b19b214-c470-a00f-8e72-03d15fe1c5af",
    "cd96c3d8-f413-6c1b-a8b4-8af2843146a9",
    "s.cSraLfhm2LQSMOi2a0MRQEfO",
    "correct-horse",
    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "session-token-value",
    "super-secret-root",
];

fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows {secret}: {text}");
    }
}

fn check<T: std::fmt::Debug>(what: &str, value: &T) {
    assert_clean(what, &format!("{value:?}"));
    assert_clean(what, &format!("{value:#?}"));
}

fn check_error(what: &str, err: &Error) {
    check(what, err);
    assert_clean(what, &err.to_string());
}

#[tokio::test]
async fn responses_clients_and_errors_never_show_secrets() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/token/create"))
        .respond_with(answer(200, "token-create-child"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/auth/token/lookup-self"))
        .respond_with(answer(200, "token-lookup-self-child"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/userpass/login/alice"))
        .respond_with(answer(200, "userpass-login"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/nomad/creds/admin"))
        .respond_with(answer(200, "nomad-creds-admin"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/consul/creds/admin"))
        .respond_with(answer(200, "consul-creds-admin"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/data/x"))
        .respond_with(answer(200, "wrap-kv2-read"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/data/denied"))
        .respond_with(answer(403, "error-403-bad-token"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/data/sealed"))
        .respond_with(doc_answer(503, "error-503-sealed"))
        .mount(&server)
        .await;

    let child = vault.auth().token().create(&Default::default()).await.unwrap();
    check("LoggedIn", &child);
    check("AuthInfo", &child.auth);
    check("VaultClient", &child.client);
    let info = child.client.auth().token().lookup_self().await.unwrap();
    check("TokenInfo", &info);
    let login = vault.auth().userpass("userpass").unwrap().login("alice", &Secret::new("correct-horse")).await.unwrap();
    check("userpass LoggedIn", &login);
    let nomad = vault.secrets().nomad_creds("admin").await.unwrap();
    check("Leased<NomadCreds>", &nomad);
    let consul = vault.secrets().consul_creds("admin").await.unwrap();
    check("Leased<ConsulCreds>", &consul);
    let wrapped = vault.with_wrap_ttl(std::time::Duration::from_secs(60)).unwrap();
    let resp = wrapped.read::<serde_json::Value>("secret/data/x").await.unwrap().unwrap();
    check("VaultResponse with wrap_info", &resp);
    check("wrapping VaultClient", &wrapped);

    let privileged = child.client.with_token("super-secret-root");
    check("VaultClient with token", &privileged);
    check_error("403", &privileged.read::<serde_json::Value>("secret/data/denied").await.unwrap_err());
    check_error("sealed", &privileged.read::<serde_json::Value>("secret/data/sealed").await.unwrap_err());
    check_error("bad path", &privileged.read::<serde_json::Value>("a/../b").await.unwrap_err());
    // A body that does not fit the caller's type: the error shows neither the body nor the values.
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct WrongShape {
        secret_id: u64,
    }
    let err = vault.read::<WrongShape>("nomad/creds/admin").await.unwrap_err();
    check_error("decode", &err);
    assert!(err.to_string().starts_with("GET /v1/nomad/creds/admin: cannot decode the response"), "{err}");

    let builder = VaultClientBuilder::new().address(&server.uri()).token("super-secret-root");
    check("VaultClientBuilder", &builder);
    let unreachable = VaultClient::builder().address("http://127.0.0.1:9").token("super-secret-root");
    let unreachable = unreachable.retry(vault_client::RetryPolicy::disabled()).build().unwrap();
    check_error("transport", &unreachable.read::<serde_json::Value>("secret/data/x").await.unwrap_err());

    let creds = AwsCredentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        session_token: Some(Secret::new("session-token-value")),
    };
    let aws = AwsLogin::new("admin", creds);
    check("AwsLogin", &aws);
    check("AwsLoginData", &aws.login_data(SystemTime::now()).unwrap());
    assert_eq!(vault.token().unwrap().expose(), ROOT);
}
