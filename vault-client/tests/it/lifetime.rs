//! The lifetime watcher against recorded answers (its schedule is tested on
//! a paused clock in src/lifetime.rs): a token is renewed with
//! renew-self by its own client and revoked with revoke-self on close; a
//! lease is renewed and revoked through sys/leases.

use std::time::Duration;

use vault_client::lifetime::{LifetimeWatcher, WatchState, Watched};
use vault_client::{Lease, TokenCreateRequest};
use wiremock::Mock;
use wiremock::matchers::{body_json, header, method, path};

use crate::common::{answer, fixture, no_content, setup};

const CHILD: &str = "s.GPWYCdtyOHXbnqpBhqe5yH0C";

#[tokio::test]
async fn a_token_is_renewed_at_once_by_its_client_and_revoked_on_close() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/token/create"))
        .respond_with(answer(200, "token-create-child"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/token/renew-self"))
        .and(header("X-Vault-Token", CHILD))
        .respond_with(answer(200, "token-renew-self"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/token/revoke-self"))
        .and(header("X-Vault-Token", CHILD))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    let login = vault.auth().token().create(&TokenCreateRequest::default()).await.unwrap();
    assert_eq!(login.auth.client_token.expose(), CHILD);
    let watcher = LifetimeWatcher::builder(login).start().unwrap();
    let status = watcher.status().wait_for(|s| s.renewals == 1).await.unwrap().clone();
    assert!(matches!(status.state, WatchState::Active));
    assert_eq!(status.ttl, Duration::from_secs(7200));
    assert!(!format!("{status:?} {watcher:?}").contains(CHILD), "the token stays out of Debug");
    watcher.close().await.unwrap();
}

#[tokio::test]
async fn a_lease_is_renewed_through_sys_leases_and_revoked_on_close() {
    let (server, vault) = setup().await;
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
    let lease = Lease {
        id: "nomad/creds/developer/TaAadHUmJTTlMUEOueQDmQ2V".into(),
        duration: Duration::from_secs(3600),
        renewable: true,
    };
    let watcher =
        LifetimeWatcher::builder(Watched::lease(&vault, lease)).increment(Duration::from_secs(7200)).start().unwrap();
    let status = watcher.status().wait_for(|s| s.renewals == 1).await.unwrap().clone();
    assert_eq!(status.ttl, Duration::from_secs(7200));
    watcher.close().await.unwrap();
}

#[tokio::test]
async fn a_lease_gone_ends_the_watch_as_failed() {
    let (server, vault) = setup().await;
    Mock::given(method("PUT"))
        .and(path("/v1/sys/leases/renew"))
        .respond_with(answer(400, "consul-maxttl-renew-after-expiry"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT")).and(path("/v1/sys/leases/revoke")).respond_with(no_content()).mount(&server).await;
    let lease = Lease { id: "consul/creds/short/x".into(), duration: Duration::from_secs(2), renewable: true };
    let watcher = LifetimeWatcher::builder(Watched::lease(&vault, lease)).start().unwrap();
    let status = watcher.status().wait_for(|s| s.state.is_done()).await.unwrap().clone();
    assert!(matches!(&status.state, WatchState::Failed(e) if e.is_lease_gone()), "{:?}", status.state);
    watcher.close().await.unwrap();
}
