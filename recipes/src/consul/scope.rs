use std::time::Duration;

use async_trait::async_trait;
use consul_client::{BlockingOptions, ConsulClient, PutOptions, QueryOptions};

use crate::capability::{ScopeEntry, ScopeSnapshot, ScopeStore};
use crate::{Error, Result};

/// [`ScopeStore`] over Consul KV, where Patroni keeps `<namespace>/<scope>/...`
/// (Patroni's `namespace` setting, `/service/` by default).
#[derive(Debug, Clone)]
pub struct ConsulScopeStore {
    consul: ConsulClient,
    root: String,
}

impl ConsulScopeStore {
    /// Uses Patroni's default namespace, `service/`.
    #[must_use]
    pub fn new(consul: ConsulClient) -> Self {
        Self { consul, root: "service/".to_owned() }
    }

    /// Uses another Patroni namespace (leading and trailing `/` are normalised).
    pub fn with_root(mut self, root: &str) -> Result<Self> {
        let trimmed = root.trim_matches('/');
        if trimmed.is_empty() || trimmed.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
            return Err(Error::invalid("Patroni namespace", root, "must be a KV folder such as /service/"));
        }
        self.root = format!("{trimmed}/");
        Ok(self)
    }

    async fn list(&self, scope: &str, opts: &QueryOptions) -> Result<ScopeSnapshot> {
        let prefix = self.checked_prefix(scope)?;
        let found = self.consul.kv().list(&prefix, opts).await.map_err(|e| Error::backend("Consul KV", e))?;
        let mut entries: Vec<ScopeEntry> =
            found.value.into_iter().map(|p| ScopeEntry::new(p.key, p.flags, p.value)).collect();
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(ScopeSnapshot { prefix, index: found.meta.last_index, entries })
    }

    fn checked_prefix(&self, scope: &str) -> Result<String> {
        crate::input::validate_scope(scope)?;
        Ok(self.prefix(scope))
    }
}

#[async_trait]
impl ScopeStore for ConsulScopeStore {
    fn prefix(&self, scope: &str) -> String {
        format!("{}{scope}/", self.root)
    }

    async fn snapshot(&self, scope: &str) -> Result<ScopeSnapshot> {
        self.list(scope, &QueryOptions::default()).await
    }

    async fn wait_change(&self, scope: &str, index: u64, max_wait: Duration) -> Result<ScopeSnapshot> {
        self.list(scope, &QueryOptions::default().with_blocking(BlockingOptions::new(index, max_wait))).await
    }

    async fn delete_scope(&self, scope: &str) -> Result<()> {
        let prefix = self.checked_prefix(scope)?;
        self.consul.kv().delete_tree(&prefix).await.map_err(|e| Error::backend("Consul KV", e))
    }

    async fn restore(&self, entries: &[ScopeEntry]) -> Result<()> {
        for entry in entries {
            let opts = PutOptions { flags: entry.flags, ..PutOptions::default() };
            self.consul
                .kv()
                .put(&entry.key, &entry.value(), &opts)
                .await
                .map_err(|e| Error::backend("Consul KV", e))?;
        }
        Ok(())
    }

    async fn look_alikes(&self, scope: &str) -> Result<Vec<String>> {
        let own = self.checked_prefix(scope)?;
        let raw = format!("{}{scope}", self.root);
        let keys = self
            .consul
            .kv()
            .keys(&raw, Some("/"), &QueryOptions::default())
            .await
            .map_err(|e| Error::backend("Consul KV", e))?;
        Ok(keys.value.into_iter().filter(|k| *k != own).collect())
    }
}
