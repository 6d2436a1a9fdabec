//! The pipeline's one extension point: a [`Hook`] sees every attempt before
//! it is sent and every answer before the retry decision. Clients use it for
//! what belongs to their server only (Vault's namespace, wrapping and
//! consistency headers, its sealed answers), so that retries, redirects,
//! timeouts and errors stay in one loop for every client.

use http::{HeaderMap, StatusCode};

use crate::request::Request;

/// What a [`Hook`] decides about one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verdict {
    /// Let the [`crate::RetryPolicy`] decide.
    #[default]
    Policy,
    /// This answer is final, whatever the policy says (a sealed Vault's 503:
    /// waiting does not unseal it).
    Final,
}

/// An answer as a [`Hook`] sees it.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The body, when it was read (every answer except a successful stream).
    pub body: Option<&'a [u8]>,
}

/// Per-client additions to the pipeline. Every method has a default that
/// does nothing, so a hook implements only what its server needs.
///
/// ```
/// use client_core::{Answer, ClientConfig, HeaderMap, Hook, HttpClient, Request, Verdict};
/// #[derive(Debug)]
/// struct Tenant(&'static str);
/// impl Hook for Tenant {
///     fn before_send(&self, _request: &Request, headers: &mut HeaderMap) {
///         headers.insert("x-tenant", self.0.parse().unwrap());
///     }
///     fn after_receive(&self, _request: &Request, answer: &Answer<'_>) -> Verdict {
///         if answer.status == 503 && answer.body.is_some_and(|b| b.starts_with(b"maintenance")) {
///             Verdict::Final
///         } else {
///             Verdict::Policy
///         }
///     }
/// }
/// let config = ClientConfig::new("http://127.0.0.1:8500", "X-Token").unwrap();
/// let http = HttpClient::new(config).unwrap().with_hook(std::sync::Arc::new(Tenant("blue")));
/// # drop(http);
/// ```
pub trait Hook: std::fmt::Debug + Send + Sync + 'static {
    /// Adds headers to each attempt of `request` (called again on a retry,
    /// so the headers may change between attempts).
    fn before_send(&self, request: &Request, headers: &mut HeaderMap) {
        let _ = (request, headers);
    }

    /// Sees each answer (a redirect's final one) before the retry decision.
    fn after_receive(&self, request: &Request, answer: &Answer<'_>) -> Verdict {
        let _ = (request, answer);
        Verdict::Policy
    }
}
