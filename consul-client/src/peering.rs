//! Cluster peering (Consul 1.13+, generally available from 1.14):
//! `/v1/peering`. One cluster generates a token for a peer name, the other
//! establishes the peering with it; both then read, list and delete their
//! side by peer name. Peering tokens are [`Secret`]s.

use std::collections::BTreeMap;

use client_core::path::ApiPath;
use client_core::{Request, Secret, WithMeta};
use serde::{Deserialize, Serialize};

use crate::client::ConsulClient;
use crate::error::{Error, Result};
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

/// What [`Peerings::generate_token`] sends.
///
/// ```
/// use consul_client::PeeringTokenRequest;
/// let mut request = PeeringTokenRequest::new("cluster-02");
/// request.server_external_addresses = vec!["203.0.113.10:8503".into()];
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct PeeringTokenRequest {
    /// The name this cluster gives the peer (a DNS hostname label).
    pub peer_name: String,
    /// The admin partition the token is generated from (Enterprise; empty: `default`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub partition: String,
    /// Addresses (`host:port`) the peer dials instead of the servers' own,
    /// e.g. a load balancer in front of them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub server_external_addresses: Vec<String>,
    /// Metadata of the peering.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
}

impl PeeringTokenRequest {
    /// A token request for the peer `peer_name`.
    #[must_use]
    pub fn new(peer_name: impl Into<String>) -> Self {
        Self { peer_name: peer_name.into(), ..Self::default() }
    }
}

/// What [`Peerings::establish`] sends. `Debug` shows no token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct PeeringEstablishRequest {
    /// The name this cluster gives the peer (a DNS hostname label).
    pub peer_name: String,
    /// The admin partition that peers (Enterprise; empty: `default`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub partition: String,
    /// The token the peer generated.
    pub peering_token: Secret,
    /// Metadata of the peering.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
}

impl PeeringEstablishRequest {
    /// Establishes the peering `peer_name` with the token the peer generated.
    #[must_use]
    pub fn new(peer_name: impl Into<String>, peering_token: Secret) -> Self {
        Self { peer_name: peer_name.into(), partition: String::new(), peering_token, meta: BTreeMap::new() }
    }
}

/// One side of a peering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Peering {
    /// Peering ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// The peer's name here.
    pub name: String,
    /// Admin partition (Enterprise).
    #[serde(default)]
    pub partition: String,
    /// `PENDING`, `ESTABLISHING`, `ACTIVE`, `FAILING`, `DELETING`,
    /// `TERMINATED` (`INITIAL` in 1.13).
    pub state: String,
    /// The peering's ID on the peer's side.
    #[serde(rename = "PeerID", default)]
    pub peer_id: String,
    /// The server name the peer's certificates carry.
    #[serde(default)]
    pub peer_server_name: String,
    /// The peer's server addresses.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub peer_server_addresses: Vec<String>,
    /// Metadata.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub meta: BTreeMap<String, String>,
    /// When it was marked for deletion (RFC 3339); `None` while live.
    #[serde(default)]
    pub deleted_at: Option<String>,
    /// Raft index of creation.
    #[serde(default)]
    pub create_index: u64,
    /// Raft index of the last change.
    #[serde(default)]
    pub modify_index: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GeneratedToken {
    peering_token: Secret,
}

/// The peering handler: `consul.peerings()` (Consul 1.13+).
#[derive(Debug, Clone)]
pub struct Peerings {
    client: ConsulClient,
}

impl ConsulClient {
    /// Cluster peering (Consul 1.13+).
    #[must_use]
    pub fn peerings(&self) -> Peerings {
        Peerings { client: self.clone() }
    }
}

fn name_path(name: &str) -> Result<ApiPath> {
    validate::label_path("/v1/peering", "peer name", name)
}

fn check_partition(partition: &str) -> Result<()> {
    if partition.is_empty() { Ok(()) } else { validate::dns_label("admin partition name", partition) }
}

impl Peerings {
    /// Generates a peering token for the peer `request.peer_name` (needs
    /// `peering:write`); hand it to the peer's operator, who passes it to
    /// [`Peerings::establish`] on their cluster. Generating again for the
    /// same name replaces the previous token.
    ///
    /// ```no_run
    /// # async fn demo(here: consul_client::ConsulClient, there: consul_client::ConsulClient) -> consul_client::Result<()> {
    /// use consul_client::{PeeringEstablishRequest, PeeringTokenRequest};
    /// let token = here.peerings().generate_token(&PeeringTokenRequest::new("cluster-02"), &Default::default()).await?;
    /// there.peerings().establish(&PeeringEstablishRequest::new("cluster-01", token), &Default::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn generate_token(&self, request: &PeeringTokenRequest, opts: &WriteOptions) -> Result<Secret> {
        validate::dns_label("peer name", &request.peer_name)?;
        check_partition(&request.partition)?;
        let http = opts.apply(Request::post("/v1/peering/token").json(request)?)?;
        Ok(self.client.json::<GeneratedToken>(http.idempotent(false)).await?.peering_token)
    }

    /// Establishes the peering `request.peer_name` with the peer's token
    /// (needs `peering:write`). A blank token is refused before sending; a
    /// server message echoing the token has it replaced by `<redacted>`.
    pub async fn establish(&self, request: &PeeringEstablishRequest, opts: &WriteOptions) -> Result<()> {
        validate::dns_label("peer name", &request.peer_name)?;
        check_partition(&request.partition)?;
        if request.peering_token.expose().trim().is_empty() {
            return Err(Error::invalid("peering token", "<redacted>", "must not be blank"));
        }
        let http = opts.apply(Request::post("/v1/peering/establish").json(request)?)?;
        let sent = self.client.send(http.idempotent(false)).await;
        sent.map(drop).map_err(|e| redact_token(e, &request.peering_token))
    }

    /// The peering `name`; `None` when there is none. One being deleted
    /// still reads, with [`Peering::deleted_at`] set. The partition is
    /// [`QueryOptions::partition`].
    pub async fn get(&self, name: &str, opts: &QueryOptions) -> Result<WithMeta<Option<Peering>>> {
        self.client.read_optional(Request::get(name_path(name)?), opts).await
    }

    /// Every peering (of [`QueryOptions::partition`]).
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<Peering>>> {
        Ok(crate::client::null_list(self.client.read(Request::get("/v1/peerings"), opts).await?))
    }

    /// Deletes the peering `name` (exactly; needs `peering:write`): Consul
    /// removes what it imported from the peer in the background. A name
    /// that is not a peering here, found by a fresh read first, is refused
    /// before the delete is sent.
    pub async fn delete(&self, name: &str, opts: &WriteOptions) -> Result<Peering> {
        let path = name_path(name)?;
        let read = QueryOptions {
            datacenter: opts.datacenter.clone(),
            partition: opts.partition.clone(),
            token: opts.token.clone(),
            ..QueryOptions::default()
        };
        let Some(peering) = self.get(name, &read).await?.value else {
            let known = self.list(&read).await?.value.into_iter().map(|p| p.name).collect::<Vec<_>>();
            return Err(Error::invalid(
                "peer name",
                name,
                format!("is not a peering of this cluster; its peerings are: [{}]", known.join(", ")),
            ));
        };
        self.client.send(opts.apply(Request::delete(path))?).await?;
        Ok(peering)
    }
}

/// A server message that echoes the request body would carry the token.
fn redact_token(e: Error, token: &Secret) -> Error {
    match e {
        Error::Core(client_core::Error::Api { status, method, path, message }) => {
            let message = client_core::secret::redact(&message, &[token]);
            Error::Core(client_core::Error::Api { status, method, path, message })
        }
        other => other,
    }
}
