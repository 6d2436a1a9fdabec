//! A ghost to clean up: a catalog node that is no Consul member, carrying a
//! Nomad-task-style service instance, as a Nomad client that died for good
//! leaves behind. Names are random so the cleanup must find it, not know it.

use std::collections::BTreeMap;

use consul_client::{CatalogRegistration, ConsulClient, ServiceRegistration};

/// What was planted.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Ghost {
    /// The catalog node (no agent behind it).
    pub node: String,
    /// The service's name.
    pub service: String,
    /// The service instance ID, `_nomad-task-<alloc>-<task>-<service>-<port label>`.
    pub service_id: String,
}

impl Ghost {
    /// Random names for a ghost of namespace `namespace`.
    pub fn random(namespace: &str) -> Self {
        let suffix = sandbox::unique_suffix();
        let alloc = random_alloc_id();
        let service = format!("{namespace}-web-{suffix}");
        Self {
            node: format!("ghost-client-{suffix}"),
            service_id: format!("_nomad-task-{alloc}-web-{service}-http"),
            service,
        }
    }

    /// Registers the node and its service in the catalog.
    pub async fn plant(&self, consul: &ConsulClient) -> anyhow::Result<()> {
        let registration = CatalogRegistration {
            node: self.node.clone(),
            address: "192.0.2.10".to_owned(), // TEST-NET-1: nothing answers there
            service: Some(ServiceRegistration {
                id: Some(self.service_id.clone()),
                service: self.service.clone(),
                tags: vec!["demo".to_owned(), "ghost".to_owned()],
                port: Some(23456),
                meta: BTreeMap::from([("external-source".to_owned(), "nomad".to_owned())]),
                ..ServiceRegistration::default()
            }),
            ..CatalogRegistration::default()
        };
        consul.catalog().register(&registration).await?;
        Ok(())
    }
}

/// A random UUID-shaped allocation ID, like Nomad's (std's randomly keyed
/// hasher is random enough for a demo name).
fn random_alloc_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let word = |n: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(n);
        h.finish()
    };
    let hex = format!("{:016x}{:016x}", word(1), word(2));
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}
