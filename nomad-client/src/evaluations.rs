//! `/v1/evaluations` and `/v1/evaluation/:id`: list, get, allocations.

use client_core::{Request, WithMeta};
use futures::Stream;

use crate::client::NomadClient;
use crate::error::{Result, not_found};

/// What [`Evaluations::delete`] deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalSelection<'a> {
    /// Exactly these evaluations (full IDs).
    Ids(&'a [&'a str]),
    /// Every evaluation matching this filter expression (`Filter`, Nomad 1.4+).
    Filter(&'a str),
}

use crate::models::{Allocation, Evaluation};
use crate::options::{QueryOptions, WriteOptions};
use crate::pages::Page;
use crate::validate;

/// Handler for evaluations; get it with [`NomadClient::evaluations`].
#[derive(Debug, Clone)]
pub struct Evaluations {
    client: NomadClient,
}

impl NomadClient {
    /// Evaluations: list, get, allocations.
    #[must_use]
    pub fn evaluations(&self) -> Evaluations {
        Evaluations { client: self.clone() }
    }
}

impl Evaluations {
    /// `GET /v1/evaluations`.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<Evaluation>>> {
        self.client.get_meta(self.list_request(opts)?).await
    }

    /// One page of `GET /v1/evaluations` (`per_page`, `next_token`, `filter`, `reverse`; Nomad 1.3+).
    pub async fn list_page(&self, opts: &QueryOptions) -> Result<Page<Evaluation>> {
        self.client.page(self.list_request(opts)?).await
    }

    /// Every item of `GET /v1/evaluations`, page after page of `per_page` (or in one
    /// page when it is unset or the server does not page), as items arrive.
    pub fn list_stream(&self, opts: &QueryOptions) -> Result<impl Stream<Item = Result<Evaluation>> + Send + 'static> {
        self.client.paged(opts, |o| self.list_request(o))
    }

    fn list_request(&self, opts: &QueryOptions) -> Result<Request> {
        validate::id_prefix_option("evaluation ID prefix", opts)?;
        self.client.query(Request::get("/v1/evaluations"), opts)
    }

    /// `GET /v1/evaluations/count` (Nomad 1.4+): how many evaluations match
    /// `opts` (`filter`, `namespace`), without listing them.
    pub async fn count(&self, opts: &QueryOptions) -> Result<WithMeta<u64>> {
        #[derive(serde::Deserialize)]
        struct Answer {
            #[serde(rename = "Count")]
            count: u64,
        }
        let req = self.client.query(Request::get("/v1/evaluations/count"), opts)?;
        let answer: WithMeta<Answer> = self.client.get_meta(req).await?;
        Ok(WithMeta { value: answer.value.count, meta: answer.meta })
    }

    /// `GET /v1/evaluation/:id`.
    pub async fn get(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<Evaluation>> {
        let req = self
            .client
            .query_one(Request::get(validate::uuid_path("/v1/evaluation", "evaluation ID", id, None)?), opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        self.client.get_meta(req).await.map_err(not_found("evaluation", id, Some(&ns)))
    }

    /// `GET /v1/evaluation/:id/allocations`.
    pub async fn allocations(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<Vec<Allocation>>> {
        let path = validate::uuid_path("/v1/evaluation", "evaluation ID", id, Some("allocations"))?;
        self.client.get_meta(self.client.query_one(Request::get(path), opts)?).await
    }

    /// `DELETE /v1/evaluations` (Nomad 1.4+): deletes evaluations, which Nomad
    /// only allows while the eval broker is paused (`PauseEvalBroker` in the
    /// scheduler configuration). An empty list, an ID that is not a full UUID,
    /// a repeated ID and a blank filter are refused before sending.
    pub async fn delete(&self, what: EvalSelection<'_>, opts: &WriteOptions) -> Result<()> {
        let body = match what {
            EvalSelection::Ids(ids) => {
                if ids.is_empty() {
                    return Err(
                        client_core::Error::invalid("evaluation IDs", "[]", "name at least one evaluation").into()
                    );
                }
                for (i, id) in ids.iter().enumerate() {
                    validate::uuid("evaluation ID", id)?;
                    if ids[..i].contains(id) {
                        return Err(client_core::Error::invalid("evaluation ID", *id, "is listed twice").into());
                    }
                }
                serde_json::json!({ "EvalIDs": ids })
            }
            EvalSelection::Filter(filter) => {
                if filter.trim().is_empty() {
                    return Err(client_core::Error::invalid(
                        "evaluation filter",
                        filter,
                        "must not be blank (list the evaluations to delete by ID instead)",
                    )
                    .into());
                }
                serde_json::json!({ "Filter": filter })
            }
        };
        let req = Request::delete("/v1/evaluations").json(&body)?;
        self.client.send_empty(self.client.write(req, opts)?).await
    }
}
