//! CSI volumes, snapshots and plugins, and dynamic host volumes (Nomad 1.10+).
//! Secrets handed to a CSI plugin are [`Secret`]s: Debug prints `<redacted>`.

use std::collections::BTreeMap;

use client_core::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Secrets passed to a CSI plugin (key → value), each value redacted in Debug output.
pub type CsiSecrets = BTreeMap<String, Secret>;

/// An access and attachment mode a volume is asked to support.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumeCapability {
    /// `single-node-writer`, `multi-node-multi-writer`, ...
    pub access_mode: String,
    /// `file-system` or `block-device`.
    pub attachment_mode: String,
}

/// One row of `GET /v1/volumes?type=csi`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CsiVolumeListStub {
    /// Volume ID (what every call on it names).
    #[serde(rename = "ID")]
    pub id: String,
    /// The storage provider's ID of the volume.
    #[serde(rename = "ExternalID")]
    pub external_id: String,
    /// Namespace.
    pub namespace: String,
    /// Display name.
    pub name: String,
    /// Plugin ID.
    #[serde(rename = "PluginID")]
    pub plugin_id: String,
    /// Whether allocations can claim it now.
    pub schedulable: bool,
    /// Allocations reading it.
    pub current_readers: u64,
    /// Allocations writing it.
    pub current_writers: u64,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A CSI volume: what `GET /v1/volume/csi/:id` answers and what register
/// and create send. Fields not modelled are kept, so a volume read and
/// registered again loses nothing.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CsiVolume {
    /// Volume ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Display name.
    pub name: String,
    /// Namespace (empty: the call's namespace).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// The storage provider's ID (register: the existing volume).
    #[serde(rename = "ExternalID", skip_serializing_if = "String::is_empty")]
    pub external_id: String,
    /// Plugin ID.
    #[serde(rename = "PluginID")]
    pub plugin_id: String,
    /// The capabilities asked for.
    pub requested_capabilities: Vec<VolumeCapability>,
    /// Secrets for the plugin (sent on register and create; Nomad never answers them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<CsiSecrets>,
    /// Allocations holding a read claim: ID → allocation (Nomad sends `null`s).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub read_allocs: BTreeMap<String, Value>,
    /// Allocations holding a write claim.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub write_allocs: BTreeMap<String, Value>,
    /// Whether allocations can claim it now.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub schedulable: bool,
    /// Creation index.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub create_index: u64,
    /// Last modification index.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub modify_index: u64,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CsiVolume {
    /// The IDs of the allocations holding a claim on the volume, readers and writers.
    #[must_use]
    pub fn claims(&self) -> Vec<&str> {
        self.read_allocs.keys().chain(self.write_allocs.keys()).map(String::as_str).collect()
    }
}

/// A volume the storage provider has, as `GET /v1/volumes/external` lists it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CsiExternalVolume {
    /// The provider's volume ID.
    #[serde(rename = "ExternalID")]
    pub external_id: String,
    /// Capacity in bytes.
    pub capacity_bytes: i64,
    /// The snapshot it was made from.
    #[serde(rename = "SnapshotID")]
    pub snapshot_id: String,
    /// The provider's IDs of the nodes it is published to.
    #[serde(rename = "PublishedExternalNodeIDs")]
    pub published_external_node_ids: Vec<String>,
    /// Whether the provider reports a problem.
    pub is_abnormal: bool,
    /// The provider's message about it.
    pub status: String,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A list whose paging is in the body (`NextToken`), not in a header:
/// the external volumes and the snapshots of a plugin.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CsiBodyPage<T> {
    /// The items (`Volumes` or `Snapshots`).
    #[serde(alias = "Volumes", alias = "Snapshots")]
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    #[serde(rename = "NextToken", deserialize_with = "empty_is_none")]
    pub next_token: Option<String>,
}

fn empty_is_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|t| !t.is_empty()))
}

/// A CSI snapshot: what snapshot create sends (source volume, plugin, name,
/// secrets, parameters) and answers (ID, size, time), and what the list holds.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CsiSnapshot {
    /// Snapshot ID (assigned by the provider).
    #[serde(rename = "ID", skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// The Nomad volume it is (to be) taken of.
    #[serde(rename = "SourceVolumeID", skip_serializing_if = "String::is_empty")]
    pub source_volume_id: String,
    /// The provider's ID of that volume (lists).
    #[serde(rename = "ExternalSourceVolumeID", skip_serializing_if = "String::is_empty")]
    pub external_source_volume_id: String,
    /// Plugin ID.
    #[serde(rename = "PluginID", skip_serializing_if = "String::is_empty")]
    pub plugin_id: String,
    /// Name asked for on create.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Secrets for the plugin (create only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<CsiSecrets>,
    /// Plugin parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<BTreeMap<String, String>>,
    /// Size in bytes.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub size_bytes: i64,
    /// Creation time in **seconds** since the epoch (as the docs show it).
    #[serde(skip_serializing_if = "super::is_zero")]
    pub create_time: i64,
    /// Whether the snapshot can be used yet.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_ready: bool,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A CSI plugin: a row of `GET /v1/plugins?type=csi`, or the read of
/// `GET /v1/plugin/csi/:id` with its controllers, nodes and allocations in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CsiPlugin {
    /// Plugin ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Provider name.
    pub provider: String,
    /// Whether volumes need a controller (the read spells it `ControllersRequired`,
    /// the list `ControllerRequired`).
    #[serde(alias = "ControllerRequired")]
    pub controllers_required: bool,
    /// Healthy controllers.
    pub controllers_healthy: u64,
    /// Expected controllers.
    pub controllers_expected: u64,
    /// Healthy node plugins.
    pub nodes_healthy: u64,
    /// Expected node plugins.
    pub nodes_expected: u64,
    /// Creation index.
    pub create_index: u64,
    /// Last modification index.
    pub modify_index: u64,
    /// Every field not modelled above (`Controllers`, `Nodes`, `Allocations`...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A dynamic host volume (Nomad 1.10+): list rows, reads, and what create
/// and register send and answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostVolume {
    /// Volume ID (a UUID Nomad assigns on create; empty in a create body).
    #[serde(rename = "ID", skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Name.
    pub name: String,
    /// Namespace (empty: the call's namespace).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// The node it lives on.
    #[serde(rename = "NodeID", skip_serializing_if = "String::is_empty")]
    pub node_id: String,
    /// The node pool it is placed in.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub node_pool: String,
    /// The plugin that creates it (`mkdir`...; empty when registered).
    #[serde(rename = "PluginID", skip_serializing_if = "String::is_empty")]
    pub plugin_id: String,
    /// `pending`, `ready`, `unavailable`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub state: String,
    /// Capacity in bytes.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub capacity_bytes: i64,
    /// Creation index.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub create_index: u64,
    /// Last modification index.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub modify_index: u64,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What host volume create and register answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostVolumeResponse {
    /// The volume as Nomad stored it.
    pub volume: HostVolume,
    /// Warnings (e.g. of an advisory Sentinel policy).
    #[serde(deserialize_with = "super::null_is_default")]
    pub warnings: String,
}
