//! `sys/wrapping/*`: response wrapping — unwrap, look up, wrap and rewrap.
//! Every wrapping token is a [`Secret`]: an empty one is refused before
//! sending, and Vault's error messages are scrubbed of it.

use std::time::Duration;

use client_core::{Method, Secret};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::VaultClient;
use crate::error::{Error, Result};
use crate::response::{VaultResponse, WrapInfo};
use crate::sys::Sys;

impl Sys {
    /// Response wrapping operations (their own answers are never wrapped).
    #[must_use]
    pub fn wrapping(&self) -> Wrapping {
        Wrapping { client: self.client.without_wrapping() }
    }
}

/// `sys/wrapping/*`.
#[derive(Debug, Clone)]
pub struct Wrapping {
    client: VaultClient,
}

impl Wrapping {
    /// Unwraps a wrapping token (single use), returning the wrapped answer.
    /// The wrapping token is sent as the request's token.
    pub async fn unwrap<T: DeserializeOwned>(&self, wrapping_token: &Secret) -> Result<VaultResponse<T>> {
        check_token(wrapping_token)?;
        let path = "sys/wrapping/unwrap";
        let req = self.client.request(Method::POST, "Vault path", path)?.token(wrapping_token.clone());
        self.client.send_json(req, path, &[wrapping_token]).await?.ok_or_else(|| Error::UnexpectedResponse {
            method: "POST".into(),
            path: path.into(),
            reason: "the unwrapped answer is empty".into(),
        })
    }

    /// Looks a wrapping token up without consuming it.
    pub async fn lookup(&self, wrapping_token: &Secret) -> Result<WrapLookup> {
        check_token(wrapping_token)?;
        let path = "sys/wrapping/lookup";
        let req = self.client.request(Method::POST, "Vault path", path)?.json(&TokenBody { token: wrapping_token })?;
        self.client.send_data(req, path, &[wrapping_token]).await
    }

    /// Wraps arbitrary data for `ttl`, returning the wrapping token.
    pub async fn wrap<T: Serialize + ?Sized>(&self, data: &T, ttl: Duration) -> Result<WrapInfo> {
        let path = "sys/wrapping/wrap";
        let client = self.client.with_wrap_ttl(ttl)?;
        let req = client.request(Method::POST, "Vault path", path)?.json(data)?;
        wrap_info_of(client.send_envelope::<serde_json::Value>(req, path, &[]).await?, path)
    }

    /// `POST sys/wrapping/rewrap`: moves the wrapped answer behind a new
    /// wrapping token with the same TTL and returns it; the old token stops
    /// working. Used to refresh a long-lived wrapping token without
    /// unwrapping it.
    pub async fn rewrap(&self, wrapping_token: &Secret) -> Result<WrapInfo> {
        check_token(wrapping_token)?;
        let path = "sys/wrapping/rewrap";
        let req = self.client.request(Method::POST, "Vault path", path)?.json(&TokenBody { token: wrapping_token })?;
        // Single use: a retry after a lost answer would find the old token gone.
        let req = req.idempotent(false);
        wrap_info_of(self.client.send_envelope::<serde_json::Value>(req, path, &[wrapping_token]).await?, path)
    }
}

fn check_token(token: &Secret) -> Result<()> {
    if token.expose().trim().is_empty() {
        return Err(Error::invalid("wrapping token", "(empty)", "is empty; pass the token from a wrap_info"));
    }
    Ok(())
}

fn wrap_info_of(answer: Option<VaultResponse<serde_json::Value>>, path: &str) -> Result<WrapInfo> {
    answer.and_then(|r| r.wrap_info).ok_or_else(|| Error::UnexpectedResponse {
        method: "POST".into(),
        path: path.into(),
        reason: "the answer has no wrap_info".into(),
    })
}

/// `sys/wrapping/lookup`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct WrapLookup {
    /// The path whose answer was wrapped.
    pub creation_path: String,
    /// When the wrapping token was created.
    pub creation_time: String,
    /// Its TTL in seconds.
    pub creation_ttl: u64,
}

#[derive(Serialize)]
struct TokenBody<'a> {
    token: &'a Secret,
}
