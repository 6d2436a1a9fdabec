//! The KV + sessions semaphore with several holders on the real Consul.

use std::time::{Duration, Instant};

use consul_client::{Error, PutOptions, SemaphoreOptions};

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

/// Consul's shortest session TTL; it invalidates a session not renewed within twice its TTL.
const TTL: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_held_slot_outlives_several_ttls_because_it_is_renewed() {
    let consul = consul_or_skip!();
    let folder = prefix("sem-renew");
    let sem = consul.semaphore(&folder).unwrap();
    let opts = SemaphoreOptions { limit: 1, session_ttl: TTL, ..SemaphoreOptions::default() };
    let mut slot = sem.acquire(&opts).await.unwrap();
    // Past 3 TTLs (Consul drops an unrenewed session after 2): only the background renewal keeps it.
    let outcome = tokio::time::timeout(TTL * 3 + Duration::from_secs(2), slot.lost()).await;
    assert!(outcome.is_err(), "the slot was lost: {outcome:?}");
    assert!(slot.is_held());
    let info = consul.sessions().info(slot.session_id(), &Default::default()).await.unwrap().value;
    assert!(info.is_some(), "the session is still alive after {:?}", TTL * 3);
    assert_eq!(sem.holders().await.unwrap(), vec![slot.session_id().to_owned()]);
    let session = slot.session_id().to_owned();
    slot.release().await.unwrap();
    assert!(
        consul.sessions().info(&session, &Default::default()).await.unwrap().value.is_none(),
        "release destroys it"
    );
    consul.kv().delete_tree(&folder).await.unwrap();
}

#[tokio::test]
async fn the_holder_is_told_when_its_session_is_destroyed_from_outside() {
    let consul = consul_or_skip!();
    let folder = prefix("sem-lost");
    let sem = consul.semaphore(&folder).unwrap();
    let opts = SemaphoreOptions { limit: 2, session_ttl: TTL, ..SemaphoreOptions::default() };
    let mut victim = sem.acquire(&opts).await.unwrap();
    let mut bystander = sem.acquire(&opts).await.unwrap();
    assert!(victim.is_held());
    consul.sessions().destroy(victim.session_id(), &Default::default()).await.unwrap();
    let reason = tokio::time::timeout(Duration::from_secs(5), victim.lost()).await.expect("told within seconds");
    assert!(reason.contains("contender key") || reason.contains("session no longer exists"), "{reason}");
    assert!(!victim.is_held());
    // The other holder keeps its slot, and the lost one is free for a newcomer.
    assert!(tokio::time::timeout(Duration::from_millis(500), bystander.lost()).await.is_err());
    let newcomer = sem.acquire(&SemaphoreOptions { wait: Duration::from_secs(5), ..opts.clone() }).await.unwrap();
    assert!(bystander.is_held());
    newcomer.release().await.unwrap();
    bystander.release().await.unwrap();
    drop(victim);
    consul.kv().delete_tree(&folder).await.unwrap();
}

#[tokio::test]
async fn the_holder_is_told_when_the_lock_key_drops_it_from_the_holders() {
    let consul = consul_or_skip!();
    let folder = prefix("sem-evicted");
    let sem = consul.semaphore(&folder).unwrap();
    let opts = SemaphoreOptions { limit: 3, session_ttl: TTL, ..SemaphoreOptions::default() };
    let mut slot = sem.acquire(&opts).await.unwrap();
    // Someone rewrites the lock record without this holder (its session stays alive).
    let lock_key = format!("{folder}.lock");
    consul.kv().put(&lock_key, br#"{"Limit":3,"Holders":{}}"#, &PutOptions::default()).await.unwrap();
    let reason = tokio::time::timeout(Duration::from_secs(5), slot.lost()).await.expect("told within seconds");
    assert!(reason.contains("no longer lists the session"), "{reason}");
    assert!(!slot.is_held());
    let session = slot.session_id().to_owned();
    drop(slot);
    // Dropping the guard destroys its session at once (not after the TTL).
    let deadline = Instant::now() + Duration::from_secs(5);
    while consul.sessions().info(&session, &Default::default()).await.unwrap().value.is_some() {
        assert!(Instant::now() < deadline, "the dropped guard's session {session} was not destroyed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    consul.kv().delete_tree(&folder).await.unwrap();
}
