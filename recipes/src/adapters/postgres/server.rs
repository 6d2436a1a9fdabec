//! [`DatabaseServer`] over `tokio-postgres` and `pg_dump`/`pg_restore`.
//!
//! `tokio-postgres` is the maintained asynchronous driver of the rust-postgres project; it
//! needs no database at compile time (unlike sqlx's checked queries) and runs on the tokio
//! runtime the recipes already use.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use async_trait::async_trait;
use client_core::Secret;

use super::sql::{drop_statement, ident, open_statement};
use crate::ports::{DatabaseInfo, DatabaseServer, PgAddress, RoleSettings, SessionRole};
use crate::{Error, Result};

/// [`DatabaseServer`] connecting as a superuser with a password, running the client binaries
/// of `bin_dir` (PostgreSQL 15's `/usr/lib/postgresql/15/bin` by default).
#[derive(Clone)]
pub struct PostgresServer {
    user: String,
    password: Secret,
    bin_dir: PathBuf,
}

impl std::fmt::Debug for PostgresServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresServer")
            .field("user", &self.user)
            .field("bin_dir", &self.bin_dir)
            .finish_non_exhaustive()
    }
}

impl PostgresServer {
    /// Connects as `user` with `password`.
    pub fn new(user: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self { user: user.into(), password: password.into(), bin_dir: PathBuf::from("/usr/lib/postgresql/15/bin") }
    }

    /// Runs `pg_dump` and `pg_restore` from `dir`.
    #[must_use]
    pub fn bin_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.bin_dir = dir.into();
        self
    }

    async fn connect(&self, at: &PgAddress) -> Result<tokio_postgres::Client> {
        let mut config = tokio_postgres::Config::new();
        config.host(&at.host).port(at.port).user(&self.user).password(self.password.expose()).dbname("postgres");
        config.application_name("recipes restore_database");
        config.connect_timeout(std::time::Duration::from_secs(10));
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|e| Error::backend_step(format!("PostgreSQL {at}"), "connecting", e))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "PostgreSQL connection ended");
            }
        });
        Ok(client)
    }

    async fn execute(
        &self,
        at: &PgAddress,
        what: &str,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64> {
        let client = self.connect(at).await?;
        client.execute(sql, params).await.map_err(|e| Error::backend_step(format!("PostgreSQL {at}"), what, e))
    }

    async fn binary(&self, at: Option<&PgAddress>, program: &str, args: &[&std::ffi::OsStr]) -> Result<String> {
        let path = self.bin_dir.join(program);
        let mut cmd = tokio::process::Command::new(&path);
        cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        if let Some(at) = at {
            cmd.env("PGHOST", &at.host).env("PGPORT", at.port.to_string()).env("PGUSER", &self.user);
            cmd.env("PGPASSWORD", self.password.expose());
        }
        let out =
            cmd.output().await.map_err(|e| Error::backend_step(program, &format!("starting {}", path.display()), e))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
            Err(Error::backend_msg(program, format!("exited with {}: {}", out.status, tail.join(" | "))))
        }
    }
}

/// How long `terminate_backends` waits for each backend to exit, in milliseconds.
const TERMINATE_WAIT_MS: i64 = 10_000;

/// `text` as an SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[async_trait]
impl DatabaseServer for PostgresServer {
    async fn database(&self, at: &PgAddress, name: &str) -> Result<Option<DatabaseInfo>> {
        let client = self.connect(at).await?;
        let failed = |e| Error::backend_step(format!("PostgreSQL {at}"), &format!("reading database {name}"), e);
        let row = client
            .query_opt(
                "SELECT d.datname, r.rolname, pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, \
                 d.datacl::text, pg_database_size(d.oid), d.datallowconn, t.spcname, d.datconnlimit, \
                 shobj_description(d.oid, 'pg_database') \
                 FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba \
                 JOIN pg_tablespace t ON t.oid = d.dattablespace WHERE d.datname = $1",
                &[&name],
            )
            .await
            .map_err(failed)?;
        let Some(r) = row else { return Ok(None) };
        let mut info = DatabaseInfo {
            name: r.get(0),
            owner: r.get(1),
            encoding: r.get(2),
            collate: r.get(3),
            ctype: r.get(4),
            acl: r.get(5),
            size_bytes: u64::try_from(r.get::<_, i64>(6)).unwrap_or(0),
            allow_connections: r.get(7),
            tablespace: r.get(8),
            connection_limit: r.get(9),
            comment: r.get(10),
            ..DatabaseInfo::default()
        };
        // Role 0 holds the database's own settings; a role dropped since keeps none.
        let rows = client
            .query(
                "SELECT s.setrole = 0, COALESCE(r.rolname, ''), s.setconfig FROM pg_db_role_setting s \
                 JOIN pg_database d ON d.oid = s.setdatabase LEFT JOIN pg_roles r ON r.oid = s.setrole \
                 WHERE d.datname = $1 AND (s.setrole = 0 OR r.oid IS NOT NULL) ORDER BY 2",
                &[&name],
            )
            .await
            .map_err(failed)?;
        for row in rows {
            let settings: Vec<String> = row.get::<_, Option<Vec<String>>>(2).unwrap_or_default();
            if row.get(0) {
                info.settings = settings;
            } else {
                info.role_settings.push(RoleSettings { role: row.get(1), settings });
            }
        }
        Ok(Some(info))
    }

    async fn session_role(&self, at: &PgAddress) -> Result<SessionRole> {
        let client = self.connect(at).await?;
        let row = client
            .query_one(
                "SELECT session_user::text, r.rolsuper, current_setting('server_version_num')::int \
                 FROM pg_roles r WHERE r.rolname = session_user",
                &[],
            )
            .await
            .map_err(|e| Error::backend_step(format!("PostgreSQL {at}"), "reading the session's role", e))?;
        let version: i32 = row.get(2);
        Ok(SessionRole { name: row.get(0), superuser: row.get(1), server_version_num: version.max(0) as u32 })
    }

    async fn allow_connections(&self, at: &PgAddress, name: &str, allow: bool) -> Result<()> {
        let sql = format!("ALTER DATABASE {} ALLOW_CONNECTIONS {allow}", ident(name));
        self.execute(at, &format!("setting datallowconn = {allow} on {name}"), &sql, &[]).await.map(drop)
    }

    async fn open_database(&self, at: &PgAddress, name: &str, connection_limit: i32) -> Result<()> {
        let sql = open_statement(name, connection_limit);
        let what = format!("allowing connections to {name} with connection limit {connection_limit}");
        self.execute(at, &what, &sql, &[]).await.map(drop)
    }

    async fn limit_connections(&self, at: &PgAddress, name: &str, connection_limit: i32) -> Result<()> {
        let sql = format!("ALTER DATABASE {} CONNECTION LIMIT {connection_limit}", ident(name));
        self.execute(at, &format!("setting the connection limit of {name} to {connection_limit}"), &sql, &[])
            .await
            .map(drop)
    }

    async fn terminate_backends(&self, at: &PgAddress, name: &str) -> Result<u64> {
        let client = self.connect(at).await?;
        let failed =
            |e| Error::backend_step(format!("PostgreSQL {at}"), &format!("terminating the backends of {name}"), e);
        // pg_terminate_backend(pid, timeout) (PostgreSQL 14+) waits until the backend has
        // exited: a backend only signalled may still commit after the call returned. A backend
        // that was logging in when the connection limit changed shows in pg_stat_activity only
        // at the end of its start-up, so the look is repeated, 100 ms later, until one finds none
        // (five rounds at most: superusers may keep connecting, and the limit does not hold them).
        let mut terminated = 0;
        for round in 0..5 {
            if round > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            let rows = client
                .query(
                    "SELECT pid, pg_terminate_backend(pid, $2) FROM pg_stat_activity \
                     WHERE datname = $1 AND pid <> pg_backend_pid()",
                    &[&name, &TERMINATE_WAIT_MS],
                )
                .await
                .map_err(failed)?;
            let stuck: Vec<i32> = rows.iter().filter(|r| !r.get::<_, bool>(1)).map(|r| r.get(0)).collect();
            if !stuck.is_empty() {
                return Err(Error::backend_msg(
                    format!("PostgreSQL {at}"),
                    format!(
                        "terminating the backends of {name}: process(es) {stuck:?} did not exit within {} s",
                        TERMINATE_WAIT_MS / 1000
                    ),
                ));
            }
            terminated += rows.len() as u64;
            if rows.is_empty() && round > 0 {
                break;
            }
        }
        Ok(terminated)
    }

    async fn drop_database(&self, at: &PgAddress, name: &str) -> Result<()> {
        let sql = drop_statement(name);
        self.execute(at, &format!("dropping {name}"), &sql, &[]).await.map(drop)
    }

    async fn create_database(&self, at: &PgAddress, info: &DatabaseInfo) -> Result<()> {
        let db = &info.name;
        let sql = format!(
            "CREATE DATABASE {} OWNER {} ENCODING {} LC_COLLATE {} LC_CTYPE {} TABLESPACE {} CONNECTION LIMIT {} \
             TEMPLATE template0",
            ident(db),
            ident(&info.owner),
            literal(&info.encoding),
            literal(&info.collate),
            literal(&info.ctype),
            ident(if info.tablespace.is_empty() { "pg_default" } else { &info.tablespace }),
            info.connection_limit
        );
        self.execute(at, &format!("creating {db}"), &sql, &[]).await?;
        if let Some(comment) = &info.comment {
            let sql = format!("COMMENT ON DATABASE {} IS {}", ident(db), literal(comment));
            self.execute(at, &format!("restoring the comment of {db}"), &sql, &[]).await?;
        }
        // The privileges exactly as they were (GRANTs could not reproduce grantors).
        self.execute(
            at,
            &format!("restoring the privileges of {db}"),
            "UPDATE pg_database SET datacl = $1::text::aclitem[] WHERE datname = $2",
            &[&info.acl, db],
        )
        .await?;
        // The settings as stored, copied back row for row: `ALTER ... SET` would have to
        // re-quote list values such as search_path's, which their stored text no longer shows.
        let mut rows: Vec<(&str, &[String])> = Vec::new();
        if !info.settings.is_empty() {
            rows.push(("", &info.settings));
        }
        rows.extend(info.role_settings.iter().map(|r| (r.role.as_str(), r.settings.as_slice())));
        for (role, settings) in rows {
            let what = if role.is_empty() {
                format!("restoring the settings of {db}")
            } else {
                format!("restoring the settings of role {role} in {db}")
            };
            let copied = self
                .execute(
                    at,
                    &what,
                    "INSERT INTO pg_db_role_setting (setdatabase, setrole, setconfig) \
                     SELECT d.oid, COALESCE((SELECT r.oid FROM pg_roles r WHERE r.rolname = $2), \
                     CASE WHEN $2 = '' THEN 0::oid END), $3::text[] FROM pg_database d WHERE d.datname = $1",
                    &[db, &role, &settings],
                )
                .await;
            match copied {
                Ok(1) => {}
                Ok(_) => {
                    return Err(Error::backend_msg(format!("PostgreSQL {at}"), format!("{what}: no such database")));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn dump(&self, at: &PgAddress, name: &str, file: &Path) -> Result<u64> {
        if file.exists() {
            return Err(Error::invalid(
                "dump file",
                file.display().to_string(),
                "already exists; it is never overwritten",
            ));
        }
        if let Some(dir) = file.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(|e| Error::Io {
                action: "create the dump directory".into(),
                path: dir.to_owned(),
                source: e,
            })?;
        }
        self.binary(
            Some(at),
            "pg_dump",
            &["-Fc".as_ref(), "-d".as_ref(), name.as_ref(), "-f".as_ref(), file.as_os_str()],
        )
        .await?;
        let meta = tokio::fs::metadata(file).await.map_err(|e| Error::Io {
            action: "read the dump's size".into(),
            path: file.to_owned(),
            source: e,
        })?;
        Ok(meta.len())
    }

    async fn restore(&self, at: &PgAddress, name: &str, file: &Path) -> Result<()> {
        self.binary(
            Some(at),
            "pg_restore",
            &["--exit-on-error".as_ref(), "-d".as_ref(), name.as_ref(), file.as_os_str()],
        )
        .await
        .map(drop)
    }

    async fn list_dump(&self, file: &Path) -> Result<usize> {
        let out = self.binary(None, "pg_restore", &["--list".as_ref(), file.as_os_str()]).await?;
        Ok(out.lines().filter(|l| !l.trim().is_empty() && !l.starts_with(';')).count())
    }
}
