//! `/v1/plugins?type=csi` and `/v1/plugin/csi/:id`: CSI plugins, list and get.

use client_core::path::PathBuf;
use client_core::{Request, WithMeta};
use serde_json::Value;

use crate::client::NomadClient;
use crate::error::{Result, not_found};
use crate::models::CsiPlugin;
use crate::options::QueryOptions;
use crate::validate;

/// Handler for CSI plugins; get it with [`NomadClient::csi_plugins`].
#[derive(Debug, Clone)]
pub struct CsiPlugins {
    client: NomadClient,
}

impl NomadClient {
    /// CSI plugins: list, get.
    #[must_use]
    pub fn csi_plugins(&self) -> CsiPlugins {
        CsiPlugins { client: self.clone() }
    }
}

impl CsiPlugins {
    /// `GET /v1/plugins?type=csi`.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<CsiPlugin>>> {
        let req = Request::get("/v1/plugins").query("type", "csi");
        self.client.get_meta(self.client.query_global(req, opts)?).await
    }

    /// `GET /v1/plugin/csi/:id`. The server (and the Go client) answer one
    /// object; the API docs show it inside a one-element array, which is
    /// accepted too. Any other array is an error, not a guess.
    pub async fn get(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<CsiPlugin>> {
        validate::name("CSI plugin ID", id)?;
        let path = PathBuf::new("/v1/plugin/csi").segment("CSI plugin ID", id)?.finish();
        let path_text = path.as_str().to_owned();
        let req = self.client.query_global(Request::get(path), opts)?;
        let answer: WithMeta<Value> = self.client.get_meta(req).await.map_err(not_found("CSI plugin", id, None))?;
        let decode = |reason: String| {
            crate::Error::Core(client_core::Error::Decode {
                method: "GET".into(),
                path: path_text.clone(),
                reason,
                excerpt: String::new(),
            })
        };
        let value = match answer.value {
            Value::Array(mut one) if one.len() == 1 => one.remove(0),
            Value::Array(many) => return Err(decode(format!("{} plugins instead of one", many.len()))),
            object => object,
        };
        let plugin = serde_json::from_value(value).map_err(|e| decode(format!("not a CSI plugin: {e}")))?;
        Ok(WithMeta { value: plugin, meta: answer.meta })
    }
}
