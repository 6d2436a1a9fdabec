//! Connect's CA, leaf certificates and authorization on the real dev agent
//! (Connect is on in `-dev` mode, with the built-in consul CA provider).

use consul_client::{QueryOptions, WriteOptions};

use crate::common::{consul_or_skip, name};

#[tokio::test]
async fn ca_roots_and_a_leaf_certificate_chain_to_them() {
    let consul = consul_or_skip!();
    let connect = consul.connect();
    let roots = connect.ca_roots(&QueryOptions::default()).await.unwrap();
    let active = roots.value.active().expect("the dev agent has an active root");
    assert_eq!(active.id, roots.value.active_root_id);
    assert!(active.root_cert.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(roots.value.trust_domain.ends_with(".consul"));
    assert!(roots.meta.last_index > 0);

    let service = name("leaf");
    let leaf = connect.leaf_cert(&service, &QueryOptions::default()).await.unwrap().value;
    assert_eq!(leaf.service, service);
    assert!(leaf.service_uri.starts_with(&format!("spiffe://{}/", roots.value.trust_domain)), "{}", leaf.service_uri);
    assert!(leaf.service_uri.ends_with(&format!("/svc/{service}")));
    assert!(leaf.private_key_pem.expose().contains("PRIVATE KEY"));
    assert!(!format!("{leaf:?}").contains("PRIVATE KEY"), "the leaf's private key never shows in Debug");

    // With no intention, the dev agent's default (allow, ACLs off) decides.
    let allowed = connect.authorize("db", &leaf.service_uri, &leaf.serial_number).await.unwrap();
    assert!(allowed.authorized, "{allowed:?}");
    assert!(!allowed.reason.is_empty());
    let bad = connect.authorize("db", "https://not-spiffe", "00").await.unwrap_err();
    assert!(bad.to_string().contains("spiffe://"), "{bad}");
}

#[tokio::test]
async fn ca_configuration_get_and_set_on_an_agent_of_its_own() {
    let Some((_agent, consul)) = crate::common::own_consul(sandbox::Consul::start(), "Consul") else { return };
    let connect = consul.connect();
    let mut config = connect.ca_configuration(&QueryOptions::default()).await.unwrap().value;
    assert_eq!(config.provider, "consul");
    config.config.insert("LeafCertTTL".into(), "24h".into());
    // A fresh agent's CA is still initializing for a moment (Consul answers 500 "CA is already in state
    // \"INITIALIZING\""); the set is retried while, and only while, Consul says that, within 30 s.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match connect.ca_set_configuration(&config, &WriteOptions::default()).await {
            Ok(()) => break,
            Err(e) if e.to_string().contains("INITIALIZING") && std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(e) => panic!("setting the CA configuration failed: {e}"),
        }
    }
    let read = connect.ca_configuration(&QueryOptions::default()).await.unwrap().value;
    assert_eq!(read.config["LeafCertTTL"], "24h");
    assert!(read.modify_index > 0);
    let shown = format!("{read:?}");
    assert!(
        shown.contains("LeafCertTTL") && !shown.contains("BEGIN"),
        "Debug shows the keys, never key material: {shown}"
    );
}
