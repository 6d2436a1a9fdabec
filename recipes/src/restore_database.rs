//! Recipe `restore_database`: one database back from a dump, the cluster kept (procedure 7 of the
//! [runbook guide](https://github.com/ops-sdk/ops-sdk/blob/main/docs/runbook.md)).
//!
//! Preflight (every failure is listed, nothing is changed): the scope has a running leader
//! whose PostgreSQL address the DCS publishes (`conn_url`); the role the server connects as is
//! a superuser; the database is not `postgres`, `template0` or `template1` and exists on the
//! leader; `pg_restore --list` reads the given dump; no safety dump of that name exists yet.
//!
//! Then, on the leader: a safety dump of the database (`pg_dump -Fc`, its path in the
//! report); its definition (owner, encoding, collation, tablespace, connection limit, comment,
//! privileges, its `ALTER DATABASE ... SET` and `ALTER ROLE ... IN DATABASE ... SET` settings)
//! read; new connections
//! refused (`datallowconn = false`); its backends terminated; the database dropped and
//! created again with the same definition but `CONNECTION LIMIT 0`; the given dump restored
//! (`pg_restore --exit-on-error`); connections allowed again with the connection limit it had
//! (`ALTER DATABASE ... ALLOW_CONNECTIONS true CONNECTION LIMIT <n>`, one statement). Before
//! each step the leader is read again from the DCS: a leader that changed stops the run. On any
//! failure after the drop, the database is dropped and created again the same way from the
//! safety dump and connections are allowed with its limit, and the error says so (or, when that
//! fails too, gives the commands to finish by hand, the limit among them). The report carries
//! the sizes (database before and after, both dumps), the backends terminated and each step's
//! time.
//!
//! **Applications are kept out of the half-restored database.** A created database accepts
//! connections at once, so a connection pool would reconnect while pg_restore runs (and might
//! run migrations into it). `CONNECTION LIMIT 0` refuses every role but superusers ("too many
//! connections", SQLSTATE 53300), which PostgreSQL does not hold to a database's limit: the
//! restore's own sessions, `pg_restore` among them, log in as the same superuser and get in.
//! `ALLOW_CONNECTIONS false` is not used because it refuses superusers too. This is why the plan
//! refuses a role that is not a superuser (the privileges and settings are also written into the
//! catalogs, which takes one). Applications that log in as a superuser are not held off. A run
//! stopped between the block and the last step leaves the database refusing ordinary roles; the
//! plan's last step shows the statement that lets them in again with the limit it had (after
//! the safety dump is put back, if the run stopped past the drop). The recipe keeps the limit it
//! finds, so a database left at limit 0 by a stopped run is restored at 0 (the plan's database
//! check points it out).
//!
//! ```no_run
//! use std::sync::Arc;
//! use recipes::adapters::consul::ConsulScopeStore;
//! use recipes::adapters::postgres::PostgresServer;
//! use recipes::restore_database::{Capabilities, RestoreDatabase, RestoreDatabaseOptions};
//! use recipes::Progress;
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let caps = Capabilities {
//!     scope_store: Arc::new(ConsulScopeStore::new(consul_client::ConsulClient::from_env()?)),
//!     server: Arc::new(PostgresServer::new("postgres", std::env::var("PGPASSWORD")?)),
//! };
//! let opts = RestoreDatabaseOptions::new("atala-testnet", "wallet", "/backups/wallet.dump");
//! let recipe = RestoreDatabase::new(opts, caps)?;
//! let plan = recipe.plan().await?;
//! let report = recipe.run(Progress::none()).await?;
//! println!("{}", serde_json::to_string_pretty(&report)?);
//! # Ok(()) }
//! ```

mod plan;
mod run;

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::ports::{DatabaseServer, ScopeStore};
use crate::{Error, Report, Result, input};

/// Databases the recipe never drops.
pub const PROTECTED: [&str; 3] = ["postgres", "template0", "template1"];

/// Inputs of [`RestoreDatabase`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RestoreDatabaseOptions {
    /// The Nomad namespace (environment).
    pub namespace: String,
    /// Patroni's scope; `<namespace>-database` by default.
    pub scope: String,
    /// The database to restore, named exactly.
    pub database: String,
    /// The dump to restore (`pg_dump -Fc`, any compression).
    pub dump: PathBuf,
    /// Where the safety dump is written (`<database>-<UTC time>.dump`).
    pub safety_dir: PathBuf,
}

impl RestoreDatabaseOptions {
    /// Restores `database` of `namespace`'s cluster from `dump`; the safety dump goes to
    /// `restore-database-backups/`.
    pub fn new(namespace: impl Into<String>, database: impl Into<String>, dump: impl Into<PathBuf>) -> Self {
        let namespace = namespace.into();
        Self {
            scope: input::default_scope(&namespace),
            namespace,
            database: database.into(),
            dump: dump.into(),
            safety_dir: PathBuf::from("restore-database-backups"),
        }
    }

    /// Sets the scope.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// Sets the directory of the safety dump.
    #[must_use]
    pub fn safety_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.safety_dir = dir.into();
        self
    }

    /// Checks every input; the error names the one at fault.
    pub fn validate(&self) -> Result<()> {
        input::validate_namespace(&self.namespace)?;
        input::validate_scope(&self.scope)?;
        let db = &self.database;
        if db.is_empty() || db.len() > 63 || db.chars().any(|c| c.is_control() || c == '\0') {
            return Err(Error::invalid("database name", db, "must be 1 to 63 bytes without control characters"));
        }
        if PROTECTED.contains(&db.as_str()) {
            return Err(Error::invalid("database name", db, "is a system database; it is never dropped"));
        }
        Ok(())
    }
}

/// The capabilities [`RestoreDatabase`] works with.
#[derive(Clone)]
pub struct Capabilities {
    /// Patroni's state in the DCS: who leads, and where its PostgreSQL listens.
    pub scope_store: Arc<dyn ScopeStore>,
    /// SQL and client binaries on the leader.
    pub server: Arc<dyn DatabaseServer>,
}

impl std::fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capabilities").finish_non_exhaustive()
    }
}

/// What a restore did: the generic report, the sizes, the safety dump and the times.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DatabaseRestoreReport {
    /// Checks, steps done, backups (the safety dump), warnings.
    pub report: Report,
    /// The leader the restore ran on.
    pub leader: String,
    /// The database restored.
    pub database: String,
    /// The safety dump taken before anything changed.
    pub safety_dump: Option<PathBuf>,
    /// Its size in bytes.
    pub safety_dump_bytes: u64,
    /// The size of the dump restored, in bytes.
    pub dump_bytes: u64,
    /// The database's size before the restore (`pg_database_size`).
    pub size_before_bytes: u64,
    /// Its size after the restore.
    pub size_after_bytes: u64,
    /// Backends terminated before the drop.
    pub backends_terminated: u64,
    /// Each step's time in milliseconds, in order.
    pub step_millis: Vec<(String, u64)>,
}

/// The in-place database restore: see the [module docs](self).
#[derive(Debug, Clone)]
pub struct RestoreDatabase {
    opts: RestoreDatabaseOptions,
    caps: Capabilities,
}

impl RestoreDatabase {
    /// Validates the inputs; nothing is contacted yet.
    pub fn new(opts: RestoreDatabaseOptions, caps: Capabilities) -> Result<Self> {
        opts.validate()?;
        Ok(Self { opts, caps })
    }

    /// The options in use.
    #[must_use]
    pub fn options(&self) -> &RestoreDatabaseOptions {
        &self.opts
    }
}
