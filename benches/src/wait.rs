//! Bench 6: how fast the bootstrap recipe notices Patroni's `leader` key, through its
//! scope store's blocking query (`ScopeStore::wait_change`), against a 1-second polling loop.

use std::time::{Duration, Instant};

use consul_client::{ConsulClient, PutOptions};
use recipes::adapters::consul::ConsulScopeStore;
use recipes::ports::{ScopeSnapshot, ScopeStore};

use crate::Sizes;
use crate::report::Section;
use crate::stats::median_ms;

fn has_leader(s: &ScopeSnapshot) -> bool {
    s.entries.iter().any(|e| e.key.ends_with("/leader"))
}

/// Waits like the recipe does: blocking queries on the scope until the leader appears.
async fn wait_blocking(store: &ConsulScopeStore, scope: &str) -> anyhow::Result<Instant> {
    let mut snap = store.snapshot(scope).await?;
    while !has_leader(&snap) {
        snap = store.wait_change(scope, snap.index.max(1), Duration::from_secs(30)).await?;
    }
    Ok(Instant::now())
}

/// The naive alternative: read the scope every second.
async fn wait_polling(store: &ConsulScopeStore, scope: &str) -> anyhow::Result<Instant> {
    loop {
        if has_leader(&store.snapshot(scope).await?) {
            return Ok(Instant::now());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// One trial: the waiter starts, "Patroni" writes the leader key after `delay`.
async fn trial(client: &ConsulClient, scope: &str, delay: Duration, blocking: bool) -> anyhow::Result<Duration> {
    let store = ConsulScopeStore::new(client.clone());
    let waiter = {
        let scope = scope.to_owned();
        tokio::spawn(async move {
            if blocking { wait_blocking(&store, &scope).await } else { wait_polling(&store, &scope).await }
        })
    };
    tokio::time::sleep(delay).await;
    let written = Instant::now();
    client.kv().put(&format!("service/{scope}/leader"), b"member-0", &PutOptions::default()).await?;
    let noticed = waiter.await??;
    client.kv().delete_tree(&format!("service/{scope}/")).await?;
    Ok(noticed.saturating_duration_since(written))
}

/// Runs the wait-latency benchmark against the Consul at `url`.
pub async fn run(url: &str, sizes: &Sizes) -> anyhow::Result<Section> {
    let mut section = Section::new("wait");
    let client = ConsulClient::builder().address(url).build()?;
    let suffix = sandbox::unique_suffix();
    let (mut blocking, mut polling) = (Vec::new(), Vec::new());
    for i in 0..sizes.wait_trials {
        // Spread the write over the polling period so polling is not flattered by luck.
        let delay = Duration::from_millis(300 + (i as u64 * 617) % 1000);
        blocking.push(trial(&client, &format!("bench-wait-{suffix}-b{i}"), delay, true).await?);
        polling.push(trial(&client, &format!("bench-wait-{suffix}-p{i}"), delay, false).await?);
    }
    let max_ms = |v: &[Duration]| v.iter().max().map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    let (b_max, p_max) = (max_ms(&blocking), max_ms(&polling));
    let (b_med, p_med) = (median_ms(blocking), median_ms(polling));
    section.figure("blocking query (recipe): median", b_med, "ms");
    section.figure("blocking query (recipe): max", b_max, "ms");
    section.figure("1 s polling loop: median", p_med, "ms");
    section.figure("1 s polling loop: max", p_max, "ms");
    section.ratio("blocking max latency / 100 ms target", b_max / 100.0, "<= 1.0", b_max <= 100.0);
    section.ratio("polling median / blocking median", p_med / b_med, "(information)", true);
    section.note(format!(
        "{} trials each; latency is from just before the leader key's PUT is sent to the waiter seeing it, \
         through recipes::adapters::consul::ConsulScopeStore (the store the bootstrap recipe waits on)",
        sizes.wait_trials
    ));
    Ok(section)
}
