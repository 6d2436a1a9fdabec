//! sys/leases: list, lookup of a missing lease, revoke-prefix, revoke-force
//! and tidy, on the recorded Vault 1.8 bodies.

use vault_client::ClientError;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{EmptyBody, answer, fixture, no_content, setup};

#[tokio::test]
async fn list_returns_the_recorded_lease_ids_with_or_without_a_trailing_slash() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/leases/lookup/nomad/creds/developer"))
        .and(query_param("list", "true"))
        .respond_with(answer(200, "sys-leases-list-nomad-developer"))
        .expect(2)
        .mount(&server)
        .await;
    for prefix in ["nomad/creds/developer", "nomad/creds/developer/"] {
        assert_eq!(vault.sys().leases().list(prefix).await.unwrap(), ["TaAadHUmJTTlMUEOueQDmQ2V"]);
    }
    // Nothing under a prefix: Vault's plain 404, an empty list.
    Mock::given(method("GET"))
        .and(path("/v1/sys/leases/lookup/consul/creds"))
        .respond_with(answer(404, "kv2-list-missing"))
        .mount(&server)
        .await;
    assert!(vault.sys().leases().list("consul/creds").await.unwrap().is_empty());
}

#[tokio::test]
async fn lookup_of_a_lease_that_does_not_exist_is_lease_gone() {
    let (server, vault) = setup().await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/leases/lookup"))
        .and(body_json(fixture("sys-leases-lookup-missing.request")))
        .respond_with(answer(400, "sys-leases-lookup-missing"))
        .mount(&server)
        .await;
    let err = vault.sys().leases().lookup("nomad/creds/admin/doesnotexist").await.unwrap_err();
    assert!(err.is_lease_gone(), "{err}");
    assert_eq!(err.status(), Some(400));
}

#[tokio::test]
async fn revoke_prefix_and_force_send_the_folder_without_its_slash() {
    let (server, vault) = setup().await;
    // The recorded call (row 155) sent the prefix without a trailing slash.
    Mock::given(method("PUT"))
        .and(path("/v1/sys/leases/revoke-prefix/nomad/creds/admin"))
        .and(EmptyBody)
        .respond_with(no_content())
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/leases/revoke-force/consul/creds/admin"))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    vault.sys().leases().revoke_prefix("nomad/creds/admin").await.unwrap();
    vault.sys().leases().revoke_prefix("nomad/creds/admin/").await.unwrap();
    vault.sys().leases().revoke_force("consul/creds/admin").await.unwrap();
}

#[tokio::test]
async fn empty_and_cleaned_prefixes_are_refused_before_sending() {
    let (server, vault) = setup().await;
    let leases = vault.sys().leases();
    for prefix in ["", "/", "//", "/nomad", "nomad//creds", "nomad/../sys", "nomad/./creds", "..", "nomad/creds\n"] {
        for err in [
            leases.revoke_prefix(prefix).await.unwrap_err(),
            leases.revoke_force(prefix).await.unwrap_err(),
            leases.list(prefix).await.unwrap_err(),
        ] {
            assert!(err.to_string().contains("lease prefix"), "{prefix:?}: {err}");
            assert!(err.core().is_some_and(|c| matches!(c, client_core::Error::InvalidInput { .. })), "{err}");
        }
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn odd_characters_in_a_prefix_are_escaped_not_interpreted() {
    let (server, vault) = setup().await;
    Mock::given(method("PUT")).respond_with(no_content()).mount(&server).await;
    vault.sys().leases().revoke_prefix("db/creds/a b%2Fc?x").await.unwrap();
    let sent = server.received_requests().await.unwrap();
    assert_eq!(sent[0].url.path(), "/v1/sys/leases/revoke-prefix/db/creds/a%20b%252Fc%3Fx");
    assert!(sent[0].url.query().is_none());
}

#[tokio::test]
async fn tidy_accepts_vaults_202() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/sys/leases/tidy"))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    vault.sys().leases().tidy().await.unwrap();
}
