//! Vault's part of client-core's pipeline: the headers every attempt carries
//! (`X-Vault-Request`, namespace, wrap TTL, the last `X-Vault-Index` for
//! read-your-writes) and what an answer says before the retry decision (the
//! index it carries, a sealed Vault's final 503).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use client_core::{Answer, HeaderMap, Hook, Request, Verdict};
use http::HeaderValue;
use http::header::HeaderName;

use client_core::{Error, Result};

const REQUEST_HEADER: HeaderName = HeaderName::from_static("x-vault-request");
const NAMESPACE_HEADER: HeaderName = HeaderName::from_static("x-vault-namespace");
const WRAP_TTL_HEADER: HeaderName = HeaderName::from_static("x-vault-wrap-ttl");
const INDEX_HEADER: HeaderName = HeaderName::from_static("x-vault-index");

/// What a sealed Vault says in its 503 body.
pub(crate) const SEALED_MESSAGE: &str = "Vault is sealed";

/// The last `X-Vault-Index` seen, shared by every copy of one client (a
/// token or namespace copy reads its own writes too).
#[derive(Debug, Default)]
pub(crate) struct Consistency {
    last_index: Mutex<Option<HeaderValue>>,
}

/// The per-client settings the hook applies; a copy of the client with
/// another namespace or wrap TTL gets its own hook sharing the pool.
#[derive(Debug, Clone, Default)]
pub(crate) struct VaultHook {
    namespace: Option<(String, HeaderValue)>,
    wrap_ttl: Option<(Duration, HeaderValue)>,
    /// `Some` when read-your-writes is on.
    consistency: Option<Arc<Consistency>>,
}

impl VaultHook {
    /// The same hook with read-your-writes on (a fresh index, shared by the
    /// copies of the client built with it) or off.
    pub(crate) fn with_read_your_writes(&self, on: bool) -> Self {
        Self { consistency: on.then(Arc::default), ..self.clone() }
    }

    /// The same hook sending `namespace` (checked like a path: no empty, `.`
    /// or `..` segment, no control character; outer `/` trimmed).
    pub(crate) fn with_namespace(&self, namespace: &str) -> Result<Self> {
        let trimmed = namespace.trim().trim_matches('/');
        client_core::path::validate_path("Vault namespace", trimmed, false)?;
        let value = HeaderValue::from_str(trimmed).map_err(|_| {
            Error::invalid("Vault namespace", trimmed, "holds characters not allowed in an HTTP header")
        })?;
        Ok(Self { namespace: Some((trimmed.to_owned(), value)), ..self.clone() })
    }

    /// The same hook response-wrapping every answer for `ttl` (at least one second).
    pub(crate) fn with_wrap_ttl(&self, ttl: Duration) -> Result<Self> {
        if ttl.as_secs() == 0 {
            return Err(Error::invalid("wrap TTL", format!("{ttl:?}"), "must be at least one second"));
        }
        let value = HeaderValue::from_str(&format!("{}s", ttl.as_secs())).expect("digits and an s are a header value");
        Ok(Self { wrap_ttl: Some((ttl, value)), ..self.clone() })
    }

    /// The same hook without response wrapping.
    pub(crate) fn without_wrap_ttl(&self) -> Self {
        Self { wrap_ttl: None, ..self.clone() }
    }

    /// The namespace sent with every request.
    pub(crate) fn namespace(&self) -> Option<&str> {
        self.namespace.as_ref().map(|(name, _)| name.as_str())
    }

    /// The wrap TTL sent with every request.
    pub(crate) fn wrap_ttl(&self) -> Option<Duration> {
        self.wrap_ttl.as_ref().map(|(ttl, _)| *ttl)
    }
}

impl Hook for VaultHook {
    fn before_send(&self, _request: &Request, headers: &mut HeaderMap) {
        headers.insert(REQUEST_HEADER, HeaderValue::from_static("true"));
        if let Some((_, value)) = &self.namespace {
            headers.insert(NAMESPACE_HEADER, value.clone());
        }
        if let Some((_, value)) = &self.wrap_ttl {
            headers.insert(WRAP_TTL_HEADER, value.clone());
        }
        if let Some(consistency) = &self.consistency {
            // A poisoned lock only means another request panicked while storing an index.
            let last = consistency.last_index.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(index) = last.as_ref() {
                headers.insert(INDEX_HEADER, index.clone());
            }
        }
    }

    fn after_receive(&self, _request: &Request, answer: &Answer<'_>) -> Verdict {
        if let (Some(consistency), Some(index)) = (&self.consistency, answer.headers.get(INDEX_HEADER)) {
            *consistency.last_index.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(index.clone());
        }
        if is_sealed(answer.status.as_u16(), answer.body.unwrap_or_default()) {
            // Waiting does not unseal a Vault: an operator does.
            return Verdict::Final;
        }
        Verdict::Policy
    }
}

/// True for a sealed Vault's answer: 503 with "Vault is sealed" in the body.
pub(crate) fn is_sealed(status: u16, body: &[u8]) -> bool {
    status == 503 && body.windows(SEALED_MESSAGE.len()).any(|w| w == SEALED_MESSAGE.as_bytes())
}
