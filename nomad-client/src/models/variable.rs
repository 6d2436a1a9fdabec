//! Variables (Nomad 1.4+) and their locks (1.7+). Item values are
//! [`Secret`]s: Debug prints every key and `<redacted>` for every value.

use std::collections::BTreeMap;
use std::time::Duration;

use client_core::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The items of a variable: key → value, each value redacted in Debug output.
pub type VariableItems = BTreeMap<String, Secret>;

/// A variable. List rows and answers to lock renewal and release carry no
/// items (`None`), as does a CAS conflict answer to a token without read access.
///
/// ```
/// use nomad_client::Variable;
/// let var = Variable::new("nomad/jobs/web").item("password", "hunter2");
/// assert!(!format!("{var:?}").contains("hunter2"));
/// assert_eq!(var.item_value("password"), Some("hunter2"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Variable {
    /// Namespace (empty: the call's namespace).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Path, e.g. `nomad/jobs/web`.
    pub path: String,
    /// The items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<VariableItems>,
    /// The lock on the variable, if any (Nomad 1.7+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock: Option<VariableLock>,
    /// Creation index.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub create_index: u64,
    /// Last modification index: the `cas` of a checked update.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub modify_index: u64,
    /// Creation time (Unix nanoseconds).
    #[serde(skip_serializing_if = "super::is_zero")]
    pub create_time: i64,
    /// Last modification time (Unix nanoseconds).
    #[serde(skip_serializing_if = "super::is_zero")]
    pub modify_time: i64,
    /// Every field not modelled above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Variable {
    /// A variable at `path` without items.
    #[must_use]
    pub fn new(path: impl Into<String>) -> Self {
        Self { path: path.into(), ..Self::default() }
    }

    /// Adds (or replaces) an item.
    #[must_use]
    pub fn item(mut self, key: impl Into<String>, value: impl Into<Secret>) -> Self {
        self.items.get_or_insert_with(BTreeMap::new).insert(key.into(), value.into());
        self
    }

    /// The value of item `key`, if the variable has it.
    #[must_use]
    pub fn item_value(&self, key: &str) -> Option<&str> {
        self.items.as_ref()?.get(key).map(Secret::expose)
    }
}

/// A lock on a variable (Nomad 1.7+). `ttl` and `lock_delay` are Go durations (`15s`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VariableLock {
    /// The lock ID the holder renews and releases with (empty when acquiring).
    #[serde(rename = "ID", skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// How long the lock lives without renewal.
    #[serde(rename = "TTL", skip_serializing_if = "String::is_empty")]
    pub ttl: String,
    /// How long after expiry no one may take the lock.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub lock_delay: String,
}

/// What Nomad accepts for a lock's TTL and delay.
pub(crate) const LOCK_BOUNDS: (Duration, Duration) = (Duration::from_secs(10), Duration::from_secs(24 * 3600));

impl VariableLock {
    /// A lock to acquire with this TTL and delay, each between 10 s and 24 h
    /// (Nomad's bounds, checked by [`crate::Variables::acquire_lock`]), sent in whole seconds.
    #[must_use]
    pub fn new(ttl: Duration, lock_delay: Duration) -> Self {
        Self { id: String::new(), ttl: format!("{}s", ttl.as_secs()), lock_delay: format!("{}s", lock_delay.as_secs()) }
    }
}
