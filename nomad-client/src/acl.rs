//! `/v1/acl`: bootstrap, the calling token, policies, tokens (and one-time
//! tokens), roles (1.4+), auth methods and binding rules (1.5+), OIDC and
//! JWT logins (1.5+). ACL objects are global: no namespace is sent.

use client_core::path::{ApiPath, PathBuf};
use client_core::{Request, Secret, WithMeta};
use futures::Stream;
use serde::Deserialize;
use serde_json::json;

use crate::client::NomadClient;
use crate::error::{Error, Result, not_found};
use crate::models::{
    AclAuthMethod, AclBindingRule, AclPolicy, AclRole, AclToken, OidcAuthUrlRequest, OidcCompleteAuthRequest,
    OneTimeToken,
};
use crate::options::{QueryOptions, WriteOptions};
use crate::pages::Page;
use crate::validate;

/// Handler for ACL calls; get it with [`NomadClient::acl`].
#[derive(Debug, Clone)]
pub struct Acl {
    client: NomadClient,
}

impl NomadClient {
    /// ACL: bootstrap, the calling token, logins, and the handlers of
    /// policies, tokens, roles, auth methods and binding rules.
    #[must_use]
    pub fn acl(&self) -> Acl {
        Acl { client: self.clone() }
    }
}

/// Defines an ACL sub-handler struct and its constructor on [`Acl`].
macro_rules! acl_handler {
    ($($(#[$doc:meta])* $name:ident => $ctor:ident;)+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            client: NomadClient,
        }

        impl Acl {
            #[doc = concat!("The [`", stringify!($name), "`] handler.")]
            #[must_use]
            pub fn $ctor(&self) -> $name {
                $name { client: self.client.clone() }
            }
        }
    )+};
}

acl_handler! {
    /// ACL policies: list, get, put, delete.
    AclPolicies => policies;
    /// ACL tokens: list (paged), get, create, update, delete, one-time tokens.
    AclTokens => tokens;
    /// ACL roles (Nomad 1.4+): list, get (by ID or name), create, update, delete.
    AclRoles => roles;
    /// ACL auth methods (Nomad 1.5+): list, get, create, update, delete.
    AclAuthMethods => auth_methods;
    /// ACL binding rules (Nomad 1.5+): list, get, create, update, delete.
    AclBindingRules => binding_rules;
}

impl Acl {
    /// `POST /v1/acl/bootstrap`: creates the first management token and
    /// answers it with its secret (redacted in Debug). With `secret`, Nomad
    /// uses that secret ID (1.4+) instead of generating one; it must be a UUID.
    ///
    /// A cluster already bootstrapped answers HTTP 400 `ACL bootstrap already
    /// done (reset index: N)`, kept as the API error.
    pub async fn bootstrap(&self, secret: Option<&Secret>, opts: &WriteOptions) -> Result<AclToken> {
        let mut req = Request::post("/v1/acl/bootstrap");
        if let Some(secret) = secret {
            validate::uuid_secret("bootstrap secret", secret)?;
            req = req.json(&json!({ "BootstrapSecret": secret.expose() }))?;
        }
        self.client.json(self.client.write_global(req, opts)?).await
    }

    /// `GET /v1/acl/token/self`: the token this client sends (its secret redacted in Debug).
    ///
    /// A token that does not work is [`Error::Token`], never a not-found: no token and a
    /// token that is not a 36-character secret ID are refused before the request (Nomad
    /// 1.1.2 answers them with HTTP 500 `missing secret id` / `UUID must be 36
    /// characters`); an unknown or revoked token (404 `ACL token not found`) and a
    /// refused one (403) are mapped to it, as are those 500s.
    pub async fn token_self(&self, opts: &QueryOptions) -> Result<AclToken> {
        let token = opts.token.as_ref().or(self.client.http().config().token.as_ref());
        let token = token.map(|t| t.expose().trim()).filter(|t| !t.is_empty());
        match token {
            None => return Err(token_error("no token is set (NOMAD_TOKEN, or a token in the call's options)")),
            Some(t) if validate::uuid("token", t).is_err() => {
                return Err(token_error("it is not a Nomad secret ID (a 36-character UUID)"));
            }
            Some(_) => {}
        }
        let req = self.client.query_global(Request::get("/v1/acl/token/self"), opts)?;
        self.client.json(req).await.map_err(classify_token_error)
    }

    /// `POST /v1/acl/oidc/auth-url` (Nomad 1.5+): the provider URL to send the user to.
    pub async fn oidc_auth_url(&self, request: &OidcAuthUrlRequest, opts: &WriteOptions) -> Result<String> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(rename = "AuthURL")]
            auth_url: String,
        }
        validate::name("auth method", &request.auth_method_name)?;
        let req = Request::post("/v1/acl/oidc/auth-url").json(request)?;
        let answer: Answer = self.client.json(self.client.write_global(req, opts)?).await?;
        Ok(answer.auth_url)
    }

    /// `POST /v1/acl/oidc/complete-auth` (Nomad 1.5+): exchanges the
    /// provider's redirect (state and code) for a Nomad token.
    pub async fn oidc_complete_auth(&self, request: &OidcCompleteAuthRequest, opts: &WriteOptions) -> Result<AclToken> {
        validate::name("auth method", &request.auth_method_name)?;
        let req = Request::post("/v1/acl/oidc/complete-auth").json(request)?;
        self.client.json(self.client.write_global(req, opts)?).await
    }

    /// `POST /v1/acl/login` (Nomad 1.5.x+, JWT auth methods): exchanges a JWT for a Nomad token.
    pub async fn login(&self, auth_method: &str, login_token: &Secret, opts: &WriteOptions) -> Result<AclToken> {
        validate::name("auth method", auth_method)?;
        let body = json!({ "AuthMethodName": auth_method, "LoginToken": login_token.expose() });
        let req = Request::post("/v1/acl/login").json(&body)?;
        self.client.json(self.client.write_global(req, opts)?).await
    }
}

fn token_error(reason: &str) -> Error {
    Error::Token { reason: reason.to_owned() }
}

/// Nomad's answers to a token that does not work, as [`Error::Token`].
fn classify_token_error(e: Error) -> Error {
    let Error::Core(client_core::Error::Api { status, message, .. }) = &e else { return e };
    match (*status, message.as_str()) {
        (404, _) => token_error("Nomad does not know it: it was revoked, deleted or never issued (HTTP 404)"),
        (403, m) => Error::Token { reason: format!("Nomad refused it (HTTP 403: {m})") },
        (500, m) if m.contains("missing secret id") || m.contains("UUID must be 36 characters") => {
            Error::Token { reason: format!("Nomad cannot look it up (HTTP 500: {m})") }
        }
        _ => e,
    }
}

/// `<base>/<name>` with `name` checked as one segment.
fn named(base: &'static str, what: &str, name: &str) -> Result<ApiPath> {
    validate::name(what, name)?;
    Ok(PathBuf::new(base).segment(what, name)?.finish())
}

/// A write whose answer has no body of interest; ACL writes may be repeated.
async fn write_empty(client: &NomadClient, req: Request, opts: &WriteOptions) -> Result<()> {
    client.send_empty(client.write_global(req.idempotent(true), opts)?).await
}

/// `<base>/<id>` for the update of an object that must carry its ID.
fn update_path(base: &'static str, what: &str, id: &str) -> Result<ApiPath> {
    if id.is_empty() {
        return Err(client_core::Error::invalid(
            what,
            id,
            "is empty: an update names the object it changes (read it first)",
        )
        .into());
    }
    validate::uuid_path(base, what, id, None)
}

impl AclPolicies {
    /// `GET /v1/acl/policies` (the rows carry no rules).
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<AclPolicy>>> {
        self.client.get_meta(self.client.query_global(Request::get("/v1/acl/policies"), opts)?).await
    }

    /// `GET /v1/acl/policy/:name`. A missing policy is [`Error::NotFound`] naming it.
    pub async fn get(&self, name: &str, opts: &QueryOptions) -> Result<WithMeta<AclPolicy>> {
        let req = self.client.query_global(Request::get(named("/v1/acl/policy", "ACL policy", name)?), opts)?;
        self.client.get_meta(req).await.map_err(not_found("ACL policy", name, None))
    }

    /// `POST /v1/acl/policy/:name`: creates or replaces the policy named `policy.name`.
    pub async fn put(&self, policy: &AclPolicy, opts: &WriteOptions) -> Result<()> {
        let req = Request::post(named("/v1/acl/policy", "ACL policy", &policy.name)?).json(policy)?;
        write_empty(&self.client, req, opts).await
    }

    /// `DELETE /v1/acl/policy/:name` of exactly this name. Tokens that name
    /// the policy keep the name and lose its rules.
    pub async fn delete(&self, name: &str, opts: &WriteOptions) -> Result<()> {
        let req = Request::delete(named("/v1/acl/policy", "ACL policy", name)?);
        write_empty(&self.client, req, opts).await.map_err(not_found("ACL policy", name, None))
    }
}

impl AclTokens {
    /// `GET /v1/acl/tokens` (rows without secrets). `prefix` is an accessor ID prefix.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<AclToken>>> {
        self.client.get_meta(self.list_request(opts)?).await
    }

    /// One page of `GET /v1/acl/tokens` (`per_page`, `next_token`, `filter`, `reverse`; Nomad 1.3+).
    pub async fn list_page(&self, opts: &QueryOptions) -> Result<Page<AclToken>> {
        self.client.page(self.list_request(opts)?).await
    }

    /// Every token of `GET /v1/acl/tokens`, page after page.
    pub fn list_stream(&self, opts: &QueryOptions) -> Result<impl Stream<Item = Result<AclToken>> + Send + 'static> {
        self.client.paged(opts, |o| self.list_request(o))
    }

    fn list_request(&self, opts: &QueryOptions) -> Result<Request> {
        validate::id_prefix_option("ACL token accessor ID prefix", opts)?;
        self.client.query_global(Request::get("/v1/acl/tokens"), opts)
    }

    /// `GET /v1/acl/token/:accessor_id` (with its secret, redacted in Debug).
    pub async fn get(&self, accessor_id: &str, opts: &QueryOptions) -> Result<WithMeta<AclToken>> {
        let path = validate::uuid_path("/v1/acl/token", "ACL token accessor ID", accessor_id, None)?;
        let req = self.client.query_global(Request::get(path), opts)?;
        self.client.get_meta(req).await.map_err(not_found("ACL token", accessor_id, None))
    }

    /// `POST /v1/acl/token`: creates a token (see [`AclToken::client`]) and
    /// answers it with its secret. Not retried: a retry could create two.
    ///
    /// ```no_run
    /// # async fn demo(nomad: nomad_client::NomadClient) -> nomad_client::Result<()> {
    /// use nomad_client::{AclToken, WriteOptions};
    /// let token = nomad.acl().tokens().create(&AclToken::client("ci", &["deployer"]), &WriteOptions::new()).await?;
    /// println!("{} {:?}", token.accessor_id, token.secret_id); // the secret prints <redacted>
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, token: &AclToken, opts: &WriteOptions) -> Result<AclToken> {
        validate::empty_on_create("ACL token accessor ID", &token.accessor_id)?;
        let req = Request::post("/v1/acl/token").json(token)?;
        self.client.json(self.client.write_global(req, opts)?).await
    }

    /// `POST /v1/acl/token/:accessor_id`: updates the token `token.accessor_id`.
    pub async fn update(&self, token: &AclToken, opts: &WriteOptions) -> Result<AclToken> {
        let path = update_path("/v1/acl/token", "ACL token accessor ID", &token.accessor_id)?;
        let req = Request::post(path).json(token)?.idempotent(true);
        let id = &token.accessor_id;
        self.client.json(self.client.write_global(req, opts)?).await.map_err(not_found("ACL token", id, None))
    }

    /// `DELETE /v1/acl/token/:accessor_id`: revokes exactly this token.
    pub async fn delete(&self, accessor_id: &str, opts: &WriteOptions) -> Result<()> {
        let path = validate::uuid_path("/v1/acl/token", "ACL token accessor ID", accessor_id, None)?;
        write_empty(&self.client, Request::delete(path), opts).await.map_err(not_found("ACL token", accessor_id, None))
    }

    /// `POST /v1/acl/token/onetime`: a one-time token standing for the token
    /// this call sends (its secret redacted in Debug).
    pub async fn create_one_time(&self, opts: &WriteOptions) -> Result<OneTimeToken> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(rename = "OneTimeToken")]
            one_time_token: OneTimeToken,
        }
        let req = self.client.write_global(Request::post("/v1/acl/token/onetime"), opts)?;
        let answer: Answer = self.client.json(req).await?;
        Ok(answer.one_time_token)
    }

    /// `POST /v1/acl/token/onetime/exchange`: the token a one-time secret stands for.
    pub async fn exchange_one_time(&self, one_time_secret: &Secret, opts: &WriteOptions) -> Result<AclToken> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(rename = "Token")]
            token: AclToken,
        }
        validate::uuid_secret("one-time secret", one_time_secret)?;
        let body = json!({ "OneTimeSecretID": one_time_secret.expose() });
        let req = Request::post("/v1/acl/token/onetime/exchange").json(&body)?;
        let answer: Answer = self.client.json(self.client.write_global(req, opts)?).await?;
        Ok(answer.token)
    }
}

impl AclRoles {
    /// `GET /v1/acl/roles`.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<AclRole>>> {
        self.client.get_meta(self.client.query_global(Request::get("/v1/acl/roles"), opts)?).await
    }

    /// `GET /v1/acl/role/:id`.
    pub async fn get(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<AclRole>> {
        let req = self
            .client
            .query_global(Request::get(validate::uuid_path("/v1/acl/role", "ACL role ID", id, None)?), opts)?;
        self.client.get_meta(req).await.map_err(not_found("ACL role", id, None))
    }

    /// `GET /v1/acl/role/name/:name`.
    pub async fn get_by_name(&self, name: &str, opts: &QueryOptions) -> Result<WithMeta<AclRole>> {
        let req = self.client.query_global(Request::get(named("/v1/acl/role/name", "ACL role name", name)?), opts)?;
        self.client.get_meta(req).await.map_err(not_found("ACL role", name, None))
    }

    /// `POST /v1/acl/role`: creates a role (its `id` empty). Not retried.
    pub async fn create(&self, role: &AclRole, opts: &WriteOptions) -> Result<AclRole> {
        validate::empty_on_create("ACL role ID", &role.id)?;
        let req = Request::post("/v1/acl/role").json(role)?;
        self.client.json(self.client.write_global(req, opts)?).await
    }

    /// `POST /v1/acl/role/:id`: updates the role `role.id`.
    pub async fn update(&self, role: &AclRole, opts: &WriteOptions) -> Result<AclRole> {
        let req = Request::post(update_path("/v1/acl/role", "ACL role ID", &role.id)?).json(role)?.idempotent(true);
        self.client.json(self.client.write_global(req, opts)?).await.map_err(not_found("ACL role", &role.id, None))
    }

    /// `DELETE /v1/acl/role/:id` of exactly this role.
    pub async fn delete(&self, id: &str, opts: &WriteOptions) -> Result<()> {
        let path = validate::uuid_path("/v1/acl/role", "ACL role ID", id, None)?;
        write_empty(&self.client, Request::delete(path), opts).await.map_err(not_found("ACL role", id, None))
    }
}

impl AclAuthMethods {
    /// `GET /v1/acl/auth-methods` (rows: name, type, default, indexes).
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<AclAuthMethod>>> {
        self.client.get_meta(self.client.query_global(Request::get("/v1/acl/auth-methods"), opts)?).await
    }

    /// `GET /v1/acl/auth-method/:name` (the client secret redacted in Debug).
    pub async fn get(&self, name: &str, opts: &QueryOptions) -> Result<WithMeta<AclAuthMethod>> {
        let req = self.client.query_global(Request::get(named("/v1/acl/auth-method", "auth method", name)?), opts)?;
        self.client.get_meta(req).await.map_err(not_found("ACL auth method", name, None))
    }

    /// `POST /v1/acl/auth-method`: creates `method`.
    pub async fn create(&self, method: &AclAuthMethod, opts: &WriteOptions) -> Result<AclAuthMethod> {
        validate::name("auth method", &method.name)?;
        let req = Request::post("/v1/acl/auth-method").json(method)?;
        self.client.json(self.client.write_global(req, opts)?).await
    }

    /// `POST /v1/acl/auth-method/:name`: updates the method `method.name`.
    pub async fn update(&self, method: &AclAuthMethod, opts: &WriteOptions) -> Result<AclAuthMethod> {
        let path = named("/v1/acl/auth-method", "auth method", &method.name)?;
        let req = Request::post(path).json(method)?.idempotent(true);
        let name = &method.name;
        self.client.json(self.client.write_global(req, opts)?).await.map_err(not_found("ACL auth method", name, None))
    }

    /// `DELETE /v1/acl/auth-method/:name` of exactly this name.
    pub async fn delete(&self, name: &str, opts: &WriteOptions) -> Result<()> {
        let req = Request::delete(named("/v1/acl/auth-method", "auth method", name)?);
        write_empty(&self.client, req, opts).await.map_err(not_found("ACL auth method", name, None))
    }
}

impl AclBindingRules {
    /// `GET /v1/acl/binding-rules`.
    pub async fn list(&self, opts: &QueryOptions) -> Result<WithMeta<Vec<AclBindingRule>>> {
        self.client.get_meta(self.client.query_global(Request::get("/v1/acl/binding-rules"), opts)?).await
    }

    /// `GET /v1/acl/binding-rule/:id`.
    pub async fn get(&self, id: &str, opts: &QueryOptions) -> Result<WithMeta<AclBindingRule>> {
        let path = validate::uuid_path("/v1/acl/binding-rule", "ACL binding rule ID", id, None)?;
        let req = self.client.query_global(Request::get(path), opts)?;
        self.client.get_meta(req).await.map_err(not_found("ACL binding rule", id, None))
    }

    /// `POST /v1/acl/binding-rule`: creates a rule (its `id` empty). Not retried.
    pub async fn create(&self, rule: &AclBindingRule, opts: &WriteOptions) -> Result<AclBindingRule> {
        validate::empty_on_create("ACL binding rule ID", &rule.id)?;
        let req = Request::post("/v1/acl/binding-rule").json(rule)?;
        self.client.json(self.client.write_global(req, opts)?).await
    }

    /// `POST /v1/acl/binding-rule/:id`: updates the rule `rule.id`.
    pub async fn update(&self, rule: &AclBindingRule, opts: &WriteOptions) -> Result<AclBindingRule> {
        let path = update_path("/v1/acl/binding-rule", "ACL binding rule ID", &rule.id)?;
        let req = Request::post(path).json(rule)?.idempotent(true);
        let id = &rule.id;
        self.client.json(self.client.write_global(req, opts)?).await.map_err(not_found("ACL binding rule", id, None))
    }

    /// `DELETE /v1/acl/binding-rule/:id` of exactly this rule.
    pub async fn delete(&self, id: &str, opts: &WriteOptions) -> Result<()> {
        let path = validate::uuid_path("/v1/acl/binding-rule", "ACL binding rule ID", id, None)?;
        write_empty(&self.client, Request::delete(path), opts).await.map_err(not_found("ACL binding rule", id, None))
    }
}
