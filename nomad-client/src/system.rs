//! `/v1/system`: garbage collection and summary reconciliation.

use client_core::Request;

use crate::client::NomadClient;
use crate::error::Result;
use crate::options::WriteOptions;

/// Handler for system maintenance; get it with [`NomadClient::system`].
#[derive(Debug, Clone)]
pub struct System {
    client: NomadClient,
}

impl NomadClient {
    /// System maintenance: garbage collection.
    #[must_use]
    pub fn system(&self) -> System {
        System { client: self.clone() }
    }
}

impl System {
    /// `PUT /v1/system/gc`: runs the garbage collector now.
    pub async fn gc(&self, opts: &WriteOptions) -> Result<()> {
        self.client.send_empty(self.client.write_global(Request::put("/v1/system/gc"), opts)?).await
    }

    /// `PUT /v1/system/reconcile/summaries`: rebuilds job summaries.
    pub async fn reconcile_summaries(&self, opts: &WriteOptions) -> Result<()> {
        self.client.send_empty(self.client.write_global(Request::put("/v1/system/reconcile/summaries"), opts)?).await
    }
}
