//! `/v1/services` and `/v1/service/:name` (Nomad 1.3+): Nomad-native service
//! registrations (`provider = "nomad"`): list, get, delete.

use client_core::path::PathBuf;
use client_core::{Request, WithMeta};

use crate::client::NomadClient;
use crate::error::{Error, Result};
use crate::models::{ServiceNamespace, ServiceRegistration};
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

/// Handler for native services; get it with [`NomadClient::services`].
#[derive(Debug, Clone)]
pub struct Services {
    client: NomadClient,
}

impl NomadClient {
    /// Nomad-native services (1.3+): list, get, delete a registration.
    #[must_use]
    pub fn services(&self) -> Services {
        Services { client: self.clone() }
    }
}

fn service_path(name: &str, id: Option<&str>) -> Result<client_core::path::ApiPath> {
    validate::name("service name", name)?;
    let mut path = PathBuf::new("/v1/service").segment("service name", name)?;
    if let Some(id) = id {
        validate::name("service registration ID", id)?;
        path = path.segment("service registration ID", id)?;
    }
    Ok(path.finish())
}

impl Services {
    /// `GET /v1/services`: service names and tags, grouped by namespace
    /// (`QueryOptions::all_namespaces` for every namespace).
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<ServiceNamespace>>> {
        self.client.get_meta(self.client.query(Request::get("/v1/services"), opts)?).await
    }

    /// `GET /v1/service/:name`: the registrations of one service (`filter`,
    /// `per_page` apply). An unknown service is an empty list, as Nomad answers it.
    pub async fn get(&self, name: &str, opts: &QueryOptions) -> Result<WithMeta<Vec<ServiceRegistration>>> {
        self.client.get_meta(self.client.query_one(Request::get(service_path(name, None)?), opts)?).await
    }

    /// `DELETE /v1/service/:name/:id`: deletes exactly one registration.
    /// The service is read first: an ID that is not one of its registrations
    /// is refused before sending (Nomad would answer a typo like a delete).
    /// A registration of a running allocation comes back at its next sync:
    /// delete those a gone client left behind.
    pub async fn delete(&self, name: &str, id: &str, opts: &WriteOptions) -> Result<()> {
        let path = service_path(name, Some(id))?;
        let registrations = self.get(name, &opts.into()).await?.value;
        if !registrations.iter().any(|r| r.id == id) {
            let ns = self.client.effective_namespace(opts.namespace.as_deref());
            return Err(Error::Refused {
                action: format!("delete registration {id:?} of service {name:?} in namespace {ns:?}"),
                reason: format!("the service has no such registration (it has {})", registrations.len()),
            });
        }
        self.client.send_empty(self.client.write(Request::delete(path), opts)?).await
    }
}
