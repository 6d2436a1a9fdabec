//! The database secrets engine: request bodies and answers from the Vault
//! API docs (tests/fixtures/vault-docs/database-*.docs.json, see its
//! README), the leased envelope of `creds` from the recorded Consul creds
//! (the same `logical.Response` path in Vault; the docs show `data` only).

use std::time::Duration;

use serde_json::json;
use vault_client::database::{CredentialType, DatabaseRole, PostgresConnection, StaticRole};
use vault_client::{ClientError, Error};
use wiremock::matchers::{any, body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{doc_answer, doc_fixture, fixture, no_content, setup};

const DOC_PASSWORD: &str = "132ae3ef-5a64-7499-351e-bfe59f3a2a21";

/// The documented `creds` data in the recorded envelope of a leased secret.
fn leased_creds() -> serde_json::Value {
    let mut body = fixture("consul-creds-admin");
    body["data"] = doc_fixture("database-creds.docs")["data"].clone();
    body["lease_id"] = json!("database/creds/readonly/2f6a614c-4aa2-7b19-24b9-ad944a8d4de6");
    body
}

/// Answers every `GET path` with `answer`.
async fn serve(server: &MockServer, p: &str, answer: ResponseTemplate) {
    Mock::given(method("GET")).and(path(p)).respond_with(answer).mount(server).await;
}

/// Answers a LIST (`GET path?list=true`) with a documented body.
async fn serve_list(server: &MockServer, p: &str, name: &str) {
    Mock::given(method("GET"))
        .and(path(p))
        .and(query_param("list", "true"))
        .respond_with(doc_answer(200, name))
        .mount(server)
        .await;
}

/// Expects one `POST path` with exactly `body`, answered 204.
async fn expect_write(server: &MockServer, p: &str, body: &serde_json::Value) {
    Mock::given(method("POST"))
        .and(path(p))
        .and(body_json(body))
        .respond_with(no_content())
        .expect(1)
        .mount(server)
        .await;
}

/// Expects one bodiless `verb path` for each pair, answered 204.
async fn expect_204(server: &MockServer, calls: &[(&str, &str)]) {
    for (verb, p) in calls {
        Mock::given(method(*verb)).and(path(*p)).respond_with(no_content()).expect(1).mount(server).await;
    }
}

#[tokio::test]
async fn connection_config_write_read_list_delete_reset_rotate() {
    let (server, vault) = setup().await;
    // The docs' PostgreSQL sample, allowed_roles sent as the list Vault reads back.
    let mut expected = doc_fixture("database-config-write.request.docs");
    expected["allowed_roles"] = json!(["readonly"]);
    expect_write(&server, "/v1/database/config/patroni", &expected).await;
    serve(&server, "/v1/database/config/patroni", doc_answer(200, "database-config-read.docs")).await;
    Mock::given(method("GET"))
        .and(path("/v1/database/config/gone"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"errors": []})))
        .mount(&server)
        .await;
    serve_list(&server, "/v1/database/config", "database-config-list.docs").await;
    expect_204(
        &server,
        &[
            ("DELETE", "/v1/database/config/patroni"),
            ("POST", "/v1/database/reset/patroni"),
            ("POST", "/v1/database/rotate-root/patroni"),
        ],
    )
    .await;
    let db = vault.database("database/").unwrap();
    let mut connection = PostgresConnection::new("postgresql://{{username}}:{{password}}@localhost:5432/postgres");
    connection.allowed_roles = vec!["readonly".into()];
    connection.max_open_connections = Some(5);
    connection.max_connection_lifetime = Some(Duration::from_secs(5));
    connection.username = Some("username".into());
    connection.password = Some("password".into());
    assert!(!format!("{connection:?}").contains("\"password\""), "{connection:?}");
    db.write_connection("patroni", &connection).await.unwrap();

    let config = db.get_connection("patroni").await.unwrap().expect("a config");
    assert_eq!(config.plugin_name, "mysql-database-plugin"); // the docs' read sample is MySQL's
    assert_eq!(config.allowed_roles, ["readonly"]);
    assert_eq!(config.connection_url(), Some("{{username}}:{{password}}@tcp(127.0.0.1:3306)/"));
    assert_eq!(config.connection_details["username"], "vaultuser");
    assert!(db.get_connection("gone").await.unwrap().is_none());
    assert_eq!(db.list_connections().await.unwrap(), ["db-one", "db-two"]);
    db.delete_connection("patroni").await.unwrap();
    db.reset_connection("patroni").await.unwrap();
    db.rotate_root("patroni").await.unwrap();
}

#[tokio::test]
async fn unsafe_inputs_are_refused_before_sending() {
    let (server, vault) = setup().await;
    Mock::given(any()).respond_with(no_content()).expect(0).mount(&server).await;
    let db = vault.database("database").unwrap();
    let literal = PostgresConnection::new("postgresql://vault:hunter2@localhost:5432/postgres");
    let err = db.write_connection("patroni", &literal).await.unwrap_err();
    assert!(err.to_string().contains("literal password"), "{err}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
    let ok = PostgresConnection::new("postgresql://{{username}}:{{password}}@localhost:5432/postgres");
    for name in ["", "a/b", "..", "."] {
        let err = db.delete_connection(name).await.unwrap_err();
        assert!(err.to_string().contains("database connection"), "{name:?}: {err}");
        assert!(db.write_connection(name, &ok).await.is_err());
        assert!(db.rotate_root(name).await.is_err());
        assert!(db.delete_role(name).await.is_err());
        assert!(db.delete_static_role(name).await.is_err());
        assert!(db.creds(name).await.is_err());
    }
    let empty = DatabaseRole::new("patroni", Vec::<String>::new());
    let err = db.write_role("readonly", &empty).await.unwrap_err();
    assert_eq!(err.to_string(), "invalid database role \"readonly\": needs at least one creation statement");
    let mut unrotated = StaticRole::new("patroni", "app", Duration::from_secs(3600));
    unrotated.rotation_period = None;
    assert!(db.write_static_role("app", &unrotated).await.unwrap_err().to_string().contains("rotation_period"));
    let fast = StaticRole::new("patroni", "app", Duration::from_secs(1));
    assert!(db.write_static_role("app", &fast).await.unwrap_err().to_string().contains("at least 5 seconds"));
    assert!(vault.database("../x").is_err());
}

#[tokio::test]
async fn dynamic_roles_crud() {
    let (server, vault) = setup().await;
    let mut expected = doc_fixture("database-role-write.request.docs");
    // Durations are sent as seconds ("1h" and "3600s" are the same to Vault).
    expected["default_ttl"] = json!("3600s");
    expected["max_ttl"] = json!("86400s");
    expect_write(&server, "/v1/database/roles/readonly", &expected).await;
    serve(&server, "/v1/database/roles/readonly", doc_answer(200, "database-role-read.docs")).await;
    serve(&server, "/v1/database/roles/latest", doc_answer(200, "database-role-read-latest.docs")).await;
    serve_list(&server, "/v1/database/roles", "database-role-list.docs").await;
    expect_204(&server, &[("DELETE", "/v1/database/roles/readonly")]).await;
    let db = vault.database("database").unwrap();
    let role = DatabaseRole::new(
        "mysql",
        ["CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'", "GRANT SELECT ON *.* TO '{{name}}'@'%'"],
    )
    .ttl(Duration::from_secs(3600), Duration::from_secs(86400));
    db.write_role("readonly", &role).await.unwrap();
    let read = db.get_role("readonly").await.unwrap().unwrap();
    assert_eq!(read.db_name, "mysql");
    assert_eq!(read.creation_statements.len(), 2);
    assert_eq!((read.default_ttl, read.max_ttl), (Duration::from_secs(3600), Duration::from_secs(86400)));
    assert_eq!(read.credential_type, None);
    let latest = db.get_role("latest").await.unwrap().unwrap();
    assert_eq!(latest.credential_type, Some(CredentialType::Password));
    assert_eq!(db.list_roles().await.unwrap(), ["dev", "prod"]);
    db.delete_role("readonly").await.unwrap();
}

#[tokio::test]
async fn static_roles_crud_creds_and_rotation() {
    let (server, vault) = setup().await;
    let mut expected = doc_fixture("database-static-role-write.request.docs");
    expected["rotation_period"] = json!("3600s");
    expect_write(&server, "/v1/database/static-roles/app", &expected).await;
    serve(&server, "/v1/database/static-roles/app", doc_answer(200, "database-static-role-read.docs")).await;
    serve(&server, "/v1/database/static-roles/latest", doc_answer(200, "database-static-role-read-latest.docs")).await;
    serve_list(&server, "/v1/database/static-roles", "database-static-role-list.docs").await;
    serve(&server, "/v1/database/static-creds/app", doc_answer(200, "database-static-creds.docs")).await;
    expect_204(&server, &[("POST", "/v1/database/rotate-role/app"), ("DELETE", "/v1/database/static-roles/app")]).await;
    let db = vault.database("database").unwrap();
    let mut role = StaticRole::new("mysql", "static-database-user", Duration::from_secs(3600));
    role.rotation_statements = vec!["ALTER USER \"{{name}}\" WITH PASSWORD '{{password}}';".into()];
    db.write_static_role("app", &role).await.unwrap();
    // The page prints "1h"; Vault answers 3600 (the latest page): both read.
    let read = db.get_static_role("app").await.unwrap().unwrap();
    assert_eq!((read.username.as_str(), read.rotation_period), ("static-user", Some(Duration::from_secs(3600))));
    let latest = db.get_static_role("latest").await.unwrap().unwrap();
    assert_eq!(latest.rotation_period, Some(Duration::from_secs(3600)));
    assert_eq!(latest.credential_type, Some(CredentialType::Password));
    assert_eq!(db.list_static_roles().await.unwrap(), ["dev-static", "prod-static"]);

    let creds = db.static_creds("app").await.unwrap();
    assert_eq!(creds.username, "static-user");
    assert_eq!(creds.password.expose(), DOC_PASSWORD);
    assert_eq!((creds.rotation_period, creds.ttl), (Some(Duration::from_secs(30)), Duration::from_secs(28)));
    assert_eq!(creds.last_vault_rotation.as_deref(), Some("2019-05-06T15:26:42.525302-05:00"));
    let shown = format!("{creds:?} {creds:#?}");
    assert!(!shown.contains(DOC_PASSWORD) && shown.contains("static-user"), "{shown}");
    db.rotate_role("app").await.unwrap();
    db.delete_static_role("app").await.unwrap();
}

#[tokio::test]
async fn creds_come_with_their_lease_and_never_show_the_password() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/database/creds/readonly"))
        .respond_with(ResponseTemplate::new(200).set_body_json(leased_creds()))
        .expect(1)
        .mount(&server)
        .await;
    let creds = vault.database("database").unwrap().creds("readonly").await.unwrap();
    assert_eq!(creds.data.username, "root-1430158508-126");
    assert_eq!(creds.data.password.expose(), DOC_PASSWORD);
    assert_eq!(creds.lease.id, "database/creds/readonly/2f6a614c-4aa2-7b19-24b9-ad944a8d4de6");
    assert_eq!(creds.lease.duration, Duration::from_secs(3600));
    assert!(creds.lease.renewable);
    let shown = format!("{creds:?} {creds:#?} {}", creds.data.password);
    assert!(!shown.contains(DOC_PASSWORD) && shown.contains("root-1430158508-126"), "{shown}");
    let url = creds.data.postgres_url("pg.service.consul", 5432, "app").unwrap();
    assert_eq!(url.expose(), format!("postgresql://root-1430158508-126:{DOC_PASSWORD}@pg.service.consul:5432/app"));
    assert!(!format!("{url} {url:?}").contains(DOC_PASSWORD));
    let redacted = creds.data.postgres_url_redacted("::1", 5432, "app").unwrap();
    assert_eq!(redacted, "postgresql://root-1430158508-126:REDACTED@[::1]:5432/app");
    assert!(creds.data.postgres_url("db", 5432, "a/b").is_err());
}

#[tokio::test]
async fn creds_are_never_retried_and_a_missing_role_is_a_sentence() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/database/creds/flaky"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"errors": ["internal error"]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/database/creds/nope"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"errors": ["unknown role: nope"]})))
        .expect(1)
        .mount(&server)
        .await;
    let db = vault.database("database").unwrap();
    let err = db.creds("flaky").await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    let err = db.creds("nope").await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 400, .. }));
    assert_eq!(err.to_string(), "GET /v1/database/creds/nope failed with HTTP 400: unknown role: nope");
}
