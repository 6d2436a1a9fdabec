//! Snapshots against a real Consul of their own (a restore rewinds the whole
//! cluster, so never on the agent other tests share).

use std::collections::BTreeMap;

use consul_client::{ConsulClient, Error, PutOptions, QueryOptions, WriteOptions};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn kv_state(consul: &ConsulClient, prefix: &str) -> BTreeMap<String, (Option<Vec<u8>>, u64)> {
    let pairs = consul.kv().list(prefix, &QueryOptions::default()).await.unwrap().value;
    pairs.into_iter().map(|p| (p.key, (p.value, p.flags))).collect()
}

#[tokio::test]
async fn save_change_restore_and_the_kv_is_as_it_was_saved() {
    let Some((_agent, consul)) = crate::common::own_consul(sandbox::Consul::start(), "Consul") else { return };
    let kv = consul.kv();
    let prefix = "snap/";
    for i in 0..20 {
        let opts = PutOptions { flags: i, ..PutOptions::default() };
        assert!(kv.put(&format!("{prefix}key-{i:02}"), format!("value {i}").as_bytes(), &opts).await.unwrap());
    }
    let big = vec![b'x'; 256 * 1024];
    kv.put(&format!("{prefix}big"), &big, &PutOptions::default()).await.unwrap();
    let at_save = kv_state(&consul, prefix).await;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("consul.snap");
    let mut out = tokio::fs::File::create(&file).await.unwrap();
    let saved = consul.snapshot().save(&mut out, &QueryOptions::default()).await.unwrap();
    drop(out);
    assert!(saved.index > 0, "the snapshot's index comes from X-Consul-Index");
    // The real archive passed the check (gzip, tar, SHA256SUMS) and its meta.json is Raft's.
    assert_eq!(saved.archive.index, saved.index, "meta.json's Index is the one in X-Consul-Index");
    assert!(saved.archive.term > 0 && saved.archive.size > 0, "{:?}", saved.archive);
    let checked = client_core::snapshot::check_reader(
        tokio::fs::File::open(&file).await.unwrap(),
        client_core::snapshot::ArchiveKind::Raft,
    )
    .await
    .unwrap();
    assert_eq!(checked, saved.archive, "the file on disk checks out as it did in flight");
    assert_eq!(saved.bytes, std::fs::metadata(&file).unwrap().len());
    assert_eq!(&std::fs::read(&file).unwrap()[..2], &[0x1f, 0x8b], "a snapshot is a gzip archive");

    // Change every kind of thing: modify, delete, add.
    kv.put(&format!("{prefix}key-00"), b"changed", &PutOptions::default()).await.unwrap();
    kv.delete(&format!("{prefix}key-01"), &Default::default()).await.unwrap();
    kv.put(&format!("{prefix}added-later"), b"new", &PutOptions::default()).await.unwrap();
    assert_ne!(kv_state(&consul, prefix).await, at_save);

    let reader = tokio::fs::File::open(&file).await.unwrap();
    consul.snapshot().restore(reader, &WriteOptions::default()).await.unwrap();
    let restored = kv_state(&consul, prefix).await;
    assert_eq!(restored, at_save, "the KV is exactly its state at save time (values and flags)");
}

#[tokio::test]
async fn restore_refuses_what_is_not_a_snapshot_before_sending() {
    // Nothing listens here: a refusal must come before any connection.
    let consul = ConsulClient::builder().address("http://127.0.0.1:9").build().unwrap();
    let empty = consul.snapshot().restore(std::io::Cursor::new(Vec::new()), &WriteOptions::default()).await;
    assert!(empty.unwrap_err().to_string().contains("is empty"));
    let json = std::io::Cursor::new(br#"{"not":"a snapshot"}"#.to_vec());
    let err = consul.snapshot().restore(json, &WriteOptions::default()).await.unwrap_err();
    assert!(
        err.to_string().contains("is not a Consul snapshot") && err.to_string().contains("nothing was sent"),
        "{err}"
    );
    let one = consul.snapshot().restore(std::io::Cursor::new(vec![0x1f]), &WriteOptions::default()).await;
    assert!(one.unwrap_err().to_string().contains("is not a Consul snapshot"));
}

#[tokio::test]
async fn a_damaged_snapshot_is_consuls_error_and_a_failing_writer_is_an_io_error() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/v1/snapshot"))
        .respond_with(ResponseTemplate::new(500).set_body_string("failed to read snapshot: unexpected EOF"))
        .expect(1)
        .mount(&server)
        .await;
    let whole = test_support::snapshot::raft_archive(&vec![7u8; 3 * 1024 * 1024], 4242, 5);
    Mock::given(method("GET"))
        .and(path("/v1/snapshot"))
        .respond_with(ResponseTemplate::new(200).insert_header("X-Consul-Index", "4242").set_body_bytes(whole.clone()))
        .mount(&server)
        .await;
    let consul = ConsulClient::builder().address(&server.uri()).build().unwrap();
    let damaged = std::io::Cursor::new(vec![0x1f, 0x8b, 0, 0, 0]);
    let err = consul.snapshot().restore(damaged, &WriteOptions::default()).await.unwrap_err();
    assert!(err.to_string().contains("unexpected EOF"), "{err}");

    let mut sink = Vec::new();
    let saved = consul.snapshot().save(&mut sink, &QueryOptions::default()).await.unwrap();
    assert_eq!((saved.index, saved.bytes, sink), (4242, whole.len() as u64, whole.clone()));
    assert_eq!((saved.archive.index, saved.archive.term), (4242, 5));

    struct Full;
    impl tokio::io::AsyncWrite for Full {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            _: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            std::task::Poll::Ready(Err(std::io::Error::other("disk full")))
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }
    let err = consul.snapshot().save(&mut Full, &QueryOptions::default()).await.unwrap_err();
    assert!(matches!(&err, Error::Io { .. }) && err.to_string().contains("disk full"), "{err}");
}

/// Consul sends `200 OK` before it writes the archive, so a snapshot it cut
/// short is a normal-looking answer with a short body: the save says so
/// instead of leaving a backup that cannot be restored.
#[tokio::test]
async fn a_snapshot_cut_short_or_damaged_in_flight_is_an_error() {
    let whole = test_support::snapshot::raft_archive(&[3u8; 200_000], 77, 2);
    let mut flipped = whole.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x40;
    let cases = [
        ("cut in the middle", whole[..whole.len() / 2].to_vec(), "incomplete"),
        ("cut before the gzip trailer", whole[..whole.len() - 3].to_vec(), "incomplete"),
        ("a byte flipped", flipped, "cannot be restored"),
        ("an empty body", Vec::new(), "incomplete"),
        ("not gzip at all", br#"{"error":"no leader"}"#.to_vec(), "not a valid gzip stream"),
    ];
    for (case, body, says) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v1/snapshot"))
            .respond_with(ResponseTemplate::new(200).insert_header("X-Consul-Index", "77").set_body_bytes(body))
            .mount(&server)
            .await;
        let consul = ConsulClient::builder().address(&server.uri()).build().unwrap();
        let mut sink = Vec::new();
        let err = consul.snapshot().save(&mut sink, &QueryOptions::default()).await.unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(&err, Error::Core(client_core::Error::SnapshotDamaged { bytes, .. }) if *bytes == sink.len() as u64),
            "{case}: {err:?}"
        );
        assert!(
            text.contains(says) && text.contains("GET /v1/snapshot") && text.contains("save again"),
            "{case}: {text}"
        );
    }
}
