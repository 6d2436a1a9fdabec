//! Validation of recipe inputs, done before any system is contacted.

use chrono::{DateTime, FixedOffset};

use crate::{Error, Result};

/// Checks a Nomad namespace name: 1-128 characters of letters, digits, `-` and `_`.
pub fn validate_namespace(namespace: &str) -> Result<()> {
    validate_simple_name("namespace", namespace, 128)
}

/// Checks a Nomad job ID as the recipes use it (exact names, no path characters).
pub fn validate_job_name(job: &str) -> Result<()> {
    validate_simple_name("job name", job, 128)
}

/// Checks a Patroni scope: it becomes one Consul KV path segment (`service/<scope>/`),
/// so it must not contain `/`, whitespace or control characters, nor be `.` or `..`.
/// This is [`patroni_client::validate_scope`], the one scope check of the SDK.
pub fn validate_scope(scope: &str) -> Result<()> {
    patroni_client::validate_scope(scope).map_err(|e| match e {
        client_core::Error::InvalidInput { what, value, reason } => Error::InvalidInput { what, value, reason },
        other => Error::Core(other),
    })
}

fn validate_simple_name(what: &str, value: &str, max: usize) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(what, value, "must not be empty"));
    }
    if value.len() > max {
        return Err(Error::invalid(what, value, format!("must be at most {max} characters")));
    }
    if let Some(c) = value.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
        return Err(Error::invalid(
            what,
            value,
            format!("contains {c:?}; only letters, digits, '-' and '_' are allowed"),
        ));
    }
    Ok(())
}

/// Checks a PostgreSQL timeline ID (1 or more).
pub fn validate_timeline(timeline: u32) -> Result<()> {
    if timeline == 0 {
        return Err(Error::invalid("timeline", "0", "PostgreSQL timelines start at 1"));
    }
    Ok(())
}

/// Parses a recovery target timestamp, which must carry its time zone
/// (`2026-11-22T05:12:00Z`, `2026-11-22 05:12:00+01:00`): without one, PostgreSQL
/// would read it in the server's zone, which is how restores land hours off.
pub fn parse_timestamp(value: &str) -> Result<DateTime<FixedOffset>> {
    let trimmed = value.trim();
    DateTime::parse_from_rfc3339(trimmed).map_err(|_| {
        let no_zone = chrono::NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
            || chrono::NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%d %H:%M:%S%.f").is_ok();
        let reason = if no_zone {
            "has no time zone; add one, e.g. 'Z' or '+00:00' (it would otherwise be read in the server's zone)"
        } else {
            "is not an RFC 3339 timestamp like 2026-11-22T05:12:00Z"
        };
        Error::invalid("recovery timestamp", value, reason)
    })
}

/// Checks a member count: a highly available cluster needs at least 2.
pub fn validate_member_count(count: usize) -> Result<()> {
    if count < 2 {
        return Err(Error::invalid(
            "member count",
            count.to_string(),
            "an HA cluster needs at least 2 members (a leader and a replica)",
        ));
    }
    Ok(())
}

/// The runbook's scope name for a namespace: `<namespace>-database`.
#[must_use]
pub fn default_scope(namespace: &str) -> String {
    format!("{namespace}-database")
}

/// Matches `value` against a glob pattern where `*` stands for any run of characters
/// (the only wildcard; everything else matches itself).
#[must_use]
pub fn glob_match(pattern: &str, value: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == value;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !value.starts_with(first) || value.len() < first.len() + last.len() || !value.ends_with(last) {
        return false;
    }
    let mut rest = &value[first.len()..value.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob() {
        assert!(glob_match("atala-*-database", "atala-testnet-database"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "abc"));
        assert!(!glob_match("a*b*c", "acb"));
        assert!(!glob_match("abc", "abcd"));
        assert!(!glob_match("ab*ba", "aba"));
    }

    #[test]
    fn timestamps() {
        assert!(parse_timestamp("2026-11-22T05:12:00Z").is_ok());
        assert!(parse_timestamp("2026-11-22 05:12:00+01:00").is_ok());
        let err = parse_timestamp("2026-11-22 05:12:00").unwrap_err().to_string();
        assert!(err.contains("no time zone"), "{err}");
    }
}
