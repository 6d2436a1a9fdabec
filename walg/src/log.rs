//! wal-g's log lines on stderr: `INFO: 2024/05/01 12:00:00.123456 message`.

use chrono::NaiveDateTime;

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum LogLevel {
    /// `DEBUG:` (with `WALG_LOG_LEVEL=DEVEL`).
    Debug,
    /// `INFO:`.
    Info,
    /// `WARNING:`.
    Warning,
    /// `ERROR:`.
    Error,
}

/// One wal-g log line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogLine {
    /// Severity.
    pub level: LogLevel,
    /// When it was written, in the wal-g host's local time (wal-g prints no zone, so this is
    /// for display and ordering only, never for restore targets).
    pub time: Option<NaiveDateTime>,
    /// The message.
    pub message: String,
}

impl LogLine {
    /// Parses one line; `None` for anything that is not a wal-g log line (stack traces, cobra output).
    ///
    /// ```
    /// use walg::log::{LogLevel, LogLine};
    /// let l = LogLine::parse("ERROR: 2026/11/22 05:00:00.000002 Backup 'base_x' does not exist.").unwrap();
    /// assert_eq!(l.level, LogLevel::Error);
    /// assert_eq!(l.message, "Backup 'base_x' does not exist.");
    /// ```
    #[must_use]
    pub fn parse(line: &str) -> Option<Self> {
        let (prefix, rest) = line.split_once(": ")?;
        let level = match prefix {
            "DEBUG" => LogLevel::Debug,
            "INFO" => LogLevel::Info,
            "WARNING" => LogLevel::Warning,
            "ERROR" => LogLevel::Error,
            _ => return None,
        };
        // `2006/01/02 15:04:05.000000 ` (Go's log flags), when present.
        let stamp = rest.get(..26).and_then(|s| NaiveDateTime::parse_from_str(s, "%Y/%m/%d %H:%M:%S%.f").ok());
        let message = match stamp {
            Some(_) => rest[26..].trim_start(),
            None => rest,
        };
        Some(LogLine { level, time: stamp, message: message.trim_end().to_owned() })
    }

    /// Every log line in a stderr capture.
    pub fn parse_all(stderr: &str) -> impl Iterator<Item = LogLine> + '_ {
        stderr.lines().filter_map(LogLine::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let l = LogLine::parse("INFO: 2026/11/22 05:00:09.000001 Wrote backup with name base_000000020000000000000009")
            .unwrap();
        assert_eq!(l.time.unwrap().to_string(), "2026-11-22 05:00:09.000001");
        assert_eq!(l.message, "Wrote backup with name base_000000020000000000000009");
        let bare = LogLine::parse("WARNING: no timestamp here").unwrap();
        assert_eq!((bare.level, bare.time, bare.message.as_str()), (LogLevel::Warning, None, "no timestamp here"));
        assert_eq!(LogLine::parse("Error: unknown command"), None);
        assert_eq!(LogLine::parse("INFO:"), None);
        assert_eq!(LogLine::parse("INFO: é"), Some(LogLine { level: LogLevel::Info, time: None, message: "é".into() }));
        assert_eq!(LogLine::parse_all("INFO: a\ngoroutine 1\nERROR: b\n").count(), 2);
    }
}
