//! Serde helpers for Consul's JSON quirks.

use serde::{Deserialize, Deserializer};

/// Reads `null` as the type's default (Consul sends `null` for empty maps and lists).
pub(crate) fn null_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
