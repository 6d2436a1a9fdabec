//! A string that never shows itself in `Debug` or `Display` output.

use std::fmt;

/// A secret value (an API token, a password, a secret ID).
///
/// `Debug` and `Display` print `<redacted>`, so a secret can sit inside any
/// struct that derives `Debug` and still never reach logs, errors or panics.
/// The value is only available through [`Secret::expose`], which makes every
/// place that reads it easy to find.
///
/// ```
/// use client_core::Secret;
/// let token = Secret::new("s.abcdef");
/// assert_eq!(format!("{token:?}"), "<redacted>");
/// assert_eq!(token.to_string(), "<redacted>");
/// assert_eq!(token.expose(), "s.abcdef");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Returns the secret value. Call it only where the value is sent to the
    /// server it belongs to.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is the empty string.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

/// Replaces every occurrence of each secret in `text` with `<redacted>`.
///
/// Used on server messages before they become error text: some servers echo
/// a request body, and a request body may hold a password.
#[must_use]
pub fn redact(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        if secret.0.len() >= 4 {
            out = out.replace(secret.expose(), "<redacted>");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let s = Secret::new("hunter2-token");
        assert_eq!(format!("{s:?} {s} {s:#?}"), "<redacted> <redacted> <redacted>");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            token: Secret,
        }
        let h = Holder { token: s.clone() };
        assert!(!format!("{h:?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2-token");
    }

    #[test]
    fn redact_replaces_all_occurrences() {
        let s = Secret::new("abcd1234");
        assert_eq!(redact("x abcd1234 y abcd1234", &[&s]), "x <redacted> y <redacted>");
    }
}
