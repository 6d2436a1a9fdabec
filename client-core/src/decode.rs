//! The one JSON decode path of every client, with what its errors may show
//! of the body set per client ([`BodyInErrors`]).

use http::Method;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result, excerpt};

/// What a decode error may quote from the body that failed to decode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyInErrors {
    /// The decoder's message and the first bytes of the body: what an
    /// operator needs to see that a proxy answered HTML instead of JSON.
    #[default]
    Excerpt,
    /// Nothing from the body, not even a value in the decoder's message:
    /// for servers whose answers carry secrets (Vault). The error keeps the
    /// decoder's category, position, expected type and missing field names,
    /// which come from the SDK's types, not from the body.
    Hidden,
}

/// Decodes `body` as JSON; a failure names the request and shows of the
/// body what `policy` allows.
///
/// ```
/// use client_core::{BodyInErrors, Method};
/// use client_core::decode::decode_json;
/// let err = decode_json::<u64>(&Method::GET, "/v1/secret/x", br#""hunter2""#, BodyInErrors::Hidden).unwrap_err();
/// assert!(!err.to_string().contains("hunter2"), "{err}");
/// assert!(err.to_string().contains("found string, expected u64"), "{err}");
/// ```
pub fn decode_json<T: DeserializeOwned>(method: &Method, path: &str, body: &[u8], policy: BodyInErrors) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| decode_error(method, path, body, &e, policy))
}

/// The [`Error::Decode`] for a failed decode of `body`.
pub fn decode_error(method: &Method, path: &str, body: &[u8], e: &serde_json::Error, policy: BodyInErrors) -> Error {
    let (reason, excerpt) = match policy {
        BodyInErrors::Excerpt => (e.to_string(), excerpt(body)),
        BodyInErrors::Hidden => (describe_without_values(e), "(not shown: the answer may hold secrets)".to_owned()),
    };
    Error::Decode { method: method.to_string(), path: path.to_owned(), reason, excerpt }
}

/// What went wrong in a decode, from serde_json's category, line and column
/// and the parts of its message that come from our types (the expected type,
/// a missing field's name), never from the body: `invalid type: integer
/// `12345`, expected a string` becomes `invalid type: found integer,
/// expected a string`.
fn describe_without_values(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("at line {} column {}", e.line(), e.column());
    match e.classify() {
        Category::Io => format!("the answer could not be read ({at})"),
        Category::Syntax => format!("the answer is not valid JSON ({at})"),
        Category::Eof => format!("the answer ends too early ({at})"),
        Category::Data => {
            let message = e.to_string();
            let message = message.split(" at line ").next().unwrap_or_default();
            format!("the answer does not have the expected shape: {} ({at})", describe_data_error(message))
        }
    }
}

fn describe_data_error(message: &str) -> String {
    // serde's messages name the value first and what was expected last.
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let kind = ["integer", "floating point", "string", "boolean", "null", "map", "sequence", "unit", "char"]
                .into_iter()
                .find(|k| rest.starts_with(k))
                .unwrap_or("another value");
            let expected = rest.rsplit_once(", expected ").map_or("another type", |(_, exp)| exp);
            return format!("{prefix}found {kind}, expected {expected}");
        }
    }
    for prefix in ["missing field `", "duplicate field `"] {
        if message.starts_with(prefix)
            && message.ends_with('`')
            && !message[prefix.len()..message.len() - 1].contains('`')
        {
            // Field names come from our types, not from the body.
            return message.to_owned();
        }
    }
    if message.starts_with("invalid length ") {
        return "a list or map has the wrong length".to_owned();
    }
    "a value does not match the expected type".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Lease {
        lease_id: String,
        ttl: u64,
    }

    #[test]
    fn hidden_keeps_no_value_from_the_body() {
        for body in [
            &br#"{"lease_id":"s.SECRETVALUE","ttl":"SECRETVALUE"}"#[..],
            br#"{"ttl":5,"lease_id":12345678}"#,
            br#"{"lease_id":"SECRETVALUE""#,
            b"SECRETVALUE",
            br#"{"lease_id":"SECRETVALUE"}"#,
        ] {
            let e = decode_json::<Lease>(&Method::GET, "/v1/x", body, BodyInErrors::Hidden).unwrap_err();
            let text = format!("{e} {e:?}");
            assert!(!text.contains("SECRETVALUE") && !text.contains("12345678"), "{text}");
            assert!(text.contains("/v1/x"), "{text}");
        }
        let e = decode_json::<Lease>(&Method::GET, "/v1/x", br#"{"ttl":1}"#, BodyInErrors::Hidden).unwrap_err();
        assert!(e.to_string().contains("missing field `lease_id`"), "{e}");
    }

    #[test]
    fn excerpt_shows_the_start_of_the_body() {
        let e = decode_json::<Lease>(&Method::GET, "/v1/x", b"<html>proxy error</html>", BodyInErrors::Excerpt)
            .unwrap_err();
        assert!(e.to_string().contains("<html>proxy error"), "{e}");
    }
}
