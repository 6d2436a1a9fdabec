//! sys/storage/raft: remove-peer against the configuration, autopilot state
//! and configuration, snapshots streamed both ways.

use std::time::Duration;

use vault_client::ClientError;
use vault_client::raft::AutopilotConfig;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{ROOT, answer, doc_fixture, no_content, setup};

/// The documented 3-voter configuration with `edit` applied to its servers.
fn configuration(edit: impl FnOnce(&mut Vec<serde_json::Value>)) -> ResponseTemplate {
    let mut body = doc_fixture("sys-storage-raft-configuration");
    edit(body["data"]["config"]["servers"].as_array_mut().unwrap());
    ResponseTemplate::new(200).set_body_json(body)
}

async fn on_configuration(server: &MockServer, template: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/v1/sys/storage/raft/configuration"))
        .respond_with(template)
        .mount(server)
        .await;
}

async fn remove_peer_posts(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().iter().filter(|r| r.method.as_str() == "POST").count()
}

#[tokio::test]
async fn remove_peer_sends_the_documented_body_for_a_known_voter() {
    let (server, vault) = setup().await;
    on_configuration(&server, configuration(|_| {})).await;
    let mut body = doc_fixture("sys-storage-raft-remove-peer.request.docs");
    body["server_id"] = "raft2".into();
    body.as_object_mut().unwrap().remove("dr_operation_token");
    Mock::given(method("POST"))
        .and(path("/v1/sys/storage/raft/remove-peer"))
        .and(body_json(body))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    vault.sys().raft().remove_peer("raft2").await.unwrap();
}

#[tokio::test]
async fn unknown_only_and_last_voter_peers_are_refused_after_reading_the_configuration() {
    let (server, vault) = setup().await;
    on_configuration(&server, configuration(|_| {})).await;
    for id in ["raft9", "RAFT1", "raft", "127.0.0.4:8201", ""] {
        let err = vault.sys().raft().remove_peer(id).await.unwrap_err();
        assert!(err.to_string().contains("raft server ID"), "{id:?}: {err}");
    }
    let err = vault.sys().raft().remove_peer("raft9").await.unwrap_err();
    assert!(err.to_string().contains("raft1, raft2, raft3"), "{err}");
    assert_eq!(remove_peer_posts(&server).await, 0);

    let (server, vault) = setup().await;
    on_configuration(&server, configuration(|servers| servers.truncate(1))).await;
    let err = vault.sys().raft().remove_peer("raft1").await.unwrap_err();
    assert!(err.to_string().contains("only server"), "{err}");

    // raft1 the only voter: it cannot go; the non-voter raft2 can.
    let (server, vault) = setup().await;
    on_configuration(
        &server,
        configuration(|servers| {
            servers.truncate(2);
            servers[1]["voter"] = false.into();
        }),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/v1/sys/storage/raft/remove-peer"))
        .respond_with(no_content())
        .mount(&server)
        .await;
    let err = vault.sys().raft().remove_peer("raft1").await.unwrap_err();
    assert!(err.to_string().contains("last voter"), "{err}");
    assert_eq!(remove_peer_posts(&server).await, 0);
    vault.sys().raft().remove_peer("raft2").await.unwrap();
    assert_eq!(remove_peer_posts(&server).await, 1);
}

#[tokio::test]
async fn remove_peer_on_a_dev_server_says_unsupported() {
    let (server, vault) = setup().await;
    on_configuration(&server, answer(404, "sys-storage-raft-configuration")).await;
    let err = vault.sys().raft().remove_peer("raft1").await.unwrap_err();
    assert!(err.is_not_found() && err.to_string().contains("unsupported path"), "{err}");
    assert_eq!(remove_peer_posts(&server).await, 0);
}

#[tokio::test]
async fn autopilot_state_and_configuration_read_the_documented_data() {
    let (server, vault) = setup().await;
    for (endpoint, name) in [
        ("/v1/sys/storage/raft/autopilot/state", "sys-storage-raft-autopilot-state.docs"),
        ("/v1/sys/storage/raft/autopilot/configuration", "sys-storage-raft-autopilot-config-read.docs"),
    ] {
        // The docs show `data` only; the Go client reads it from the envelope's data.
        let body = serde_json::json!({ "data": doc_fixture(name) });
        Mock::given(method("GET"))
            .and(path(endpoint))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    let state = vault.sys().raft().autopilot_state().await.unwrap();
    assert!(state.healthy);
    assert_eq!((state.failure_tolerance, state.leader.as_str()), (1, "vault_1"));
    assert_eq!(state.voters, ["vault_1", "vault_2", "vault_3"]);
    let two = &state.servers["vault_2"];
    assert_eq!(two.last_contact, Some(Duration::from_nanos(678_625_750)));
    assert_eq!((two.status.as_str(), two.last_index, two.node_type.as_deref()), ("voter", 63, Some("voter")));
    let config = vault.sys().raft().autopilot_config().await.unwrap();
    assert_eq!(config.dead_server_last_contact_threshold, Duration::from_secs(24 * 3600));
    assert_eq!(config.last_contact_threshold, Duration::from_secs(10));
    assert_eq!((config.max_trailing_logs, config.min_quorum), (1000, 0));
}

#[tokio::test]
async fn autopilot_state_on_the_recorded_dev_server_is_not_found() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/storage/raft/autopilot/state"))
        .respond_with(answer(404, "sys-storage-raft-autopilot-state"))
        .mount(&server)
        .await;
    assert!(vault.sys().raft().autopilot_state().await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn set_autopilot_config_writes_every_field_and_refuses_cleanup_below_quorum_3() {
    let (server, vault) = setup().await;
    let mut config: AutopilotConfig =
        serde_json::from_value(doc_fixture("sys-storage-raft-autopilot-config-read.docs")).unwrap();
    config.cleanup_dead_servers = true;
    config.min_quorum = 3;
    config.last_contact_threshold = Duration::from_millis(2500);
    Mock::given(method("POST"))
        .and(path("/v1/sys/storage/raft/autopilot/configuration"))
        .and(body_json(serde_json::json!({
            "cleanup_dead_servers": true,
            "last_contact_threshold": "2500ms",
            "dead_server_last_contact_threshold": "86400s",
            "max_trailing_logs": 1000,
            "min_quorum": 3,
            "server_stabilization_time": "10s",
            "disable_upgrade_migration": true
        })))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    vault.sys().raft().set_autopilot_config(&config).await.unwrap();
    config.min_quorum = 2;
    let err = vault.sys().raft().set_autopilot_config(&config).await.unwrap_err();
    assert!(err.to_string().contains("min_quorum"), "{err}");
}

/// A body that starts like a gzip archive, `len` bytes.
fn gzip_like(len: usize) -> Vec<u8> {
    let mut body: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
    body[..2].copy_from_slice(&[0x1f, 0x8b]);
    body
}

#[tokio::test]
async fn snapshot_save_streams_every_byte_into_the_writer() {
    let (server, vault) = setup().await;
    let snapshot = test_support::snapshot::vault_archive(&gzip_like(3 * 1024 * 1024 + 17), b"sealed sums");
    Mock::given(method("GET"))
        .and(path("/v1/sys/storage/raft/snapshot"))
        .and(header("X-Vault-Token", ROOT))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(snapshot.clone()))
        .mount(&server)
        .await;
    let mut out = Vec::new();
    let saved = vault.sys().raft().snapshot_save(&mut out).await.unwrap();
    assert_eq!(saved.bytes, snapshot.len() as u64);
    assert!(out == snapshot);
    assert_eq!((saved.archive.index, saved.archive.size), (7, 3 * 1024 * 1024 + 17));
}

/// Vault answers `200 OK` before writing the archive: one that failed
/// midway ends without a usable `SHA256SUMS.sealed` (the Go client's
/// check), or short, or with a byte changed on the way.
#[tokio::test]
async fn a_snapshot_vault_could_not_finish_is_an_error() {
    let state = gzip_like(300_000);
    let whole = test_support::snapshot::vault_archive(&state, b"sealed sums");
    let mut flipped = whole.clone();
    flipped[whole.len() / 2] ^= 0x10;
    for (case, body, says) in [
        ("no SHA256SUMS.sealed", test_support::snapshot::raft_archive(&state, 7, 2), "has no SHA256SUMS.sealed"),
        (
            "an empty SHA256SUMS.sealed",
            test_support::snapshot::vault_archive(&state, b""),
            "SHA256SUMS.sealed is empty",
        ),
        ("cut short", whole[..whole.len() - 100].to_vec(), "incomplete"),
        ("a flipped byte", flipped, "cannot be restored"),
    ] {
        let (server, vault) = setup().await;
        Mock::given(method("GET"))
            .and(path("/v1/sys/storage/raft/snapshot"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(body))
            .mount(&server)
            .await;
        let mut out = Vec::new();
        let err = vault.sys().raft().snapshot_save(&mut out).await.unwrap_err();
        assert!(
            matches!(&err, vault_client::Error::Core(client_core::Error::SnapshotDamaged { bytes, .. }) if *bytes == out.len() as u64),
            "{case}: {err:?}"
        );
        let text = err.to_string();
        assert!(text.contains(says) && text.contains("GET /v1/sys/storage/raft/snapshot"), "{case}: {text}");
    }
}

#[tokio::test]
async fn snapshot_save_refuses_a_body_that_is_not_a_snapshot_and_maps_errors() {
    for (status, body, expected) in [
        (200, b"{\"not\":\"gzip\"}".to_vec(), "not a valid gzip stream"),
        (200, Vec::new(), "incomplete"),
        (200, vec![0x1f], "incomplete"),
        (403, br#"{"errors":["permission denied"]}"#.to_vec(), "permission denied"),
        (404, br#"{"errors":["1 error occurred:\n\t* unsupported path\n\n"]}"#.to_vec(), "unsupported path"),
    ] {
        let (server, vault) = setup().await;
        Mock::given(method("GET"))
            .and(path("/v1/sys/storage/raft/snapshot"))
            .respond_with(ResponseTemplate::new(status).set_body_bytes(body))
            .mount(&server)
            .await;
        let mut out = Vec::new();
        let err = vault.sys().raft().snapshot_save(&mut out).await.unwrap_err();
        assert!(err.to_string().contains(expected), "{status}: {err}");
    }
}

#[tokio::test]
async fn snapshot_restore_uploads_the_reader_and_force_uses_its_own_endpoint() {
    let snapshot = gzip_like(2 * 1024 * 1024);
    for (force, endpoint) in [(false, "/v1/sys/storage/raft/snapshot"), (true, "/v1/sys/storage/raft/snapshot-force")] {
        let (server, vault) = setup().await;
        Mock::given(method("POST"))
            .and(path(endpoint))
            .and(header("X-Vault-Token", ROOT))
            .respond_with(no_content())
            .expect(1)
            .mount(&server)
            .await;
        let reader = std::io::Cursor::new(snapshot.clone());
        let raft = vault.sys().raft();
        if force { raft.snapshot_restore_force(reader).await } else { raft.snapshot_restore(reader).await }.unwrap();
        let sent = server.received_requests().await.unwrap();
        assert!(sent[0].body == snapshot, "{endpoint}: the uploaded body differs");
    }
}

#[tokio::test]
async fn snapshot_restore_refuses_non_snapshots_before_sending_and_is_not_retried() {
    let (server, vault) = setup().await;
    for bad in [&b""[..], b"PK\x03\x04", b"\x1f"] {
        let err = vault.sys().raft().snapshot_restore(std::io::Cursor::new(bad.to_vec())).await.unwrap_err();
        assert!(err.to_string().contains("snapshot"), "{err}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
    Mock::given(method("POST"))
        .and(path("/v1/sys/storage/raft/snapshot"))
        .respond_with(ResponseTemplate::new(500).set_body_json(serde_json::json!({"errors": ["failed to restore"]})))
        .expect(1)
        .mount(&server)
        .await;
    let err = vault.sys().raft().snapshot_restore(std::io::Cursor::new(gzip_like(100))).await.unwrap_err();
    assert!(err.to_string().contains("failed to restore"), "{err}");
}
