//! Timestamps in the formats wal-g and PostgreSQL print, always with a time zone.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};

use crate::error::{Error, parse_error};

/// A point in time (UTC) as used throughout the crate.
pub type Timestamp = DateTime<Utc>;

const WHAT: &str = "timestamp";
const NEEDS_ZONE: &str = "it has no time zone; add one, e.g. 2024-05-01T12:00:00Z or 2024-05-01 12:00:00+00 (a restore target must be unambiguous)";

/// Parses a timestamp with a time zone, in any of the forms wal-g and PostgreSQL print:
///
/// - RFC 3339 / Go's RFC3339Nano (`backup-list`, sentinels): `2024-05-01T12:00:00Z`,
///   `2024-05-01T12:00:00.123456789+02:00`;
/// - PostgreSQL `timestamptz` text (history reasons, `recovery_target_time`):
///   `2024-05-01 12:00:00.123+00`, `2024-05-01 12:00:00+05:30`;
/// - backup label files: `2026-11-22 04:43:37 UTC` (also `GMT`).
///
/// Naive timestamps are rejected: guessing a zone for a restore target could lose hours of data.
///
/// ```
/// use walg::parse_timestamp;
/// let a = parse_timestamp("2024-05-01 14:00:00+02").unwrap();
/// let b = parse_timestamp("2024-05-01T12:00:00Z").unwrap();
/// assert_eq!(a, b);
/// assert!(parse_timestamp("2024-05-01 12:00:00").unwrap_err().to_string().contains("no time zone"));
/// ```
pub fn parse_timestamp(input: &str) -> Result<Timestamp, Error> {
    let s = input.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    // The date/time separator may be `T` (RFC 3339) or a space (PostgreSQL).
    let normalized = match s.as_bytes().get(10) {
        Some(b'T' | b't') => format!("{} {}", &s[..10], &s[11..]),
        _ => s.to_owned(),
    };
    let (naive_part, offset) = split_zone(&normalized).ok_or_else(|| {
        if parse_naive(&normalized).is_some() {
            parse_error(WHAT, input, NEEDS_ZONE)
        } else {
            parse_error(WHAT, input, "expected e.g. 2024-05-01T12:00:00Z or 2024-05-01 12:00:00+00")
        }
    })?;
    let naive = parse_naive(naive_part)
        .ok_or_else(|| parse_error(WHAT, input, "expected a date and time like 2024-05-01 12:00:00 before the zone"))?;
    let offset =
        FixedOffset::east_opt(offset).ok_or_else(|| parse_error(WHAT, input, "the UTC offset is out of range"))?;
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| parse_error(WHAT, input, "not a valid point in time"))
}

/// Formats a timestamp the way `recovery_target_time` expects it: `2024-05-01 12:00:00.5+00`.
#[must_use]
pub fn format_pg_timestamp(t: &Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.f+00").to_string()
}

fn parse_naive(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S%.f").ok()
}

/// Splits `s` into the local date-time and a UTC offset in seconds.
fn split_zone(s: &str) -> Option<(&str, i32)> {
    for (suffix, offset) in [(" UTC", 0), (" GMT", 0), ("Z", 0), ("z", 0)] {
        if let Some(rest) = s.strip_suffix(suffix) {
            return Some((rest, offset));
        }
    }
    // A numeric offset after the time of day: +HH, +HHMM or +HH:MM (time starts after the date).
    let time_start = s.find(' ')?;
    let sign_at = s[time_start..].rfind(['+', '-'])? + time_start;
    let sign = if s.as_bytes()[sign_at] == b'-' { -1 } else { 1 };
    let digits: String = s[sign_at + 1..].trim().chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hh, mm) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (digits[..2].parse::<i32>().ok()?, digits[2..].parse::<i32>().ok()?),
        _ => return None,
    };
    if mm >= 60 {
        return None;
    }
    Some((s[..sign_at].trim_end(), sign * (hh * 3600 + mm * 60)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_printed_forms() {
        let utc = |s| parse_timestamp(s).unwrap().to_rfc3339();
        assert_eq!(utc("2024-05-01T12:00:00Z"), "2024-05-01T12:00:00+00:00");
        assert_eq!(utc("2024-05-01T12:00:00.123456789Z"), "2024-05-01T12:00:00.123456789+00:00");
        assert_eq!(utc("2026-11-22 04:43:37 UTC"), "2026-11-22T04:43:37+00:00");
        assert_eq!(utc("2024-05-01 12:00:00.123+00"), "2024-05-01T12:00:00.123+00:00");
        assert_eq!(utc("2024-05-01 12:00:00-0130"), "2024-05-01T13:30:00+00:00");
        assert_eq!(utc("2024-05-01 17:30:00+05:30"), "2024-05-01T12:00:00+00:00");
        assert_eq!(utc("2024-05-01T12:00:00+02:00"), "2024-05-01T10:00:00+00:00");
    }

    #[test]
    fn rejects_naive_and_garbage() {
        for naive in ["2024-05-01 12:00:00", "2024-05-01T12:00:00", "2024-05-01 12:00:00.5"] {
            assert!(parse_timestamp(naive).unwrap_err().to_string().contains("no time zone"), "{naive}");
        }
        for bad in ["", "yesterday", "2024-13-01 12:00:00Z", "2024-05-01 12:00:00+99", "2024-05-01 12:00:00+0199"] {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formats_for_postgres() {
        let t = parse_timestamp("2024-05-01T12:00:00.5Z").unwrap();
        assert_eq!(format_pg_timestamp(&t), "2024-05-01 12:00:00.500+00");
        assert_eq!(parse_timestamp(&format_pg_timestamp(&t)).unwrap(), t);
    }
}
