//! Helpers shared by the test modules.

use test_support::Fixtures;

/// This crate's `tests/fixtures` (recorded bodies, one folder per version).
pub const FIXTURES: Fixtures = Fixtures::new(env!("CARGO_MANIFEST_DIR"));

/// The text of a fixture file.
pub fn fixture(rel: &str) -> String {
    FIXTURES.text(rel)
}

/// Every fixture file of a kind (`patroni`, `cluster`, ...) across versions.
pub fn fixtures_of(kind: &str) -> Vec<(String, String)> {
    let out: Vec<_> =
        ["3.0.2", "4.1.5"].iter().flat_map(|version| FIXTURES.all_of(&format!("{version}/{kind}"))).collect();
    assert!(out.len() >= 4, "expected fixtures of {kind} for both versions, found {}", out.len());
    out
}

/// A real 2-member Patroni cluster shared by the read-mostly tests of this
/// process (with REST API basic auth), on the shared Consul agent. Kept in a
/// static; its processes and directory go when the process ends.
pub struct SharedCluster {
    /// The cluster (locked only to read member details).
    pub cluster: std::sync::Mutex<sandbox::PatroniCluster>,
    /// Member REST API URLs, by member index.
    pub urls: Vec<String>,
    /// Member names, by member index.
    pub names: Vec<String>,
    /// Index of the leader elected at start.
    pub leader: usize,
    /// Consul's HTTP address.
    pub consul_addr: String,
    /// REST API credentials.
    pub username: String,
    /// REST API password.
    pub password: String,
}

impl SharedCluster {
    /// The scope.
    pub fn scope(&self) -> String {
        self.cluster.lock().unwrap().scope().to_owned()
    }

    /// A member client with the right credentials.
    pub fn client(&self, i: usize) -> patroni_client::PatroniClient {
        patroni_client::PatroniClient::builder()
            .address(&self.urls[i])
            .basic_auth(&self.username, self.password.as_str())
            .build()
            .unwrap()
    }

    /// The replica elected at start.
    pub fn replica(&self) -> usize {
        1 - self.leader
    }
}

static SHARED: std::sync::OnceLock<Option<SharedCluster>> = std::sync::OnceLock::new();

/// The shared cluster (`None`: skipped outside CI, see `sandbox::unavailable`).
pub fn shared_cluster() -> Option<&'static SharedCluster> {
    SHARED
        .get_or_init(|| {
            let consul = sandbox::shared_consul()?;
            let scope = format!("pc-shared-{}", sandbox::unique_suffix());
            let mut cluster = match sandbox::PatroniCluster::new(&consul.host_port(), &scope, 2) {
                Ok(c) => c,
                Err(e) => {
                    sandbox::unavailable("Patroni", &e);
                    return None;
                }
            };
            let password = format!("pw-{}", sandbox::unique_suffix());
            cluster.set_restapi_auth("patroni", &password);
            cluster.start_all_and_wait_leader(std::time::Duration::from_secs(90)).expect("shared cluster leader");
            let leader = cluster.wait_streaming(1, std::time::Duration::from_secs(90)).expect("streaming replica");
            let urls = (0..2).map(|i| cluster.api_url(i)).collect();
            let names = (0..2).map(|i| cluster.member_name(i).to_owned()).collect();
            Some(SharedCluster {
                cluster: std::sync::Mutex::new(cluster),
                urls,
                names,
                leader,
                consul_addr: consul.http_addr(),
                username: "patroni".to_owned(),
                password,
            })
        })
        .as_ref()
}
