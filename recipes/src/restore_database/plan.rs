//! The database restore's dry run: the leader and its address, the role the restore works as,
//! the database, the dump.

use std::path::{Path, PathBuf};

use super::{PROTECTED, RestoreDatabase};
use crate::adapters::postgres::sql::ident;
pub(super) use crate::adapters::postgres::sql::{drop_statement, open_statement};
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

/// The oldest server the run supports (`server_version_num`): 14 added pg_terminate_backend's wait.
const MIN_SERVER_VERSION: u32 = 140_000;

/// `150018` as `15.18`, `90624` as `9.6.24`.
fn version_text(num: u32) -> String {
    if num >= 100_000 {
        format!("{}.{}", num / 10_000, num % 10_000)
    } else {
        format!("{}.{}.{}", num / 10_000, num / 100 % 100, num % 100)
    }
}

/// A connection limit as the plan and the errors show it.
pub(super) fn limit_text(limit: i32) -> String {
    if limit < 0 { format!("{limit} (none)") } else { limit.to_string() }
}

/// [`open_statement`] with `<n>` for a limit the plan cannot know (what a stopped run found).
fn open_template(db: &str) -> String {
    open_statement(db, "<n>")
}

/// The newest safety dump of `db` in `dir` (`<db>-<UTC time>.dump`, the time sorting as the
/// names do), if any: what a run stopped past its drop took of the database it dropped.
pub(super) fn newest_safety_dump(dir: &Path, db: &str) -> Option<PathBuf> {
    let prefix = format!("{db}-");
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stamp = name.strip_prefix(&prefix)?.strip_suffix(".dump")?.to_owned();
            // 20261201T191540.123Z: another database's name with this one's as prefix does not match.
            let b = stamp.as_bytes();
            let shaped = b.len() == 20
                && b[8] == b'T'
                && b[15] == b'.'
                && b[19] == b'Z'
                && b.iter().enumerate().all(|(i, c)| matches!(i, 8 | 15 | 19) || c.is_ascii_digit());
            shaped.then(|| (stamp, entry.path()))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, path)| path)
}

/// What the operator does with the newest safety dump of `db` found in `dir` after a run
/// stopped past its drop (the database missing, invalid or half restored), or that none is there.
fn safety_dump_hint(dir: &Path, db: &str) -> String {
    match newest_safety_dump(dir, db) {
        Some(path) => format!(
            "the newest safety dump of {db} in {} is {} (the database as a run stopped past its drop found it, \
             if that run was the last); put it back with `{}`, `pg_restore -C -d postgres {}`, \
             then `{}` with the connection limit it had (the stopped run's plan shows it in its last step)",
            dir.display(),
            path.display(),
            drop_statement(db),
            path.display(),
            open_template(db)
        ),
        None => format!("there is no safety dump of {db} in {}", dir.display()),
    }
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
            // The run waits for each terminated session to exit (pg_terminate_backend(pid, timeout),
            // PostgreSQL 14+): a session only signalled could still commit after the safety dump.
            if let Some(r) = role.as_ref().filter(|r| r.server_version_num < MIN_SERVER_VERSION) {
                checks.push(Check::failed(
                    format!("PostgreSQL on {address}"),
                    format!(
                        "is version {} (server_version_num {}): the recipe needs 14 or newer, whose \
                         pg_terminate_backend(pid, timeout) waits until a terminated session has exited, so that \
                         nothing it commits is left out of the safety dump",
                        version_text(r.server_version_num),
                        r.server_version_num
                    ),
                ));
            }
            match self.caps.server.database(address, db).await {
                Err(e) => checks.push(Check::failed(format!("database {db}"), e.with_causes())),
                Ok(None) => {
                    // Not resumable: a run stopped past its drop left nothing to restore into.
                    checks.push(Check::failed(
                        format!("database {db}"),
                        format!(
                            "does not exist on {address}; {}; to restore the given dump instead, create the database \
                             from it with `pg_restore -C -d postgres {}`",
                            safety_dump_hint(&o.safety_dir, db),
                            o.dump.display()
                        ),
                    ));
                }
                Ok(Some(i)) if i.connection_limit < -1 => {
                    // PostgreSQL 15.4+ marks a database whose DROP DATABASE was interrupted with
                    // datconnlimit -2: nobody can connect to it, so it can be neither dumped nor restored.
                    checks.push(Check::failed(
                        format!("database {db}"),
                        format!(
                            "is marked invalid (connection limit {}: a DROP DATABASE was interrupted); it can only be \
                             dropped: `{}`, then restore the dump into a new database with `pg_restore -C -d postgres`; \
                             {}",
                            i.connection_limit,
                            drop_statement(db),
                            safety_dump_hint(&o.safety_dir, db)
                        ),
                    ));
                }
                Ok(Some(i)) if !i.allow_connections => {
                    // A run stopped between blocking connections and the drop leaves it so; pg_dump
                    // could not take the safety dump.
                    let fix = if i.connection_limit == RESTORING_LIMIT {
                        open_template(db)
                    } else {
                        open_statement(db, i.connection_limit)
                    };
                    checks.push(Check::failed(
                        format!("database {db}"),
                        format!(
                            "does not allow connections (datallowconn = false; a restore stopped after blocking \
                             connections and before the drop leaves it so, connection limit {}), so no safety dump \
                             can be taken; nothing was dropped: open it with `{fix}`{}, then plan again",
                            limit_text(i.connection_limit),
                            if i.connection_limit == RESTORING_LIMIT {
                                " (<n>: the limit it had before the stopped run, in that run's plan)"
                            } else {
                                ""
                            }
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
                                zero_hint(&o.safety_dir, db)
                            } else {
                                String::new()
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
            (
                "keep applications out",
                format!(
                    "ALTER DATABASE {} CONNECTION LIMIT {RESTORING_LIMIT}: from here on only superusers ({who}) can \
                     connect to {db}, applications are refused; any failure before the drop sets the limit it had \
                     ({}) back",
                    ident(db),
                    limit_text(limit)
                ),
            ),
            (
                "terminate backends",
                format!(
                    "pg_terminate_backend for every session of {db}, waiting until each has exited: all they \
                     committed is in the safety dump"
                ),
            ),
            (
                "safety dump",
                format!(
                    "pg_dump -Fc {db} into {}: what the drop destroys, no application being able to write in between",
                    o.safety_dir.join(format!("{db}-<UTC time>.dump")).display()
                ),
            ),
            ("block connections", format!("datallowconn = false on {db}: from here on superusers are refused too")),
            (
                "terminate remaining backends",
                format!("pg_terminate_backend for every session of {db} opened since (a superuser's)"),
            ),
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
                     between keeping applications out and here leaves {db} refusing applications until this \
                     statement runs (after the safety dump is put back, if it stopped past the drop)",
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

/// The database check's note on a connection limit of 0: what a stopped restore leaves, and
/// what to do before running again.
fn zero_hint(dir: &Path, db: &str) -> String {
    format!(
        " (only superusers can connect: a restore stopped after keeping applications out leaves it so, and this \
         run would restore {db} with limit 0 again. If one stopped before its drop, {db} is as it was: set the limit \
         it had before with `ALTER DATABASE {} CONNECTION LIMIT <n>` (<n> in the stopped run's plan, last step) and \
         plan again. If one stopped after its drop, {db} is half restored and must not be dumped as the safety dump: \
         {})",
        ident(db),
        safety_dump_hint(dir, db)
    )
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
