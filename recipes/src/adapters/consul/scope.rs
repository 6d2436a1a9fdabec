use std::time::Duration;

use async_trait::async_trait;
use consul_client::{ConsulClient, KvPair, QueryOptions};

use crate::ports::{ScopeEntry, ScopeSnapshot, ScopeStore};
use crate::{Error, FailedAction, Result};

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
        let found = self
            .consul
            .kv()
            .list(&prefix, opts)
            .await
            .map_err(|e| Error::backend_step("Consul KV", "listing the scope", e))?;
        let mut entries: Vec<ScopeEntry> = found
            .value
            .into_iter()
            .map(|p| ScopeEntry::new(p.key, p.flags, p.value).at_index(p.modify_index))
            .collect();
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
        self.list(scope, &QueryOptions::new().blocking(index, max_wait)).await
    }

    async fn delete_scope(&self, scope: &str, saved: &ScopeSnapshot) -> Result<()> {
        let prefix = self.checked_prefix(scope)?;
        if saved.prefix != prefix {
            return Err(Error::invalid("scope snapshot", &saved.prefix, format!("is not a snapshot of {prefix}")));
        }
        if let Some(e) = saved.entries.iter().find(|e| e.modify_index == 0) {
            return Err(Error::invalid(
                "scope snapshot",
                &e.key,
                "has no ModifyIndex, so it cannot be deleted conditionally: take the snapshot from this store",
            ));
        }
        let pairs: Vec<KvPair> = saved.entries.iter().map(to_pair).collect();
        self.consul
            .kv()
            .delete_saved(&prefix, &pairs)
            .await
            .map(|_| ())
            .map_err(|e| Error::backend_step("Consul KV", "deleting the saved scope", e))
    }

    async fn restore(&self, entries: &[ScopeEntry]) -> Result<()> {
        if let Some(e) = entries.iter().find(|e| !e.key.starts_with(&self.root)) {
            return Err(Error::invalid("scope entry", &e.key, format!("lies outside the namespace {}", self.root)));
        }
        let pairs: Vec<KvPair> = entries.iter().map(to_pair).collect();
        let restored = self
            .consul
            .kv()
            .restore_saved(&pairs)
            .await
            .map_err(|e| Error::backend_step("Consul KV", "restoring the scope", e))?;
        if restored.is_complete() {
            return Ok(());
        }
        // The keys that already held their saved values count as done: they are restored.
        let done = restored
            .written
            .iter()
            .map(|k| format!("wrote {k}"))
            .chain(restored.unchanged.iter().map(|k| format!("{k} already held its saved value")));
        Err(Error::PartialFailure {
            recipe: "scope restore".into(),
            done: done.collect(),
            failed: restored
                .conflicting
                .into_iter()
                .map(|key| FailedAction {
                    error: Error::Conflict(format!("{key:?} already holds another value and was left as it is")),
                    target: key,
                })
                .collect(),
        })
    }

    async fn look_alikes(&self, scope: &str) -> Result<Vec<String>> {
        let own = self.checked_prefix(scope)?;
        let raw = format!("{}{scope}", self.root);
        let keys = self
            .consul
            .kv()
            .keys(&raw, Some("/"), &QueryOptions::default())
            .await
            .map_err(|e| Error::backend_step("Consul KV", "listing the neighbouring scopes", e))?;
        Ok(keys.value.into_iter().filter(|k| *k != own).collect())
    }
}

/// The pair a saved entry stands for (no value when none was stored).
fn to_pair(entry: &ScopeEntry) -> KvPair {
    KvPair {
        key: entry.key.clone(),
        create_index: 0,
        modify_index: entry.modify_index,
        lock_index: 0,
        flags: entry.flags,
        value: entry.has_value().then(|| entry.value()),
        session: None,
    }
}
