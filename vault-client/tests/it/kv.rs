//! KV v1, KV v2 and version detection.

use serde::{Deserialize, Serialize};
use vault_client::{Error, Kv, MetadataOptions};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{ROOT, answer, doc_answer, fixture, no_content, setup};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct DbSecret {
    patroni_scope: String,
    replication_password: Option<String>,
    superuser_password: String,
}

#[tokio::test]
async fn kv2_read_decodes_data_and_metadata() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/data/atala-testnet/dbHA1"))
        .and(header("X-Vault-Token", ROOT))
        .respond_with(answer(200, "kv2-read"))
        .expect(2)
        .mount(&server)
        .await;
    let kv = vault.kv2("secret/").unwrap();
    let secret = kv.get::<DbSecret>("atala-testnet/dbHA1").await.unwrap().unwrap();
    assert_eq!(secret.data.superuser_password, "s3cr3t-1");
    assert_eq!(secret.metadata.version, 1);
    assert_eq!(secret.metadata.created_time, "2026-11-22T05:09:33.293861339Z");
    assert!(!secret.metadata.destroyed && secret.metadata.deletion_time.is_empty());
    let data: DbSecret = kv.read("atala-testnet/dbHA1").await.unwrap().unwrap();
    assert_eq!(data.replication_password.as_deref(), Some("r3pl-1"));
}

#[tokio::test]
async fn kv2_missing_deleted_and_destroyed_are_none() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/data/atala-testnet/does-not-exist"))
        .respond_with(answer(404, "kv2-read-missing"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/data/atala-testnet/dbHA1"))
        .and(query_param("version", "1"))
        .respond_with(answer(404, "kv2-read-destroyed-version"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/data/atala-testnet/dbHA1"))
        .respond_with(answer(404, "kv2-read-deleted"))
        .mount(&server)
        .await;
    let kv = vault.kv2("secret").unwrap();
    assert!(kv.read::<DbSecret>("atala-testnet/does-not-exist").await.unwrap().is_none());
    assert!(kv.get::<DbSecret>("atala-testnet/dbHA1").await.unwrap().is_none());
    assert!(kv.read_version::<DbSecret>("atala-testnet/dbHA1", 1).await.unwrap().is_none());
}

#[tokio::test]
async fn kv2_read_version_sends_the_version() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/data/atala-testnet/dbHA1"))
        .and(query_param("version", "1"))
        .respond_with(answer(200, "kv2-read-version"))
        .expect(1)
        .mount(&server)
        .await;
    let v1 = vault.kv2("secret").unwrap().read_version::<DbSecret>("atala-testnet/dbHA1", 1).await.unwrap().unwrap();
    assert_eq!((v1.metadata.version, v1.data.superuser_password.as_str()), (1, "s3cr3t-1"));
}

#[tokio::test]
async fn kv2_write_wraps_data_and_returns_the_version() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/secret/data/atala-testnet/dbHA1"))
        .and(header("X-Vault-Token", ROOT))
        .and(body_json(fixture("kv2-write.request")))
        .respond_with(answer(200, "kv2-write"))
        .expect(1)
        .mount(&server)
        .await;
    let data = fixture("kv2-write.request")["data"].clone();
    let meta = vault.kv2("secret").unwrap().write("atala-testnet/dbHA1", &data).await.unwrap();
    assert_eq!(meta.version, 1);
}

#[tokio::test]
async fn kv2_check_and_set_success_and_conflict() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/secret/data/atala-testnet/dbHA1"))
        .and(body_json(fixture("kv2-write-cas.request")))
        .respond_with(answer(200, "kv2-write-cas"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/secret/data/atala-testnet/dbHA1"))
        .and(body_json(fixture("kv2-cas-conflict.request")))
        .respond_with(answer(400, "kv2-cas-conflict"))
        .expect(1)
        .mount(&server)
        .await;
    let kv = vault.kv2("secret").unwrap();
    let ok = kv.write_cas("atala-testnet/dbHA1", &fixture("kv2-write-cas.request")["data"], 1).await.unwrap();
    assert_eq!(ok.version, 2);
    let conflict = fixture("kv2-cas-conflict.request");
    let cas = conflict["options"]["cas"].as_u64().unwrap();
    let err = kv.write_cas("atala-testnet/dbHA1", &conflict["data"], cas).await.unwrap_err();
    assert!(matches!(err, Error::CasMismatch { expected_version, .. } if expected_version == cas), "{err:?}");
    assert!(err.to_string().contains("check-and-set failed on secret/data/atala-testnet/dbHA1"), "{err}");
}

#[tokio::test]
async fn kv2_patch_uses_merge_patch_and_old_servers_say_unsupported() {
    let (server, vault) = setup().await;
    Mock::given(method("PATCH"))
        .and(path("/v1/secret/data/atala-testnet/dbHA1"))
        .and(header("Content-Type", "application/merge-patch+json"))
        .and(body_json(fixture("kv2-patch.request")))
        .respond_with(doc_answer(200, "kv2-patch"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v1/secret/data/atala-testnet/dbHA1"))
        .respond_with(answer(405, "kv2-patch"))
        .mount(&server)
        .await;
    let kv = vault.kv2("secret").unwrap();
    let patch = fixture("kv2-patch.request")["data"].clone();
    assert_eq!(kv.patch("atala-testnet/dbHA1", &patch).await.unwrap().version, 3);
    let err = kv.patch("atala-testnet/dbHA1", &patch).await.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    assert!(err.to_string().contains("Vault 1.9"), "{err}");
}

#[tokio::test]
async fn kv2_list_reads_metadata_keys() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/metadata/atala-testnet"))
        .and(query_param("list", "true"))
        .respond_with(answer(200, "kv2-list-get-param"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/metadata/nothing-here"))
        .respond_with(answer(404, "kv2-list-missing"))
        .mount(&server)
        .await;
    let kv = vault.kv2("secret").unwrap();
    assert_eq!(kv.list("atala-testnet/").await.unwrap(), ["dbHA1", "dbHA2", "shared/"]);
    assert!(kv.list("nothing-here").await.unwrap().is_empty());
}

#[tokio::test]
async fn kv2_delete_undelete_destroy_send_versions() {
    let (server, vault) = setup().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/secret/data/atala-testnet/dbHA1"))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    for (kind, body) in [
        ("delete", "kv2-delete-versions.request"),
        ("undelete", "kv2-undelete.request"),
        ("destroy", "kv2-destroy.request"),
    ] {
        Mock::given(method("POST"))
            .and(path(format!("/v1/secret/{kind}/atala-testnet/dbHA1")))
            .and(header("X-Vault-Token", ROOT))
            .and(body_json(fixture(body)))
            .respond_with(no_content())
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("DELETE"))
        .and(path("/v1/secret/metadata/atala-testnet/dbHA2"))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    let kv = vault.kv2("secret").unwrap();
    kv.delete("atala-testnet/dbHA1").await.unwrap();
    kv.delete_versions("atala-testnet/dbHA1", &[1]).await.unwrap();
    kv.undelete("atala-testnet/dbHA1", &[2]).await.unwrap();
    kv.destroy("atala-testnet/dbHA1", &[1]).await.unwrap();
    kv.delete_metadata("atala-testnet/dbHA2").await.unwrap();
}

#[tokio::test]
async fn kv2_metadata_read_write_and_missing() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/metadata/atala-testnet/dbHA1"))
        .respond_with(answer(200, "kv2-metadata-read"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/metadata/atala-testnet/does-not-exist"))
        .respond_with(answer(404, "kv2-metadata-read-missing"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/secret/metadata/atala-testnet/dbHA1"))
        .and(body_json(fixture("kv2-metadata-write.request")))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    let kv = vault.kv2("secret").unwrap();
    let meta = kv.metadata("atala-testnet/dbHA1").await.unwrap().unwrap();
    assert_eq!(meta.current_version, 2);
    assert_eq!(meta.versions.len(), 2);
    assert_eq!(meta.delete_version_after, "0s");
    assert!(kv.metadata("atala-testnet/does-not-exist").await.unwrap().is_none());
    let options = MetadataOptions {
        max_versions: Some(10),
        cas_required: Some(false),
        delete_version_after: Some("0s".into()),
        custom_metadata: None,
    };
    kv.write_metadata("atala-testnet/dbHA1", &options).await.unwrap();
}

#[tokio::test]
async fn kv1_call_on_a_kv2_mount_says_so() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/atala-testnet/dbHA1"))
        .respond_with(answer(404, "kv2-read-via-kv1-style-path"))
        .expect(1)
        .mount(&server)
        .await;
    let err = vault.kv1("secret").unwrap().read::<DbSecret>("atala-testnet/dbHA1").await.unwrap_err();
    assert!(matches!(err, Error::WrongKvVersion { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("KV version 2") && text.contains("kv2(mount)"), "{text}");
}

#[tokio::test]
async fn kv2_write_on_a_kv1_mount_says_what_happened() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/kv/data/atala-testnet/dbHA1"))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    let err = vault.kv2("kv").unwrap().write("atala-testnet/dbHA1", &fixture("kv1-write.request")).await.unwrap_err();
    assert!(matches!(err, Error::WrongKvVersion { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("KV version 1") && text.contains("kv/data/atala-testnet/dbHA1"), "{text}");
}

#[tokio::test]
async fn kv1_read_write_list_delete() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/kv/atala-testnet/dbHA1"))
        .respond_with(answer(200, "kv1-read"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/kv/atala-testnet/dbHA2"))
        .and(body_json(fixture("kv1-write-second.request")))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/kv/atala-testnet"))
        .and(query_param("list", "true"))
        .respond_with(answer(200, "kv1-list"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/kv/atala-testnet/dbHA1"))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    let kv = vault.kv1("kv").unwrap();
    let secret: serde_json::Value = kv.read("atala-testnet/dbHA1").await.unwrap().unwrap();
    assert_eq!(secret["superuser_password"], "s3cr3t");
    kv.write("atala-testnet/dbHA2", &fixture("kv1-write-second.request")).await.unwrap();
    assert_eq!(kv.list("atala-testnet").await.unwrap(), ["dbHA1", "dbHA2"]);
    kv.delete("atala-testnet/dbHA1").await.unwrap();
}

#[tokio::test]
async fn kv_detects_the_version_of_the_mount() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/internal/ui/mounts/secret"))
        .and(header("X-Vault-Token", ROOT))
        .respond_with(answer(200, "sys-internal-ui-mounts-secret"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/internal/ui/mounts/kv"))
        .respond_with(answer(200, "sys-internal-ui-mounts-kv1"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/internal/ui/mounts/nomount"))
        .respond_with(answer(403, "sys-internal-ui-mounts-missing"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/data/atala-testnet/dbHA1"))
        .respond_with(answer(200, "kv2-read"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/kv/atala-testnet/dbHA1"))
        .respond_with(answer(200, "kv1-read"))
        .mount(&server)
        .await;
    let v2 = vault.kv("secret").await.unwrap();
    assert!(matches!(v2, Kv::V2(_)) && v2.version() == 2);
    let data: DbSecret = v2.read("atala-testnet/dbHA1").await.unwrap().unwrap();
    assert_eq!(data.superuser_password, "s3cr3t-1");
    let v1 = vault.kv("kv").await.unwrap();
    assert_eq!(v1.version(), 1);
    let data: DbSecret = v1.read("atala-testnet/dbHA1").await.unwrap().unwrap();
    assert_eq!(data.superuser_password, "s3cr3t");
    let err = vault.kv("nomount").await.unwrap_err();
    assert!(matches!(err, Error::NoMount { .. }), "{err:?}");
    assert!(err.to_string().starts_with("no secrets engine is mounted at nomount/"), "{err}");
}

#[tokio::test]
async fn kv_on_a_non_kv_mount_is_refused() {
    let (server, vault) = setup().await;
    let mut nomad = fixture("sys-internal-ui-mounts-kv1");
    // The same answer for a Nomad secrets engine differs only in these fields.
    nomad["data"]["type"] = "nomad".into();
    nomad["data"]["options"] = serde_json::Value::Null;
    Mock::given(method("GET"))
        .and(path("/v1/sys/internal/ui/mounts/nomad"))
        .respond_with(ResponseTemplate::new(200).set_body_json(nomad))
        .mount(&server)
        .await;
    let err = vault.kv("nomad").await.unwrap_err();
    assert!(matches!(err, Error::NotKv { .. }), "{err:?}");
    assert_eq!(err.to_string(), "mount \"nomad\" is a \"nomad\" engine, not a KV secrets engine");
}
