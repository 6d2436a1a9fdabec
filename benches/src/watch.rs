//! Bench 4: watch efficiency on a real Consul, counting the requests a watch really sends
//! (through a counting proxy): a quiet prefix, then a burst of writes.

use std::time::{Duration, Instant};

use consul_client::{ConsulClient, PutOptions, WatchOptions};
use futures::StreamExt;
use tokio::sync::watch as tokio_watch;

use crate::Sizes;
use crate::report::Section;
use crate::server::{self, LocalServer};

/// What one watching consumer saw.
struct Consumer {
    proxy: LocalServer,
    /// Items yielded so far, and the key count of the latest one.
    progress: tokio_watch::Receiver<(u64, usize)>,
    task: tokio::task::JoinHandle<()>,
}

/// Starts a watch on `prefix` through its own counting proxy; each item is "processed" for `work`.
async fn consumer(consul_url: &str, prefix: &str, wait: Duration, work: Duration) -> anyhow::Result<Consumer> {
    let proxy = LocalServer::start(server::proxy(consul_url))?;
    let client = ConsulClient::builder().address(&proxy.url()).build()?;
    let (tx, progress) = tokio_watch::channel((0, 0));
    let options = WatchOptions { wait, ..WatchOptions::default() };
    let mut stream = Box::pin(client.kv().watch_prefix(prefix, options));
    let task = tokio::spawn(async move {
        let mut items = 0;
        while let Some(item) = stream.next().await {
            let Ok(item) = item else { continue };
            items += 1;
            if !work.is_zero() {
                tokio::time::sleep(work).await;
            }
            let _ = tx.send((items, item.value.len()));
        }
    });
    Ok(Consumer { proxy, progress, task })
}

/// Runs the watch benchmark against the Consul at `url`.
pub async fn run(url: &str, sizes: &Sizes) -> anyhow::Result<Section> {
    let mut section = Section::new("watch");
    let direct = ConsulClient::builder().address(url).build()?;
    let prefix = format!("bench/watch-{}/", sandbox::unique_suffix());
    direct.kv().put(&format!("{prefix}seed"), b"0", &PutOptions::default()).await?;

    // Quiet period: nothing changes under the prefix.
    let wait = sizes.watch_wait;
    let quiet = consumer(url, &prefix, wait, Duration::ZERO).await?;
    tokio::time::sleep(sizes.quiet_period).await;
    let quiet_requests = quiet.proxy.requests();
    let bound = (sizes.quiet_period.as_secs_f64() / wait.as_secs_f64()).ceil() + 1.0;
    section.figure(
        format!("quiet {} s, wait {} s: requests", sizes.quiet_period.as_secs(), wait.as_secs()),
        quiet_requests as f64,
        "requests",
    );
    section.figure("quiet: allowed requests ceil(period / wait) + 1", bound, "requests");
    section.ratio(
        "quiet-period requests / allowed",
        quiet_requests as f64 / bound,
        "<= 1.0",
        quiet_requests as f64 <= bound,
    );

    // Burst: writes as fast as 16 writers go, one fast and one slow consumer watching.
    let slow = consumer(url, &prefix, wait, Duration::from_millis(100)).await?;
    // Let the slow consumer take its first item before the burst starts.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (fast_before, slow_before) = (quiet.proxy.requests(), slow.proxy.requests());
    let (fast_items_before, slow_items_before) = (quiet.progress.borrow().0, slow.progress.borrow().0);
    let start = Instant::now();
    let writes = sizes.burst_writes;
    futures::stream::iter(0..writes)
        .map(|i| {
            let direct = direct.clone();
            let key = format!("{prefix}k{i:05}");
            async move { direct.kv().put(&key, b"x", &PutOptions::default()).await }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let burst = start.elapsed();
    let want = writes + 1;
    let mut delivered = Vec::new();
    for c in [&quiet, &slow] {
        let mut rx = c.progress.clone();
        let seen =
            tokio::time::timeout(wait * 2 + Duration::from_secs(5), rx.wait_for(|(_, keys)| *keys >= want)).await;
        delivered.push((seen.is_ok(), start.elapsed()));
    }
    let fast_requests = quiet.proxy.requests() - fast_before;
    let slow_requests = slow.proxy.requests() - slow_before;
    let fast_items = quiet.progress.borrow().0 - fast_items_before;
    let slow_items = slow.progress.borrow().0 - slow_items_before;
    section.figure(format!("burst: {writes} writes took"), burst.as_secs_f64() * 1000.0, "ms");
    section.figure("burst: fast consumer requests", fast_requests as f64, "requests");
    section.figure("burst: fast consumer items (whole snapshots)", fast_items as f64, "items");
    section.figure("burst: fast consumer saw every key after", delivered[0].1.as_secs_f64() * 1000.0, "ms");
    section.figure("burst: slow consumer (100 ms per item) requests", slow_requests as f64, "requests");
    section.figure("burst: slow consumer items", slow_items as f64, "items");
    section.figure("burst: slow consumer saw every key after", delivered[1].1.as_secs_f64() * 1000.0, "ms");
    let all_delivered = delivered.iter().all(|(ok, _)| *ok);
    section.ratio(
        "burst: consumers that saw all writes / consumers",
        if all_delivered { 1.0 } else { 0.0 },
        "= 1.0",
        all_delivered,
    );
    let per_write = slow_requests as f64 / writes as f64;
    section.ratio("burst: slow consumer requests / writes", per_write, "< 1.0 (coalesced, no queue)", per_write < 1.0);
    section.note(
        "a watch is a pull stream: it sends the next blocking query only when the consumer asks for the next \
         item, and each item is the whole current snapshot, so a burst coalesces into fewer, larger items and \
         nothing queues between the server and a slow consumer",
    );
    for c in [quiet, slow] {
        c.task.abort();
    }
    direct.kv().delete_tree(&prefix).await?;
    Ok(section)
}
