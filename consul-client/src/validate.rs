//! Input checks run before any request is sent.

use crate::error::{Error, Result};

/// Longest node, service or check name accepted.
const MAX_NAME: usize = 512;

/// A datacenter name: lowercase letters, digits, `-` and `_`, as Consul requires.
pub(crate) fn datacenter(dc: &str) -> Result<()> {
    client_core::path::validate_name("datacenter", dc, 128)?;
    if !dc.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_') {
        return Err(Error::invalid(
            "datacenter",
            dc,
            "must contain only lowercase letters, digits, '-' and '_' (e.g. \"dc1\")",
        ));
    }
    Ok(())
}

/// A node, service, check or session name used as one path segment: what
/// [`client_core::path::PathBuf::segment`] accepts (no `/`, `.`, `..`), at
/// most 512 bytes, no surrounding whitespace.
pub(crate) fn name(what: &str, value: &str) -> Result<()> {
    client_core::path::validate_name(what, value, MAX_NAME)?;
    client_core::path::check_segment(what, value)?;
    if value.trim() != value {
        return Err(Error::invalid(what, value, "must not start or end with whitespace"));
    }
    Ok(())
}

/// A KV key: not empty, no leading '/', no empty, '.' or '..' segments.
/// A trailing '/' is allowed (Consul "folder" keys).
pub(crate) fn key(key: &str) -> Result<()> {
    Ok(client_core::path::validate_path("KV key", key, true)?)
}

/// A KV prefix for listing: empty means "everything", otherwise like a key.
pub(crate) fn prefix(prefix: &str) -> Result<()> {
    if prefix.is_empty() { Ok(()) } else { Ok(client_core::path::validate_path("KV prefix", prefix, true)?) }
}

/// A UUID-shaped ID (session, ACL accessor, intention): hex digits in groups of 8-4-4-4-12 joined by dashes.
pub(crate) fn uuid(what: &str, value: &str) -> Result<()> {
    if client_core::path::is_uuid(value) {
        Ok(())
    } else {
        Err(Error::invalid(what, value, "must be a UUID like 4b2a9c1e-0000-4000-8000-000000000000"))
    }
}

/// A DNS hostname label, as Consul requires of namespace, partition and
/// peer names: 1 to 63 letters, digits and `-`, starting and ending with a
/// letter or digit.
pub(crate) fn dns_label(what: &str, value: &str) -> Result<()> {
    let bytes = value.as_bytes();
    let alnum = |b: &u8| b.is_ascii_alphanumeric();
    let ok = !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.iter().all(|b| alnum(b) || *b == b'-')
        && bytes.first().is_some_and(alnum)
        && bytes.last().is_some_and(alnum);
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            what,
            value,
            "must be a DNS hostname label: 1 to 63 letters, digits and '-', starting and ending with a letter or digit",
        ))
    }
}

/// `<base>/<name>` for a name that must be a DNS label (namespace, partition, peer).
pub(crate) fn label_path(base: &'static str, what: &str, name: &str) -> Result<client_core::path::ApiPath> {
    dns_label(what, name)?;
    Ok(client_core::path::PathBuf::new(base).segment(what, name)?.finish())
}
