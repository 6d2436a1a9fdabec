//! The one way a name reaches a request path.
//!
//! Every request an SDK client sends goes to an [`ApiPath`], and an
//! [`ApiPath`] comes either from a string literal in the SDK's source (a
//! fixed endpoint such as `/v1/status/leader`) or from a [`PathBuf`], which
//! refuses, before anything is sent, any name the server would not see as
//! exactly the intended resource:
//!
//! - empty names, and `.`, `..` or empty parts: the Go servers decode `%2F`
//!   and clean the decoded path, answering with a redirect to *another*
//!   resource (`../../acl/token/self`, `ghost/../victim`, `a//b`);
//! - `/` inside a one-segment name ([`PathBuf::segment`]); names whose `/` is
//!   meaningful (Nomad dispatched job IDs, KV keys, Vault paths) go through
//!   [`PathBuf::segment_with_slashes`] or [`PathBuf::key`], which check every
//!   part;
//! - control characters and NUL.
//!
//! Everything else is percent-encoded, so `?`, `#`, `%`, spaces and non-ASCII
//! look-alikes reach the server as the literal name.
//!
//! ```
//! use client_core::path::PathBuf;
//! let p = PathBuf::new("/v1/job").segment_with_slashes("job ID", "backup/periodic-1700000000")?.literal("allocations").finish();
//! assert_eq!(p.as_str(), "/v1/job/backup%2Fperiodic-1700000000/allocations");
//! let err = PathBuf::new("/v1/agent/service").segment("service ID", "../../acl/token/self").unwrap_err();
//! assert!(err.to_string().contains("service ID"));
//! # Ok::<(), client_core::Error>(())
//! ```

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

/// Longest name accepted into a path (servers' own limits are lower; this
/// only keeps garbage and accidents out of URLs and error messages).
pub const MAX_PATH_NAME: usize = 4096;

/// An encoded request path: the only thing a [`crate::Request`] is sent to.
///
/// Built from a string literal (a fixed endpoint written in the SDK's
/// source) or by [`PathBuf`]; there is deliberately no conversion from a
/// runtime `String`, so a name can only reach a path through the checks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiPath(String);

impl ApiPath {
    /// The encoded path, starting with `/`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

impl From<&'static str> for ApiPath {
    /// A fixed endpoint from the SDK's source, such as `/v1/status/leader`.
    fn from(path: &'static str) -> Self {
        Self(path.to_owned())
    }
}

impl From<PathBuf> for ApiPath {
    fn from(path: PathBuf) -> Self {
        path.finish()
    }
}

impl std::fmt::Display for ApiPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ApiPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// An encoded request path under construction; see the [module docs](self).
///
/// ```
/// use client_core::path::PathBuf;
/// let p = PathBuf::new("/v1/kv").key("KV key", "service/db/leader")?.finish();
/// assert_eq!(p.as_str(), "/v1/kv/service/db/leader");
/// assert!(PathBuf::new("/v1/kv").key("KV key", "service/db/../../x").is_err());
/// # Ok::<(), client_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PathBuf(String);

impl PathBuf {
    /// Starts from a fixed prefix of the SDK's source such as `/v1/kv`.
    #[must_use]
    pub fn new(prefix: &'static str) -> Self {
        Self(prefix.trim_end_matches('/').to_owned())
    }

    /// Appends a fixed part of the SDK's source (`allocations`, `purge`),
    /// written as is.
    #[must_use]
    pub fn literal(mut self, part: &'static str) -> Self {
        self.0.push('/');
        self.0.push_str(part.trim_matches('/'));
        self
    }

    /// Appends one name as exactly one segment. Refuses (naming `what` and
    /// the value) an empty name, `.`, `..`, a `/` and control characters.
    pub fn segment(mut self, what: &str, value: &str) -> Result<Self> {
        check_segment(what, value)?;
        self.push_encoded(value);
        Ok(self)
    }

    /// Appends a name whose `/` is part of the name (a Nomad dispatched or
    /// periodic job ID such as `backup/periodic-1700000000`), encoded as one
    /// segment. Every `/`-separated part is checked as by
    /// [`segment`](Self::segment), because the server decodes `%2F`.
    pub fn segment_with_slashes(mut self, what: &str, value: &str) -> Result<Self> {
        validate_path(what, value, false)?;
        self.push_encoded(value);
        Ok(self)
    }

    /// Appends a slash-separated key (Consul KV key, Vault path), keeping
    /// its `/` separators. Every part is checked as by
    /// [`segment`](Self::segment); one trailing `/` (a folder) is allowed.
    pub fn key(mut self, what: &str, value: &str) -> Result<Self> {
        validate_path(what, value, true)?;
        for part in value.split('/') {
            self.push_encoded(part);
        }
        Ok(self)
    }

    /// Appends `/` and the encoded `part` without an intermediate `String`.
    fn push_encoded(&mut self, part: &str) {
        self.0.reserve(part.len() + 1);
        self.0.push('/');
        self.0.extend(utf8_percent_encode(part, SEGMENT));
    }

    /// The finished path.
    #[must_use]
    pub fn finish(self) -> ApiPath {
        ApiPath(self.0)
    }
}

/// Checks that `value` can be sent as exactly one path segment: not empty,
/// not `.` or `..`, no `/`, no control characters, at most
/// [`MAX_PATH_NAME`] bytes. [`PathBuf::segment`] runs it; validators call it
/// to refuse early.
pub fn check_segment(what: &str, value: &str) -> Result<()> {
    validate_name(what, value, MAX_PATH_NAME)?;
    if value.contains('/') {
        return Err(Error::invalid(
            what,
            value,
            "must not contain '/' (the server decodes %2F and would look up another resource)",
        ));
    }
    check_dots(what, value, value)
}

fn check_dots(what: &str, value: &str, part: &str) -> Result<()> {
    if part == "." || part == ".." {
        return Err(Error::invalid(
            what,
            value,
            "must not be or contain a '.' or '..' part; the server resolves it to another path",
        ));
    }
    Ok(())
}

/// True for a UUID in the canonical 8-4-4-4-12 form (36 characters, hex
/// digits and dashes, either case): the IDs of Nomad allocations, nodes,
/// evaluations and deployments and of Consul sessions, ACL tokens and
/// intentions. The one check every client uses.
///
/// ```
/// use client_core::path::is_uuid;
/// assert!(is_uuid("9df9c84d-e72a-b42f-b5da-5df98da53bda"));
/// assert!(!is_uuid("9df9c84d"));
/// assert!(!is_uuid("9df9c84d-e72a-b42f-b5da-5df98da53bdz"));
/// ```
#[must_use]
pub fn is_uuid(value: &str) -> bool {
    value.len() == 36
        && value.bytes().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Checks a single name (job ID, namespace, node name, role...): not empty,
/// no control characters or NUL, at most `max_len` bytes. It does not make
/// a name safe for a path: [`PathBuf`] does that.
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

/// Checks a slash-separated path (KV key, Vault path) the way
/// [`PathBuf::key`] does: every `/`-separated part like [`check_segment`]
/// (not empty, not `.` or `..`, no control characters), at most
/// [`MAX_PATH_NAME`] bytes. With `allow_trailing_slash`, one final `/` (a
/// folder key) is allowed.
pub fn validate_path(what: &str, value: &str, allow_trailing_slash: bool) -> Result<()> {
    validate_name(what, value, MAX_PATH_NAME)?;
    let body = if allow_trailing_slash { value.strip_suffix('/').unwrap_or(value) } else { value };
    for part in body.split('/') {
        if part.is_empty() {
            return Err(Error::invalid(
                what,
                value,
                "must not start with '/' or contain an empty part ('//'); the server would merge it into another path",
            ));
        }
        check_dots(what, value, part)?;
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

    fn one(value: &str) -> Result<String> {
        Ok(PathBuf::new("/v1/x").segment("name", value)?.finish().0)
    }

    #[test]
    fn segments_escape_reserved_characters() {
        assert_eq!(one("100%").unwrap(), "/v1/x/100%25");
        assert_eq!(one("é").unwrap(), "/v1/x/%C3%A9");
        assert_eq!(one("dbHA1-x_y.z~").unwrap(), "/v1/x/dbHA1-x_y.z~");
        assert_eq!(one("a?b#c").unwrap(), "/v1/x/a%3Fb%23c");
        assert_eq!(one("%2F").unwrap(), "/v1/x/%252F");
        assert_eq!(one("...").unwrap(), "/v1/x/...");
        // U+2024 ONE DOT LEADER looks like '.', and is sent as itself.
        assert_eq!(one("\u{2024}\u{2024}").unwrap(), "/v1/x/%E2%80%A4%E2%80%A4");
    }

    #[test]
    fn segments_refuse_what_the_server_would_resolve_elsewhere() {
        for bad in ["", ".", "..", "a/b", "../../acl/token/self", "a//b", "a\0b", "a\nb", "/", "a/"] {
            let err = one(bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid name"), "{bad:?}: {err}");
        }
        let long = "x".repeat(5000);
        let err = one(&long).unwrap_err().to_string();
        assert!(err.contains("5000 bytes") && err.len() < 300, "{err}");
    }

    #[test]
    fn slashes_inside_a_name_are_checked_part_by_part() {
        let p = PathBuf::new("/v1/job").segment_with_slashes("job ID", "web/dispatch-1").unwrap().finish();
        assert_eq!(p.as_str(), "/v1/job/web%2Fdispatch-1");
        for bad in ["web/..", "web//x", "/web", "web/", "ghost/../victim", "."] {
            assert!(PathBuf::new("/v1/job").segment_with_slashes("job ID", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn keys_keep_separators_and_refuse_dot_parts() {
        let p = PathBuf::new("/v1/kv").key("KV key", "service/a b/c#1").unwrap().finish();
        assert_eq!(p.as_str(), "/v1/kv/service/a%20b/c%231");
        let folder = PathBuf::new("/v1/kv").key("KV key", "service/db/").unwrap().finish();
        assert_eq!(folder.as_str(), "/v1/kv/service/db/");
        for bad in ["", "/x", "a//b", "a/../b", "a/./b", "a//", "a\0b", ".."] {
            assert!(PathBuf::new("/v1/kv").key("KV key", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn literals_and_validators() {
        let p = PathBuf::new("/v1/node/").segment("node ID", "n1").unwrap().literal("purge").finish();
        assert_eq!(p.as_str(), "/v1/node/n1/purge");
        assert!(validate_path("key", "service/db/leader", false).is_ok());
        assert!(validate_path("key", "service/db/", true).is_ok());
        for bad in ["", "/x", "a//b", "a/../b", "a/./b", "a/", "a\0b"] {
            assert!(validate_path("key", bad, false).is_err(), "{bad:?}");
        }
    }
}
