//! KV v1, KV v2 and version detection.

use serde::{Deserialize, Serialize};
use vault_client::{Error, Kv, MetadataOptions, MetadataPatch};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{ROOT, answer, doc_answer, doc_fixture, fixture, no_content, setup};

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

// ---- Vault 1.9+ / OpenBao 2.x shapes (tests/fixtures/vault-docs/kv2-*-1.10, kv2-*-openbao2)

#[tokio::test]
async fn custom_metadata_decodes_on_1_10_and_openbao_and_is_absent_on_the_1_8_recording() {
    let (server, vault) = setup().await;
    for (secret, body) in [
        ("v110", doc_fixture("kv2-metadata-read-1.10.docs")),
        ("bao", doc_fixture("kv2-metadata-read-openbao2.docs")),
        ("v18", fixture("kv2-metadata-read-after-write")),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("/v1/secret/metadata/{secret}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    for (secret, body) in [("v110", "kv2-read-1.10.docs"), ("bao", "kv2-read-openbao2.docs")] {
        Mock::given(method("GET"))
            .and(path(format!("/v1/secret/data/{secret}")))
            .respond_with(doc_answer(200, body))
            .mount(&server)
            .await;
    }
    let kv = vault.kv2("secret").unwrap();
    for secret in ["v110", "bao"] {
        let meta = kv.metadata(secret).await.unwrap().unwrap();
        let custom = meta.custom_metadata.unwrap();
        assert_eq!(custom["baz"], "5c07d823-3810-48f6-a147-4c06b5219e84", "{secret}");
        assert_eq!((meta.current_version, meta.versions.len(), meta.delete_version_after.as_str()), (3, 3, "3h25m19s"));
        let read = kv.get::<serde_json::Value>(secret).await.unwrap().unwrap();
        assert_eq!(read.metadata.custom_metadata.unwrap()["owner"], "jdoe");
        assert_eq!(read.data["foo"], "bar");
    }
    Mock::given(method("POST"))
        .and(path("/v1/secret/data/my-secret"))
        .respond_with(doc_answer(200, "kv2-write-1.10.docs"))
        .mount(&server)
        .await;
    let written = kv.write("my-secret", &serde_json::json!({"foo": "bar", "zip": "zap"})).await.unwrap();
    assert_eq!((written.version, written.custom_metadata.unwrap()["mission_critical"].as_str()), (1, "false"));
    // 1.8 accepted custom_metadata on write and ignored it (recorded): no map comes back.
    assert!(kv.metadata("v18").await.unwrap().unwrap().custom_metadata.is_none());
}

#[tokio::test]
async fn deleted_and_destroyed_versions_show_in_the_recorded_1_8_metadata() {
    let (server, vault) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/metadata/atala-testnet/deleted"))
        .respond_with(answer(200, "kv2-metadata-read-after-delete"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/metadata/atala-testnet/destroyed"))
        .respond_with(answer(200, "kv2-metadata-read-after-destroy"))
        .mount(&server)
        .await;
    let kv = vault.kv2("secret").unwrap();
    let deleted = kv.metadata("atala-testnet/deleted").await.unwrap().unwrap();
    let latest = &deleted.versions[&deleted.current_version.to_string()];
    assert!(!latest.deletion_time.is_empty() && !latest.destroyed, "{latest:?}");
    let destroyed = kv.metadata("atala-testnet/destroyed").await.unwrap().unwrap();
    assert!(destroyed.versions["1"].destroyed && !destroyed.versions["1"].deletion_time.is_empty());
    assert!(!destroyed.versions["2"].destroyed && destroyed.versions["2"].deletion_time.is_empty());
}

#[tokio::test]
async fn metadata_write_with_custom_metadata_and_patch_with_removals() {
    let (server, vault) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/secret/metadata/my-secret"))
        .and(body_json(doc_fixture("kv2-metadata-write-1.10.request.docs")))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/secret/metadata/atala-testnet/dbHA1"))
        .and(body_json(fixture("kv2-metadata-write-custom-metadata.request")))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v1/secret/metadata/my-secret"))
        .and(header("Content-Type", "application/merge-patch+json"))
        .and(body_json(doc_fixture("kv2-metadata-patch-1.10.request.docs")))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    // A removal is a JSON null in the merge patch.
    Mock::given(method("PATCH"))
        .and(path("/v1/secret/metadata/my-secret"))
        .and(body_json(serde_json::json!({"custom_metadata": {"foo": null}})))
        .respond_with(no_content())
        .expect(1)
        .mount(&server)
        .await;
    let kv = vault.kv2("secret").unwrap();
    let docs = doc_fixture("kv2-metadata-write-1.10.request.docs");
    let custom: std::collections::BTreeMap<String, String> =
        serde_json::from_value(docs["custom_metadata"].clone()).unwrap();
    let options = MetadataOptions {
        max_versions: Some(5),
        cas_required: Some(false),
        delete_version_after: Some("3h25m19s".into()),
        custom_metadata: Some(custom),
    };
    kv.write_metadata("my-secret", &options).await.unwrap();
    let owner = MetadataOptions {
        custom_metadata: Some([("owner".to_owned(), "atala".to_owned())].into()),
        ..MetadataOptions::default()
    };
    kv.write_metadata("atala-testnet/dbHA1", &owner).await.unwrap();
    let patch = MetadataPatch {
        max_versions: Some(5),
        custom_metadata: Some([("bar".to_owned(), Some("123".to_owned()))].into()),
        ..MetadataPatch::default()
    };
    kv.patch_metadata("my-secret", &patch).await.unwrap();
    let removal =
        MetadataPatch { custom_metadata: Some([("foo".to_owned(), None)].into()), ..MetadataPatch::default() };
    kv.patch_metadata("my-secret", &removal).await.unwrap();
}

#[tokio::test]
async fn data_patch_with_cas_and_its_conflict() {
    let (server, vault) = setup().await;
    let docs = doc_fixture("kv2-patch-cas-1.10.request.docs");
    Mock::given(method("PATCH"))
        .and(path("/v1/secret/data/my-secret"))
        .and(header("Content-Type", "application/merge-patch+json"))
        .and(body_json(docs.clone()))
        .respond_with(doc_answer(200, "kv2-patch-1.10.docs"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    // The recorded 1.8 CAS conflict body (patch uses the same check in 1.9+).
    Mock::given(method("PATCH"))
        .and(path("/v1/secret/data/my-secret"))
        .respond_with(answer(400, "kv2-cas-conflict"))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v1/secret/data/bao"))
        .respond_with(doc_answer(200, "kv2-patch-openbao2.docs"))
        .mount(&server)
        .await;
    let kv = vault.kv2("secret").unwrap();
    let meta = kv.patch_cas("my-secret", &docs["data"], 1).await.unwrap();
    assert_eq!((meta.version, meta.custom_metadata.unwrap()["owner"].as_str()), (2, "jdoe"));
    let err = kv.patch_cas("my-secret", &docs["data"], 1).await.unwrap_err();
    assert!(matches!(err, Error::CasMismatch { expected_version: 1, .. }), "{err:?}");
    assert_eq!(kv.patch("bao", &docs["data"]).await.unwrap().version, 2);
}

#[tokio::test]
async fn subkeys_on_1_10_and_openbao_and_unsupported_on_1_8() {
    let (server, vault) = setup().await;
    // The docs print the subkeys answer without the envelope; Vault's handler
    // (vault-plugin-secrets-kv path_subkeys.go) returns it as the response's Data.
    for (secret, name) in [("my-secret", "kv2-subkeys-1.10.docs"), ("bao", "kv2-subkeys-openbao2.docs")] {
        Mock::given(method("GET"))
            .and(path(format!("/v1/secret/subkeys/{secret}")))
            .and(query_param("version", "1"))
            .and(query_param("depth", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": doc_fixture(name)})))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/v1/secret/subkeys/as-printed"))
        .respond_with(doc_answer(200, "kv2-subkeys-1.10.docs"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/subkeys/gone"))
        .respond_with(answer(404, "kv2-read-missing"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/subkeys/old"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(serde_json::json!({"errors": ["1 error occurred:\n\t* unsupported path\n\n"]})),
        )
        .mount(&server)
        .await;
    let kv = vault.kv2("secret").unwrap();
    for secret in ["my-secret", "bao"] {
        let tree = kv.subkeys(secret, Some(1), Some(2)).await.unwrap().unwrap();
        assert_eq!(tree.subkeys["bar"]["baz"], serde_json::Value::Null);
        assert!(tree.subkeys["foo"].is_null() && tree.subkeys["quux"].is_null());
        assert_eq!((tree.metadata.version, tree.metadata.custom_metadata), (1, None));
    }
    // A server answering exactly as the docs print (no envelope) is not silently empty.
    let err = kv.subkeys("as-printed", None, None).await.unwrap_err();
    assert_eq!(err.to_string(), "GET /v1/secret/subkeys/as-printed: unexpected answer: the answer has no data");
    assert!(kv.subkeys("gone", None, None).await.unwrap().is_none());
    let err = kv.subkeys("old", None, None).await.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }) && err.to_string().contains("Vault 1.10"), "{err}");
    assert!(kv.subkeys("x", None, Some(0)).await.unwrap_err().to_string().contains("KV subkeys depth"));
}

#[tokio::test]
async fn bad_metadata_and_patch_input_is_refused_before_sending() {
    let (server, vault) = setup().await;
    Mock::given(wiremock::matchers::any()).respond_with(no_content()).expect(0).mount(&server).await;
    let kv = vault.kv2("secret").unwrap();
    let err = kv.patch_cas("x", &serde_json::json!({"a": 1}), 0).await.unwrap_err();
    assert!(err.to_string().contains("KV patch cas"), "{err}");
    let bad_after = MetadataOptions { delete_version_after: Some("soon".into()), ..MetadataOptions::default() };
    let err = kv.write_metadata("x", &bad_after).await.unwrap_err().to_string();
    assert!(err.contains("delete_version_after") && err.contains("soon"), "{err}");
    let many: std::collections::BTreeMap<String, String> = (0..65).map(|i| (i.to_string(), "v".into())).collect();
    let err = kv
        .write_metadata("x", &MetadataOptions { custom_metadata: Some(many), ..MetadataOptions::default() })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("at most 64 keys"), "{err}");
    for (key, value) in [("", "v"), ("k\n", "v"), (&*"k".repeat(129), "v"), ("k", ""), ("k", &*"v".repeat(513))] {
        let patch = MetadataPatch {
            custom_metadata: Some([(key.to_owned(), Some(value.to_owned()))].into()),
            ..MetadataPatch::default()
        };
        let err = kv.patch_metadata("x", &patch).await.unwrap_err();
        assert!(err.to_string().contains("KV custom_metadata"), "{key:?}={value:?}: {err}");
    }
    for bad in ["", "..", "a//b"] {
        assert!(kv.subkeys(bad, None, None).await.is_err());
        assert!(kv.patch_metadata(bad, &MetadataPatch::default()).await.is_err());
    }
}
