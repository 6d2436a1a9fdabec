//! Checks on caller input, run before any request is sent.

use client_core::path::{ApiPath, PathBuf, validate_name};

use crate::error::Result;
use crate::options::{ALL_NAMESPACES, QueryOptions};

/// Longest name or ID accepted (Nomad's own limits are lower; this only stops garbage).
const MAX_NAME: usize = 512;

/// A job ID, task group, task or namespace name: not empty, no control characters.
/// `/` and spaces are allowed and escaped in paths (dispatched job IDs contain `/`).
pub(crate) fn name(what: &str, value: &str) -> Result<()> {
    Ok(validate_name(what, value, MAX_NAME)?)
}

/// A namespace for a call on one object: the wildcard only makes sense for lists.
pub(crate) fn single_namespace(value: &str) -> Result<()> {
    name("namespace", value)?;
    if value == ALL_NAMESPACES {
        return Err(client_core::Error::invalid(
            "namespace",
            value,
            "the wildcard namespace only works for list calls; name the namespace the object lives in",
        )
        .into());
    }
    Ok(())
}

/// A full Nomad UUID (allocation, node, evaluation, deployment ID).
/// The HTTP API does not resolve short prefixes on these paths.
pub(crate) fn uuid(what: &str, value: &str) -> Result<()> {
    name(what, value)?;
    if client_core::path::is_uuid(value) {
        Ok(())
    } else {
        Err(client_core::Error::invalid(
            what,
            value,
            "expected a full 36-character ID like 9df9c84d-e72a-b42f-b5da-5df98da53bda; \
             resolve a short prefix with a list call and QueryOptions::prefix",
        )
        .into())
    }
}

/// `<base>/<id>[/<sub>]` after checking `id` is a full UUID (`what` names it in errors).
pub(crate) fn uuid_path(base: &'static str, what: &str, id: &str, sub: Option<&'static str>) -> Result<ApiPath> {
    uuid(what, id)?;
    let mut path = PathBuf::new(base).segment(what, id)?;
    if let Some(sub) = sub {
        path = path.literal(sub);
    }
    Ok(path.finish())
}

/// A secret that must be a UUID (bootstrap and one-time secrets); the error never shows it.
pub(crate) fn uuid_secret(what: &str, secret: &client_core::Secret) -> Result<()> {
    if client_core::path::is_uuid(secret.expose()) {
        return Ok(());
    }
    Err(client_core::Error::invalid(
        what,
        "<redacted>",
        "expected a 36-character UUID like 9df9c84d-e72a-b42f-b5da-5df98da53bda",
    )
    .into())
}

/// An ID the server assigns: it must be empty in a create body.
pub(crate) fn empty_on_create(what: &str, id: &str) -> Result<()> {
    if id.is_empty() {
        return Ok(());
    }
    Err(client_core::Error::invalid(
        what,
        id,
        "must be empty on create (Nomad assigns it); call update to change an existing one",
    )
    .into())
}

/// An ID prefix for the `prefix=` of a list of UUID-keyed objects (allocations,
/// nodes, evaluations, deployments). Nomad answers an odd number of hex digits with a
/// 500 (`Input (without hyphens) must be even length`), even when an ID starts with
/// it, and an empty prefix lists everything; both are refused here.
pub(crate) fn id_prefix(what: &str, value: &str) -> Result<()> {
    let refuse = |reason: &str| Err(client_core::Error::invalid(what, value, reason).into());
    if value.is_empty() {
        return refuse("must not be empty: an empty prefix matches every ID (leave the prefix unset to list all)");
    }
    if value.len() > 36 || !value.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return refuse("must be the start of an ID like 9df9c84d-e72a-b42f-b5da-5df98da53bda (hex digits and '-')");
    }
    if value.chars().filter(char::is_ascii_hexdigit).count() % 2 == 1 {
        return refuse(
            "has an odd number of hex digits, which Nomad cannot look up (it answers HTTP 500); \
             give one more or one fewer character",
        );
    }
    Ok(())
}

/// Refuses [`QueryOptions::reverse`](field@QueryOptions::reverse) on a list that cannot reverse
/// (Nomad ignores `reverse=true` there, so the caller would get oldest first unawares).
pub(crate) fn no_reverse(list: &str, opts: &QueryOptions) -> Result<()> {
    if opts.reverse {
        return Err(client_core::Error::invalid(
            "reverse",
            "true",
            format!("{list} cannot be listed in reverse (Nomad ignores reverse=true there); sort the items yourself"),
        )
        .into());
    }
    Ok(())
}

/// [`id_prefix`] on the prefix of `opts`, when it has one.
pub(crate) fn id_prefix_option(what: &str, opts: &QueryOptions) -> Result<()> {
    opts.prefix.as_deref().map_or(Ok(()), |p| id_prefix(what, p))
}

/// A node metadata key as Nomad's `NodeMetaApplyRequest.Validate` takes it: not
/// empty, and every `.`-separated part an HCL identifier (a letter or `_`, then
/// letters, digits, `_` and `-`), so `connect.log_level` passes and `some/path`,
/// `a..b`, `a.` or `1x` do not. Outside ASCII only whitespace and control
/// characters are refused here (HCL's Unicode identifier classes are left to Nomad).
pub(crate) fn meta_key(key: &str) -> Result<()> {
    let refuse = |reason: &str| Err(client_core::Error::invalid("node metadata key", key, reason).into());
    if key.is_empty() {
        return refuse("must not be empty");
    }
    for part in key.split('.') {
        let mut chars = part.chars();
        let Some(first) = chars.next() else {
            return refuse("has an empty part between dots; keys are dotted HCL identifiers like connect.log_level");
        };
        let bad = |c: char, first: bool| {
            if c.is_ascii() {
                !(c.is_ascii_alphabetic() || c == '_' || (!first && (c.is_ascii_digit() || c == '-')))
            } else {
                c.is_whitespace() || c.is_control()
            }
        };
        if bad(first, true) || chars.any(|c| bad(c, false)) {
            return refuse(
                "is not a dotted HCL identifier (each part: a letter or '_', then letters, digits, '_' or '-'), \
                 which Nomad refuses; e.g. connect.log_level",
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids() {
        assert!(uuid("allocation ID", "9df9c84d-e72a-b42f-b5da-5df98da53bda").is_ok());
        for bad in ["", "9df9c84d", "9df9c84d-e72a-b42f-b5da-5df98da53bdz", "9df9c84d/e72a-b42f-b5da-5df98da53bda"] {
            let err = uuid("allocation ID", bad).unwrap_err().to_string();
            assert!(err.contains("allocation ID"), "{err}");
        }
    }

    #[test]
    fn id_prefixes() {
        for ok in ["9d", "9df9c84d", "9df9c84d-e7", "9df9c84d-e72a-b42f-b5da-5df98da53bda"] {
            assert!(id_prefix("allocation ID prefix", ok).is_ok(), "{ok}");
        }
        for (bad, why) in [("", "empty"), ("7a9", "odd"), ("9df9c84d-e", "odd"), ("xyz0", "hex"), ("../", "hex")] {
            let err = id_prefix("allocation ID prefix", bad).unwrap_err().to_string();
            assert!(err.contains("allocation ID prefix") && err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn names() {
        assert!(name("job ID", "dbHA1-backup/dispatch-1-abc").is_ok());
        assert!(name("job ID", "").is_err());
        assert!(name("job ID", "a\0b").is_err());
        assert!(single_namespace("*").unwrap_err().to_string().contains("wildcard"));
    }

    #[test]
    fn meta_keys() {
        for ok in ["foo", "connect.log_level", "_x.a-b.c9", "rack_2", "caf\u{e9}"] {
            assert!(meta_key(ok).is_ok(), "{ok}");
        }
        for bad in ["", "some/path", "a..b", "a.", ".a", "1x", "a.-b", "a b", "a\tb", "a\u{a0}b", "k=v", "a.b$"] {
            let err = meta_key(bad).unwrap_err().to_string();
            assert!(err.contains("node metadata key"), "{bad:?}: {err}");
        }
    }
}
