//! The database secrets engine (`database/`), for PostgreSQL
//! (`postgresql-database-plugin`): connection configs, dynamic roles and
//! their leased credentials, static roles and their rotated passwords.
//!
//! ```no_run
//! # async fn demo() -> vault_client::Result<()> {
//! use std::time::Duration;
//! use vault_client::VaultClient;
//! use vault_client::database::{DatabaseRole, PostgresConnection};
//!
//! let vault = VaultClient::from_env()?;
//! let db = vault.database("database")?;
//! let mut connection =
//!     PostgresConnection::new("postgresql://{{username}}:{{password}}@pg.service.consul:5432/postgres");
//! connection.username = Some("vault".into());
//! connection.password = Some("initial-password".into());
//! connection.allowed_roles = vec!["readonly".into()];
//! db.write_connection("patroni", &connection).await?;
//! db.rotate_root("patroni").await?; // only Vault knows the root password now
//! let role = DatabaseRole::new(
//!     "patroni",
//!     [r#"CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"#],
//! )
//! .ttl(Duration::from_secs(3600), Duration::from_secs(86400));
//! db.write_role("readonly", &role).await?;
//! let creds = db.creds("readonly").await?;
//! println!("{} for {:?} (lease {})", creds.data.username, creds.lease.duration, creds.lease.id);
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use client_core::path::check_segment;
use client_core::{Method, Secret};
use serde::{Deserialize, Serialize};

use crate::client::{VaultClient, missing_as_none};
use crate::error::{Error, Result};
use crate::kv::mount_name;
use crate::response::{Leased, seconds};

/// The plugin name of PostgreSQL connections.
pub const POSTGRES_PLUGIN: &str = "postgresql-database-plugin";

client_core::string_enum! {
    /// What kind of credential a role hands out (`credential_type`, Vault 1.10+;
    /// older servers do not send it).
    CredentialType {
        /// A generated password (the default).
        Password => "password",
        /// A generated RSA private key.
        RsaPrivateKey => "rsa_private_key",
        /// A generated client certificate.
        ClientCertificate => "client_certificate",
    }
}

/// The database secrets engine mounted at one path.
#[derive(Debug, Clone)]
pub struct Database {
    client: VaultClient,
    mount: String,
}

impl VaultClient {
    /// The database secrets engine mounted at `mount` (usually `database`).
    /// The mount is checked like a path (no empty, `.` or `..` part).
    pub fn database(&self, mount: &str) -> Result<Database> {
        Ok(Database { client: self.clone(), mount: mount_name(mount)? })
    }
}

/// A PostgreSQL connection to write with [`Database::write_connection`]
/// (`postgresql-database-plugin`). `Debug` hides the password.
#[derive(Debug, Clone, Serialize)]
pub struct PostgresConnection {
    plugin_name: &'static str,
    /// The connection string, with `{{username}}` and `{{password}}`
    /// templates that Vault fills in from `username` and `password`, e.g.
    /// `postgresql://{{username}}:{{password}}@localhost:5432/postgres`.
    pub connection_url: String,
    /// The user Vault connects as (it needs `CREATEROLE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// That user's password. After [`Database::rotate_root`] only Vault knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// The roles allowed to use this connection (`["*"]` for all); none allowed when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_roles: Vec<String>,
    /// Whether Vault checks the connection when the config is written (Vault's default: true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_connection: Option<bool>,
    /// Statements run by [`Database::rotate_root`] (Vault's default: `ALTER USER ... PASSWORD`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub root_rotation_statements: Vec<String>,
    /// Most open connections to the database (Vault's default: 4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_open_connections: Option<u32>,
    /// Most idle connections kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_idle_connections: Option<u32>,
    /// Longest a connection is reused.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "seconds::serialize_opt")]
    pub max_connection_lifetime: Option<Duration>,
    /// Template of generated usernames (Vault 1.7+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username_template: Option<String>,
    /// Password policy of generated passwords.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_policy: Option<String>,
}

impl PostgresConnection {
    /// A connection to `connection_url`, everything else at Vault's defaults.
    pub fn new(connection_url: impl Into<String>) -> Self {
        Self {
            plugin_name: POSTGRES_PLUGIN,
            connection_url: connection_url.into(),
            username: None,
            password: None,
            allowed_roles: Vec::new(),
            verify_connection: None,
            root_rotation_statements: Vec::new(),
            max_open_connections: None,
            max_idle_connections: None,
            max_connection_lifetime: None,
            username_template: None,
            password_policy: None,
        }
    }

    /// Refuses a connection URL that carries a literal password: Vault
    /// would store it in the config and show it in every read.
    fn check(&self) -> Result<()> {
        let rest = self.connection_url.split_once("://").map_or(self.connection_url.as_str(), |(_, rest)| rest);
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            if let Some((_, password)) = userinfo.split_once(':') {
                if password != "{{password}}" {
                    return Err(Error::Core(client_core::Error::invalid(
                        "database connection_url",
                        "<redacted>",
                        "holds a literal password; write {{password}} in the URL and set `password` instead \
                         (Vault shows the URL in every config read)",
                    )));
                }
            }
        }
        Ok(())
    }
}

/// A connection config as Vault answers it ([`Database::get_connection`]).
/// Vault never returns the password.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ConnectionConfig {
    /// The plugin, e.g. [`POSTGRES_PLUGIN`].
    #[serde(default)]
    pub plugin_name: String,
    /// The plugin's settings: `connection_url`, `username`,
    /// `max_open_connections`... (never the password).
    #[serde(default)]
    pub connection_details: BTreeMap<String, serde_json::Value>,
    /// Roles allowed to use the connection.
    #[serde(default)]
    pub allowed_roles: Vec<String>,
    /// Statements of a root rotation.
    #[serde(default)]
    pub root_credentials_rotate_statements: Vec<String>,
    /// Password policy of generated passwords.
    #[serde(default)]
    pub password_policy: Option<String>,
    /// The plugin version (Vault 1.12+).
    #[serde(default)]
    pub plugin_version: Option<String>,
    /// Fields not modelled here.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ConnectionConfig {
    /// `connection_details.connection_url`, when present.
    #[must_use]
    pub fn connection_url(&self) -> Option<&str> {
        self.connection_details.get("connection_url").and_then(serde_json::Value::as_str)
    }
}

/// A dynamic role to write with [`Database::write_role`]: the statements
/// that create a user for each [`Database::creds`] call.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseRole {
    /// The connection (config name) the role uses.
    pub db_name: String,
    /// Statements creating the user (`{{name}}`, `{{password}}`, `{{expiration}}` templates).
    pub creation_statements: Vec<String>,
    /// Statements run when the lease ends (Vault's default drops the user).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub revocation_statements: Vec<String>,
    /// Statements undoing a failed creation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rollback_statements: Vec<String>,
    /// Statements run when the lease is renewed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub renew_statements: Vec<String>,
    /// Lease TTL of new credentials (the mount's default when unset).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "seconds::serialize_opt")]
    pub default_ttl: Option<Duration>,
    /// Longest a lease can be renewed to.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "seconds::serialize_opt")]
    pub max_ttl: Option<Duration>,
}

impl DatabaseRole {
    /// A role on connection `db_name` creating users with `creation_statements`.
    pub fn new(db_name: impl Into<String>, creation_statements: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            db_name: db_name.into(),
            creation_statements: creation_statements.into_iter().map(Into::into).collect(),
            revocation_statements: Vec::new(),
            rollback_statements: Vec::new(),
            renew_statements: Vec::new(),
            default_ttl: None,
            max_ttl: None,
        }
    }

    /// Sets the default and the maximum TTL.
    #[must_use]
    pub fn ttl(mut self, default_ttl: Duration, max_ttl: Duration) -> Self {
        (self.default_ttl, self.max_ttl) = (Some(default_ttl), Some(max_ttl));
        self
    }
}

/// A dynamic role as Vault answers it ([`Database::get_role`]).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DatabaseRoleInfo {
    /// The connection the role uses.
    #[serde(default)]
    pub db_name: String,
    /// Statements creating the user.
    #[serde(default)]
    pub creation_statements: Vec<String>,
    /// Statements run when the lease ends.
    #[serde(default)]
    pub revocation_statements: Vec<String>,
    /// Statements undoing a failed creation.
    #[serde(default)]
    pub rollback_statements: Vec<String>,
    /// Statements run on renewal.
    #[serde(default)]
    pub renew_statements: Vec<String>,
    /// Lease TTL of new credentials (zero: the mount's default).
    #[serde(default, deserialize_with = "seconds::deserialize")]
    pub default_ttl: Duration,
    /// Longest a lease can be renewed to (zero: the mount's maximum).
    #[serde(default, deserialize_with = "seconds::deserialize")]
    pub max_ttl: Duration,
    /// The credential handed out (Vault 1.10+).
    #[serde(default)]
    pub credential_type: Option<CredentialType>,
    /// Fields not modelled here.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A static role to write with [`Database::write_static_role`]: Vault owns
/// an existing database user's password and rotates it.
#[derive(Debug, Clone, Serialize)]
pub struct StaticRole {
    /// The connection the role uses.
    pub db_name: String,
    /// The existing database user.
    pub username: String,
    /// Statements setting the new password (Vault's default: `ALTER USER ... WITH PASSWORD`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rotation_statements: Vec<String>,
    /// How often the password is rotated (at least 5 seconds).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "seconds::serialize_opt")]
    pub rotation_period: Option<Duration>,
    /// A cron schedule instead of a period (Vault 1.15+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_schedule: Option<String>,
    /// How long after the schedule's time a rotation may still start (Vault 1.15+).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "seconds::serialize_opt")]
    pub rotation_window: Option<Duration>,
}

impl StaticRole {
    /// A role for user `username` on connection `db_name`, rotated every `rotation_period`.
    pub fn new(db_name: impl Into<String>, username: impl Into<String>, rotation_period: Duration) -> Self {
        Self {
            db_name: db_name.into(),
            username: username.into(),
            rotation_statements: Vec::new(),
            rotation_period: Some(rotation_period),
            rotation_schedule: None,
            rotation_window: None,
        }
    }

    fn check(&self) -> Result<()> {
        if self.rotation_period.is_none() && self.rotation_schedule.is_none() {
            return Err(Error::Core(client_core::Error::invalid(
                "database static role",
                &self.username,
                "needs a rotation_period (or, on Vault 1.15+, a rotation_schedule)",
            )));
        }
        if self.rotation_period.is_some_and(|p| p < Duration::from_secs(5)) {
            return Err(Error::Core(client_core::Error::invalid(
                "static role rotation_period",
                format!("{:?}", self.rotation_period.unwrap_or_default()),
                "must be at least 5 seconds (Vault's minimum)",
            )));
        }
        Ok(())
    }
}

/// A static role as Vault answers it ([`Database::get_static_role`]).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct StaticRoleInfo {
    /// The connection the role uses.
    #[serde(default)]
    pub db_name: String,
    /// The database user.
    #[serde(default)]
    pub username: String,
    /// Statements setting the new password.
    #[serde(default)]
    pub rotation_statements: Vec<String>,
    /// Rotation period: Vault answers a number of seconds; the `"1h"` some
    /// API pages print is read too.
    #[serde(default, deserialize_with = "seconds::deserialize_opt")]
    pub rotation_period: Option<Duration>,
    /// Cron schedule (Vault 1.15+).
    #[serde(default)]
    pub rotation_schedule: Option<String>,
    /// Rotation window (Vault 1.15+).
    #[serde(default, deserialize_with = "seconds::deserialize_opt")]
    pub rotation_window: Option<Duration>,
    /// The credential rotated (Vault 1.10+).
    #[serde(default)]
    pub credential_type: Option<CredentialType>,
    /// Fields not modelled here.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A dynamic user from `database/creds/<role>`. The username is not a
/// secret (it shows in `pg_stat_activity` and Vault's audit log); the
/// password is, and `Debug` hides it.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseCreds {
    /// The generated user.
    pub username: String,
    /// Its password.
    pub password: Secret,
}

/// The current password of a static role (`database/static-creds/<role>`).
/// Not leased: the password is valid until the next rotation. `Debug` hides it.
#[derive(Debug, Clone, Deserialize)]
pub struct StaticCreds {
    /// The database user.
    pub username: String,
    /// Its current password.
    pub password: Secret,
    /// When Vault last rotated it (RFC 3339).
    #[serde(default)]
    pub last_vault_rotation: Option<String>,
    /// The rotation period.
    #[serde(default, deserialize_with = "seconds::deserialize_opt")]
    pub rotation_period: Option<Duration>,
    /// Time until the next rotation.
    #[serde(default, deserialize_with = "seconds::deserialize")]
    pub ttl: Duration,
}

/// Builds `postgresql://user:password@host:port/database`, every part encoded.
fn postgres_url(username: &str, password: &str, host: &str, port: u16, database: &str) -> Result<String> {
    check_segment("database name", database)?;
    let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_owned() };
    let mut url = url::Url::parse(&format!("postgresql://{host}:{port}/"))
        .map_err(|e| client_core::Error::invalid("PostgreSQL host", &host, format!("is not a host name: {e}")))?;
    let bad_user = |()| client_core::Error::invalid("PostgreSQL user", username, "cannot be put in a URL");
    url.set_username(username).map_err(bad_user)?;
    url.set_password(Some(password)).map_err(bad_user)?;
    url.path_segments_mut().map_err(bad_user)?.clear().push(database);
    Ok(url.into())
}

impl DatabaseCreds {
    /// A libpq connection URL for these credentials, e.g.
    /// `postgresql://v-token-readonly-x:<password>@pg.service.consul:5432/app`
    /// (user, password and database percent-encoded). It holds the password,
    /// so it is a [`Secret`].
    ///
    /// ```
    /// let creds: vault_client::database::DatabaseCreds =
    ///     serde_json::from_str(r#"{"username": "v-readonly-1", "password": "p@ss"}"#).unwrap();
    /// let url = creds.postgres_url("db.example", 5432, "app").unwrap();
    /// assert_eq!(url.expose(), "postgresql://v-readonly-1:p%40ss@db.example:5432/app");
    /// assert_eq!(url.to_string(), "<redacted>");
    /// assert_eq!(
    ///     creds.postgres_url_redacted("db.example", 5432, "app").unwrap(),
    ///     "postgresql://v-readonly-1:REDACTED@db.example:5432/app"
    /// );
    /// ```
    pub fn postgres_url(&self, host: &str, port: u16, database: &str) -> Result<Secret> {
        postgres_url(&self.username, self.password.expose(), host, port, database).map(Secret::new)
    }

    /// [`DatabaseCreds::postgres_url`] with the password replaced by
    /// `REDACTED`: safe to print and log.
    pub fn postgres_url_redacted(&self, host: &str, port: u16, database: &str) -> Result<String> {
        postgres_url(&self.username, "REDACTED", host, port, database)
    }
}

impl Database {
    /// `<mount>/<kind>/<name>` after checking `name` as one path segment.
    fn path(&self, kind: &str, what: &str, name: &str) -> Result<String> {
        check_segment(what, name)?;
        Ok(format!("{}/{kind}/{name}", self.mount))
    }

    async fn post<B: Serialize + ?Sized>(&self, path: &str, body: &B, secrets: &[&Secret]) -> Result<()> {
        let req = self.client.request(Method::POST, "Vault path", path)?.json(body)?;
        self.client.send(req, path, secrets).await.map(drop)
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        let req = self.client.request(Method::GET, "Vault path", path)?;
        Ok(missing_as_none(self.client.send_json(req, path, &[]).await)?.and_then(|r| r.data))
    }

    async fn delete(&self, path: &str) -> Result<()> {
        let req = self.client.request(Method::DELETE, "Vault path", path)?;
        self.client.send(req, path, &[]).await.map(drop)
    }

    /// Writes connection config `name` (`POST <mount>/config/<name>`).
    /// Refused before sending: a `connection_url` holding a literal
    /// password (use `{{password}}` and [`PostgresConnection::password`]).
    pub async fn write_connection(&self, name: &str, connection: &PostgresConnection) -> Result<()> {
        let path = self.path("config", "database connection", name)?;
        connection.check()?;
        let secrets: Vec<&Secret> = connection.password.iter().collect();
        self.post(&path, connection, &secrets).await
    }

    /// Reads connection config `name`; `None` when there is none.
    pub async fn get_connection(&self, name: &str) -> Result<Option<ConnectionConfig>> {
        self.get(&self.path("config", "database connection", name)?).await
    }

    /// The names of the connection configs (empty when there are none).
    pub async fn list_connections(&self) -> Result<Vec<String>> {
        self.client.list(&format!("{}/config", self.mount)).await
    }

    /// Deletes connection config `name` (exactly that one; roles using it
    /// stop issuing credentials).
    pub async fn delete_connection(&self, name: &str) -> Result<()> {
        self.delete(&self.path("config", "database connection", name)?).await
    }

    /// Closes and reopens connection `name` (`POST <mount>/reset/<name>`),
    /// e.g. after the database failed over.
    pub async fn reset_connection(&self, name: &str) -> Result<()> {
        self.post(&self.path("reset", "database connection", name)?, &serde_json::json!({}), &[]).await
    }

    /// Rotates the password Vault connects to `name` with
    /// (`POST <mount>/rotate-root/<name>`). Afterwards only Vault knows it:
    /// use a user dedicated to Vault.
    pub async fn rotate_root(&self, name: &str) -> Result<()> {
        let path = self.path("rotate-root", "database connection", name)?;
        // Not idempotent: a retried rotation would rotate again.
        let req = self.client.request(Method::POST, "Vault path", &path)?.json(&serde_json::json!({}))?;
        self.client.send(req.idempotent(false), &path, &[]).await.map(drop)
    }

    /// Writes dynamic role `name` (`POST <mount>/roles/<name>`).
    pub async fn write_role(&self, name: &str, role: &DatabaseRole) -> Result<()> {
        if role.creation_statements.is_empty() {
            return Err(Error::Core(client_core::Error::invalid(
                "database role",
                name,
                "needs at least one creation statement",
            )));
        }
        self.post(&self.path("roles", "database role", name)?, role, &[]).await
    }

    /// Reads dynamic role `name`; `None` when there is none.
    pub async fn get_role(&self, name: &str) -> Result<Option<DatabaseRoleInfo>> {
        self.get(&self.path("roles", "database role", name)?).await
    }

    /// The names of the dynamic roles.
    pub async fn list_roles(&self) -> Result<Vec<String>> {
        self.client.list(&format!("{}/roles", self.mount)).await
    }

    /// Deletes dynamic role `name` (credentials already issued keep their leases).
    pub async fn delete_role(&self, name: &str) -> Result<()> {
        self.delete(&self.path("roles", "database role", name)?).await
    }

    /// Writes static role `name` (`POST <mount>/static-roles/<name>`).
    /// Vault rotates the user's password at once. Refused before sending:
    /// no rotation period or schedule, or a period under 5 seconds.
    pub async fn write_static_role(&self, name: &str, role: &StaticRole) -> Result<()> {
        let path = self.path("static-roles", "database static role", name)?;
        role.check()?;
        self.post(&path, role, &[]).await
    }

    /// Reads static role `name`; `None` when there is none.
    pub async fn get_static_role(&self, name: &str) -> Result<Option<StaticRoleInfo>> {
        self.get(&self.path("static-roles", "database static role", name)?).await
    }

    /// The names of the static roles.
    pub async fn list_static_roles(&self) -> Result<Vec<String>> {
        self.client.list(&format!("{}/static-roles", self.mount)).await
    }

    /// Deletes static role `name`: Vault stops rotating the user's password
    /// (the user stays in the database).
    pub async fn delete_static_role(&self, name: &str) -> Result<()> {
        self.delete(&self.path("static-roles", "database static role", name)?).await
    }

    /// New credentials for dynamic role `role` (`GET <mount>/creds/<role>`),
    /// with their lease: renew or revoke it with [`crate::Leases`], or keep
    /// it alive with [`crate::lifetime::LifetimeWatcher`]. Never retried:
    /// each read creates a database user.
    pub async fn creds(&self, role: &str) -> Result<Leased<DatabaseCreds>> {
        self.client.secrets().creds(&self.mount, role).await
    }

    /// The current password of static role `role` (`GET <mount>/static-creds/<role>`).
    pub async fn static_creds(&self, role: &str) -> Result<StaticCreds> {
        let path = self.path("static-creds", "database static role", role)?;
        let req = self.client.request(Method::GET, "Vault path", &path)?;
        self.client.send_data(req, &path, &[]).await
    }

    /// Rotates static role `name`'s password now (`POST <mount>/rotate-role/<name>`).
    pub async fn rotate_role(&self, name: &str) -> Result<()> {
        let path = self.path("rotate-role", "database static role", name)?;
        let req = self.client.request(Method::POST, "Vault path", &path)?.json(&serde_json::json!({}))?;
        self.client.send(req.idempotent(false), &path, &[]).await.map(drop)
    }
}
