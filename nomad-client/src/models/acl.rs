//! ACL tokens.

use client_core::Secret;
use serde::{Deserialize, Serialize};

/// An ACL token. The secret is redacted in Debug output.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclToken {
    /// Public ID.
    #[serde(rename = "AccessorID")]
    pub accessor_id: String,
    /// The secret sent as `X-Nomad-Token`.
    #[serde(rename = "SecretID")]
    pub secret_id: Secret,
    /// Name.
    pub name: String,
    /// `client` or `management`.
    #[serde(rename = "Type")]
    pub token_type: String,
    /// Policies of a client token.
    pub policies: Option<Vec<String>>,
    /// Replicated to every region.
    pub global: bool,
    /// Creation time (RFC 3339).
    pub create_time: String,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
}
