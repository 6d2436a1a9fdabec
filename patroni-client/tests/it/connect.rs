//! Building a member client: the builder, `new(ClientConfig)`, and the
//! environment as Patroni and patronictl name it (read through `from_lookup`).

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use client_core::{ClientConfig, Support};
use patroni_client::{ClientError, DEFAULT_ADDRESS, ENV_SPEC, ENV_VARS, PatroniClient, PatroniClientBuilder};
use test_support::tls::{Ca, Reply, TlsServer, Usage};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::FIXTURES;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |k| map.get(k).cloned()
}

#[test]
fn every_read_variable_is_asked_for_and_every_other_has_a_reason() {
    let asked = Mutex::new(BTreeSet::new());
    PatroniClient::from_lookup(|name| {
        asked.lock().unwrap().insert(name.to_owned());
        None
    })
    .unwrap();
    let asked = asked.into_inner().unwrap();
    for var in ENV_VARS {
        match var.support {
            Support::Read(what) => {
                assert!(asked.contains(var.name), "{} is listed as read but never asked for", var.name);
                assert!(!what.trim().is_empty(), "{} says nothing about what it sets", var.name);
            }
            Support::NotSupported(why) => {
                assert!(!asked.contains(var.name), "{} is listed as not supported but is read", var.name);
                assert!(!why.trim().is_empty(), "{} is not supported without a reason", var.name);
            }
        }
    }
    let mut in_spec = vec![ENV_SPEC.connect_address, ENV_SPEC.server_certfile, ENV_SPEC.certfile, ENV_SPEC.keyfile];
    in_spec.push(ENV_SPEC.insecure);
    in_spec.extend(ENV_SPEC.auth.iter().flat_map(|(user, password)| [*user, *password]));
    in_spec.extend(ENV_SPEC.cacert);
    for name in in_spec {
        let listed = ENV_VARS.iter().find(|v| v.name == name);
        assert!(
            matches!(listed.map(|v| v.support), Some(Support::Read(_))),
            "{name} of ENV_SPEC is not listed as read"
        );
    }
}

#[test]
fn nothing_set_means_patroni_s_default_port_on_loopback() {
    let client = PatroniClient::from_lookup(env(&[])).unwrap();
    assert_eq!(client.url(), DEFAULT_ADDRESS);
    let config = client.http().config();
    assert!(config.basic_auth.is_none() && !config.tls.insecure_skip_verify);
    assert_eq!(config.timeout, Duration::from_secs(10));
}

#[test]
fn the_connect_address_is_host_port_and_https_when_the_server_has_a_certificate() {
    let client = PatroniClient::from_lookup(env(&[("PATRONI_RESTAPI_CONNECT_ADDRESS", "10.0.0.4:8008")])).unwrap();
    assert_eq!(client.url(), "http://10.0.0.4:8008");
    let client = PatroniClient::from_lookup(env(&[
        ("PATRONI_RESTAPI_CONNECT_ADDRESS", "10.0.0.4:8008"),
        ("PATRONI_RESTAPI_CERTFILE", "/etc/patroni/rest.pem"),
    ]))
    .unwrap();
    assert_eq!(client.url(), "https://10.0.0.4:8008");
    let client =
        PatroniClient::from_lookup(env(&[("PATRONI_RESTAPI_CONNECT_ADDRESS", "http://10.0.0.4:8008/patroni")]))
            .unwrap();
    assert_eq!(client.url(), "http://10.0.0.4:8008");
    let err = PatroniClient::from_lookup(env(&[("PATRONI_RESTAPI_CONNECT_ADDRESS", "ftp://x")])).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("PATRONI_RESTAPI_CONNECT_ADDRESS") && text.contains("\"ftp://x\""), "{text}");
}

#[test]
fn ctl_credentials_win_and_each_pair_needs_both_halves() {
    let both = PatroniClient::from_lookup(env(&[
        ("PATRONI_CTL_USERNAME", "ctl"),
        ("PATRONI_CTL_PASSWORD", "ctl-secret"),
        ("PATRONI_RESTAPI_USERNAME", "rest"),
        ("PATRONI_RESTAPI_PASSWORD", "rest-secret"),
    ]))
    .unwrap();
    let auth = both.http().config().basic_auth.clone().unwrap();
    assert_eq!((auth.username.as_str(), auth.password.expose()), ("ctl", "ctl-secret"));
    assert!(!format!("{both:?}").contains("ctl-secret"), "{both:?}");

    let rest = PatroniClient::from_lookup(env(&[
        ("PATRONI_RESTAPI_USERNAME", "rest"),
        ("PATRONI_RESTAPI_PASSWORD", "rest-secret"),
    ]))
    .unwrap();
    assert_eq!(rest.http().config().basic_auth.as_ref().unwrap().username, "rest");

    let err = PatroniClient::from_lookup(env(&[("PATRONI_CTL_USERNAME", "ctl")])).unwrap_err();
    assert!(err.to_string().contains("PATRONI_CTL_PASSWORD"), "{err}");
    let err = PatroniClient::from_lookup(env(&[("PATRONI_RESTAPI_PASSWORD", "rest-secret")])).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("PATRONI_RESTAPI_USERNAME") && !text.contains("rest-secret"), "{text}");
}

#[test]
fn insecure_is_a_python_boolean_and_unreadable_files_name_their_variable() {
    let on = PatroniClient::from_lookup(env(&[("PATRONI_CTL_INSECURE", "on")])).unwrap();
    assert!(on.http().config().tls.insecure_skip_verify);
    let off = PatroniClient::from_lookup(env(&[("PATRONI_CTL_INSECURE", "no")])).unwrap();
    assert!(!off.http().config().tls.insecure_skip_verify);
    let err = PatroniClient::from_lookup(env(&[("PATRONI_CTL_INSECURE", "sometimes")])).unwrap_err();
    assert!(err.to_string().contains("PATRONI_CTL_INSECURE"), "{err}");

    for var in ["PATRONI_CTL_CACERT", "PATRONI_RESTAPI_CAFILE", "PATRONI_CTL_CERTFILE"] {
        let err = PatroniClient::from_lookup(env(&[(var, "/nonexistent/file.pem")])).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(var) && text.contains("/nonexistent/file.pem"), "{var}: {text}");
    }
    let err = PatroniClient::from_lookup(env(&[("PATRONI_CTL_KEYFILE", "/etc/key.pem")])).unwrap_err();
    assert!(err.to_string().contains("PATRONI_CTL_CERTFILE"), "{err}");
}

#[tokio::test]
async fn mutual_tls_from_the_ctl_variables_reaches_a_member() {
    let ca = Ca::new("patroni test CA");
    let body = FIXTURES.text("4.1.5/patroni.node3.json");
    let server = TlsServer::new(&ca.issue(&["127.0.0.1"], Usage::Server))
        .require_client_cert(&ca)
        .reply(Reply::Json(body))
        .start()
        .await;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        file.to_str().unwrap().to_owned()
    };
    let client_cert = ca.issue(&["patronictl"], Usage::Client);
    let ca_file = write("ca.pem", &ca.pem());
    let cert_file = write("client.pem", &client_cert.pem());
    let key_file = write("client.key", &client_cert.key_pem());
    let address = format!("127.0.0.1:{}", server.port());
    let lookup = env(&[
        ("PATRONI_RESTAPI_CONNECT_ADDRESS", address.as_str()),
        ("PATRONI_RESTAPI_CERTFILE", "/etc/patroni/server.pem"),
        ("PATRONI_CTL_CACERT", ca_file.as_str()),
        ("PATRONI_CTL_CERTFILE", cert_file.as_str()),
        ("PATRONI_CTL_KEYFILE", key_file.as_str()),
        // With a client certificate, verification stays on.
        ("PATRONI_CTL_INSECURE", "true"),
    ]);
    let client = PatroniClient::from_lookup(lookup).unwrap();
    assert!(!client.http().config().tls.insecure_skip_verify);
    let status = client.status().await.unwrap();
    assert_eq!(status.patroni.version, "4.1.5");

    // The CA as a directory works too; without the client certificate the
    // handshake fails.
    let ca_dir = dir.path().join("cas");
    std::fs::create_dir(&ca_dir).unwrap();
    std::fs::write(ca_dir.join("ca.pem"), ca.pem()).unwrap();
    let lookup = env(&[
        ("PATRONI_RESTAPI_CONNECT_ADDRESS", server.url().as_str()),
        ("PATRONI_RESTAPI_CAFILE", ca_dir.to_str().unwrap()),
    ]);
    let anonymous =
        PatroniClientBuilder::from_lookup(lookup).unwrap().retry(client_core::RetryPolicy::disabled()).build().unwrap();
    let err = anonymous.status().await.unwrap_err();
    assert!(matches!(err.core(), Some(client_core::Error::Transport { .. })), "{err:?}");
    assert!(err.to_string().contains("client certificate"), "{err}");
}

#[tokio::test]
async fn builder_calls_win_over_the_environment_and_new_takes_a_config_as_given() {
    let server = MockServer::start().await;
    // base64("ops:builder-secret")
    Mock::given(method("POST"))
        .and(path("/reload"))
        .and(header("authorization", "Basic b3BzOmJ1aWxkZXItc2VjcmV0"))
        .respond_with(ResponseTemplate::new(202).set_body_string("reload scheduled"))
        .expect(1)
        .mount(&server)
        .await;
    let lookup = env(&[
        ("PATRONI_RESTAPI_CONNECT_ADDRESS", "10.255.255.1:8008"),
        ("PATRONI_RESTAPI_USERNAME", "env"),
        ("PATRONI_RESTAPI_PASSWORD", "env-secret"),
    ]);
    let client = PatroniClientBuilder::from_lookup(lookup)
        .unwrap()
        .address(&format!("{}/patroni", server.uri()))
        .basic_auth("ops", "builder-secret")
        .timeout(Duration::from_secs(4))
        .build()
        .unwrap();
    assert_eq!(client.url(), server.uri());
    assert_eq!(client.http().config().timeout, Duration::from_secs(4));
    assert!(client.reload().await.unwrap().is_scheduled());

    // A copy for another member keeps the credentials and the timeout.
    let other = client.for_member("http://10.0.0.5:8008/patroni").unwrap();
    assert_eq!(other.url(), "http://10.0.0.5:8008");
    assert_eq!(other.http().config().basic_auth.as_ref().unwrap().username, "ops");
    assert_eq!(other.http().config().timeout, Duration::from_secs(4));

    // new(ClientConfig) keeps the config's own settings; an api_url path is dropped.
    let config = ClientConfig::new(&format!("{}/patroni", server.uri()), "Authorization")
        .unwrap()
        .with_timeout(Duration::from_secs(7));
    let from_config = PatroniClient::new(config.clone()).unwrap();
    assert_eq!(from_config.url(), server.uri());
    assert_eq!(from_config.http().config().timeout, Duration::from_secs(7));
    let via_builder = PatroniClient::builder().timeout(Duration::from_secs(1)).config(config).build().unwrap();
    assert_eq!(via_builder.http().config().timeout, Duration::from_secs(7), "a later builder call wins");
}

#[test]
fn bad_builder_values_are_reported_by_build() {
    let err = PatroniClient::builder().address("not a url").timeout(Duration::from_secs(1)).build().unwrap_err();
    assert!(err.to_string().contains("\"not a url\""), "{err}");
    let err = PatroniClient::builder().basic_auth("ops:x", "secret").build().unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("must not contain ':'") && !text.contains("secret\""), "{text}");
    // The first bad value is the one reported.
    let err = PatroniClient::builder().address("::").address("also bad").build().unwrap_err();
    assert!(err.to_string().contains("\"::\""), "{err}");
}
