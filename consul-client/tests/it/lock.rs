//! Locks and their contention, against the real Consul.

use std::time::Duration;

use consul_client::{Error, LockOptions, QueryOptions};

use crate::common::{consul_or_skip, prefix};

fn opts(holder: &str, wait: Duration) -> LockOptions {
    LockOptions {
        value: holder.as_bytes().to_vec(),
        session_name: format!("it lock {holder}"),
        session_ttl: Duration::from_secs(10),
        lock_delay: Duration::from_secs(1),
        wait,
    }
}

#[tokio::test]
async fn two_holders_contend_and_the_second_gets_it_after_release() {
    let consul = consul_or_skip!();
    let key = format!("{}leader", prefix("lock"));
    let first = consul.sessions().lock(&key, &opts("a", Duration::ZERO)).await.unwrap();
    assert!(first.is_held());
    let pair = consul.kv().get(&key, &QueryOptions::default()).await.unwrap().value.unwrap();
    assert_eq!(pair.session.as_deref(), Some(first.session_id()));
    assert_eq!(pair.value_str(), Some("a"));

    let err = consul.sessions().lock(&key, &opts("b", Duration::ZERO)).await.unwrap_err();
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    assert!(err.to_string().contains(first.session_id()), "the error names the holder: {err}");

    let contender = {
        let consul = consul.clone();
        let key = key.clone();
        tokio::spawn(async move { consul.sessions().lock(&key, &opts("b", Duration::from_secs(30))).await })
    };
    // Give the contender time to block on the key, then let go.
    tokio::time::sleep(Duration::from_millis(500)).await;
    first.release().await.unwrap();
    let second = contender.await.unwrap().unwrap();
    assert!(second.is_held());
    let pair = consul.kv().get(&key, &QueryOptions::default()).await.unwrap().value.unwrap();
    assert_eq!(pair.session.as_deref(), Some(second.session_id()));
    assert_eq!(pair.value_str(), Some("b"));

    let session = second.session_id().to_owned();
    second.release().await.unwrap();
    let pair = consul.kv().get(&key, &QueryOptions::default()).await.unwrap().value.unwrap();
    assert!(pair.session.is_none(), "released");
    let info = consul.sessions().info(&session, &QueryOptions::default()).await.unwrap();
    assert!(info.value.is_none(), "the session was destroyed");
    consul.kv().delete(&key, &consul_client::DeleteOptions::default()).await.unwrap();
}

#[tokio::test]
async fn a_destroyed_session_is_reported_as_lost() {
    let consul = consul_or_skip!();
    let key = format!("{}leader", prefix("lost"));
    let mut guard = consul.sessions().lock(&key, &opts("a", Duration::ZERO)).await.unwrap();
    // Someone else (an operator, a failed node check) invalidates the session.
    consul.sessions().destroy(guard.session_id(), &consul_client::WriteOptions::default()).await.unwrap();
    // The renewer notices at its next renewal (TTL/2 = 5 s).
    tokio::time::timeout(Duration::from_secs(30), guard.lost()).await.expect("loss is reported");
    assert!(!guard.is_held());
    drop(guard);
    consul.kv().delete(&key, &consul_client::DeleteOptions::default()).await.unwrap();
}

#[tokio::test]
async fn a_key_released_behind_our_back_is_reported_as_lost() {
    let consul = consul_or_skip!();
    let key = format!("{}leader", prefix("stolen"));
    let mut guard = consul.sessions().lock(&key, &opts("a", Duration::ZERO)).await.unwrap();
    // An operator force-releases the key with the session's own ID.
    let release = consul_client::PutOptions { release: Some(guard.session_id().to_owned()), ..Default::default() };
    assert!(consul.kv().put(&key, b"", &release).await.unwrap());
    tokio::time::timeout(Duration::from_secs(30), guard.lost()).await.expect("loss is reported");
    assert!(!guard.is_held());
    guard.release().await.unwrap();
    consul.kv().delete(&key, &consul_client::DeleteOptions::default()).await.unwrap();
}
