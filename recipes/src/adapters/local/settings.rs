//! [`SettingsStore`] as JSON files in a directory.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use crate::ports::{DatabaseSettings, SettingsStore};
use crate::{Error, Result};

/// Settings kept as one JSON file per namespace in a directory (`<dir>/<namespace>.json`):
/// for the sandbox, tests and air-gapped drills.
#[derive(Debug, Clone)]
pub struct FileSettings {
    dir: PathBuf,
}

impl FileSettings {
    /// Stores files under `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn path(&self, namespace: &str) -> Result<PathBuf> {
        crate::input::validate_namespace(namespace)?;
        Ok(self.dir.join(format!("{namespace}.json")))
    }
}

fn io_err(action: &str, path: &Path, source: std::io::Error) -> Error {
    Error::Io { action: action.to_owned(), path: path.to_owned(), source }
}

#[async_trait]
impl SettingsStore for FileSettings {
    async fn read(&self, namespace: &str) -> Result<Option<DatabaseSettings>> {
        let path = self.path(namespace)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Error::backend_msg("file settings", format!("{} is not a settings JSON object: {e}", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("read the settings file", &path, e)),
        }
    }

    async fn write(&self, namespace: &str, settings: &DatabaseSettings) -> Result<()> {
        settings.validate()?;
        let path = self.path(namespace)?;
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| io_err("create the settings directory", &self.dir, e))?;
        let body = serde_json::to_vec_pretty(settings)
            .map_err(|e| Error::backend_step("file settings", "encoding the JSON", e))?;
        // Write then rename, so a crash never leaves half a file behind.
        let tmp = path.with_extension("json.tmp");
        tokio::fs::write(&tmp, body).await.map_err(|e| io_err("write the settings file", &tmp, e))?;
        tokio::fs::rename(&tmp, &path).await.map_err(|e| io_err("replace the settings file", &path, e))
    }

    fn location(&self, namespace: &str) -> String {
        self.dir.join(format!("{namespace}.json")).display().to_string()
    }
}
