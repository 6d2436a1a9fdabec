//! `POST /reload`: a member re-reads its configuration.

use client_core::Request;

use crate::client::PatroniClient;
use crate::error::Result;
use crate::outcome::Outcome;

impl PatroniClient {
    /// `POST /reload`: re-reads the configuration (like SIGHUP).
    pub async fn reload(&self) -> Result<Outcome> {
        self.outcome(Request::post("/reload"), "reload").await
    }
}
