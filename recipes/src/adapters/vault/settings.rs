//! [`SettingsStore`] over Vault KV (version 1 or 2).

use async_trait::async_trait;
use vault_client::{Kv, VaultClient};

use crate::ports::{DatabaseSettings, SettingsStore};
use crate::{Error, Result};

/// Which KV engine version the mount runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KvVersion {
    /// Ask Vault (`sys/internal/ui/mounts/<mount>`) on each call.
    #[default]
    Detect,
    /// KV version 1.
    V1,
    /// KV version 2.
    V2,
}

/// The namespace's database settings in Vault KV, by default at
/// `kv/nomad-cluster/<namespace>/database` (mount `kv`, template
/// `nomad-cluster/{namespace}/{component}`, component `database`).
#[derive(Debug, Clone)]
pub struct VaultSettings {
    vault: VaultClient,
    mount: String,
    template: String,
    component: String,
    version: KvVersion,
}

impl VaultSettings {
    /// The runbook's layout: mount `kv`, path `nomad-cluster/{namespace}/{component}`,
    /// component `database`, KV version detected.
    #[must_use]
    pub fn new(vault: VaultClient) -> Self {
        Self {
            vault,
            mount: "kv".to_owned(),
            template: "nomad-cluster/{namespace}/{component}".to_owned(),
            component: "database".to_owned(),
            version: KvVersion::Detect,
        }
    }

    /// Uses another mount.
    #[must_use]
    pub fn mount(mut self, mount: impl Into<String>) -> Self {
        self.mount = mount.into();
        self
    }

    /// Uses another path template inside the mount; `{namespace}` is required,
    /// `{component}` optional.
    pub fn path_template(mut self, template: impl Into<String>) -> Result<Self> {
        let template = template.into();
        if !template.contains("{namespace}") {
            return Err(Error::invalid(
                "settings path template",
                template,
                "must contain {namespace}: every namespace has its own settings",
            ));
        }
        self.template = template;
        Ok(self)
    }

    /// Uses another component name (the last path segment by default).
    #[must_use]
    pub fn component(mut self, component: impl Into<String>) -> Self {
        self.component = component.into();
        self
    }

    /// Fixes the KV version instead of detecting it.
    #[must_use]
    pub fn kv_version(mut self, version: KvVersion) -> Self {
        self.version = version;
        self
    }

    /// The path inside the mount for `namespace`.
    pub fn path(&self, namespace: &str) -> Result<String> {
        crate::input::validate_namespace(namespace)?;
        Ok(self.template.replace("{namespace}", namespace).replace("{component}", &self.component))
    }

    async fn kv(&self) -> Result<Kv> {
        let err = |e| Error::backend("Vault KV", e);
        Ok(match self.version {
            KvVersion::Detect => self.vault.kv(&self.mount).await.map_err(err)?,
            KvVersion::V1 => Kv::V1(self.vault.kv1(&self.mount).map_err(err)?),
            KvVersion::V2 => Kv::V2(self.vault.kv2(&self.mount).map_err(err)?),
        })
    }
}

#[async_trait]
impl SettingsStore for VaultSettings {
    async fn read(&self, namespace: &str) -> Result<Option<DatabaseSettings>> {
        let path = self.path(namespace)?;
        self.kv()
            .await?
            .read(&path)
            .await
            .map_err(|e| Error::backend(format!("Vault KV {}", self.location(namespace)), e))
    }

    async fn write(&self, namespace: &str, settings: &DatabaseSettings) -> Result<()> {
        settings.validate()?;
        let path = self.path(namespace)?;
        self.kv()
            .await?
            .write(&path, settings)
            .await
            .map_err(|e| Error::backend(format!("Vault KV {}", self.location(namespace)), e))
    }

    fn location(&self, namespace: &str) -> String {
        let path = self.template.replace("{namespace}", namespace).replace("{component}", &self.component);
        format!("{}/{path}", self.mount.trim_end_matches('/'))
    }
}
