//! The KV + sessions semaphore with several holders on the real Consul.

use std::time::{Duration, Instant};

use consul_client::{Error, SemaphoreOptions};

use crate::common::{consul_or_skip, prefix};

#[tokio::test]
async fn two_slots_three_holders() {
    let consul = consul_or_skip!();
    let folder = prefix("sem");
    let sem = consul.semaphore(&folder).unwrap();
    let opts = SemaphoreOptions { limit: 2, ..SemaphoreOptions::default() };
    let first = sem.acquire(&opts).await.unwrap();
    let second = consul.semaphore(&folder).unwrap().acquire(&opts).await.unwrap();
    let mut holders = sem.holders().await.unwrap();
    holders.sort();
    let mut expected = vec![first.session_id().to_owned(), second.session_id().to_owned()];
    expected.sort();
    assert_eq!(holders, expected);

    let waiting = SemaphoreOptions { wait: Duration::from_secs(1), ..opts.clone() };
    let started = Instant::now();
    let full = sem.acquire(&waiting).await.unwrap_err();
    assert!(matches!(full, Error::LockTimeout { .. }) && full.to_string().contains("all 2 slots are held"), "{full}");
    assert!(started.elapsed() >= Duration::from_millis(900), "it waited for a slot");

    // A third holder waiting in the background gets the slot the first gives back.
    let third = {
        let sem = sem.clone();
        let opts = SemaphoreOptions { wait: Duration::from_secs(20), ..opts.clone() };
        tokio::spawn(async move { sem.acquire(&opts).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first_session = first.session_id().to_owned();
    first.release().await.unwrap();
    let third =
        tokio::time::timeout(Duration::from_secs(20), third).await.expect("woken by the release").unwrap().unwrap();
    let holders = sem.holders().await.unwrap();
    assert!(holders.contains(&third.session_id().to_owned()) && !holders.contains(&first_session), "{holders:?}");
    assert_eq!(holders.len(), 2);

    let other_limit = SemaphoreOptions { limit: 3, ..SemaphoreOptions::default() };
    let mismatch = sem.acquire(&other_limit).await.unwrap_err();
    assert!(mismatch.to_string().contains("differs from the limit 2"), "{mismatch}");

    second.release().await.unwrap();
    third.release().await.unwrap();
    assert!(sem.holders().await.unwrap().is_empty());
    assert!(consul.semaphore("no-trailing-slash").is_err(), "the folder must end in '/'");
    consul.kv().delete_tree(&folder).await.unwrap();
}
