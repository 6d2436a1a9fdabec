//! The rows of a ghost cleanup's backup files: what [`GhostCleanup::run`](super::GhostCleanup::run)
//! saves before it removes a catalog entry (what
//! [`ConsulCatalog::reregister_from_backup`](crate::adapters::consul::ConsulCatalog::reregister_from_backup)
//! reads back), deletes a Nomad-native service registration, forces a failed member to
//! leave or purges a down Nomad node.

use serde::{Deserialize, Serialize};

use super::Target;
use crate::ports::{NodeView, SavedCheck, SavedService, ServiceRegistration};

/// One row of the backup file (a JSON array of them): one catalog target about to be removed.
///
/// The JSON keys are the ones the files have always had (`Target`, `Datacenter`, `Removes`,
/// `Indexes`, `Catalog`), so older backups stay readable; only `Target` and `Removes` are
/// required when reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct CatalogBackupRow {
    /// The finding acted on.
    pub target: Target,
    /// The target's datacenter (`null` for targets outside the catalog).
    #[serde(default)]
    pub datacenter: Option<String>,
    /// What is removed: the node with the services that go (all of them for a dead node,
    /// the one instance for a task service).
    pub removes: NodeView,
    /// The indexes the removals are conditional on.
    #[serde(default)]
    pub indexes: BackupIndexes,
    /// Everything the catalog answered about the node (`Datacenter`, `NodeServices`,
    /// `Checks`), as read just before acting; `null` when not read.
    #[serde(default)]
    pub catalog: serde_json::Value,
}

/// The `ModifyIndex`es saved with a [`CatalogBackupRow`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupIndexes {
    /// The node's.
    pub node: u64,
    /// Its services'.
    pub services: Vec<SavedService>,
    /// Its checks'.
    pub checks: Vec<SavedCheck>,
}

/// One row of the Nomad-native backup file (a JSON array of them): one registration about
/// to be deleted, as Nomad answered it just before (fields this SDK does not model kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct NomadServiceBackupRow {
    /// The finding acted on.
    pub target: Target,
    /// The registration (`Namespace`, `ServiceName`, `ID`, `AllocID`, `NodeID`, `Address`,
    /// `Port`, `Tags`, indexes...).
    pub registration: ServiceRegistration,
}

impl NomadServiceBackupRow {
    pub(super) fn new(target: Target, registration: ServiceRegistration) -> Self {
        Self { target, registration }
    }
}

/// One row of the members backup file (a JSON array of them): one failed gossip member
/// about to be forced to leave, as the agent's members call listed it just before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct MemberBackupRow {
    /// The finding acted on.
    pub target: Target,
    /// The member as listed (for Consul: `Name`, `Addr`, `Port`, `Tags`, `Status`).
    pub member: serde_json::Value,
}

impl MemberBackupRow {
    pub(super) fn new(target: Target, member: serde_json::Value) -> Self {
        Self { target, member }
    }
}

/// One row of the Nomad nodes backup file (a JSON array of them): one down client node
/// about to be purged, as Nomad answered `GET /v1/node/<id>` just before (every field; the
/// node's secret is blank, as Nomad answers it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct NomadNodeBackupRow {
    /// The finding acted on.
    pub target: Target,
    /// The node as read (`ID`, `Name`, `Status`, `StatusUpdatedAt`, `Attributes`...).
    pub node: serde_json::Value,
}

impl NomadNodeBackupRow {
    pub(super) fn new(target: Target, node: serde_json::Value) -> Self {
        Self { target, node }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row as the files have always been written (before the rows were typed).
    const OLD_ROW: &str = r#"{
        "Target": {"kind": "catalog_node", "datacenter": "dc1", "node": "old-worker-7"},
        "Datacenter": "dc1",
        "Removes": {"name": "old-worker-7", "address": "10.0.0.7", "meta": {}, "services": []},
        "Indexes": {"Node": 12, "Services": [{"id": "web-1", "name": "web", "modify_index": 14}], "Checks": []},
        "Catalog": {"Datacenter": "dc1"}
    }"#;

    #[test]
    fn an_existing_backup_row_reads_and_writes_back_the_same_keys() {
        let row: CatalogBackupRow = serde_json::from_str(OLD_ROW).unwrap();
        assert_eq!(row.datacenter.as_deref(), Some("dc1"));
        assert_eq!(row.indexes.node, 12);
        assert_eq!(row.indexes.services[0].modify_index, 14);
        let again: serde_json::Value = serde_json::to_value(&row).unwrap();
        let old: serde_json::Value = serde_json::from_str(OLD_ROW).unwrap();
        assert_eq!(again, old, "the same JSON shape");
    }

    #[test]
    fn only_target_and_removes_are_required() {
        let row: CatalogBackupRow = serde_json::from_str(
            r#"{"Target": {"kind": "catalog_node", "datacenter": "dc1", "node": "n"},
                "Removes": {"name": "n", "address": "", "meta": {}, "services": []}}"#,
        )
        .unwrap();
        assert!(row.catalog.is_null() && row.datacenter.is_none());
    }
}
