//! What Patroni answers to an operation (switchover, failover, restart,
//! reload, reinitialize): the status and Patroni's own text.

use client_core::Request;

use crate::client::PatroniClient;
use crate::error::Result;

/// What Patroni answered to an accepted operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// 200 done, 202 scheduled/accepted.
    pub status: u16,
    /// Patroni's text, e.g. `Successfully switched over to "dbHA2"`.
    pub message: String,
}

impl Outcome {
    /// True when Patroni scheduled the operation for later (HTTP 202).
    #[must_use]
    pub fn is_scheduled(&self) -> bool {
        self.status == 202
    }
}

impl PatroniClient {
    /// Sends an operation; its answer as an [`Outcome`], a refusal as [`crate::Error::Refused`].
    pub(crate) async fn outcome(&self, request: Request, action: &str) -> Result<Outcome> {
        let resp = self.operation(request, action).await?;
        let message = String::from_utf8_lossy(&resp.body).trim().to_owned();
        Ok(Outcome { status: resp.status.as_u16(), message })
    }
}
