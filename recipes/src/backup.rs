//! Backup files written before anything is deleted.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::{Error, Result};

/// A directory that receives one JSON file per destructive step.
#[derive(Debug, Clone)]
pub struct BackupDir {
    dir: PathBuf,
}

impl BackupDir {
    /// Backups go to `dir` (created when first needed).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes `value` as pretty JSON to a new file named after `label` and the time
    /// (`<label>-<UTC time>-<random>.json`), flushed to disk, and returns its path.
    pub async fn save<T: Serialize + Sync>(&self, label: &str, value: &T) -> Result<PathBuf> {
        let io =
            |action: &str, path: &Path, source| Error::Io { action: action.to_owned(), path: path.to_owned(), source };
        tokio::fs::create_dir_all(&self.dir).await.map_err(|e| io("create the backup directory", &self.dir, e))?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let safe: String = label.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        let path = self.dir.join(format!("{safe}-{stamp}-{}.json", &tag[..8]));
        let body =
            serde_json::to_vec_pretty(value).map_err(|e| Error::backend_step("backup file", "encoding the JSON", e))?;
        let mut file = tokio::fs::File::create_new(&path).await.map_err(|e| io("create the backup file", &path, e))?;
        tokio::io::AsyncWriteExt::write_all(&mut file, &body)
            .await
            .map_err(|e| io("write the backup file", &path, e))?;
        // The deletion that follows must not outrun the backup.
        file.sync_all().await.map_err(|e| io("flush the backup file", &path, e))?;
        Ok(path)
    }

    /// Reads the state file `name` (a fixed name in this directory), `None` when absent.
    pub(crate) async fn read_state<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        let path = self.dir.join(name);
        match tokio::fs::read(&path).await {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Error::backend_msg(
                    "recipe state",
                    format!("{} is not a state file of this recipe: {e}", path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Io { action: "read the state file".into(), path, source }),
        }
    }

    /// Replaces the state file `name` atomically.
    pub(crate) async fn write_state<T: Serialize + Sync>(&self, name: &str, value: &T) -> Result<PathBuf> {
        let io =
            |action: &str, path: &Path, source| Error::Io { action: action.to_owned(), path: path.to_owned(), source };
        tokio::fs::create_dir_all(&self.dir).await.map_err(|e| io("create the backup directory", &self.dir, e))?;
        let path = self.dir.join(name);
        let tmp = self.dir.join(format!("{name}.tmp"));
        let body = serde_json::to_vec_pretty(value)
            .map_err(|e| Error::backend_step("recipe state", "encoding the JSON", e))?;
        tokio::fs::write(&tmp, body).await.map_err(|e| io("write the state file", &tmp, e))?;
        tokio::fs::rename(&tmp, &path).await.map_err(|e| io("replace the state file", &path, e))?;
        Ok(path)
    }

    /// Removes the state file `name` (absent is fine).
    pub(crate) async fn remove_state(&self, name: &str) -> Result<()> {
        let path = self.dir.join(name);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(Error::Io { action: "remove the state file".into(), path, source }),
        }
    }
}
