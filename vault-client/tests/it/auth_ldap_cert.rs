//! LDAP (login, config, groups, users) and TLS certificate auth (login over
//! mutual TLS, cert roles): the API docs' shapes (tests/fixtures/vault-docs/
//! ldap-*, cert-*), a real TLS handshake with a client certificate
//! (test_support::tls).

use serde_json::json;
use test_support::tls::{Ca, Reply, TlsServer, Usage};
use vault_client::auth::{CertRole, LdapConfig, LdapUser, TokenParams};
use vault_client::{ClientConfig, RetryPolicy, Secret, VaultClient};
use wiremock::Mock;
use wiremock::matchers::{body_json, method, path};

use crate::auth_support::{BAD_NAMES, assert_hidden, expect, nothing_sent};
use crate::common::{NoHeader, doc_answer, doc_fixture, raw, setup};

#[tokio::test]
async fn ldap_login_sends_no_token_and_hides_the_password() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/ldap/login/mitchellh"))
        .and(NoHeader("X-Vault-Token"))
        .and(body_json(doc_fixture("ldap-login.request.docs")))
        .respond_with(doc_answer(200, "ldap-login.docs"))
        .expect(1)
        .mount(&server)
        .await;
    let ldap = vault.auth().ldap("ldap").unwrap();
    let password = Secret::new("MyPassword1");
    let alice = ldap.login("mitchellh", &password).await.unwrap();
    assert_eq!(alice.client.token().unwrap().expose(), "c4f280f6-fdb2-18eb-89d3-589e2e834cdb");
    assert_eq!(alice.auth.policies, ["admins", "default"]);
    assert_hidden("LDAP LoggedIn", &alice, "c4f280f6-fdb2-18eb-89d3-589e2e834cdb");
}

#[tokio::test]
async fn ldap_config_groups_and_users() {
    let (server, vault) = setup().await;
    let mut written = doc_fixture("ldap-config-write.request.docs");
    written["bindpass"] = json!("bind-secret");
    expect(&server, "POST", "/v1/auth/ldap/config", Some(written), None).await;
    expect(&server, "GET", "/v1/auth/ldap/config", None, Some(doc_answer(200, "ldap-config-read.docs"))).await;
    let policies = doc_fixture("ldap-group-write.request.docs");
    expect(&server, "POST", "/v1/auth/ldap/groups/admins", Some(policies.clone()), None).await;
    expect(&server, "GET", "/v1/auth/ldap/groups/admins", None, Some(doc_answer(200, "ldap-group-read.docs"))).await;
    expect(&server, "LIST", "/v1/auth/ldap/groups", None, Some(doc_answer(200, "ldap-group-list.docs"))).await;
    expect(&server, "DELETE", "/v1/auth/ldap/groups/admins", None, None).await;
    let user = json!({"policies": "admin,default", "groups": "dba,ops"});
    expect(&server, "POST", "/v1/auth/ldap/users/mitchellh", Some(user), None).await;
    expect(&server, "GET", "/v1/auth/ldap/users/mitchellh", None, Some(doc_answer(200, "ldap-user-read.docs"))).await;
    expect(&server, "LIST", "/v1/auth/ldap/users", None, Some(doc_answer(200, "ldap-user-list.docs"))).await;
    expect(&server, "DELETE", "/v1/auth/ldap/users/mitchellh", None, None).await;

    let ldap = vault.auth().ldap("ldap").unwrap();
    let config = LdapConfig {
        url: Some("ldaps://ldap.myorg.com:636".into()),
        userdn: Some("ou=Users,dc=example,dc=com".into()),
        userattr: Some("samaccountname".into()),
        groupdn: Some("ou=Groups,dc=example,dc=com".into()),
        groupattr: Some("cn".into()),
        groupfilter: Some("(&(objectClass=group)(member:1.2.840.113556.1.4.1941:={{.UserDN}}))".into()),
        binddn: Some("cn=vault,ou=Users,dc=example,dc=com".into()),
        bindpass: Some(Secret::new("bind-secret")),
        starttls: Some(false),
        insecure_tls: Some(false),
        tls_min_version: Some("tls12".into()),
        tls_max_version: Some("tls12".into()),
        discoverdn: Some(false),
        deny_null_bind: Some(true),
        username_as_alias: Some(false),
        max_page_size: Some(1000),
        ..LdapConfig::default()
    };
    assert_hidden("LdapConfig", &config, "bind-secret");
    ldap.write_config(&config).await.unwrap();
    let read = ldap.read_config().await.unwrap().expect("a config");
    assert_eq!(read.url.as_deref(), Some("ldaps://ldap.myorg.com:636"));
    assert_eq!(read.bindpass.as_ref().map(Secret::expose), Some(""));
    assert_eq!(read.groupfilter, config.groupfilter);

    ldap.write_group("admins", &["admin", "default"]).await.unwrap();
    assert_eq!(ldap.read_group("admins").await.unwrap().unwrap(), ["admin", "default"]);
    assert_eq!(ldap.list_groups().await.unwrap(), ["scientists", "engineers"]);
    ldap.delete_group("admins").await.unwrap();
    let user = LdapUser { policies: vec!["admin".into(), "default".into()], groups: vec!["dba".into(), "ops".into()] };
    ldap.write_user("mitchellh", &user).await.unwrap();
    let read = ldap.read_user("mitchellh").await.unwrap().unwrap();
    assert_eq!(read, LdapUser { policies: vec!["admin".into(), "default".into()], groups: vec![] }); // groups ""
    assert_eq!(ldap.list_users().await.unwrap(), ["mitchellh", "armon"]);
    ldap.delete_user("mitchellh").await.unwrap();
}

#[tokio::test]
async fn cert_roles_crud() {
    let (server, vault) = setup().await;
    let mut written = doc_fixture("cert-role-write.request.docs");
    let cidrs = written.as_object_mut().unwrap().remove("bound_cidrs").unwrap(); // legacy name
    written["token_bound_cidrs"] = cidrs;
    expect(&server, "POST", "/v1/auth/cert/certs/test-ca", Some(written.clone()), None).await;
    expect(&server, "GET", "/v1/auth/cert/certs/test-ca", None, Some(doc_answer(200, "cert-role-read.docs"))).await;
    expect(&server, "LIST", "/v1/auth/cert/certs", None, Some(doc_answer(200, "cert-role-list.docs"))).await;
    expect(&server, "DELETE", "/v1/auth/cert/certs/test-ca", None, None).await;
    let cert = vault.auth().cert("cert").unwrap();
    let role = CertRole {
        display_name: Some("test".into()),
        token: TokenParams {
            token_bound_cidrs: Some(vec!["127.0.0.1/32".into(), "128.252.0.0/16".into()]),
            ..TokenParams::default()
        },
        ..CertRole::new(written["certificate"].as_str().unwrap())
    };
    cert.write_role("test-ca", &role).await.unwrap();
    let read = cert.read_role("test-ca").await.unwrap().unwrap();
    assert_eq!(read.display_name.as_deref(), Some("test"));
    assert!(read.required_extensions.is_empty()); // "" in the docs' legacy answer
    assert_eq!(cert.list_roles().await.unwrap(), ["cert1", "cert2"]);
    cert.delete_role("test-ca").await.unwrap();
}

#[tokio::test]
async fn cert_login_presents_the_configured_client_certificate() {
    let server_ca = Ca::new("vault CA");
    let client_ca = Ca::new("machines CA");
    let machine = client_ca.issue(&["machine.example"], Usage::Client);
    let body = raw("vault-docs", "cert-login.docs.json");
    let server = TlsServer::new(&server_ca.issue(&["127.0.0.1"], Usage::Server))
        .require_client_cert(&client_ca)
        .reply(Reply::Json(body))
        .start()
        .await;
    let config = ClientConfig::new(&server.url(), "X-Vault-Token")
        .unwrap()
        .with_ca_pem(server_ca.pem().into_bytes())
        .with_client_identity(machine.pem().into_bytes(), machine.key_pem())
        .with_retry(RetryPolicy::disabled());
    let vault = VaultClient::new(config).unwrap();
    let logged_in = vault.auth().cert("cert").unwrap().login(Some("cert1")).await.unwrap();
    assert_eq!(logged_in.client.token().unwrap().expose(), "cf95f87d-f95b-47ff-b1f5-ba7bff850425");
    assert_eq!(logged_in.auth.policies, ["web", "stage"]);
    let heads = server.heads();
    assert!(heads[0].starts_with("POST /v1/auth/cert/login "), "{heads:?}");
    assert!(!heads[0].to_ascii_lowercase().contains("x-vault-token"), "{heads:?}");
}

#[tokio::test]
async fn cert_login_without_a_certificate_or_over_http_is_refused_before_sending() {
    let (server, vault) = setup().await;
    nothing_sent(&server).await;
    let err = vault.auth().cert("cert").unwrap().login(None).await.unwrap_err();
    assert!(
        err.to_string().contains("TLS client certificate") && err.to_string().contains("VAULT_CLIENT_CERT"),
        "{err}"
    );
    let machine = Ca::new("machines CA").issue(&["machine.example"], Usage::Client);
    let config = ClientConfig::new(&server.uri(), "X-Vault-Token")
        .unwrap()
        .with_client_identity(machine.pem().into_bytes(), machine.key_pem());
    let plain = VaultClient::new(config).unwrap();
    let err = plain.auth().cert("cert").unwrap().login(Some("cert1")).await.unwrap_err();
    assert!(err.to_string().contains("must be https://"), "{err}");
}

#[tokio::test]
async fn bad_names_non_pem_and_empty_passwords_are_refused_before_sending() {
    let (server, vault) = setup().await;
    nothing_sent(&server).await;
    let ldap = vault.auth().ldap("ldap").unwrap();
    let cert = vault.auth().cert("cert").unwrap();
    let pem = CertRole::new("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----");
    for name in BAD_NAMES {
        assert!(ldap.login(name, &Secret::new("pw")).await.unwrap_err().to_string().contains("username"), "{name:?}");
        assert!(ldap.write_group(name, &["p"]).await.unwrap_err().to_string().contains("LDAP group"), "{name:?}");
        assert!(ldap.read_group(name).await.is_err());
        assert!(ldap.delete_group(name).await.is_err());
        assert!(ldap.write_user(name, &LdapUser::default()).await.unwrap_err().to_string().contains("LDAP user"));
        assert!(ldap.read_user(name).await.is_err());
        assert!(ldap.delete_user(name).await.is_err());
        assert!(cert.write_role(name, &pem).await.unwrap_err().to_string().contains("cert role"), "{name:?}");
        assert!(cert.read_role(name).await.is_err());
        assert!(cert.delete_role(name).await.is_err());
    }
    let err = ldap.login("alice", &Secret::new("")).await.unwrap_err();
    assert_eq!(err.to_string(), "invalid LDAP password \"\": must not be empty");
    let err = cert.write_role("ca", &CertRole::new("not a pem")).await.unwrap_err();
    assert!(err.to_string().contains("not a PEM certificate"), "{err}");
    assert!(vault.auth().ldap("..").is_err() && vault.auth().cert("a//b").is_err());
}
