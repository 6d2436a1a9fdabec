//! `GET /history` and the DCS `history` key: one entry per timeline switch.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::client::PatroniClient;

impl PatroniClient {
    /// `GET /history`: the timeline history.
    pub async fn history(&self) -> crate::Result<Vec<HistoryEntry>> {
        self.get("/history").await
    }
}

/// One timeline switch: `[timeline, switch_lsn, reason, timestamp?, new_leader?]`.
/// Older entries carry only the first three or four items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The timeline that ended.
    pub timeline: u64,
    /// Where it ended (absolute WAL byte offset).
    pub switch_lsn: u64,
    /// PostgreSQL's reason, e.g. `no recovery target specified`.
    pub reason: String,
    /// When the switch happened (ISO-8601 with time zone).
    pub timestamp: Option<String>,
    /// The member promoted by the switch.
    pub new_leader: Option<String>,
}

impl<'de> Deserialize<'de> for HistoryEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Vec::<Value>::deserialize(deserializer)?;
        let number = |i: usize, what: &str| {
            items.get(i).and_then(Value::as_u64).ok_or_else(|| {
                D::Error::custom(format!("history entry item {i} ({what}) must be a non-negative integer"))
            })
        };
        let text = |i: usize| items.get(i).and_then(Value::as_str).map(str::to_owned);
        Ok(Self {
            timeline: number(0, "timeline")?,
            switch_lsn: number(1, "switch LSN")?,
            reason: text(2).unwrap_or_default(),
            timestamp: text(3),
            new_leader: text(4),
        })
    }
}

impl Serialize for HistoryEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut items =
            vec![Value::from(self.timeline), Value::from(self.switch_lsn), Value::from(self.reason.clone())];
        if self.timestamp.is_some() || self.new_leader.is_some() {
            items.push(self.timestamp.clone().map_or(Value::Null, Value::from));
        }
        if let Some(leader) = &self.new_leader {
            items.push(Value::from(leader.clone()));
        }
        items.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_entries() {
        let h: Vec<HistoryEntry> = serde_json::from_str(
            r#"[[1, 100, "no recovery target specified"], [2, 200, "x", "2026-11-22T04:54:36+00:00", "dbHA2"]]"#,
        )
        .unwrap();
        assert_eq!(h[0].timestamp, None);
        assert_eq!(h[1].new_leader.as_deref(), Some("dbHA2"));
        assert_eq!(serde_json::to_string(&h[0]).unwrap(), r#"[1,100,"no recovery target specified"]"#);
        assert!(serde_json::from_str::<HistoryEntry>(r#"["x", 1]"#).is_err());
    }
}
