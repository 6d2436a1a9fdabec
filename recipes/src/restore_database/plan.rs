//! The database restore's dry run: the leader and its address, the role the restore works as,
//! the database, the dump.

use super::{PROTECTED, RestoreDatabase};
use crate::ports::{DatabaseInfo, PgAddress, ScopeSnapshot};
use crate::report::{Check, Plan, Step};
use crate::{Error, Result};

/// What the dry run found.
#[derive(Debug, Clone)]
pub(super) struct Survey {
    pub(super) leader: String,
    pub(super) address: PgAddress,
    pub(super) info: DatabaseInfo,
    pub(super) dump_bytes: u64,
}

/// The connection limit the database is created with: superusers only (PostgreSQL does not
/// enforce a database's connection limit against them), so that the restore's own sessions
/// connect and applications do not until the last step.
pub(super) const RESTORING_LIMIT: i32 = 0;

/// A connection limit as the plan and the errors show it.
pub(super) fn limit_text(limit: i32) -> String {
    if limit < 0 { format!("{limit} (none)") } else { limit.to_string() }
}

/// The statement that opens `db` again with `limit`, as the operator would type it.
/// The statement that removes what a failed restore left of `db`, for the by-hand instructions.
pub(super) fn drop_statement(db: &str) -> String {
    format!("DROP DATABASE IF EXISTS \"{}\"", db.replace('"', "\"\""))
}

pub(super) fn open_statement(db: &str, limit: i32) -> String {
    format!("ALTER DATABASE \"{}\" ALLOW_CONNECTIONS true CONNECTION LIMIT {limit}", db.replace('"', "\"\""))
}

impl RestoreDatabase {
    /// Dry run: checks the leader, the database and the dump, and returns the steps, or
    /// [`Error::Refused`] with every reason.
    pub async fn plan(&self) -> Result<Plan> {
        Ok(self.survey().await?.0)
    }

    pub(super) async fn survey(&self) -> Result<(Plan, Option<Survey>)> {
        let o = &self.opts;
        let db = &o.database;
        let mut checks = Vec::new();
        if PROTECTED.contains(&db.as_str()) {
            checks.push(Check::failed(format!("database {db}"), "is a system database; it is never dropped"));
        }
        let snapshot = self.caps.scope_store.snapshot(&o.scope).await?;
        let leader = match leader_address(&snapshot) {
            Ok((name, address)) => {
                checks
                    .push(Check::passed(format!("leader of {}", o.scope), format!("{name}, PostgreSQL at {address}")));
                Some((name, address))
            }
            Err(reason) => {
                checks.push(Check::failed(format!("leader of {}", o.scope), reason));
                None
            }
        };
        let mut info = None;
        let mut role = None;
        if let Some((_, address)) = &leader {
            match self.caps.server.session_role(address).await {
                Err(e) => checks.push(Check::failed("restoring role", e.with_causes())),
                Ok(r) if !r.superuser => checks.push(Check::failed(
                    format!("restoring role {}", r.name),
                    format!(
                        "is not a superuser: {db} is created again with CONNECTION LIMIT 0 so that applications \
                         cannot connect while pg_restore runs, and PostgreSQL lets only superusers past that limit \
                         (ALLOW_CONNECTIONS false would shut pg_restore out too); connect as a superuser"
                    ),
                )),
                Ok(r) => {
                    checks.push(Check::passed(
                        format!("restoring role {}", r.name),
                        "is a superuser: it connects to the re-created database while ordinary roles cannot",
                    ));
                    role = Some(r);
                }
            }
            match self.caps.server.database(address, db).await {
                Err(e) => checks.push(Check::failed(format!("database {db}"), e.with_causes())),
                Ok(None) => {
                    checks.push(Check::failed(format!("database {db}"), format!("does not exist on {address}")));
                }
                Ok(Some(i)) if i.connection_limit < -1 => {
                    // PostgreSQL 15.4+ marks a database whose DROP DATABASE was interrupted with
                    // datconnlimit -2: nobody can connect to it, so it can be neither dumped nor restored.
                    checks.push(Check::failed(
                        format!("database {db}"),
                        format!(
                            "is marked invalid (connection limit {}: a DROP DATABASE was interrupted); it can only be \
                             dropped: `{}`, then restore the dump into a new database with `pg_restore -C -d postgres`",
                            i.connection_limit,
                            drop_statement(db)
                        ),
                    ));
                }
                Ok(Some(i)) => {
                    checks.push(Check::passed(
                        format!("database {db}"),
                        format!(
                            "owner {}, encoding {}, privileges {}, connection limit {}{}, {} setting(s), {} role \
                             setting(s), {} bytes",
                            i.owner,
                            i.encoding,
                            i.acl.as_deref().unwrap_or("default"),
                            limit_text(i.connection_limit),
                            if i.connection_limit == RESTORING_LIMIT {
                                " (only superusers can connect; the restore keeps the limit it finds, so if a \
                                 stopped restore left it so, set the limit it had before first)"
                            } else {
                                ""
                            },
                            i.settings.len(),
                            i.role_settings.len(),
                            i.size_bytes
                        ),
                    ));
                    info = Some(i);
                }
            }
        }
        let dump = o.dump.display().to_string();
        let dump_bytes = match tokio::fs::metadata(&o.dump).await {
            Err(e) => {
                checks.push(Check::failed(format!("dump {dump}"), format!("cannot be read: {e}")));
                0
            }
            Ok(meta) => match self.caps.server.list_dump(&o.dump).await {
                Err(e) => {
                    checks.push(Check::failed(
                        format!("dump {dump}"),
                        format!("pg_restore --list cannot read it: {}", e.with_causes()),
                    ));
                    0
                }
                Ok(entries) => {
                    checks.push(Check::passed(
                        format!("dump {dump}"),
                        format!("{entries} entries, {} bytes", meta.len()),
                    ));
                    meta.len()
                }
            },
        };
        let who = role.as_ref().map_or_else(|| "the restoring role".to_owned(), |r| r.name.clone());
        let limit = info.as_ref().map_or(-1, |i: &DatabaseInfo| i.connection_limit);
        let open = open_statement(db, limit);
        let steps = [
            ("safety dump", format!("pg_dump -Fc {db} into {}", o.safety_dir.display())),
            ("block connections", format!("datallowconn = false on {db}")),
            ("terminate backends", format!("pg_terminate_backend for every session of {db}")),
            ("drop", format!("DROP DATABASE {db}")),
            (
                "create",
                format!(
                    "CREATE DATABASE {db} with the same definition, privileges and settings, but CONNECTION LIMIT \
                     {RESTORING_LIMIT}: until the last step only superusers ({who}) can connect, applications are \
                     refused"
                ),
            ),
            ("restore", format!("pg_restore --exit-on-error -d {db} {dump} as {who}")),
            (
                "allow connections",
                format!(
                    "{open}: datallowconn = true and the connection limit it had before ({}); a run stopped \
                     between blocking connections and here leaves {db} refusing applications until this statement \
                     runs (after the safety dump is put back, if it stopped past the drop)",
                    limit_text(limit)
                ),
            ),
        ];
        let steps = steps.into_iter().map(|(n, d)| Step::new(n, d)).collect();
        let plan = Plan::from_checks("restore_database", checks, steps)?;
        let survey = match (leader, info, role) {
            (Some((leader, address)), Some(info), Some(_)) => Some(Survey { leader, address, info, dump_bytes }),
            _ => None,
        };
        Ok((plan, survey))
    }
}

/// The leader's name and PostgreSQL address (its `conn_url` in the DCS), or why not.
pub(super) fn leader_address(snapshot: &ScopeSnapshot) -> std::result::Result<(String, PgAddress), String> {
    let status = snapshot.cluster_status();
    let Some(leader) = status.running_leader() else {
        return Err(match &status.leader {
            None => "no member holds the leader key".to_owned(),
            Some(l) => format!("the leader {l} is not running as primary"),
        });
    };
    let text = snapshot.text(&format!("members/{}", leader.name)).unwrap_or_default();
    let conn_url = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("conn_url").and_then(|u| u.as_str()).map(str::to_owned))
        .ok_or_else(|| format!("the leader {} publishes no conn_url", leader.name))?;
    let url =
        url::Url::parse(&conn_url).map_err(|e| format!("the leader's conn_url {conn_url:?} is not a URL: {e}"))?;
    let host = url.host_str().ok_or_else(|| format!("the leader's conn_url {conn_url:?} names no host"))?;
    Ok((leader.name.clone(), PgAddress { host: host.to_owned(), port: url.port().unwrap_or(5432) }))
}

/// The error of a run whose leader changed.
pub(super) fn leader_changed(scope: &str, was: &str, now: &str) -> Error {
    Error::Conflict(format!("the leader of {scope} changed during the restore: it was {was}, now {now}"))
}
