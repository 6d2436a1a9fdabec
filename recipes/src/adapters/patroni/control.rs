//! [`MemberControl`] over the Patroni REST API client.

use async_trait::async_trait;
use patroni_client::{PatroniClient, RestartOptions, Switchover};
use serde_json::Value;

use crate::ports::{MemberControl, MemberRuntime};
use crate::{Error, Result};

/// [`MemberControl`] over `patroni-client`. Each member is reached with the credentials, TLS
/// and timeouts of a template client ([`PatroniClient::for_member`]); the default template
/// has Patroni's defaults and no credentials (enough when `restapi.authentication` is not set).
#[derive(Debug, Clone, Default)]
pub struct PatroniControl {
    template: Option<PatroniClient>,
}

impl PatroniControl {
    /// Members reached without credentials.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Members reached like `template` (its address is replaced by each member's).
    #[must_use]
    pub fn with_template(template: PatroniClient) -> Self {
        Self { template: Some(template) }
    }

    fn client(&self, api_url: &str) -> Result<PatroniClient> {
        let built = match &self.template {
            Some(t) => t.for_member(api_url),
            None => PatroniClient::builder().address(api_url).build(),
        };
        built.map_err(|e| Error::backend(format!("Patroni REST API {api_url}"), e))
    }
}

#[async_trait]
impl MemberControl for PatroniControl {
    async fn runtime(&self, api_url: &str) -> Result<MemberRuntime> {
        let client = self.client(api_url)?;
        let s = client
            .status()
            .await
            .map_err(|e| Error::backend_step(format!("Patroni REST API {api_url}"), "GET /patroni", e))?;
        let pending_reasons = s
            .pending_restart_reason
            .iter()
            .flatten()
            .map(|(name, change)| {
                let side = |k: &str| change.get(k).map_or_else(|| "?".to_owned(), value_text);
                format!("{name}: {} -> {}", side("old_value"), side("new_value"))
            })
            .collect();
        Ok(MemberRuntime {
            role: s.role,
            state: s.state,
            pending_restart: s.pending_restart,
            pending_reasons,
            postmaster_start_time: s.postmaster_start_time,
        })
    }

    async fn restart(&self, api_url: &str) -> Result<String> {
        let client = self.client(api_url)?;
        let outcome = client
            .restart(&RestartOptions::default())
            .await
            .map_err(|e| Error::backend_step(format!("Patroni REST API {api_url}"), "POST /restart", e))?;
        Ok(outcome.message)
    }

    async fn switchover(&self, api_url: &str, leader: &str, candidate: &str) -> Result<String> {
        let client = self.client(api_url)?;
        let outcome = client
            .switchover(&Switchover::from_leader(leader).to(candidate))
            .await
            .map_err(|e| Error::backend_step(format!("Patroni REST API {api_url}"), "POST /switchover", e))?;
        if outcome.is_scheduled() {
            return Err(Error::backend_msg(
                format!("Patroni REST API {api_url}"),
                format!("the switchover from {leader} to {candidate} was scheduled, not done: {}", outcome.message),
            ));
        }
        Ok(outcome.message)
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
