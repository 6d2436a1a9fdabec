//! Dynamic Nomad and Consul credentials and their leases.

use std::time::Duration;

use vault_client::Error;
use wiremock::Mock;
use wiremock::matchers::{body_json, header, method, path};

use crate::common::{ROOT, answer, fixture, no_content, setup};

#[tokio::test]
async fn nomad_and_consul_creds_come_with_their_lease() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/nomad/creds/admin"))
        .and(header("X-Vault-Token", ROOT))
        .respond_with(answer(200, "nomad-creds-admin"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/consul/creds/admin"))
        .and(header("X-Vault-Token", ROOT))
        .respond_with(answer(200, "consul-creds-admin"))
        .expect(1)
        .mount(&server)
        .await;
    let nomad = vault.secrets().nomad_creds("admin").await.unwrap();
    assert_eq!(nomad.data.accessor_id, "0e021640-0c71-b05b-9365-0827b8c57f3c");
    assert_eq!(nomad.data.secret_id.expose(), "8b19b214-c470-a00f-8e72-03d15fe1c5af");
    assert_eq!(nomad.lease.id, "nomad/creds/admin/kRkfb1wM9b7Esv24D8N8QCsJ");
    assert_eq!(nomad.lease.duration, Duration::from_secs(3600));
    assert!(nomad.lease.renewable);
    let consul = vault.secrets().consul_creds("admin").await.unwrap();
    assert_eq!(consul.data.accessor, "4573d8ad-bca0-5fe3-92e9-48941e6aad76");
    assert_eq!(consul.data.token.expose(), "cd96c3d8-f413-6c1b-a8b4-8af2843146a9");
    assert_eq!(consul.lease.id, "consul/creds/admin/kEBKWvguyOSVOIuN3HjppJRw");
}

#[tokio::test]
async fn creds_for_an_unknown_role_is_an_error_and_not_retried() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/consul/creds/nope"))
        .respond_with(answer(400, "consul-creds-missing-role"))
        .expect(1)
        .mount(&server)
        .await;
    let err = vault.secrets().consul_creds_at("consul/", "nope").await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 400, .. }), "{err:?}");
    assert_eq!(err.to_string(), "GET /v1/consul/creds/nope failed with HTTP 400: role \"nope\" not found");
}

#[tokio::test]
async fn lease_lookup_renew_revoke() {
    let (server, vault) = setup().await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/leases/lookup"))
        .and(body_json(fixture("sys-leases-lookup.request")))
        .respond_with(answer(200, "sys-leases-lookup"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/leases/renew"))
        .and(body_json(fixture("sys-leases-renew.request")))
        .respond_with(answer(200, "sys-leases-renew"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/leases/revoke"))
        .and(body_json(fixture("sys-leases-revoke.request")))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/leases/lookup"))
        .and(body_json(fixture("sys-leases-lookup-revoked.request")))
        .respond_with(answer(400, "sys-leases-lookup-revoked"))
        .mount(&server)
        .await;
    let leases = vault.sys().leases();
    let id = "nomad/creds/developer/TaAadHUmJTTlMUEOueQDmQ2V";
    let info = leases.lookup(id).await.unwrap();
    assert_eq!((info.id.as_str(), info.ttl, info.renewable), (id, 3587, true));
    let renewed = leases.renew(id, Some(Duration::from_secs(7200))).await.unwrap();
    assert_eq!(renewed.duration, Duration::from_secs(7200));
    assert_eq!(renewed.id, id);
    leases.revoke(id).await.unwrap();
    let err = leases.lookup(id).await.unwrap_err();
    assert_eq!(err.errors(), ["invalid lease"]);
}

/// The documented AWS creds `data` in the recorded envelope of a leased
/// secret (the docs show `data` only), with `lease_id` and `renewable` as
/// Vault sets them for `path`.
fn aws_answer(path: &str, renewable: bool, security_token: Option<&str>) -> wiremock::ResponseTemplate {
    let mut body = fixture("consul-creds-admin");
    body["data"] = crate::common::doc_fixture("aws-creds.docs")["data"].clone();
    body["data"]["security_token"] = security_token.into();
    body["lease_id"] = format!("{path}/b2Jmd6W3yBYJ1KN8RUoRzSRJ").into();
    body["renewable"] = renewable.into();
    wiremock::ResponseTemplate::new(200).set_body_json(body)
}

#[tokio::test]
async fn aws_iam_and_sts_creds_come_with_their_lease_and_hide_the_keys() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/aws/creds/deploy"))
        .respond_with(aws_answer("aws/creds/deploy", true, None))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/aws/sts/deploy"))
        .and(body_json(serde_json::json!({"role_session_name": "ops", "ttl": "900s"})))
        .respond_with(aws_answer("aws/sts/deploy", false, Some("FwoGZXIvYXdzEXAMPLE")))
        .expect(1)
        .mount(&server)
        .await;
    let secrets = vault.secrets();
    let iam = secrets.aws_creds_at("aws", "deploy").await.unwrap();
    assert_eq!((iam.data.access_key.as_str(), iam.data.secret_key.expose()), ("AKIA...", "xlCs..."));
    assert!(iam.data.security_token.is_none() && iam.lease.renewable);
    assert_eq!(iam.lease.id, "aws/creds/deploy/b2Jmd6W3yBYJ1KN8RUoRzSRJ");
    let request = vault_client::StsRequest {
        role_session_name: Some("ops".into()),
        ttl: Some(Duration::from_secs(900)),
        ..Default::default()
    };
    let sts = secrets.aws_sts_creds_at("aws", "deploy", &request).await.unwrap();
    assert_eq!(sts.data.security_token.as_ref().unwrap().expose(), "FwoGZXIvYXdzEXAMPLE");
    assert!(!sts.lease.renewable, "STS credentials are not renewable");
    let shown = format!("{iam:?} {sts:#?}");
    assert!(!shown.contains("xlCs") && !shown.contains("FwoGZXIv") && shown.contains("AKIA..."), "{shown}");
    assert!(secrets.aws_sts_creds_at("aws", "a/b", &request).await.is_err());
}
