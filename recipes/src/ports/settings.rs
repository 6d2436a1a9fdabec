//! The namespace's database settings (read by the jobs at start) and where they are stored.

use async_trait::async_trait;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Error, Result};

/// How Patroni creates the cluster's first member (`patroniBootstrapMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BootstrapMethod {
    /// A new, empty cluster (`initdb`).
    #[serde(rename = "initdb")]
    Initdb,
    /// Restore the end of a timeline from wal-g (`walg_timeline`).
    #[serde(rename = "walg_timeline")]
    WalgTimeline,
    /// Restore to a point in time from wal-g (`walg_pitr`).
    #[serde(rename = "walg_pitr")]
    WalgPitr,
}

impl std::fmt::Display for BootstrapMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Initdb => "initdb",
            Self::WalgTimeline => "walg_timeline",
            Self::WalgPitr => "walg_pitr",
        })
    }
}

/// The per-namespace database settings, with the keys the jobs read.
///
/// Values are written as strings (as the deploy tooling does) and read from strings or
/// numbers. Keys this type does not know are kept in `extra` and written back unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatabaseSettings {
    /// `patroniBootstrapMethod`.
    #[serde(rename = "patroniBootstrapMethod", default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_method: Option<BootstrapMethod>,
    /// `patroniBootstrapMethodWalgTimeline`: the timeline to restore with `walg_timeline`.
    #[serde(rename = "patroniBootstrapMethodWalgTimeline", default, with = "num_as_string")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub walg_timeline: Option<u32>,
    /// `patroniBootstrapMethodWalgPitrTimeline`: the timeline that holds the PITR target.
    #[serde(rename = "patroniBootstrapMethodWalgPitrTimeline", default, with = "num_as_string")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub walg_pitr_timeline: Option<u32>,
    /// `patroniBootstrapMethodWalgPitrTimestamp`: the recovery target time, with its zone.
    #[serde(rename = "patroniBootstrapMethodWalgPitrTimestamp", default, skip_serializing_if = "Option::is_none")]
    pub walg_pitr_timestamp: Option<String>,
    /// `walgDaysToRetain`: days of backups and WAL kept (at least 2).
    #[serde(rename = "walgDaysToRetain", default, with = "num_as_string", skip_serializing_if = "Option::is_none")]
    pub walg_days_to_retain: Option<u32>,
    /// Every other key of the secret, kept as found.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl DatabaseSettings {
    /// Checks the values the recipes rely on (`walgDaysToRetain` at least 2, timelines at least 1).
    pub fn validate(&self) -> Result<()> {
        if let Some(days) = self.walg_days_to_retain.filter(|days| *days < 2) {
            return Err(Error::invalid("walgDaysToRetain", days.to_string(), "must be at least 2"));
        }
        for (what, tl) in [
            ("patroniBootstrapMethodWalgTimeline", self.walg_timeline),
            ("patroniBootstrapMethodWalgPitrTimeline", self.walg_pitr_timeline),
        ] {
            if tl == Some(0) {
                return Err(Error::invalid(what, "0", "PostgreSQL timelines start at 1"));
            }
        }
        Ok(())
    }
}

mod num_as_string {
    use super::{Deserialize, Deserializer, Serializer};

    #[allow(clippy::ref_option)] // serde's `with` hands us `&Option<T>`
    pub(super) fn serialize<S: Serializer>(value: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.serialize_str(&v.to_string()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Num(u32),
            Text(String),
        }
        match Option::<Raw>::deserialize(d)? {
            None => Ok(None),
            Some(Raw::Num(n)) => Ok(Some(n)),
            Some(Raw::Text(t)) if t.trim().is_empty() => Ok(None),
            Some(Raw::Text(t)) => t
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| serde::de::Error::custom(format!("expected a whole number, found {t:?}"))),
        }
    }
}

/// Reads and writes the namespace's [`DatabaseSettings`].
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// The settings, or `None` when none are stored for the namespace.
    async fn read(&self, namespace: &str) -> Result<Option<DatabaseSettings>>;

    /// Replaces the settings (the caller read them first, so unknown keys survive).
    async fn write(&self, namespace: &str, settings: &DatabaseSettings) -> Result<()>;

    /// Where the settings of `namespace` live, for messages (e.g. `kv/nomad-cluster/ns/database`).
    fn location(&self, namespace: &str) -> String;
}
