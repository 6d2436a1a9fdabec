//! One PostgreSQL server as the in-place database restore needs it: read a database's
//! definition and the role it works as, limit, block and cut its connections, drop and create it,
//! dump and restore it, open it again with its connection limit.

use std::path::Path;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::Result;

/// Where a PostgreSQL server listens (the leader's, from its DCS `conn_url`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PgAddress {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl std::fmt::Display for PgAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// A database's definition as `pg_database`, `pg_db_role_setting` and `pg_shdescription`
/// hold it, read before the database is dropped so that it is created again the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseInfo {
    /// The database's name.
    pub name: String,
    /// Its owner role.
    pub owner: String,
    /// Its encoding, e.g. `UTF8`.
    pub encoding: String,
    /// `LC_COLLATE`.
    pub collate: String,
    /// `LC_CTYPE`.
    pub ctype: String,
    /// Its privileges (`datacl` as text, e.g. `{=Tc/app,app=CTc/app,reader=c/app}`); `None`
    /// for the defaults.
    pub acl: Option<String>,
    /// Its size in bytes (`pg_database_size`).
    pub size_bytes: u64,
    /// New connections are allowed (`datallowconn`).
    pub allow_connections: bool,
    /// Its tablespace (`dattablespace`), e.g. `pg_default`.
    #[serde(default)]
    pub tablespace: String,
    /// Its connection limit (`datconnlimit`; -1 for none).
    #[serde(default)]
    pub connection_limit: i32,
    /// Its comment (`COMMENT ON DATABASE`), if any.
    #[serde(default)]
    pub comment: Option<String>,
    /// Its settings (`ALTER DATABASE ... SET`) as `pg_db_role_setting` stores them, e.g.
    /// `work_mem=8MB`.
    #[serde(default)]
    pub settings: Vec<String>,
    /// The settings of roles in it (`ALTER ROLE ... IN DATABASE ... SET`), one entry per role.
    #[serde(default)]
    pub role_settings: Vec<RoleSettings>,
}

/// One role's settings in one database (`ALTER ROLE <role> IN DATABASE <db> SET ...`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSettings {
    /// The role.
    pub role: String,
    /// Its settings there as `pg_db_role_setting` stores them, e.g. `statement_timeout=5s`.
    pub settings: Vec<String>,
}

/// The role a [`DatabaseServer`]'s sessions (SQL and the client binaries alike) log in as.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRole {
    /// The role's name (`session_user`).
    pub name: String,
    /// It is a superuser (`rolsuper`): a database's connection limit does not hold it.
    pub superuser: bool,
    /// The server's `server_version_num` (e.g. `150018` for 15.18); 0 when unknown.
    #[serde(default)]
    pub server_version_num: u32,
}

/// The SQL and the client binaries (`pg_dump`, `pg_restore`) of one PostgreSQL server.
#[async_trait]
pub trait DatabaseServer: Send + Sync {
    /// The definition of database `name` on the server at `at`; `None` when it does not exist.
    async fn database(&self, at: &PgAddress, name: &str) -> Result<Option<DatabaseInfo>>;

    /// The role this server's sessions log in as on the server at `at`.
    async fn session_role(&self, at: &PgAddress) -> Result<SessionRole>;

    /// Sets `datallowconn` of database `name`.
    async fn allow_connections(&self, at: &PgAddress, name: &str, allow: bool) -> Result<()>;

    /// Sets the connection limit of database `name` and nothing else
    /// (`ALTER DATABASE <name> CONNECTION LIMIT <connection_limit>`; -1 for none). The restore
    /// sets 0 first: ordinary roles can no longer connect, superusers (its own sessions and
    /// `pg_dump`) still can.
    async fn limit_connections(&self, at: &PgAddress, name: &str, connection_limit: i32) -> Result<()>;

    /// Terminates every backend connected to database `name` and waits until each has exited
    /// (a backend told to stop can still finish a commit; once this returns, nothing it did
    /// commits later), then looks again for backends that were still logging in; returns how
    /// many were terminated.
    async fn terminate_backends(&self, at: &PgAddress, name: &str) -> Result<u64>;

    /// Drops database `name` (exactly that name).
    async fn drop_database(&self, at: &PgAddress, name: &str) -> Result<()>;

    /// Creates the database `info` describes: same name, owner, encoding, collation,
    /// tablespace, connection limit, comment, privileges, database and per-role settings,
    /// connections allowed (`datallowconn`). The restore passes a connection limit of 0, so
    /// that only superusers can connect until [`open_database`](Self::open_database).
    async fn create_database(&self, at: &PgAddress, info: &DatabaseInfo) -> Result<()>;

    /// Allows connections to database `name` and sets its connection limit, in one statement
    /// (`ALTER DATABASE <name> ALLOW_CONNECTIONS true CONNECTION LIMIT <connection_limit>`;
    /// -1 for none).
    async fn open_database(&self, at: &PgAddress, name: &str, connection_limit: i32) -> Result<()>;

    /// Dumps database `name` in the custom format (`pg_dump -Fc`) to `file` (which must not
    /// exist); returns its size in bytes.
    async fn dump(&self, at: &PgAddress, name: &str, file: &Path) -> Result<u64>;

    /// Restores `file` into database `name` (`pg_restore --exit-on-error`).
    async fn restore(&self, at: &PgAddress, name: &str, file: &Path) -> Result<()>;

    /// The number of entries `pg_restore --list` reads from `file`; an error when it cannot
    /// read it.
    async fn list_dump(&self, file: &Path) -> Result<usize>;
}
