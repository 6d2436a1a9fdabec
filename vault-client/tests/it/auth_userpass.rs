//! Userpass user management: the recorded Vault 1.8 user write and read
//! (tests/fixtures/vault) and the API docs' list, password and policies
//! shapes (tests/fixtures/vault-docs/userpass-*).

use std::time::Duration;

use serde_json::json;
use vault_client::Secret;
use vault_client::auth::{TokenParams, UserpassUser};

use crate::auth_support::{BAD_NAMES, assert_hidden, expect, nothing_sent};
use crate::common::{answer, doc_answer, doc_fixture, fixture, setup};

#[tokio::test]
async fn users_crud_password_and_policies() {
    let (server, vault) = setup().await;
    let mut written = fixture("userpass-user-write.request");
    written["token_ttl"] = json!("3600s");
    let alice = "/v1/auth/userpass/users/alice";
    expect(&server, "POST", alice, Some(written.clone()), None).await;
    expect(&server, "GET", alice, None, Some(answer(200, "userpass-user-read"))).await;
    expect(&server, "LIST", "/v1/auth/userpass/users", None, Some(doc_answer(200, "userpass-user-list.docs"))).await;
    let password = doc_fixture("userpass-user-password.request.docs");
    expect(&server, "POST", &format!("{alice}/password"), Some(password.clone()), None).await;
    let policies = doc_fixture("userpass-user-policies.request.docs");
    expect(&server, "POST", &format!("{alice}/policies"), Some(policies), None).await;
    expect(&server, "DELETE", alice, None, None).await;

    let userpass = vault.auth().userpass("userpass").unwrap();
    let recorded_password = written["password"].as_str().unwrap().to_owned();
    let user = UserpassUser::new(
        Secret::new(recorded_password.clone()),
        TokenParams { token_ttl: Some(Duration::from_secs(3600)), ..TokenParams::with_policies(["atala-read"]) },
    );
    assert_hidden("UserpassUser", &user, &recorded_password);
    userpass.write_user("alice", &user).await.unwrap();
    let read = userpass.read_user("alice").await.unwrap().expect("alice");
    assert_eq!(read.token_ttl, Some(Duration::from_secs(3600)));
    assert_eq!(read.token_num_uses, Some(0));
    assert_eq!(read.token_bound_cidrs, Some(vec![]));
    assert_eq!(userpass.list_users().await.unwrap(), ["mitchellh", "armon"]);
    userpass.update_password("alice", &Secret::new(password["password"].as_str().unwrap())).await.unwrap();
    userpass.update_policies("alice", &["policy1", "policy2"]).await.unwrap();
    userpass.delete_user("alice").await.unwrap();
}

#[tokio::test]
async fn an_update_without_password_sends_none() {
    let (server, vault) = setup().await;
    expect(&server, "POST", "/v1/auth/userpass/users/bob", Some(json!({"token_policies": []})), None).await;
    let user = UserpassUser { token: TokenParams::with_policies(Vec::<String>::new()), ..UserpassUser::default() };
    vault.auth().userpass("userpass").unwrap().write_user("bob", &user).await.unwrap();
}

#[tokio::test]
async fn bad_names_and_empty_passwords_are_refused_before_sending() {
    let (server, vault) = setup().await;
    nothing_sent(&server).await;
    let userpass = vault.auth().userpass("userpass").unwrap();
    let password = Secret::new("pw");
    for name in BAD_NAMES {
        let err = userpass.delete_user(name).await.unwrap_err();
        assert!(err.to_string().contains("username"), "{name:?}: {err}");
        assert!(userpass.read_user(name).await.is_err());
        assert!(userpass.write_user(name, &UserpassUser::default()).await.is_err());
        assert!(userpass.update_password(name, &password).await.is_err());
        assert!(userpass.update_policies(name, &["p"]).await.is_err());
    }
    let empty = Secret::new("");
    let err = userpass.update_password("alice", &empty).await.unwrap_err();
    assert_eq!(err.to_string(), "invalid userpass password \"\": must not be empty");
    let user = UserpassUser::new(empty, TokenParams::default());
    assert!(userpass.write_user("alice", &user).await.is_err());
}
