//! Namespaces.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A namespace.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Namespace {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Quota specification attached (Enterprise), empty when none.
    pub quota: String,
    /// Metadata (Nomad 1.2+).
    pub meta: Option<BTreeMap<String, String>>,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
}
