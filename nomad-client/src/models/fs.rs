//! Files of an allocation's directory.

use serde::{Deserialize, Serialize};

/// A file or directory of an allocation (`fs/ls`, `fs/stat`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FileInfo {
    /// Name.
    pub name: String,
    /// True for a directory.
    pub is_dir: bool,
    /// Size in bytes.
    pub size: u64,
    /// Mode as `ls -l` shows it.
    pub file_mode: String,
    /// Modification time (RFC 3339).
    pub mod_time: String,
    /// Content type guessed by the client.
    pub content_type: String,
}
