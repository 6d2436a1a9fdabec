//! Removing a scope's DCS state with a backup first, and restoring it.
//!
//! `remove_scope_state` is what a restore-to-point-in-time needs before it
//! bootstraps the cluster anew: the old `initialize` key would otherwise make
//! the new members refuse to start ("system ID mismatch"). It saves every key
//! of exactly `<namespace>/<scope>/` to a JSON file first, and deletes
//! exactly the saved keys, each only if unchanged since it was saved — never
//! look-alike scopes such as `<scope>2`, never a key written meanwhile.

use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use consul_client::KvPair;
use serde::{Deserialize, Serialize};

use crate::dcs::DcsView;
use crate::error::{Error, Result};

/// The backup file's format marker.
pub const BACKUP_FORMAT: &str = "patroni-client/scope-backup/v1";

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
    /// (which must not exist yet), then deletes exactly the saved keys, each
    /// on the `ModifyIndex` it was saved with ([`consul_client::Kv::delete_saved`]):
    /// a key changed after the backup is not deleted, a key created after it
    /// is never deleted, and the folder is listed again afterwards. Returns
    /// what was saved. Keys of look-alike scopes (`<scope>2/`, `<scope>-old/`)
    /// are never touched. Refuses while keys are held by sessions, unless
    /// [`RemoveOptions::allow_live_sessions`].
    ///
    /// Up to 64 keys (every plain Patroni scope) go in one transaction, so a
    /// concurrent change deletes nothing. A larger scope takes several
    /// transactions, and a change between two of them leaves the earlier
    /// ones' keys deleted: a partial state in which every deleted key is in
    /// the backup. Either way the answer is [`Error::IncompleteRemoval`]
    /// naming what was deleted, changed, left and added; when nothing was
    /// deleted the backup file, now stale, is removed.
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
        match self.consul().kv().delete_saved(&prefix, &pairs).await {
            Ok(_) => Ok(backup),
            Err(consul_client::Error::IncompleteDelete(incomplete)) => {
                let backup_kept = !incomplete.nothing_deleted() || std::fs::remove_file(backup_file).is_err();
                Err(Error::IncompleteRemoval {
                    scope: self.scope().to_owned(),
                    backup_file: backup_file.to_path_buf(),
                    backup_kept,
                    incomplete,
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Writes every key of a backup made by [`DcsView::remove_scope_state`]
    /// back, byte for byte with its flags (without sessions), through
    /// transaction operations that carry the key in the body
    /// ([`consul_client::Kv::restore_saved`]), so every key Consul stored can
    /// be put back. Refuses a backup of another scope or namespace, and
    /// refuses to overwrite: every key already in the scope's folder must be
    /// exactly as in the backup (after a partial removal, or a restore run
    /// again), and a key created by someone else meanwhile is left as it is
    /// and reported. Returns the number of keys written.
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
            let value = match &k.value {
                None => None,
                Some(_) => {
                    Some(k.value_bytes().map_err(|e| backup_error(backup_file, format!("key {:?}: {e}", k.key)))?)
                }
            };
            writes.push(KvPair {
                key: k.key.clone(),
                create_index: 0,
                modify_index: 0,
                lock_index: 0,
                flags: k.flags,
                value,
                session: None,
            });
        }
        // Keys still there exactly as saved (a partial removal, or a restore
        // run again) are fine; any other key would mix two states.
        let existing = self.raw_keys().await?;
        let foreign: Vec<&str> = existing
            .iter()
            .filter(|now| !writes.iter().any(|w| w.key == now.key && same_content(w, now)))
            .map(|p| p.key.as_str())
            .collect();
        if !foreign.is_empty() {
            let names: Vec<&str> = foreign.iter().take(5).copied().collect();
            return Err(self.unsafe_state(
                "restore",
                format!(
                    "the scope already has {} key(s) that are not as in the backup ({}{}); remove them first so \
                     nothing is overwritten",
                    foreign.len(),
                    names.join(", "),
                    if foreign.len() > names.len() { ", ..." } else { "" }
                ),
            ));
        }
        if writes.is_empty() {
            return Ok(0);
        }
        let restored = self.consul().kv().restore_saved(&writes).await?;
        if !restored.is_complete() {
            return Err(self.unsafe_state(
                "restore",
                format!(
                    "{} created by someone else during the restore and left as {} ({}); the other {} key(s) \
                     were restored",
                    if restored.conflicting.len() == 1 { "a key was" } else { "keys were" },
                    if restored.conflicting.len() == 1 { "it is" } else { "they are" },
                    restored.conflicting.join(", "),
                    restored.written.len() + restored.unchanged.len()
                ),
            ));
        }
        Ok(restored.written.len())
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

fn same_content(a: &KvPair, b: &KvPair) -> bool {
    a.flags == b.flags && a.value.as_deref().unwrap_or_default() == b.value.as_deref().unwrap_or_default()
}

fn backup_error(path: &Path, reason: String) -> Error {
    Error::Backup { path: path.to_path_buf(), reason }
}
