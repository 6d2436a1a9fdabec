//! Conditional catalog deregistration in transactions (`PUT /v1/txn` with
//! `Node`, `Service` and `Check` operations, Consul 1.8 and newer).
//!
//! Each operation is a `delete-cas`: it removes the entry only while its
//! `ModifyIndex` is the one the caller read (and saved), so an entry that was
//! registered again or changed meanwhile is not removed. One failing
//! operation rolls the whole transaction back ([`crate::Error::TxnRolledBack`]
//! names it, and nothing is changed). Build the operations with the
//! [`CatalogTxnOp`] constructors and send them with
//! [`crate::Catalog::deregister_cas`].
//!
//! What `delete-cas` cannot guard: deleting a *node* removes everything still
//! on it, and registering a service or check on a node does not move the
//! node's `ModifyIndex` (observed on Consul 1.8.7). A node `delete-cas`
//! therefore protects the node's own fields only; callers must remove the
//! services and checks one by one first and delete the node only when a read
//! just before shows nothing else on it.

use serde::Serialize;

use crate::client::ConsulClient;
use crate::error::{Error, Result};
use crate::txn::send_ops;
use crate::validate;

/// One conditional catalog deletion of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogTxnOp {
    /// Delete the node (and anything still on it) if its `ModifyIndex` is `index`.
    DeleteNode {
        /// Node name.
        node: String,
        /// The node's `ModifyIndex` as read.
        index: u64,
    },
    /// Delete one service instance (and its checks) if its `ModifyIndex` is `index`.
    DeleteService {
        /// Node name.
        node: String,
        /// Service ID.
        service_id: String,
        /// Service name (Consul requires it with the ID).
        service: String,
        /// The service's `ModifyIndex` as read.
        index: u64,
    },
    /// Delete one check if its `ModifyIndex` is `index`.
    DeleteCheck {
        /// Node name.
        node: String,
        /// Check ID.
        check_id: String,
        /// The check's `ModifyIndex` as read.
        index: u64,
    },
}

impl CatalogTxnOp {
    /// Deletes `node` if its `ModifyIndex` is still `index`.
    #[must_use]
    pub fn delete_node_cas(node: &str, index: u64) -> Self {
        Self::DeleteNode { node: node.to_owned(), index }
    }

    /// Deletes service instance `service_id` (named `service`) on `node` if its `ModifyIndex` is still `index`.
    #[must_use]
    pub fn delete_service_cas(node: &str, service_id: &str, service: &str, index: u64) -> Self {
        Self::DeleteService {
            node: node.to_owned(),
            service_id: service_id.to_owned(),
            service: service.to_owned(),
            index,
        }
    }

    /// Deletes check `check_id` on `node` if its `ModifyIndex` is still `index`.
    #[must_use]
    pub fn delete_check_cas(node: &str, check_id: &str, index: u64) -> Self {
        Self::DeleteCheck { node: node.to_owned(), check_id: check_id.to_owned(), index }
    }

    /// The node the operation acts on.
    #[must_use]
    pub fn node(&self) -> &str {
        match self {
            Self::DeleteNode { node, .. } | Self::DeleteService { node, .. } | Self::DeleteCheck { node, .. } => node,
        }
    }

    fn check(&self) -> Result<()> {
        validate::name("node name", self.node())?;
        let (what, index) = match self {
            Self::DeleteNode { node, index } => (format!("node {node:?}"), *index),
            Self::DeleteService { service_id, service, index, .. } => {
                validate::name("service ID", service_id)?;
                validate::name("service name", service)?;
                (format!("service {service_id:?}"), *index)
            }
            Self::DeleteCheck { check_id, index, .. } => {
                validate::name("check ID", check_id)?;
                (format!("check {check_id:?}"), *index)
            }
        };
        if index == 0 {
            return Err(Error::invalid(
                "ModifyIndex",
                format!("0 for {what}"),
                "a delete-cas needs the index read from the catalog (0 never matches)",
            ));
        }
        Ok(())
    }
}

impl Serialize for CatalogTxnOp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let op = match self {
            Self::DeleteNode { node, index } => serde_json::json!({
                "Node": { "Verb": "delete-cas", "Node": { "Node": node, "ModifyIndex": index } }
            }),
            Self::DeleteService { node, service_id, service, index } => serde_json::json!({
                "Service": {
                    "Verb": "delete-cas",
                    "Node": node,
                    "Service": { "ID": service_id, "Service": service, "ModifyIndex": index }
                }
            }),
            Self::DeleteCheck { node, check_id, index } => serde_json::json!({
                "Check": { "Verb": "delete-cas", "Check": { "Node": node, "CheckID": check_id, "ModifyIndex": index } }
            }),
        };
        op.serialize(s)
    }
}

/// Sends `ops` as one transaction; every input is checked before anything is sent.
pub(crate) async fn run(client: &ConsulClient, ops: &[CatalogTxnOp], datacenter: Option<&str>) -> Result<()> {
    for op in ops {
        op.check()?;
    }
    send_ops(client, "catalog transaction", ops, datacenter).await.map(drop)
}
