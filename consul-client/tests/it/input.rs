//! Bad input is refused before any request is sent.

use std::time::Duration;

use consul_client::{
    CatalogDeregistration, ConsulClient, DeleteOptions, Error, PutOptions, QueryOptions, SessionRequest, TxnOp,
    WriteOptions,
};
use wiremock::MockServer;

fn is_invalid(err: &Error) -> bool {
    matches!(err, Error::Core(client_core::Error::InvalidInput { .. }))
}

#[tokio::test]
async fn bad_input_never_reaches_the_server() {
    let server = MockServer::start().await;
    let consul = ConsulClient::builder().address(&server.uri()).build().unwrap();
    let kv = consul.kv();
    let q = QueryOptions::default();
    let put = PutOptions::default();

    for key in ["", "/leading", "a/../b", "a//b", "a/./b", "nul\0byte"] {
        let err = kv.get(key, &q).await.unwrap_err();
        assert!(is_invalid(&err), "{key:?}: {err}");
        assert!(err.to_string().contains("KV key"), "{err}");
        assert!(is_invalid(&kv.put(key, b"x", &put).await.unwrap_err()), "{key:?}");
        assert!(is_invalid(&kv.delete(key, &DeleteOptions::default()).await.unwrap_err()), "{key:?}");
    }
    for dc in ["DC1", "dc 1", "dc/1", ""] {
        let err = kv.get("ok", &QueryOptions::new().datacenter(dc)).await.unwrap_err();
        assert!(is_invalid(&err) && err.to_string().contains("datacenter"), "{dc:?}: {err}");
    }
    let both = PutOptions { cas: Some(1), acquire: Some("c1a55f34-d714-85e6-5813-e973dd41b4e6".into()), ..put.clone() };
    assert!(kv.put("k", b"x", &both).await.unwrap_err().to_string().contains("exclusive"));
    let bad_session = PutOptions { acquire: Some("not-a-uuid".into()), ..put.clone() };
    assert!(is_invalid(&kv.put("k", b"x", &bad_session).await.unwrap_err()));

    let err = kv.delete_tree("service/prod-database").await.unwrap_err();
    assert!(err.to_string().contains("service/prod-database/"), "{err}");
    assert!(is_invalid(&kv.delete_tree("").await.unwrap_err()));
    assert!(is_invalid(&kv.delete_raw_prefix("").await.unwrap_err()));
    assert!(is_invalid(&kv.keys("p/", Some(""), &q).await.unwrap_err()));

    assert!(is_invalid(&kv.txn(&[], None).await.unwrap_err()));
    let too_many: Vec<TxnOp> = (0..65).map(|i| TxnOp::get(&format!("k{i}"))).collect();
    assert!(kv.txn(&too_many, None).await.unwrap_err().to_string().contains("at most 64"));
    assert!(matches!(kv.txn(&[TxnOp::delete_tree("svc/db1")], None).await.unwrap_err(), Error::UnsafePrefix { .. }));

    let short = SessionRequest { ttl: Some(Duration::from_secs(5)), ..SessionRequest::default() };
    let err = consul.sessions().create(&short, &WriteOptions::default()).await.unwrap_err();
    assert!(err.to_string().contains("between 10s and 24h"), "{err}");
    assert!(is_invalid(&consul.sessions().info("../x", &q).await.unwrap_err()));

    let catalog = consul.catalog();
    assert!(is_invalid(&catalog.service("", None, &q).await.unwrap_err()));
    assert!(is_invalid(&catalog.node("bad\nname", &q).await.unwrap_err()));
    let both = CatalogDeregistration {
        service_id: Some("s".into()),
        check_id: Some("c".into()),
        ..CatalogDeregistration::node("n")
    };
    assert!(catalog.deregister(&both).await.unwrap_err().to_string().contains("not both"));
    assert!(is_invalid(&catalog.deregister(&CatalogDeregistration::node("")).await.unwrap_err()));
    assert!(is_invalid(&consul.agent().force_leave("", false).await.unwrap_err()));
    assert!(is_invalid(&consul.acl().token_get("nope", &q).await.unwrap_err()));
    assert!(is_invalid(&kv.get("k", &q.clone().filter("  ")).await.unwrap_err()));

    let received = server.received_requests().await.unwrap();
    assert!(received.is_empty(), "requests were sent: {received:?}");
}

#[test]
fn env_config_like_the_cli() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())
    };
    let c =
        ConsulClient::from_lookup(env(&[("CONSUL_HTTP_ADDR", "10.0.0.5:8501"), ("CONSUL_HTTP_SSL", "true")])).unwrap();
    assert_eq!(c.http().config().address.as_str(), "https://10.0.0.5:8501/");
    let c = ConsulClient::from_lookup(env(&[("CONSUL_HTTP_TOKEN", "s3cr3t-token"), ("CONSUL_NAMESPACE", "team-a")]))
        .unwrap();
    assert_eq!(c.namespace(), Some("team-a"));
    assert!(!format!("{c:?}").contains("s3cr3t-token"), "the token never shows in Debug");
    let err = ConsulClient::from_lookup(env(&[("CONSUL_HTTP_ADDR", "ftp://x")])).unwrap_err();
    assert!(err.to_string().contains("CONSUL_HTTP_ADDR"), "{err}");
    assert!(ConsulClient::builder().address("not a url at all").build().is_err());
}

#[test]
fn builder_starts_from_defaults_or_the_environment_and_its_calls_win() {
    let defaults = ConsulClient::builder().build().unwrap();
    assert_eq!(defaults.http().config().address.as_str(), "http://127.0.0.1:8500/");
    assert!(defaults.http().config().token.is_none());
    assert_eq!((defaults.namespace(), defaults.partition(), defaults.datacenter()), (None, None, None));

    let env = |k: &str| {
        [("CONSUL_HTTP_ADDR", "10.0.0.5:8501"), ("CONSUL_HTTP_TOKEN", "env-token"), ("CONSUL_NAMESPACE", "team-a")]
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_owned())
    };
    let from_env = consul_client::ConsulClientBuilder::from_lookup(env).unwrap().build().unwrap();
    assert_eq!(from_env.http().config().address.as_str(), "http://10.0.0.5:8501/");
    assert_eq!(from_env.namespace(), Some("team-a"));
    let overridden = consul_client::ConsulClientBuilder::from_lookup(env)
        .unwrap()
        .address("10.0.0.9:8500")
        .namespace("team-b")
        .partition("part-1")
        .datacenter("dc2")
        .timeout(Duration::from_secs(7))
        .build()
        .unwrap();
    let config = overridden.http().config();
    assert_eq!(config.address.as_str(), "http://10.0.0.9:8500/");
    assert_eq!(config.token.as_ref().map(|t| t.expose().to_owned()).as_deref(), Some("env-token"));
    assert_eq!(config.timeout, Duration::from_secs(7));
    assert_eq!(
        (overridden.namespace(), overridden.partition(), overridden.datacenter()),
        (Some("team-b"), Some("part-1"), Some("dc2"))
    );
    let namespaces: Vec<_> = config.default_headers.iter().filter(|(k, _)| k == "X-Consul-Namespace").collect();
    assert_eq!(namespaces, [&("X-Consul-Namespace".to_owned(), "team-b".to_owned())], "one namespace header");

    let err = ConsulClient::builder().address("ftp://consul.example").build().unwrap_err();
    assert!(err.to_string().contains("Consul address"), "{err}");
    let err = ConsulClient::builder().datacenter("DC 1").build().unwrap_err();
    assert!(err.to_string().contains("datacenter"), "{err}");
    let err = ConsulClient::builder().namespace("a/b").build().unwrap_err();
    assert!(err.to_string().contains("namespace"), "{err}");
}

#[test]
fn new_sets_the_consul_token_header_and_copies_are_cheap_and_independent() {
    let config = client_core::ClientConfig::new("http://127.0.0.1:8500", "X-Some-Other-Token").unwrap();
    let consul = ConsulClient::new(config).unwrap();
    assert_eq!(consul.http().config().token_header, "X-Consul-Token");

    let team = consul.with_namespace("team-a").unwrap().with_token("team-token");
    assert_eq!(team.namespace(), Some("team-a"));
    assert_eq!(consul.namespace(), None, "the original keeps its namespace");
    assert!(consul.http().config().token.is_none(), "the original keeps its token");
    assert!(consul.with_namespace("").unwrap_err().to_string().contains("namespace"));
}
