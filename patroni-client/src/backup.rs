//! Removing a scope's DCS state with a backup first, and restoring it.
//!
//! `remove_scope_state` is what a restore-to-point-in-time needs before it
//! bootstraps the cluster anew: the old `initialize` key would otherwise make
//! the new members refuse to start ("system ID mismatch"). It saves every key
//! of exactly `<namespace>/<scope>/` to a JSON file first, and deletes
//! exactly that folder — never look-alike scopes such as `<scope>2`.

use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use consul_client::{KvPair, PutOptions, TxnOp};
use serde::{Deserialize, Serialize};

use crate::dcs::DcsView;
use crate::error::{Error, Result};

/// The backup file's format marker.
pub const BACKUP_FORMAT: &str = "patroni-client/scope-backup/v1";

/// Most operations Consul accepts in one transaction.
const MAX_TXN_OPS: usize = 64;

/// Every key of one scope, as saved before removal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeBackup {
    /// [`BACKUP_FORMAT`].
    pub format: String,
    /// The namespace (without slashes).
    pub namespace: String,
    /// The scope.
    pub scope: String,
    /// The folder saved, e.g. `service/demo/`.
    pub prefix: String,
    /// When the backup was taken (RFC 3339).
    pub taken_at: String,
    /// The keys, sorted as Consul listed them.
    pub keys: Vec<BackupKey>,
}

/// One saved key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupKey {
    /// The full key.
    pub key: String,
    /// Consul's opaque flags.
    pub flags: u64,
    /// The value, base64 (`null` when Consul stored none).
    pub value: Option<String>,
    /// The session that held the key when saved (informational: sessions
    /// cannot be restored, restored keys are unlocked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

impl BackupKey {
    fn from_pair(pair: &KvPair) -> Self {
        Self {
            key: pair.key.clone(),
            flags: pair.flags,
            value: pair.value.as_ref().map(|v| base64::engine::general_purpose::STANDARD.encode(v)),
            session: pair.session.clone(),
        }
    }

    /// The value bytes.
    pub fn value_bytes(&self) -> std::result::Result<Vec<u8>, base64::DecodeError> {
        self.value.as_deref().map_or(Ok(Vec::new()), |v| base64::engine::general_purpose::STANDARD.decode(v))
    }
}

/// Options of [`DcsView::remove_scope_state`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemoveOptions {
    /// Remove even when keys are still held by Consul sessions (members
    /// running, or stopped less than `ttl` ago). Off by default: removing a
    /// live cluster's keys makes its members race for leadership.
    pub allow_live_sessions: bool,
}

impl DcsView {
    /// Saves every key of exactly `<namespace>/<scope>/` to `backup_file`
    /// (which must not exist yet), then deletes exactly that folder in one
    /// transaction that fails if any saved key changed meanwhile (scopes of
    /// up to 63 keys — every plain Patroni scope; a larger one is deleted by
    /// one recursive delete after the backup). Returns what was saved. Keys
    /// of look-alike scopes (`<scope>2/`, `<scope>-old/`) are never touched.
    /// Refuses while keys are held by sessions, unless
    /// [`RemoveOptions::allow_live_sessions`].
    pub async fn remove_scope_state(&self, backup_file: &Path, options: RemoveOptions) -> Result<ScopeBackup> {
        let pairs = self.raw_keys().await?;
        let prefix = self.prefix();
        if let Some(stray) = pairs.iter().find(|p| !p.key.starts_with(&prefix)) {
            return Err(self.unsafe_state("remove", format!("Consul listed {:?} outside {prefix:?}", stray.key)));
        }
        let held: Vec<&str> = pairs.iter().filter(|p| p.session.is_some()).map(|p| p.key.as_str()).collect();
        if !held.is_empty() && !options.allow_live_sessions {
            return Err(self.unsafe_state(
                "remove",
                format!(
                    "{} still held by Consul sessions ({}): Patroni members are running or stopped less than ttl \
                     ago; stop every member and wait for the sessions to expire",
                    if held.len() == 1 { "this key is" } else { "these keys are" },
                    held.join(", ")
                ),
            ));
        }
        let backup = ScopeBackup {
            format: BACKUP_FORMAT.to_owned(),
            namespace: self.namespace().to_owned(),
            scope: self.scope().to_owned(),
            prefix: prefix.clone(),
            taken_at: chrono::Utc::now().to_rfc3339(),
            keys: pairs.iter().map(BackupKey::from_pair).collect(),
        };
        write_new_file(backup_file, &backup)?;
        if pairs.is_empty() {
            return Ok(backup);
        }
        if pairs.len() < MAX_TXN_OPS {
            let mut ops: Vec<TxnOp> = pairs.iter().map(|p| TxnOp::check_index(&p.key, p.modify_index)).collect();
            ops.push(TxnOp::delete_tree(&prefix));
            match self.consul().kv().txn(&ops, None).await {
                Ok(_) => {}
                Err(consul_client::Error::TxnRolledBack { errors }) => {
                    return Err(self.unsafe_state(
                        "remove",
                        format!(
                            "keys changed while they were being saved, nothing was deleted ({} conflicting); the \
                             backup in {} is stale, delete it and retry",
                            errors.len(),
                            backup_file.display()
                        ),
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            self.consul().kv().delete_tree(&prefix).await?;
        }
        Ok(backup)
    }

    /// Writes every key of a backup made by [`DcsView::remove_scope_state`]
    /// back, byte for byte with its flags (without sessions). Refuses a
    /// backup of another scope or namespace, and refuses to overwrite: the
    /// scope's folder must be empty. Returns the number of keys written.
    pub async fn restore_scope_state(&self, backup_file: &Path) -> Result<usize> {
        let backup = read_backup(backup_file)?;
        let prefix = self.prefix();
        if backup.scope != self.scope() || backup.namespace != self.namespace() || backup.prefix != prefix {
            return Err(self.unsafe_state(
                "restore",
                format!("{} holds a backup of {:?}, not of {prefix:?}", backup_file.display(), backup.prefix),
            ));
        }
        let mut writes = Vec::with_capacity(backup.keys.len());
        for k in &backup.keys {
            if !k.key.starts_with(&prefix) || k.key.len() == prefix.len() {
                return Err(backup_error(backup_file, format!("key {:?} lies outside {prefix:?}", k.key)));
            }
            let value = k.value_bytes().map_err(|e| backup_error(backup_file, format!("key {:?}: {e}", k.key)))?;
            writes.push((k, value));
        }
        let existing = self.raw_keys().await?;
        if !existing.is_empty() {
            let names: Vec<&str> = existing.iter().take(5).map(|p| p.key.as_str()).collect();
            return Err(self.unsafe_state(
                "restore",
                format!(
                    "the scope already has {} key(s) ({}{}); remove them first so nothing is overwritten",
                    existing.len(),
                    names.join(", "),
                    if existing.len() > names.len() { ", ..." } else { "" }
                ),
            ));
        }
        for (k, value) in &writes {
            let opts = PutOptions { flags: k.flags, cas: Some(0), ..PutOptions::default() };
            if !self.consul().kv().put(&k.key, value, &opts).await? {
                return Err(self.unsafe_state(
                    "restore",
                    format!("{:?} was created by someone else during the restore; it was left as it is", k.key),
                ));
            }
        }
        Ok(writes.len())
    }

    fn unsafe_state(&self, action: &str, reason: String) -> Error {
        Error::UnsafeState { action: action.to_owned(), scope: self.scope().to_owned(), reason }
    }
}

/// Reads and checks a backup file.
pub fn read_backup(path: &Path) -> Result<ScopeBackup> {
    let text = std::fs::read_to_string(path).map_err(|e| backup_error(path, format!("cannot read it: {e}")))?;
    let backup: ScopeBackup =
        serde_json::from_str(&text).map_err(|e| backup_error(path, format!("is not a scope backup: {e}")))?;
    if backup.format != BACKUP_FORMAT {
        return Err(backup_error(path, format!("has format {:?}; expected {BACKUP_FORMAT:?}", backup.format)));
    }
    Ok(backup)
}

fn write_new_file(path: &Path, backup: &ScopeBackup) -> Result<()> {
    let text = serde_json::to_vec_pretty(backup).map_err(|e| backup_error(path, e.to_string()))?;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::AlreadyExists {
            "already exists; choose a new file so no earlier backup is overwritten".to_owned()
        } else {
            format!("cannot be created: {e}")
        };
        backup_error(path, why)
    })?;
    let written = file.write_all(&text).and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(path);
        return Err(backup_error(path, format!("cannot be written: {e}")));
    }
    Ok(())
}

fn backup_error(path: &Path, reason: String) -> Error {
    Error::Backup { path: path.to_path_buf(), reason }
}
