//! `/v1/namespaces` and `/v1/namespace/:name`.

use client_core::path::{ApiPath, PathBuf};
use client_core::{Request, WithMeta};
use serde_json::json;

use crate::client::NomadClient;
use crate::error::{Result, not_found};
use crate::models::Namespace;
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

/// Handler for namespaces; get it with [`NomadClient::namespaces`].
#[derive(Debug, Clone)]
pub struct Namespaces {
    client: NomadClient,
}

impl NomadClient {
    /// Namespaces: list, get, create, delete.
    #[must_use]
    pub fn namespaces(&self) -> Namespaces {
        Namespaces { client: self.clone() }
    }
}

fn namespace_path(name: &str) -> Result<ApiPath> {
    validate::single_namespace(name)?;
    Ok(PathBuf::new("/v1/namespace").segment("namespace", name)?.finish())
}

impl Namespaces {
    /// `GET /v1/namespaces`.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<Namespace>>> {
        self.client.get_meta(self.client.query_global(Request::get("/v1/namespaces"), opts)?).await
    }

    /// `GET /v1/namespace/:name` (region, token, stale and blocking from `opts`; namespaces
    /// are global, so its namespace is not sent). A missing namespace is
    /// [`crate::Error::NotFound`] naming it.
    pub async fn get(&self, name: &str, opts: &QueryOptions) -> Result<WithMeta<Namespace>> {
        let req = self.client.query_global(Request::get(namespace_path(name)?), opts)?;
        self.client.get_meta(req).await.map_err(not_found("namespace", name, None))
    }

    /// `POST /v1/namespace/:name`: creates or updates a namespace.
    pub async fn create(&self, name: &str, description: &str, opts: &WriteOptions) -> Result<()> {
        let body = json!({ "Name": name, "Description": description });
        // Creating a namespace with the same content twice is harmless.
        let req = Request::post(namespace_path(name)?).json(&body)?.idempotent(true);
        self.client.send_empty(self.client.write_global(req, opts)?).await
    }

    /// `DELETE /v1/namespace/:name` (Nomad refuses while it holds jobs).
    ///
    /// Nomad 1.1.2 answers 200 to deleting a namespace that does not exist, so a typo
    /// would look like success: the namespace is read first, and a missing one is
    /// [`crate::Error::NotFound`] naming it.
    pub async fn delete(&self, name: &str, opts: &WriteOptions) -> Result<()> {
        let query = QueryOptions { region: opts.region.clone(), token: opts.token.clone(), ..QueryOptions::default() };
        let read = self.client.query_global(Request::get(namespace_path(name)?), &query)?;
        self.client.send_empty(read).await.map_err(not_found("namespace", name, None))?;
        let req = Request::delete(namespace_path(name)?);
        self.client.send_empty(self.client.write_global(req, opts)?).await.map_err(not_found("namespace", name, None))
    }
}
