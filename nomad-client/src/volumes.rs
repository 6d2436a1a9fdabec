//! Storage: CSI volumes (`/v1/volume/csi/:id`), their snapshots and the
//! provider's volumes (`/v1/volumes/snapshot`, `/v1/volumes/external`), and
//! dynamic host volumes (`/v1/volume/host`, Nomad 1.10+).
//!
//! Destructive calls read the volume first and act only on exactly that ID:
//! a volume still claimed by allocations is refused before anything is sent
//! (Nomad would refuse too, after the plugin call started for a delete).

use client_core::path::{ApiPath, PathBuf};
use client_core::{Request, WithMeta};
use futures::Stream;
use serde::Serialize;

use crate::client::NomadClient;
use crate::error::{Error, Result, not_found};
use crate::models::{
    CsiBodyPage, CsiExternalVolume, CsiSecrets, CsiSnapshot, CsiVolume, CsiVolumeListStub, HostVolume,
    HostVolumeResponse,
};
use crate::options::{QueryOptions, WriteOptions};
use crate::pages::Page;
use crate::validate;

/// The header a CSI delete carries the plugin's secrets in (`k=v,k2=v2`).
pub const CSI_SECRETS_HEADER: &str = "X-Nomad-CSI-Secrets";

/// Handler for CSI volumes and snapshots; get it with [`NomadClient::csi_volumes`].
#[derive(Debug, Clone)]
pub struct CsiVolumes {
    client: NomadClient,
}

/// Handler for dynamic host volumes (1.10+); get it with [`NomadClient::host_volumes`].
#[derive(Debug, Clone)]
pub struct HostVolumes {
    client: NomadClient,
}

impl NomadClient {
    /// CSI volumes: list, get, register, create, deregister, delete, detach, snapshots.
    #[must_use]
    pub fn csi_volumes(&self) -> CsiVolumes {
        CsiVolumes { client: self.clone() }
    }

    /// Dynamic host volumes (Nomad 1.10+): list, get, create, register, delete.
    #[must_use]
    pub fn host_volumes(&self) -> HostVolumes {
        HostVolumes { client: self.clone() }
    }
}

fn csi_path(id: &str, sub: Option<&'static str>) -> Result<ApiPath> {
    validate::name("CSI volume ID", id)?;
    let mut path = PathBuf::new("/v1/volume/csi").segment("CSI volume ID", id)?;
    if let Some(sub) = sub {
        path = path.literal(sub);
    }
    Ok(path.finish())
}

/// The `X-Nomad-CSI-Secrets` value. Nomad splits it on `,` and then on the
/// first `=`, so a key with either and a value with a `,` would arrive as
/// other secrets; they are refused, naming the key, never the value.
fn secrets_header(secrets: &CsiSecrets) -> Result<String> {
    let mut pairs = Vec::with_capacity(secrets.len());
    for (key, value) in secrets {
        if key.is_empty() || key.contains([',', '=']) || key.chars().any(char::is_control) {
            return Err(client_core::Error::invalid(
                "CSI secret key",
                key,
                "must be non-empty without ',' '=' or control characters (the header is k=v,k2=v2)",
            )
            .into());
        }
        if value.expose().contains(',') || value.expose().chars().any(char::is_control) {
            return Err(client_core::Error::invalid(
                "CSI secret value",
                format!("<redacted> of key {key:?}"),
                "must hold no ',' or control characters (the header is k=v,k2=v2)",
            )
            .into());
        }
        pairs.push(format!("{key}={}", value.expose()));
    }
    Ok(pairs.join(","))
}

fn with_secrets(req: Request, secrets: &CsiSecrets) -> Result<Request> {
    if secrets.is_empty() {
        return Ok(req);
    }
    Ok(req.header(CSI_SECRETS_HEADER, secrets_header(secrets)?))
}

/// The body of register and create: `{"Volumes": [..], "PolicyOverride": false}`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct VolumesBody<'a> {
    volumes: [&'a CsiVolume; 1],
    policy_override: bool,
}

fn need(what: &'static str, value: &str, why: &str) -> Result<()> {
    if value.is_empty() {
        return Err(client_core::Error::invalid(what, value, why).into());
    }
    Ok(())
}

/// Refuses to act when the read of `asked` answered another volume.
fn exact(kind: &str, asked: &str, answered: &str) -> Result<()> {
    if asked == answered {
        return Ok(());
    }
    Err(Error::Refused {
        action: format!("act on {kind} {asked:?}"),
        reason: format!("Nomad answered volume {answered:?} for it; only an exact ID is acted on"),
    })
}

fn refuse_claimed(action: String, claims: &[&str]) -> Result<()> {
    if claims.is_empty() {
        return Ok(());
    }
    Err(Error::Refused {
        action,
        reason: format!(
            "allocations still claim it ({}); stop them first, or detach the claims of nodes that are gone",
            claims.join(", ")
        ),
    })
}

impl CsiVolumes {
    /// `GET /v1/volumes?type=csi`.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<CsiVolumeListStub>>> {
        self.client.get_meta(self.list_request(opts)?).await
    }

    /// One page of `GET /v1/volumes?type=csi` (`per_page`, `next_token`, `filter`).
    pub async fn list_page(&self, opts: &QueryOptions) -> Result<Page<CsiVolumeListStub>> {
        self.client.page(self.list_request(opts)?).await
    }

    /// Every CSI volume, page after page.
    pub fn list_stream(
        &self,
        opts: &QueryOptions,
    ) -> Result<impl Stream<Item = Result<CsiVolumeListStub>> + Send + 'static> {
        self.client.paged(opts, |o| self.list_request(o))
    }

    fn list_request(&self, opts: &QueryOptions) -> Result<Request> {
        validate::no_reverse("/v1/volumes", opts)?;
        self.client.query(Request::get("/v1/volumes").query("type", "csi"), opts)
    }

    /// `GET /v1/volume/csi/:id`.
    pub async fn get(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<CsiVolume>> {
        let req = self.client.query_one(Request::get(csi_path(id, None)?), opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.get_meta(req).await.map_err(not_found("CSI volume", id, Some(&ns)))
    }

    /// `PUT /v1/volume/csi/:id`: registers an existing provider volume
    /// (`external_id`) under `volume.id`. ID, external ID, plugin and at least
    /// one capability are required before sending.
    pub async fn register(&self, volume: &CsiVolume, opts: &WriteOptions) -> Result<()> {
        need("CSI volume external ID", &volume.external_id, "register names an existing provider volume")?;
        self.put(volume, None, opts).await
    }

    /// `PUT /v1/volume/csi/:id/create`: has the plugin create the volume and
    /// registers it. ID, plugin and at least one capability are required.
    pub async fn create(&self, volume: &CsiVolume, opts: &WriteOptions) -> Result<()> {
        self.put(volume, Some("create"), opts).await
    }

    async fn put(&self, volume: &CsiVolume, sub: Option<&'static str>, opts: &WriteOptions) -> Result<()> {
        let path = csi_path(&volume.id, sub)?;
        need("CSI plugin ID", &volume.plugin_id, "every CSI volume names its plugin")?;
        if volume.requested_capabilities.is_empty() {
            return Err(client_core::Error::invalid(
                "requested capabilities",
                "[]",
                "name at least one access and attachment mode",
            )
            .into());
        }
        let body = VolumesBody { volumes: [volume], policy_override: false };
        let req = Request::put(path).json(&body)?;
        self.client.send_empty(self.client.write(req, opts)?).await
    }

    /// Reads volume `id` and refuses `action` when allocations claim it.
    async fn unclaimed(&self, id: &str, action: &str, opts: &WriteOptions) -> Result<CsiVolume> {
        let volume = self.get(id, &opts.into()).await?.value;
        exact("CSI volume", id, &volume.id)?;
        refuse_claimed(format!("{action} CSI volume {id:?}"), &volume.claims())?;
        Ok(volume)
    }

    /// `DELETE /v1/volume/csi/:id`: removes volume `id` from Nomad, leaving
    /// it at the provider. Without `force` a claimed volume is refused before
    /// sending; `force` has Nomad detach the claims first.
    pub async fn deregister(&self, id: &str, force: bool, opts: &WriteOptions) -> Result<()> {
        let path = csi_path(id, None)?;
        if !force {
            self.unclaimed(id, "deregister", opts).await?;
        }
        let req = Request::delete(path).query("force", force);
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.send_empty(self.client.write(req, opts)?).await.map_err(not_found("CSI volume", id, Some(&ns)))
    }

    /// `DELETE /v1/volume/csi/:id/delete`: has the plugin delete volume `id`
    /// (and deregisters it). The volume is read first: a claimed one is refused.
    /// `secrets` go in [`CSI_SECRETS_HEADER`].
    pub async fn delete(&self, id: &str, secrets: &CsiSecrets, opts: &WriteOptions) -> Result<()> {
        let path = csi_path(id, Some("delete"))?;
        let req = with_secrets(Request::delete(path), secrets)?;
        self.unclaimed(id, "delete", opts).await?;
        self.client.send_empty(self.client.write(req, opts)?).await
    }

    /// `DELETE /v1/volume/csi/:id/detach?node=`: releases the claims node
    /// `node_id` (a full UUID) holds on volume `id`, e.g. of a node that is gone.
    pub async fn detach(&self, id: &str, node_id: &str, opts: &WriteOptions) -> Result<()> {
        let path = csi_path(id, Some("detach"))?;
        validate::uuid("node ID", node_id)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        let req = Request::delete(path).query("node", node_id);
        self.client.send_empty(self.client.write(req, opts)?).await.map_err(not_found("CSI volume", id, Some(&ns)))
    }

    /// `GET /v1/volumes/external?plugin_id=`: one page of the volumes the
    /// provider has (paging is in the body: [`CsiBodyPage::next_token`]).
    pub async fn external(&self, plugin_id: &str, opts: &QueryOptions) -> Result<CsiBodyPage<CsiExternalVolume>> {
        validate::name("CSI plugin ID", plugin_id)?;
        let req = Request::get("/v1/volumes/external").query("plugin_id", plugin_id);
        self.client.json(self.client.query_global(req, opts)?).await
    }

    /// `GET /v1/volumes/snapshot?plugin_id=`: one page of a plugin's snapshots
    /// (paging in the body); `secrets` go in [`CSI_SECRETS_HEADER`].
    pub async fn snapshots(
        &self,
        plugin_id: &str,
        secrets: &CsiSecrets,
        opts: &QueryOptions,
    ) -> Result<CsiBodyPage<CsiSnapshot>> {
        validate::name("CSI plugin ID", plugin_id)?;
        let req = with_secrets(Request::get("/v1/volumes/snapshot").query("plugin_id", plugin_id), secrets)?;
        self.client.json(self.client.query_global(req, opts)?).await
    }

    /// `POST /v1/volumes/snapshot`: snapshots of the given volumes (each names
    /// its source volume and plugin); answers them with their provider IDs.
    pub async fn create_snapshots(&self, snapshots: &[CsiSnapshot], opts: &WriteOptions) -> Result<Vec<CsiSnapshot>> {
        #[derive(Serialize, serde::Deserialize, Default)]
        #[serde(rename_all = "PascalCase", default)]
        struct Body {
            snapshots: Vec<CsiSnapshot>,
        }
        if snapshots.is_empty() {
            return Err(client_core::Error::invalid("snapshots", "[]", "name at least one snapshot to take").into());
        }
        for snap in snapshots {
            validate::name("snapshot source volume ID", &snap.source_volume_id)?;
            validate::name("CSI plugin ID", &snap.plugin_id)?;
        }
        let req = Request::post("/v1/volumes/snapshot").json(&Body { snapshots: snapshots.to_vec() })?;
        let answer: Body = self.client.json(self.client.write(req, opts)?).await?;
        Ok(answer.snapshots)
    }

    /// `DELETE /v1/volumes/snapshot?plugin_id=&snapshot_id=`: deletes exactly
    /// snapshot `snapshot_id` of the plugin.
    pub async fn delete_snapshot(
        &self,
        plugin_id: &str,
        snapshot_id: &str,
        secrets: &CsiSecrets,
        opts: &WriteOptions,
    ) -> Result<()> {
        validate::name("CSI plugin ID", plugin_id)?;
        validate::name("CSI snapshot ID", snapshot_id)?;
        let req =
            Request::delete("/v1/volumes/snapshot").query("plugin_id", plugin_id).query("snapshot_id", snapshot_id);
        let req = with_secrets(req, secrets)?;
        self.client.send_empty(self.client.write_global(req, opts)?).await
    }
}

/// The body of host volume create and register.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct HostVolumeBody<'a> {
    volume: &'a HostVolume,
    policy_override: bool,
}

impl HostVolumes {
    /// `GET /v1/volumes?type=host`.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<HostVolume>>> {
        self.client.get_meta(self.list_request(opts)?).await
    }

    /// Every host volume, page after page.
    pub fn list_stream(&self, opts: &QueryOptions) -> Result<impl Stream<Item = Result<HostVolume>> + Send + 'static> {
        self.client.paged(opts, |o| self.list_request(o))
    }

    fn list_request(&self, opts: &QueryOptions) -> Result<Request> {
        validate::no_reverse("/v1/volumes", opts)?;
        self.client.query(Request::get("/v1/volumes").query("type", "host"), opts)
    }

    /// `GET /v1/volume/host/:id` (a full UUID).
    pub async fn get(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<HostVolume>> {
        let path = validate::uuid_path("/v1/volume/host", "host volume ID", id, None)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        let req = self.client.query_one(Request::get(path), opts)?;
        self.client.get_meta(req).await.map_err(not_found("host volume", id, Some(&ns)))
    }

    /// `PUT /v1/volume/host/create`: has the volume's plugin create it. The ID
    /// must be empty (Nomad assigns it) unless the volume is being updated.
    pub async fn create(&self, volume: &HostVolume, opts: &WriteOptions) -> Result<HostVolumeResponse> {
        need("host volume plugin ID", &volume.plugin_id, "create runs the volume's plugin; register one without")?;
        self.put("create", volume, opts).await
    }

    /// `PUT /v1/volume/host/register`: records a volume that already exists
    /// on node `volume.node_id` (a full UUID).
    pub async fn register(&self, volume: &HostVolume, opts: &WriteOptions) -> Result<HostVolumeResponse> {
        validate::uuid("host volume node ID", &volume.node_id)?;
        self.put("register", volume, opts).await
    }

    async fn put(&self, op: &'static str, volume: &HostVolume, opts: &WriteOptions) -> Result<HostVolumeResponse> {
        validate::name("host volume name", &volume.name)?;
        if !volume.id.is_empty() {
            validate::uuid("host volume ID", &volume.id)?;
        }
        let path = PathBuf::new("/v1/volume/host").literal(op).finish();
        let req = Request::put(path).json(&HostVolumeBody { volume, policy_override: false })?;
        self.client.json(self.client.write(req, opts)?).await
    }

    /// `DELETE /v1/volume/host/:id/delete`: deletes exactly volume `id` (a
    /// full UUID). It is read first: a volume allocations still use is refused.
    pub async fn delete(&self, id: &str, opts: &WriteOptions) -> Result<()> {
        let path = validate::uuid_path("/v1/volume/host", "host volume ID", id, Some("delete"))?;
        let volume = self.get(id, &opts.into()).await?.value;
        exact("host volume", id, &volume.id)?;
        let claims: Vec<&str> = match volume.extra.get("Allocations") {
            Some(serde_json::Value::Array(allocs)) => allocs.iter().filter_map(|a| a["ID"].as_str()).collect(),
            _ => Vec::new(),
        };
        refuse_claimed(format!("delete host volume {id} ({:?})", volume.name), &claims)?;
        self.client.send_empty(self.client.write(Request::delete(path), opts)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use client_core::Secret;

    #[test]
    fn secrets_header_is_k_v_pairs_and_refuses_what_would_split_differently() {
        let mut s = CsiSecrets::new();
        s.insert("password".into(), Secret::new("xyzzy"));
        s.insert("user".into(), Secret::new("a=b"));
        assert_eq!(secrets_header(&s).unwrap(), "password=xyzzy,user=a=b");
        let mut bad = CsiSecrets::new();
        bad.insert("k".into(), Secret::new("x,other=y"));
        let err = secrets_header(&bad).unwrap_err().to_string();
        assert!(err.contains("CSI secret value") && err.contains("of key") && !err.contains("other=y"), "{err}");
        let mut bad = CsiSecrets::new();
        bad.insert("a=b".into(), Secret::new("v"));
        assert!(secrets_header(&bad).unwrap_err().to_string().contains("CSI secret key"));
    }
}
