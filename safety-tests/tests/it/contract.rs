//! The client contract (client-core's crate docs, "The client contract"),
//! checked the same way for Nomad, Consul, Vault and Patroni: the same
//! constructors, cheap copies that change one thing, handlers that own
//! their client, one error vocabulary, and nothing secret in `Debug`.
//!
//! Each client runs through one macro, so a client that drifts from the
//! others stops compiling here or fails the same assertion as the others.

use client_core::{ClientConfig, ClientError, RetryPolicy};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request as Seen, ResponseTemplate};

const TOKEN: &str = "contract-token-0123456789";
const OTHER: &str = "contract-other-token-9876543210";

/// What each client's one read needs from the mock: its path and a body.
struct Read {
    path: &'static str,
    body: &'static str,
}

const NOMAD: Read = Read { path: "/v1/status/leader", body: r#""127.0.0.1:4647""# };
const CONSUL: Read = Read { path: "/v1/status/leader", body: r#""127.0.0.1:8300""# };
const VAULT: Read = Read {
    path: "/v1/sys/leader",
    body: r#"{"ha_enabled":false,"is_self":false,"leader_address":"","leader_cluster_address":"","performance_standby":false,"performance_standby_last_remote_wal":0}"#,
};
const PATRONI: Read = Read {
    path: "/patroni",
    body: r#"{"state":"running","role":"replica","server_version":150000,"timeline":1,"patroni":{"version":"3.0.2","scope":"demo"}}"#,
};

async fn answering(read: &Read, status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(read.path))
        .respond_with(ResponseTemplate::new(status).set_body_string(if status == 200 { read.body } else { "nope" }))
        .mount(&server)
        .await;
    server
}

fn token_of(request: &Seen, header_name: &str) -> Option<String> {
    request.headers.get(header_name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// The checks every client passes. `$client` is the client type, `$read`
/// its one read (`|c| async move { c.… }`), `$token_header` where its token
/// travels (None for Patroni, which authenticates with basic auth).
macro_rules! contract {
    ($name:ident, $client:ty, $env:expr, $read:expr, $body:expr, $token_header:expr, $auth:expr) => {
        mod $name {
            use super::*;

            fn builder_for(server: &MockServer) -> <$client as Built>::Builder {
                <$client as Built>::builder().address(&server.uri()).retry(RetryPolicy::disabled())
            }

            #[tokio::test]
            async fn every_constructor_reaches_the_same_server() {
                let server = answering(&$body, 200).await;
                let uri = server.uri();
                let built = ($auth)(builder_for(&server)).build().unwrap();
                ($read)(built.clone()).await.unwrap();
                let config = ClientConfig::new(&uri, "X-Ignored").unwrap().with_token(TOKEN);
                let from_config = <$client>::new(config).unwrap();
                ($read)(from_config).await.unwrap();
                let (addr_var, token_var) = $env;
                let from_lookup = <$client>::from_lookup(|name| {
                    if name == addr_var {
                        Some(uri.clone())
                    } else if Some(name) == token_var {
                        Some(TOKEN.to_owned())
                    } else {
                        None
                    }
                })
                .unwrap();
                ($read)(from_lookup).await.unwrap();
                // `from_env` exists with the same shape (not called: it reads this process's environment).
                let _: fn() -> Result<$client, _> = <$client>::from_env;
                let seen = server.received_requests().await.unwrap();
                assert_eq!(seen.len(), 3);
                if let Some(header_name) = $token_header {
                    for request in &seen[..2] {
                        assert_eq!(token_of(request, header_name).as_deref(), Some(TOKEN), "{header_name}");
                    }
                    if token_var.is_some() {
                        assert_eq!(token_of(&seen[2], header_name).as_deref(), Some(TOKEN));
                    }
                }
            }

            #[tokio::test]
            async fn errors_answer_the_same_questions() {
                for (status, not_found, denied, transient) in
                    [(404, true, false, false), (403, false, true, false), (502, false, false, true)]
                {
                    let server = answering(&$body, status).await;
                    let client = ($auth)(builder_for(&server)).build().unwrap();
                    let err = ($read)(client).await.unwrap_err();
                    assert_eq!(ClientError::status(&err), Some(status), "{err}");
                    assert_eq!(err.is_not_found(), not_found, "{status}: {err}");
                    assert_eq!(err.is_permission_denied(), denied, "{status}: {err}");
                    assert_eq!(err.is_transient(), transient, "{status}: {err}");
                    let printed = format!("{err} {err:?}");
                    assert!(!printed.contains(TOKEN), "{printed}");
                    assert_eq!(server.received_requests().await.unwrap().len(), 1, "retries were disabled");
                }
            }

            #[tokio::test]
            async fn a_bad_address_is_refused_by_build_naming_it() {
                let err = <$client as Built>::builder().address("http://[::1").build().unwrap_err();
                assert!(err.to_string().contains("http://[::1"), "{err}");
                let _: &dyn ClientError = &err;
            }

            #[tokio::test]
            async fn the_client_is_cheap_to_share_across_tasks() {
                fn shareable<T: Clone + Send + Sync + std::fmt::Debug + 'static>(_: &T) {}
                let server = answering(&$body, 200).await;
                let client = builder_for(&server).build().unwrap();
                shareable(&client);
                let handle = tokio::spawn(($read)(client.clone()));
                drop(client);
                handle.await.unwrap().unwrap();
            }
        }
    };
}

/// A copy with another token sends it, and the original keeps its own
/// (Patroni authenticates with basic auth and has no token copies).
macro_rules! token_copies {
    ($name:ident, $client:ty, $read:expr, $body:expr, $header:expr) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn a_copy_with_another_token_leaves_the_original_alone_and_nothing_secret_is_printed() {
                let server = answering(&$body, 200).await;
                let original = <$client as Built>::builder().address(&server.uri()).token(TOKEN).build().unwrap();
                {
                    let header_name = $header;
                    let copy = original.with_token(OTHER);
                    ($read)(copy.clone()).await.unwrap();
                    ($read)(original.clone()).await.unwrap();
                    let seen = server.received_requests().await.unwrap();
                    assert_eq!(token_of(&seen[0], header_name).as_deref(), Some(OTHER));
                    assert_eq!(token_of(&seen[1], header_name).as_deref(), Some(TOKEN));
                    let printed = format!("{copy:?} {original:?}");
                    assert!(!printed.contains(TOKEN) && !printed.contains(OTHER), "{printed}");
                }
            }
        }
    };
}

/// The builder entry point of each client, named the same way.
trait Built {
    type Builder;
    fn builder() -> Self::Builder;
}

impl Built for nomad_client::NomadClient {
    type Builder = nomad_client::NomadClientBuilder;
    fn builder() -> Self::Builder {
        nomad_client::NomadClient::builder()
    }
}
impl Built for consul_client::ConsulClient {
    type Builder = consul_client::ConsulClientBuilder;
    fn builder() -> Self::Builder {
        consul_client::ConsulClient::builder()
    }
}
impl Built for vault_client::VaultClient {
    type Builder = vault_client::VaultClientBuilder;
    fn builder() -> Self::Builder {
        vault_client::VaultClient::builder()
    }
}
impl Built for patroni_client::PatroniClient {
    type Builder = patroni_client::PatroniClientBuilder;
    fn builder() -> Self::Builder {
        patroni_client::PatroniClient::builder()
    }
}

contract!(
    nomad,
    nomad_client::NomadClient,
    ("NOMAD_ADDR", Some("NOMAD_TOKEN")),
    |c: nomad_client::NomadClient| async move { c.status().leader().await.map(drop) },
    NOMAD,
    Some("X-Nomad-Token"),
    |b: nomad_client::NomadClientBuilder| b.token(TOKEN)
);
contract!(
    consul,
    consul_client::ConsulClient,
    ("CONSUL_HTTP_ADDR", Some("CONSUL_HTTP_TOKEN")),
    |c: consul_client::ConsulClient| async move { c.status().leader().await.map(drop) },
    CONSUL,
    Some("X-Consul-Token"),
    |b: consul_client::ConsulClientBuilder| b.token(TOKEN)
);
contract!(
    vault,
    vault_client::VaultClient,
    ("VAULT_ADDR", Some("VAULT_TOKEN")),
    |c: vault_client::VaultClient| async move { c.sys().leader().await.map(drop) },
    VAULT,
    Some("X-Vault-Token"),
    |b: vault_client::VaultClientBuilder| b.token(TOKEN)
);
contract!(
    patroni,
    patroni_client::PatroniClient,
    ("PATRONI_RESTAPI_CONNECT_ADDRESS", None::<&str>),
    |c: patroni_client::PatroniClient| async move { c.status().await.map(drop) },
    PATRONI,
    None::<&str>,
    |b: patroni_client::PatroniClientBuilder| b.basic_auth("patroni", TOKEN)
);
token_copies!(
    nomad_copies,
    nomad_client::NomadClient,
    |c: nomad_client::NomadClient| async move { c.status().leader().await.map(drop) },
    NOMAD,
    "X-Nomad-Token"
);
token_copies!(
    consul_copies,
    consul_client::ConsulClient,
    |c: consul_client::ConsulClient| async move { c.status().leader().await.map(drop) },
    CONSUL,
    "X-Consul-Token"
);
token_copies!(
    vault_copies,
    vault_client::VaultClient,
    |c: vault_client::VaultClient| async move { c.sys().leader().await.map(drop) },
    VAULT,
    "X-Vault-Token"
);

/// The copies that change a namespace exist with one signature (a checked
/// name, `Result`) on the three systems that have namespaces, and the
/// namespace reaches the server the way each API wants it.
#[tokio::test]
async fn with_namespace_is_one_signature_and_reaches_the_server() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs"))
        .and(query_param("namespace", "blue"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .mount(&server)
        .await;
    // Consul takes the namespace as `?ns=` (what the Go client sends) or as
    // the X-Consul-Namespace header.
    Mock::given(method("GET"))
        .and(path("/v1/catalog/services"))
        .and(query_param("ns", "blue"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/catalog/services"))
        .and(header("X-Consul-Namespace", "blue"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(VAULT.path))
        .and(header("X-Vault-Namespace", "blue"))
        .respond_with(ResponseTemplate::new(200).set_body_string(VAULT.body))
        .mount(&server)
        .await;
    let uri = server.uri();
    let nomad = nomad_client::NomadClient::builder().address(&uri).build().unwrap();
    let consul = consul_client::ConsulClient::builder().address(&uri).build().unwrap();
    let vault = vault_client::VaultClient::builder().address(&uri).build().unwrap();
    let nomad_blue: nomad_client::Result<_> = nomad.with_namespace("blue");
    let consul_blue: consul_client::Result<_> = consul.with_namespace("blue");
    let vault_blue: vault_client::Result<_> = vault.with_namespace("blue");
    nomad_blue.unwrap().jobs().list(&nomad_client::QueryOptions::new()).await.unwrap();
    consul_blue.unwrap().catalog().services(&consul_client::QueryOptions::new()).await.unwrap();
    vault_blue.unwrap().sys().leader().await.unwrap();
    for bad in ["", "a\nb"] {
        assert!(nomad.with_namespace(bad).is_err(), "{bad:?}");
        assert!(consul.with_namespace(bad).is_err(), "{bad:?}");
        assert!(vault.with_namespace(bad).is_err(), "{bad:?}");
    }
}

/// Every client crate names its environment the same way.
#[test]
fn every_crate_exposes_env_spec_and_env_vars_at_its_root() {
    assert_eq!(nomad_client::ENV_SPEC.addr, "NOMAD_ADDR");
    assert_eq!(consul_client::ENV_SPEC.addr, "CONSUL_HTTP_ADDR");
    assert_eq!(vault_client::ENV_SPEC.addr, "VAULT_ADDR");
    for vars in [nomad_client::ENV_VARS, consul_client::ENV_VARS, vault_client::ENV_VARS, patroni_client::ENV_VARS] {
        assert!(vars.len() > 5);
    }
    assert!(patroni_client::ENV_VARS.iter().any(|v| v.name == "PATRONI_RESTAPI_CONNECT_ADDRESS"));
}

/// Handlers own a copy of their client: a handler outlives the client it
/// came from and moves into a task.
#[tokio::test]
async fn handlers_are_static() {
    fn owned<T: Send + 'static>(_: &T) {}
    let nomad = nomad_client::NomadClient::builder().build().unwrap();
    let consul = consul_client::ConsulClient::builder().build().unwrap();
    let vault = vault_client::VaultClient::builder().build().unwrap();
    let (jobs, kv, sys) = (nomad.jobs(), consul.kv(), vault.sys());
    drop((nomad, consul, vault));
    owned(&jobs);
    owned(&kv);
    owned(&sys);
}
