//! `/v1/acl`: the calling token.

use client_core::Request;

use crate::client::NomadClient;
use crate::error::{Error, Result};
use crate::models::AclToken;
use crate::options::QueryOptions;
use crate::validate;

/// Handler for ACL calls; get it with [`NomadClient::acl`].
#[derive(Debug, Clone)]
pub struct Acl {
    client: NomadClient,
}

impl NomadClient {
    /// ACL: the calling token.
    #[must_use]
    pub fn acl(&self) -> Acl {
        Acl { client: self.clone() }
    }
}

impl Acl {
    /// `GET /v1/acl/token/self`: the token this client sends (its secret redacted in Debug).
    ///
    /// A token that does not work is [`Error::Token`], never a not-found: no token and a
    /// token that is not a 36-character secret ID are refused before the request (Nomad
    /// 1.1.2 answers them with HTTP 500 `missing secret id` / `UUID must be 36
    /// characters`); an unknown or revoked token (404 `ACL token not found`) and a
    /// refused one (403) are mapped to it, as are those 500s.
    pub async fn token_self(&self, opts: &QueryOptions) -> Result<AclToken> {
        let token = opts.token.as_ref().or(self.client.http().config().token.as_ref());
        let token = token.map(|t| t.expose().trim()).filter(|t| !t.is_empty());
        match token {
            None => return Err(token_error("no token is set (NOMAD_TOKEN, or a token in the call's options)")),
            Some(t) if validate::uuid("token", t).is_err() => {
                return Err(token_error("it is not a Nomad secret ID (a 36-character UUID)"));
            }
            Some(_) => {}
        }
        let req = self.client.query_global(Request::get("/v1/acl/token/self"), opts)?;
        self.client.json(req).await.map_err(classify_token_error)
    }
}

fn token_error(reason: &str) -> Error {
    Error::Token { reason: reason.to_owned() }
}

/// Nomad's answers to a token that does not work, as [`Error::Token`].
fn classify_token_error(e: Error) -> Error {
    let Error::Core(client_core::Error::Api { status, message, .. }) = &e else { return e };
    match (*status, message.as_str()) {
        (404, _) => token_error("Nomad does not know it: it was revoked, deleted or never issued (HTTP 404)"),
        (403, m) => Error::Token { reason: format!("Nomad refused it (HTTP 403: {m})") },
        (500, m) if m.contains("missing secret id") || m.contains("UUID must be 36 characters") => {
            Error::Token { reason: format!("Nomad cannot look it up (HTTP 500: {m})") }
        }
        _ => e,
    }
}
