//! Network coordinates: `/v1/coordinate` — Serf's estimate of round-trip
//! times between nodes and between datacenters' servers.

use client_core::path::PathBuf;
use client_core::{Request, WithMeta};
use serde::{Deserialize, Serialize};

use crate::client::ConsulClient;
use crate::error::Result;
use crate::options::{QueryOptions, WriteOptions};
use crate::validate;

/// A Vivaldi network coordinate.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Coord {
    /// The position (8 dimensions in Consul).
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub vec: Vec<f64>,
    /// The estimate's error.
    #[serde(default)]
    pub error: f64,
    /// Adjustment term (seconds).
    #[serde(default)]
    pub adjustment: f64,
    /// Height term (seconds).
    #[serde(default)]
    pub height: f64,
}

impl Coord {
    /// The estimated round-trip time to `other`, as Serf computes it.
    #[must_use]
    pub fn rtt(&self, other: &Coord) -> std::time::Duration {
        let dist: f64 = self.vec.iter().zip(&other.vec).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
        let mut rtt = dist + self.height + other.height;
        let adjusted = rtt + self.adjustment + other.adjustment;
        if adjusted > 0.0 {
            rtt = adjusted;
        }
        std::time::Duration::from_secs_f64(rtt.max(0.0))
    }
}

/// A node's coordinate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NodeCoordinate {
    /// Node name.
    pub node: String,
    /// Network segment (Enterprise; empty otherwise).
    #[serde(default)]
    pub segment: String,
    /// The coordinate.
    pub coord: Coord,
}

/// The WAN coordinates of one datacenter's servers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DatacenterCoordinates {
    /// The datacenter.
    pub datacenter: String,
    /// Network area (Enterprise; empty otherwise).
    #[serde(rename = "AreaID", default)]
    pub area_id: String,
    /// Its servers' coordinates.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub coordinates: Vec<NodeCoordinate>,
}

/// The coordinates handler: `consul.coordinates()`.
#[derive(Debug, Clone)]
pub struct Coordinates {
    client: ConsulClient,
}

impl ConsulClient {
    /// Network coordinates.
    #[must_use]
    pub fn coordinates(&self) -> Coordinates {
        Coordinates { client: self.clone() }
    }
}

impl Coordinates {
    /// The WAN coordinates of every datacenter's servers.
    pub async fn datacenters(&self) -> Result<Vec<DatacenterCoordinates>> {
        Ok(self.client.json::<Option<Vec<_>>>(Request::get("/v1/coordinate/datacenters")).await?.unwrap_or_default())
    }

    /// The LAN coordinates of every node of the datacenter.
    pub async fn nodes(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<NodeCoordinate>>> {
        Ok(crate::client::null_list(self.client.read(Request::get("/v1/coordinate/nodes"), opts).await?))
    }

    /// The LAN coordinates of one node (one per segment); empty when it has none yet.
    pub async fn node(&self, node: &str, opts: &QueryOptions) -> Result<WithMeta<Vec<NodeCoordinate>>> {
        validate::name("node name", node)?;
        let path = PathBuf::new("/v1/coordinate/node").segment("node name", node)?.finish();
        let read = self.client.read_optional::<Option<Vec<NodeCoordinate>>>(Request::get(path), opts).await?;
        Ok(WithMeta { value: read.value.flatten().unwrap_or_default(), meta: read.meta })
    }

    /// Sets a node's coordinate (what agents do on their own; for tools that
    /// compute coordinates elsewhere).
    pub async fn update(&self, coordinate: &NodeCoordinate, opts: &WriteOptions) -> Result<()> {
        validate::name("node name", &coordinate.node)?;
        self.client.send(opts.apply(Request::put("/v1/coordinate/update").json(coordinate)?)?).await.map(drop)
    }
}
