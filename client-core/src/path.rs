//! Building request paths with every segment percent-encoded.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::error::{Error, Result};

/// Characters escaped inside one path segment: everything but unreserved
/// characters and a few sub-delims servers treat literally.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'+')
    .add(b'&')
    .add(b';')
    .add(b'=');

/// Percent-encodes one path segment (a `/` inside it is escaped).
///
/// ```
/// assert_eq!(client_core::path::encode_segment("my job/x?"), "my%20job%2Fx%3F");
/// ```
#[must_use]
pub fn encode_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

/// Percent-encodes a slash-separated key, keeping `/` as separators.
///
/// ```
/// assert_eq!(client_core::path::encode_key("service/a b/c#1"), "service/a%20b/c%231");
/// ```
#[must_use]
pub fn encode_key(key: &str) -> String {
    key.split('/').map(encode_segment).collect::<Vec<_>>().join("/")
}

/// An encoded request path under construction.
///
/// ```
/// use client_core::path::PathBuf;
/// let p = PathBuf::new("/v1/job").segment("web app").finish();
/// assert_eq!(p, "/v1/job/web%20app");
/// ```
#[derive(Debug, Clone)]
pub struct PathBuf(String);

impl PathBuf {
    /// Starts from a static, already-safe prefix such as `/v1/kv`.
    #[must_use]
    pub fn new(prefix: &str) -> Self {
        Self(prefix.trim_end_matches('/').to_owned())
    }

    /// Appends one segment, escaping `/` inside it.
    #[must_use]
    pub fn segment(mut self, segment: &str) -> Self {
        self.0.push('/');
        self.0.push_str(&encode_segment(segment));
        self
    }

    /// Appends a multi-segment key, keeping its `/` separators.
    #[must_use]
    pub fn key(mut self, key: &str) -> Self {
        self.0.push('/');
        self.0.push_str(&encode_key(key));
        self
    }

    /// The finished path.
    #[must_use]
    pub fn finish(self) -> String {
        self.0
    }
}

/// Checks a single name (job ID, namespace, node name, role...): not empty,
/// no control characters or NUL, at most `max_len` bytes.
pub fn validate_name(what: &str, value: &str, max_len: usize) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(what, value, "must not be empty"));
    }
    if value.len() > max_len {
        return Err(Error::invalid(
            what,
            truncate(value),
            format!("is {} bytes long; at most {max_len} allowed", value.len()),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(what, value, "must not contain control characters or NUL"));
    }
    Ok(())
}

/// Checks a slash-separated path (KV key, Vault path): not empty, no leading
/// `/`, no empty, `.` or `..` segments, no control characters. A trailing
/// `/` is allowed only when `allow_trailing_slash`.
pub fn validate_path(what: &str, value: &str, allow_trailing_slash: bool) -> Result<()> {
    validate_name(what, value, 4096)?;
    if value.starts_with('/') {
        return Err(Error::invalid(what, value, "must not start with '/'"));
    }
    let body = if allow_trailing_slash { value.strip_suffix('/').unwrap_or(value) } else { value };
    for segment in body.split('/') {
        match segment {
            "" => return Err(Error::invalid(what, value, "must not contain empty segments ('//' or a trailing '/')")),
            "." | ".." => return Err(Error::invalid(what, value, "must not contain '.' or '..' segments")),
            _ => {}
        }
    }
    Ok(())
}

fn truncate(value: &str) -> String {
    let mut end = value.len().min(64);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &value[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_escape_reserved_characters() {
        assert_eq!(encode_segment("a/b"), "a%2Fb");
        assert_eq!(encode_segment("100%"), "100%25");
        assert_eq!(encode_segment("é"), "%C3%A9");
        assert_eq!(encode_segment("dbHA1-x_y.z~"), "dbHA1-x_y.z~");
    }

    #[test]
    fn path_validation() {
        assert!(validate_path("key", "service/db/leader", false).is_ok());
        assert!(validate_path("key", "service/db/", true).is_ok());
        for bad in ["", "/x", "a//b", "a/../b", "a/./b", "a/", "a\0b"] {
            assert!(validate_path("key", bad, false).is_err(), "{bad:?}");
        }
        let long = "x".repeat(5000);
        let err = validate_name("job ID", &long, 128).unwrap_err().to_string();
        assert!(err.contains("5000 bytes") && err.len() < 300, "{err}");
    }
}
