//! `/v1/vars` and `/v1/var/:path` (Nomad 1.4+): list, get, put and delete
//! with check-and-set, and locks (1.7+).

use client_core::path::{ApiPath, PathBuf};
use client_core::{Request, WithMeta};
use futures::Stream;

use crate::client::NomadClient;
use crate::error::{Error, Result, not_found};
use crate::models::variable::LOCK_BOUNDS;
use crate::models::{Variable, VariableLock};
use crate::options::{QueryOptions, WriteOptions};
use crate::pages::Page;
use crate::validate;

/// Handler for variables; get it with [`NomadClient::variables`].
#[derive(Debug, Clone)]
pub struct Variables {
    client: NomadClient,
}

impl NomadClient {
    /// Variables (Nomad 1.4+): list, get, put, delete, locks.
    #[must_use]
    pub fn variables(&self) -> Variables {
        Variables { client: self.clone() }
    }
}

/// `/v1/var/<path>` after checking `path` against Nomad's rule
/// (`^[a-zA-Z0-9-_~/]{1,128}$`, and no empty part).
fn var_path(path: &str) -> Result<ApiPath> {
    let fits = !path.is_empty()
        && path.len() <= 128
        && path.chars().all(|c| c.is_ascii_alphanumeric() || "-_~/".contains(c))
        && path.split('/').all(|part| !part.is_empty());
    if !fits {
        return Err(client_core::Error::invalid(
            "variable path",
            path,
            "must be 1 to 128 characters of letters, digits, '-', '_', '~' and '/', without empty parts \
             (Nomad's rule for variable paths)",
        )
        .into());
    }
    Ok(PathBuf::new("/v1/var").key("variable path", path)?.finish())
}

/// The lock operations, sent as a bare query flag.
#[derive(Clone, Copy)]
enum LockOp {
    Acquire,
    Renew,
    Release,
}

impl LockOp {
    fn flag(self) -> &'static str {
        match self {
            Self::Acquire => "lock-acquire",
            Self::Renew => "lock-renew",
            Self::Release => "lock-release",
        }
    }
}

impl Variables {
    /// `GET /v1/vars`: the variables' metadata (no items). `prefix` is a path prefix.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<Variable>>> {
        self.client.get_meta(self.list_request(opts)?).await
    }

    /// One page of `GET /v1/vars` (`per_page`, `next_token`, `filter`).
    pub async fn list_page(&self, opts: &QueryOptions) -> Result<Page<Variable>> {
        self.client.page(self.list_request(opts)?).await
    }

    /// Every variable's metadata of `GET /v1/vars`, page after page.
    pub fn list_stream(&self, opts: &QueryOptions) -> Result<impl Stream<Item = Result<Variable>> + Send + 'static> {
        self.client.paged(opts, |o| self.list_request(o))
    }

    fn list_request(&self, opts: &QueryOptions) -> Result<Request> {
        validate::no_reverse("/v1/vars", opts)?;
        self.client.query(Request::get("/v1/vars"), opts)
    }

    /// `GET /v1/var/:path`: the variable with its items (redacted in Debug).
    /// A missing one is [`Error::NotFound`] naming path and namespace; an
    /// answer for another path or namespace is [`Error::Refused`].
    ///
    /// ```no_run
    /// # async fn demo(nomad: nomad_client::NomadClient) -> nomad_client::Result<()> {
    /// use nomad_client::QueryOptions;
    /// let var = nomad.variables().get("nomad/jobs/web", &QueryOptions::new()).await?.value;
    /// let password = var.item_value("password");
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, path: &str, opts: &QueryOptions) -> Result<WithMeta<Variable>> {
        let req = self.client.query_one(Request::get(var_path(path)?), opts)?;
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        let got: WithMeta<Variable> =
            self.client.get_meta(req).await.map_err(not_found("variable", path, Some(&ns)))?;
        // A proxy, a rewrite or a server of another version answering for another variable
        // must not hand its items to a caller who will write them back under `path`.
        let other_ns = !got.value.namespace.is_empty() && got.value.namespace != ns;
        if got.value.path != path || other_ns {
            return Err(Error::Refused {
                action: format!("return variable {path:?} of namespace {ns:?}"),
                reason: format!(
                    "Nomad answered variable {:?} of namespace {:?} for it; only the variable asked for is returned",
                    got.value.path, got.value.namespace
                ),
            });
        }
        Ok(got)
    }

    /// `PUT /v1/var/:path`: writes `variable` (its items replace the old
    /// ones). With `cas`, only if the variable is still at that modify index
    /// (`Some(0)`: only if it does not exist); a lost race is
    /// [`Error::CasConflict`] carrying the variable Nomad holds. Answers the
    /// variable written.
    ///
    /// ```no_run
    /// # async fn demo(nomad: nomad_client::NomadClient) -> nomad_client::Result<()> {
    /// use nomad_client::{QueryOptions, Variable, WriteOptions};
    /// let vars = nomad.variables();
    /// let current = vars.get("nomad/jobs/web", &QueryOptions::new()).await?.value;
    /// let next = current.clone().item("password", "n3w");
    /// vars.put(&next, Some(current.modify_index), &WriteOptions::new()).await?; // a concurrent write loses nothing
    /// # Ok(()) }
    /// ```
    pub async fn put(&self, variable: &Variable, cas: Option<u64>, opts: &WriteOptions) -> Result<Variable> {
        let ns = self.check_namespace(variable, opts)?;
        let mut req = Request::put(var_path(&variable.path)?).json(variable)?;
        if let Some(cas) = cas {
            req = req.query("cas", cas);
        }
        self.checked(req, opts, &variable.path, &ns, cas).await
    }

    /// `DELETE /v1/var/:path` of exactly this path; with `cas`, only if the
    /// variable is still at that modify index ([`Error::CasConflict`] if not).
    /// Nomad answers a missing path like a deleted one.
    pub async fn delete(&self, path: &str, cas: Option<u64>, opts: &WriteOptions) -> Result<()> {
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        let mut req = Request::delete(var_path(path)?);
        if let Some(cas) = cas {
            req = req.query("cas", cas);
        }
        let req = self.client.write(req.accept_status(&[409]), opts)?;
        let resp = self.client.http().send(req).await?;
        if resp.status.as_u16() == 409 {
            return Err(conflict(&resp, path, &ns, cas.unwrap_or(0)));
        }
        Ok(())
    }

    /// `PUT /v1/var/:path?lock-acquire` (Nomad 1.7+): takes the lock of
    /// `variable` (created with its items when it does not exist) with the
    /// TTL and delay of `lock`, each between 10 s and 24 h. The answer's
    /// `lock.id` is what renews and releases it; a held lock is
    /// [`Error::LockConflict`].
    pub async fn acquire_lock(
        &self,
        variable: &Variable,
        lock: &VariableLock,
        opts: &WriteOptions,
    ) -> Result<Variable> {
        for (what, value) in [("lock TTL", &lock.ttl), ("lock delay", &lock.lock_delay)] {
            check_lock_duration(what, value)?;
        }
        let body = Variable { lock: Some(VariableLock { id: String::new(), ..lock.clone() }), ..variable.clone() };
        self.lock_op(LockOp::Acquire, &body, opts).await
    }

    /// `PUT /v1/var/:path?lock-renew` (Nomad 1.7+): renews the lock `lock_id`
    /// (the answer has the lock and no items).
    pub async fn renew_lock(&self, path: &str, lock_id: &str, opts: &WriteOptions) -> Result<Variable> {
        self.lock_op(LockOp::Renew, &self.lock_body(path, lock_id, opts)?, opts).await
    }

    /// `PUT /v1/var/:path?lock-release` (Nomad 1.7+): releases the lock `lock_id`.
    pub async fn release_lock(&self, path: &str, lock_id: &str, opts: &WriteOptions) -> Result<Variable> {
        self.lock_op(LockOp::Release, &self.lock_body(path, lock_id, opts)?, opts).await
    }

    async fn lock_op(&self, op: LockOp, body: &Variable, opts: &WriteOptions) -> Result<Variable> {
        let ns = self.check_namespace(body, opts)?;
        let req = Request::put(var_path(&body.path)?).flag(op.flag(), true).json(body)?;
        // Acquiring twice is not the same as once: only renew and release are repeated.
        let req = req.idempotent(!matches!(op, LockOp::Acquire)).accept_status(&[409]);
        let resp = self.client.http().send(self.client.write(req, opts)?).await?;
        if resp.status.as_u16() == 409 {
            return Err(Error::LockConflict { path: body.path.clone(), namespace: ns });
        }
        Ok(resp.json()?)
    }

    async fn checked(
        &self,
        req: Request,
        opts: &WriteOptions,
        path: &str,
        ns: &str,
        cas: Option<u64>,
    ) -> Result<Variable> {
        let req = req.accept_status(if cas.is_some() { &[409] } else { &[] });
        let resp = self.client.http().send(self.client.write(req, opts)?).await?;
        match cas {
            Some(cas) if resp.status.as_u16() == 409 => Err(conflict(&resp, path, ns, cas)),
            _ => Ok(resp.json()?),
        }
    }

    /// The body of a renewal or release: path, namespace and lock ID.
    fn lock_body(&self, path: &str, lock_id: &str, opts: &WriteOptions) -> Result<Variable> {
        validate::uuid("lock ID", lock_id)?;
        let lock = VariableLock { id: lock_id.to_owned(), ..VariableLock::default() };
        let namespace = self.client.effective_namespace(opts.namespace.as_deref());
        Ok(Variable { namespace, lock: Some(lock), ..Variable::new(path) })
    }

    /// The namespace a write acts on; a variable naming another one is refused
    /// (Nomad would write where the query says, not where the body says).
    fn check_namespace(&self, variable: &Variable, opts: &WriteOptions) -> Result<String> {
        let ns = self.client.effective_namespace(opts.namespace.as_deref());
        if !variable.namespace.is_empty() && variable.namespace != ns {
            return Err(client_core::Error::invalid(
                "variable namespace",
                &variable.namespace,
                format!(
                    "differs from the namespace of the call ({ns:?}); set WriteOptions::namespace to it or clear it"
                ),
            )
            .into());
        }
        Ok(ns)
    }
}

/// A lock TTL or delay: whole seconds (`15s`) between Nomad's bounds.
fn check_lock_duration(what: &str, value: &str) -> Result<()> {
    let secs = value.strip_suffix('s').and_then(|n| n.parse::<u64>().ok());
    let (low, high) = LOCK_BOUNDS;
    match secs {
        Some(s) if (low.as_secs()..=high.as_secs()).contains(&s) => Ok(()),
        _ => Err(client_core::Error::invalid(
            what,
            value,
            "must be whole seconds between 10s and 86400s (24 h), e.g. VariableLock::new(Duration::from_secs(15), ..)",
        )
        .into()),
    }
}

/// A 409 answer of a checked write: the variable Nomad holds now.
fn conflict(resp: &client_core::Response, path: &str, ns: &str, check_index: u64) -> Error {
    match resp.json::<Variable>() {
        Ok(current) => Error::CasConflict {
            path: path.to_owned(),
            namespace: ns.to_owned(),
            check_index,
            current: Box::new(current),
        },
        Err(e) => e.into(),
    }
}
