//! A real Patroni cluster (PostgreSQL 15 + Patroni on the shared Consul agent) for the
//! recipes that work on a running cluster without a scheduler: restart, restore_database.

use std::time::Duration;

use consul_client::ConsulClient;
use sandbox::PatroniCluster;

/// A running cluster, its scope's Consul client and the index of its leader.
pub(crate) struct RealCluster {
    pub(crate) cluster: PatroniCluster,
    pub(crate) consul: ConsulClient,
    pub(crate) namespace: String,
    pub(crate) scope: String,
    pub(crate) leader: usize,
}

/// Starts a 2-member cluster for namespace `it-<tag>-<suffix>` and waits until the replica
/// streams; `None` (skipped outside CI) when the sandbox cannot run one.
pub(crate) fn start(tag: &str) -> Option<RealCluster> {
    let consul_agent = sandbox::shared_consul()?;
    let namespace = format!("it-{tag}-{}", sandbox::unique_suffix());
    let scope = recipes::input::default_scope(&namespace);
    let mut cluster = match PatroniCluster::new(&consul_agent.host_port(), &scope, 2) {
        Ok(c) => c,
        Err(e) => {
            sandbox::unavailable("Patroni", &e);
            return None;
        }
    };
    cluster.start_all_and_wait_leader(Duration::from_secs(120)).expect("a leader");
    let leader = cluster.wait_streaming(1, Duration::from_secs(120)).expect("a streaming replica");
    let consul = ConsulClient::builder().address(&consul_agent.http_addr()).build().unwrap();
    Some(RealCluster { cluster, consul, namespace, scope, leader })
}

impl RealCluster {
    /// The member's `GET /patroni` body.
    pub(crate) fn status(&self, i: usize) -> serde_json::Value {
        self.cluster.get_json(i, "/patroni").map(|(_, v)| v).unwrap_or_default()
    }

    /// Waits until `probe` holds, at most `timeout`, polling every 250 ms.
    pub(crate) async fn until(&self, what: &str, timeout: Duration, probe: impl Fn(&Self) -> bool) {
        let started = std::time::Instant::now();
        while !probe(self) {
            assert!(started.elapsed() < timeout, "no {what} after {timeout:?}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}
