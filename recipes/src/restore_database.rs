//! Recipe `restore_database`: one database back from a dump, the cluster kept (procedure 7 of the
//! [runbook guide](https://github.com/ops-sdk/ops-sdk/blob/main/docs/runbook.md)).
//!
//! Preflight (every failure is listed, nothing is changed): the scope has a running leader
//! whose PostgreSQL address the DCS publishes (`conn_url`); the role the server connects as is
//! a superuser; the server is PostgreSQL 14 or newer (`pg_terminate_backend(pid, timeout)`,
//! which waits for a terminated session to exit); the database is not `postgres`, `template0` or `template1`, exists on the
//! leader, is not marked invalid and allows connections; `pg_restore --list` reads the given dump.
//!
//! Then, on the leader: its definition (owner, encoding, collation, tablespace, connection
//! limit, comment, privileges, its `ALTER DATABASE ... SET` and `ALTER ROLE ... IN DATABASE ...
//! SET` settings) is read; applications are kept out (`ALTER DATABASE ... CONNECTION LIMIT 0`)
//! and its backends terminated, each waited for until it has exited; a safety dump of the
//! database is taken (`pg_dump -Fc`, its path in the report); new connections are refused
//! (`datallowconn = false`, superusers included) and backends that came in since terminated; the
//! database is dropped and created again with the same definition but `CONNECTION LIMIT 0`; the
//! given dump restored (`pg_restore --exit-on-error`); connections allowed again with the
//! connection limit it had (`ALTER DATABASE ... ALLOW_CONNECTIONS true CONNECTION LIMIT <n>`,
//! one statement). Before each step the leader is read again from the DCS: a leader that
//! changed stops the run. On any failure before the drop (the safety dump failing, a leader
//! change, a drop refused), the database gets its connection limit back with connections
//! allowed, and the error says what failed and what was put back (or the statement to run when
//! that fails too). On any failure after the drop, the database is dropped and created again
//! the same way from the safety dump and connections are allowed with its limit, and the error
//! says so (or, when that fails too, gives the commands to finish by hand, the limit among
//! them). The report carries the sizes (database before and after, both dumps), the backends
//! terminated and each step's time.
//!
//! **The safety dump is what the drop destroys.** Applications are shut out and cut before
//! `pg_dump` takes its snapshot, so no ordinary role can commit anything after it: a write an
//! application saw committed is in the safety dump (the real-sandbox test has an application
//! writing in a loop during the run and finds each of its committed rows in the safety dump).
//! `pg_terminate_backend` is called with a timeout, which waits for the backend to exit (one
//! only signalled can still finish a commit), and the look for backends is repeated once
//! 100 ms later for sessions that were logging in as the limit changed. Only a superuser can
//! connect between the snapshot and the block: applications logging in as a superuser are not
//! held off, and what they commit in that window is in no backup.
//!
//! **Applications are kept out of the half-restored database.** A created database accepts
//! connections at once, so a connection pool would reconnect while pg_restore runs (and might
//! run migrations into it). `CONNECTION LIMIT 0` refuses every role but superusers ("too many
//! connections", SQLSTATE 53300), which PostgreSQL does not hold to a database's limit: the
//! restore's own sessions, `pg_dump` and `pg_restore` among them, log in as the same superuser
//! and get in. `ALLOW_CONNECTIONS false` is not used for this because it refuses superusers
//! too. This is why the plan refuses a role that is not a superuser (the privileges and
//! settings are also written into the catalogs, which takes one). Applications that log in as
//! a superuser are not held off.
//!
//! **A stopped run is not resumed**; a re-run plans again from what it finds, and the plan
//! says what to do:
//! - stopped after keeping applications out and before blocking connections: the database is
//!   as it was but at connection limit 0. The plan passes and points it out: the limit it had
//!   is known only from the stopped run's plan (its first and last steps show it), and this
//!   run would restore the database with limit 0; set it back first with
//!   `ALTER DATABASE ... CONNECTION LIMIT <n>`.
//! - stopped after blocking connections and before the drop: `datallowconn` is false, so no
//!   safety dump can be taken; the plan refuses with the statement that opens it again.
//! - stopped during the drop: PostgreSQL marks the database invalid; the plan refuses with the
//!   `DROP` statement and `pg_restore -C`.
//! - stopped after the drop and before the create: the database does not exist; the plan
//!   refuses and names the newest safety dump of the database in the safety directory (what
//!   the stopped run dropped) with the `pg_restore -C` and `ALTER DATABASE` commands that put it
//!   back (the safety dump was taken at connection limit 0, which `pg_dump` records, so
//!   `pg_restore -C` brings the database back refusing applications until that `ALTER`).
//! - stopped after the create and before the last step: the database is half restored at
//!   connection limit 0; the plan passes with the same note and names the newest safety dump:
//!   put that back by hand rather than re-running, which would take the half-restored database
//!   as its safety dump.
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
    /// The safety dump, taken once applications were kept out and cut: what the drop destroyed.
    pub safety_dump: Option<PathBuf>,
    /// Its size in bytes.
    pub safety_dump_bytes: u64,
    /// The size of the dump restored, in bytes.
    pub dump_bytes: u64,
    /// The database's size before the restore (`pg_database_size`).
    pub size_before_bytes: u64,
    /// Its size after the restore.
    pub size_after_bytes: u64,
    /// Backends terminated before the drop (before the safety dump and after it).
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
